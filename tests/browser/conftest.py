"""Browser tests share the support tests' people and live server (a real server process)."""

from tests.support.conftest import people, server  # noqa: F401 - fixtures
