"""Routes for live co-design sessions, included into the "forums" namespace by ``forums.urls``."""

from django.urls import path

from engagement.forums import session_views

urlpatterns = [
    path(
        "<slug:slug>/threads/<int:pk>/session/open/",
        session_views.session_open,
        name="session_open",
    ),
    path(
        "<slug:slug>/threads/<int:pk>/session/<int:session_id>/ideas/",
        session_views.session_idea,
        name="session_idea",
    ),
    path(
        "<slug:slug>/threads/<int:pk>/session/<int:session_id>/ideas/<int:idea_id>/vote/",
        session_views.session_vote,
        name="session_vote",
    ),
    path(
        "<slug:slug>/threads/<int:pk>/session/<int:session_id>/close/",
        session_views.session_close,
        name="session_close",
    ),
]
