"""The plugin's own catalogue (translations/cy/LC_MESSAGES/foodbank.po), registered with
hub_translations: its templates find it by their folder, its Python code uses these."""

from __future__ import annotations

from pathlib import Path

from hub import plugin_api as api

TRANSLATIONS = api.Translations(Path(__file__).parent / "translations", "foodbank")
_ = TRANSLATIONS.gettext
ngettext = TRANSLATIONS.ngettext
_l = TRANSLATIONS.lazy_gettext

N_ = api.N_  # marks a label where it is declared; the page translates it
