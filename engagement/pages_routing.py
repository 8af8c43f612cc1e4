"""Serving a page in a constant number of queries, however deep it sits.

Wagtail routes a URL one level at a time: at each level it fetches the child with that slug and
then its specific object, two queries per level, each selecting every column of the page tree.
``/consultations/<slug>/respond/`` costs five page queries before the view runs, and every
response a resident sends pays them.

Every page already stores its full path from its site's root in ``url_path`` (Wagtail keeps it up
to date when a page is moved or renamed), so the site's root page can find the deepest page on the
requested path in one small query and load it, specific, in one more. The rest of the path is
handed to that page's own ``route``, so routable pages (a consultation's ``respond/2/``) and 404s
behave as before. Unpublished pages on the way are passed over exactly as Wagtail's own routing
passes over them, and the page found is served only when it is live.

The one difference: a routable page higher up never sees a path that leads to one of its
descendants. No page type here routes its own sub-paths and has children, and a page type that
ever does should not take this shortcut.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from wagtail.models import Page


class DirectRoutingMixin:
    """For a site's root page: route straight to the deepest page on the path."""

    def route(self, request, path_components):
        if not path_components:
            return super().route(request, path_components)
        prefixes = [
            self.url_path + "".join(f"{c}/" for c in path_components[:n])
            for n in range(1, len(path_components) + 1)
        ]
        found = (
            Page.objects.filter(url_path__in=prefixes, depth__gt=self.depth)
            .order_by("-depth")
            .values_list("pk", "content_type_id", "depth")
            .first()
        )
        if found is None:
            return super().route(request, path_components)
        pk, content_type_id, depth = found
        model = ContentType.objects.get_for_id(content_type_id).model_class() or Page
        page = model._default_manager.get(pk=pk)
        return page.route(request, path_components[depth - self.depth :])
