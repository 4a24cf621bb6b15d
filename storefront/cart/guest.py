"""Whose cart a browser request means: the signed-in user's, or a guest's kept under a key in the Flask session.

A helper for the request layer (cart pages, and the log-in page that adopts a guest cart); services take the
resulting owner and never read the session themselves.
"""

from __future__ import annotations

import secrets

from flask import session
from flask_login import current_user

from storefront.accounts.models import User
from storefront.cart import services

GUEST_CART_KEY = "cart_key"  # the Flask session entry holding a guest cart's key
UNUSED_KEY = "cart_key_unused"  # the key was made for the live badge and nothing was added under it yet


def cart_owner(create: bool = False) -> services.Owner | None:
    """The signed-in user, else the guest's cart key (made on first use when `create`), else None."""
    if current_user.is_authenticated:
        return current_user._get_current_object()
    key = session.get(GUEST_CART_KEY)
    if not key and create:
        key = secrets.token_urlsafe(24)
        session[GUEST_CART_KEY] = key
    if create:
        session.pop(UNUSED_KEY, None)  # about to be written to: the badge counts it from now on
    return key or None


def badge_owner() -> services.Owner | None:
    """Whose cart the header badge counts; None when it is known to be empty (no query).

    A guest's key is made with the first page, not the first add: every tab it opens meanwhile subscribes its live
    badge to that key's channel (guest_cart_key), so the add in one tab reaches the others. Until the first write
    (`cart_owner(create=True)`) the key is marked unused, so a browsing guest costs no count per page.
    """
    if current_user.is_authenticated:
        return current_user._get_current_object()
    if not session.get(GUEST_CART_KEY):
        session[GUEST_CART_KEY] = secrets.token_urlsafe(24)
        session[UNUSED_KEY] = True
    return None if session.get(UNUSED_KEY) else session[GUEST_CART_KEY]


def guest_cart_key() -> str | None:
    """This browser session's guest cart key, if it has one (the live socket's handshake subscribes by it)."""
    if current_user.is_authenticated:
        return None
    return session.get(GUEST_CART_KEY) or None


def adopt_guest_cart(user: User) -> int:
    """At log-in: move this browser's guest cart into `user`'s cart (the login view calls this before commit)."""
    return services.merge_guest_cart(session.pop(GUEST_CART_KEY, None), user)
