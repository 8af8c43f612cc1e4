"""The co-design forums in a real browser.

- live across pages: two residents and the facilitator, each in their own browser session, on one
  thread: a reply made with the ordinary form appears on the others' pages without a reload and
  is announced politely; a reaction and a facilitator's hide reach the others live;
- catch-up: a page whose connection drops gets every post it missed when it reconnects;
- the pause control holds new posts back until it is pressed again;
- without JavaScript: reading, replying, and a whole co-design session (open, idea, vote, close,
  ranked summary);
- by keyboard alone: from the top of the thread to a posted reply;
- and axe-core at 1280 and 320 px on every forum page a resident or facilitator sees.

Threads are started through the forms in the demo's open forum (Castle Gardens, facilitated by
the demo moderator), one per test, so no test depends on another's posts.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    NARROW,
    RESIDENT_EMAIL,
    WIDE,
    assert_no_horizontal_scroll,
    axe,
    focused,
    success_banner,
)
from tests.e2e.test_keyboard_journeys import MAX_TABS, tab_to

pytestmark = pytest.mark.e2e

WIDTHS = [pytest.param(WIDE, id="1280px"), pytest.param(NARROW, id="320px")]

RESIDENT2_EMAIL = "resident2@demo.commonground.test"
FACILITATOR_EMAIL = "moderator@demo.commonground.test"
ROSA, SAM = "Rosa Resident", "Sam Neighbour"

FORUM = "/forums/castle-gardens/"
NEW_THREAD = f"{FORUM}threads/new/"
FLAGGED = f"{FORUM}flagged/"
HIDDEN = "This post was hidden by a facilitator."


def unique(text: str) -> str:
    """``text`` with a short unique tag, to tell this test's words from everyone else's."""
    return f"{text} [{uuid.uuid4().hex[:8]}]"


def post_id(page: Page) -> int:
    """The post a form redirected to (``…/threads/<id>/#post-<id>``)."""
    match = re.fullmatch(r"post-(\d+)", urlsplit(page.url).fragment)
    assert match, page.url
    return int(match.group(1))


def live_state(page: Page):
    return page.locator("#live-status [data-live-state]")


def mark_page(page: Page) -> None:
    """Leave a mark in the page's window: it survives live updates, not a reload."""
    page.evaluate("() => { window.cgNotReloaded = true; }")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("() => window.cgNotReloaded === true"), f"{page.url} was reloaded"


def post_ids(page: Page) -> list[int]:
    return [
        int(element_id.removeprefix("post-"))
        for element_id in page.locator("#posts > li").evaluate_all("(els) => els.map(e => e.id)")
    ]


# --- Sessions, pages and threads made through the forms -------------------------------------------


@pytest.fixture
def open_page(new_page, sessions) -> Callable[..., Page]:
    """``open_page(email=None, width=WIDE, javascript=True)``: a page in its own browser context,
    signed in as ``email`` (or not), recording script errors in ``page.cg_errors``."""

    def open_as(email: str | None = None, width: int = WIDE, *, javascript: bool = True) -> Page:
        page = new_page(
            width, javascript=javascript, storage_state=sessions(email) if email else None
        )
        errors: list[str] = []
        page.cg_errors = errors  # type: ignore[attr-defined]
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        return page

    return open_as


def start_thread(page: Page, title: str, body: str) -> str:
    """Start a thread through the form; return its path."""
    page.goto(FORUM)
    page.get_by_role("link", name="Start a thread").click()
    assert urlsplit(page.url).path == NEW_THREAD
    page.get_by_label("Title").fill(title)
    page.get_by_label("Opening post").fill(body)
    page.get_by_role("button", name="Start the thread").click()
    expect(success_banner(page)).to_contain_text("Your thread is started.")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    return urlsplit(page.url).path


def post_reply(page: Page, text: str) -> int:
    """Type a post into the thread's form and press Post; return the new post's id."""
    page.get_by_label("Your post").fill(text)
    page.get_by_role("button", name="Post", exact=True).click()
    expect(success_banner(page)).to_contain_text("Your post is published.")
    return post_id(page)


def open_live(page: Page, path: str) -> None:
    """Open a thread page and wait until its live connection is up."""
    page.goto(path)
    expect(live_state(page)).to_have_text("Live")


@pytest.fixture
def thread(open_page) -> str:
    """A fresh thread in the open demo forum, started by its facilitator without JavaScript."""
    page = open_page(FACILITATOR_EMAIL, javascript=False)
    return start_thread(
        page,
        unique("Where should the new drinking fountain go?"),
        "One fountain is funded for phase one. Where would you put it, and why?",
    )


# --- 1. Live across three browsers ----------------------------------------------------------------


def test_posts_reactions_and_hides_reach_every_page_live(open_page, thread):
    rosa = open_page(RESIDENT_EMAIL)
    sam = open_page(RESIDENT2_EMAIL)
    mo = open_page(FACILITATOR_EMAIL)
    for page in (rosa, sam, mo):
        open_live(page, thread)
        mark_page(page)
    expect(rosa.locator("#live-presence")).to_have_text(" — 3 here")

    # Rosa replies with the ordinary form; her own page follows the redirect.
    words = unique("By the playground gate, so children can fill their bottles.")
    reply = post_reply(rosa, words)
    for page in (sam, mo):
        expect(page.locator(f"#post-{reply}")).to_contain_text(words)
        expect(page.locator(f"#post-{reply}")).to_contain_text(ROSA)
        expect(page.locator("#live-announcer")).to_have_text(f"New post from {ROSA}")
        assert_not_reloaded(page)
    # The facilitator's copy has the facilitator's tools; a resident's has not.
    expect(mo.locator(f"#post-{reply}").get_by_text("Hide this post")).to_be_visible()
    expect(sam.locator(f"#post-{reply}").get_by_text("Hide this post")).to_have_count(0)

    # Sam agrees (an ordinary form: his page reloads); Rosa's count goes up live.
    expect(live_state(rosa)).to_have_text("Live")
    mark_page(rosa)
    agree = rosa.locator(f"#post-{reply} .forum-reaction__button", has_text="Agree")
    expect(agree).to_have_text("Agree 0")
    sam.locator(f"#post-{reply}").get_by_role("button", name=re.compile(r"^Agree")).click()
    expect(success_banner(sam)).to_contain_text("You reacted “Agree”.")
    expect(agree).to_have_text("Agree 1")
    expect(mo.locator(f"#post-{reply} .forum-reaction__button", has_text="Agree")).to_have_text(
        "Agree 1"
    )
    assert_not_reloaded(rosa)
    assert_not_reloaded(mo)

    # The facilitator hides the post with a reason; it vanishes from the residents' pages.
    expect(live_state(sam)).to_have_text("Live")
    mark_page(sam)
    tools = mo.locator(f"#post-{reply}")
    tools.get_by_text("Hide this post").click()
    tools.get_by_label("Why are you hiding this post?").fill("Please keep it about the park.")
    tools.get_by_role("button", name="Hide the post").click()
    expect(success_banner(mo)).to_contain_text("The post is hidden. Its author can see why.")
    for page in (rosa, sam):
        post = page.locator(f"#post-{reply}")
        expect(post).to_contain_text(HIDDEN)
        expect(post).not_to_contain_text(words)
        expect(post.get_by_role("button")).to_have_count(0)
        expect(page.locator("#live-announcer")).to_have_text("A post was hidden by a facilitator")
        assert_not_reloaded(page)
    # The author is told at once, with the reason, by the notice every signed-in page carries.
    notice = rosa.locator("[data-live-notifications]")
    expect(notice).to_contain_text("A facilitator hid one of your forum posts.")
    expect(notice).to_contain_text("Please keep it about the park.")
    expect(notice.get_by_role("link", name="See your post")).to_have_attribute(
        "href", re.compile(rf"#post-{reply}$")
    )
    expect(sam.locator("[data-live-notifications]")).not_to_contain_text("hid one of your")
    # On a reload the author sees her post and the reason; the other resident still does not.
    rosa.reload()
    expect(rosa.locator(f"#post-{reply}")).to_contain_text(words)
    expect(rosa.locator(f"#post-{reply}")).to_contain_text("Reason: Please keep it about the park.")
    sam.reload()
    expect(sam.locator(f"#post-{reply}")).to_contain_text(HIDDEN)
    expect(sam.locator(f"#post-{reply}")).not_to_contain_text(words)
    for page in (rosa, sam, mo):
        assert not page.cg_errors, page.cg_errors  # type: ignore[attr-defined]


# --- 2. Catch-up after a dropped connection -------------------------------------------------------


class Cable:
    """The page's network, with its live connection routed through the test so it can be cut.

    Chromium's offline mode (``context.set_offline``) alone leaves an open WebSocket alone, so
    cutting also closes both sides of the page's connection, and while cut every reconnection
    attempt is closed as soon as it is made. Mending brings the network back, which the page
    hears (the ``online`` event) and reconnects at once.
    """

    def __init__(self, page: Page) -> None:
        self.context = page.context
        self.cut = False
        self.open: list[tuple] = []  # (the page's side, the server's side)
        self.attempts = 0
        page.route_web_socket(re.compile(r"/ws/forums/threads/\d+/$"), self._route)

    def _route(self, route) -> None:
        self.attempts += 1
        if self.cut:
            route.close(code=1001, reason="cut by the test")
            return
        self.open.append((route, route.connect_to_server()))

    def cut_now(self) -> None:
        self.cut = True
        self.context.set_offline(True)
        for page_side, server_side in self.open:
            server_side.close(code=1001, reason="cut by the test")
            page_side.close(code=1001, reason="cut by the test")
        self.open.clear()

    def mend(self) -> None:
        self.cut = False
        self.context.set_offline(False)


def test_a_page_that_lost_its_connection_catches_up_with_nothing_missing(open_page, thread):
    reader = open_page(RESIDENT_EMAIL)
    cable = Cable(reader)
    open_live(reader, thread)
    mark_page(reader)
    before = post_ids(reader)
    opening = reader.locator(f"#post-{before[0]} .forum-reaction__button", has_text="Good idea")
    expect(opening).to_have_text("Good idea 0")

    # The reader's connection drops; Sam posts three times and reacts meanwhile.
    cable.cut_now()
    expect(live_state(reader)).to_have_text("Reconnecting…")
    sam = open_page(RESIDENT2_EMAIL, javascript=False)
    sam.goto(thread)
    missed = []
    for n in range(1, 4):
        words = unique(f"Missed post {n}: near the bandstand, where people already gather.")
        missed.append((post_reply(sam, words), words))
    sam.locator(f"#post-{before[0]}").get_by_role("button", name=re.compile("^Good idea")).click()
    expect(success_banner(sam)).to_contain_text("You reacted “Good idea”.")
    expect(reader.locator(f"#post-{missed[0][0]}")).to_have_count(0)
    # The page keeps trying to reconnect while the connection is down.
    attempts = cable.attempts
    for _ in range(20):
        if cable.attempts > attempts:
            break
        reader.wait_for_timeout(500)
    assert cable.attempts > attempts, "the page stopped trying to reconnect"

    # Mended: the page reconnects, asks for what it missed and gets all of it, in order.
    cable.mend()
    expect(live_state(reader)).to_have_text("Live", timeout=15_000)
    for pk, words in missed:
        expect(reader.locator(f"#post-{pk}")).to_contain_text(words)
    expect(opening).to_have_text("Good idea 1")
    assert post_ids(reader) == before + [pk for pk, _ in missed]
    expect(reader.locator("#live-announcer")).to_have_text("3 new updates")
    assert_not_reloaded(reader)


# --- 3. Pausing live updates ----------------------------------------------------------------------


def test_pause_holds_new_posts_back_until_pressed_again(open_page, thread):
    reader = open_page(RESIDENT_EMAIL)
    open_live(reader, thread)
    mark_page(reader)
    pause = reader.get_by_role("button", name="Pause live updates")
    expect(pause).to_have_attribute("aria-pressed", "false")
    pause.click()
    expect(pause).to_have_attribute("aria-pressed", "true")
    expect(live_state(reader)).to_have_text("Paused")

    sam = open_page(RESIDENT2_EMAIL, javascript=False)
    sam.goto(thread)
    words = unique("Next to the café, where there is already a water main.")
    pk = post_reply(sam, words)
    # The post has reached the page (it is waiting) but is not shown.
    expect(live_state(reader)).to_have_text("Paused (1 waiting)")
    expect(reader.locator(f"#post-{pk}")).to_have_count(0)
    expect(reader.get_by_text(words)).to_have_count(0)

    pause.click()
    expect(pause).to_have_attribute("aria-pressed", "false")
    expect(reader.locator(f"#post-{pk}")).to_contain_text(words)
    expect(live_state(reader)).to_have_text("Live")
    expect(reader.locator("#live-announcer")).to_have_text(f"New post from {SAM}")
    assert_not_reloaded(reader)


# --- 4. Without JavaScript ------------------------------------------------------------------------


def test_resident_reads_and_replies_without_javascript(open_page, thread):
    page = open_page(RESIDENT_EMAIL, javascript=False)
    page.goto(FORUM)
    page.locator(".forum-threads__title").locator(f'a[href="{thread}"]').click()
    assert urlsplit(page.url).path == thread
    expect(page.locator("#posts > li")).to_have_count(1)
    expect(page.locator("#posts")).to_contain_text("One fountain is funded for phase one.")
    # The live controls stay hidden without the script that drives them.
    expect(page.locator("#live-pause")).to_be_hidden()
    expect(page.locator("#live-status")).to_be_hidden()

    words = unique("In the middle of the lawn, away from the road.")
    pk = post_reply(page, words)
    assert urlsplit(page.url).path == thread
    expect(page.locator(f"#post-{pk}")).to_contain_text(words)
    expect(page.locator(f"#post-{pk}")).to_contain_text(ROSA)
    expect(page.locator("#posts > li")).to_have_count(2)

    # An empty post comes back with the error summary, nothing posted.
    page.get_by_role("button", name="Post", exact=True).click()
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("link")).to_have_text(["Write your post"])
    expect(page.locator("#posts > li")).to_have_count(2)


