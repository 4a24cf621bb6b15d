"""A shopper's first visit in Chromium: register, verify through the e-mail's link, log out, log in."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.accounts.accounts_helpers import mails_in, path_of

pytestmark = pytest.mark.browser

PASSWORD = "violet-harbour-2024"


def wait_for_mail(folder: Path, subject: str, timeout: float = 10.0) -> dict:
    """The live server writes its mail in another process: wait for the message to land."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mails_in(folder):
            if subject in message["subject"]:
                return message
        time.sleep(0.1)
    raise AssertionError(f"no e-mail with subject {subject!r} in {folder}")


def test_register_verify_logout_login_journey(app, live_server, page):
    mail_dir = Path(app.config["MAIL_FILE_DIR"])
    page.goto(live_server.url("/"))
    page.get_by_role("link", name="Register").click()
    page.wait_for_url("**/register")

    page.get_by_label("Your name").fill("Vera Shopper")
    page.get_by_label("E-mail").fill("Vera@Example.com")
    page.locator("#password").fill("qwerty123")
    # The inline check answers while typing, before anything is submitted.
    page.locator("#password-check").filter(has_text="too common").wait_for()
    page.locator("#password").fill(PASSWORD)
    page.locator("#password-check").filter(has_text="Strong enough").wait_for()
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    page.wait_for_url("**/confirm-email")
    assert page.get_by_role("heading", name="Confirm your e-mail").is_visible()
    assert page.get_by_text("vera@example.com").first.is_visible()

    message = wait_for_mail(mail_dir, "Confirm your e-mail")
    assert message["to"] == "vera@example.com"
    link = next(url for url in message["links"] if "/verify/" in url)
    # Absolute, with the host the server is configured with (pytest-flask names it localhost.localdomain,
    # which may not resolve here): follow the same path and token on the live server.
    assert link.startswith("http://") and path_of(link).startswith("/verify/")
    page.goto(live_server.url(path_of(link)))
    page.get_by_role("button", name="Confirm my e-mail").click()
    page.wait_for_url(live_server.url("/"))
    assert page.get_by_text("your e-mail is confirmed").is_visible()
    assert page.get_by_role("link", name="Confirm your e-mail").count() == 0
    wait_for_mail(mail_dir, "Welcome")

    page.get_by_role("button", name="Log out").click()
    assert page.get_by_text("You have logged out.").is_visible()
    assert page.get_by_role("link", name="Log in").is_visible()

    page.get_by_role("link", name="Log in").click()
    page.get_by_label("E-mail").fill("vera@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Remember me on this device").check()
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server.url("/"))
    assert page.get_by_role("link", name="Vera Shopper").is_visible()
    assert page.get_by_role("link", name="Orders").get_attribute("href") == "/orders/"
