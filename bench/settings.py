"""The production settings plus one route: the framework floor the benchmarks compare against.

Everything comes from ``engagement.settings`` (and so from the environment ``bench/run.py`` sets);
only the root URLconf changes, so the floor view runs through exactly the same middleware,
database, cache and server stack as every real page.
"""

from engagement.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# The load generator is one address sending thousands of writes: keep the limits' counting (its cost
# is part of every real write) but set them far above any benchmark's volume.
RATE_LIMITS = {
    action: {scope: (10**9, period) for scope, (_count, period) in limits.items()}
    for action, limits in RATE_LIMITS.items()  # noqa: F405
}
