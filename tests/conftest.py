"""The cast every test can use: residents, a partner, officers of two organisations, a moderator.

Staff accounts here have ``mfa_exempt=True`` so tests about other things need not enrol an
authenticator; the MFA tests create their own staff without the exemption.
"""

from __future__ import annotations

import pytest

from engagement.models import Membership, Organisation
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory


@pytest.fixture
def council(db) -> Organisation:
    return OrganisationFactory(name="Test County Council", kind=Organisation.Kind.COUNTY_COUNCIL)


@pytest.fixture
def other_council(db) -> Organisation:
    return OrganisationFactory(
        name="Other District Council", kind=Organisation.Kind.DISTRICT_COUNCIL
    )


@pytest.fixture
def vcse(db) -> Organisation:
    return OrganisationFactory(name="Test Food Network", kind=Organisation.Kind.VCSE)


@pytest.fixture
def resident(db):
    return UserFactory(display_name="Rosa Resident")


@pytest.fixture
def other_resident(db):
    return UserFactory(display_name="Sam Neighbour")


@pytest.fixture
def partner(vcse):
    return MembershipFactory(
        organisation=vcse, role=Membership.Role.PARTNER, user__mfa_exempt=True
    ).user


@pytest.fixture
def officer(council):
    return MembershipFactory(
        organisation=council, role=Membership.Role.OFFICER, user__mfa_exempt=True
    ).user


@pytest.fixture
def other_org_officer(other_council):
    return MembershipFactory(
        organisation=other_council, role=Membership.Role.OFFICER, user__mfa_exempt=True
    ).user


@pytest.fixture
def moderator(council):
    return MembershipFactory(
        organisation=council, role=Membership.Role.MODERATOR, user__mfa_exempt=True
    ).user


@pytest.fixture
def site_structure(db):
    """The home page, consultation hub and static pages, as ``manage.py setup_site`` makes them."""
    from engagement.setup import ensure_site_structure

    return ensure_site_structure()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Real hashers are slow on purpose; in-process tests only need one that works. Child
    processes (live and browser tests) keep the real ones."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache():
    """allauth's rate limits live in the cache; one test's sign-ins must not throttle the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mailoutbox(db, mailoutbox):
    """pytest-django's outbox, taken after the test database exists.

    Creating the test database replaces ``django.core.mail.outbox``; an outbox taken before that
    (when ``mailoutbox`` comes before the session's first database fixture) never sees a message.
    """
    from django.core import mail

    return mail.outbox


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Mark every test that reaches the database through a fixture as a database test.

    pytest-django orders tests by their ``django_db`` marker: plain database tests first, then
    transactional ones, which flush every table (Wagtail's root page included) when they finish.
    A test that only asks for ``officer`` would otherwise count as database-free, run after the
    flush and find the database emptied.
    """
    for item in items:
        if "db" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("django_db"):
            item.add_marker(pytest.mark.django_db)
