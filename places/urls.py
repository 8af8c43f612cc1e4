from django.urls import path

from . import views

app_name = "places"

urlpatterns = [
    path("", views.index, name="index"),
    path("areas.geojson", views.areas_geojson, name="areas_geojson"),
    path("hotspots.geojson", views.hotspots_geojson, name="hotspots_geojson"),
    path("pins.geojson", views.pins_geojson, name="pins_geojson"),
    path("pins/new/", views.add_pin, name="add_pin"),
    path("pins/<int:pk>/", views.pin_detail, name="pin"),
    path("pins/<int:pk>/me-too/", views.me_too, name="me_too"),
    path("pins/<int:pk>/report/", views.flag, name="flag"),
    path("pins/<int:pk>/moderate/", views.moderate, name="moderate"),
    path("pins/<int:pk>/respond/", views.respond, name="respond"),
    path(
        "hotspots/<int:level>/<int:cx>/<int:cy>/respond/",
        views.respond_hotspot,
        name="respond_hotspot",
    ),
    path("epicentres/", views.epicentres_view, name="epicentres"),
    path("moderation/", views.moderation_queue, name="moderation"),
    path("mine/", views.mine, name="mine"),
    path("export.csv", views.export, {"fmt": "csv"}, name="export_csv"),
    path("export.geojson", views.export, {"fmt": "geojson"}, name="export_geojson"),
]
