"""Support services: who may read and write, validation, rate limits, the inbox and read markers."""

from __future__ import annotations

import json

import pytest

from storefront.domain_errors import Forbidden, NotFound
from storefront.extensions import db
from storefront.models import Conversation, Message
from storefront.support import services
from storefront.support.broker import conversation_channel, get_broker, inbox_channel
from tests.factories import (
    ConversationFactory,
    MessageFactory,
    OrderFactory,
    StaffFactory,
    UserFactory,
)


@pytest.fixture
def shopper(session):
    return UserFactory(name="Olga")


@pytest.fixture
def staff(session):
    return StaffFactory(name="Sam")


def test_get_or_open_creates_once_and_keeps_the_thread(session, shopper):
    first = services.get_or_open_conversation(shopper)
    again = services.get_or_open_conversation(shopper)
    assert first.id == again.id
    assert first.is_open and first.shopper_id == shopper.id
    assert session.query(Conversation).count() == 1


def test_get_or_open_references_the_shoppers_own_order(session, shopper):
    order = OrderFactory(user=shopper)
    conversation = services.get_or_open_conversation(shopper, order.id)
    assert conversation.order_id == order.id


def test_get_or_open_refuses_someone_elses_order(session, shopper):
    strangers_order = OrderFactory(user=UserFactory())
    with pytest.raises(NotFound):
        services.get_or_open_conversation(shopper, strangers_order.id)
    with pytest.raises(NotFound):
        services.get_or_open_conversation(shopper, 999_999)


def test_staff_do_not_open_shopper_conversations(session, staff):
    with pytest.raises(Forbidden):
        services.get_or_open_conversation(staff)


def test_post_message_stores_and_moves_markers(session, shopper, staff):
    conversation = services.get_or_open_conversation(shopper)
    question = services.post_message(conversation, shopper, "  Where is my order?  ")
    assert question.body == "Where is my order?"
    assert conversation.shopper_read_id == question.id
    assert conversation.last_message_at == question.created_at
    answer = services.post_message(conversation, staff, "On its way.")
    assert conversation.staff_read_id == answer.id
    assert conversation.assignee_id == staff.id  # the first reply claims it


def test_a_shopper_can_never_read_or_post_into_anothers_conversation(session, shopper):
    other = UserFactory()
    theirs = ConversationFactory(shopper=other)
    MessageFactory(conversation=theirs, author=other, body="private")
    with pytest.raises(NotFound):
        services.post_message(theirs, shopper, "let me in")
    with pytest.raises(NotFound):
        services.messages_after(theirs, 0, shopper)
    with pytest.raises(NotFound):
        services.recent_messages(theirs, shopper)
    with pytest.raises(NotFound):
        services.conversation_for(shopper, theirs.id)
    with pytest.raises(NotFound):
        services.mark_read(theirs, shopper)
    assert session.query(Message).filter_by(conversation_id=theirs.id).count() == 1


def test_staff_read_and_post_into_any_conversation(session, shopper, staff):
    conversation = ConversationFactory(shopper=shopper)
    MessageFactory(conversation=conversation, author=shopper, body="hello")
    assert services.conversation_for(staff, conversation.id) is conversation
    assert [m.body for m in services.messages_after(conversation, 0, staff)] == ["hello"]
    services.post_message(conversation, staff, "hi there")
    assert [m.body for m in services.recent_messages(conversation, staff)] == ["hello", "hi there"]


@pytest.mark.parametrize("body", ["", "   ", "\x00", None])
def test_empty_messages_are_refused(session, shopper, body):
    conversation = services.get_or_open_conversation(shopper)
    with pytest.raises(services.InvalidMessage):
        services.post_message(conversation, shopper, body)


def test_long_messages_are_refused(app, session, shopper):
    conversation = services.get_or_open_conversation(shopper)
    limit = app.config["SUPPORT_MAX_MESSAGE_LENGTH"]
    services.post_message(conversation, shopper, "x" * limit)
    with pytest.raises(services.InvalidMessage):
        services.post_message(conversation, shopper, "x" * (limit + 1))


def test_messages_are_rate_limited_per_user(app, session, shopper):
    app.config["SUPPORT_RATE_LIMIT"] = "3 per minute"
    conversation = services.get_or_open_conversation(shopper)
    for n in range(3):
        services.post_message(conversation, shopper, f"message {n}")
    with pytest.raises(services.RateLimited):
        services.post_message(conversation, shopper, "one too many")
    # Another person's allowance is their own.
    services.post_message(conversation, StaffFactory(), "staff can still answer")


def test_shopper_writing_into_a_closed_conversation_reopens_it(session, shopper, staff):
    conversation = services.get_or_open_conversation(shopper)
    services.close_conversation(conversation, staff)
    assert not conversation.is_open
    services.post_message(conversation, shopper, "one more thing")
    assert conversation.is_open


