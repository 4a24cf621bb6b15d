"""Back-office users, catalog, shops and jobs pages: each action through HTMX and as a plain form."""

from __future__ import annotations

from sqlalchemy import select

from storefront.accounts.models import RefreshToken, Role, User
from storefront.audit.models import AuditEntry
from storefront.catalog.models import Category, Product, Shop
from storefront.database import utcnow
from storefront.jobs.models import OutboxMessage
from storefront.suppliers.models import ImportJob, ImportState
from tests.backoffice.conftest import make_order
from tests.factories import (
    CategoryFactory,
    ImportJobFactory,
    OutboxMessageFactory,
    ProductFactory,
    RefreshTokenFactory,
    ShopFactory,
    UserFactory,
)
from tests.orders.order_helpers import login

HX = {"HX-Request": "true"}


# --- users ------------------------------------------------------------------------------------------------


def test_user_filters(staff_client, session):
    UserFactory(email="ann@example.com", is_verified=False)
    UserFactory(email="bob@example.com", is_active=False)
    session.commit()
    html = staff_client.get("/staff/users?verified=no", headers=HX).get_data(as_text=True)
    assert "ann@example.com" in html and "bob@example.com" not in html
    html = staff_client.get("/staff/users?active=no&q=BOB").get_data(as_text=True)
    assert "bob@example.com" in html and "ann@example.com" not in html
    html = staff_client.get("/staff/users?role=staff", headers=HX).get_data(as_text=True)
    assert "stella@example.com" in html and "bob@example.com" not in html


