"""The demo place's consultations (Marlshire), with a few hundred fictional responses.

Called by ``manage.py seed_demo`` after the areas, organisations and accounts exist. Idempotent:
a consultation is found by its slug and, once created, left as it is (an editor may have changed
it); responses are added only to a consultation that has none. Everything random comes from
``random.Random`` seeded by the consultation's slug, and every question, section and response key
is a UUID derived from the slug, so two fresh databases hold the same demo.

Responses go through :func:`consultations.services.submit_response` with ``now`` inside each
consultation's open window, exactly as a resident's would; closed consultations are then frozen
with :func:`~consultations.services.freeze_responses` and one gets a published outcome.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from consultations import services
from consultations.equality import FIELDS as EQUALITY_FIELDS
from consultations.models import (
    Answer,
    ConsultationIndexPage,
    ConsultationPage,
    Outcome,
    Response,
    Theme,
)
from consultations.survey import OTHER, TEXT_TYPES, Question
from engagement.models import Area, Audience, Organisation, ServiceCategory, User

NAMESPACE = uuid.UUID("3b0f5a52-8c1e-4d7e-a1f6-5c2b9e0d7a44")

COUNTY_COUNCIL = "Marlshire County Council"
NHS = "Marlshire Health and Care Partnership"

# How readily each ward answers consultations, beside its population: some never do, which is what
# "reach by ward" is there to show. Wards not listed answer at 1.
REACH = {
    "Abbey": 2.2,
    "Castle Hill": 1.6,
    "Greyfriars": 1.8,
    "Kingsmead": 1.4,
    "Riverside": 1.5,
    "Hollins": 1.2,
    "Dunmere": 0.5,
    "Ivy Bank": 0.15,
    "Jubilee": 0.3,
    "Lowther": 0.0,
    "Quarry Fields": 0.1,
    "Saltings": 0.0,
}
NO_WARD = 0.14  # share of respondents who leave "Which ward do you live in?" blank

# Equality monitoring answers: (share who open "About you", {field: weighted answers}).
ABOUT_YOU_SHARE = 0.55
EQUALITY = {
    "age_band": {"under-18": 1, "18-24": 3, "25-34": 10, "35-44": 15, "45-54": 18, "55-64": 21,
                 "65-74": 19, "75-plus": 9, "prefer-not": 4},
    "sex": {"female": 56, "male": 40, "prefer-not": 4},
    "gender_same_as_sex": {"yes": 94, "no": 1, "prefer-not": 5},
    "disability": {"yes": 22, "no": 70, "prefer-not": 8},
    "ethnicity": {"white": 82, "asian": 8, "black": 3, "mixed": 3, "other": 1, "prefer-not": 3},
    "religion": {"none": 40, "christian": 42, "muslim": 6, "hindu": 2, "sikh": 1, "jewish": 1,
                 "buddhist": 1, "other": 1, "prefer-not": 6},
    "sexual_orientation": {"straight": 86, "gay-lesbian": 3, "bisexual": 2, "other": 1,
                           "prefer-not": 8},
    "carer": {"yes": 18, "no": 76, "prefer-not": 6},
}  # fmt: skip


@dataclass(frozen=True)
class Ask:
    """A question block, plus how the demo's fictional residents tend to answer it."""

    kind: str
    text: str
    block: dict[str, Any]
    weights: tuple[float, ...] = ()  # choices: relative weights; multiple choice: chance of each
    samples: tuple[
        Any, ...
    ] = ()  # text: "answer" or ("theme", "answer"); number: (low, mode, high)
    skip: float = 0.0  # chance an optional question is left blank


def ask(kind: str, text: str, *, weights=(), samples=(), skip=0.0, **block) -> Ask:
    return Ask(kind, text, block, tuple(weights), tuple(samples), skip)


@dataclass(frozen=True)
class Part:
    title: str
    questions: tuple[Ask, ...]
    introduction: str = ""