def test_messages_after_returns_only_newer_in_order(session, shopper):
    conversation = services.get_or_open_conversation(shopper)
    ids = [services.post_message(conversation, shopper, f"m{n}").id for n in range(4)]
    assert [m.id for m in services.messages_after(conversation, ids[1], shopper)] == ids[2:]
    assert services.messages_after(conversation, ids[-1], shopper) == []


def test_inbox_filters_and_unread_counts(session, shopper, staff):
    colleague = StaffFactory()
    mine = services.get_or_open_conversation(shopper)
    services.post_message(mine, shopper, "one")
    services.post_message(mine, shopper, "two")
    services.assign_to_me(mine, staff)
    second_shopper = UserFactory()
    theirs = services.get_or_open_conversation(second_shopper)
    services.post_message(theirs, second_shopper, "hello")
    services.assign_to_me(theirs, colleague)
    closed = services.get_or_open_conversation(UserFactory())
    services.post_message(closed, closed.shopper, "bye")
    services.close_conversation(closed, staff)
    services.get_or_open_conversation(UserFactory())  # never written in: not in the inbox

    open_rows = {row.conversation.id: row.unread for row in services.inbox(staff, "open")}
    assert open_rows == {mine.id: 2, theirs.id: 1}
    assert [row.conversation.id for row in services.inbox(staff, "mine")] == [mine.id]
    assert [row.conversation.id for row in services.inbox(staff, "closed")] == [closed.id]
    assert services.unread_count(staff) == 2  # open conversations with news

    services.mark_read(mine, staff)
    assert {row.conversation.id: row.unread for row in services.inbox(staff, "open")}[mine.id] == 0
    assert services.unread_count(staff) == 1


def test_shopper_unread_count_follows_their_read_marker(session, shopper, staff):
    conversation = services.get_or_open_conversation(shopper)
    services.post_message(conversation, shopper, "question")
    first = services.post_message(conversation, staff, "answer 1")
    services.post_message(conversation, staff, "answer 2")
    assert services.unread_count(shopper) == 2
    services.mark_read(conversation, shopper, first.id)
    assert services.unread_count(shopper) == 1
    services.mark_read(conversation, shopper, 0)  # markers never move back
    assert services.unread_count(shopper) == 1
    services.mark_read(conversation, shopper)
    assert services.unread_count(shopper) == 0


def test_only_staff_run_the_inbox_and_its_actions(session, shopper):
    conversation = services.get_or_open_conversation(shopper)
    for call in (
        lambda: services.inbox(shopper),
        lambda: services.assign_to_me(conversation, shopper),
        lambda: services.close_conversation(conversation, shopper),
        lambda: services.reopen_conversation(conversation, shopper),
        lambda: services.recent_orders(conversation, shopper),
    ):
        with pytest.raises(Forbidden):
            call()


def test_recent_orders_are_the_shoppers_own(session, shopper, staff):
    own = [OrderFactory(user=shopper) for _ in range(2)]
    OrderFactory(user=UserFactory())
    conversation = services.get_or_open_conversation(shopper)
    assert {order.id for order in services.recent_orders(conversation, staff)} == {o.id for o in own}


def test_publishes_only_after_the_commit(app, session, shopper):
    received = []
    conversation = services.get_or_open_conversation(shopper)
    session.commit()
    broker = get_broker(app)
    subscription = broker.subscribe(conversation_channel(app, conversation.id), received.append)
    inbox_events = []
    inbox_subscription = broker.subscribe(inbox_channel(app), inbox_events.append)
    try:
        message = services.post_message(conversation, shopper, "<b>hi</b>")
        assert received == []  # flushed, not committed: nothing is announced yet
        session.commit()
        assert [json.loads(text) for text in received] == [services.message_payload(message)]
        assert json.loads(inbox_events[-1]) == {"type": "inbox", "conversation_id": conversation.id}
        payload = json.loads(received[0])
        assert set(payload) == {"id", "conversation_id", "author", "body", "created_at"}
        assert payload["body"] == "<b>hi</b>" and payload["author"]["role"] == "shopper"

        services.post_message(conversation, shopper, "rolled back")
        session.rollback()
        session.commit()
        assert len(received) == 1  # a rolled-back message is never announced
    finally:
        subscription.close()
        inbox_subscription.close()
    assert db.session.query(Message).count() == 1


def test_bodies_that_no_database_can_store_are_cleaned(session, shopper):
    conversation = services.get_or_open_conversation(shopper)
    message = services.post_message(conversation, shopper, "half a pair \ud800 and a NUL \x00 here\r\nnext")
    session.commit()
    assert message.body == "half a pair ? and a NUL  here\nnext"


def test_absurd_ids_are_simply_not_found(session, shopper, staff):
    with pytest.raises(NotFound):
        services.conversation_for(staff, 10**30)
    with pytest.raises(NotFound):
        services.get_or_open_conversation(shopper, 10**30)
    with pytest.raises(NotFound):
        services.get_or_open_conversation(shopper, -1)
    conversation = services.get_or_open_conversation(shopper)
    assert services.messages_after(conversation, 10**30, shopper) == []
