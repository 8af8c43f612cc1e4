from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    name = "consultations"
    verbose_name = _("Consultations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Publishing happens in Wagtail (the editor, scheduled publishing, workflows); its
        # page_published / page_unpublished events are the one place all of them pass, so the
        # consultation's calendar activity is written from there, by an explicit service call.
        from wagtail.signals import page_published, page_unpublished

        from consultations.models import ConsultationPage

        page_published.connect(
            _on_publish, sender=ConsultationPage, dispatch_uid="consultation-calendar-publish"
        )
        page_unpublished.connect(
            _on_unpublish, sender=ConsultationPage, dispatch_uid="consultation-calendar-unpublish"
        )


def _on_publish(sender, instance, **kwargs) -> None:
    from engagement.calendar.services import sync_consultation

    sync_consultation(instance)


def _on_unpublish(sender, instance, **kwargs) -> None:
    from engagement.calendar.services import withdraw_consultation

    withdraw_consultation(instance)
