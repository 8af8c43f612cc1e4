"""Count the SQL queries each benchmarked page runs, in a process of its own.

Runs under ``bench.settings`` with the same environment as the server (same database, same cache),
requests each path with Django's test client as an anonymous visitor and prints one JSON object:
``{path: {"status", "queries_first", "queries", "sql"}}``. ``queries_first`` is the first request
this process makes to the path (cold per-process caches), ``queries`` the steady state (the third
request), which is what the load test exercises; ``sql`` lists the steady-state statements.

    DJANGO_SETTINGS_MODULE=bench.settings python -m bench.queries /bench/floor /
"""

from __future__ import annotations

import json
import os
import sys


def main(paths: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="127.0.0.1", raise_request_exception=False)
    results = {}
    for path in paths:
        counts, statuses, sql = [], [], []
        for _ in range(3):
            client.cookies.clear()  # like the load generator: a visitor without cookies
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path, HTTP_ACCEPT="text/html,application/json")
            counts.append(len(captured.captured_queries))
            statuses.append(response.status_code)
            sql = [query["sql"] for query in captured.captured_queries]
        results[path] = {
            "status": statuses[-1],
            "statuses": statuses,
            "queries_first": counts[0],
            "queries": counts[-1],
            "sql": sql,
        }
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
