"""Officers' pages for a consultation: results, free-text themes, exports and the outcome.

Every view takes the consultation's id from the URL and checks a permission on it: anonymous
visitors are sent to sign in, signed-in users without the permission get 403, an unknown id 404.
Nothing here changes data on GET.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest, PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from wagtail.log_actions import log

from consultations import exports, services
from consultations.forms import OutcomeForm, TagForm, ThemeForm
from consultations.models import Answer, ClosingRecord, ConsultationPage, Outcome, Theme
from consultations.results import (
    equality_summary,
    has_written_answers,
    question_results,
    reach_by_ward,
    totals,
)
from consultations.survey import OTHER, Question

ANSWERS_PER_PAGE = 25


def consultation_view(permission: str) -> Callable:
    """Resolve ``pk`` to the consultation and require ``permission`` on it.

    The view is called with the consultation in place of the id, and its response is never cached.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @never_cache
        def wrapper(request: HttpRequest, pk: int, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            page = get_object_or_404(ConsultationPage, pk=pk)
            if not request.user.has_perm(permission, page):
                raise PermissionDenied
            return view(request, page, *args, **kwargs)

        return wrapper

    return decorator


def _permissions(request: HttpRequest, page: ConsultationPage) -> dict[str, bool]:
    return {
        name: request.user.has_perm(f"consultations.{name}", page)
        for name in ("view_results", "export_results", "publish_outcome", "theme_answers")
    }


# --- Results ------------------------------------------------------------------------------------


@require_GET
@consultation_view("consultations.view_results")
def results(request: HttpRequest, page: ConsultationPage) -> HttpResponse:
    """Everything the consultation heard, counted: totals, each question, reach and equality."""
    return TemplateResponse(
        request,
        "consultations/staff/results.html",
        {
            "page": page,
            "status": page.status(),
            "totals": totals(page),
            "results": question_results(page, include_text=True),
            "reach": reach_by_ward(page),
            "equality": equality_summary(page),
            "closing_record": ClosingRecord.objects.filter(consultation=page).first(),
            "outcome": Outcome.objects.filter(consultation=page).first(),
            "can": _permissions(request, page),
        },
    )


# --- Free-text answers and themes ---------------------------------------------------------------


def _text_question(page: ConsultationPage, key: str) -> Question:
    """The question, if it can carry written answers; 404 otherwise."""
    question = page.survey.question(key)
    if question is None or not has_written_answers(question):
        raise Http404
    return question


def _id_or_404(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise Http404 from None


@require_http_methods(["GET", "POST"])
@consultation_view("consultations.theme_answers")
def text_answers(request: HttpRequest, page: ConsultationPage, key: str) -> HttpResponse:
    """Read one question's written answers, search them, filter them by theme, and theme them."""
    question = _text_question(page, key)
    theme_form, tag_form = ThemeForm(consultation=page), None
    if request.method == "POST":
        handled = _theme(request, page, question)
        if isinstance(handled, HttpResponse):
            return handled
        theme_form = handled if isinstance(handled, ThemeForm) else theme_form
        tag_form = handled if isinstance(handled, TagForm) else None

    themes = list(
        Theme.objects.filter(consultation=page).annotate(
            uses=Count("answers", filter=Q(answers__question=question.key))
        )
    )
    search = " ".join(request.GET.get("q", "").split())[:200]
    chosen = request.GET.get("theme", "")
    chosen_theme = None
    answers = _written(page, question)
    if search:
        answers = answers.filter(text__icontains=search)
    if chosen == "none":
        answers = answers.filter(themes__isnull=True)
    elif chosen:
        chosen_theme = next((t for t in themes if t.pk == _id_or_404(chosen)), None)
        if chosen_theme is None:
            raise Http404
        answers = answers.filter(themes=chosen_theme)
    paginator = Paginator(answers.prefetch_related("themes").order_by("-pk"), ANSWERS_PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("page"))
    errors = [(f"#{theme_form['name'].auto_id}", e) for e in theme_form.errors.get("name", [])]
    if tag_form is not None:
        errors += [
            (f"#theme-for-{tag_form.answer_id}", e) for e in tag_form.errors.get("theme", [])
        ]
    return TemplateResponse(
        request,
        "consultations/staff/text_answers.html",
        {
            "page": page,
            "question": question,
            "is_other": question.type == "multiple_choice",
            "theme_form": theme_form,
            "tag_form": tag_form,
            # base.html marks the page title "Error:" when the form has errors.
            "form": tag_form or theme_form,
            "errors": errors,
            "themes": themes,
            "search": search,
            "chosen": chosen,
            "chosen_theme": chosen_theme,
            "page_obj": page_obj,
            "answers": page_obj.object_list,
            "query": urlencode({k: v for k, v in (("q", search), ("theme", chosen)) if v}),
            "can": _permissions(request, page),
        },
    )


def _theme(
    request: HttpRequest, page: ConsultationPage, question: Question
) -> HttpResponse | ThemeForm | TagForm:
    """Carry out a theming POST: a redirect when it worked, else the form that holds the errors.

    Ids that are not this question's answers or this consultation's themes are 404s.
    """
    action = request.POST.get("action")
    if action == "create-theme":
        theme_form = ThemeForm(request.POST, consultation=page)
        if not theme_form.is_valid():
            return theme_form
        theme = theme_form.save()
        messages.success(request, _("Theme “%(name)s” added.") % {"name": theme.name})
        return redirect(request.get_full_path())
    if action not in {"add-theme", "remove-theme"}:
        raise BadRequest
    tag_form = TagForm(request.POST)
    answer = get_object_or_404(_written(page, question), pk=_id_or_404(request.POST.get("answer")))
    if not tag_form.is_valid():
        tag_form.answer_id = answer.pk
        return tag_form
    theme = get_object_or_404(
        Theme, consultation=page, pk=_id_or_404(tag_form.cleaned_data["theme"])
    )
    if action == "add-theme":
        answer.themes.add(theme)
        done = _("Theme “%(name)s” added to the answer.")
    else:
        answer.themes.remove(theme)
        done = _("Theme “%(name)s” taken off the answer.")
    messages.success(request, done % {"name": theme.name})
    return redirect(f"{request.get_full_path()}#answer-{answer.pk}")


def _written(page: ConsultationPage, question: Question):
    """The question's answers that have words in them."""
    answers = Answer.objects.filter(consultation=page, question=question.key).exclude(text="")
    if question.type == "multiple_choice":
        answers = answers.filter(option=OTHER)
    return answers


# --- Exports ------------------------------------------------------------------------------------


def _filename(page: ConsultationPage, extension: str) -> str:
    return f"{page.slug}-responses-{timezone.localdate():%Y-%m-%d}.{extension}"


@require_GET
@consultation_view("consultations.export_results")
def export_csv(request: HttpRequest, page: ConsultationPage) -> HttpResponse:
    """Every submitted response as a CSV row (formula-safe), streamed."""
    return exports.download(
        request,
        exports.csv_chunks(page),
        content_type="text/csv; charset=utf-8",
        filename=_filename(page, "csv"),
    )


@require_GET
@consultation_view("consultations.export_results")
def export_json(request: HttpRequest, page: ConsultationPage) -> HttpResponse:
    """Every submitted response with its answers keyed by question, streamed as JSON."""
    return exports.download(
        request,
        exports.json_chunks(page),
        content_type="application/json",
        filename=_filename(page, "json"),
    )


# --- Outcome and publishing ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@consultation_view("consultations.publish_outcome")
def outcome(request: HttpRequest, page: ConsultationPage) -> HttpResponse:
    """Write "We asked, you said, we did": save a draft at any time, publish once closed."""
    existing = Outcome.objects.filter(consultation=page).first() or Outcome(consultation=page)
    form = OutcomeForm(instance=existing)
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in {"save", "publish"}:
            raise BadRequest
        # What a published outcome says is public at once, so every change to it is a publication.
        if existing.is_published:
            action = "publish"
        form = OutcomeForm(request.POST, instance=existing, publishing=action == "publish")
        if form.is_valid():
            with transaction.atomic():
                saved = form.save()
                if action == "publish":
                    first_time = services.publish_outcome(saved, by=request.user)
                    messages.success(
                        request,
                        _("The outcome is published. Respondents who asked are being emailed.")
                        if first_time
                        else _("The published outcome is updated."),
                    )
                else:
                    messages.success(request, _("Your draft is saved."))
            return redirect("consultations:outcome", page.pk)
    return TemplateResponse(
        request,
        "consultations/staff/outcome.html",
        {
            "page": page,
            "form": form,
            "outcome": existing if existing.pk else None,
            "closed": page.is_closed(),
            "can": _permissions(request, page),
        },
    )


@require_POST
@consultation_view("consultations.publish_outcome")
def publish_results(request: HttpRequest, page: ConsultationPage) -> HttpResponse:
    """Publish the results on the consultation's public page, or take them down."""
    action = request.POST.get("action")
    if action not in {"publish", "unpublish"}:
        raise BadRequest
    if action == "publish" and not page.is_closed():
        messages.error(request, _("You can publish the results once the consultation has closed."))
        return redirect(f"{reverse('consultations:results', args=[page.pk])}#publish")
    with transaction.atomic():
        record, _created = Outcome.objects.select_for_update().get_or_create(consultation=page)
        was_published = record.results_published_at is not None
        if action == "publish":
            record.results_published_at = record.results_published_at or timezone.now()
            done = _("The results are published on the consultation page.")
        else:
            record.results_published_at = None
            done = _("The results are no longer published.")
        record.save(update_fields=["results_published_at", "updated_at"])
        # The audit log records each change of what the public can see, not a repeated click.
        if was_published != (action == "publish"):
            logged = (
                "consultations.results_published"
                if action == "publish"
                else "consultations.results_unpublished"
            )
            log(instance=page, action=logged, user=request.user)
    messages.success(request, done)
    return redirect(f"{reverse('consultations:results', args=[page.pk])}#publish")
