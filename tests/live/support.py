"""Helpers for tests that run the platform in real child processes (daphne, redis-server)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sqlite3
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from tests.servers import REPO, wait_for_port

# Loopback requests must never be routed through a proxy from the environment.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get_json(url: str, timeout: float = 10) -> tuple[int, dict]:
    """GET ``url`` and return (status, decoded JSON body), whatever the status."""
    try:
        with _opener.open(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def session_cookie(user) -> str:
    """A ``Cookie`` header value carrying a real, saved Django session for ``user``."""
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def database_url_for_children(tmp_path: Path) -> str:
    """A DATABASE_URL under which child processes see what this test has committed so far.

    Call it from a ``transaction=True`` test after creating the rows the children need. On
    PostgreSQL the children share pytest-django's test database (data committed by a transactional
    test is visible to them, and the database is flushed afterwards). SQLite's test database lives
    in this process's memory, so it is copied to a file — faster than migrating a fresh one.
    """
    if connection.vendor == "postgresql":
        parts = urlsplit(os.environ["DATABASE_URL"])
        return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))
    if connection.vendor == "sqlite":
        path = tmp_path / "db.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        return f"sqlite:///{path}"
    pytest.skip(f"child processes cannot share a {connection.vendor} test database")


def production_redis_settings(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> dict:
    """CACHES and CHANNEL_LAYERS exactly as ``engagement/settings.py`` builds them for REDIS_URL.

    The settings module is executed afresh (as a separate module) so the test exercises the real
    production configuration rather than a copy of it.
    """
    monkeypatch.setenv("REDIS_URL", redis_url)
    spec = importlib.util.spec_from_file_location(
        "_settings_with_redis", REPO / "engagement" / "settings.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {"CACHES": module.CACHES, "CHANNEL_LAYERS": module.CHANNEL_LAYERS}


@contextmanager
def logs_shown_on_failure(*paths: Path) -> Iterator[None]:
    """Print the child processes' logs if the block fails (pytest shows captured output)."""
    try:
        yield
    except BaseException:
        for path in paths:
            text = path.read_text(errors="replace") if path.exists() else "(no log written)"
            print(f"\n----- {path.name} -----\n{text}")
        raise


def pid_listening_on(port: int) -> int:
    """The PID of this test's child process listening on 127.0.0.1:``port`` (Linux /proc)."""
    wanted = f"0100007F:{port:04X}"
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1] == wanted and fields[3] == "0A":  # 0A = LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    for pid_dir in Path("/proc").iterdir():
        if not pid_dir.name.isdigit():
            continue
        try:
            ppid = int((pid_dir / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid != os.getpid():
                continue
            for fd in (pid_dir / "fd").iterdir():
                if os.readlink(fd) in inodes:
                    return int(pid_dir.name)
        except OSError:
            continue  # the process ended while we looked
    raise LookupError(f"no child process of this test listens on port {port}")


class RedisProcess:
    """A redis-server child on a fixed port that a test can stop and start again."""

    OPTIONS = ("--bind", "127.0.0.1", "--save", "", "--appendonly", "no")

    def __init__(self, port: int) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (scripts/ensure-test-tools)")
        self.binary = binary
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), *self.OPTIONS],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, process=self.process)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
