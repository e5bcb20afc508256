"""One-time submission tokens: a create form makes one record however often it is sent.

A form that creates a record (a parcel, a repair, a donation) carries a random token,
and so does its page's address: a page asked for without one is redirected to an
address with a fresh one, so the back button returns to the same token. Sending the
form *claims* the token in the record's own transaction; sending it again (a double
tap, a retry after a lost reply, back and resubmit, two workers at once) finds the
claim, makes nothing, and names the record the first sending made.

The claim is written before the record, in the same transaction: a second sending of
the same token waits for the first on the token's primary key and then finds it. A
sending that fails (a field is wrong) rolls its claim back with everything else.

Claims are kept for a day (:data:`LIFETIME`): ``hub retention`` deletes older ones. So
that a form sent again after that makes no second record either, a token says when
its page was made, and a form whose page is more than a day old is refused (to be
checked and sent again, with a fresh token).

:class:`hub.forms.Form` uses this with ``once=``; nothing else needs to.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import Any, cast

from flask import request
from sqlalchemy import CursorResult, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub import clock
from hub.models import FormSubmission

TOKEN_NAME = "once"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_MADE_AT = re.compile(r"^[0-9a-f]{8}")
LIFETIME = dt.timedelta(hours=24)


def new_token() -> str:
    """A random token that starts with when it was made (seconds, 8 hex digits)."""
    return f"{int(clock.now().timestamp()):08x}{secrets.token_urlsafe(18)}"


def expired(token: str) -> bool:
    """Whether ``token`` was made more than :data:`LIFETIME` ago, so its claim may be gone."""
    made = _MADE_AT.match(token)
    if made is None:
        return False
    age = clock.now() - dt.datetime.fromtimestamp(int(made[0], 16), dt.UTC)
    return age > LIFETIME


def forget_old(session: Session) -> int:
    """Delete the claims made more than :data:`LIFETIME` ago (not committed): how many."""
    cutoff = clock.now() - LIFETIME
    result = session.execute(delete(FormSubmission).where(FormSubmission.at < cutoff))
    return cast(CursorResult[Any], result).rowcount or 0


def valid_token(text: str | None) -> str | None:
    """``text`` if it is a token this module could have made (or a client chose as one)."""
    return text if text is not None and _TOKEN.match(text) else None


@dataclass(frozen=True)
class Earlier:
    """What an earlier sending of the same form made: its summary and where it is shown
    (both blank if that sending's record was made but not described)."""

    summary: str
    url: str


def requested_token() -> str | None:
    """The token this request carries: the form's on a POST, the address's on a GET."""
    source = request.form if request.method == "POST" else request.args
    return valid_token(source.get(TOKEN_NAME))


def earlier(session: Session, token: str) -> Earlier | None:
    found = session.get(FormSubmission, token)
    if found is None:
        return None
    return Earlier(found.summary, found.url)


def claim(session: Session, token: str, form: str, user_id: int | None) -> Earlier | None:
    """Claim ``token`` for a record about to be made in this transaction: ``None`` when
    it is ours, else what the sending that holds it made (the session is rolled back)."""
    session.add(FormSubmission(token=token, form=form, user_id=user_id))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return earlier(session, token) or Earlier("", "")
    return None


def describe(session: Session, token: str, summary: str, url: str) -> None:
    """Say what the claim of ``token`` made, for the repeats to show; not yet committed."""
    found = session.scalar(select(FormSubmission).where(FormSubmission.token == token))
    if found is not None:
        found.summary = summary[:300]
        found.url = url[:500]
