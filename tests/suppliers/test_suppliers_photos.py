"""Photos in price lists (issue 20): `image:` / `images:` URLs on an allowlisted loopback server are fetched once,
stored and served from the shop's own origin; a bad photo is a warning, not a failed import; export writes them."""

import io

import pytest
import yaml
from PIL import Image
from sqlalchemy import select

from storefront.catalog.models import Offer, Product
from storefront.extensions import db
from storefront.media.models import MediaSource, OfferImage
from storefront.suppliers import services
from storefront.suppliers.export import price_list_yaml
from storefront.suppliers.models import ImportJob, ImportState
from storefront.suppliers.pricelist import PriceListInvalid, parse_price_list
from tests.factories import ShopFactory, SupplierFactory
from tests.orders.order_helpers import login
from tests.suppliers.supplier_helpers import good, price_list


def png(colour=(200, 30, 30), size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def photos(pricelist_server):
    pricelist_server.files.update({"/red.png": png(), "/blue.png": png((20, 40, 200)), "/not-an-image.png": b"hello"})
    pricelist_server.types.update({"/red.png": "image/png", "/blue.png": "image/png", "/not-an-image.png": "image/png"})
    return pricelist_server


def run(user, goods) -> ImportJob:
    job = services.start_file_import(user, "list.yaml", price_list("Фото", goods).encode())
    job_id = job.id
    db.session.commit()  # the job runs after the commit (in-process in tests)
    db.session.expire_all()
    return db.session.get(ImportJob, job_id)


def fetched(server, path):
    return [p for p, _ in server.requests if p == path]


def test_photos_are_fetched_once_and_served_by_the_shop(client, session, allow_local, photos, auth_headers):
    user = SupplierFactory(shop=ShopFactory(name="Фото"))
    goods = [good(1, "Смартфон Фото", image=photos.url("/red.png"), images=[photos.url("/blue.png")])]
    job = run(user, goods)
    assert job.state == ImportState.SUCCEEDED and job.warnings == []
    product_id = db.session.scalar(select(Offer.product_id).where(Offer.external_id == 1))
    assert len(fetched(photos, "/red.png")) == 1 and len(fetched(photos, "/blue.png")) == 1

    html = client.get(f"/product/{product_id}").get_data(as_text=True)
    first = db.session.get(Product, product_id).photo_hash
    assert first and f'src="/media/{first}/800.webp"' in html  # the shop's own origin, not the supplier's
    assert photos.url("/red.png") not in html and 'width="800" height="800"' in html
    card = client.get("/").get_data(as_text=True)
    assert f'src="/media/{first}/320.webp"' in card and 'loading="lazy"' in card and 'alt="Смартфон Фото"' in card

    image = client.get(f"/media/{first}/800.webp")
    assert image.status_code == 200 and image.mimetype == "image/webp"
    assert "max-age=31536000" in image.headers["Cache-Control"] and "immutable" in image.headers["Cache-Control"]
    assert Image.open(io.BytesIO(image.data)).size == (800, 800)
    before = len(photos.requests)
    client.get(f"/product/{product_id}")
    client.get(f"/media/{first}/320.webp")
    assert len(photos.requests) == before  # showing it never goes back to the supplier

    api = client.get(f"/api/v1/products/{product_id}").get_json()
    assert api["images"][0]["url"].split("/media/")[1] == f"{first}/800.webp"
    assert len(api["images"]) == 2 and all(img["thumbnail_url"].endswith("/320.webp") for img in api["images"])
    listed = client.get("/api/v1/products").get_json()["items"][0]
    assert listed["photo_url"].endswith(f"/media/{first}/320.webp")

    # The same URLs in the next import: nothing fetched, nothing written.
    again = run(user, goods)
    assert again.state == ImportState.SUCCEEDED and again.unchanged_count == 1
    assert len(fetched(photos, "/red.png")) == 1
    exported = yaml.safe_load(price_list_yaml(user.shop))["goods"][0]
    assert exported["image"] == photos.url("/red.png") and exported["images"] == [photos.url("/blue.png")]
    assert parse_price_list(price_list_yaml(user.shop)).goods[0].images == (photos.url("/red.png"),
                                                                           photos.url("/blue.png"))


def test_a_photo_that_fails_is_a_warning_not_a_failed_import(client, session, allow_local, photos):
    user = SupplierFactory(shop=ShopFactory(name="Фото"))
    job = run(user, [good(1, "A", image=photos.url("/missing")), good(2, "B", image=photos.url("/not-an-image.png")),
                     good(3, "C", image=photos.url("/red.png"))])
    assert job.state == ImportState.SUCCEEDED and job.created_count == 3
    assert [(w["item"], w["field"]) for w in job.warnings] == [("item 1", "image"), ("item 2", "image")]
    assert "404" in job.warnings[0]["message"] and "not an image" in job.warnings[1]["message"]
    assert db.session.scalar(select(MediaSource.url)) == photos.url("/red.png")
    assert len(db.session.scalars(select(OfferImage)).all()) == 1
    login(client, user)
    page = client.get(f"/supplier/imports/{job.id}").get_data(as_text=True)
    assert "not an image" in page


def test_photos_from_addresses_outside_the_allowlist_are_refused(session, photos):
    user = SupplierFactory(shop=ShopFactory(name="Фото"))
    job = run(user, [good(1, "A", image=photos.url("/red.png"))])
    assert job.state == ImportState.SUCCEEDED and "loopback" in job.warnings[0]["message"]
    assert fetched(photos, "/red.png") == []


@pytest.mark.parametrize(("value", "field", "message"), [
    ("ftp://example.com/a.png", "image", "Only http"),
    (["https://example.com/a.png"], "image", "URL (text)"),
])
def test_bad_image_values_are_item_errors(value, field, message):
    with pytest.raises(PriceListInvalid) as error:
        parse_price_list(price_list("Фото", [good(7, "A", image=value)]))
    problem = error.value.problems[0]
    assert (problem.item, problem.field) == ("item 7", field) and message in problem.message
    with pytest.raises(PriceListInvalid) as error:
        parse_price_list(price_list("Фото", [good(7, "A", images="https://example.com/a.png")]))
    assert error.value.problems[0].field == "images"
