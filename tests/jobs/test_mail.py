"""E-mail is always sent from a job: to .eml files by default, over SMTP when MAIL_SERVER is set."""

import email
import email.policy
import re

import pytest

from storefront.extensions import mail
from storefront.jobs.mail import send_mail


def test_mail_is_written_as_eml_with_its_link_logged(app, session, mail_dir, caplog):
    send_mail("buyer@example.com", "Welcome", "test", name="Ann", link="http://127.0.0.1:5000/verify/abc")
    assert not mail_dir.exists() or not list(mail_dir.iterdir())  # nothing before the commit
    with caplog.at_level("WARNING"):
        session.commit()
    files = list(mail_dir.glob("*.eml"))
    assert len(files) == 1
    content = files[0].read_text()
    assert "To: buyer@example.com" in content
    assert "Subject: [Storefront] Welcome" in content
    assert "http://127.0.0.1:5000/verify/abc" in caplog.text


def test_mail_goes_over_smtp_when_configured(app, session, smtp_sink):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port)
    mail.init_app(app)  # Flask-Mail reads its settings at init
    send_mail(["a@example.com", "b@example.com"], "Invoice", "test", name="Ann")
    session.commit()
    assert len(smtp_sink.messages) == 1
    envelope = smtp_sink.messages[0]
    assert sorted(envelope.rcpt_tos) == ["a@example.com", "b@example.com"]
    assert b"Hello Ann" in envelope.content
    assert b"text/html" in envelope.content  # text and HTML parts


@pytest.mark.parametrize("subject", [
    "Новый заказ №1 для «Технопарк Демо»",  # folded by Python's SMTP policy right at the space before «
    "Заказ №12345 для «Кофейня «Зерно»» изменён: статус «Подтверждён» → «Собран», что дальше",
])
def test_a_russian_subject_keeps_every_space(app, session, mail_dir, subject):
    send_mail("buyer@example.com", subject, "test", name="Ann")
    session.commit()
    [path] = mail_dir.glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == f"[Storefront] {subject}"
    raw = path.read_bytes().decode()
    folded = re.search(r"^Subject: .*?\n(?! )", raw, re.S | re.M).group(0)
    assert all(len(line) <= 78 for line in folded.splitlines())  # folded as the standard asks
