"""E-mail, always sent from a job: over SMTP when MAIL_SERVER is set, else written to instance/mail/ as .eml."""

from __future__ import annotations

import logging
import mimetypes
import os
import re
import smtplib
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask_mail import Message
from jinja2 import TemplateNotFound

from storefront.extensions import mail
from storefront.jobs.queue import enqueue, enqueue_durable

log = logging.getLogger(__name__)
LINK = re.compile(r"https?://\S+")


def send_mail(
    to: str | list[str], subject: str, template: str, *, durable: bool = True, **context: Any
) -> None:
    """Queue an e-mail rendered from `templates/email/<template>.txt` (+ `.html` when present).

    Through the outbox by default: a verification or order e-mail survives a Redis outage (and a Redis that
    restarts empty). `durable=False` only for mail that may be lost.

    `context` must be JSON-friendly and carry absolute URLs: the job may run in another process, without a request.
    """
    recipients = [to] if isinstance(to, str) else list(to)
    kwargs = {"recipients": recipients, "subject": subject, "template": template, "context": context}
    if durable:
        enqueue_durable(deliver_mail, queue="mail", **kwargs)
    else:
        enqueue(deliver_mail, queue="mail", **kwargs)


def deliver_mail(
    recipients: list[str], subject: str, template: str, context: dict[str, Any], attachments: list[str] | None = None
) -> str:
    """Render and send one message, with files attached (paths); returns where it went (SMTP server or file path)."""
    body = _render(f"email/{template}.txt", context)
    try:
        html = _render(f"email/{template}.html", context)
    except TemplateNotFound:  # the HTML part is optional
        html = None
    message = Message(
        subject=f"[{current_app.config['STOREFRONT_NAME']}] {subject}",
        recipients=recipients,
        body=body,
        html=html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
    )
    for attachment in attachments or []:
        path = Path(attachment)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        message.attach(path.name, content_type, path.read_bytes())
    if current_app.config.get("MAIL_SERVER"):
        _smtp_send(message)
        return f"smtp://{current_app.config['MAIL_SERVER']}"
    return _write_eml(message, body)


_held = threading.local()


def _smtp_send(message: Message) -> None:
    """Send over an SMTP connection kept open per thread: a burst of mail costs one connect and greeting, not
    one per message. A connection the server has dropped meanwhile (idle timeout, restart) is replaced once."""
    state = current_app.extensions["mail"]
    for attempt in (1, 2):
        connection = getattr(_held, "connection", None)
        if connection is None or connection.mail is not state or _held.pid != os.getpid():
            connection = mail.connect().__enter__()
            _held.connection, _held.pid = connection, os.getpid()
        try:
            message.send(connection)
            return
        except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
            _held.connection = None
            if attempt == 2:
                raise
            log.info("SMTP connection lost (%s); reconnecting", exc)


def _render(name: str, context: dict[str, Any]) -> str:
    # Straight from the Jinja environment: the pages' context processors (current user, cart badge…) need a
    # request, and a worker has none.
    return current_app.jinja_env.get_template(name).render(**context)


def _write_eml(message: Message, body: str) -> str:
    folder = Path(current_app.config["MAIL_FILE_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    safe_to = re.sub(r"[^A-Za-z0-9@._-]", "_", message.recipients[0])
    path = folder / f"{stamp}-{safe_to}.eml"
    path.write_bytes(message.as_bytes())
    links = " ".join(LINK.findall(body))
    log.warning("mail to %s written to %s %s", ", ".join(message.recipients), path, f"links: {links}" if links else "")
    return str(path)
