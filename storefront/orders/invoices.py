"""PDF invoices ("накладная") rendered with fpdf2, in DejaVu Sans so Cyrillic names print as written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import current_app
from fpdf import FPDF
from fpdf.fonts import FontFace

from storefront.extensions import db
from storefront.orders.models import Order
from storefront.payments.providers import payment_terms
from storefront.templating import format_money

FONTS = Path(__file__).resolve().parent / "fonts"  # shipped with the app; see fonts/LICENSE-DejaVu.txt


def render_invoice(order: Order) -> bytes:
    """The invoice for `order` as PDF bytes: buyer, delivery address, lines per supplier, totals."""
    pdf = FPDF(format="A4")
    pdf.set_title(f"Invoice {order.id}")
    pdf.set_creator(current_app.config["STOREFRONT_NAME"])
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 10, f"Накладная / Invoice № {order.id}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    lines = [
        f"{current_app.config['STOREFRONT_NAME']} · {order.created_at:%d.%m.%Y %H:%M} UTC",
        f"Покупатель / Buyer: {order.buyer_name} <{order.buyer_email}>",
        f"Получатель / Recipient: {order.delivery_recipient}",
        f"Адрес доставки / Delivery address: {order.delivery_address}",
        f"Телефон / Phone: {order.delivery_phone}",
    ]
    for text in lines:
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    for part in order.parts:
        pdf.ln(4)
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(0, 8, f"Поставщик / Supplier: {part.shop_name}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)
        with pdf.table(col_widths=(70, 35, 12, 30, 30), text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
                       headings_style=FontFace(emphasis="BOLD")) as table:
            table.row(["Товар / Product", "Модель / Model", "Кол. / Qty", "Цена / Price", "Сумма / Sum"])
            for item in part.items:
                table.row([item.product_name, item.model, str(item.quantity), format_money(item.price),
                           format_money(item.line_total)])
        pdf.cell(0, 6, f"Подытог / Subtotal: {format_money(part.subtotal)}   "
                       f"Доставка / Delivery: {format_money(part.delivery_fee)}", align="R",
                 new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(0, 8, f"Итого / Total: {format_money(order.total)}", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 6, f"Оплата / Payment: {payment_terms(order)}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def invoice_file(order_id: int) -> Path:
    return Path(current_app.config["INVOICE_DIR"]) / f"{order_id}.pdf"


def ensure_invoice(order_id: int) -> Path:
    """The order's invoice on disk, rendering it if it is missing; safe to run twice or concurrently."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise LookupError(f"order {order_id} does not exist")
    if order.invoice_path and Path(order.invoice_path).is_file():
        return Path(order.invoice_path)
    path = invoice_file(order_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write aside and rename: a reader never sees half a file, and two writers end with one whole one.
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(handle, "wb") as stream:
        stream.write(render_invoice(order))
    os.replace(temporary, path)
    order.invoice_path = str(path)
    db.session.flush()
    return path
