"""The realtime process's entry point: the same app under gevent, for the websocket routes (`/ws/...`).

    gunicorn --worker-class gevent --worker-connections 10000 --workers 1 --bind 0.0.0.0:8001 realtime:app

An open socket is a pair of greenlets here, not a thread, so thousands fit in one process; a proxy sends `/ws`
to it and everything else to the threaded web process (`wsgi:app`). Patching must come before anything imports
socket, ssl or threading: psycopg then waits cooperatively (it detects gevent) and so do redis-py and
simple-websocket. `make run` and the tests serve the sockets from the one threaded process instead.
"""

from gevent import monkey

monkey.patch_all()

from storefront import create_app  # noqa: E402 - after patching, on purpose

app = create_app()
