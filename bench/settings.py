"""The production settings plus one route: the framework floor the benchmarks compare against.

Everything comes from ``engagement.settings`` (and so from the environment ``bench/run.py`` sets);
only the root URLconf changes, so the floor view runs through exactly the same middleware,
database, cache and server stack as every real page.
"""

from engagement.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