@dataclass(frozen=True)
class Demo:
    slug: str
    title: str
    owner: str
    summary: str
    parts: tuple[Part, ...]
    opens_in_days: int  # negative: opened that many days ago
    runs_days: int
    body: tuple[tuple[str, Any], ...] = ()
    co_owners: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()  # area names; none for the whole place
    audiences: tuple[str, ...] = ("everyone",)
    topics: tuple[str, ...] = ()
    mode: str = "proactive"
    stage: str = "design"
    statutory: bool = False
    allow_anonymous: bool = True
    ask_about_you: bool = False
    responses: int = 0
    home: tuple[str, ...] = ()  # wards or districts most respondents live in
    themed_share: float = 0.0  # how much of the free text officers have tagged with themes
    # "We asked, you said, we did", published five weeks after close; "you said" may quote the
    # share of respondents giving an answer: {name: (question, option)}.
    outcome: dict[str, str] = field(default_factory=dict)
    outcome_figures: dict[str, tuple[str, str]] = field(default_factory=dict)


# The content below is laid out by hand (one question to a few lines) so it reads like the survey.
# fmt: off
LIVING_WELL = Demo(
    slug="living-well-in-marlshire",
    title="Living well in Marlshire: our health and wellbeing strategy 2027 to 2032",
    owner=COUNTY_COUNCIL, co_owners=("Sandham District Council", NHS),
    summary="The county council, Sandham District Council and the NHS are writing one strategy "
    "for health and wellbeing across Marlshire. Tell us what helps you stay well, what gets in "
    "the way and what should come first.",
    body=(
        ("paragraph", "<p>People in Marlshire live longer than the England average, but the gap "
         "between our healthiest and least healthy neighbourhoods is growing. The strategy will "
         "decide where the councils and the NHS put their shared effort for the next five years."
         "</p>"),
        ("fact", {"figure": "9 years", "description": "The gap in healthy life expectancy "
                  "between Abbey and Riverside wards",
                  "source": "Marlshire Joint Strategic Needs Assessment (fictional)"}),
        ("heading", "How we will use your answers"),
        ("paragraph", "<p>Every response is read. A summary of what you said and what we changed "
         "will be published here when the strategy goes to the Health and Wellbeing Board.</p>"),
    ),
    audiences=("everyone", "older-people", "carers", "disabled-people"),
    topics=("parks-and-green-spaces", "leisure-and-sport", "community-centres-and-hubs"),
    stage="agenda", opens_in_days=-24, runs_days=84, ask_about_you=True, responses=150,
    themed_share=0.7,
    parts=(
        Part("You and where you live", (
            ask("single_choice", "How would you describe your health in general?",
                options=["Very good", "Good", "Fair", "Bad", "Very bad"],
                weights=(22, 38, 26, 10, 4)),
            ask("likert", "I can get to a GP or health centre easily when I need to.",
                weights=(8, 27, 20, 28, 17)),
            ask("single_choice", "In the last year, have you used a community wellbeing service, "
                "such as a walking group, social prescribing or a warm space?",
                options=["Yes", "No", "Not sure"], reference="Q3", weights=(34, 56, 10)),
            ask("location", "Where is a place near you that helps you stay well?",
                hint="For example a park, a leisure centre or a community hub.",
                required=False, skip=0.45,
                samples=("The park by the river", "The leisure centre pool", "The canal towpath",
                         "Our community hub on a Tuesday", "The library reading room")),
        ), "<p>A few questions about your health and your neighbourhood.</p>"),
        Part("What matters most", (
            ask("ranking", "Put these priorities in order, most important to you first.",
                options=["Mental health support", "Being active every day",
                         "Support for unpaid carers", "Loneliness and isolation",
                         "Warm, safe homes"], weights=(5, 2, 3, 3, 4)),
            ask("multiple_choice", "Which of these would help you stay well?",
                hint="Select all that apply.", allow_other=True,
                options=["Parks and green spaces", "Leisure centres and pools",
                         "Safe walking and cycling routes", "Community groups and clubs",
                         "Libraries", "Affordable healthy food"],
                weights=(0.62, 0.41, 0.48, 0.35, 0.22, 0.39),
                samples=("A bus that runs after 6pm", "Mental health drop-ins",
                         "Free swimming for over-60s", "Benches on the way to the shops")),
            ask("rating", "Overall, how well do local services support your wellbeing today?",
                hint="1 means very poorly and 10 means very well.", scale="10",
                weights=(4, 5, 9, 12, 17, 16, 15, 12, 6, 4)),
            ask("long_text", "What made that service work, or not work, for you?",
                hint="You told us you used a community wellbeing service.", required=False,
                show_if_reference="Q3", show_if_answer="Yes", skip=0.25, samples=(
                    ("Friendly staff", "The volunteers remembered my name and rang me when I "
                     "missed a week. That made me go back."),
                    ("Friendly staff", "Staff at the hub were kind and did not rush me."),
                    ("Getting there", "The walking group was great but the last bus back is at "
                     "5pm, so I could only go in summer."),
                    ("Getting there", "It was hard to get to without a car. The warm space is on "
                     "the other side of town."),
                    ("Finding out", "I only found out about social prescribing from a neighbour. "
                     "The GP surgery never mentioned it."),
                    ("Finding out", "Nobody told me it existed until my carer found a leaflet."),
                    ("Company", "I live alone and it got me out of the house. I have made two "
                     "friends."),
                    ("Company", "Meeting other carers helped more than any leaflet."),
                    ("Opening times", "It closed at 3pm, so as a working parent I could not use "
                     "it."),
                    ("Opening times", "The warm space was only open two days a week."),
                )),
        )),
        Part("Anything else", (
            ask("number", "About how many minutes does it take you to walk to your nearest park "
                "or green space?", minimum=0, maximum=240, unit="minutes", required=False,
                skip=0.1, samples=(1, 8, 45)),
            ask("short_text", "In a few words, what one change would make the biggest difference "
                "to your health?", max_length=200, required=False, skip=0.3, samples=(
                    ("Transport", "More buses in the evening"),
                    ("Transport", "A safe cycle path into town"),
                    ("Access to care", "Getting a GP appointment the same week"),
                    ("Access to care", "Shorter waits for physio"),
                    ("Mental health", "Someone to talk to without a six month wait"),
                    ("Mental health", "Mental health support for teenagers"),
                    ("Cost of living", "Cheaper gym and swimming sessions"),
                    ("Cost of living", "Help with heating bills"),
                    ("Green spaces", "Cleaner parks with working toilets"),
                    ("Green spaces", "Lighting on the park paths so I can walk after work"),
                    ("Company", "A lunch club near me"),
                )),
            ask("long_text", "Is there anything else you want to tell us about the strategy?",
                required=False, skip=0.7, samples=(
                    ("Join up services", "Please make the council and the NHS talk to each "
                     "other. I told my story four times last year."),
                    ("Join up services", "One phone number for everything would help."),
                    ("Fairness", "Riverside always seems to be last in the queue."),
                    ("Fairness", "Please do not forget the villages. We have no bus after 6."),
                    ("Keep us informed", "Tell us what you did with these answers."),
                )),
        )),
    ),
)

