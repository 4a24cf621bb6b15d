"""Media: Pillow decides what is an image (bombs refused on the header), staff upload or replace a product's photo
on the back-office page (CSRF) and the staff API, files are served only under their content-addressed keys."""

import io

import pytest
from PIL import Image

from storefront.extensions import db
from storefront.media.images import InvalidImage, process
from storefront.media.services import store_image
from tests.factories import CategoryFactory, ProductFactory, StaffFactory, UserFactory
from tests.orders.order_helpers import login


def image_bytes(kind="PNG", size=(40, 30), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "white" if mode == "1" else (10, 120, 60)).save(out, kind)
    return out.getvalue()


def test_only_real_images_within_the_caps_pass():
    processed = process(image_bytes("JPEG"), 1_000_000)
    assert processed.original_type == "image/jpeg" and (processed.width, processed.height) == (40, 30)
    assert Image.open(io.BytesIO(processed.resized[320])).size == (320, 320)
    for data, message in [(b"GIF89a not really", "not an image"), (b"", "empty"),
                          (image_bytes("BMP"), "Only JPEG, PNG, WebP and GIF"),
                          # 12,000 × 12,000 one-bit pixels: a small file that would decode to 144 megapixels.
                          (image_bytes("PNG", (12_000, 12_000), "1"), "too many pixels")]:
        with pytest.raises(InvalidImage, match=message):
            process(data, 1_000_000)
    with pytest.raises(InvalidImage, match="larger than the limit"):
        process(image_bytes(), 10)


def test_the_same_image_is_stored_once(session):
    first, second = store_image(image_bytes()), store_image(image_bytes())
    assert first is second and len(first.hash) == 64


def test_media_urls_are_content_addressed_only(client):
    for key in ["../config.py", "abc/320.webp", "0" * 64 + "/320.exe"]:
        assert client.get(f"/media/{key}").status_code == 404


def test_staff_upload_and_replace_a_products_photo(csrf_app, client, session):
    staff = StaffFactory()
    product = ProductFactory(category=CategoryFactory())
    db.session.commit()
    login(client, staff)
    page = client.get(f"/staff/products/{product.id}").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    url = f"/staff/products/{product.id}/photo"
    assert client.post(url, data={"photo": (io.BytesIO(image_bytes()), "a.png")}).status_code == 400  # no CSRF
    answer = client.post(url, data={"csrf_token": token, "photo": (io.BytesIO(b"not an image"), "a.png")})
    assert answer.status_code == 400 and "not an image" in answer.get_data(as_text=True)
    assert db.session.get(type(product), product.id).photo_hash is None
    answer = client.post(url, data={"csrf_token": token, "photo": (io.BytesIO(image_bytes()), "a.png")})
    assert answer.status_code == 303
    db.session.expire_all()
    first = db.session.get(type(product), product.id).photo_hash
    assert first and f"/media/{first}/320.webp" in client.get(f"/staff/products/{product.id}").get_data(as_text=True)
    client.post(url, data={"csrf_token": token, "photo": (io.BytesIO(image_bytes("WEBP", (50, 50))), "b.webp")})
    db.session.expire_all()
    assert db.session.get(type(product), product.id).photo_hash not in (None, first)


def test_the_staff_api_uploads_a_photo_and_shoppers_may_not(client, session, auth_headers):
    product = ProductFactory(category=CategoryFactory())
    staff, shopper = StaffFactory(), UserFactory()
    db.session.commit()
    url = f"/api/v1/products/{product.id}/photo"
    refused = client.put(url, headers=auth_headers(shopper), data={"photo": (io.BytesIO(image_bytes()), "a.png")})
    assert refused.status_code == 403
    bad = client.put(url, headers=auth_headers(staff), data={"photo": (io.BytesIO(b"nope"), "a.png")})
    assert bad.status_code == 400 and bad.get_json()["code"] == "invalid_image"
    done = client.put(url, headers=auth_headers(staff), data={"photo": (io.BytesIO(image_bytes()), "a.png")})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["images"][0]["url"].endswith("/800.webp")