def test_change_role_verify_and_deactivate(staff_client, session, client):
    user = UserFactory(email="ann@example.com", is_verified=False)
    RefreshTokenFactory(user=user)
    session.commit()
    answer = staff_client.post(f"/staff/users/{user.id}/role", data={"role": "staff"}, headers=HX)
    assert answer.status_code == 200 and f'id="user-{user.id}"' in answer.get_data(as_text=True)
    assert "The role is now Staff." in answer.get_data(as_text=True)
    assert staff_client.post(f"/staff/users/{user.id}/verify", headers=HX).status_code == 200
    version = session.get(User, user.id).session_version
    answer = staff_client.post(f"/staff/users/{user.id}/active", data={"value": "0"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/staff/users")
    session.expire_all()
    user = session.get(User, user.id)
    assert (user.role, user.is_verified, user.is_active) == (Role.STAFF, True, False)
    assert user.session_version == version + 1  # their page sessions end
    assert all(t.revoked_at is not None for t in session.scalars(select(RefreshToken)))
    actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["user.role_changed", "user.verified", "user.deactivated"]


def test_a_deactivated_user_is_signed_out_at_once(app, session, staff):
    from tests.factories import UserFactory as Users

    shopper = Users()
    session.commit()
    shopper_client, staff_client = app.test_client(), app.test_client()
    login(shopper_client, shopper)
    login(staff_client, staff)
    assert shopper_client.get("/orders/").status_code == 200
    staff_client.post(f"/staff/users/{shopper.id}/active", data={"value": "0"})
    assert shopper_client.get("/orders/").status_code == 302


def test_staff_cannot_lock_themselves_out(staff_client, session, staff):
    for url, data in ((f"/staff/users/{staff.id}/role", {"role": "shopper"}),
                      (f"/staff/users/{staff.id}/active", {"value": "0"}),
                      (f"/staff/users/{staff.id}/delete", {})):
        answer = staff_client.post(url, data=data, headers=HX)
        assert answer.status_code == 200 and "your own account" in answer.get_data(as_text=True)
        assert staff_client.post(url, data=data).status_code == 403
    session.expire_all()
    me = session.get(User, staff.id)
    assert (me.role, me.is_active) == (Role.STAFF, True)


def test_delete_is_refused_while_the_user_has_orders(staff_client, session):
    order = make_order(email="ann@example.com")
    idle = UserFactory(email="idle@example.com")
    session.commit()
    answer = staff_client.post(f"/staff/users/{order.user_id}/delete", headers=HX)
    assert "disable the account instead" in answer.get_data(as_text=True)
    assert staff_client.post(f"/staff/users/{order.user_id}/delete").status_code == 409
    answer = staff_client.post(f"/staff/users/{idle.id}/delete", headers=HX)
    assert answer.status_code == 200 and "The account was deleted" in answer.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, idle.id) is None and session.get(User, order.user_id) is not None


# --- catalog ----------------------------------------------------------------------------------------------


def test_categories_create_rename_deactivate_delete(staff_client, session):
    answer = staff_client.post("/staff/categories", data={"name": "Кофе"}, headers=HX)
    assert answer.status_code == 200 and "Кофе" in answer.get_data(as_text=True)
    category = session.scalars(select(Category)).one()
    assert staff_client.post(f"/staff/categories/{category.id}/rename", data={"name": "Coffee"}).status_code == 303
    answer = staff_client.post("/staff/categories", data={"name": "COFFEE"}, headers=HX)
    assert "already exists" in answer.get_data(as_text=True)
    assert staff_client.post("/staff/categories", data={"name": "  "}).status_code == 400
    staff_client.post(f"/staff/categories/{category.id}/active", data={"value": "0"}, headers=HX)
    session.expire_all()
    assert session.get(Category, category.id).is_active is False
    ProductFactory(category=category)
    session.commit()
    answer = staff_client.post(f"/staff/categories/{category.id}/delete", headers=HX)
    assert "deactivate it instead" in answer.get_data(as_text=True)
    empty = CategoryFactory()
    session.commit()
    assert staff_client.post(f"/staff/categories/{empty.id}/delete").status_code == 303
    session.expire_all()
    assert session.get(Category, empty.id) is None and session.get(Category, category.id) is not None


def test_product_edit(staff_client, session):
    product = ProductFactory(name="Old name")
    target = CategoryFactory(name="Target")
    session.commit()
    answer = staff_client.post(f"/staff/products/{product.id}", headers=HX, data={
        "name": "Кофемолка ручная", "description": "Жернова из керамики", "category_id": target.id})
    assert answer.status_code == 200 and "The product was saved" in answer.get_data(as_text=True)
    session.expire_all()
    saved = session.get(Product, product.id)
    assert (saved.name, saved.description, saved.category_id) == ("Кофемолка ручная", "Жернова из керамики", target.id)
    bad = staff_client.post(f"/staff/products/{product.id}", data={"name": "", "category_id": target.id})
    assert bad.status_code == 400
    missing = staff_client.post(f"/staff/products/{product.id}", data={"name": "X", "category_id": 999999}, headers=HX)
    assert "No such category" in missing.get_data(as_text=True)
    staff_client.post(f"/staff/products/{product.id}/active", data={"value": "0"})
    session.expire_all()
    assert session.get(Product, product.id).is_active is False
    assert "Кофемолка ручная" in staff_client.get("/staff/products?q=КОФЕМОЛКА").get_data(as_text=True)


# --- shops ------------------------------------------------------------------------------------------------


def test_shop_pause_resume_and_assign_supplier(staff_client, session):
    shop = ShopFactory(name="Технопарк", accepting_orders=True)
    user = UserFactory(email="sam@example.com")
    session.commit()
    answer = staff_client.post(f"/staff/shops/{shop.id}/accepting", data={"value": "0"}, headers=HX)
    assert answer.status_code == 200 and "Paused" in answer.get_data(as_text=True)
    session.expire_all()
    assert session.get(Shop, shop.id).accepting_orders is False
    staff_client.post(f"/staff/shops/{shop.id}/accepting", data={"value": "1"})
    answer = staff_client.post(f"/staff/shops/{shop.id}/supplier", data={"email": "SAM@example.com"}, headers=HX)
    assert "sam@example.com" in answer.get_data(as_text=True)
    session.expire_all()
    linked = session.get(User, user.id)
    assert (linked.shop_id, linked.role) == (shop.id, Role.SUPPLIER)
    assert "No account" in staff_client.post(f"/staff/shops/{shop.id}/supplier", data={"email": "who@x.org"},
                                             headers=HX).get_data(as_text=True)
    staff_client.post(f"/staff/shops/{shop.id}/supplier/{user.id}/remove")
    session.expire_all()
    assert session.get(User, user.id).shop_id is None
    actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["shop.paused", "shop.resumed", "shop.supplier_assigned", "shop.supplier_removed"]


def test_staff_cannot_be_made_a_supplier(staff_client, session, staff):
    shop = ShopFactory()
    session.commit()
    assert staff_client.post(f"/staff/shops/{shop.id}/supplier", data={"email": staff.email}).status_code == 422


# --- jobs -------------------------------------------------------------------------------------------------


def test_retry_a_failed_outbox_job(staff_client, session, mail_dir):
    message = OutboxMessageFactory(
        task="storefront.jobs.mail.deliver_mail", failed_at=utcnow(), last_error="SMTPServerDisconnected", attempts=1,
        kwargs={"recipients": ["ann@example.com"], "subject": "Hello", "template": "test", "context": {}},
    )
    session.commit()
    assert "SMTPServerDisconnected" in staff_client.get("/staff/jobs").get_data(as_text=True)
    answer = staff_client.post(f"/staff/jobs/outbox/{message.id}/retry", headers=HX)
    assert answer.status_code == 200 and "No failed jobs" in answer.get_data(as_text=True)
    session.expire_all()
    done = session.get(OutboxMessage, message.id)
    assert done.completed_at is not None and done.attempts == 2
    assert len(list(mail_dir.glob("*.eml"))) == 1
    again = staff_client.post(f"/staff/jobs/outbox/{message.id}/retry", headers=HX)
    assert "already completed" in again.get_data(as_text=True)


def test_a_retried_job_that_fails_again_stays_listed(staff_client, session):
    message = OutboxMessageFactory(task="storefront.nowhere.missing", failed_at=utcnow(), last_error="boom")
    session.commit()
    answer = staff_client.post(f"/staff/jobs/outbox/{message.id}/retry", headers=HX)
    html = answer.get_data(as_text=True)
    assert f'id="outbox-{message.id}"' in html
    session.expire_all()
    assert session.get(OutboxMessage, message.id).failed_at is not None


def test_retry_a_failed_url_import(staff_client, session, monkeypatch):
    from storefront.suppliers import admin

    queued = []
    monkeypatch.setattr(admin, "enqueue", lambda func, **kw: queued.append(kw))  # no download in this test
    url_job = ImportJobFactory(state=ImportState.FAILED, source_kind="url", source="https://example.com/l.yaml")
    file_job = ImportJobFactory(state=ImportState.FAILED, source_kind="file", source="list.yaml")
    session.commit()
    html = staff_client.get("/staff/jobs").get_data(as_text=True)
    assert "The supplier uploads it again" in html
    assert staff_client.post(f"/staff/jobs/imports/{url_job.id}/retry").status_code == 303
    again = session.scalars(select(ImportJob).where(ImportJob.state == ImportState.QUEUED)).one()
    assert (again.source, again.shop_id) == (url_job.source, url_job.shop_id)
    assert queued == [{"queue": "imports", "import_id": again.id}]
    assert staff_client.post(f"/staff/jobs/imports/{file_job.id}/retry").status_code == 409


def test_unknown_rq_job_without_redis_is_404(staff_client, session):
    assert staff_client.post("/staff/jobs/rq/nope/retry").status_code == 404
