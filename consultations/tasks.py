"""Background work for consultations (run by ``manage.py db_worker``)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail, send_mass_mail
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from engagement.models import Area


def _site_url(path: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


@task()
def send_response_copy(response_id: int) -> None:
    """Email a signed-in resident a copy of the answers they sent."""
    from consultations.models import Response
    from consultations.survey import display_value

    response = (
        Response.objects.select_related("consultation", "user", "ward")
        .filter(pk=response_id, status=Response.Status.SUBMITTED)
        .first()
    )
    if response is None or response.user is None:
        return
    consultation = response.consultation
    ward_names = dict(Area.objects.wards().values_list("pk", "name"))
    answers = [
        (question, display_value(question, response.answers.get(question.key), ward_names))
        for question in consultation.survey.questions
        if question.key in response.answers
    ]
    context = {
        "consultation": consultation,
        "response": response,
        "answers": answers,
        "url": _site_url(consultation.url or "/"),
    }
    send_mail(
        _("Your response to %(title)s") % {"title": consultation.title},
        render_to_string("consultations/email/response_copy.txt", context),
        None,
        [response.user.email],
    )


@task()
def notify_outcome(consultation_id: int) -> int:
    """Tell respondents who asked that "We asked, you said, we did" has been published."""
    from consultations.models import ConsultationPage, Response

    consultation = ConsultationPage.objects.get(pk=consultation_id)
    emails = (
        Response.objects.submitted()
        .filter(consultation=consultation, notify_outcome=True, user__isnull=False)
        .values_list("user__email", flat=True)
    )
    subject = _("What happened after %(title)s") % {"title": consultation.title}
    body = render_to_string(
        "consultations/email/outcome.txt",
        {"consultation": consultation, "url": _site_url(consultation.url or "/")},
    )
    messages = [(subject, body, None, [email]) for email in emails.iterator()]
    return send_mass_mail(messages) if messages else 0


@task()
def housekeeping() -> dict[str, int]:
    """Freeze consultations that have closed and flag outcomes overdue by twelve weeks."""
    from consultations.services import flag_overdue_outcomes, freeze_closed

    now = timezone.now()
    return {"frozen": freeze_closed(now), "flagged": flag_overdue_outcomes(now)}
