from django.urls import include, path

from . import views

app_name = "forums"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/", views.forum_detail, name="forum"),
    path("<slug:slug>/flagged/", views.flagged, name="flagged"),
    path("<slug:slug>/threads/new/", views.thread_new, name="thread_new"),
    path("<slug:slug>/threads/<int:pk>/", views.thread_detail, name="thread"),
    path("<slug:slug>/threads/<int:pk>/posts/", views.post_create, name="post_create"),
    path("<slug:slug>/threads/<int:pk>/state/", views.thread_state, name="thread_state"),
    path("<slug:slug>/posts/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("<slug:slug>/posts/<int:pk>/react/", views.post_react, name="post_react"),
    path("<slug:slug>/posts/<int:pk>/report/", views.post_flag, name="post_flag"),
    path("<slug:slug>/posts/<int:pk>/moderate/", views.post_moderate, name="post_moderate"),
    path("", include("engagement.forums.session_urls")),
]
