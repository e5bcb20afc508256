"""Field types for the schemas that pages and the API share: strict about JSON, and able
to read the text a form or a query string sends.

JSON is taken at its word. An :class:`Integer` takes a JSON integer only (not ``12.5``,
not ``"12"``, not ``true``), a :class:`Boolean` only ``true`` or ``false``, and a number
the database cannot hold (past 64 bits, or with more decimal places than a
:class:`Decimal` keeps) is refused instead of being cut or rounded. Text never carries
types, so each field also reads its value from text (:meth:`from_text`, used by
:mod:`hub.forms`) and writes it back for a form's input (:meth:`to_text`): "12" into an
integer box is 12, "2,5" into a :class:`Grams` box is 2,500 g, a ticked checkbox is true.

Every other marshmallow field is here too under its usual name, so a schema needs only
``from hub.plugin_api import fields``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, validate
from marshmallow import fields as mm

# The largest integer either database stores; bigger ones are refused, never sent to a driver.
MAX_DB_INTEGER = 2**63 - 1
# Longer number text is refused before conversion: int() of 10,000 digits is slow, then refused.
MAX_NUMBER_TEXT = 40
TRUE_TEXT = frozenset({"true", "on", "y", "yes", "1"})
FALSE_TEXT = frozenset({"", "false", "off", "n", "no", "0"})
_INTEGER_TEXT = re.compile(r"^[+-]?[0-9]+$")
TIME_PATTERN = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$")
_DECIMAL_TEXT = re.compile(r"^[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)$")


class NumberTooLong(str):
    """A JSON integer with more digits than any field takes, kept as its text: reading
    10,000 digits into an int is slow, and Python refuses past 4,300."""


def json_integer(text: str) -> int | NumberTooLong:
    """``json.loads``'s ``parse_int`` for request bodies."""
    return int(text) if len(text) <= MAX_NUMBER_TEXT else NumberTooLong(text)


def _refuse_too_long(field: mm.Field, value: Any) -> None:
    if isinstance(value, NumberTooLong):
        raise field.make_error("too_large")


class TextField:
    """How a field's value is read from form text and written back into an input."""

    def from_text(self, text: str) -> Any:
        return text.strip()

    def to_text(self, value: Any) -> str:
        return "" if value is None else str(value)


