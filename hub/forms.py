"""One way to read input, for pages and the API alike: a schema of :mod:`hub.fields`.

The API loads a JSON body or a query string into a schema (:func:`load_json`,
:func:`load_query`); a page reads its HTML form into the *same* schema with a
:class:`Form`, which converts each input's text by its field's type (a blank box is a
value not given) and keeps what was typed and what is wrong, field by field, for the
``hub/forms.html`` macros to show. A service's :class:`~hub.errors.FieldError` marks its
field on the page just as it becomes a 422 on the API.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import marshmallow
from flask import flash, request, url_for
from markupsafe import Markup
from marshmallow import RAISE, ValidationError, validate
from werkzeug.datastructures import MultiDict
from werkzeug.routing import RequestRedirect

from hub import fields, submissions
from hub.db import get_session
from hub.errors import ApiError, FieldError
from hub.fields import MAX_DB_INTEGER
from hub.i18n import _, lazy_gettext

_ROW_KEY = re.compile(r"^(?P<list>[A-Za-z_][A-Za-z0-9_]*)-(?P<index>[0-9]{1,4})-(?P<name>.+)$")
TextSource = Mapping[str, Any] | MultiDict[str, str]
T = TypeVar("T")
# marshmallow's fixed messages, marked here for the catalogue: a page shows each in the
# reader's language (the API keeps them in English, as clients match on them).
FIELD_MESSAGES = (
    lazy_gettext("Missing data for required field."),
    lazy_gettext("Field may not be null."),
    lazy_gettext("Not a valid integer."),
    lazy_gettext("Not a valid number."),
    lazy_gettext("Not a valid date."),
    lazy_gettext("Not a valid string."),
    lazy_gettext("Not a valid boolean."),
    lazy_gettext("Not a valid choice."),
    lazy_gettext("Unknown field."),
    lazy_gettext("Shorter than minimum length 1."),
)


class Schema(marshmallow.Schema):
    """The base of every schema: unknown fields are refused."""

    class Meta:
        unknown = RAISE


@functools.cache
def _instance(schema: type[marshmallow.Schema], only: tuple[str, ...] | None = None) -> Any:
    """One instance per schema class: making one deep-copies every field, which costs more
    than the validation itself on a busy endpoint. Loading and dumping keep no state on
    the instance, so requests can share it."""
    return schema(unknown=RAISE, only=only)


def output(schema: type[marshmallow.Schema]) -> Any:
    """The shared instance of ``schema``, for dumping answers."""
    return _instance(schema)


def validate_data(
    schema: type[marshmallow.Schema],
    data: Mapping[str, Any],
    *,
    partial: bool = False,
    only: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """``data`` loaded by ``schema``; raises ``ValidationError`` with messages by field."""
    loaded = _instance(schema, only).load(data, partial=partial)
    problems: dict[str, list[str]] = {}
    _find_unstorable(loaded, "", problems)
    if problems:
        raise ValidationError(problems)
    return loaded


def _find_unstorable(value: Any, path: str, problems: dict[str, list[str]]) -> None:
    """Values a plain marshmallow field lets through but no database can store: NUL
    characters in text (PostgreSQL refuses them) and integers beyond 64 bits. The
    fields of :mod:`hub.fields` refuse them themselves."""
    if isinstance(value, dict):
        for key, item in value.items():
            _find_unstorable(item, f"{path}.{key}" if path else str(key), problems)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _find_unstorable(item, f"{path}.{index}" if path else str(index), problems)
    elif isinstance(value, str) and "\x00" in value:
        problems.setdefault(path, []).append("must not contain NUL characters")
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_DB_INTEGER:
        problems.setdefault(path, []).append("is out of range")


def load_json(
    schema: type[marshmallow.Schema], data: Any, where: str, *, partial: bool = False
) -> dict[str, Any]:
    """Validate a JSON document with ``schema``: 400 if it is not an object, 422 naming
    each field that is wrong (unknown fields included)."""
    if not isinstance(data, dict):
        raise ApiError(400, f"the {where} must be a JSON object", {where: ["expected an object"]})
    try:
        return validate_data(schema, data, partial=partial)
    except ValidationError as exc:
        raise ApiError(422, f"invalid {where}", exc.messages) from None


def load_query(schema: type[marshmallow.Schema], args: TextSource) -> dict[str, Any]:
    """A query string loaded by ``schema``, its text converted by field type; 422 naming
    each parameter that is wrong."""
    instance = _instance(schema)
    data, errors = text_to_data(instance, args, unticked_is_false=False, blank_is_given=True)
    known = {each.data_key or name for name, each in instance.fields.items()}
    for unknown in sorted(set(args) - known):
        errors[unknown] = ["Unknown field."]
    try:
        if errors:
            raise ValidationError(errors)
        return validate_data(schema, data)
    except ValidationError as exc:
        raise ApiError(422, "invalid query string", _merged(errors, exc.messages)) from None


def text_to_data(
    schema: marshmallow.Schema,
    source: TextSource,
    *,
    unticked_is_false: bool,
    origins: dict[str, list[int]] | None = None,
    blank_is_given: bool = False,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a form or query string sent, as the JSON ``schema`` would take: each input's
    text converted by its field's type, blank inputs left out. Returns the data and the
    inputs whose text could not be converted (by field, with messages).

    A lists of checkboxes arrives under one name, several times; a list of rows (a
    ``List`` of ``Nested``) as ``<list>-<row>-<field>`` inputs, rows left blank dropped.
    In a posted form an unticked checkbox sends nothing, so ``unticked_is_false`` reads a
    missing boolean as false, as a browser means it. ``origins``, when given, receives
    each list's row numbers as the form numbered them, since blank rows are dropped.
    A blank box on a page is a value not given; in an API's query string
    (``blank_is_given``) ``?date_from=`` is a value, and an invalid one.
    """
    values = source if isinstance(source, MultiDict) else MultiDict(source)
    data: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    rows = _rows(values)
    for name, each in schema.fields.items():
        if each.dump_only:
            continue
        key = each.data_key or name
        try:
            if isinstance(each, marshmallow.fields.List) and isinstance(
                each.inner, marshmallow.fields.Nested
            ):
                if key in rows:
                    data[key], row_errors, numbers = _nested_rows(
                        each.inner, rows[key], unticked_is_false
                    )
                    if origins is not None:
                        origins[key] = numbers
                    if row_errors:
                        errors[key] = row_errors
            elif isinstance(each, marshmallow.fields.List):
                items = [text.strip() for text in values.getlist(key) if text.strip()]
                if key in values:
                    data[key] = [_from_text(each.inner, text) for text in items]
            elif isinstance(each, marshmallow.fields.Boolean) and key not in values:
                if unticked_is_false:
                    data[key] = False
            else:
                text = values.get(key)
                if text is None or not (text.strip() or blank_is_given):
                    continue
                data[key] = _from_text(each, text)
        except ValidationError as exc:
            errors[key] = exc.messages
    return data, errors