PLAY_AREA = Demo(
    slug="riverside-park-play-area",
    title="Riverside Park play area: choose the new equipment",
    owner="Sandham District Council",
    summary="The play area in Riverside Park is being rebuilt next spring with £140,000 from new "
    "housing nearby. Help us choose what goes in it.",
    body=(
        ("paragraph", "<p>The swings and climbing frame are over twenty years old and will be "
         "replaced. Designers will draw up two layouts from your answers, and children from "
         "Riverside Primary School will help choose between them.</p>"),
        ("inset", "The play area stays open until building starts in March."),
    ),
    areas=("Riverside",), audiences=("families", "young-people"),
    topics=("play-areas", "parks-and-green-spaces"),
    opens_in_days=-17, runs_days=49, responses=48, home=("Riverside",), themed_share=0.5,
    parts=(
        Part("The play area", (
            ask("single_choice", "How often do you or your family use the Riverside Park play "
                "area?", options=["At least once a week", "About once a month",
                                  "A few times a year", "Never"], weights=(38, 30, 20, 12)),
            ask("multiple_choice", "Which kinds of play equipment would you like to see?",
                hint="Select all that apply.",
                options=["Swings", "Climbing frame", "Zip wire", "Sensory play panels",
                         "Roundabout a wheelchair can roll onto", "Shaded seating for adults"],
                weights=(0.7, 0.55, 0.48, 0.3, 0.33, 0.45)),
            ask("likert", "The play area feels safe for children.", weights=(6, 24, 30, 28, 12)),
            ask("long_text", "Is there anything else we should know before we choose the design?",
                required=False, skip=0.6, samples=(
                    ("Safety", "The gate does not close on its own, so toddlers can run out onto "
                     "the path."),
                    ("Safety", "Teenagers gather there at night and leave glass behind."),
                    ("Inclusive play", "My son uses a wheelchair and there is nothing he can play "
                     "on."),
                    ("Inclusive play", "Please include things for autistic children, like quiet "
                     "corners."),
                    ("Facilities", "A toilet and a water fountain would make a big difference."),
                    ("Facilities", "More bins please, they overflow every weekend."),
                )),
        )),
    ),
)

