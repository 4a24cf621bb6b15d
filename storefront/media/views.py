"""Serving media from the shop's own origin: content-addressed keys, so a year of caching is safe."""

from __future__ import annotations

from flask import Blueprint, abort, send_file

from storefront.media.images import CONTENT_TYPES
from storefront.media.services import media_url
from storefront.media.storage import storage, valid_key

bp = Blueprint("media", __name__)
bp.add_app_template_global(media_url, "media_url")
YEAR = 365 * 24 * 3600


@bp.get("/media/<path:key>")
def serve(key: str):
    """Send one stored image (original or resized copy) with an image content type and long cache headers."""
    if not valid_key(key):
        abort(404)
    path = storage().path(key)
    if path is None:
        abort(404)
    response = send_file(path, mimetype=CONTENT_TYPES[key.rsplit(".", 1)[1]], max_age=YEAR, conditional=True)
    response.cache_control.public = True
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


