"""Download a supplier's price list from its URL, through the shop's one outbound client (`storefront.outbound`).

What is particular to price lists: redirects are followed (each checked), the answer must be a 200, and HTML
answers are refused (a login page is not a price list). The address rules, the deadline and the size cap are the
client's.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from storefront.outbound import Client, FetchError, Response

__all__ = ["FetchError", "client", "fetch_price_list"]

MAX_REDIRECTS = 3
USER_AGENT = "Storefront-PriceList-Fetcher/1"
HTML_TYPES = ("text/html", "application/xhtml+xml")
NOT_A_PRICE_LIST = _l("The URL answers with an HTML page, not a YAML price list.")


def client(allowlist: Iterable[str] = ()) -> Client:
    return Client(USER_AGENT, tuple(allowlist), public_only="price lists are only fetched from public servers")


def _check_answer(response: Response) -> None:
    # Before the body is read: an error page or a login form is refused without downloading it.
    if response.status != 200:
        raise FetchError(_("The server answered HTTP %(status)s %(reason)s.", status=response.status, reason=response.reason))
    if response.content_type in HTML_TYPES:
        raise FetchError(str(NOT_A_PRICE_LIST))


def fetch_price_list(url: str, *, max_bytes: int, timeout: float, allowlist: Iterable[str] = ()) -> bytes:
    """The body at `url` after the checks above; raise FetchError with a sentence a supplier can act on."""
    response = client(allowlist).request(
        "GET", url, timeout=timeout, max_bytes=max_bytes, max_redirects=MAX_REDIRECTS, check_answer=_check_answer,
        headers={"Accept": "application/x-yaml, text/yaml, text/plain, */*"},
    )
    if response.body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise FetchError(str(NOT_A_PRICE_LIST))
    return response.body
