"""The CMS may use inline styles; inline script stays forbidden everywhere."""

from __future__ import annotations

import pytest


def _policy(response) -> dict[str, str]:
    directives = (part.strip() for part in response["Content-Security-Policy"].split(";"))
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in directives if d}


@pytest.mark.django_db
def test_the_cms_allows_inline_styles_but_never_inline_script(client, officer):
    client.force_login(officer)
    policy = _policy(client.get("/admin/"))
    assert "'unsafe-inline'" in policy["style-src"]
    assert policy["script-src"] == "'self'"


@pytest.mark.django_db
def test_resident_pages_keep_the_strict_policy(client, site_structure):
    policy = _policy(client.get("/"))
    assert policy["style-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
