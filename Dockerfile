# Storefront web/worker image: `docker compose up` runs it (see docker-compose.yml).
# A pinned tag (CPython 3.11.11 on Debian bookworm): requirements.lock's hashes are for CPython 3.11 on linux.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLASK_APP=wsgi \
    STOREFRONT_CONFIG=production \
    PROMETHEUS_MULTIPROC_DIR=/tmp/storefront-metrics

WORKDIR /app

# Every runtime dependency ships as a wheel for this base (psycopg[binary], argon2-cffi), so no compiler. The
# lock file pins each one, transitive ones too, with its hash: the image gets exactly the files CI tested.
COPY requirements.lock .
RUN pip install --require-hashes --no-deps -r requirements.lock && pip check

# The code stays owned by root and read-only for the app; only instance/ (uploads, mail files) and the
# user's home (gunicorn's control socket lives in ~/.gunicorn) are writable.
RUN groupadd --system storefront \
    && useradd --system --gid storefront --create-home --home-dir /home/storefront --shell /usr/sbin/nologin storefront
COPY . .
RUN pybabel compile -q -d storefront/translations
RUN mkdir -p instance && chown storefront:storefront instance
USER storefront

# 8000: the web process (this image's command); 8001: the realtime process (compose's `realtime` service).
EXPOSE 8000 8001

# slim has no curl: ask /healthz (the database and Redis) with the interpreter we already have.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

# The entrypoint migrates the database before the web server starts; run through sh so no exec bit is needed.
ENTRYPOINT ["sh", "/app/docker/entrypoint.sh"]
# gunicorn.conf.py: gthread, WEB_CONCURRENCY workers × GUNICORN_THREADS threads (2 × 16: pages and API only;
# the websockets are the realtime service's).
CMD ["gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"]
