"""/api/v1/contacts: a user's own delivery contacts; anyone else's id is 404."""

from __future__ import annotations

from storefront.accounts.models import Contact
from tests.api.conftest import assert_error
from tests.factories import ContactFactory, UserFactory

NEW = {"recipient": "Ivan Petrov", "city": "Moscow", "street": "Tverskaya", "house": "1", "phone": "+7 900 111-22-33"}


def test_contacts_crud(client, session, auth_headers):
    user = UserFactory()
    session.commit()
    headers = auth_headers(user)
    empty = client.get("/api/v1/contacts", headers=headers).json
    assert empty == {"items": [], "page": 1, "page_size": 20, "total": 0, "pages": 1}
    created = client.post("/api/v1/contacts", json=NEW, headers=headers)
    assert created.status_code == 201
    contact = created.json
    assert contact["city"] == "Moscow" and contact["address"] == "Moscow, Tverskaya, 1" and contact["id"]
    listed = client.get("/api/v1/contacts", headers=headers).json
    assert [c["id"] for c in listed["items"]] == [contact["id"]] and listed["total"] == 1
    url = f"/api/v1/contacts/{contact['id']}"
    assert client.get(url, headers=headers).json == contact
    patched = client.patch(url, json={"apartment": "10", "phone": "+7 900 000-00-00"}, headers=headers)
    assert patched.status_code == 200
    assert patched.json["apartment"] == "10" and patched.json["street"] == "Tverskaya"
    assert patched.json["phone"] == "+7 900 000-00-00"
    assert client.delete(url, headers=headers).status_code == 204
    assert_error(client.get(url, headers=headers), 404, "contact_not_found")
    assert session.query(Contact).count() == 0


def test_contact_validation(client, session, auth_headers):
    user = UserFactory()
    session.commit()
    headers = auth_headers(user)
    missing = assert_error(client.post("/api/v1/contacts", json={"city": "Moscow"}, headers=headers), 422)
    assert {"street", "phone"} <= set(missing["errors"])
    bad_phone = client.post("/api/v1/contacts", json={**NEW, "phone": "call me"}, headers=headers)
    assert "phone" in assert_error(bad_phone, 422, "invalid")["errors"]
    too_long = client.post("/api/v1/contacts", json={**NEW, "city": "x" * 101}, headers=headers)
    assert "city" in assert_error(too_long, 422, "validation_error")["errors"]
    read_only = client.post("/api/v1/contacts", json={**NEW, "id": 5}, headers=headers)
    assert "id" in assert_error(read_only, 422)["errors"]
    contact = client.post("/api/v1/contacts", json=NEW, headers=headers).json
    blank = client.patch(f"/api/v1/contacts/{contact['id']}", json={"street": ""}, headers=headers)
    assert "street" in assert_error(blank, 422)["errors"]


def test_only_your_own_contacts(client, session, auth_headers):
    me, other = UserFactory(), UserFactory()
    mine = ContactFactory(user=me)
    theirs = ContactFactory(user=other)
    session.commit()
    headers = auth_headers(me)
    listed = client.get("/api/v1/contacts", headers=headers).json
    assert [c["id"] for c in listed["items"]] == [mine.id]
    url = f"/api/v1/contacts/{theirs.id}"
    assert_error(client.get(url, headers=headers), 404)
    assert_error(client.patch(url, json={"city": "Kazan"}, headers=headers), 404)
    assert_error(client.delete(url, headers=headers), 404)
    session.expire_all()
    assert session.get(Contact, theirs.id).city == "Moscow"
    assert_error(client.get("/api/v1/contacts"), 401)


def test_contacts_are_paginated(client, session, auth_headers):
    user = UserFactory()
    ContactFactory.create_batch(5, user=user)
    session.commit()
    headers = auth_headers(user)
    page = client.get("/api/v1/contacts?page=2&page_size=2", headers=headers).json
    assert (page["total"], page["pages"], page["page"], len(page["items"])) == (5, 3, 2, 2)
    assert_error(client.get("/api/v1/contacts?page_size=1000", headers=headers), 422, "validation_error")