class String(TextField, mm.String):
    """Text; NUL characters (which PostgreSQL cannot store) are refused."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if isinstance(value, NumberTooLong):
            raise self.make_error("invalid")
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("must not contain NUL characters")
        return text


class Password(String):
    """A password: read exactly as typed (spaces too), and never shown back in a form."""

    def from_text(self, text: str) -> Any:
        return text

    def to_text(self, value: Any) -> str:
        return ""


class Code(String):
    """One code from a codelist (``{code: label}``): the API documents the codes, a page
    offers the labels (a select, or checkboxes for a list of codes)."""

    def __init__(self, codelist: Mapping[str, str], **kwargs: Any) -> None:
        self.codelist = dict(codelist)
        choices = validate.OneOf(
            list(self.codelist),
            labels=list(self.codelist.values()),
            error="must be one of: {choices}",
        )
        kwargs["validate"] = [choices, *_as_list(kwargs.get("validate"))]
        super().__init__(**kwargs)


def _as_list(validators: Any) -> list[Any]:
    if validators is None:
        return []
    return list(validators) if isinstance(validators, list | tuple) else [validators]


class Integer(TextField, mm.Integer):
    """A whole number: a JSON integer within 64 bits; in a form, digits."""

    default_error_messages = {
        "invalid": "Enter a whole number, like 12.",
        "too_large": "is out of range",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("strict", True)
        super().__init__(**kwargs)

    def _validated(self, value: Any) -> int:
        _refuse_too_long(self, value)
        number = super()._validated(value)
        if abs(number) > MAX_DB_INTEGER:
            raise self.make_error("too_large")
        return number

    def from_text(self, text: str) -> Any:
        text = text.strip().replace(" ", "")
        if len(text) > MAX_NUMBER_TEXT and _INTEGER_TEXT.match(text):
            raise self.make_error("too_large")
        if not _INTEGER_TEXT.match(text):
            raise self.make_error("invalid")
        return int(text)


def _decimal_from_text(field: mm.Field, text: str) -> decimal.Decimal:
    text = text.strip().replace(" ", "")
    if len(text) > MAX_NUMBER_TEXT or not _DECIMAL_TEXT.match(text):
        raise field.make_error("invalid")
    return decimal.Decimal(text.replace(",", "."))


def _refuse_text(field: mm.Field, value: Any) -> None:
    # JSON numbers only: "12.5" as a string is a client's mistake worth pointing out.
    if isinstance(value, str | bytes):
        raise field.make_error("invalid")


class Float(TextField, mm.Float):
    """A number with a fraction: a JSON number; in a form, "2.5" or "2,5"."""

    default_error_messages = {
        "invalid": "Enter a number, like 2.5.",
        "too_large": "is out of range",
    }

    def _validated(self, value: Any) -> float:
        _refuse_too_long(self, value)
        _refuse_text(self, value)
        if isinstance(value, int) and abs(value) > 2**53:
            raise self.make_error("too_large")
        return super()._validated(value)

    def from_text(self, text: str) -> Any:
        return float(_decimal_from_text(self, text))

    def to_text(self, value: Any) -> str:
        return "" if value is None else f"{value:g}"


class Decimal(TextField, mm.Decimal):
    """An exact number with at most ``places`` decimal places: more are refused, not rounded
    (``2.589e-42`` in a field of 3 places is a mistake, not zero)."""

    default_error_messages = {
        "invalid": "Enter a number, like 2.5.",
        "places": "use at most {places} decimal places",
        "too_large": "is out of range",
    }

    def _validated(self, value: Any) -> decimal.Decimal:
        _refuse_too_long(self, value)
        _refuse_text(self, value)
        if isinstance(value, float | int | decimal.Decimal) and not isinstance(value, bool):
            exact = value if isinstance(value, decimal.Decimal) else decimal.Decimal(str(value))
            if (
                self.places is not None
                and exact.is_finite()
                and exact != exact.quantize(self.places, rounding=decimal.ROUND_DOWN)
            ):
                raise self.make_error("places", places=-int(self.places.as_tuple().exponent))
        return super()._validated(value)

    def from_text(self, text: str) -> Any:
        return self._validated(_decimal_from_text(self, text))

    def to_text(self, value: Any) -> str:
        return "" if value is None else format(decimal.Decimal(value).normalize(), "f")


class Grams(Integer):
    """A weight. JSON carries whole grams (published figures are integers); a form's box
    takes kilograms, so "2.5" there is 2,500 g. ``minimum`` and ``maximum`` are in grams,
    and the messages give both units."""

    default_error_messages = {
        "invalid": "Enter a weight in kg, like 2.5.",
        "range": "must be from {low} to {high}",
        "too_large": "is out of range",
    }

    def __init__(self, *, minimum: int = 1, maximum: int = 1_000_000, **kwargs: Any) -> None:
        # The range as a validator too, so the OpenAPI document states it; the check in
        # _validated comes first, with its message in both units.
        bounds = validate.Range(min=minimum, max=maximum)
        kwargs["validate"] = [bounds, *_as_list(kwargs.get("validate"))]
        super().__init__(**kwargs)
        self.minimum, self.maximum = minimum, maximum

    def _validated(self, value: Any) -> int:
        grams = super()._validated(value)
        if not self.minimum <= grams <= self.maximum:
            raise self.make_error("range", low=_weight(self.minimum), high=_weight(self.maximum))
        return grams

    def from_text(self, text: str) -> Any:
        text = text.strip().lower().removesuffix("kg")
        kilograms = _decimal_from_text(self, text)
        grams = kilograms * 1000
        if grams != grams.to_integral_value():
            raise ValidationError("give the weight to the nearest gram (3 decimal places)")
        return int(grams)

    def to_text(self, value: Any) -> str:
        if value is None:
            return ""
        text = f"{decimal.Decimal(value) / 1000:f}"
        return text.rstrip("0").rstrip(".") if "." in text else text


def _weight(grams: int) -> str:
    return f"{grams / 1000:g} kg ({grams:,} g)"


class Boolean(TextField, mm.Boolean):
    """Yes or no: JSON ``true`` or ``false`` only (not 0 or 1); in a form, a checkbox."""

    default_error_messages = {"invalid": "Not a valid boolean: use true or false."}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if value is True or value is False:
            return value
        raise self.make_error("invalid")

    def from_text(self, text: str) -> Any:
        lowered = text.strip().lower()
        if lowered in TRUE_TEXT:
            return True
        if lowered in FALSE_TEXT:
            return False
        raise self.make_error("invalid")

    def to_text(self, value: Any) -> str:
        return "y" if value else ""


class Date(TextField, mm.Date):
    """A day, as ``2026-03-31``."""

    default_error_messages = {"invalid": "Enter a real date, like 2026-03-31."}

    def to_text(self, value: Any) -> str:
        return value.isoformat() if isinstance(value, dt.date) else super().to_text(value)


class Time(TextField, mm.Time):
    """A time of day, as ``09:30`` (or ``09:30:15``): two digits each, as the OpenAPI
    document's pattern says, and as a time input sends it."""

    default_error_messages = {"invalid": "Enter a real time, like 09:30."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {}).setdefault("pattern", TIME_PATTERN.pattern)
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dt.time:
        if not isinstance(value, str) or not TIME_PATTERN.match(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)

    def to_text(self, value: Any) -> str:
        return value.strftime("%H:%M") if isinstance(value, dt.time) else super().to_text(value)


class DateTime(TextField, mm.AwareDateTime):
    """A moment, with its time zone (``2026-03-31T09:30:00+01:00``); a time without a zone
    is taken as UTC."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", dt.UTC)
        super().__init__(**kwargs)


class List(TextField, mm.List):
    """A list: a JSON array; in a form, every value sent under the name (a checkbox group)."""


# The rest of marshmallow's fields, unchanged: outputs (Function, Method, Pluck) and the
# odd input that needs no more than marshmallow checks.
Constant = mm.Constant
Dict = mm.Dict
Email = mm.Email
Enum = mm.Enum
Field = mm.Field
Function = mm.Function
Method = mm.Method
Nested = mm.Nested
Pluck = mm.Pluck
Raw = mm.Raw
Url = mm.Url

__all__ = [
    "Boolean",
    "Code",
    "Constant",
    "Date",
    "DateTime",
    "Decimal",
    "Dict",
    "Email",
    "Enum",
    "Field",
    "Float",
    "Function",
    "Grams",
    "Integer",
    "List",
    "Method",
    "Nested",
    "Password",
    "Pluck",
    "Raw",
    "String",
    "TextField",
    "Time",
    "Url",
]
