"""The plugin's own catalogue (translations/cy/LC_MESSAGES/toollibrary.po), registered with
hub_translations: its templates find it by their folder, its Python code uses these."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hub import plugin_api as api

TRANSLATIONS = api.Translations(Path(__file__).parent / "translations", "toollibrary")
_ = TRANSLATIONS.gettext
ngettext = TRANSLATIONS.ngettext
N_ = api.N_  # marks a label where it is declared; the page translates it


def day(value: dt.date | None, pattern: str = "EEE dd MMM") -> str:
    """A date as the reader writes it ("Thu 03 Dec", "Iau 03 Rhag"); a date not set
    (a hold not yet ready) reads as nothing."""
    return api.format_date(value, pattern) if value is not None else ""
