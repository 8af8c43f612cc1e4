"""Officers' pages for a consultation: results, free-text themes, exports and the outcome."""

from django.urls import path

from consultations import staff

app_name = "consultations"

urlpatterns = [
    path("<int:pk>/results/", staff.results, name="results"),
]
