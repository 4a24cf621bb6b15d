"""Support chat rules: who may read and write which conversation, the inbox, read markers and fan-out.

A shopper has one running conversation (kept with its whole history; writing into a closed one reopens it).
Staff read and answer any conversation. Every message is stored first; it is published to connected
sockets only after the transaction that stored it commits, so a socket never shows a message the database
does not have.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from flask import current_app
from flask_babel import gettext as _
from limits import parse
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from storefront import policy, rate_limits
from storefront.accounts.models import User
from storefront.after_commit import after_commit
from storefront.database import utcnow
from storefront.domain_errors import DomainError, Forbidden, NotFound
from storefront.extensions import db
from storefront.orders.models import Order
from storefront.pagination import DEFAULT_PAGE_SIZE, Page, paginate
from storefront.realtime import events as live
from storefront.support.broker import conversation_channel, get_broker, inbox_channel
from storefront.support.models import Conversation, Message

InboxFilter = Literal["open", "mine", "closed"]
INBOX_FILTERS: tuple[str, ...] = ("open", "mine", "closed")
HISTORY_LIMIT = 200
CATCH_UP_LIMIT = 500
INBOX_LIMIT = 100
RATE_SCOPE = "support-message"


class InvalidMessage(DomainError):
    status = 422
    code = "invalid_message"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"


# --- who may see what ---------------------------------------------------------------------------------------


is_staff = policy.is_staff


def can_view(user: User, conversation: Conversation) -> bool:
    """Staff see every conversation; anyone else only their own."""
    return policy.can_view_conversation(user, conversation.shopper_id)


def _require_staff(user: User) -> None:
    policy.require_staff(user, _("Only support staff can do that."))


def _valid_id(value: int) -> bool:
    # Ids beyond 32 bits cannot exist, and SQLite refuses to even compare past 64.
    return 0 < value < 2**31


def conversation_for(viewer: User, conversation_id: int) -> Conversation:
    """The conversation, if `viewer` may see it; someone else's looks exactly like a missing one."""
    conversation = db.session.get(Conversation, conversation_id) if _valid_id(conversation_id) else None
    if conversation is None or not can_view(viewer, conversation):
        raise NotFound(_("No such conversation."))
    return conversation


def order_to_ask_about(shopper: User, order_id: int) -> Order:
    """The shopper's own order `order_id`, which their conversation may be about (reads only)."""
    order = db.session.get(Order, order_id) if _valid_id(order_id) else None
    if order is None or not policy.owns(shopper, order):
        raise NotFound(_("No such order."), field="order")
    return order


def get_or_open_conversation(shopper: User, order_id: int | None = None) -> Conversation:
    """The shopper's conversation (opened on first use), pointing at `order_id` when they ask about an order."""
    if is_staff(shopper):
        raise Forbidden(_("Staff answer conversations from the support inbox."))
    order = order_to_ask_about(shopper, order_id) if order_id is not None else None
    conversation = db.session.scalars(
        select(Conversation).where(Conversation.shopper_id == shopper.id).order_by(Conversation.id.desc()).limit(1)
    ).first()
    if conversation is None:
        conversation = Conversation(shopper=shopper, is_open=True, shopper_read_id=0, staff_read_id=0)
        db.session.add(conversation)
    if order is not None:
        conversation.order = order
    db.session.flush()
    return conversation


# --- messages ------------------------------------------------------------------------------------------------


def normalise_body(body: str | None) -> str:
    # PostgreSQL text refuses NUL, and a JSON frame can carry lone surrogates no database can store.
    text = (body or "").encode("utf-8", "replace").decode("utf-8")
    return text.replace("\x00", "").replace("\r\n", "\n").strip()


