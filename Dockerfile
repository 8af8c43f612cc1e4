# Common Ground production image: Daphne serving HTTP and WebSockets on port 8000.
# The same image runs the web replicas, the task worker and the migrate job (docker-compose.yml).
# Works with the classic builder and BuildKit alike.

# ---- Front-end assets: npm packages and the compiled Sass --------------------------------------
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# ---- Python dependencies, in a virtualenv copied whole into the runtime -----------------------
FROM python:3.11-slim-bookworm AS python-deps
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml constraints.txt ./
# Only the runtime dependencies from pyproject.toml (no dev extras), pinned by constraints.txt.
# The project itself is not installed: it runs from /app. This layer is rebuilt only when the
# dependencies change, not on every code change.
RUN python -c "import tomllib; [print(d) for d in tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']]" > requirements.txt \
    && pip install -c constraints.txt -r requirements.txt

# ---- Runtime -----------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PATH=/opt/venv/bin:$PATH \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/media

# No system packages needed: psycopg[binary] bundles libpq, and the other wheels are self-contained.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin app

WORKDIR /app
COPY --from=python-deps /opt/venv /opt/venv
COPY . .
# collectstatic reads packages straight from node_modules (STATICFILES_DIRS: govuk-frontend,
# axe-core, ...), so the whole tree is copied rather than a hand-kept list of paths.
COPY --from=assets /src/node_modules ./node_modules
COPY --from=assets /src/engagement/static/dist ./engagement/static/dist

# Static files are collected into the image (served by WhiteNoise) with throwaway settings: the
# placeholder key only satisfies the settings' length check and is not kept in the image; the real
# SECRET_KEY is given at run time. The code stays root-owned and read-only for the app user; only
# /app/media (a volume in production) is writable.
RUN SECRET_KEY=collectstatic-only-build-time-placeholder-not-a-real-secret-key \
        DEBUG=0 ALLOWED_HOSTS=localhost \
        python manage.py collectstatic --noinput \
    && python -m compileall -q -x node_modules /app \
    && install -d -o app -g app -m 0755 /app/media

USER app
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "--proxy-headers", "engagement.asgi:application"]
