from django.urls import path

from . import feeds, following, grid, views

app_name = "calendar"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.add, name="add"),
    path("pending/", views.pending, name="pending"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    # Month and week views, the heat strip and the officers' ward × week table.
    *grid.urlpatterns,
    # iCalendar: one activity's "add to calendar" and the filtered feeds.
    *feeds.urlpatterns,
    # Residents follow areas and topics and choose how often they hear.
    *following.urlpatterns,
]
