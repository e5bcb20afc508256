"""Sending email through the instance's SMTP server, for the core and every plugin.

The server is configured in ``hub.toml`` (or ``HUB_MAIL_*`` environment variables)::

    MAIL_HOST = "smtp.example.org"    # empty: this instance sends no email
    MAIL_PORT = 587
    MAIL_SECURITY = "starttls"        # "starttls", "tls" (implicit, port 465) or "none"
    MAIL_USERNAME = "hub@example.org" # empty: no login
    MAIL_PASSWORD = "..."
    MAIL_FROM = "Riverside Tool Library <hub@example.org>"

A batch of messages goes through one connection::

    with api.mail_connection() as mail:
        mail.send("ann@example.org", "Your drill is due back", "Dear Ann, ...")

A message the server refuses raises :class:`MailError` for that message only; the
connection stays usable for the next. Not being configured, or not reaching the server,
raises :class:`MailError` from ``mail_connection()``.

Each wait on the server gives up after ``TIMEOUT_SECONDS``; a caller that somebody is
waiting on (a request at a counter) passes a shorter ``timeout`` and leaves what could
not go quickly for a later run.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from flask import current_app

SECURITY = ("starttls", "tls", "none")
TIMEOUT_SECONDS = 30


class MailError(Exception):
    """Mail could not be sent: one line saying why."""


def configured(config: Any = None) -> bool:
    """Whether this instance has an SMTP server to send through."""
    return bool((config or current_app.config)["MAIL_HOST"])


def check_settings(config: dict[str, Any]) -> list[str]:
    """The configuration's mistakes about mail, one line each (for hub.config)."""
    problems = []
    if config["MAIL_SECURITY"] not in SECURITY:
        problems.append(f"MAIL_SECURITY must be one of {', '.join(SECURITY)}")
    if not 0 < config["MAIL_PORT"] < 65536:
        problems.append("MAIL_PORT must be 1 to 65535")
    if config["MAIL_HOST"] and "@" not in config["MAIL_FROM"]:
        problems.append(
            "MAIL_FROM must be an address (Name <hub@example.org>) when MAIL_HOST is set"
        )
    return problems


class Connection:
    """An open SMTP connection: :meth:`send` one message after another."""

    def __init__(self, smtp: smtplib.SMTP, sender: str) -> None:
        self._smtp = smtp
        self.sender = sender

    def send(self, to: str, subject: str, text: str, *, reply_to: str | None = None) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2].strip("> "))
        if reply_to:
            message["Reply-To"] = reply_to
        message.set_content(text)
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused:
            raise MailError(f"the mail server refused the address {to}") from None
        except smtplib.SMTPResponseException as exc:
            raise MailError(
                f"the mail server refused the message to {to}: {exc.smtp_code}"
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"sending to {to} failed: {exc}") from None


@contextmanager
def connection(config: Any = None, *, timeout: float = TIMEOUT_SECONDS) -> Iterator[Connection]:
    """One connection to the configured server, closed afterwards. ``timeout`` bounds
    each wait on the server (connecting, and each reply), in seconds."""
    config = config or current_app.config
    if not configured(config):
        raise MailError("mail is not configured: set MAIL_HOST (and MAIL_FROM) in hub.toml")
    host, port, security = config["MAIL_HOST"], config["MAIL_PORT"], config["MAIL_SECURITY"]
    try:
        if security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
            if security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    except smtplib.SMTPAuthenticationError:
        raise MailError(f"the mail server {host} refused the login") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"cannot reach the mail server {host}:{port}: {exc}") from None
    try:
        yield Connection(smtp, config["MAIL_FROM"])
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
