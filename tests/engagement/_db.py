"""Sharing expensive, read-mostly data between the tests of one module."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.test import override_settings

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@contextmanager
def module_transaction(django_db_blocker) -> Iterator[None]:
    """Create data once for a module, inside a transaction rolled back when the module ends.

    Each test still runs in its own savepoint (pytest-django's ``db``), so what one test changes
    is undone before the next, and nothing leaks into other modules. Not for modules with
    ``transactional_db`` tests, which need the database to themselves.

    The per-test fast password hasher (conftest.py) is not active at module scope, so it is set
    here too; otherwise passwords made now could not be checked by the tests.
    """
    with (
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield
        transaction.set_rollback(True)
