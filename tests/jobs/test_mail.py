"""E-mail is always sent from a job: to .eml files by default, over SMTP when MAIL_SERVER is set."""

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