def post_message(conversation: Conversation, author: User, body: str | None) -> Message:
    """Store a message from the shopper of `conversation` or from staff; it is published after the commit."""
    if not can_view(author, conversation):
        raise NotFound(_("No such conversation."))
    text = normalise_body(body)
    if not text:
        raise InvalidMessage(_("Write a message first."), field="body")
    limit = current_app.config["SUPPORT_MAX_MESSAGE_LENGTH"]
    if len(text) > limit:
        raise InvalidMessage(_("Messages can be at most %(limit)s characters long.", limit=limit), field="body")
    _count_against_rate_limit(author)

    message = Message(conversation=conversation, author=author, body=text, created_at=utcnow())
    db.session.add(message)
    db.session.flush()
    conversation.last_message_at = message.created_at
    if is_staff(author):
        conversation.staff_read_id = max(conversation.staff_read_id or 0, message.id)
        if conversation.assignee_id is None:  # the first reply claims the conversation
            conversation.assignee = author
    else:
        conversation.shopper_read_id = max(conversation.shopper_read_id or 0, message.id)
        conversation.is_open = True  # a shopper writing again reopens a closed conversation
    db.session.flush()
    _publish_after_commit(conversation_channel(current_app, conversation.id), message_payload(message))
    _announce_to_inbox(conversation)
    # The other side's header badge: the shopper's when staff write, every staff member's when a shopper does.
    if is_staff(author):
        live.unread_changed(conversation.shopper_id)
    else:
        live.unread_changed(staff=True)
    return message


def _count_against_rate_limit(author: User) -> None:
    if not rate_limits.active():
        return
    item = parse(current_app.config["SUPPORT_RATE_LIMIT"])
    if not rate_limits.hit(item, RATE_SCOPE, str(author.id)):  # in-process while Redis is away
        raise RateLimited(_("You are sending messages too fast; wait a minute and try again."), field="body")


def message_payload(message: Message) -> dict[str, Any]:
    """The one JSON shape of a stored message, on sockets and anywhere else it is serialised."""
    author = message.author
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "author": None if author is None else {
            "id": author.id,
            "name": author.name or ("Support" if is_staff(author) else "Shopper"),
            "role": author.role.value,
        },
        "body": message.body,
        "created_at": message.created_at.isoformat(),
    }


def messages_after(conversation: Conversation, after_id: int, viewer: User, limit: int = CATCH_UP_LIMIT) -> list[Message]:
    """Messages newer than `after_id`, oldest first: what a reconnecting client missed."""
    if not can_view(viewer, conversation):
        raise NotFound(_("No such conversation."))
    return list(
        db.session.scalars(
            select(Message)
            .options(selectinload(Message.author))
            .where(Message.conversation_id == conversation.id, Message.id > min(max(after_id, 0), 2**31 - 1))
            .order_by(Message.id)
            .limit(limit)
        )
    )


def recent_messages(conversation: Conversation, viewer: User, limit: int = HISTORY_LIMIT) -> list[Message]:
    """The latest `limit` messages, oldest first, for the page's history."""
    if not can_view(viewer, conversation):
        raise NotFound(_("No such conversation."))
    newest = db.session.scalars(
        select(Message)
        .options(selectinload(Message.author))
        .where(Message.conversation_id == conversation.id)
        .order_by(Message.id.desc())
        .limit(limit)
    ).all()
    return list(reversed(newest))


def mark_read(conversation: Conversation, viewer: User, up_to_id: int | None = None) -> None:
    """Move the viewer's side's read marker forward (never back) to `up_to_id` or the newest message."""
    if not can_view(viewer, conversation):
        raise NotFound(_("No such conversation."))
    newest = db.session.scalar(select(func.max(Message.id)).where(Message.conversation_id == conversation.id)) or 0
    target = newest if up_to_id is None else min(up_to_id, newest)
    if is_staff(viewer):
        if target > conversation.staff_read_id:
            conversation.staff_read_id = target
            db.session.flush()
            _announce_to_inbox(conversation)
            live.unread_changed(staff=True)
    elif target > conversation.shopper_read_id:
        conversation.shopper_read_id = target
        db.session.flush()
        live.unread_changed(conversation.shopper_id)


