"""Co-design forums: forums, threads, posts, reactions, flags, live co-design sessions and the
persisted event log that the live thread page is fed from.

Every change a thread's readers should see live (a post, an edit, a reaction count, a hide, a pin,
a session's ideas and votes) is first written as a :class:`ThreadEvent` in the same transaction as
the change, then broadcast after commit (``forums.services``). A client that reconnects asks for
the events after the last id it saw, so nothing committed is ever lost to a dropped socket or a
channel layer that was briefly away.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engagement.models import Organisation

POST_MAX_LENGTH = 5000
IDEA_MAX_LENGTH = 280


class ForumQuerySet(models.QuerySet):
    def listed(self):
        """Forums shown on /forums/: open and archived ones, not drafts."""
        return self.exclude(state=Forum.State.DRAFT)

    def visible_to(self, user):
        """Forums ``user`` may read: open-to-all forums, and invited-members forums they belong to
        (facilitators and organisation staff of the forum included)."""
        listed = self.listed()
        if user.is_authenticated and user.is_superuser:
            return listed
        q = Q(access=Forum.Access.OPEN)
        if user.is_authenticated:
            q |= Q(members__user=user)
            q |= Q(organisations__in=user.organisation_ids())
        return listed.filter(q).distinct()


class Forum(models.Model):
    """A place for ongoing dialogue between residents, partners and services, run by one or more
    organisations and facilitated by named people."""

    class Access(models.TextChoices):
        OPEN = "open", _("Open to everyone with an account")
        INVITED = "invited", _("Invited members only (a co-design panel)")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        ARCHIVED = "archived", _("Archived (read only)")

    title = models.CharField(_("title"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    summary = models.TextField(_("summary"), max_length=1000, help_text=_("What the forum is for."))
    organisations = models.ManyToManyField(
        Organisation, related_name="forums", verbose_name=_("organisations")
    )
    consultation = models.ForeignKey(
        "consultations.ConsultationPage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="forums",
        verbose_name=_("linked consultation"),
    )
    access = models.CharField(
        _("who can take part"), max_length=10, choices=Access.choices, default=Access.OPEN
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ForumQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name = _("forum")
        verbose_name_plural = _("forums")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("forums:forum", args=[self.slug])

    @property
    def is_archived(self) -> bool:
        return self.state == self.State.ARCHIVED


class ForumMember(models.Model):
    """A person's place in a forum: a member of an invited panel, or a facilitator (who may pin,
    summarise, close, hide and run co-design sessions)."""

    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        FACILITATOR = "facilitator", _("Facilitator")

    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_memberships"
    )
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.MEMBER)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["forum", "user"], name="one_membership_per_forum"),
        ]
        indexes = [models.Index(fields=["user", "forum"], name="forum_member_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.forum} ({self.role})"


class Thread(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed to new posts")
        ARCHIVED = "archived", _("Archived")

    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="threads")
    title = models.CharField(_("title"), max_length=150)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    last_post_at = models.DateTimeField(default=timezone.now)
    post_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["forum", "-last_post_at"], name="thread_forum_recent"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("forums:thread", args=[self.forum.slug, self.pk])

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


class Post(models.Model):
    """Plain text (links are made safe when shown); a reply names the post it answers."""

    class Moderation(models.TextChoices):
        VISIBLE = "visible", _("Visible")
        HIDDEN = "hidden", _("Hidden by a facilitator")

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="forum_posts"
    )
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    body = models.TextField(_("post"), max_length=POST_MAX_LENGTH)
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    is_pinned = models.BooleanField(default=False)
    is_summary = models.BooleanField(default=False)
    moderation = models.CharField(
        max_length=10, choices=Moderation.choices, default=Moderation.VISIBLE
    )
    hidden_reason = models.CharField(max_length=300, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    agree_count = models.PositiveIntegerField(default=0)
    idea_count = models.PositiveIntegerField(default=0)
    question_count = models.PositiveIntegerField(default=0)
    open_flags = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["thread", "created_at"], name="post_thread_created"),
            models.Index(fields=["author"], name="post_author"),
            models.Index(fields=["open_flags"], name="post_flagged", condition=Q(open_flags__gt=0)),
        ]

    def __str__(self) -> str:
        return self.body[:60]

    def get_absolute_url(self) -> str:
        return f"{self.thread.get_absolute_url()}#post-{self.pk}"

    @property
    def is_hidden(self) -> bool:
        return self.moderation == self.Moderation.HIDDEN


class Reaction(models.Model):
    class Kind(models.TextChoices):
        AGREE = "agree", _("Agree")
        IDEA = "idea", _("Good idea")
        QUESTION = "question", _("Question")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_reactions"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post", "user", "kind"], name="one_reaction_of_a_kind_per_person"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.kind} {self.post_id}"


class PostFlag(models.Model):
    class Reason(models.TextChoices):
        PERSONAL = "personal", _("It attacks or names a person")
        OFFENSIVE = "offensive", _("It is offensive or abusive")
        PERSONAL_DATA = "personal_data", _("It shows personal information")
        SPAM = "spam", _("It is spam or advertising")
        OFF_TOPIC = "off_topic", _("It is off topic")
        OTHER = "other", _("Something else")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_flags"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "user"], name="one_flag_per_person_per_post"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} – {self.post_id}"


class CoDesignSession(models.Model):
    """A timed, facilitated burst of idea-gathering on a thread: participants add ideas and vote;
    when the facilitator closes it, the ranked ideas are posted to the thread as a summary."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="sessions")
    prompt = models.CharField(_("prompt"), max_length=300)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    summary_post = models.OneToOneField(
        Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["thread"],
                condition=Q(state="open"),
                name="one_open_session_per_thread",
            ),
        ]

    def __str__(self) -> str:
        return self.prompt

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    def accepts_ideas(self, now=None) -> bool:
        return self.is_open and (now or timezone.now()) < self.ends_at


