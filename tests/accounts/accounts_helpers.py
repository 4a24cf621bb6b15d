"""Accounts test helpers: read the e-mails we sent, register and log in through the pages."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path
from urllib.parse import urlsplit

from tests.factories import PASSWORD

NEW_PASSWORD = "a-brand-new-secret-42"
LINK = re.compile(r"https?://[^\s\"'<>]+")


def _parse(raw: bytes) -> dict:
    message = email.message_from_bytes(raw, policy=policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    html_part = message.get_body(preferencelist=("html",))
    return {
        "to": message["To"],
        "subject": message["Subject"],
        "text": text,
        "html": html_part.get_content() if html_part is not None else None,
        "links": LINK.findall(text),
    }


def mails_in(folder: Path) -> list[dict]:
    """Every .eml written to the mail folder, oldest first."""
    if not folder.exists():
        return []
    return [_parse(path.read_bytes()) for path in sorted(folder.glob("*.eml"))]


def mails_in_sink(sink) -> list[dict]:
    return [_parse(envelope.content) for envelope in sink.messages]


def path_of(link: str) -> str:
    """The site-relative part of an absolute link from an e-mail, for the test client."""
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def register(client, **overrides):
    data = {
        "name": "Ann Buyer",
        "email": "ann@example.com",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "account_type": "shopper",
        "shop_name": "",
    }
    data.update(overrides)
    if "password" in overrides and "confirm" not in overrides:
        data["confirm"] = overrides["password"]
    return client.post("/register", data=data)


def login(client, email_address, password=PASSWORD, **extra):
    return client.post("/login", data={"email": email_address, "password": password, **extra})