def test_co_design_session_without_javascript(open_page, thread):
    mo = open_page(FACILITATOR_EMAIL, javascript=False)
    mo.goto(thread)
    prompt = unique("What should the fountain area have around it?")
    mo.get_by_label("What should people bring ideas for?").fill(prompt)
    mo.get_by_label("How long should it run, in minutes?").fill("20")
    mo.get_by_role("button", name="Open the session").click()
    expect(success_banner(mo)).to_contain_text("The co-design session is open.")
    session = mo.locator(".forum-session", has_text=prompt)
    expect(session.get_by_text("Open for ideas")).to_be_visible()

    rosa = open_page(RESIDENT_EMAIL, javascript=False)
    sam = open_page(RESIDENT2_EMAIL, javascript=False)
    benches, trees = unique("Benches in the shade"), unique("Two trees for shade")
    for page, idea in ((rosa, benches), (sam, trees)):
        page.goto(thread)
        expect(page.get_by_text(prompt)).to_be_visible()
        page.get_by_label("Add an idea").fill(idea)
        page.get_by_role("button", name="Add your idea").click()
        expect(success_banner(page)).to_contain_text("Your idea is added.")
        expect(page.locator(".forum-idea", has_text=idea)).to_contain_text("0 votes")
    # Both vote for the trees; Rosa also for her benches.
    for page in (rosa, sam):
        page.goto(thread)  # no live updates without JavaScript: Sam's idea shows on a reload
        page.get_by_role("button", name=f"Vote for “{trees}”").click()
        expect(success_banner(page)).to_be_visible()
    rosa.get_by_role("button", name=f"Vote for “{benches}”").click()
    expect(rosa.get_by_role("button", name=f"Remove vote for “{benches}”")).to_be_visible()
    ideas = rosa.locator(".forum-idea")
    expect(ideas.locator(".forum-idea__text")).to_have_text([trees, benches])
    expect(ideas.locator(".forum-idea__votes")).to_have_text(["2 votes", "1 vote"])

    mo.goto(thread)
    mo.get_by_role("button", name="Close the session and post the ranked ideas").click()
    expect(success_banner(mo)).to_contain_text(
        "The co-design session is closed and its ranked ideas are posted."
    )
    summary_id = post_id(mo)
    summary = mo.locator(f"#post-{summary_id}")
    expect(summary.get_by_text("Summary", exact=True)).to_be_visible()
    expect(summary.locator(".forum-post__body")).to_contain_text(f"Co-design session: {prompt}")
    expect(summary.locator(".forum-post__body")).to_contain_text(
        re.compile(rf"1\. {re.escape(trees)} \(2 votes\)\s*2\. {re.escape(benches)} \(1 vote\)")
    )

    # Residents see the closed session, the final ranking and the summary post.
    sam.goto(thread)
    expect(sam.locator(".forum-session").get_by_text("Closed")).to_be_visible()
    expect(sam.get_by_role("button", name=re.compile("^Vote"))).to_have_count(0)
    expect(sam.get_by_label("Add an idea")).to_have_count(0)
    sam.get_by_role("link", name="Read the ranked ideas in the summary post").click()
    assert urlsplit(sam.url).fragment == f"post-{summary_id}"
    expect(sam.locator(f"#post-{summary_id}")).to_contain_text(f"1. {trees} (2 votes)")


