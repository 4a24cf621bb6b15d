"""After the commit: the PDF invoice, the shopper's / admins' / suppliers' e-mails, status mails, the outbox."""

from pathlib import Path

from storefront import create_app
from storefront.extensions import db
from storefront.jobs.models import OutboxMessage
from storefront.jobs.outbox import relay_outbox
from storefront.orders import services
from storefront.orders.invoices import ensure_invoice, render_invoice
from storefront.orders.models import Order
from tests.factories import StaffFactory, SupplierFactory
from tests.orders.order_helpers import (
    body_of,
    mail_to,
    pdf_attachments,
    read_mail,
    shopper_with_cart,
    two_shop_offers,
)


def place_two_shop_order(session, key="k1"):
    a1, a2, b1 = two_shop_offers()
    SupplierFactory(email="owner-a@example.com", shop=a1.shop)
    SupplierFactory(email="owner-b@example.com", shop=b1.shop)
    user, contact = shopper_with_cart((a1, 2), (a2, 1), (b1, 1))
    session.commit()
    order = services.place_order(user, contact.id, key)
    session.commit()
    return order, user


def test_placing_an_order_mails_shopper_admins_and_each_supplier(app, session, mail_dir):
    app.config["ADMIN_EMAILS"] = ["boss@example.com", "books@example.com"]
    order, user = place_two_shop_order(session)
    [confirmation] = mail_to(mail_dir, user.email)
    assert f"Order #{order.id} received" in confirmation["Subject"]
    assert "Смартфон Apple iPhone XS Max" in body_of(confirmation)
    assert "8" in body_of(confirmation) and "800" in body_of(confirmation)
    [pdf] = pdf_attachments(confirmation)
    assert pdf.startswith(b"%PDF")
    [admins] = mail_to(mail_dir, "boss@example.com")
    assert "books@example.com" in admins["To"] and f"Invoice for order #{order.id}" in admins["Subject"]
    assert pdf_attachments(admins)[0].startswith(b"%PDF")
    [to_a] = mail_to(mail_dir, "owner-a@example.com")
    [to_b] = mail_to(mail_dir, "owner-b@example.com")
    assert "Чехол" in body_of(to_a) and "Кофемолка" not in body_of(to_a)
    assert "Кофемолка" in body_of(to_b) and "Чехол" not in body_of(to_b)
    assert "Тверская" in body_of(to_b)
    assert len(read_mail(mail_dir)) == 4
    # Every one of those went through the outbox and is marked done.
    assert session.query(OutboxMessage).filter(OutboxMessage.completed_at.is_(None)).count() == 0


def test_the_invoice_is_rendered_once_and_stored(app, session, invoice_dir):
    order, _ = place_two_shop_order(session)
    session.expire_all()
    stored = session.get(Order, order.id)
    assert stored.invoice_path == str(invoice_dir / f"{order.id}.pdf")
    data = Path(stored.invoice_path).read_bytes()
    assert data.startswith(b"%PDF") and b"DejaVu" in data  # the Cyrillic-capable font is embedded
    mtime = Path(stored.invoice_path).stat().st_mtime_ns
    assert ensure_invoice(order.id) == Path(stored.invoice_path)
    assert Path(stored.invoice_path).stat().st_mtime_ns == mtime


def test_a_missing_invoice_file_is_rendered_again(app, session):
    order, _ = place_two_shop_order(session)
    Path(session.get(Order, order.id).invoice_path).unlink()
    assert ensure_invoice(order.id).read_bytes().startswith(b"%PDF")


def test_invoice_text_keeps_cyrillic(app, session):
    order, _ = place_two_shop_order(session)
    pdf = render_invoice(session.get(Order, order.id))
    # The embedded subset's ToUnicode map lists each glyph's code point: Cyrillic letters, not "?" boxes.
    assert pdf.startswith(b"%PDF") and b"/ToUnicode" in pdf
    for letter in "Накдя":
        assert f"<{ord(letter):04X}>".encode() in pdf, letter


def test_every_status_change_mails_the_shopper(app, session, mail_dir):
    order, user = place_two_shop_order(session)
    staff = StaffFactory()
    services.change_status(order, "confirmed", staff, note="Собираем")
    session.commit()
    services.change_part_status(order.parts[0], "assembled", staff)
    session.commit()
    mails = mail_to(mail_dir, user.email)
    assert len(mails) == 3
    assert f"Order #{order.id}: confirmed" in mails[1]["Subject"] and "Собираем" in body_of(mails[1])
    assert "Электролайн" in mails[2]["Subject"] and "Assembled" in body_of(mails[2])


def test_rolled_back_order_sends_nothing(app, session, mail_dir):
    a1, _, _ = two_shop_offers()
    user, contact = shopper_with_cart((a1, 1))
    session.commit()
    services.place_order(user, contact.id, "k")
    session.rollback()
    assert read_mail(mail_dir) == [] and session.query(OutboxMessage).count() == 0


def test_redis_outage_delays_order_mails_but_never_drops_them(app, session, mail_dir):
    app.config["ADMIN_EMAILS"] = ["boss@example.com"]
    a1, _, b1 = two_shop_offers()
    user, contact = shopper_with_cart((a1, 1), (b1, 1))
    session.commit()
    user_id, contact_id, email = user.id, contact.id, user.email
    # 127.0.0.1:1 refuses connections: Redis is "down" for this app, yet the order is placed.
    down_app = create_app("testing", {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": "redis://127.0.0.1:1/0",
        "MAIL_FILE_DIR": app.config["MAIL_FILE_DIR"], "INVOICE_DIR": app.config["INVOICE_DIR"],
        "ADMIN_EMAILS": ["boss@example.com"],
    })
    with down_app.app_context():
        from storefront.accounts.models import User

        order = services.place_order(db.session.get(User, user_id), contact_id, "during-outage")
        db.session.commit()
        order_id = order.id
        pending = db.session.query(OutboxMessage).filter(OutboxMessage.completed_at.is_(None)).count()
        db.session.remove()
        db.engine.dispose()
    assert pending == 5  # the invoice, the shopper, the admins, and one per supplier
    assert read_mail(mail_dir) == []
    # The queue is back (here: the in-process runner); the relay hands over what waited in the outbox.
    app.config["OUTBOX_RELAY_AFTER"] = 0
    session.expire_all()
    assert relay_outbox() == 5
    [confirmation] = mail_to(mail_dir, email)
    assert f"#{order_id}" in confirmation["Subject"] and pdf_attachments(confirmation)
    assert len(mail_to(mail_dir, "boss@example.com")) == 1
    assert relay_outbox() == 0  # nothing twice
