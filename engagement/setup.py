"""The pages every installation needs, created idempotently by ``manage.py setup_site``.

A fresh database holds Wagtail's placeholder "Welcome" page; this replaces it with the platform's
home page, the consultation hub, the accessibility statement and the privacy notice, and points the
default site at the new home page. Pages an editor has already changed are left alone. It also sets
up the CMS side of consultations: the "Consultation officers" group (brought in step with officer
memberships on every run) and the "Consultation review" workflow on the hub.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from wagtail.models import Page, Site

from consultations.models import ConsultationIndexPage
from consultations.permissions import ensure_officer_group
from consultations.workflow import ensure_review_workflow
from engagement.models import HomePage, StandardPage

# Initial CMS content: translated into the site's language when the page is first created, then
# owned by editors (who translate it in Wagtail like any other content).
SECTION_LINKS = [
    (
        "/consultations/",
        N_("Consultations"),
        N_(
            "Find every open consultation in the place, whoever runs it, and see what happened after."
        ),
    ),
    (
        "/places/",
        N_("Pride and shame map"),
        N_("Pin the places you are proud of and the places you are ashamed of."),
    ),
    (
        "/forums/",
        N_("Co-design forums"),
        N_("Work with services and neighbours on what happens next."),
    ),
    (
        "/calendar/",
        N_("Engagement calendar"),
        N_("Every drop-in, survey and event in one calendar, with feeds for your own."),
    ),
]

ACCESSIBILITY_STATEMENT = [
    (
        "paragraph",
        "<p>This statement applies to this engagement platform. It is run by the councils, "
        "NHS and voluntary and community organisations of the place, and built so that as many people "
        "as possible can use it. You should be able to:</p><ul><li>change colours, contrast levels and "
        "fonts using your browser or device settings</li><li>zoom in up to 400% without the text "
        "spilling off the screen</li><li>navigate and take part using just a keyboard</li><li>take part "
        "without JavaScript</li><li>use the site with a screen reader</li></ul>",
    ),
    ("heading", "How accessible this website is"),
    (
        "paragraph",
        "<p>We test every page a resident or partner sees against the Web Content "
        "Accessibility Guidelines (WCAG) version 2.2 at AA standard, with automated checks in a real "
        "browser on every change and with manual keyboard testing. Where we know of a problem we list "
        "it here with the date we expect to fix it.</p>",
    ),
    ("heading", "Feedback and contact information"),
    (
        "paragraph",
        "<p>If you need information on this website in a different format, such as "
        "accessible PDF, large print, easy read, audio recording or braille, contact the organisation "
        "that runs the consultation or activity. We will consider your request and get back to you "
        "within 5 working days.</p>",
    ),
    ("heading", "Enforcement procedure"),
    (
        "paragraph",
        "<p>The Equality and Human Rights Commission (EHRC) is responsible for enforcing "
        "the Public Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations "
        "2018. If you are not happy with how we respond to your complaint, contact the Equality "
        "Advisory and Support Service (EASS).</p>",
    ),
    ("heading", "Compliance status"),
    (
        "paragraph",
        "<p>This website is designed to be fully compliant with the Web Content "
        "Accessibility Guidelines version 2.2 AA standard.</p>",
    ),
]

PRIVACY_NOTICE = [
    (
        "paragraph",
        "<p>This notice explains what personal data the platform holds about you, why, "
        "and your rights. Each consultation also names the organisation responsible for it (the data "
        "controller for your answers).</p>",
    ),
    ("heading", "What we hold"),
    (
        "paragraph",
        "<ul><li>Your account: email address, display name and password (stored only as "
        "a secure hash), and two-factor authentication details if you turn them on.</li><li>What you "
        "contribute: consultation responses, pins on the map, forum posts and activities.</li><li>Your "
        "preferences: the areas and topics you follow and how often you want to hear from us.</li></ul>",
    ),
    ("heading", "Why we hold it"),
    (
        "paragraph",
        "<p>Consultation responses are processed to carry out the public task of the "
        "organisation running the consultation. Equality monitoring questions are always optional, "
        "always offer \u201cprefer not to say\u201d, are stored apart from your answers and are only "
        "ever reported in aggregate, with small numbers hidden.</p>",
    ),
    ("heading", "How long we keep it"),
    (
        "paragraph",
        "<p>Each consultation states how long responses are kept. When you delete your "
        "account we remove your personal data and keep your contributions only in anonymous form, so "
        "published totals do not change.</p>",
    ),
    ("heading", "Your rights"),
    (
        "paragraph",
        "<p>You can ask for a copy of your data, ask us to correct it, or delete your "
        "account. If you are unhappy with how your data is handled you can complain to the Information "
        "Commissioner's Office (ICO).</p>",
    ),
]


def _stream(blocks: list[tuple[str, str]]) -> list[dict]:
    return [{"type": kind, "value": value} for kind, value in blocks]


def home_body() -> list[dict]:
    links = [
        {"title": _(title), "description": _(description), "page": None, "url": url}
        for url, title, description in SECTION_LINKS
    ]
    return [{"type": "section_links", "value": {"heading": _("Take part"), "links": links}}]


@transaction.atomic
def ensure_site_structure(site_name: str = "Common Ground") -> HomePage:
    """Create (or find) the home page and its fixed children; return the home page."""
    root = Page.get_first_root_node()
    home = HomePage.objects.first()
    if home is None:
        home = HomePage(
            title=_("Have your say in your place"),
            slug="home",
            introduction=_(
                "One front door to every consultation, forum, map and activity run by the "
                "councils, the NHS and community organisations where you live."
            ),
            body=home_body(),
        )
        # Wagtail's placeholder welcome page holds the "home" slug until it is removed.
        for placeholder in root.get_children().exclude(content_type__model="homepage"):
            if placeholder.specific_class is Page:
                placeholder.delete()
        root.add_child(instance=home)
        home.save_revision().publish()

    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost", port=80, root_page=home, is_default_site=True, site_name=site_name
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.site_name = site_name
        site.save()

    _ensure_child(
        home,
        StandardPage,
        "accessibility",
        _("Accessibility statement"),
        summary=_("How accessible this platform is and how to tell us about a problem."),
        body=_stream(ACCESSIBILITY_STATEMENT),
    )
    _ensure_child(
        home,
        StandardPage,
        "privacy",
        _("Privacy notice"),
        summary=_("What personal data we hold about you, why, and your rights."),
        body=_stream(PRIVACY_NOTICE),
    )
    hub = _ensure_child(
        home,
        ConsultationIndexPage,
        "consultations",
        _("Consultations"),
        introduction=_("Every consultation in the place, whichever organisation runs it."),
    )
    # Officers publish consultations in the CMS: the group that lets them in (kept in step with
    # officer memberships) and the review by a second officer that every consultation goes through.
    ensure_officer_group(hub)
    ensure_review_workflow(hub)
    return home


def _ensure_child(parent: Page, page_class: type[Page], slug: str, title: str, **fields) -> Page:
    existing = parent.get_children().filter(slug=slug).first()
    if existing is not None:
        return existing.specific
    page = page_class(title=title, slug=slug, **fields)
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page
