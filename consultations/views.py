"""Responding to a consultation: one form per survey section, ordinary POSTs, no JavaScript needed.

Progress between sections is kept for signed-in residents on their (unsent) response, so they can
save and come back; for anonymous respondents it is kept in their session. Nothing becomes a
response until the last section is sent and every required question that applies is answered.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from consultations import services
from consultations.equality import EqualityForm
from consultations.models import ConsultationPage, Outcome, Response
from consultations.survey import SectionForm, display_value
from engagement.models import Area
from engagement.ratelimit import limit_writes

CONFIRMATION_SALT = "consultations.confirmation"


class FinalForm(forms.Form):
    """What the last page asks besides the questions: where the respondent lives, and follow-up."""

    ward = forms.TypedChoiceField(
        label=gettext_lazy("Which ward do you live in?"),
        help_text=gettext_lazy(
            "Optional. It shows the organisations which neighbourhoods they are hearing from."
        ),
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    notify_outcome = forms.BooleanField(
        label=gettext_lazy("Email me when the outcome is published"), required=False
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, wards=(), signed_in: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ward"].choices = [("", _("Choose a ward (optional)"))] + [
            (str(pk), name) for pk, name in wards
        ]
        if not signed_in:
            del self.fields["notify_outcome"]


def _wards() -> list[tuple[int, str]]:
    return list(Area.objects.wards().order_by("name").values_list("pk", "name"))


def _session_key(page: ConsultationPage) -> str:
    return f"consultation-{page.pk}"


def _progress(
    request: HttpRequest, page: ConsultationPage
) -> tuple[dict[str, Any], Response | None]:
    if request.user.is_authenticated:
        response = services.response_for(page, request.user)
        return services.progress_of(response), response
    return dict(request.session.get(_session_key(page), {}).get("answers", {})), None


def _keep_progress(request, page, answers, response_extras=None) -> None:
    if request.user.is_authenticated:
        services.save_progress(page, request.user, answers, **(response_extras or {}))
    else:
        stored = request.session.get(_session_key(page), {})
        stored["answers"] = page.survey.visible_answers(answers)
        stored.setdefault("key", str(uuid.uuid4()))
        request.session[_session_key(page)] = stored


def page_context(page: ConsultationPage, request: HttpRequest) -> dict[str, Any]:
    """What the page shows: where it stands, the visitor's own response, the outcome."""
    now = timezone.now()
    response = services.response_for(page, request.user)
    outcome = Outcome.objects.filter(consultation=page).first()
    is_owner = request.user.has_perm("consultations.view_results", page)
    return {
        "status": page.status(now),
        "own_response": response,
        "outcome": outcome if outcome and outcome.is_published else None,
        "results_public": bool(outcome and outcome.results_published_at),
        "is_owner": is_owner,
        "period_warnings": page.period_warnings() if is_owner else [],
        "organisations": [page.organisation, *page.co_owners.all()],
        "areas": list(page.areas.defer("boundary")),
    }


def _not_open(request, page, status: int = 200) -> HttpResponse:
    return TemplateResponse(
        request,
        "consultations/not_open.html",
        {"page": page, "status": page.status()},
        status=status,
    )


@limit_writes("respond")
def respond(request: HttpRequest, page: ConsultationPage, step: int) -> HttpResponse:
    survey = page.survey
    if not survey.sections:
        raise Http404
    if not page.is_open():
        return _not_open(request, page, status=403 if request.method == "POST" else 200)
    if not request.user.is_authenticated and not page.allow_anonymous:
        return redirect_to_login(request.get_full_path())
    if not 1 <= step <= len(survey):
        raise Http404
    section = survey.sections[step - 1]
    last = step == len(survey)
    answers, response = _progress(request, page)
    wards = _wards()
    signed_in = request.user.is_authenticated
    kwargs = {"earlier": answers, "wards": wards, "answers": answers}
    final_initial = {
        "ward": response.ward_id if response else None,
        "notify_outcome": response.notify_outcome if response else False,
        "idempotency_key": request.session.get(_session_key(page), {}).get("key") or uuid.uuid4(),
    }
    data = request.POST if request.method == "POST" else None
    form = SectionForm(section, data, **kwargs)
    final = (
        FinalForm(data, wards=wards, signed_in=signed_in, initial=final_initial) if last else None
    )
    equality = EqualityForm(data) if last and page.ask_about_you else None
    missing = []

    if request.method == "POST":
        forms_valid = all(f.is_valid() for f in (form, final, equality) if f is not None)
        if forms_valid:
            here = {q.key for q in section.questions}
            merged = {k: v for k, v in answers.items() if k not in here} | form.answers
            action = request.POST.get("action", "continue")
            extras = {}
            if final is not None:
                extras["ward_id"] = final.cleaned_data["ward"]
                extras["notify_outcome"] = bool(final.cleaned_data.get("notify_outcome"))
            if action == "save" and signed_in:
                _keep_progress(request, page, merged, extras)
                messages.success(
                    request,
                    _("Your answers are saved. You can come back and finish before %(closes)s.")
                    % {"closes": timezone.localtime(page.closes_at).strftime("%-d %B %Y, %H:%M")},
                )
                return redirect(page.url)
            if not last:
                _keep_progress(request, page, merged)
                return redirect(page.url + page.reverse_subpage("respond_step", args=[step + 1]))
            try:
                sent, _changed = services.submit_response(
                    page,
                    answers=merged,
                    user=request.user if signed_in else None,
                    idempotency_key=final.cleaned_data["idempotency_key"] or uuid.uuid4(),
                    equality=equality.answers() if equality else None,
                    **extras,
                )
            except services.NotOpen:
                return _not_open(request, page, status=403)
            except services.Incomplete as incomplete:
                _keep_progress(request, page, merged, extras if signed_in else None)
                missing = _missing_links(page, incomplete.missing)
            else:
                if _session_key(page) in request.session:
                    del request.session[_session_key(page)]
                # The confirmation finds the response by a signed reference rather than a session,
                # so an anonymous one-page response costs no session write.
                reference = signing.dumps(str(sent.idempotency_key), salt=CONFIRMATION_SALT)
                return redirect(
                    page.url + page.reverse_subpage("confirmation") + f"?ref={reference}"
                )

    return TemplateResponse(
        request,
        "consultations/respond.html",
        {
            "page": page,
            "questions_html": _blank_questions_html(request, page, form, answers, wards),
            "section": section,
            "step": step,
            "steps": len(survey),
            "form": form,
            "final": final,
            "equality": equality,
            "missing": missing,
            "signed_in": signed_in,
            "editing": bool(response and response.status == Response.Status.SUBMITTED),
            "previous_url": (
                page.url + page.reverse_subpage("respond_step", args=[step - 1])
                if step > 1
                else page.url
            ),
            "error_forms": [f for f in (form, final, equality) if f is not None and f.errors],
        },
    )