# --- 5. By keyboard alone -------------------------------------------------------------------------


def document_order(page: Page) -> int:
    """Where the focused element is in the document: its index among all elements."""
    return page.evaluate(
        "() => Array.prototype.indexOf.call(document.getElementsByTagName('*'),"
        " document.activeElement)"
    )


def focused_text(page: Page) -> str:
    """The focused element's text, its white space collapsed (as a screen reader reads it)."""
    return " ".join(focused(page)["text"].split())


def tab_forwards_to(page: Page, text: str) -> list[str]:
    """Tab until the focused element's text is ``text``, checking that every step moves forwards
    through the page; return what was focused on the way."""
    seen, last = [], -1
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        element, position = focused(page), document_order(page)
        seen.append(element["id"] or focused_text(page)[:30] or element["tag"])
        assert position > last, f"focus went backwards on {page.url}: {seen}"
        last = position
        if focused_text(page) == text:
            return seen
    pytest.fail(f"Tab never reached {text!r} on {page.url}; focus went {seen}")


def test_resident_replies_to_a_post_by_keyboard_alone(open_page, thread):
    page = open_page(RESIDENT_EMAIL)
    open_live(page, thread)
    opening = post_ids(page)[0]

    # From the top: the skip link first, then the header, the pause control before the posts,
    # and the post's own controls in reading order, up to its Reply link.
    seen = tab_forwards_to(page, "Reply to this post")
    assert seen[0] == "Skip to main content", seen
    assert seen.index("live-pause") < seen.index("Agree 0"), seen
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).fragment == "reply"
    expect(page.locator("#reply")).to_contain_text("Replying to Mo Moderator:")

    # The form is the next thing reached: a way back out, then the text box and the button.
    on_the_way = []
    for _ in range(3):
        page.keyboard.press("Tab")
        on_the_way.append(focused(page))
        if on_the_way[-1]["id"] == "id_body":
            break
    assert on_the_way[-1]["id"] == "id_body", on_the_way
    words = unique("Agreed, and a bottle filler for the dog walkers too.")
    page.keyboard.type(words)
    page.keyboard.press("Tab")
    assert focused_text(page) == "Post your reply", focused(page)
    with page.expect_navigation():
        page.keyboard.press("Space")
    expect(success_banner(page)).to_contain_text("Your post is published.")
    reply = page.locator(f"#post-{post_id(page)}")
    expect(reply).to_contain_text(words)
    expect(reply.locator(".forum-post__reply-to")).to_have_text("In reply to Mo Moderator")
    assert reply.locator(".forum-post__reply-to a").get_attribute("href") == f"#post-{opening}"

    # A second post from the form at the bottom, reached onwards from the new reply, sent with
    # Enter.
    tab_to(page, id="id_body")
    more = unique("And a recycling bin next to it.")
    page.keyboard.type(more)
    page.keyboard.press("Tab")
    assert focused_text(page) == "Post", focused(page)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(f"#post-{post_id(page)}")).to_contain_text(more)