def _from_text(each: marshmallow.fields.Field, text: str) -> Any:
    reader = getattr(each, "from_text", None)
    return text.strip() if reader is None else reader(text)


def _rows(values: MultiDict[str, str]) -> dict[str, dict[int, MultiDict[str, str]]]:
    found: dict[str, dict[int, MultiDict[str, str]]] = {}
    for key, text in values.items(multi=True):
        if match := _ROW_KEY.match(key):
            row = found.setdefault(match["list"], {}).setdefault(int(match["index"]), MultiDict())
            row.add(match["name"], text)
    return found


def _nested_rows(
    nested: marshmallow.fields.Nested, rows: dict[int, MultiDict[str, str]], unticked: bool
) -> tuple[list[dict[str, Any]], dict[int, Any], list[int]]:
    schema = nested.schema
    data: list[dict[str, Any]] = []
    errors: dict[int, Any] = {}
    numbers: list[int] = []
    for index in sorted(rows):
        if not any(text.strip() for text in rows[index].values()):
            continue  # a blank row offered for adding one
        row, row_errors = text_to_data(schema, rows[index], unticked_is_false=unticked)
        if row_errors:
            errors[len(data)] = row_errors
        numbers.append(index)
        data.append(row)
    return data, errors, numbers


def _merged(first: Mapping[str, Any], second: Any) -> dict[str, Any]:
    merged = dict(first)
    if isinstance(second, Mapping):
        for key, value in second.items():
            merged.setdefault(key, value)
    return merged