# Blank question markup is kept this long (seconds); see _blank_questions_html.
BLANK_QUESTIONS_TIMEOUT = 600
_TEMPLATES_CHANGED = max(
    (settings.BASE_DIR / "templates" / name).stat().st_mtime
    for name in (
        "consultations/_questions.html",
        "consultations/_question.html",
        "consultations/_choice_field.html",
        "includes/field.html",
    )
)


def _blank_questions_html(request, page, form, answers, wards) -> str | None:
    """The markup of a section's questions with nothing filled in, from the cache.

    Most people open a survey page with no answers yet, and for them its questions render the same
    every time: only the questions themselves, the ward list, the language and the templates
    change it, and all of them are in the key (the templates by their files' time, so a deploy
    with new templates starts afresh). A page with answers, errors or a preview is rendered as
    usual. Thirty questions take about 30 ms to render and about 1 ms to read back.
    """
    if request.method != "GET" or answers or form.is_bound or getattr(request, "is_preview", False):
        return None
    fingerprint = hashlib.sha256(
        json.dumps(
            [
                list(page.questions.raw_data),
                form.section.index,
                wards,
                get_language(),
                _TEMPLATES_CHANGED,
            ],
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()
    key = f"consultations:blank-questions:{page.pk}:{fingerprint}"
    html = cache.get(key)
    if html is None:
        html = render_to_string("consultations/_questions.html", {"form": form}, request=request)
        cache.set(key, html, BLANK_QUESTIONS_TIMEOUT)
    return mark_safe(html)  # noqa: S308 - our own template's output, escaped when it was rendered


def _missing_links(page: ConsultationPage, missing) -> list[dict[str, str]]:
    """Each unanswered required question with a link to the page it is on."""
    links = []
    for question in missing:
        step = next(s.index for s in page.survey.sections if question in s.questions)
        links.append(
            {
                "label": question.label,
                "url": page.url
                + page.reverse_subpage("respond_step", args=[step])
                + f"#id_{question.field_name}",
            }
        )
    return links


def confirmation(request: HttpRequest, page: ConsultationPage) -> HttpResponse:
    response = None
    try:
        key = signing.loads(request.GET.get("ref", ""), salt=CONFIRMATION_SALT, max_age=86400)
    except signing.BadSignature:
        key = None
    sent = Response.objects.submitted().filter(consultation=page)
    if key:
        response = sent.filter(idempotency_key=key).first()
    elif request.user.is_authenticated:
        response = sent.filter(user=request.user).first()
    if response is None:
        return redirect(page.url)
    return TemplateResponse(
        request,
        "consultations/confirmation.html",
        {
            "page": page,
            "response": response,
            "reference": str(response.idempotency_key)[:8].upper(),
        },
    )


def public_results(request: HttpRequest, page: ConsultationPage) -> HttpResponse:
    from consultations.results import question_results, totals

    outcome = Outcome.objects.filter(consultation=page).first()
    if not (outcome and outcome.results_published_at):
        raise Http404
    return TemplateResponse(
        request,
        "consultations/public_results.html",
        {
            "page": page,
            "outcome": outcome if outcome.is_published else None,
            "totals": totals(page),
            "results": question_results(page, include_text=False),
        },
    )


def answers_for_display(page: ConsultationPage, answers: dict[str, Any]) -> list[tuple[Any, str]]:
    ward_names = dict(Area.objects.wards().values_list("pk", "name"))
    return [
        (question, display_value(question, answers.get(question.key), ward_names))
        for question in page.survey.questions
        if question.key in answers
    ]
