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


# --- Consultations ------------------------------------------------------------------------------


def question(kind: str, text: str, **options) -> dict:
    """A question block in the raw StreamField form (``kind`` is the block type)."""
    import uuid

    value = {"question": text, "hint": "", "required": True, "reference": ""}
    value.update(options)
    return {"type": kind, "value": value, "id": str(uuid.uuid4())}


def section(title: str, *questions: dict, introduction: str = "") -> dict:
    import uuid

    return {
        "type": "section",
        "value": {"title": title, "introduction": introduction, "questions": list(questions)},
        "id": str(uuid.uuid4()),
    }


def every_question_type() -> list[dict]:
    """One section with one question of each type, as an officer demonstrating the engine would."""
    return [
        section(
            "Your views",
            question("short_text", "What is your favourite local place?", max_length=100),
            question("long_text", "What would make the high street better?", required=False),
            question(
                "single_choice",
                "How often do you visit the high street?",
                options=["Every day", "Every week", "Rarely"],
                reference="Q3",
            ),
            question(
                "multiple_choice",
                "How do you get there?",
                options=["Walk", "Bus", "Car"],
                allow_other=True,
            ),
            question("likert", "The high street feels safe after dark."),
            question("rating", "Rate the street cleaning.", scale="5"),
            question("ranking", "Rank these priorities.", options=["Seating", "Trees", "Toilets"]),
            question("number", "How many minutes does it take you?", minimum=0, maximum=600),
            question("location", "Where is the spot that most needs work?", required=False),
            question(
                "short_text",
                "What would make you visit more?",
                required=False,
                show_if_reference="Q3",
                show_if_answer="Rarely",
            ),
        )
    ]


def consultation_page(
    organisation,
    *,
    title: str = "High street consultation",
    questions: list[dict] | None = None,
    opens_at=None,
    closes_at=None,
    parent=None,
    **fields,
):
    """A live ConsultationPage under the hub (open from a week ago for twelve weeks by default)."""
    from datetime import timedelta

    from django.utils import timezone
    from django.utils.text import slugify

    from consultations.models import ConsultationIndexPage, ConsultationPage

    now = timezone.now()
    parent = parent or ConsultationIndexPage.objects.get()
    page = ConsultationPage(
        title=title,
        slug=fields.pop("slug", slugify(title)),
        organisation=organisation,
        summary=fields.pop("summary", f"What do you think about {title.lower()}?"),
        opens_at=opens_at or now - timedelta(days=7),
        closes_at=closes_at or now + timedelta(weeks=11),
        questions=questions if questions is not None else every_question_type(),
        **fields,
    )
    parent.add_child(instance=page)
    return page