PARKING = Demo(
    slug="kelmere-town-centre-parking",
    title="Kelmere town centre: parking and loading",
    owner="Kelmere District Council", co_owners=("Marlshire Chamber of Commerce",),
    summary="We are reviewing parking charges, loading bays and disabled parking in Kelmere town "
    "centre, with local businesses. Tell us how you get into town and what would help.",
    areas=("Kelmere",), audiences=("everyone", "businesses", "disabled-people"),
    topics=("parking", "local-centres-and-high-streets"),
    mode="reactive", stage="refinement", statutory=True, allow_anonymous=False,
    opens_in_days=12, runs_days=56,
    parts=(
        Part("Getting into town", (
            ask("multiple_choice", "How do you usually get into Kelmere town centre?",
                options=["Car", "Bus", "Bicycle", "On foot", "Taxi or lift"]),
            ask("likert", "It is easy to find a parking space in the town centre."),
            ask("long_text", "What would make it easier for you to visit the town centre?",
                required=False),
        )),
    ),
)

LIBRARIES = Demo(
    slug="harrowfield-library-opening-hours",
    title="Library opening hours in Harrowfield",
    owner=COUNTY_COUNCIL, co_owners=("Harrowfield Borough Council",),
    summary="The budget for staffed library hours in Harrowfield falls by 12% next year. We "
    "asked how the five libraries should open across the week.",
    body=(
        ("paragraph", "<p>We set out two options: shorter staffed hours at every library, or "
         "fewer staffed days at the three smaller libraries with self-service “open access” hours "
         "on the other days for members.</p>"),
    ),
    areas=("Harrowfield",), audiences=("everyone", "families", "older-people"),
    topics=("libraries",), stage="refinement", opens_in_days=-140, runs_days=56,
    ask_about_you=True, responses=112, home=("Harrowfield",), themed_share=1.0,
    parts=(
        Part("Your library", (
            ask("single_choice", "Which library do you use most?",
                options=["Greyfriars", "Hollins", "Fenwick", "Ivy Bank", "Jubilee",
                         "I do not use a library at the moment"],
                weights=(34, 24, 14, 6, 12, 10)),
            ask("multiple_choice", "When would you most like your library to be open?",
                hint="Select all that apply.",
                options=["Weekday mornings", "Weekday afternoons", "Weekday evenings after 5pm",
                         "Saturday mornings", "Saturday afternoons", "Sundays"],
                weights=(0.3, 0.35, 0.52, 0.64, 0.3, 0.18)),
            ask("single_choice", "Which option do you prefer?",
                options=["Shorter hours at every library",
                         "Fewer staffed days, with open access hours"], weights=(39, 61)),
            ask("rating", "How confident would you feel using a library during open access hours, "
                "without staff?", hint="1 means not at all confident and 5 means very confident.",
                scale="5", weights=(16, 14, 22, 26, 22)),
            ask("long_text", "Tell us anything else about how you use your library.",
                required=False, skip=0.5, samples=(
                    ("Warm space", "Jubilee library is the only warm place I can sit in during "
                     "the day without paying."),
                    ("Warm space", "In winter I go to the library to keep warm and read the "
                     "paper."),
                    ("Children's sessions", "Please keep Rhyme Time on Saturdays, it is the only "
                     "one I can get to as a working dad."),
                    ("Children's sessions", "Homework club at Greyfriars is a lifeline."),
                    ("Open access worries", "I would not feel safe in the library without any "
                     "staff there."),
                    ("Open access worries", "How would I get help with the computers if nobody "
                     "is there?"),
                    ("Evening opening", "Open later one or two evenings so students can use it "
                     "after college."),
                    ("Evening opening", "I work until 6 so I can only come on Saturdays."),
                )),
        )),
    ),
    outcome={
        "we_asked": "We asked residents, library members and community groups how Harrowfield's "
        "five libraries should open across the week once the budget for staffed hours falls by "
        "12%. We set out two options: shorter staffed hours at every library, or fewer staffed "
        "days at Fenwick, Ivy Bank and Jubilee with self-service open access hours on the other "
        "days.",
        "you_said": "{responses} people responded. {preferred}% preferred fewer staffed days with "
        "open access hours, so that no library opens for less time overall. Saturday mornings "
        "({saturday}%) and weekday evenings after 5pm ({evening}%) were the times you most "
        "wanted libraries open.\n"
        "Many of you told us Jubilee library is the only warm, free indoor space nearby, and some "
        "older residents were worried about using the library without staff on hand. Parents "
        "asked us to keep the Saturday Rhyme Time sessions.",
        "we_did": "From {starts} every library stays open. Greyfriars and Hollins open until 7pm "
        "on Tuesdays and Thursdays, and every library opens on Saturday mornings.\n"
        "Fenwick, Ivy Bank and Jubilee have four staffed days a week and open access hours on "
        "the others. Staff will run introduction sessions at each library the month before, and "
        "Jubilee stays staffed every weekday afternoon from November to March as a Warm Welcome "
        "space.\n"
        "Rhyme Time continues on Saturdays. We will publish how the new hours are used after six "
        "months.",
    },
    outcome_figures={
        "preferred": ("Which option do you prefer?", "Fewer staffed days, with open access hours"),
        "saturday": ("When would you most like your library to be open?", "Saturday mornings"),
        "evening": ("When would you most like your library to be open?",
                    "Weekday evenings after 5pm"),
    },
)

