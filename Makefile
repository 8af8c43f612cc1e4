# Common Ground: `make run` serves the demo platform, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: run test test-fast bench lint format deps check-deploy clean help digests

help:
	@echo "make run    install everything, seed the demo place and serve http://$(HOST):$(PORT)"
	@echo "make test   run the whole test suite (unit, live and browser tests)"
	@echo "make bench  run the benchmarks in bench/ and print the figures (BENCH=places: the map only; BENCH=forums: the live forum only; BENCH=calendar: the shared calendar only)"
	@echo "make lint   ruff check and format check"
	@echo "make digests  send the calendar digests now (the scheduler does this hourly in production)"

# --- Installation (each step re-runs only when its inputs change) ---------------------------------

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

engagement/static/dist/app.css: node_modules/.installed $(wildcard engagement/static_src/scss/*.scss)
	npm run --silent build

.env:
	cp .env.example .env

deps: $(VENV)/.installed node_modules/.installed engagement/static/dist/app.css .env

# --- Serving --------------------------------------------------------------------------------------

run: deps
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py migrate --noinput --verbosity 0
	$(PY) manage.py seed_demo
	@$(PY) manage.py demo_logins --url "http://$(HOST):$(PORT)/"
	$(VENV)/bin/daphne --bind $(HOST) --port $(PORT) engagement.asgi:application

# Send the calendar digests now, as the scheduler and worker do in production (the demo's email
# backend prints them).
digests: deps
	$(PY) manage.py send_calendar_digests --frequency all
	$(PY) manage.py db_worker --batch --no-startup-delay --no-reload

# --- Quality --------------------------------------------------------------------------------------

test: deps
	@scripts/ensure-test-tools
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest

test-fast: deps
	$(VENV)/bin/pytest -m "not e2e"

# `make bench BENCH=places` runs only the map benchmark, `BENCH=forums` only the live forum
# (BENCH_LIVE_CLIENTS=100 makes it smaller), `BENCH=calendar` only the shared calendar
# (BENCH_ACTIVITIES=20000 makes it smaller); BENCH_PINS=100000 makes the map quicker (the
# targets are judged at the defaults, 1,000,000 pins and 100,000 activities).
bench: deps
	@scripts/ensure-test-tools bench
	$(PY) bench/run.py $(if $(BENCH),--only $(BENCH)) $(if $(BENCH_PINS),--pins $(BENCH_PINS))

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: deps
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check-deploy: deps
	DEBUG=0 SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))') \
	ALLOWED_HOSTS=example.org $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) node_modules engagement/static/dist staticfiles
