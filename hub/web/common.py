"""What the core's pages share: the form base class, field checks, paging."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import Response, abort, current_app, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import Select, func, select
from wtforms import DateField, Field, TimeField, ValidationError

from hub import auth
from hub.db import Model, get_session

T = TypeVar("T")
M = TypeVar("M", bound=Model)

PER_PAGE = 25
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()-]{5,40}$")


class Form(FlaskForm):
    """A page form. CSRF is checked for every form before any view runs
    (:mod:`hub.security`), so the form does not check it a second time."""

    class Meta:
        csrf = False


class _BlankIsNone:
    """An empty box means no value (``InputRequired`` says if one is needed),
    and a wrong one gets a message saying what to type."""

    example = ""
    data: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("invalid_value_message", f"Enter a real {self.example}.")
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not "".join(valuelist).strip():
            self.data = None
            return
        super().process_formdata(valuelist)  # type: ignore[misc]


class Date(_BlankIsNone, DateField):
    example = "date, like 2026-03-31"


class Time(_BlankIsNone, TimeField):
    example = "time, like 09:30"


def acceptable_password(form: Any, field: Any) -> None:
    """Long enough and hard to guess, knowing the account's email and name and this
    instance's name (the account page's user, or the admin form's new user)."""
    user = auth.current_user() if not hasattr(form, "email") else None
    context = [
        current_app.config["INSTANCE_NAME"],
        *(getattr(getattr(form, key, None), "data", None) or "" for key in ("email", "name")),
        *((user.email, user.name) if user is not None else ()),
    ]
    problem = auth.validate_password(field.data or "", context)
    if problem:
        raise ValidationError(f"The password {problem}.")


def email_address(_form: Any, field: Field) -> None:
    if field.data and not EMAIL.match(field.data):
        raise ValidationError("Enter an email address like name@example.org.")


def phone_number(_form: Any, field: Field) -> None:
    if field.data and not PHONE.match(field.data):
        raise ValidationError("Enter a phone number using digits, spaces and + ( ) - only.")


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def blank_to_none(value: Any) -> Any:
    value = strip(value)
    return value or None


@dataclass
class Page(Generic[T]):
    """One page of a list, with links to its neighbours that keep the filters."""

    items: list[T]
    number: int
    pages: int
    total: int

    def url(self, number: int) -> str:
        values: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict()}
        values["page"] = str(number)
        return url_for(request.endpoint or "", **values)

    @property
    def previous_url(self) -> str | None:
        return self.url(self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url(self.number + 1) if self.number < self.pages else None


def paginate(statement: Select[Any], per_page: int = PER_PAGE) -> Page[Any]:
    """The page of ``statement`` named by ``?page=`` (past the end: the last page)."""
    session = get_session()
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    pages = max(1, math.ceil((total or 0) / per_page))
    number = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    rows = session.scalars(statement.limit(per_page).offset((number - 1) * per_page)).all()
    return Page(list(rows), number, pages, total or 0)


def get_or_404(model: type[M], ident: int) -> M:
    found = get_session().get(model, ident)
    if found is None:
        abort(404)
    return found


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def json_download(data: dict[str, Any], name: str) -> Response:
    """A subject-access export as a dated JSON file to download and hand over."""
    body = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    filename = f"{name}-{dt.date.today().isoformat()}.json"
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
