"""One pager for lists, on pages and in the API: never a silent cap.

A :class:`Page` is one slice of a query with the whole list's size. The API answers it as
``{"items", "page", "per_page", "total", "pages"}``; a page shows it with the
``pager`` macro of ``hub/paging.html`` ("Showing 51-100 of 1,161", Previous, Next).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import request, url_for
from marshmallow import validate
from sqlalchemy import Select, func, select

from hub import fields
from hub.db import get_session
from hub.fields import MAX_DB_INTEGER
from hub.forms import Schema

T = TypeVar("T")

PER_PAGE = 50
MAX_PER_PAGE = 200


class PageQuery(Schema):
    """The paging parameters of every list operation of the API."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_DB_INTEGER))
    per_page = fields.Integer(
        load_default=PER_PAGE, validate=validate.Range(min=1, max=MAX_PER_PAGE)
    )


@dataclass
class Page(Generic[T]):
    """Items ``first`` to ``last`` of a list of ``total``, page ``number`` of ``pages``."""

    items: list[T]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first(self) -> int:
        """The position of the first item shown (1-based; 0 when none is)."""
        return (self.number - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0

    def url(self, number: int) -> str:
        """This page's address with another page number, keeping its filters."""
        values: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict()}
        values["page"] = str(number)
        return url_for(request.endpoint or "", **values)

    @property
    def previous_url(self) -> str | None:
        return self.url(self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url(self.number + 1) if self.number < self.pages else None

    def envelope(self, dump: Callable[[list[T]], Any]) -> dict[str, Any]:
        """The API's list body, the items written by ``dump``."""
        return {
            "items": dump(self.items),
            "page": self.number,
            "per_page": self.per_page,
            "total": self.total,
            "pages": self.pages,
        }


def paginate(statement: Select[Any], number: int, per_page: int = PER_PAGE) -> Page[Any]:
    """Page ``number`` of ``statement``'s rows: ORM entities or scalars of one column, or,
    for a statement of several columns, rows whose columns are read by name.

    A page past the end is empty, and is never asked of the database: an offset past
    2^63 is an error there, and there is nothing to find.
    """
    session = get_session()
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    total = total or 0
    if (number - 1) * per_page >= total:
        return Page([], number, per_page, total)
    sliced = statement.limit(per_page).offset((number - 1) * per_page)
    if len(statement.column_descriptions) == 1:
        return Page(list(session.scalars(sliced)), number, per_page, total)
    return Page(list(session.execute(sliced)), number, per_page, total)


def requested_page(statement: Select[Any], per_page: int = PER_PAGE) -> Page[Any]:
    """The page of ``statement`` that a page's ``?page=`` asks for: a number that is not
    one is the first page, one past the end the last."""
    text = request.args.get("page", "")
    number = int(text) if text.isascii() and text.isdigit() and len(text) < 20 else 1
    page = paginate(statement, max(number, 1), per_page)
    if page.number > page.pages:
        page = paginate(statement, page.pages, per_page)
    return page
