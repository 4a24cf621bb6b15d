"""E-mail, always sent from a job: over SMTP when MAIL_SERVER is set, else written to instance/mail/ as .eml.

Every message has a text and an HTML part from `templates/email/<template>.txt|.html`, both extending the one
layout (`email/_layout.*`: the shop's name and colour, the main action as a button, a footer with the shop's
contacts and why the reader got it). The HTML's CSS is inlined (css_inline): mail clients drop <style>.
The message is rendered in the recipient's language (`locale`, else the shop's STOREFRONT_LOCALE); the
subject is an English msgid with `%(name)s` placeholders filled from the context, translated likewise.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import re
import smtplib
import threading
from datetime import datetime
from email import policy
from email.header import Header
from pathlib import Path
from typing import Any

import css_inline
from flask import current_app
from flask_babel import force_locale, pgettext
from flask_mail import Message

from storefront.extensions import mail
from storefront.jobs.queue import enqueue, enqueue_durable

log = logging.getLogger(__name__)
LINK = re.compile(r"https?://\S+")


class ShopMessage(Message):
    """flask_mail's message with a subject that keeps its spaces.

    flask_mail encodes the subject without counting "Subject: ", so the line is too long and the SMTP policy
    refolds it; Python's refolding can cut between encoded words exactly at a space, which RFC 2047 readers then
    drop ("для«Технопарк Демо»"). Encoded here with the header's name counted, every line fits and is sent as is.
    """

    def _message(self) -> Any:
        msg = super()._message()
        if self.subject and not self.subject.isascii():
            msg.policy = policy.compat32  # store the encoded text verbatim (the SMTP policy would parse it again)
            msg.replace_header("Subject", Header(self.subject, "utf-8", header_name="Subject").encode())
            msg.policy = policy.SMTP
        return msg


def mail_locale(user: Any) -> str | None:
    """The language to write to `user` in: their profile's, if they chose one (None: the shop's default)."""
    return getattr(user, "locale", None) or None


def send_mail(
    to: str | list[str], subject: str, template: str, *, durable: bool = True, locale: str | None = None,
    **context: Any,
) -> None:
    """Queue an e-mail rendered from `templates/email/<template>.txt` (+ `.html` when present).

    Through the outbox by default: a verification or order e-mail survives a Redis outage (and a Redis that
    restarts empty). `durable=False` only for mail that may be lost.

    `subject` is an English msgid (placeholders from `context`); `locale` the recipient's (`mail_locale(user)`).
    `context` must be JSON-friendly and carry absolute URLs: the job may run in another process, without a request.
    """
    recipients = [to] if isinstance(to, str) else list(to)
    kwargs = {"recipients": recipients, "subject": subject, "template": template, "context": context,
              "locale": locale}
    if durable:
        enqueue_durable(deliver_mail, queue="mail", **kwargs)
    else:
        enqueue(deliver_mail, queue="mail", **kwargs)


def deliver_mail(
    recipients: list[str], subject: str, template: str, context: dict[str, Any], attachments: list[str] | None = None,
    locale: str | None = None,
) -> str:
    """Render and send one message, with files attached (paths); returns where it went (SMTP server or file path)."""
    subject, body, html = render_mail(template, subject, context, locale)
    message = ShopMessage(
        subject=subject,
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


def render_mail(template: str, subject: str, context: dict[str, Any], locale: str | None = None
                ) -> tuple[str, str, str]:
    """(subject, text, HTML) of one message in `locale` (default: the shop's); the back-office preview uses it too.

    A text template may word the subject itself (`{% block subject %}`, e.g. to name a translated status);
    else `subject` is translated (msgctxt "mail") and filled from the context."""
    with force_locale(locale or current_app.config["STOREFRONT_LOCALE"]):
        values = {**context, "mail": _shop()}
        text_template = current_app.jinja_env.get_template(f"email/{template}.txt")
        text = text_template.render(**values)
        html = css_inline.inline(_render(f"email/{template}.html", values))
        if "subject" in text_template.blocks:
            title = "".join(text_template.blocks["subject"](text_template.new_context(values))).strip()
        else:
            title = pgettext("mail", subject, **context) if context else pgettext("mail", subject)
    return f"[{current_app.config['STOREFRONT_NAME']}] {title}", text, html


def _shop() -> dict[str, str]:
    config = current_app.config
    return {"name": config["STOREFRONT_NAME"], "color": config["STOREFRONT_COLOR"],
            "email": config["STOREFRONT_CONTACT_EMAIL"], "phone": config["STOREFRONT_CONTACT_PHONE"],
            "url": config["STOREFRONT_PUBLIC_URL"]}


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
