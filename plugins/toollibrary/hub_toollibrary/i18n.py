"""The plugin's own catalogue (translations/cy/LC_MESSAGES/toollibrary.po), registered with
hub_translations: its templates find it by their folder, its Python code uses these."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from babel import dates as babel_dates
from flask import has_request_context

from hub import plugin_api as api

TRANSLATIONS = api.Translations(Path(__file__).parent / "translations", "toollibrary")


# Outside a request (the reminders a scheduled command sends) there is no reader to ask
# for a language, and Flask-Babel's locale lookup would need one: the hub's English.
def _(string: str, **variables: Any) -> str:
    if has_request_context():
        return TRANSLATIONS.gettext(string, **variables)
    return string % variables if variables else string


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    if has_request_context():
        return TRANSLATIONS.ngettext(singular, plural, num, **variables)
    return (singular if num == 1 else plural) % {"num": num, **variables}


N_ = api.N_  # marks a label where it is declared; the page translates it


def day(value: dt.date | None, pattern: str = "EEE dd MMM") -> str:
    """A date as the reader writes it ("Thu 03 Dec", "Iau 03 Rhag"); outside a request, in
    English (as ``_``). A date not set (a hold not yet ready) reads as nothing."""
    if value is None:
        return ""
    if has_request_context():
        return str(api.format_date(value, pattern))
    return babel_dates.format_date(value, pattern, locale="en_GB")