def unread_count(user: User) -> int:
    """Staff: open conversations with unanswered news. Others: messages from support they have not seen."""
    if is_staff(user):
        return db.session.scalar(
            select(func.count(func.distinct(Conversation.id)))
            .join(Message, Message.conversation_id == Conversation.id)
            .where(Conversation.is_open.is_(True), Message.id > Conversation.staff_read_id)
        ) or 0
    return db.session.scalar(
        select(func.count(Message.id))
        .join(Conversation, Message.conversation_id == Conversation.id)
        .where(Conversation.shopper_id == user.id, Message.id > Conversation.shopper_read_id)
    ) or 0


# --- the staff inbox -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxRow:
    conversation: Conversation
    unread: int


def inbox(staff: User, which: InboxFilter = "open") -> list[InboxRow]:
    """Conversations for the staff inbox with their unread counts, most recent activity first."""
    _require_staff(staff)
    if which not in INBOX_FILTERS:
        raise DomainError(_("Unknown inbox filter."), field="filter")
    unread = (
        select(func.count(Message.id))
        .where(Message.conversation_id == Conversation.id, Message.id > Conversation.staff_read_id)
        .correlate(Conversation)
        .scalar_subquery()
    )
    query = (
        select(Conversation, unread)
        .options(selectinload(Conversation.shopper), selectinload(Conversation.assignee))
        .where(Conversation.last_message_at.is_not(None))  # opened but never written in: nothing to answer
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
        .limit(INBOX_LIMIT)
    )
    query = _filtered(query, staff, which)
    return [InboxRow(conversation, count or 0) for conversation, count in db.session.execute(query)]


def _filtered(query, staff: User, which: str):
    if which == "open":
        return query.where(Conversation.is_open.is_(True))
    if which == "mine":
        return query.where(Conversation.is_open.is_(True), Conversation.assignee_id == staff.id)
    return query.where(Conversation.is_open.is_(False))


def assign_to_me(conversation: Conversation, staff: User) -> None:
    _require_staff(staff)
    conversation.assignee = staff
    db.session.flush()
    _announce_to_inbox(conversation)


def close_conversation(conversation: Conversation, staff: User) -> None:
    _require_staff(staff)
    conversation.is_open = False
    db.session.flush()
    _announce_to_inbox(conversation)


def reopen_conversation(conversation: Conversation, staff: User) -> None:
    _require_staff(staff)
    conversation.is_open = True
    db.session.flush()
    _announce_to_inbox(conversation)


def recent_orders(conversation: Conversation, staff: User, limit: int = 5) -> list[Order]:
    """The shopper's latest orders, shown beside the conversation for staff."""
    _require_staff(staff)
    return list(
        db.session.scalars(
            select(Order).where(Order.user_id == conversation.shopper_id).order_by(Order.created_at.desc()).limit(limit)
        )
    )


# --- publishing after the commit -----------------------------------------------------------------------------


def _announce_to_inbox(conversation: Conversation) -> None:
    _publish_after_commit(inbox_channel(current_app), {"type": "inbox", "conversation_id": conversation.id})


def _publish_after_commit(channel: str, payload: dict[str, Any]) -> None:
    app = current_app._get_current_object()
    text = json.dumps(payload, ensure_ascii=False)
    after_commit(lambda: get_broker(app).publish(channel, text))


# --- what the pages show -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatView:
    conversation: Conversation
    messages: list[Message]
    orders: list[Order]


def shopper_chat(shopper: User, order_id: int | None = None) -> ChatView:
    """Open the shopper's conversation (about `order_id` if given), read its history and mark it read."""
    conversation = get_or_open_conversation(shopper, order_id)
    messages = recent_messages(conversation, shopper)
    mark_read(conversation, shopper)
    return ChatView(conversation, messages, [])


def staff_chat(staff: User, conversation_id: int) -> ChatView:
    """Read a conversation for staff, with the shopper's recent orders, and mark it read."""
    _require_staff(staff)
    conversation = conversation_for(staff, conversation_id)
    messages = recent_messages(conversation, staff)
    mark_read(conversation, staff)
    return ChatView(conversation, messages, recent_orders(conversation, staff))


def send_from_shopper(shopper: User, body: str | None) -> Message:
    """Post into the shopper's own conversation, opening it if needed."""
    return post_message(get_or_open_conversation(shopper), shopper, body)


