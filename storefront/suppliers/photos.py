"""The photos of a price list's goods: downloaded before the import's write transaction (a slow photo server
never holds the database's write lock), then linked to the offers within it.

A URL already downloaded is never fetched again (media.services.known_sources); a photo that cannot be fetched
or is not an image is an item warning on the import, never a failed import. An offer's photos are rewritten only
when its list of URLs changed, so importing the same file twice writes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select, update

from storefront.catalog.models import Offer, Product
from storefront.database import insert_rows, one_of
from storefront.extensions import db
from storefront.media.images import InvalidImage
from storefront.media.models import OfferImage
from storefront.media.services import fetch_image, known_sources, photo_client
from storefront.outbound import FetchError
from storefront.suppliers.pricelist import Good, Problem

BATCH = 2000


def _one_of(column, values: list):
    return one_of(column, values, db.session.get_bind().dialect.name)


def fetch_photos(goods: Iterable[Good]) -> tuple[dict[str, str], list[dict]]:
    """({url: asset hash} for every photo that could be had, the item warnings for those that could not)."""
    with_images = [good for good in goods if good.images]
    urls = list(dict.fromkeys(url for good in with_images for url in good.images))
    if not urls:
        return {}, []
    photos = known_sources(urls)
    failed: dict[str, str] = {}
    client = photo_client()
    for url in urls:
        if url in photos:
            continue
        try:
            with db.session.begin_nested():  # one photo's failure leaves the others' rows in place
                photos[url] = fetch_image(url, client)
        except (FetchError, InvalidImage) as exc:
            failed[url] = exc.message
    warnings = [
        Problem(f"The photo {url} was not used: {failed[url]}", f"item {good.external_id}", "image").as_dict()
        for good in with_images for url in good.images if url in failed
    ]
    return photos, warnings


def link_photos(shop_id: int, goods: list[Good], photos: dict[str, str]) -> set[int]:
    """Make each listed good's offer show the photos the file gives it; the products whose pictures changed.

    A product without a photo of its own takes its first offer photo as the card's picture.
    """
    existing: dict[int, list] = {}  # external id → [offer id, product id, ((url, hash), …)]
    for offer_id, external_id, product_id, url, asset_hash in db.session.execute(
        select(Offer.id, Offer.external_id, Offer.product_id, OfferImage.url, OfferImage.asset_hash)
        .join(OfferImage, OfferImage.offer_id == Offer.id)
        .where(Offer.shop_id == shop_id)
        .order_by(Offer.id, OfferImage.position)
    ):
        entry = existing.setdefault(external_id, [offer_id, product_id, []])
        entry[2].append((url, asset_hash))
    wanted = {good.external_id: tuple((url, photos[url]) for url in good.images if url in photos)
              for good in goods if good.images or good.external_id in existing}
    wanted = {ext: images for ext, images in wanted.items()
              if images != tuple(existing.get(ext, [0, 0, ()])[2])}
    if not wanted:
        return set()
    offers: dict[int, tuple[int, int]] = {}
    ids = sorted(wanted)
    for start in range(0, len(ids), BATCH):
        for offer_id, external_id, product_id in db.session.execute(
            select(Offer.id, Offer.external_id, Offer.product_id)
            .where(Offer.shop_id == shop_id, _one_of(Offer.external_id, ids[start:start + BATCH]))
        ):
            offers[external_id] = (offer_id, product_id)
    changed_offers = [offers[ext][0] for ext in wanted if ext in offers]
    for start in range(0, len(changed_offers), BATCH):
        db.session.execute(delete(OfferImage).where(_one_of(OfferImage.offer_id, changed_offers[start:start + BATCH])))
    rows = [{"offer_id": offers[ext][0], "position": position, "url": url, "asset_hash": asset_hash}
            for ext, images in wanted.items() if ext in offers for position, (url, asset_hash) in enumerate(images)]
    for start in range(0, len(rows), BATCH):
        insert_rows(db.session.connection(), OfferImage.__table__, rows[start:start + BATCH])
    first: dict[int, str] = {}
    for ext, images in wanted.items():
        if ext in offers and images:
            first.setdefault(offers[ext][1], images[0][1])
    products = sorted(first)
    for start in range(0, len(products), BATCH):
        batch = products[start:start + BATCH]
        bare = db.session.scalars(
            select(Product.id).where(_one_of(Product.id, batch), Product.photo_hash.is_(None))
        ).all()
        if bare:
            db.session.execute(update(Product), [{"id": pid, "photo_hash": first[pid]} for pid in bare])
    return {offers[ext][1] for ext in wanted if ext in offers}
