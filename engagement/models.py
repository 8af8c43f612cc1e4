"""The shared core: people, organisations, the place and its taxonomies, and the home page."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.fields import StreamField
from wagtail.models import Page

from engagement import blocks
from engagement.pages_routing import ViewRestrictionsMixin

# --- People ---------------------------------------------------------------------------------------


class UserManager(BaseUserManager):
    """Users are identified by email address; there is no username."""

    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person with an account. Residents, partners, officers and moderators are all users;
    what they may do comes from their memberships of organisations."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(
        _("display name"),
        max_length=80,
        help_text=_("The name other people see next to what you post."),
    )
    mfa_exempt = models.BooleanField(
        _("exempt from two-factor authentication"),
        default=False,
        help_text=_("Only for demonstration accounts. Officers and moderators otherwise need MFA."),
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = ["display_name"]

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name

    def organisation_ids(self, *roles: str) -> set[int]:
        """Ids of the organisations this user belongs to, optionally only in the given roles.

        Cached on the instance so a page that asks many permission questions queries once.
        """
        if not self.is_authenticated or not self.pk:
            return set()
        cache = self.__dict__.get("_membership_cache")
        if cache is None:
            cache = list(self.memberships.values_list("organisation_id", "role"))
            self.__dict__["_membership_cache"] = cache
        return {org for org, role in cache if not roles or role in roles}

    @property
    def is_staff_role(self) -> bool:
        """Officers and moderators hold duties that need two-factor authentication."""
        return bool(self.organisation_ids(Membership.Role.OFFICER, Membership.Role.MODERATOR))


# --- Organisations --------------------------------------------------------------------------------


class OrganisationQuerySet(models.QuerySet):
    def managed_by(self, user):
        """The organisations ``user`` administers: all for a superuser, else those they are an
        officer of."""
        if user.is_superuser:
            return self
        return self.filter(pk__in=user.organisation_ids(Membership.Role.OFFICER))


class Organisation(models.Model):
    """A body that publishes or co-owns engagement: a council, the NHS, a VCSE group..."""

    class Kind(models.TextChoices):
        COUNTY_COUNCIL = "county", _("County council")
        DISTRICT_COUNCIL = "district", _("District council")
        UNITARY_COUNCIL = "unitary", _("Unitary council")
        PARISH_COUNCIL = "parish", _("Parish or town council")
        NHS = "nhs", _("NHS / integrated care partnership")
        FIRE = "fire", _("Fire and rescue")
        POLICE = "police", _("Police")
        VCSE = "vcse", _("VCSE organisation")
        BUSINESS = "business", _("Business")
        UNIVERSITY = "university", _("University")

    PUBLIC_BODY_KINDS = frozenset(
        {
            Kind.COUNTY_COUNCIL,
            Kind.DISTRICT_COUNCIL,
            Kind.UNITARY_COUNCIL,
            Kind.PARISH_COUNCIL,
            Kind.NHS,
            Kind.FIRE,
            Kind.POLICE,
        }
    )

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    website = models.URLField(_("website"), blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    areas = models.ManyToManyField(
        "engagement.Area", blank=True, related_name="organisations", verbose_name=_("areas served")
    )
    members = models.ManyToManyField(
        User, through="engagement.Membership", related_name="organisations"
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    @property
    def is_public_body(self) -> bool:
        return self.kind in self.PUBLIC_BODY_KINDS


class MembershipQuerySet(models.QuerySet):
    def officers(self):
        return self.filter(role=Membership.Role.OFFICER)

    def managed_by(self, user):
        """Memberships ``user`` may administer: those of organisations they are an officer of."""
        if user.is_superuser:
            return self
        return self.filter(organisation_id__in=user.organisation_ids(Membership.Role.OFFICER))

    def staff_roles(self):
        """Memberships whose holders must use two-factor authentication."""
        return self.filter(role__in=[Membership.Role.OFFICER, Membership.Role.MODERATOR])


class Membership(models.Model):
    """A user's role in one organisation."""

    class Role(models.TextChoices):
        OFFICER = "officer", _("Officer")
        MODERATOR = "moderator", _("Moderator / facilitator")
        PARTNER = "partner", _("Partner")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="one_membership_per_user_and_organisation"
            ),
        ]
        indexes = [models.Index(fields=["user", "role"])]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.organisation}"

    def is_last_officer(self) -> bool:
        """Whether removing or demoting this membership would leave its organisation with no
        officer to administer it."""
        return (
            self.pk is not None
            and Membership.objects.filter(pk=self.pk, role=Membership.Role.OFFICER).exists()
            and not Membership.objects.officers()
            .filter(organisation_id=self.organisation_id)
            .exclude(pk=self.pk)
            .exists()
        )


# --- The place ------------------------------------------------------------------------------------


def validate_boundary(geometry) -> None:
    """A GeoJSON Polygon or MultiPolygon in WGS84: closed rings of at least four positions, each
    a [longitude, latitude] pair within range."""
    if geometry in (None, ""):
        return
    invalid = ValidationError(
        _("Enter a GeoJSON Polygon or MultiPolygon with [longitude, latitude] coordinates."),
        code="invalid_boundary",
    )
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise invalid
    polygons = geometry.get("coordinates")
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    if not isinstance(polygons, list) or not polygons:
        raise invalid
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise invalid
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4 or ring[0] != ring[-1]:
                raise invalid
            for position in ring:
                if (
                    not isinstance(position, list | tuple)
                    or len(position) < 2
                    or not all(isinstance(c, int | float) for c in position[:2])
                    or not -180 <= position[0] <= 180
                    or not -90 <= position[1] <= 90
                ):
                    raise invalid


