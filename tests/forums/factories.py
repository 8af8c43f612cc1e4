"""factory_boy factories for forums. Posts made here skip the services (no ThreadEvent, no
broadcast): use them to set the scene, and the services for the thing under test."""

from __future__ import annotations

import factory
from django.utils.text import slugify

from engagement.forums.models import Forum, ForumMember, Post, Thread
from tests.factories import UserFactory


class ForumFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Forum
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Forum {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.title))
    summary = "Designing the new play area in the town park together."
    access = Forum.Access.OPEN
    state = Forum.State.OPEN

    @factory.post_generation
    def organisations(self, create, extracted, **kwargs):
        if create and extracted:
            self.organisations.set(extracted)


class ForumMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ForumMember

    forum = factory.SubFactory(ForumFactory)
    user = factory.SubFactory(UserFactory)
    role = ForumMember.Role.MEMBER


class ThreadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Thread

    forum = factory.SubFactory(ForumFactory)
    title = factory.Sequence(lambda n: f"Thread {n}")
    author = factory.SubFactory(UserFactory)


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    thread = factory.SubFactory(ThreadFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Sequence(lambda n: f"Post number {n}: more shade and benches, please.")
