"""Live-socket test helpers: the support tests' people and live server, and a recorder of pushes."""

from __future__ import annotations

import json

import pytest

from storefront.realtime.events import channel
from storefront.support.broker import get_broker
from tests.support.conftest import people, server  # noqa: F401 - fixtures shared with the chat tests


class Pushes:
    """Every frame the in-process broker delivers on the given topics, decoded."""

    def __init__(self, app, topics):
        self.frames: list[dict] = []
        broker = get_broker(app)
        self._subscriptions = [broker.subscribe(channel(app, topic), self._on) for topic in topics]

    def _on(self, text: str) -> None:
        self.frames.append(json.loads(text))

    def kinds(self) -> list[tuple[str, str]]:
        return [(frame["topic"], frame["kind"]) for frame in self.frames]

    def close(self) -> None:
        for subscription in self._subscriptions:
            subscription.close()


@pytest.fixture
def pushes(app):
    made = []

    def listen(*topics: str) -> Pushes:
        recorder = Pushes(app, topics)
        made.append(recorder)
        return recorder

    yield listen
    for recorder in made:
        recorder.close()