DOG_CONTROL = Demo(
    slug="sandham-dog-control-order",
    title="Dog control in Sandham's parks and on the beach",
    owner="Sandham District Council",
    summary="We proposed renewing the public spaces protection order for dogs: dogs on leads in "
    "parks' play and picnic areas, and no dogs on the main beach from May to September.",
    areas=("Sandham",), audiences=("everyone", "families"),
    topics=("parks-and-green-spaces", "community-safety"),
    mode="directive", stage="refinement", statutory=True, opens_in_days=-77, runs_days=56,
    responses=64, home=("Sandham",), themed_share=0.4,
    parts=(
        Part("The proposals", (
            ask("likert", "Dogs should be kept on a lead in children's play areas and picnic "
                "areas.", weights=(48, 30, 8, 8, 6)),
            ask("likert", "Dogs should not be allowed on the main beach from May to September.",
                weights=(22, 20, 14, 20, 24)),
            ask("single_choice", "Do you walk a dog in Sandham?",
                options=["Yes, most days", "Yes, sometimes", "No"], weights=(38, 14, 48)),
            ask("long_text", "Tell us why, or suggest a change to the proposals.",
                required=False, skip=0.45, samples=(
                    ("Beach ban too long", "May to September is too long. June to August would "
                     "be fairer to dog owners."),
                    ("Beach ban too long", "Allow dogs on the beach before 9am and after 7pm."),
                    ("Fouling", "Dog mess on the prom is a bigger problem than dogs on the sand."),
                    ("Fouling", "More bins and more enforcement, please."),
                    ("Support", "Children should be able to play on the sand safely."),
                )),
        )),
    ),
)
# fmt: on

DEMOS = (LIVING_WELL, PLAY_AREA, PARKING, LIBRARIES, DOG_CONTROL)


def _key(*parts: Any) -> str:
    """A stable UUID for a block or a response, the same on every fresh database."""
    return str(uuid.uuid5(NAMESPACE, ":".join(str(part) for part in parts)))


def question_stream(demo: Demo) -> list[dict]:
    """The raw ``questions`` StreamField value: sections of question blocks with stable ids."""
    sections = []
    for s, part in enumerate(demo.parts, start=1):
        blocks = [
            {
                "type": q.kind,
                "id": _key(demo.slug, s, n),
                "value": {"question": q.text, "required": True, **q.block},
            }
            for n, q in enumerate(part.questions, start=1)
        ]
        value = {"title": part.title, "introduction": part.introduction, "questions": blocks}
        sections.append({"type": "section", "id": _key(demo.slug, s), "value": value})
    return sections


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _ensure_page(hub: ConsultationIndexPage, demo: Demo, today: date) -> ConsultationPage:
    existing = ConsultationPage.objects.filter(slug=demo.slug).first()
    if existing is not None:
        return existing
    opens = today + timedelta(days=demo.opens_in_days)
    organisations = Organisation.objects.in_bulk([demo.owner, *demo.co_owners], field_name="name")
    page = ConsultationPage(
        title=demo.title,
        slug=demo.slug,
        organisation=organisations[demo.owner],
        summary=demo.summary,
        body=[{"type": kind, "value": value} for kind, value in demo.body],
        questions=question_stream(demo),
        opens_at=_local(opens, 9),
        closes_at=_local(opens + timedelta(days=demo.runs_days), 23, 59),
        mode=demo.mode,
        stage=demo.stage,
        statutory=demo.statutory,
        allow_anonymous=demo.allow_anonymous,
        ask_about_you=demo.ask_about_you,
    )
    page.co_owners = [organisations[name] for name in demo.co_owners]
    page.areas = list(Area.objects.filter(name__in=demo.areas))
    page.audiences = list(Audience.objects.filter(slug__in=demo.audiences))
    page.topics = list(ServiceCategory.objects.filter(slug__in=demo.topics))
    hub.add_child(instance=page)
    page.save_revision().publish()
    return page


