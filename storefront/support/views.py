"""Support pages: the shopper's chat, the staff inbox and conversation view, and the header launcher.

Every page works without JavaScript (the message form posts and redirects); with it, `support-chat.js`
sends and receives over the tab's one live socket (`/ws/live` with a `chat:<id>` topic, storefront.realtime).
API clients use `/ws/support` (`sockets.py`); both sockets share the frame handling of `frames.py`.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from storefront.accounts.models import Role
from storefront.domain_errors import DomainError
from storefront.extensions import db
from storefront.htmx import error_status, is_partial, render_page_or_partial
from storefront.security import roles_required, verified_required
from storefront.support import services
from storefront.support.forms import AskAboutOrderForm, MessageForm
from storefront.support.sockets import ws_bp

bp = Blueprint("support", __name__, url_prefix="/support")
# The socket lives outside /support; it is registered with the app whenever this blueprint is.
bp.record_once(lambda state: state.app.register_blueprint(ws_bp))


@bp.app_context_processor
def support_shell() -> dict:
    if not current_user.is_authenticated:
        return {"unread_support_count": 0, "support_url": url_for("support.show_chat")}
    staff = services.is_staff(current_user)
    try:
        unread = services.unread_count(current_user)
    except SQLAlchemyError:  # an error page rendered because the database failed must still render
        db.session.rollback()
        unread = 0
    return {
        "unread_support_count": unread,
        "support_url": url_for("support.show_inbox" if staff else "support.show_chat"),
    }


def _chat_page(chat: services.ChatView, form: MessageForm, status: int = 200, **extra):
    template = "support/conversation.html" if services.is_staff(current_user) else "support/chat.html"
    html = render_page_or_partial(
        template, "support/_chat.html", chat=chat, form=form, oob_launcher=is_partial(), **extra
    )
    return html, status


def _domain_abort(error: DomainError):
    db.session.rollback()
    abort(error.status if error.status in (403, 404) else 400)


# --- the shopper's side ----------------------------------------------------------------------------------------


@bp.get("/")
@verified_required
def show_chat():
    """Show the shopper's conversation with support, history first.

    `?order=N` (a link from an order) only offers to ask about that order: a GET never changes the
    conversation's subject, the offered button posts to `ask_about_order`.
    """
    if services.is_staff(current_user):
        return redirect(url_for("support.show_inbox"))
    order_id = request.args.get("order", type=int)
    try:
        offered = services.order_to_ask_about(current_user, order_id) if order_id is not None else None
        chat = services.shopper_chat(current_user)
    except DomainError as error:
        _domain_abort(error)
    return _chat_page(chat, MessageForm(formdata=None), offered_order=offered, ask_form=AskAboutOrderForm())


@bp.post("/order")
@verified_required
def ask_about_order():
    """Make the shopper's conversation about one of their orders (the button `?order=N` offers)."""
    form = AskAboutOrderForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.get_or_open_conversation(current_user, form.order.data)
    except DomainError as error:
        _domain_abort(error)
    return redirect(url_for("support.show_chat"), 303)


@bp.post("/messages")
@verified_required
def post_message():
    """Send a message to support from the form (the fallback when the socket is not there)."""
    if services.is_staff(current_user):
        abort(403)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            services.send_from_shopper(current_user, form.body.data)
            if not is_partial():
                return redirect(url_for("support.show_chat"), 303)
            form = MessageForm(formdata=None)
        except DomainError as error:
            db.session.rollback()
            form.body.errors = [*form.body.errors, error.message]
    chat = services.shopper_chat(current_user)
    return _chat_page(chat, form, error_status(422 if form.errors else 200))


# --- the staff side ----------------------------------------------------------------------------------------------


@bp.get("/inbox")
@roles_required(Role.STAFF)
def show_inbox():
    """List support conversations (open, mine or closed) with their unread counts."""
    which = request.args.get("filter", "open")
    if which not in services.INBOX_FILTERS:
        which = "open"
    rows = services.inbox(current_user, which)
    return render_page_or_partial(
        "support/inbox.html", "support/_inbox.html", rows=rows, which=which, oob_launcher=is_partial()
    )


@bp.get("/conversations/<id:conversation_id>")
@roles_required(Role.STAFF)
def show_conversation(conversation_id: int):
    """Show one conversation to staff, with the shopper's recent orders."""
    try:
        chat = services.staff_chat(current_user, conversation_id)
    except DomainError as error:
        _domain_abort(error)
    return _chat_page(chat, MessageForm(formdata=None))


@bp.post("/conversations/<id:conversation_id>/messages")
@roles_required(Role.STAFF)
def reply_conversation(conversation_id: int):
    """Send a staff reply from the form."""
    form = MessageForm()
    if form.validate_on_submit():
        try:
            services.send_from_staff(current_user, conversation_id, form.body.data)
            if not is_partial():
                return redirect(url_for("support.show_conversation", conversation_id=conversation_id), 303)
            form = MessageForm(formdata=None)
        except DomainError as error:
            db.session.rollback()
            if error.status == 404:
                abort(404)
            form.body.errors = [*form.body.errors, error.message]
    try:
        chat = services.staff_chat(current_user, conversation_id)
    except DomainError as error:
        _domain_abort(error)
    return _chat_page(chat, form, error_status(422 if form.errors else 200))


@bp.get("/conversations/<id:conversation_id>/orders")
@roles_required(Role.STAFF)
def show_conversation_orders(conversation_id: int):
    """The shopper's recent orders with their statuses (the conversation page's aside; refetched on pushes)."""
    try:
        conversation, orders = services.orders_for_staff(current_user, conversation_id)
    except DomainError as error:
        _domain_abort(error)
    return render_page_or_partial("support/orders.html", "support/_orders.html", conversation=conversation,
                                  orders=orders)


def _act(conversation_id: int, action: str):
    try:
        services.act_on_conversation(current_user, conversation_id, action)
    except DomainError as error:
        _domain_abort(error)
    return redirect(url_for("support.show_conversation", conversation_id=conversation_id), 303)


@bp.post("/conversations/<id:conversation_id>/assign")
@roles_required(Role.STAFF)
def assign_conversation(conversation_id: int):
    """Assign the conversation to the signed-in staff member."""
    return _act(conversation_id, "assign")


@bp.post("/conversations/<id:conversation_id>/close")
@roles_required(Role.STAFF)
def close_conversation(conversation_id: int):
    """Close the conversation (the shopper writing again reopens it)."""
    return _act(conversation_id, "close")


@bp.post("/conversations/<id:conversation_id>/reopen")
@roles_required(Role.STAFF)
def reopen_conversation(conversation_id: int):
    """Reopen a closed conversation."""
    return _act(conversation_id, "reopen")


@bp.get("/launcher")
def show_launcher():
    """Render the header's support link with its unread badge."""
    return render_template("support/_launcher.html")
