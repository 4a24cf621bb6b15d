"""Fixtures for the job tests: a redis-server of their own (so it can be stopped, and restarted empty) and a
real `flask worker` process."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storefront import create_app
from storefront.extensions import db
from tests.conftest import missing_service, worker_port

ROOT = Path(__file__).resolve().parents[2]
OWN_REDIS_PORT = worker_port(int(os.environ.get("TEST_JOBS_REDIS_PORT", "6393")))


def wait_until(condition, timeout: float = 60.0, every: float = 0.1, what: str = "the condition"):
    """Poll for a real event with a generous timeout; never a bare sleep, never a timing assertion."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what} did not happen within {timeout} s")


class RedisServer:
    """A throwaway redis-server without persistence: `restart()` brings it back with an empty memory."""

    def __init__(self, port: int, folder: Path):
        self.port = port
        self.folder = folder
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_until(self._listening, 20, 0.05, f"redis-server on port {self.port}")

    def _listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        """Shut down without saving, as `redis-cli shutdown nosave` does: what it held is gone."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def own_redis(tmp_path):
    if not shutil.which("redis-server"):
        missing_service("redis-server is not installed")
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", OWN_REDIS_PORT)) == 0:
            pytest.fail(f"port {OWN_REDIS_PORT} is taken; set TEST_JOBS_REDIS_PORT", pytrace=False)
    server = RedisServer(OWN_REDIS_PORT, tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_app(app, own_redis, tmp_path):
    """The test app's database, with jobs going to the fixture's own Redis."""
    rq_app = create_app("testing", {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": own_redis.url,
        "MAIL_FILE_DIR": str(tmp_path / "rq-mail"), "OUTBOX_RELAY_AFTER": 0,
    })
    with rq_app.app_context():
        yield rq_app
        db.session.remove()
        db.engine.dispose()


def mail_files(app) -> list[Path]:
    folder = Path(app.config["MAIL_FILE_DIR"])
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def worker_env(app, log_path: Path | None = None) -> dict[str, str]:
    return {**os.environ, "STOREFRONT_CONFIG": "development", "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": app.config["REDIS_URL"], "MAIL_FILE_DIR": app.config["MAIL_FILE_DIR"], "FLASK_APP": "wsgi",
            "RATELIMIT_STORAGE_URI": "memory://"}


def run_burst_worker(app) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"], cwd=ROOT,
                          env=worker_env(app), capture_output=True, text=True, timeout=180)


class WorkerProcess:
    """`flask worker` running in the background, its output in a file the test can read."""

    def __init__(self, app, log_path: Path, *args: str):
        self.log_path = log_path
        self._log = open(log_path, "wb")  # closed in stop()
        self.process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", *args],
                                        cwd=ROOT, env=worker_env(app), stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> int:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self._log.close()
        return self.process.returncode


@pytest.fixture
def start_worker(tmp_path):
    started: list[WorkerProcess] = []

    def start(app, *args: str) -> WorkerProcess:
        worker = WorkerProcess(app, tmp_path / f"worker-{len(started)}.log", *args)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
