"""Finding records by what someone types: every word, anywhere, in any case.

``text_search("ann 100%", Person.name, Person.email)`` is a condition for a query: each
word of the text appears, as typed (``%`` and ``_`` are not wildcards), in at least one
of the columns, whatever its case, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, and_, or_, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

ESCAPE = "\\"
MAX_WORDS = 8
MAX_TEXT = 200
# SQLite's own lower() folds only A-Z; the hub registers this one on each connection.
SQLITE_LOWER = "hub_lower"


class lowered(FunctionElement[str]):
    """A column's text in lower case, by Unicode's rules on both databases."""

    type = String()
    name = "lowered"
    inherit_cache = True


@compiles(lowered)
def _lowered_default(element: lowered, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(lowered, "sqlite")
def _lowered_sqlite(element: lowered, compiler: Any, **kw: Any) -> str:
    return f"{SQLITE_LOWER}({compiler.process(element.clauses, **kw)})"


def sqlite_lower(text: str | None) -> str | None:
    return None if text is None else text.lower()


def like_pattern(word: str) -> str:
    """A LIKE pattern finding ``word`` anywhere, its wildcards and escape taken literally."""
    escaped = word.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
    return f"%{escaped}%"


def words(text: str) -> list[str]:
    """The words of ``text`` a search looks for (at most ``MAX_WORDS``, from its first
    ``MAX_TEXT`` characters): a pasted page of text is a search for its start."""
    return text[:MAX_TEXT].lower().split()[:MAX_WORDS]


def text_search(text: str, *columns: Any) -> ColumnElement[bool]:
    """Rows where every word of ``text`` is in one of ``columns``; blank text matches all."""
    if not columns:
        raise ValueError("text_search needs at least one column")
    found = words(text)
    if not found:
        return true()
    return and_(
        *(
            or_(*(lowered(column).like(like_pattern(word), escape=ESCAPE) for column in columns))
            for word in found
        )
    )
