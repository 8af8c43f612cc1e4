"""Serving a Wagtail page in a constant, small number of queries, however deep it sits.

Wagtail finds the page for a URL in three steps, each with its own queries on every request:

1. the ``Site`` for the request's host (one query with a ``CASE`` ranking of the candidates);
2. the site's root page, made specific;
3. the tree walk: at each level the child with the next slug, then its specific object (two
   queries a level, each selecting every column of the page tree).

``/consultations/<slug>/respond/`` cost seven queries before the view ran, and every response a
resident sends paid them. :func:`serve` (the catch-all route in ``engagement/urls.py``) does the
same job with one cache read and two small queries:

1. the sites, their hosts and their root pages' ``url_path`` are kept in the cache (dropped
   when a site or a site's root page is saved or deleted, a page is moved or renamed, and again
   when that change commits; kept a minute at most), and the request's site is chosen from them
   by Wagtail's own rules (:func:`_choose`);
2. every page stores its path from the site's root in ``url_path`` (Wagtail keeps it up to date
   when a page is moved or renamed), so one query finds the deepest page on the requested path,
   and one more loads it, specific;
3. the rest of the path goes to that page's own ``route``, so routable pages (a consultation's
   ``respond/2/``) and 404s behave as before, and the page is served only when it is live.

The result is handed to Wagtail's ``serve`` exactly where Wagtail caches its own
(``request._wagtail_site`` and ``request._wagtail_route_for_request``), so the
``before_serve_page`` hooks (view restrictions), ``serve`` and everything after are Wagtail's.
While no page has a view restriction (one query that is never cached: privacy must not wait
for a cache), the pages (:class:`ViewRestrictionsMixin`) tell Wagtail's hook so without its two
queries.

The one difference from Wagtail's walk: a routable page higher up never sees a path that leads to
one of its descendants. No page type here both routes its own sub-paths and has children.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import split_domain_port
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_slug_changed, post_page_move

SITES_KEY = "pages_routing:sites:v1"
# A bound on staleness for the changes no signal reports (a site root's ancestor renamed).
SITES_TIMEOUT = 60


@dataclass(frozen=True)
class SiteRoot:
    site: Site
    url_path: str
    depth: int


def _sites() -> list[SiteRoot]:
    sites = cache.get(SITES_KEY)
    if sites is None:
        sites = [
            SiteRoot(site, site.root_page.url_path, site.root_page.depth)
            for site in Site.objects.select_related("root_page").order_by("pk")
        ]
        for entry in sites:
            # Keep the Site alone in the cache; its root page is loaded when asked for.
            entry.site._state.fields_cache.clear()
        cache.set(SITES_KEY, sites, SITES_TIMEOUT)
    return sites


def _forget_sites() -> None:
    """Drop the cached table now and again once the change is committed, so a request that
    read the old rows in between cannot put them back for long."""
    cache.delete(SITES_KEY)
    transaction.on_commit(lambda: cache.delete(SITES_KEY))


@receiver(post_save, sender=Site)
@receiver(post_delete, sender=Site)
@receiver(page_slug_changed)
@receiver(post_page_move)
def _site_changed(**kwargs) -> None:
    _forget_sites()


@receiver(post_save)
def _root_page_saved(sender, instance, **kwargs) -> None:
    """A site's root page saved (its path may have changed). Deleting a root page deletes its
    site, which is reported above."""
    if isinstance(instance, Page):
        cached = cache.get(SITES_KEY)
        if cached is None or any(entry.site.root_page_id == instance.pk for entry in cached):
            _forget_sites()


def _choose(sites: list[SiteRoot], hostname: str, port: int) -> SiteRoot | None:
    """Wagtail's choice of site for a host and port (``get_site_for_hostname`` in
    ``wagtail.models.sites``), made over the cached list: the host and port, else the host if it is
    the default site, else the default site unless exactly one other site has the host."""
    exact = [s for s in sites if s.site.hostname == hostname and s.site.port == port]
    if exact:
        return exact[0]
    default = next((s for s in sites if s.site.is_default_site), None)
    if default is not None and default.site.hostname == hostname:
        return default
    by_host = [s for s in sites if s.site.hostname == hostname]
    if default is not None:
        return by_host[0] if len(by_host) == 1 else default
    return by_host[0] if len(by_host) == 1 else None


def _site_for(request: HttpRequest) -> SiteRoot | None:
    try:
        hostname = split_domain_port(request.get_host())[0]
        port = int(request.get_port())
    except (KeyError, ValueError):
        return None  # Wagtail's own lookup decides
    return _choose(_sites(), hostname, port)


class ViewRestrictionsMixin:
    """For every page type: when no page has a view restriction at all (one tiny query, asked
    on every request so that a page made private is private at once), a page served through
    :func:`serve` skips Wagtail's two queries looking for its own and its ancestors'."""

    def get_view_restrictions(self):
        if getattr(self, "_no_view_restrictions", False):
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()


def route(root: SiteRoot, request: HttpRequest, components: list[str]):
    """The deepest page under ``root`` on the path, asked to route the rest of it."""
    prefixes = [root.url_path] + [
        root.url_path + "".join(f"{c}/" for c in components[:n])
        for n in range(1, len(components) + 1)
    ]
    found = (
        Page.objects.filter(url_path__in=prefixes, depth__gte=root.depth)
        .order_by("-depth")
        .values_list("pk", "content_type_id", "depth")
        .first()
    )
    if found is None:
        raise Http404
    pk, content_type_id, depth = found
    model = ContentType.objects.get_for_id(content_type_id).model_class() or Page
    try:
        page = model._default_manager.get(pk=pk)
    except model.DoesNotExist as gone:  # deleted since the query above
        raise Http404 from gone
    page._no_view_restrictions = not PageViewRestriction.objects.exists()
    return page.route(request, components[depth - root.depth :])


def serve(request: HttpRequest, path: str) -> HttpResponse:
    """Wagtail's page serving, with the site and the page found as described above."""
    from wagtail import views as wagtail_views

    # With translations on, Wagtail routes from the root page's translation for the request's
    # language; that is Wagtail's to do.
    root = None if settings.WAGTAIL_I18N_ENABLED else _site_for(request)
    if root is not None and not hasattr(request, "_wagtail_route_for_request"):
        request._wagtail_site = root.site
        try:
            request._wagtail_route_for_request = route(
                root, request, [c for c in path.split("/") if c]
            )
        except Http404:
            request._wagtail_route_for_request = None
    return wagtail_views.serve(request, path)
