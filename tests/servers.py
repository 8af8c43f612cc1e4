"""Real servers for tests that cross process boundaries: PostgreSQL, Redis and the ASGI server
(daphne).

Each runs as a child process on a free loopback port and is stopped by its PID (PostgreSQL: by
``pg_ctl stop`` on its own data directory) when the test is done. Nothing here is a mock.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0, process: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listened on port {port} within {timeout}s")


@contextmanager
def redis_server():
    """Yield a ``redis://`` URL: the one in $REDIS_URL if set, otherwise a fresh redis-server."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (scripts/ensure-test-tools installs it)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process=process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def asgi_server(env: dict[str, str], port: int | None = None, log_path: Path | None = None):
    """Run the platform under daphne in a child process; yield its base URL.

    ``env`` is added to the current environment (DATABASE_URL, REDIS_URL, EMAIL_* ...).
    """
    port = port or free_port()
    full_env = {**os.environ, "DEBUG": "1", "PYTHONUNBUFFERED": "1", **env}
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "engagement.asgi:application",
        ],
        cwd=REPO,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, timeout=30, process=process)
        base_url = f"http://127.0.0.1:{port}"
        urllib.request.urlopen(f"{base_url}/healthz", timeout=10).close()
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log_path:
            log.close()


def manage(*args: str, env: dict[str, str]) -> None:
    """Run a management command in a child process with ``env`` added to the environment."""
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env={**os.environ, "DEBUG": "1", **env},
        check=True,
        capture_output=True,
    )


def _postgres_bin() -> Path:
    """The newest PostgreSQL server binaries Debian installed (or $PG_BIN)."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if not candidates:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    return candidates[-1].parent


@contextmanager
def postgres_server():
    """Yield a ``postgres://`` URL: $DATABASE_URL if it names PostgreSQL, otherwise a fresh cluster.

    The fresh cluster lives in a temporary directory (data, Unix socket and log), listens on a free
    loopback port with ``fsync=off`` (throwaway data), and has a ``commonground`` role (allowed to
    create databases, as pytest-django needs) owning a ``commonground`` database. initdb and pg_ctl
    refuse to run as root, so as root they run as the ``postgres`` system user. It is stopped with
    ``pg_ctl stop -m fast`` on its own data directory and the directory is removed.
    """
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        yield url
        return
    pg_bin = _postgres_bin()
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    workdir = Path(tempfile.mkdtemp(prefix="cg-postgres-"))
    data = workdir / "data"
    data.mkdir()
    if run_as:
        shutil.chown(workdir, "postgres", "postgres")
        shutil.chown(data, "postgres", "postgres")
    port = free_port()

    def run(*args: str) -> None:
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}
        subprocess.run([*run_as, *args], cwd=workdir, check=True, **quiet)

    initdb, pg_ctl, psql = (str(pg_bin / name) for name in ("initdb", "pg_ctl", "psql"))
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} "
        f"-c unix_socket_directories={workdir} -c fsync=off -c random_page_cost=1.1"
    )
    started = False
    try:
        try:
            run(initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
            started = True
            log = str(workdir / "postgres.log")
            run(pg_ctl, "-D", str(data), "-l", log, "-w", "-t", "30", "-o", options, "start")
            for statement in (
                "CREATE ROLE commonground LOGIN PASSWORD 'commonground' CREATEDB",
                "CREATE DATABASE commonground OWNER commonground",
            ):
                connect = ["-h", str(workdir), "-p", str(port), "-U", "postgres", "-d", "postgres"]
                run(psql, *connect, "-v", "ON_ERROR_STOP=1", "-qc", statement)
        except subprocess.CalledProcessError as error:
            log_file = workdir / "postgres.log"
            detail = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
            stderr = (error.stderr or b"").decode(errors="replace").strip()
            raise RuntimeError(
                f"PostgreSQL setup failed: {error.cmd[len(run_as)]} exited {error.returncode}: "
                f"{stderr}\n{detail}"
            ) from error
        yield f"postgres://commonground:commonground@127.0.0.1:{port}/commonground"
    finally:
        if started and (data / "postmaster.pid").exists():
            stop = [*run_as, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"]
            subprocess.run(stop, cwd=workdir, capture_output=True, check=False)
        shutil.rmtree(workdir, ignore_errors=True)