def _flatten(messages: Any, prefix: str, out: dict[str, list[str]]) -> None:
    """marshmallow's nested messages as one list per input name (``hours-0-opens``)."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = str(key) if not prefix else f"{prefix}-{key}"
            _flatten(value, name, out)
    elif isinstance(messages, list | tuple) and all(isinstance(m, str) for m in messages):
        out.setdefault(prefix or "form", []).extend(messages)
    elif isinstance(messages, list | tuple):
        for item in messages:
            _flatten(item, prefix, out)
    else:
        out.setdefault(prefix or "form", []).append(str(messages))


@dataclass
class Control:
    """One input of a form, as a macro of ``hub/forms.html`` draws it."""

    name: str
    value: str
    chosen: list[str]
    errors: list[str]
    kind: str
    options: list[tuple[str, str]]
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.name


class Form:
    """An HTML form read into a schema: what its inputs show and what is wrong with them.

    ::

        form = api.Form(schemas.DonationIn, {"given_on": api.today()})
        if form.submit(lambda data: service.add_donation(api.get_session(), data)):
            return redirect(...)
        return render_template("fridge/donate.html", form=form), form.status

    ``values`` (a mapping or an object with those attributes) fill the inputs at first;
    after a post they show what was typed. ``only`` names the schema's fields this form
    shows, when it shows fewer (a checkbox left off the page must not read as unticked).
    ``inputs`` maps a field (or one row's field, ``lines-0-grams``) to the input that
    holds it on the page, when their names differ.

    A form that creates a record names itself with ``once=`` (``"foodbank.parcel"``) to
    carry a one-time token (:mod:`hub.submissions`; the ``once(form)`` macro draws it):
    its page is redirected to an address with a fresh token, and however often the same
    form is sent, ``action`` runs once. ``made`` describes the record for the repeats::

        form = api.Form(schemas.RecordIn, once="repaircafe.record", logged=True)
        record = form.submit(add, made=lambda r: (f"repair {r.id}", url_for(...)))
        if record is not None or form.repeated:
            return redirect(url_for("repaircafe.quick_log", event_id=event_id))

    A repeat runs nothing and flashes "Already saved" with a link to the first record
    (``form.repeated`` is then true); the page of a token already used shows the same.
    A form whose record logs something done (a repair, a parcel given) passes
    ``logged=True``, and its repeats say "Already logged".
    With ``once``, ``submit`` commits the record along with its claim.
    """

    def __init__(
        self,
        schema: type[marshmallow.Schema],
        values: Any = None,
        *,
        only: Sequence[str] | None = None,
        inputs: Mapping[str, str] | None = None,
        partial: bool = False,
        once: str | None = None,
        logged: bool = False,
    ) -> None:
        self.schema = schema
        self.only = tuple(only) if only is not None else None
        self.fields = _instance(schema, self.only).fields
        self.partial = partial
        self._input_of = dict(inputs or {})
        self._field_of = {html: name for name, html in self._input_of.items()}
        self.data: dict[str, Any] = {}
        self.errors: dict[str, list[str]] = {}
        self.sent: MultiDict[str, str] = MultiDict()
        self._origins: dict[str, list[int]] = {}
        if values is not None:
            self.sent = self._as_text(values)
        self.once = once
        self.logged = logged
        self.token: str | None = None
        self.earlier: submissions.Earlier | None = None
        self.repeated = False
        if once is not None:
            self._start_once()

    def _start_once(self) -> None:
        self.token = submissions.requested_token()
        if self.token is not None:
            self.earlier = submissions.earlier(get_session(), self.token)
        elif request.method == "GET":
            # The token goes in the page's address too, so that back returns to it.
            args = {**(request.view_args or {}), **request.args.to_dict()}
            args[submissions.TOKEN_NAME] = submissions.new_token()
            raise RequestRedirect(url_for(request.endpoint or "", **args))

    @property
    def fresh_url(self) -> str:
        """This form's page with a new token: for making another record."""
        args = {**(request.view_args or {}), **request.args.to_dict()}
        args.pop(submissions.TOKEN_NAME, None)
        return url_for(request.endpoint or "", **args)

    # --- reading ---------------------------------------------------------------------

    def validate_on_submit(self) -> bool:
        """On a POST, read the request's form; True when every field is valid."""
        if request.method != "POST":
            return False
        return self.read(request.form, unticked_is_false=True)

    def submit(
        self,
        action: Callable[[dict[str, Any]], T],
        source: TextSource | None = None,
        *,
        made: Callable[[T], tuple[str, str]] | None = None,
    ) -> T | None:
        """On a POST, read the form and hand its data to ``action`` (a service call):
        what ``action`` returns, or ``None`` while something is wrong. A ``FieldError``
        from ``action`` marks its field, as a mistake in the form does. ``source`` is
        what to read instead of the posted form, when the view adds to what was sent.
        ``made`` describes what ``action`` made, as (summary, address), for a form
        with ``once``."""
        if request.method != "POST":
            return None
        if self.once is not None and not self._claim():
            return None
        if not self.read(request.form if source is None else source, unticked_is_false=True):
            get_session().rollback()  # the claim, with the rest
            return None
        try:
            result = action(self.data)
        except FieldError as exc:
            self.fail(exc)
            return None
        if self.once is not None:
            self._describe(result, made)
        return result

    def _claim(self) -> bool:
        """Claim the form's token for this sending; False (flashed or marked) if not."""
        from hub.auth import current_user

        session = get_session()
        if self.token is None:
            self.token = submissions.new_token()
            self.fail(
                "form", "This form was sent without its one-time token: check it and send it again."
            )
            return False
        if self.earlier is None and submissions.expired(self.token):
            # Its claim may be forgotten by now: taken, it could make a second record.
            self.token = submissions.new_token()
            self.fail(
                "form", "This page was opened more than a day ago: check it and send it again."
            )
            return False
        if self.earlier is None:
            user = current_user()
            user_id = user.id if user is not None else None
            self.earlier = submissions.claim(session, self.token, self.once or "", user_id)
        if self.earlier is not None:
            self.repeated = True
            flash(self.already(), "info")
            return False
        return True

    def _describe(self, result: Any, made: Callable[[Any], tuple[str, str]] | None) -> None:
        session = get_session()
        assert self.token is not None
        session.flush()
        summary, url = made(result) if made is not None else ("", "")
        submissions.describe(session, self.token, summary, url)
        session.commit()

    def already(self) -> Markup:
        """The notice for a repeat: what the first sending made, and a link to it."""
        earlier = self.earlier
        summary = earlier.summary if earlier and earlier.summary else _("this form was sent before")
        said = _("Already logged: {}.") if self.logged else _("Already saved: {}.")
        notice = Markup(said).format(summary)
        if earlier and earlier.url:
            notice += Markup(' <a href="{}">{}</a>').format(earlier.url, _("Open it"))
        return notice

    def read(self, source: TextSource, *, unticked_is_false: bool = False) -> bool:
        """Read ``source`` (a form or query string); True when every field is valid."""
        self.sent = source if isinstance(source, MultiDict) else MultiDict(source)
        renamed = MultiDict(
            [(self._field_name(key), text) for key, text in self.sent.items(multi=True)]
        )
        schema = _instance(self.schema, self.only)
        self._origins = {}
        data, errors = text_to_data(
            schema, renamed, unticked_is_false=unticked_is_false, origins=self._origins
        )
        self.errors = {}
        try:
            if errors:
                raise ValidationError(errors)
            self.data = validate_data(self.schema, data, partial=self.partial, only=self.only)
        except ValidationError as exc:
            self._add(_merged(errors, exc.messages))
        return not self.errors

    def _field_name(self, html: str) -> str:
        """The schema's name for input ``html`` (``hours-0-opens``: ``opening_times-0-opens``)."""
        if html in self._field_of:
            return self._field_of[html]
        if match := _ROW_KEY.match(html):
            rows = self._field_of.get(match["list"], match["list"])
            return f"{rows}-{match['index']}-{match['name']}"
        return self._field_of.get(html, html)

    def _input_name(self, name: str) -> str:
        """The input for the schema's ``name``, row numbers as the form numbered them."""
        if match := _ROW_KEY.match(name):
            numbers = self._origins.get(match["list"], [])
            index = int(match["index"])
            row = numbers[index] if index < len(numbers) else index
            numbered = f"{match['list']}-{row}-{match['name']}"
            if numbered in self._input_of:
                return self._input_of[numbered]
            rows = self._input_of.get(match["list"], match["list"])
            return f"{rows}-{row}-{match['name']}"
        return self._input_of.get(name, name)

    def fail(self, error: FieldError | str, message: str | None = None) -> None:
        """Mark a field (or ``"form"``, the whole form) as wrong, and undo the session's
        unsaved changes: a service may have changed records before it refused."""
        get_session().rollback()
        if isinstance(error, FieldError):
            self._add(error.details)
        else:
            self._add({error: [message or ""]})

    def _add(self, messages: Any) -> None:
        flat: dict[str, list[str]] = {}
        _flatten(messages, "", flat)
        for name, found in flat.items():
            # Pages show marshmallow's fixed messages in the reader's language.
            self.errors.setdefault(self._input_name(name), []).extend(map(_, found))

    @property
    def status(self) -> int:
        """The HTTP status to answer with: 422 while something is wrong."""
        return 422 if self.errors else 200

    # --- showing ---------------------------------------------------------------------

    def _as_text(self, values: Any) -> MultiDict[str, str]:
        shown: MultiDict[str, str] = MultiDict()
        for name, each in self.fields.items():
            value = values.get(name) if isinstance(values, Mapping) else getattr(values, name, None)
            if value is None:
                continue
            html = self._input_of.get(name, name)
            if isinstance(each, marshmallow.fields.List):
                if isinstance(each.inner, marshmallow.fields.Nested):
                    for index, row in enumerate(value):
                        for sub, text in _row_as_text(each.inner.schema, row).items(multi=True):
                            shown.add(self._input_name(f"{name}-{index}-{sub}"), text)
                    continue
                for item in value:
                    shown.add(html, _to_text(each.inner, item))
            else:
                shown.add(html, _to_text(each, value))
        if isinstance(values, Mapping):
            for key, value in values.items():  # inputs a view adds beside the schema's
                if key not in self.fields and key not in shown and value is not None:
                    shown.add(key, str(value))
        return shown

    def value(self, name: str) -> str:
        return self.sent.get(name, "")

    def chosen(self, name: str) -> list[str]:
        return self.sent.getlist(name)

    def control(self, name: str) -> Control:
        """What the macros need to draw input ``name``."""
        each = self._field(name)
        return Control(
            name=name,
            value=self.value(name),
            chosen=self.chosen(name),
            errors=self.errors.get(name, []),
            kind=_kind(each),
            options=_options(each),
            attrs=_attrs(each, required=not self.partial),
        )

    def _field(self, name: str) -> marshmallow.fields.Field | None:
        name = self._field_name(name)
        if name in self.fields:
            return self.fields[name]
        if match := _ROW_KEY.match(name):
            rows = self.fields.get(match["list"])
            if isinstance(rows, marshmallow.fields.List) and isinstance(
                rows.inner, marshmallow.fields.Nested
            ):
                return rows.inner.schema.fields.get(match["name"])
        return None

    def error_list(self) -> list[tuple[str, str]]:
        """Every problem as (input name, message), for the summary above the form."""
        return [(name, message) for name, found in self.errors.items() for message in found]


def _row_as_text(schema: marshmallow.Schema, row: Any) -> MultiDict[str, str]:
    shown: MultiDict[str, str] = MultiDict()
    for name, each in schema.fields.items():
        value = row.get(name) if isinstance(row, Mapping) else getattr(row, name, None)
        if value is not None:
            shown.add(name, _to_text(each, value))
    return shown


def _to_text(each: marshmallow.fields.Field, value: Any) -> str:
    writer = getattr(each, "to_text", None)
    return str(value) if writer is None else writer(value)


def _validators(each: marshmallow.fields.Field | None) -> Iterable[Any]:
    return getattr(each, "validators", ()) if each is not None else ()


def _kind(each: marshmallow.fields.Field | None) -> str:
    if isinstance(each, fields.Password):
        return "password"
    if isinstance(each, marshmallow.fields.Boolean):
        return "checkbox"
    if isinstance(each, marshmallow.fields.List):
        return "checkboxes"
    if _options(each):
        return "select"
    if isinstance(each, marshmallow.fields.Date):
        return "date"
    if isinstance(each, marshmallow.fields.Time):
        return "time"
    if isinstance(each, marshmallow.fields.Email):
        return "email"
    if isinstance(each, fields.Grams | marshmallow.fields.Float | marshmallow.fields.Decimal):
        return "decimal"
    if isinstance(each, marshmallow.fields.Integer):
        return "number"
    return "text"


def _options(each: marshmallow.fields.Field | None) -> list[tuple[str, str]]:
    if isinstance(each, marshmallow.fields.List):
        each = each.inner
    for validator in _validators(each):
        if isinstance(validator, validate.OneOf):
            labels = list(validator.labels) or [str(c) for c in validator.choices]
            return [
                (str(code), label) for code, label in zip(validator.choices, labels, strict=False)
            ]
    return []


def _attrs(each: marshmallow.fields.Field | None, *, required: bool) -> dict[str, Any]:
    """HTML attributes the field's own rules imply: the browser then helps before the
    server has to refuse (a 10,000-character paste is cut at the box's length)."""
    attrs: dict[str, Any] = {}
    if each is None:
        return attrs
    if required and each.required:
        attrs["required"] = True
    for validator in _validators(each):
        if isinstance(validator, validate.Length) and validator.max is not None:
            attrs["maxlength"] = validator.max
        # A Grams box takes kilograms: its range in grams is the API's, not the box's.
        whole = isinstance(each, marshmallow.fields.Integer) and not isinstance(each, fields.Grams)
        if isinstance(validator, validate.Range) and whole:
            if validator.min is not None:
                attrs["min"] = validator.min
            if validator.max is not None:
                attrs["max"] = validator.max
    if isinstance(each, fields.Grams):
        attrs["inputmode"] = "decimal"
    elif isinstance(each, marshmallow.fields.Integer):
        attrs["inputmode"] = "numeric"
    return attrs


__all__ = [
    "Control",
    "FieldError",
    "Form",
    "Schema",
    "load_json",
    "load_query",
    "text_to_data",
    "validate_data",
]
