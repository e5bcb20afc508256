"""Mail through a real SMTP server on loopback: sent, refused, unreachable, misconfigured."""

from __future__ import annotations

import socket

import pytest

from hub import plugin_api as api
from hub.config import ConfigError


def test_messages_go_through_one_connection(make_app, smtp_server):
    app = make_app(**smtp_server.settings("Riverside Tool Library <hub@example.org>"))
    smtp_server.refuse.add("nobody@example.org")
    with app.app_context():
        assert api.mail_configured()
        with api.mail_connection() as mail:
            mail.send("ann@example.org", "Your drill is due back", "Dear Ann,\n\nThank you.")
            with pytest.raises(api.MailError, match=r"refused the address nobody@example\.org"):
                mail.send("nobody@example.org", "Hello", "Hi")
            mail.send("bob@example.org", "Ready to collect: a gazebo", "Dear Bob, 😀")
    first, second = smtp_server.messages
    assert first["To"] == "ann@example.org" and first["Subject"] == "Your drill is due back"
    assert first["From"] == "Riverside Tool Library <hub@example.org>"
    assert first.get_content().startswith("Dear Ann,")
    assert "😀" in second.get_content() and first["Message-ID"] != second["Message-ID"]


def test_no_server_is_a_clear_error(make_app):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    unconfigured = make_app(name="none")
    with unconfigured.app_context():
        assert not api.mail_configured()
        with pytest.raises(api.MailError, match="not configured"), api.mail_connection():
            pass
    unreachable = make_app(
        name="down",
        MAIL_HOST="127.0.0.1",
        MAIL_PORT=closed,
        MAIL_SECURITY="none",
        MAIL_FROM="hub@example.org",
    )
    failing = pytest.raises(api.MailError, match="cannot reach the mail server")
    with unreachable.app_context(), failing, api.mail_connection():
        pass


def test_mail_settings_are_checked_at_start_up(make_app):
    with pytest.raises(ConfigError) as caught:
        make_app(MAIL_HOST="smtp.example.org", MAIL_SECURITY="ssl", MAIL_PORT=70000)
    message = str(caught.value)
    assert "MAIL_SECURITY must be one of starttls, tls, none" in message
    assert "MAIL_PORT must be 1 to 65535" in message
    assert "MAIL_FROM must be an address" in message
