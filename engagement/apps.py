from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngagementConfig(AppConfig):
    name = "engagement"
    label = "engagement"
    verbose_name = _("Common Ground core")
    default_auto_field = "django.db.models.BigAutoField"
