from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CalendarConfig(AppConfig):
    name = "engagement.calendar"
    label = "calendar"
    verbose_name = _("Shared engagement calendar")
    default_auto_field = "django.db.models.BigAutoField"
