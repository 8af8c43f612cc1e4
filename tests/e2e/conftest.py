"""Browser tests: a real daphne process on a fresh, seeded database, driven by Debian's Chromium.

The server runs in a child process (``tests/servers.py``) with its own database: a SQLite file in
a temporary directory, or, when ``DATABASE_URL`` names a PostgreSQL server (CI's second run), a
separate ``<name>_e2e`` database created here and dropped at the end. Emails are written to files
so a test can follow the link in a verification email.

Chromium is Debian's (``/usr/bin/chromium``); Playwright's own browser downloads are never used.
axe-core comes from npm and is served by the platform itself at /static/vendor/axe-core/, so it
loads under the site's strict Content Security Policy without bypassing it.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from engagement.management.commands.seed_demo import DEMO_PASSWORD
from tests.servers import REPO, asgi_server, manage

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
HEIGHT = 900
WIDE, NARROW = 1280, 320
AXE_URL = "/static/vendor/axe-core/axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

RESIDENT_EMAIL = "resident@demo.commonground.test"


@dataclass(frozen=True)
class Server:
    url: str
    mail_dir: Path
    log: Path


# --- The database and the server ------------------------------------------------------------------


@contextmanager
def _postgres_database(url: str) -> Iterator[str]:
    """Create ``<name>_e2e`` next to the database in ``url``; yield its URL; drop it afterwards."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'postgres'}_e2e"
    admin_url = urlunsplit(parts)  # connect to the configured database to create a sibling
    statement_drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(statement_drop)
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(statement_drop)


@contextmanager
def _database(tmp: Path) -> Iterator[str]:
    configured = os.environ.get("DATABASE_URL", "")
    if configured.startswith(("postgres://", "postgresql://", "pgsql://")):
        with _postgres_database(configured) as url:
            yield url
    else:
        yield f"sqlite:///{tmp / 'e2e.sqlite3'}"


def _manage(*args: str, env: dict[str, str]) -> None:
    try:
        manage(*args, env=env)
    except subprocess.CalledProcessError as error:
        output = (error.stdout or b"").decode() + (error.stderr or b"").decode()
        pytest.fail(f"manage.py {' '.join(args)} failed:\n{output[-4000:]}", pytrace=False)


@pytest.fixture(scope="session")
def e2e_tmp(tmp_path_factory) -> Iterator[Path]:
    """A scratch directory: in memory (/dev/shm) when there is one, as SQLite's fsyncs during
    ``migrate`` are most of the suite's set-up time on a disk."""
    shm = Path("/dev/shm")  # noqa: S108 - mkdtemp below makes a private, unique directory
    if shm.is_dir() and os.access(shm, os.W_OK):
        tmp = Path(tempfile.mkdtemp(prefix="common-ground-e2e-", dir=shm))
        try:
            yield tmp
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    else:
        yield tmp_path_factory.mktemp("e2e")


def _production_env(env: dict[str, str], tmp: Path) -> dict[str, str]:
    return {
        **env,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATIC_ROOT": str(tmp / "static"),
    }


@dataclass
class Platform:
    """What the servers share: the environment, scratch space and (when a test needs the
    production server) the ``collectstatic`` run started in the background at the beginning."""

    env: dict[str, str]
    tmp: Path
    collectstatic: subprocess.Popen | None = None