# --- 6. Accessibility -----------------------------------------------------------------------------


def check(page: Page, width: int) -> None:
    """axe-core finds nothing, and at 320 px nothing scrolls sideways."""
    axe(page)
    if width == NARROW:
        assert_no_horizontal_scroll(page)


@pytest.fixture(scope="module")
def busy_thread(browser, server, sessions) -> dict:
    """A thread with an open co-design session with ideas and votes, a post by the demo resident,
    and a post by the facilitator reported by her: the thread's title and path, and the two
    post ids."""

    def page_for(email: str) -> Page:
        context = browser.new_context(
            base_url=server.url, java_script_enabled=False, storage_state=sessions(email)
        )
        contexts.append(context)
        return context.new_page()

    contexts = []
    try:
        mo = page_for(FACILITATOR_EMAIL)
        title = unique("Planting along the river path")
        path = start_thread(
            mo, title, "Which trees and plants would you like along the river path?"
        )
        mo.get_by_label("What should people bring ideas for?").fill("Which trees would you plant?")
        mo.get_by_role("button", name="Open the session").click()
        expect(success_banner(mo)).to_be_visible()
        rosa = page_for(RESIDENT_EMAIL)
        rosa.goto(path)
        rosa.get_by_label("Add an idea").fill("Silver birches, for the light shade")
        rosa.get_by_role("button", name="Add your idea").click()
        rosa.get_by_role("button", name=re.compile("^Vote for")).first.click()
        expect(rosa.get_by_role("button", name=re.compile("^Remove vote"))).to_be_visible()
        own = post_reply(rosa, "Fruit trees would be lovely too, if someone looks after them.")
        facilitators = post_ids(rosa)[0]
        rosa.goto(f"{FORUM}posts/{facilitators}/report/")
        rosa.get_by_label("It is off topic").check()
        rosa.get_by_role("button", name="Send the report").click()
        expect(success_banner(rosa)).to_be_visible()
        return {"title": title, "path": path, "own": own, "other": facilitators}
    finally:
        for context in contexts:
            context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_forum_list_and_forum_pages_are_accessible(open_page, width):
    page = open_page(RESIDENT_EMAIL, width)
    page.goto("/forums/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Co-design forums")
    check(page, width)
    page.get_by_role("link", name=re.compile("^Castle Gardens")).click()
    assert urlsplit(page.url).path == FORUM
    expect(page.locator(".forum-threads__item").first).to_be_visible()
    check(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_thread_page_with_a_session_is_accessible(open_page, busy_thread, width):
    page = open_page(RESIDENT_EMAIL, width)
    open_live(page, busy_thread["path"])
    expect(page.locator(".forum-idea")).to_have_count(1)
    expect(page.get_by_role("button", name="Pause live updates")).to_be_visible()
    expect(page.locator("#live-presence")).to_contain_text("here")
    check(page, width)
    assert not page.cg_errors, page.cg_errors  # type: ignore[attr-defined]


@pytest.mark.parametrize("width", WIDTHS)
def test_thread_page_for_the_facilitator_is_accessible(open_page, busy_thread, width):
    page = open_page(FACILITATOR_EMAIL, width)
    open_live(page, busy_thread["path"])
    expect(
        page.get_by_role("button", name="Close the session and post the ranked ideas")
    ).to_be_visible()
    # The hide forms are inside closed details; open one so its form is checked too.
    page.locator(f"#post-{busy_thread['own']}").get_by_text("Hide this post").click()
    check(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_new_thread_page_is_accessible_with_and_without_errors(open_page, width):
    page = open_page(RESIDENT_EMAIL, width)
    page.goto(NEW_THREAD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Start a thread")
    check(page, width)
    page.get_by_role("button", name="Start the thread").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["Give the thread a title", "Write your post"])
    assert page.title().startswith("Error:"), page.title()
    check(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_report_page_is_accessible_with_and_without_errors(open_page, busy_thread, width):
    page = open_page(RESIDENT2_EMAIL, width)
    page.goto(f"{FORUM}posts/{busy_thread['other']}/report/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Report a post")
    check(page, width)
    page.get_by_role("button", name="Send the report").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    check(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_edit_page_is_accessible_with_and_without_errors(open_page, busy_thread, width):
    page = open_page(RESIDENT_EMAIL, width)
    page.goto(busy_thread["path"])
    page.locator(f"#post-{busy_thread['own']}").get_by_role("link", name="Edit your post").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change your post")
    check(page, width)
    page.get_by_label("Your post").fill("")
    page.get_by_role("button", name="Save the change").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    check(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_flagged_queue_and_hide_page_are_accessible(open_page, busy_thread, width):
    page = open_page(FACILITATOR_EMAIL, width)
    page.goto(FORUM)
    page.get_by_role("link", name="Reported posts").click()
    assert urlsplit(page.url).path == FLAGGED
    expect(page.get_by_role("heading", level=1)).to_have_text("Reported posts")
    item = page.locator(".forum-flagged__item", has_text=busy_thread["title"])
    expect(item).to_contain_text("It is off topic")
    item.get_by_text("Hide this post").click()
    check(page, width)
    # Hiding without a reason: the hide page with its error.
    item.get_by_role("button", name="Hide the post").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hide a post")
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    check(page, width)
