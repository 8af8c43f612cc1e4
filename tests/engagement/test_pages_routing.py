"""Page serving through engagement.pages_routing: same pages, same 404s, same privacy, fewer
queries; and the cached site table follows every change to sites, root pages and restrictions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.models.sites import get_site_for_hostname

from engagement.models import StandardPage
from engagement.pages_routing import SiteRoot, _choose
from tests.factories import consultation_page, question, section


def _page_queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries if "wagtailcore_" in q["sql"]]


def test_a_deep_page_is_found_in_two_page_queries(client, site_structure, council):
    page = consultation_page(council, questions=[section("One", question("short_text", "Why?"))])
    client.get(page.url)  # warm the cached site table
    tree = _page_queries(client, page.url + "respond/")
    # The deepest page on the path, the page itself, and whether any page is private at all; no
    # Site lookup, no walk down the tree, no look at the page's ancestors.
    assert len(tree) == 3, tree
    assert not any("wagtailcore_site" in sql for sql in tree)
    assert sum("wagtailcore_pageviewrestriction" in sql for sql in tree) == 1


def test_unknown_paths_and_unknown_sub_paths_are_404(client, site_structure, council):
    page = consultation_page(council)
    assert client.get("/no-such-page/").status_code == 404
    assert client.get("/consultations/no-such-consultation/").status_code == 404
    assert client.get(page.url + "no-such-route/").status_code == 404


def test_a_draft_page_is_404_but_its_published_siblings_are_served(client, site_structure, council):
    page = consultation_page(council)
    assert client.get(page.url).status_code == 200
    page.unpublish()
    assert client.get(page.url).status_code == 404
    assert client.get("/consultations/").status_code == 200


def test_a_renamed_section_moves_its_pages_at_once(client, site_structure, council):
    page = consultation_page(council)
    assert client.get(page.url).status_code == 200
    hub = page.get_parent().specific
    hub.slug = "have-your-say"
    hub.save_revision().publish()
    assert client.get("/have-your-say/" + page.slug + "/").status_code == 200
    assert client.get("/consultations/" + page.slug + "/").status_code == 404


def test_a_private_page_stays_private(client, site_structure, council, resident):
    page = consultation_page(council)
    assert client.get(page.url).status_code == 200
    restriction = PageViewRestriction.objects.create(page=page, restriction_type="groups")
    restriction.groups.add(Group.objects.create(name="Panel"))
    client.force_login(resident)
    assert client.get(page.url).status_code in {302, 403}
    restriction.delete()
    assert client.get(page.url).status_code == 200


def test_a_restriction_on_an_ancestor_covers_its_descendants(client, site_structure, council):
    page = consultation_page(council)
    PageViewRestriction.objects.create(page=page.get_parent(), restriction_type="login")
    response = client.get(page.url)
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_renamed_site_root_moves_its_site_at_once(client, site_structure):
    assert client.get("/consultations/").status_code == 200
    home = Site.objects.get(is_default_site=True).root_page.specific
    home.slug = "new-home"
    home.save_revision().publish()
    assert client.get("/consultations/").status_code == 200
    assert client.get("/").status_code == 200


def test_a_new_site_is_routed_without_waiting_for_the_cache(client, site_structure, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "elsewhere.test"]
    home = Site.objects.get(is_default_site=True).root_page
    other_root = home.get_parent().add_child(
        instance=StandardPage(title="Elsewhere", slug="elsewhere")
    )
    other_root.add_child(instance=StandardPage(title="About", slug="about"))
    assert client.get("/about/", HTTP_HOST="elsewhere.test").status_code == 404
    Site.objects.create(hostname="elsewhere.test", port=80, root_page=other_root)
    response = client.get("/about/", HTTP_HOST="elsewhere.test")
    assert response.status_code == 200 and b"About" in response.content
    # The default site is untouched.
    assert client.get("/about/").status_code == 404


# --- choosing the site ----------------------------------------------------------------------------

hosts = st.sampled_from(["a.test", "b.test", "c.test"])
ports = st.sampled_from([80, 443, 8000])


@pytest.mark.django_db
@given(
    sites=st.lists(
        st.tuples(hosts, ports, st.booleans()), min_size=1, max_size=4, unique_by=lambda s: s[:2]
    ),
    hostname=hosts,
    port=ports,
)
def test_the_site_is_chosen_exactly_as_wagtail_chooses_it(sites, hostname, port):
    Site.objects.all().delete()
    root = Page.get_first_root_node()
    made = []
    defaults = 0
    for host, site_port, default in sites:
        default = default and defaults == 0  # at most one default site
        defaults += default
        made.append(
            Site.objects.create(
                hostname=host, port=site_port, root_page=root, is_default_site=default
            )
        )
    roots = [SiteRoot(site, root.url_path, root.depth) for site in made]
    try:
        expected = get_site_for_hostname(hostname, port).pk
    except Site.DoesNotExist:
        expected = None
    chosen = _choose(roots, hostname, port)
    assert (chosen.site.pk if chosen else None) == expected
