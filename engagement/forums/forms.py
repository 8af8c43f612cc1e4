"""Forms for forums: a new thread, a post or reply, an edit, a report and a facilitator's hide.

Posts are plain text: stored as typed (stripped), escaped and made into safe links when shown.
"""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from engagement.forums.models import POST_MAX_LENGTH, Post, PostFlag, Thread

HIDE_REASON_MAX_LENGTH = Post._meta.get_field("hidden_reason").max_length

BODY_ERRORS = {
    "required": _("Write your post"),
    "max_length": _("Keep your post to %(limit_value)d characters or fewer"),
}


def _body_field(label) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=POST_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea,
        help_text=_(
            "Plain text. Links are shown as links. Be kind: talk about ideas and services, "
            "not about people."
        ),
        error_messages=BODY_ERRORS,
    )


class _IdempotentForm(forms.Form):
    """A resent form (double click, resend after a timeout) carries the same key, so it makes one
    thing, not two."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and not self.initial.get("idempotency_key"):
            self.initial["idempotency_key"] = uuid.uuid4()


class ThreadForm(_IdempotentForm):
    title = forms.CharField(
        label=_("Title"),
        max_length=Thread._meta.get_field("title").max_length,
        strip=True,
        help_text=_("A short question or topic, for example “What should the new play area have?”"),
        error_messages={
            "required": _("Give the thread a title"),
            "max_length": _("Keep the title to %(limit_value)d characters or fewer"),
        },
    )
    body = _body_field(_("Opening post"))

    field_order = ["title", "body", "idempotency_key"]


class PostForm(_IdempotentForm):
    """A post or a reply: ``reply_to`` names a visible post of the same thread."""

    body = _body_field(_("Your post"))
    reply_to = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, thread: Thread | None = None, **kwargs):
        self.thread = thread
        super().__init__(*args, **kwargs)

    def clean_reply_to(self) -> Post | None:
        pk = self.cleaned_data.get("reply_to")
        if pk is None:
            return None
        post = (
            Post.objects.filter(pk=pk, thread=self.thread, moderation=Post.Moderation.VISIBLE)
            .select_related("author")
            .first()
        )
        if post is None:
            raise forms.ValidationError(
                _("The post you are replying to is not in this thread any more"), code="reply_to"
            )
        return post


class EditPostForm(forms.Form):
    body = _body_field(_("Your post"))


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What is wrong with this post?"),
        choices=PostFlag.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what is wrong with this post")},
    )
    note = forms.CharField(
        label=_("Anything else the facilitators should know (optional)"),
        required=False,
        strip=True,
        max_length=PostFlag._meta.get_field("note").max_length,
        error_messages={"max_length": _("Keep the note to %(limit_value)d characters or fewer")},
    )


class HideForm(forms.Form):
    """A facilitator's reason for hiding a post: its author sees it."""

    reason = forms.CharField(
        label=_("Why are you hiding this post?"),
        max_length=HIDE_REASON_MAX_LENGTH,
        strip=True,
        help_text=_("The author sees this reason."),
        error_messages={
            "required": _("Give the reason for hiding the post"),
            "max_length": _("Keep the reason to %(limit_value)d characters or fewer"),
        },
    )


class ThreadStateForm(forms.Form):
    state = forms.ChoiceField(
        choices=Thread.State.choices,
        error_messages={
            "required": _("Choose open, closed or archived"),
            "invalid_choice": _("Choose open, closed or archived"),
        },
    )
