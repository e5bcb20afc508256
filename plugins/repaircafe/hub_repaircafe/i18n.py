"""The plugin's own catalogue (translations/cy/LC_MESSAGES/repaircafe.po), registered with
hub_translations: its templates find it by their folder, its Python code uses these."""

from __future__ import annotations

from pathlib import Path

from hub import plugin_api as api

TRANSLATIONS = api.Translations(Path(__file__).parent / "translations", "repaircafe")
_ = TRANSLATIONS.gettext
ngettext = TRANSLATIONS.ngettext
_l = TRANSLATIONS.lazy_gettext


def N_(text: str) -> str:
    """Mark a label for the catalogue where it is declared (a codelist); the page
    that shows it translates it then, so stored and published codes never change."""
    return text
