"""Forum fixtures: an open forum of the test council and the VCSE partner, facilitated by a named
facilitator, an invited-members panel with one member, and a thread to post in."""

from __future__ import annotations

import pytest
from channels.layers import channel_layers

from engagement.forums import services
from engagement.forums.models import Forum, ForumMember
from tests.factories import UserFactory
from tests.forums.factories import ForumFactory, ForumMemberFactory
from tests.places.conftest import limited, mid_hour  # noqa: F401 - shared rate-limit helpers

__all__ = ["limited"]


@pytest.fixture
def channel_layer(settings):
    """A fresh in-memory channel layer of this test's own, to listen to a thread's group."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield channel_layers["default"]
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def static_files_found_on_demand(settings) -> None:
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture
def facilitator(db):
    return UserFactory(display_name="Fay Facilitator", mfa_exempt=True)


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, is_staff=True, mfa_exempt=True)


@pytest.fixture
def member(db):
    return UserFactory(display_name="Mia Member")


@pytest.fixture
def forum(council, vcse, facilitator) -> Forum:
    forum = ForumFactory(title="Park Lane play area", organisations=[council, vcse])
    ForumMemberFactory(forum=forum, user=facilitator, role=ForumMember.Role.FACILITATOR)
    return forum


@pytest.fixture
def panel(council, facilitator, member) -> Forum:
    panel = ForumFactory(
        title="Youth services panel", access=Forum.Access.INVITED, organisations=[council]
    )
    ForumMemberFactory(forum=panel, user=facilitator, role=ForumMember.Role.FACILITATOR)
    ForumMemberFactory(forum=panel, user=member)
    return panel


@pytest.fixture
def thread(forum, resident):
    return services.start_thread(
        forum, resident, "What should the play area have?", "Swings for older children."
    )


@pytest.fixture
def opening(thread):
    return thread.posts.get()