class AreaQuerySet(models.QuerySet):
    def wards(self):
        return self.filter(kind=Area.Kind.WARD)

    def districts(self):
        return self.filter(kind=Area.Kind.DISTRICT)

    def covering(self, area: Area):
        """The area itself and every area that contains it (its district and the county)."""
        ids = [area.pk]
        if area.parent_id:
            ids.append(area.parent_id)
            if area.parent and area.parent.parent_id:
                ids.append(area.parent.parent_id)
        return self.filter(pk__in=ids)


class Area(models.Model):
    """A county, a district within it, or a ward within a district."""

    class Kind(models.TextChoices):
        COUNTY = "county", _("County (the whole place)")
        DISTRICT = "district", _("District")
        WARD = "ward", _("Ward")

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    code = models.CharField(_("statistical code"), max_length=12, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    population = models.PositiveIntegerField(_("population"), default=0)
    boundary = models.JSONField(
        _("boundary"),
        null=True,
        blank=True,
        validators=[validate_boundary],
        help_text=_("A GeoJSON Polygon or MultiPolygon geometry in WGS84 (longitude, latitude)."),
    )
    pins_premoderated = models.BooleanField(
        _("check pins before they are published"),
        default=False,
        help_text=_(
            "New pride and shame pins here (in this area or any area inside it) wait for a "
            "moderator before the public sees them."
        ),
    )
    # The boundary's bounding box, kept beside it so areas can be found by viewport in SQL.
    min_lon = models.FloatField(null=True, blank=True, editable=False)
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lon = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)

    objects = AreaQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="county", parent__isnull=True)
                | Q(kind__in=["district", "ward"], parent__isnull=False),
                name="area_parent_matches_kind",
            ),
        ]
        indexes = [models.Index(fields=["kind", "name"])]
        verbose_name = _("area")
        verbose_name_plural = _("areas")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.min_lon, self.min_lat, self.max_lon, self.max_lat = bounding_box(self.boundary)
        super().save(*args, **kwargs)


def bounding_box(geometry: dict | None) -> tuple[float | None, ...]:
    """(min_lon, min_lat, max_lon, max_lat) of a GeoJSON Polygon/MultiPolygon, or Nones."""
    if not geometry:
        return (None, None, None, None)
    rings = geometry["coordinates"]
    if geometry.get("type") == "MultiPolygon":
        rings = [ring for polygon in rings for ring in polygon]
    points = [point for ring in rings for point in ring]
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    return (min(lons), min(lats), max(lons), max(lats))


# --- Taxonomies -----------------------------------------------------------------------------------


class Taxonomy(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class Audience(Taxonomy):
    """Who an engagement is for: everyone, young people, carers..."""

    class Meta(Taxonomy.Meta):
        verbose_name = _("audience")
        verbose_name_plural = _("audiences")


class ServiceCategory(Taxonomy):
    """A neighbourhood service, used to categorise pins and as a topic of engagement."""

    class Meta(Taxonomy.Meta):
        verbose_name = _("neighbourhood service category")
        verbose_name_plural = _("neighbourhood service categories")


class EngagementMode(models.TextChoices):
    """How an organisation engages; proactive is the standard to strive for."""

    REACTIVE = "reactive", _("Reactive")
    DIRECTIVE = "directive", _("Directive")
    PROACTIVE = "proactive", _("Proactive")


class EngagementStage(models.TextChoices):
    AGENDA_SETTING = "agenda", _("Agenda-setting")
    DESIGN = "design", _("Design")
    REFINEMENT = "refinement", _("Refinement")
    DELIVERY = "delivery", _("Delivery")
    REVIEW = "review", _("Review")


class AskLevel(models.TextChoices):
    INFORM = "inform", _("Inform (no ask)")
    LIGHT = "light", _("Light (a few minutes)")
    HEAVY = "heavy", _("Heavy (an hour or more)")


# --- Pages ----------------------------------------------------------------------------------------


class HomePage(ViewRestrictionsMixin, Page):
    """The front door of the place: what is happening and where to take part."""

    introduction = models.TextField(_("introduction"), blank=True)
    body = StreamField(blocks.HomeStreamBlock(), blank=True, use_json_field=True)

    content_panels = [*Page.content_panels, "introduction", "body"]
    max_count = 1
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("home page")


class StandardPage(ViewRestrictionsMixin, Page):
    """A page of plain content: the accessibility statement, the privacy notice, help."""

    summary = models.TextField(_("summary"), blank=True)
    body = StreamField(blocks.ContentStreamBlock(), blank=True, use_json_field=True)
    last_reviewed = models.DateField(_("last reviewed"), null=True, blank=True)

    content_panels = [*Page.content_panels, "summary", "body", "last_reviewed"]
    parent_page_types = ["engagement.HomePage", "engagement.StandardPage"]
    subpage_types = ["engagement.StandardPage"]

    class Meta:
        verbose_name = _("standard page")
