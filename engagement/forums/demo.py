"""The demo place's co-design forums (Marlshire): an open forum where the county council and
Eastbrook Food Network are redesigning Castle Gardens, Eastbrook's town-centre park, with four
threads and about twenty posts from residents, an officer, a partner and the facilitator; and an
invited youth services panel with two members.

Called by ``manage.py seed_demo`` after the accounts exist (and after :mod:`places.demo`, whose
demo-only neighbours also speak here). Idempotent: if the demo forum is already there nothing is
added, since facilitators may have changed it since. Everything goes through
:mod:`engagement.forums.services`, so every post, reaction, pin and summary has its
:class:`~engagement.forums.models.ThreadEvent`, exactly as a live thread would.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from engagement.forums import services
from engagement.forums.models import Forum, ForumMember, Post, Reaction, Thread
from engagement.models import Organisation, User

NAMESPACE = uuid.UUID("0b7c4f8e-2d51-4c1a-9e36-5a7d3f2b9c10")

FORUM_SLUG = "castle-gardens"
PANEL_SLUG = "eastbrook-youth-panel"
COUNCIL = "Marlshire County Council"
PARTNER_ORGANISATION = "Eastbrook Food Network"
YOUTH_ORGANISATION = "Kelmere Youth Collective"

ROSA = "resident@demo.commonground.test"
SAM = "resident2@demo.commonground.test"
PRIYA = "partner@demo.commonground.test"
OWEN = "officer@demo.commonground.test"
MO = "moderator@demo.commonground.test"  # the facilitator
AMARA = "neighbour.amara@demo.commonground.test"
BILL = "neighbour.bill@demo.commonground.test"
CHEN = "neighbour.chen@demo.commonground.test"
DEEPA = "neighbour.deepa@demo.commonground.test"
NEIGHBOUR_NAMES = {AMARA: "Amara", BILL: "Bill", CHEN: "Chen", DEEPA: "Deepa"}

# thread key: (title, [(post key, author, body, reply to post key or None)])
THREADS = {
    "welcome": (
        "What would make you spend more time in Castle Gardens?",
        [
            (
                "welcome",
                MO,
                "Welcome to the Castle Gardens forum. Marlshire County Council and Eastbrook Food "
                "Network are redesigning the park with the people who use it, and nothing is "
                "decided yet. Tell us what you love, what puts you off and what you would change. "
                "Please keep it about the place, not about people. I will post a summary every "
                "couple of weeks.",
                None,
            ),
            (
                "shade",
                ROSA,
                "More shade, please. In summer there is nowhere to sit out of the sun except the "
                "bandstand, and that is always full. A few trees along the path by the river would"
                " make a huge difference.",
                None,
            ),
            (
                "toilets",
                SAM,
                "The toilets. They close at four, so families leave at four. If they stayed open "
                "until dusk we would stay much longer.",
                None,
            ),
            (
                "toilets-reply",
                AMARA,
                "Agree about the toilets. A changing places toilet would also mean my brother "
                "could come with us at all.",
                "toilets",
            ),
            (
                "budget",
                OWEN,
                "Thank you, this is useful. For context: there is £180,000 for the first phase, "
                "from the county's capital programme, and the work must start by next spring. "
                "Toilets and shade are both within what that can pay for. Opening hours are a "
                "separate revenue question, and I have taken it to the parks team.",
                None,
            ),
            (
                "seating",
                BILL,
                "Benches with arms and backs, spaced out along the main path. I walk with a stick "
                "and can only manage the park in short stretches.",
                None,
            ),
            (
                "summary",
                MO,
                "Summary of the first two weeks: the most asked-for changes are (1) shade and "
                "trees along the river path, (2) toilets open until dusk, including a changing "
                "places toilet, (3) more benches with arms and backs. The council will cost all "
                "three for phase one. Thank you to everyone who has taken part.",
                None,
            ),
        ],
    ),
    "lighting": (
        "Lighting and feeling safe after dark",
        [
            (
                "dark-path",
                DEEPA,
                "The path from the station to the High Street cuts through the park, and after "
                "dark it is pitch black past the bandstand. I walk the long way round now.",
                None,
            ),
            (
                "dark-reply",
                SAM,
                "Same. Low lights along the path edge would be enough, it does not need "
                "floodlights.",
                "dark-path",
            ),
            (
                "wildlife",
                CHEN,
                "Please think about the bats by the river. Warm, low, downward lights on a timer "
                "would work for people and wildlife.",
                "dark-reply",
            ),
            (
                "lighting-officer",
                OWEN,
                "Our street lighting engineers suggest low-level amber lights on the station path,"
                " dimmed after midnight, which is what the ecologist recommended too. We will show"
                " a plan on this thread before anything is ordered.",
                None,
            ),
        ],
    ),
    "growing": (
        "Community growing beds and the orchard",
        [
            (
                "growing-idea",
                PRIYA,
                "Eastbrook Food Network would like to run raised growing beds in the old rose "
                "garden, with volunteer sessions on Saturday mornings and produce going to the "
                "community fridge on Mill Street. Would you use them? What would you grow?",
                None,
            ),
            (
                "growing-yes",
                ROSA,
                "Yes! Herbs and salad. And please make some beds high enough to reach from a "
                "wheelchair.",
                "growing-idea",
            ),
            (
                "growing-question",
                BILL,
                "Who looks after them in August when everyone is away? The last community garden "
                "here was overgrown within a year.",
                "growing-idea",
            ),
            (
                "growing-answer",
                PRIYA,
                "Fair question. We would have a paid coordinator two days a week for the first "
                "three years, funded by our lottery grant, and a watering rota with the school "
                "next door.",
                "growing-question",
            ),
            (
                "orchard",
                AMARA,
                "Could the orchard trees be ones people can pick from? Apples and plums, with a "
                "sign saying help yourself.",
                None,
            ),
        ],
    ),
    "play": (
        "Play for older children and teenagers",
        [
            (
                "play-gap",
                SAM,
                "The play area is great for under-fives and there is nothing at all for my twelve "
                "year old. A zip wire, a climbing frame or a pump track?",
                None,
            ),
            (
                "play-teen",
                DEEPA,
                "My teenagers want somewhere to sit together out of the rain that is not a bus "
                "shelter. A covered shelter with seats and a phone charging point.",
                None,
            ),
            (
                "play-partner",
                PRIYA,
                "Kelmere Youth Collective ran a design day for a park in Kelmere last year; the "
                "young people chose a covered hang-out space and a pump track. We can ask them to "
                "run one here.",
                "play-teen",
            ),
            (
                "play-facilitator",
                MO,
                "Thank you all. We are setting up a youth panel so young people can design this "
                "part themselves, and I will share what they come up with here.",
                None,
            ),
        ],
    ),
}
# (post key, person, reaction)
REACTIONS = [
    ("shade", SAM, Reaction.Kind.AGREE),
    ("shade", AMARA, Reaction.Kind.AGREE),
    ("shade", CHEN, Reaction.Kind.IDEA),
    ("toilets", ROSA, Reaction.Kind.AGREE),
    ("toilets", BILL, Reaction.Kind.AGREE),
    ("toilets", DEEPA, Reaction.Kind.AGREE),
    ("toilets-reply", PRIYA, Reaction.Kind.AGREE),
    ("budget", SAM, Reaction.Kind.QUESTION),
    ("seating", ROSA, Reaction.Kind.AGREE),
    ("summary", ROSA, Reaction.Kind.AGREE),
    ("dark-path", ROSA, Reaction.Kind.AGREE),
    ("wildlife", DEEPA, Reaction.Kind.IDEA),
    ("lighting-officer", CHEN, Reaction.Kind.AGREE),
    ("growing-idea", ROSA, Reaction.Kind.IDEA),
    ("growing-idea", AMARA, Reaction.Kind.IDEA),
    ("growing-question", SAM, Reaction.Kind.QUESTION),
    ("orchard", PRIYA, Reaction.Kind.IDEA),
    ("play-gap", DEEPA, Reaction.Kind.AGREE),
    ("play-teen", SAM, Reaction.Kind.IDEA),
]

PANEL_THREAD = (
    "When should the youth club be open?",
    [
        (
            "panel-hours",
            MO,
            "Welcome to the youth services panel. First question: the youth club is open Tuesday "
            "and Thursday evenings. When would you actually go?",
            None,
        ),
        (
            "panel-saturday",
            SAM,
            "Saturday afternoons. Weekday evenings clash with homework and part-time jobs.",
            None,
        ),
        (
            "panel-friday",
            AMARA,
            "Friday nights, with something to do, not just a room. Cooking sessions would be good.",
            "panel-hours",
        ),
    ],
)


def _key(name: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, name)


def _people() -> dict[str, User]:
    people = {u.email: u for u in User.objects.filter(email__in=[ROSA, SAM, PRIYA, OWEN, MO])}
    for email, name in NEIGHBOUR_NAMES.items():
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User(email=email, display_name=name)
            user.set_unusable_password()  # demo-only: nobody signs in as them
            user.save()
        people[email] = user
    return people


def _post_all(thread: Thread, posts, people, made: dict[str, Post]) -> None:
    for key, email, body, reply_to in posts:
        made[key] = services.publish_post(
            thread,
            people[email],
            body,
            reply_to=made.get(reply_to) if reply_to else None,
            idempotency_key=_key(key),
        )


def _spread_over_days(threads: list[Thread], days: int) -> None:
    """Demo posts were made a moment ago; date them over the past ``days`` days, in order, so the
    forum reads like a conversation."""
    posts = list(Post.objects.filter(thread__in=threads).order_by("pk"))
    start = timezone.now() - timedelta(days=days)
    step = timedelta(days=days) / (len(posts) + 1)
    for n, post in enumerate(posts, start=1):
        Post.objects.filter(pk=post.pk).update(created_at=start + step * n)
    for thread in threads:
        latest = thread.posts.order_by("-created_at").values_list("created_at", flat=True).first()
        first = thread.posts.order_by("created_at").values_list("created_at", flat=True).first()
        Thread.objects.filter(pk=thread.pk).update(last_post_at=latest, created_at=first)


def seed_forums(stdout=None) -> int:
    """Create the demo forums once; returns how many posts were added (0 if already there)."""
    if Forum.objects.filter(slug=FORUM_SLUG).exists():
        if stdout is not None:
            stdout.write("Demo forums already there: nothing added.")
        return 0
    people = _people()
    organisations = {o.name: o for o in Organisation.objects.all()}
    made: dict[str, Post] = {}
    with transaction.atomic():
        forum = Forum.objects.create(
            slug=FORUM_SLUG,
            title="Castle Gardens: redesigning Eastbrook's town-centre park",
            summary=(
                "Marlshire County Council and Eastbrook Food Network are redesigning Castle "
                "Gardens with the people who use it. Share what you love, what puts you off and "
                "what you would change; the facilitator summarises the discussion every couple of "
                "weeks and the council reports back on what it can fund."
            ),
            access=Forum.Access.OPEN,
        )
        forum.organisations.set([organisations[name] for name in (COUNCIL, PARTNER_ORGANISATION)])
        ForumMember.objects.create(forum=forum, user=people[MO], role=ForumMember.Role.FACILITATOR)
        threads = []
        for title, posts in THREADS.values():
            first_key, email, body, _reply = posts[0]
            thread = services.start_thread(
                forum, people[email], title, body, idempotency_key=_key(first_key)
            )
            made[first_key] = thread.posts.get()
            _post_all(thread, posts[1:], people, made)
            threads.append(thread)
        for key, email, kind in REACTIONS:
            services.toggle_reaction(made[key], people[email], kind)
        services.set_pinned(made["welcome"], people[MO], True)
        services.set_summary(made["summary"], people[MO], True)
        services.flag_post(
            made["growing-question"], people[CHEN], "off_topic", "Not really about the design."
        )
        _spread_over_days(threads, days=16)

        panel = Forum.objects.create(
            slug=PANEL_SLUG,
            title="Eastbrook youth services panel",
            summary=(
                "An invited panel of young people and parents co-designing Eastbrook's youth "
                "services with Marlshire County Council and Kelmere Youth Collective."
            ),
            access=Forum.Access.INVITED,
        )
        panel.organisations.set([organisations[name] for name in (COUNCIL, YOUTH_ORGANISATION)])
        ForumMember.objects.create(forum=panel, user=people[MO], role=ForumMember.Role.FACILITATOR)
        for email in (SAM, AMARA):
            ForumMember.objects.create(forum=panel, user=people[email])
        title, posts = PANEL_THREAD
        first_key, email, body, _reply = posts[0]
        panel_thread = services.start_thread(
            panel, people[email], title, body, idempotency_key=_key(first_key)
        )
        made[first_key] = panel_thread.posts.get()
        _post_all(panel_thread, posts[1:], people, made)
        _spread_over_days([panel_thread], days=5)
    if stdout is not None:
        stdout.write(f"Demo forums ready: {len(made)} posts in {len(THREADS) + 1} threads.")
    return len(made)
