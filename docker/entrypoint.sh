#!/bin/sh
# Container entrypoint: bring the schema up to date before the web server starts, then run the command.
# Only the web command migrates (the worker waits for web to be healthy); SKIP_MIGRATIONS=1 turns it off,
# e.g. for a second web replica when a release job already migrated.
set -e

if [ "$1" = "gunicorn" ] && [ "${SKIP_MIGRATIONS:-0}" != "1" ]; then
    echo "entrypoint: flask db upgrade"
    flask db upgrade
fi

exec "$@"