class Idea(models.Model):
    session = models.ForeignKey(CoDesignSession, on_delete=models.CASCADE, related_name="ideas")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.CharField(_("idea"), max_length=IDEA_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)
    vote_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-vote_count", "created_at", "pk"]

    def __str__(self) -> str:
        return self.text


class IdeaVote(models.Model):
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["idea", "user"], name="one_vote_per_idea_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} for {self.idea_id}"


class ThreadEvent(models.Model):
    """One thing a thread's live readers must see, written before it is broadcast. Ids only grow,
    so "everything after id N" is an exact catch-up after a dropped connection.

    ``html`` holds the fragment to put on the page (rendered once, the same for every reader:
    controls that depend on who is reading are switched on by the page's script, and the server
    checks every action anyway); ``facilitator_html``, when set, is the variant facilitators see.
    """

    class Kind(models.TextChoices):
        POST = "post", _("New post")
        EDIT = "edit", _("Post edited")
        REACT = "react", _("Reactions changed")
        HIDE = "hide", _("Post hidden")
        RESTORE = "restore", _("Post restored")
        PIN = "pin", _("Post pinned or unpinned")
        THREAD = "thread", _("Thread state changed")
        SESSION = "session", _("Co-design session changed")

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    target = models.CharField(
        max_length=40, help_text="The id of the page element the event replaces or adds."
    )
    html = models.TextField()
    facilitator_html = models.TextField(blank=True)
    announcement = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["thread", "id"], name="event_thread_id")]

    def __str__(self) -> str:
        return f"{self.thread_id}#{self.pk} {self.kind} {self.target}"

    def message(self, facilitator: bool = False) -> dict:
        """What a live reader is sent."""
        return {
            "id": self.pk,
            "kind": self.kind,
            "target": self.target,
            "html": self.facilitator_html if facilitator and self.facilitator_html else self.html,
            "announce": self.announcement,
        }
