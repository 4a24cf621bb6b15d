"""Storing images once (by content hash) and downloading a supplier's photo URLs once (by URL).

`store_image(data)` validates with Pillow and writes the original and the resized copies through the storage
interface; `fetch_image(url)` goes through the shop's one outbound client (storefront/outbound.py) with the
price lists' allowlist and limits. Both only flush: the caller's transaction commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from storefront.extensions import db
from storefront.media.images import InvalidImage, process
from storefront.media.models import SIZES, MediaAsset, MediaSource
from storefront.media.storage import storage
from storefront.outbound import Client, FetchError, Response

USER_AGENT = "Storefront-Photo-Fetcher/1"


@dataclass(frozen=True)
class Photo:
    """What a page or the API shows of a stored image: its keys under /media/."""

    hash: str
    original_ext: str = "jpg"

    def key(self, size: int | None = None) -> str:
        return resized_key(self.hash, size) if size else f"{self.hash}/original.{self.original_ext}"

    def url(self, size: int | None = None) -> str:
        return url_for("media.serve", key=self.key(size))


def media_url(asset_hash: str, size: int | None = 320, external: bool = False) -> str:
    """The shop's own URL of a resized copy (320 or 800 px) of a stored image."""
    return url_for("media.serve", key=resized_key(asset_hash, size or 800), _external=external)


def resized_key(asset_hash: str, size: int) -> str:
    return f"{asset_hash}/{size}.webp"


def _extension(content_type: str) -> str:
    return {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}[content_type]


def original_key(asset: MediaAsset) -> str:
    return f"{asset.hash}/original.{_extension(asset.original_type)}"


def store_image(data: bytes, max_bytes: int | None = None) -> MediaAsset:
    """The asset for these bytes: an image already stored is reused, a new one is validated, resized and written.
    Raises InvalidImage (field "image")."""
    max_bytes = max_bytes or current_app.config["MEDIA_MAX_BYTES"]
    if len(data) > max_bytes:
        raise InvalidImage(_("The image is larger than the limit of %(limit)s bytes.", limit=f"{max_bytes:,}"),
                           field="image")
    digest = hashlib.sha256(data).hexdigest()
    asset = db.session.get(MediaAsset, digest)
    if asset is not None:
        return asset
    image = process(data, max_bytes)
    store = storage()
    store.save(f"{digest}/original.{image.extension}", image.original)
    for size in SIZES:
        store.save(resized_key(digest, size), image.resized[size])
    asset = MediaAsset(hash=digest, original_type=image.original_type, width=image.width, height=image.height,
                       byte_size=len(data))
    db.session.add(asset)
    db.session.flush()
    return asset


def photo_client() -> Client:
    config = current_app.config
    return Client(USER_AGENT, tuple(config["SUPPLIER_URL_ALLOWLIST"]),
                  public_only="photos are only fetched from public servers")


def _check_answer(response: Response) -> None:
    if response.status != 200:
        raise FetchError(f"The server answered HTTP {response.status} {response.reason}.")
    if response.content_type and not response.content_type.startswith(("image/", "application/octet-stream")):
        raise FetchError(f"The URL answers with {response.content_type}, not an image.")


def known_sources(urls: Iterable[str]) -> dict[str, str]:
    """{url: asset hash} for the URLs already downloaded once."""
    urls = sorted(set(urls))
    found: dict[str, str] = {}
    for start in range(0, len(urls), 500):
        batch = urls[start:start + 500]
        found.update((url, digest) for url, digest in db.session.execute(
            select(MediaSource.url, MediaSource.asset_hash).where(MediaSource.url.in_(batch))
        ))
    return found


def fetch_image(url: str, client: Client | None = None) -> str:
    """The asset hash for a photo URL: from an earlier download, else fetched (allowlist, size and time limits of
    URL imports), validated and stored. Raises FetchError or InvalidImage with a sentence for the supplier."""
    known = db.session.get(MediaSource, url)
    if known is not None:
        return known.asset_hash
    config = current_app.config
    response = (client or photo_client()).request(
        "GET", url, timeout=config["MEDIA_FETCH_TIMEOUT"], max_bytes=config["MEDIA_MAX_BYTES"], max_redirects=3,
        check_answer=_check_answer, headers={"Accept": "image/webp, image/jpeg, image/png, image/gif, */*"},
    )
    asset = store_image(response.body)
    db.session.add(MediaSource(url=url, asset_hash=asset.hash))
    db.session.flush()
    return asset.hash


def photos_by_hash(hashes: Iterable[str]) -> dict[str, Photo]:
    """{hash: Photo} for the stored assets among `hashes` (one query)."""
    wanted = sorted(set(hashes))
    if not wanted:
        return {}
    rows = db.session.execute(select(MediaAsset.hash, MediaAsset.original_type).where(MediaAsset.hash.in_(wanted)))
    return {digest: Photo(digest, _extension(kind)) for digest, kind in rows}