class Respondents:
    """Fictional respondents: where they live, when they answer and what they say."""

    def __init__(self, demo: Demo, wards: list[Area]):
        self.demo = demo
        self.rng = random.Random(demo.slug)  # noqa: S311 - demo data, not security
        self.wards = wards
        self.weights = [self._reach(ward) for ward in wards]
        self.themes: dict[str, str] = {}  # free text written -> its theme
        self.specs = {
            _key(demo.slug, s, n): spec
            for s, part in enumerate(demo.parts, start=1)
            for n, spec in enumerate(part.questions, start=1)
        }

    def _reach(self, ward: Area) -> float:
        weight = ward.population * REACH.get(ward.name, 1.0)
        if self.demo.home:
            near = ward.name in self.demo.home or ward.parent.name in self.demo.home
            weight *= 1.0 if near else 0.02
        return weight

    def ward(self) -> Area:
        return self.rng.choices(self.wards, self.weights)[0]

    def moments(self, start: datetime, end: datetime, count: int) -> list[datetime]:
        """Submission times: a rush in the first days and another before the deadline."""
        span = (end - start).total_seconds()
        fractions = [self.rng.betavariate(0.6, 0.8) for _ in range(count)]
        return sorted(start + timedelta(seconds=f * span) for f in fractions)

    def _text(self, spec: Ask) -> str:
        sample = self.rng.choice(spec.samples)
        theme, text = sample if isinstance(sample, tuple) else ("", sample)
        # People put the same thought in their own words.
        variant = self.rng.randrange(4)
        if variant == 1:
            text = text.rstrip(".")
        elif variant == 2:
            text = text[0].lower() + text[1:]
        if theme:
            self.themes[text] = theme
        return text

    def answer(self, spec: Ask, question: Question) -> Any:
        rng = self.rng
        if not question.required and rng.random() < spec.skip:
            return None
        kind = question.type
        if kind in TEXT_TYPES:
            return self._text(spec)
        if kind in {"single_choice", "likert", "rating"}:
            choices = question.choices()
            value = rng.choices(choices, spec.weights or None)[0]
            return int(value) if kind == "rating" else value
        if kind == "multiple_choice":
            chances = spec.weights or [0.4] * len(question.options)
            chosen = [o for o, p in zip(question.options, chances, strict=True) if rng.random() < p]
            other = ""
            if question.allow_other and spec.samples and rng.random() < 0.08:
                other = rng.choice(spec.samples)
            if not chosen and not other:
                chosen = [question.options[max(range(len(chances)), key=chances.__getitem__)]]
            value = {"options": chosen}
            return {**value, "other": other} if question.allow_other else value
        if kind == "ranking":
            weights = spec.weights or [1] * len(question.options)
            # Weighted shuffle: an option's chance of coming first grows with its weight.
            keyed = [
                (rng.random() ** (1 / w), o) for o, w in zip(question.options, weights, strict=True)
            ]
            return [option for _score, option in sorted(keyed, reverse=True)]
        if kind == "number":
            low, mode, high = spec.samples
            return float(round(rng.triangular(low, high, mode)))
        if kind == "location":
            ward = self.ward()
            value: dict[str, Any] = {"ward": ward.pk}
            if rng.random() < 0.4:
                value["lat"] = round(rng.uniform(ward.min_lat, ward.max_lat), 5)
                value["lon"] = round(rng.uniform(ward.min_lon, ward.max_lon), 5)
            if spec.samples and rng.random() < 0.5:
                value["description"] = rng.choice(spec.samples)
            return value
        raise ValueError(f"no demo answers for {kind!r}")

    def answers(self, page: ConsultationPage) -> dict[str, Any]:
        """One respondent's answers, in survey order, to the questions that apply to them."""
        given: dict[str, Any] = {}
        for question in page.survey.questions:
            spec = self.specs.get(question.key)
            if spec is not None and question.shown(given):
                value = self.answer(spec, question)
                if value is not None:
                    given[question.key] = value
        return given

    def equality(self) -> dict[str, str]:
        if not self.demo.ask_about_you or self.rng.random() > ABOUT_YOU_SHARE:
            return {}
        chosen = {}
        for name in EQUALITY_FIELDS:
            if self.rng.random() < 0.88:
                options = EQUALITY[name]
                chosen[name] = self.rng.choices(list(options), list(options.values()))[0]
        return chosen


