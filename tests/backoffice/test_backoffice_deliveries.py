"""The deliveries page shows each delivery's live state (queued → sending → succeeded/failed) and keeps polling
while any is on its way; "Send again" shows the new delivery's outcome."""

from __future__ import annotations

import re

from storefront.webhooks import delivery as sender
from tests.factories import WebhookDeliveryFactory, WebhookFactory

HX = {"HX-Request": "true"}


def states(html: str) -> dict[int, str]:
    rows = re.findall(r'<tr id="delivery-(\d+)".*?data-state="(\w+)">([^<]+)<', html, re.S)
    return {int(delivery_id): f"{state}:{label}" for delivery_id, state, label in rows}


def test_busy_deliveries_show_their_state_and_the_page_polls(staff_client, session):
    hook = WebhookFactory(url="https://93.184.216.34/hook", events=["order.created"])
    queued = WebhookDeliveryFactory(webhook=hook, state="pending")
    sending = WebhookDeliveryFactory(webhook=hook, state="sending", attempts=1)
    done = WebhookDeliveryFactory(webhook=hook, state="succeeded", attempts=1, response_code=200)
    session.commit()
    page = staff_client.get(f"/staff/webhooks/{hook.id}").get_data(as_text=True)
    assert "<html" in page
    assert states(page) == {queued.id: "pending:queued", sending.id: "sending:sending…", done.id: "succeeded:succeeded"}
    assert f'<progress aria-label="Sending delivery {sending.id}">' in page
    partial = staff_client.get(f"/staff/webhooks/{hook.id}", headers=HX).get_data(as_text=True)
    assert partial.lstrip().startswith('<section id="deliveries" data-busy="2"')
    assert f'hx-get="/staff/webhooks/{hook.id}?page=1" hx-trigger="every 2s"' in partial

    queued.state, sending.state = "succeeded", "failed"
    session.commit()
    settled = staff_client.get(f"/staff/webhooks/{hook.id}", headers=HX).get_data(as_text=True)
    assert 'data-busy="0"' in settled and "hx-trigger" not in settled.split(">", 1)[0] and "<progress" not in settled


def test_send_again_shows_the_new_deliverys_state(staff_client, session, monkeypatch):
    hook = WebhookFactory(url="https://93.184.216.34/hook", events=["order.created"])
    old = WebhookDeliveryFactory(webhook=hook, state="failed", attempts=5, response_code=500, error="HTTP 500")
    session.commit()
    monkeypatch.setattr(sender, "_post", lambda *_args: (200, "ok"))  # the receiver, without the network
    answer = staff_client.post(f"/staff/webhooks/{hook.id}/deliveries/{old.id}/redeliver", headers=HX)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "The event was sent again." in html
    new_id = max(states(html))
    assert new_id != old.id and states(html) == {new_id: "succeeded:succeeded", old.id: "failed:failed"}
