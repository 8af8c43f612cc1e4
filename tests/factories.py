"""factory_boy factories for the core domain. Apps add their own below as they grow."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress
from django.utils.text import slugify

from engagement.models import Area, Audience, Membership, Organisation, ServiceCategory, User

PASSWORD = "a-long-test-password-1"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        """Accounts are verified unless ``verified_email=False`` is passed."""
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area

    name = factory.Sequence(lambda n: f"Area {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    kind = Area.Kind.COUNTY
    population = 10_000


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    kind = Organisation.Kind.COUNTY_COUNCIL


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.OFFICER


class TaxonomyFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    name = factory.Sequence(lambda n: f"Term {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class AudienceFactory(TaxonomyFactory):
    class Meta:
        model = Audience


class ServiceCategoryFactory(TaxonomyFactory):
    class Meta:
        model = ServiceCategory
