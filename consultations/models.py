"""The consultation hub.

Consultation pages, the survey engine and results arrive with the consultations capability; the
hub is a Wagtail page from the start so editors can write its introduction.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page


class ConsultationIndexPage(Page):
    """The hub at /consultations/: every consultation in the place, whoever runs it."""

    introduction = models.TextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, "introduction"]
    parent_page_types = ["engagement.HomePage"]
    max_count = 1

    class Meta:
        verbose_name = _("consultation hub")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["consultations"] = self.get_children().live().public().specific()
        return context
