# Storefront web/worker image: `docker compose up` runs it (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLASK_APP=wsgi \
    STOREFRONT_CONFIG=production

WORKDIR /app

# Every runtime dependency ships as a wheel for this base (psycopg[binary], argon2-cffi), so no compiler.
COPY requirements.txt .
RUN pip install -r requirements.txt

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

# slim has no curl: ask /healthz (which also checks the database) with the interpreter we already have.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

# The entrypoint migrates the database before the web server starts; run through sh so no exec bit is needed.
ENTRYPOINT ["sh", "/app/docker/entrypoint.sh"]
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "8", "--access-logfile", "-", "wsgi:app"]
