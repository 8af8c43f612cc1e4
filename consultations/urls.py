"""Officers' pages for a consultation: results, free-text themes, exports and the outcome."""

from django.urls import path

from consultations import staff

app_name = "consultations"

urlpatterns = [
    path("<int:pk>/results/", staff.results, name="results"),
    path("<int:pk>/results/publish/", staff.publish_results, name="publish_results"),
    path("<int:pk>/results/text/<str:key>/", staff.text_answers, name="text_answers"),
    path("<int:pk>/responses.csv", staff.export_csv, name="export_csv"),
    path("<int:pk>/responses.json", staff.export_json, name="export_json"),
    path("<int:pk>/outcome/", staff.outcome, name="outcome"),
]