@pytest.fixture(scope="session")
def platform(request, e2e_tmp: Path) -> Iterator[Platform]:
    """A fresh migrated, seeded database; email written to files."""
    tmp = e2e_tmp
    mail_dir = tmp / "mail"
    mail_dir.mkdir()
    with _database(tmp) as database_url:
        env = {
            "DATABASE_URL": database_url,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
            "ENV_FILE": "/nonexistent",
            "DEBUG": "1",
            "SECURE_COOKIES": "0",
            "SECURE_SSL_REDIRECT": "0",
        }
        if os.environ.get("REDIS_URL"):
            # The same Redis, but its own database: rate-limit counters and cached pages left by
            # the rest of the suite (same client IP, same key prefix) must not leak in.
            env["REDIS_URL"] = urlunsplit(urlsplit(os.environ["REDIS_URL"])._replace(path="/15"))
        platform = Platform(env=env, tmp=tmp)
        if any("production_server" in item.fixturenames for item in request.session.items):
            # Collecting static files needs no database, so it runs while the database is built.
            platform.collectstatic = subprocess.Popen(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
                cwd=REPO,
                env={**os.environ, **_production_env(env, tmp)},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        try:
            _manage("migrate", "--noinput", "--skip-checks", env=env)
            _manage("seed_demo", "--skip-checks", env=env)
            yield platform
        finally:
            if platform.collectstatic and platform.collectstatic.poll() is None:
                platform.collectstatic.kill()
                platform.collectstatic.wait()


@pytest.fixture(scope="session")
def server(platform: Platform) -> Iterator[Server]:
    """The platform under daphne, as `make run` serves it (DEBUG=1, static files via finders)."""
    log = platform.tmp / "daphne.log"
    try:
        with asgi_server(platform.env, log_path=log) as url:
            yield Server(url=url, mail_dir=Path(platform.env["EMAIL_FILE_PATH"]), log=log)
    except (RuntimeError, TimeoutError) as error:
        text = log.read_text(errors="replace") if log.exists() else ""
        pytest.fail(f"daphne did not start: {error}\n{text[-4000:]}", pytrace=False)


@pytest.fixture(scope="session")
def production_server(platform: Platform) -> Iterator[Server]:
    """The platform with DEBUG off, for the friendly error pages (DEBUG shows Django's own),
    with static files collected into a temporary STATIC_ROOT by the production storage."""
    env = _production_env(platform.env, platform.tmp)
    if platform.collectstatic is None:
        _manage("collectstatic", "--noinput", "--verbosity", "0", env=env)
    else:
        output, _ = platform.collectstatic.communicate(timeout=120)
        if platform.collectstatic.returncode:
            pytest.fail(f"collectstatic failed:\n{output.decode()[-4000:]}", pytrace=False)
    log = platform.tmp / "daphne-production.log"
    with asgi_server(env, log_path=log) as url:
        yield Server(url=url, mail_dir=Path(env["EMAIL_FILE_PATH"]), log=log)


# --- The browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def new_page(browser: Browser, server: Server) -> Iterator[Callable[..., Page]]:
    """Open pages in fresh browser contexts (no shared cookies), closed when the test ends.

    ``new_page(width=320, javascript=False, storage_state=..., base_url=...)``
    """
    contexts = []

    def open_page(
        width: int = WIDE,
        *,
        javascript: bool = True,
        storage_state: dict | None = None,
        base_url: str | None = None,
    ) -> Page:
        context = browser.new_context(
            base_url=base_url or server.url,
            viewport={"width": width, "height": HEIGHT},
            java_script_enabled=javascript,
            storage_state=storage_state,
            locale="en-GB",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page) -> Page:
    return new_page()


# --- Helpers --------------------------------------------------------------------------------------


def axe(page: Page) -> None:
    """Run axe-core on the page (WCAG 2.2 A/AA rules) and fail listing every violation."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
    results = page.evaluate(
        """async (tags) => await axe.run(document, {
            runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']
        })""",
        AXE_TAGS,
    )
    violations = results["violations"]
    if violations:
        lines = [f"{len(violations)} axe violation(s) on {page.url}:"]
        for violation in violations:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
            for node in violation["nodes"]:
                lines.append(f"    {node['target']}: {node['html'][:300]}")
                if node.get("failureSummary"):
                    lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
        message = "\n".join(lines)
        print(message)
        pytest.fail(message, pytrace=False)


def assert_no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate(
        """() => ({scroll: document.documentElement.scrollWidth,
                   client: document.documentElement.clientWidth})"""
    )
    assert widths["scroll"] <= widths["client"], f"{page.url} scrolls sideways: {widths}"


def focused(page: Page) -> dict:
    """What has keyboard focus: tag, id, name, type, text and href of document.activeElement."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            return {
                tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name') || '',
                type: el.getAttribute('type') || '', href: el.getAttribute('href') || '',
                text: (el.innerText || el.value || '').trim(),
            };
        }"""
    )


def log_in(page: Page, email_address: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the login form, as a person would (labels, not selectors)."""
    page.goto("/accounts/login/")
    page.get_by_label("Email address", exact=True).fill(email_address)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def success_banner(page: Page):
    return page.locator(".govuk-notification-banner--success")


@pytest.fixture(scope="module")
def sessions(browser, server) -> Callable[[str], dict]:
    """``sessions(email)``: the cookies of one sign-in through the login form, made once."""
    made: dict[str, dict] = {}

    def session(email: str) -> dict:
        if email not in made:
            context = browser.new_context(base_url=server.url)
            page = context.new_page()
            log_in(page, email)
            made[email] = context.storage_state()
            context.close()
        return made[email]

    return session


def read_emails(mail_dir: Path) -> list:
    """Every email the server has written, oldest first, as ``email.message.EmailMessage``."""
    messages = []
    for path in sorted(mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime):
        # The file backend writes one or more messages per file, each followed by a line of dashes.
        for chunk in re.split(rb"\n-{79}\n", path.read_bytes()):
            if chunk.strip():
                messages.append(message_from_bytes(chunk.strip() + b"\n", policy=policy.default))
    return messages
