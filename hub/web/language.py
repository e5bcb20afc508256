"""The language switcher on every page: for a signed-in user it is their setting,
and for everyone a cookie, so it works on the sign-in page and /public too."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, redirect, request
from werkzeug.wrappers import Response

from hub import auth, i18n
from hub.db import get_session
from hub.web.signin import safe_next

bp = Blueprint("language", __name__)


@bp.post("/language")
def choose() -> Response:
    language = request.form.get("language", "")
    if language not in i18n.LANGUAGES:
        abort(400, f"Choose one of: {', '.join(i18n.LANGUAGES)}.")
    user = auth.current_user()
    if user is not None:
        user.language = language
        get_session().commit()
    response = redirect(safe_next(request.form.get("next")))
    response.set_cookie(
        i18n.COOKIE,
        language,
        max_age=int(dt.timedelta(days=i18n.COOKIE_DAYS).total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )
    return response