def _seed_responses(page: ConsultationPage, demo: Demo, wards: list[Area], now: datetime) -> int:
    people = Respondents(demo, wards)
    end = min(page.closes_at, now - timedelta(minutes=30))
    for n, moment in enumerate(people.moments(page.opens_at, end, demo.responses)):
        services.submit_response(
            page,
            answers=people.answers(page),
            idempotency_key=uuid.UUID(_key(demo.slug, "response", n)),
            ward_id=None if people.rng.random() < NO_WARD else people.ward().pk,
            equality=people.equality(),
            now=moment,
        )
    _tag_themes(page, people.themes, people.rng, demo.themed_share)
    return demo.responses


def _tag_themes(page, themes: dict[str, str], rng: random.Random, share: float) -> None:
    """Tag the free text the way officers would: a theme per answer, some not read yet."""
    by_name = {}
    for name in sorted(set(themes.values())):
        by_name[name], _created = Theme.objects.get_or_create(consultation=page, name=name)
    through = Answer.themes.through
    links = [
        through(answer_id=pk, theme_id=by_name[themes[text]].pk)
        for pk, text in Answer.objects.filter(consultation=page)
        .exclude(text="")
        .exclude(option=OTHER)
        .order_by("pk")
        .values_list("pk", "text")
        if text in themes and rng.random() < share
    ]
    through.objects.bulk_create(links, ignore_conflicts=True)


def _publish_outcome(page: ConsultationPage, demo: Demo) -> None:
    outcome = Outcome.objects.filter(consultation=page).first()
    if outcome is not None and outcome.is_published:
        return
    responses = Response.objects.submitted().filter(consultation=page).count()
    keys = {question.label: question.key for question in page.survey.questions}
    figures: dict[str, Any] = {"responses": responses}
    for name, (label, option) in demo.outcome_figures.items():
        chose = Answer.objects.filter(consultation=page, question=keys[label], option=option)
        figures[name] = round(100 * chose.count() / max(responses, 1))
    published = page.closes_at + timedelta(weeks=5)
    starts = timezone.localdate(published + timedelta(weeks=12))
    figures["starts"] = f"{starts.day} {starts:%B %Y}"
    outcome = outcome or Outcome(consultation=page)
    outcome.we_asked = demo.outcome["we_asked"].format(**figures)
    outcome.you_said = demo.outcome["you_said"].format(**figures)
    outcome.we_did = demo.outcome["we_did"].format(**figures)
    outcome.done_by = starts
    outcome.results_published_at = published
    officer = User.objects.filter(email="officer@demo.commonground.test").first()
    services.publish_outcome(outcome, by=officer, now=published)


def seed_consultations(stdout=None) -> dict[str, ConsultationPage]:
    """Create the demo consultations, their responses and the outcome, once; return them by slug."""
    now = timezone.now()
    today = timezone.localdate(now)
    hub = ConsultationIndexPage.objects.get()
    wards = list(Area.objects.wards().select_related("parent").order_by("pk"))
    pages, added = {}, 0
    for demo in DEMOS:
        with transaction.atomic():
            page = _ensure_page(hub, demo, today)
            if demo.responses and not Response.objects.filter(consultation=page).exists():
                added += _seed_responses(page, demo, wards, now)
            if page.is_closed(now):
                services.freeze_responses(page, page.closes_at + timedelta(minutes=5))
                if demo.outcome:
                    _publish_outcome(page, demo)
        pages[demo.slug] = page
    if stdout is not None:
        stdout.write(
            f"Demo consultations ready: {len(pages)} consultations, {added} new responses."
        )
    return pages
