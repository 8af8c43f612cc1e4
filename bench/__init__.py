"""Benchmarks for Common Ground (``make bench``). Never part of the test suite."""

# The framework floor: a trivial Django view on the same stack (see bench/urls.py).
FLOOR_PATH = "/bench/floor"