def send_from_staff(staff: User, conversation_id: int, body: str | None) -> Message:
    """Post a staff reply into a conversation."""
    _require_staff(staff)
    return post_message(conversation_for(staff, conversation_id), staff, body)


STAFF_ACTIONS = {"assign": assign_to_me, "close": close_conversation, "reopen": reopen_conversation}


def act_on_conversation(staff: User, conversation_id: int, action: str) -> Conversation:
    """Assign to me / close / reopen, by name."""
    _require_staff(staff)
    conversation = conversation_for(staff, conversation_id)
    STAFF_ACTIONS[action](conversation, staff)
    return conversation


# --- the JSON API's view -------------------------------------------------------------------------------------


def _require_verified(user: User) -> None:
    # Pages and sockets refuse unverified accounts; the API (which authenticates by token only) does the same.
    policy.require_verified(user, _("Verify your e-mail address before using the support chat."))


def list_conversations(
    viewer: User, which: InboxFilter | None = None, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
) -> Page[InboxRow]:
    """One page of conversations with the viewer's unread counts: staff as the inbox (`which`, default open),
    a shopper their own (optionally only open or closed ones; "mine" is all of them)."""
    _require_verified(viewer)
    if which is not None and which not in INBOX_FILTERS:
        raise DomainError(_("Unknown inbox filter."), field="filter")
    query = select(Conversation).options(selectinload(Conversation.shopper), selectinload(Conversation.assignee))
    if is_staff(viewer):
        query = _filtered(query.where(Conversation.last_message_at.is_not(None)), viewer, which or "open")
        query = query.order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
        marker = Conversation.staff_read_id
    else:
        query = query.where(Conversation.shopper_id == viewer.id).order_by(Conversation.id.desc())
        if which in ("open", "closed"):
            query = query.where(Conversation.is_open.is_(which == "open"))
        marker = Conversation.shopper_read_id
    found = paginate(query, page, page_size)
    return Page(items=_with_unread(found.items, marker), page=found.page, page_size=found.page_size, total=found.total)


def _with_unread(conversations: list[Conversation], marker) -> list[InboxRow]:
    ids = [conversation.id for conversation in conversations]
    counts = dict(
        db.session.execute(
            select(Conversation.id, func.count(Message.id))
            .join(Message, Message.conversation_id == Conversation.id)
            .where(Conversation.id.in_(ids), Message.id > marker)
            .group_by(Conversation.id)
        ).all()
    ) if ids else {}
    return [InboxRow(conversation, counts.get(conversation.id, 0)) for conversation in conversations]


def open_for_api(shopper: User, order_id: int | None = None) -> InboxRow:
    """The shopper's conversation (opened if needed, about `order_id` if given) and its unread count."""
    _require_verified(shopper)
    return _with_unread([get_or_open_conversation(shopper, order_id)], Conversation.shopper_read_id)[0]


def history_for_api(viewer: User, conversation_id: int, after: int = 0, limit: int = CATCH_UP_LIMIT) -> list[Message]:
    """Messages of a conversation the viewer may see, oldest first, after message id `after`."""
    _require_verified(viewer)
    return messages_after(conversation_for(viewer, conversation_id), after, viewer, limit)


def act_for_api(staff: User, conversation_id: int, action: str) -> InboxRow:
    """Assign to me / close / reopen from the API: the pages' rules, answered with the conversation."""
    _require_verified(staff)
    conversation = act_on_conversation(staff, conversation_id, action)
    return _with_unread([conversation], Conversation.staff_read_id)[0]


def orders_for_staff(staff: User, conversation_id: int) -> tuple[Conversation, list[Order]]:
    """A conversation's shopper's recent orders, for staff (the page's aside and the API)."""
    _require_verified(staff)
    _require_staff(staff)
    conversation = conversation_for(staff, conversation_id)
    return conversation, recent_orders(conversation, staff)


def send_for_api(author: User, conversation_id: int, body: str | None) -> Message:
    """Post into a conversation the author may see: the same path (and fan-out) as the pages and sockets."""
    _require_verified(author)
    return post_message(conversation_for(author, conversation_id), author, body)
