"""Languages: which one a reader gets, and the catalogues that translate into it.

The language of a request is the signed-in user's own setting, else the one
chosen with the switcher (a cookie, so it works before signing in), else the
best match for the browser's ``Accept-Language``, else the instance's
``DEFAULT_LANGUAGE``. English is the source language: its strings are the
msgids, so it has no catalogue of its own.

The core's catalogue is the gettext domain ``messages`` in ``hub/translations``.
Each plugin may ship its own (``hub_translations``): a template under the
plugin's folder (``foodbank/...``) looks a string up in the plugin's domain
first, then in the core's, so a plugin page that extends ``hub/base.html`` gets
both. Federation documents never pass through here: they carry codes, and each
reader's hub labels them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel, Domain, format_number, get_locale
from jinja2 import pass_context
from jinja2.runtime import Context

# The languages this hub speaks: code (as Babel and the catalogues spell it),
# and the name a reader of that language knows it by.
LANGUAGES: dict[str, str] = {"en_GB": "English", "cy": "Cymraeg"}
DEFAULT_LANGUAGE = "en_GB"
COOKIE = "hub_language"
COOKIE_DAYS = 365
CORE_TRANSLATIONS = Path(__file__).parent / "translations"
CORE_DOMAIN = Domain(translation_directories=[str(CORE_TRANSLATIONS)], domain="messages")


@dataclass(frozen=True)
class Translations:
    """A plugin's catalogues: the folder holding ``<locale>/LC_MESSAGES/<domain>.mo``
    and the gettext domain (the plugin's name, by convention).

    Its methods translate into the current request's language, for a plugin's
    Python code (flash messages, labels, panel titles); its templates need
    nothing but ``_()``, since the plugin's domain is found from the template's
    folder. Outside a request (a scheduled command's emails) there is no reader
    to ask, and the text is the English it was written in.
    """

    directory: Path
    domain: str

    @property
    def _domain(self) -> Domain:
        return _domains.setdefault((str(self.directory), self.domain), _new_domain(self))

    def gettext(self, string: str, **variables: Any) -> str:
        if not has_request_context():
            return string % variables if variables else string
        return _translate(self._domain, string, variables)

    def ngettext(self, singular: str, plural: str, num: int, **variables: Any) -> str:
        if not has_request_context():
            return (singular if num == 1 else plural) % {"num": num, **variables}
        return str(self._domain.ngettext(singular, plural, num, **variables))

    def lazy_gettext(self, string: str, **variables: Any) -> Any:
        """A string translated each time it is shown: for module-level constants."""
        return self._domain.lazy_gettext(string, **variables)


_domains: dict[tuple[str, str], Domain] = {}


def _new_domain(translations: Translations) -> Domain:
    return Domain(translation_directories=[str(translations.directory)], domain=translations.domain)


def _translate(domain: Domain | list[Domain], string: str, variables: dict[str, Any]) -> str:
    """``string`` from the first of ``domain`` (a domain or a chain) that translates it,
    else the core's catalogue, else itself."""
    chain = domain if isinstance(domain, list) else [domain]
    for each in [*chain, CORE_DOMAIN]:
        text = each.get_translations().ugettext(string)
        if text != string:
            break
    return text % variables if variables else text


def gettext(string: str, **variables: Any) -> str:
    """``string`` in the current language, from the core's catalogue."""
    return _translate(CORE_DOMAIN, string, variables)


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    return str(CORE_DOMAIN.ngettext(singular, plural, num, **variables))


def lazy_gettext(string: str, **variables: Any) -> Any:
    return CORE_DOMAIN.lazy_gettext(string, **variables)


_ = gettext


def N_(text: str) -> str:  # the name extraction tools look for
    """Mark a label for the catalogue where it is declared (a codelist, a metric); the
    page that shows it translates it then, so stored and published codes never change."""
    return text


# What people read for each role (the codes stay in the database and the API).
ROLE_NAMES = {
    "admin": lazy_gettext("admin"),
    "coordinator": lazy_gettext("coordinator"),
    "volunteer": lazy_gettext("volunteer"),
    "viewer": lazy_gettext("viewer"),
}

# The current language's formats: "2 Rhagfyr 2026", "1,234" (re-exported for plugins).
__all__ = [
    "N_",
    "Translations",
    "format_date",
    "format_number",
    "gettext",
    "lazy_gettext",
    "ngettext",
]


def init_app(app: Flask, plugin_translations: list[tuple[str, Translations]]) -> None:
    """Choose each request's language, and give templates ``_``/``gettext``/``ngettext``
    that look in the catalogue of the plugin whose template is rendering."""
    default = app.config["DEFAULT_LANGUAGE"]
    babel = Babel(configure_jinja=True)
    babel.init_app(
        app,
        default_locale=default,
        default_translation_directories=str(CORE_TRANSLATIONS),
        locale_selector=select_language,
    )
    app.extensions["hub.translations"] = {
        plugin: translations._domain for plugin, translations in plugin_translations
    }
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_template_gettext,
        ngettext=_template_ngettext,
        newstyle=True,
    )
    app.context_processor(_template_context)


def plugin_gettext(plugin: str, string: str, **variables: Any) -> str:
    """``string`` from ``plugin``'s catalogue, else the core's: a label a plugin declared
    (a metric's, its service's) shown in the reader's language, though published in
    English. Outside a request it is ``string`` itself."""
    if not has_request_context():
        return string % variables if variables else string
    domain = current_app.extensions["hub.translations"].get(plugin)
    return _translate([domain] if domain else [], string, variables)


def current_locale() -> Locale:
    """The current request's language, or the default one outside a request."""
    return (get_locale() if has_request_context() else None) or Locale.parse(DEFAULT_LANGUAGE)


def format_date(day: Any, pattern: str = "medium") -> str:
    """A date as the reader writes it ("Thu 03 Dec", "Iau 03 Rhag" for ``EEE dd MMM``);
    outside a request, in the default language."""
    return babel_dates.format_date(day, pattern, locale=current_locale())


def month_year(day: Any, width: str = "MMM y") -> str:
    """A month as the reader writes it: "Dec 2026", "Rhag 2026"."""
    return babel_dates.format_date(day, width, locale=current_locale())


def decimal(number: float, pattern: str = "#,##0") -> str:
    """A figure as the reader writes it (digits grouped, the reader's decimal sign)."""
    return babel_numbers.format_decimal(number, pattern, locale=current_locale())


def _template_context() -> dict[str, Any]:
    return {
        "languages": LANGUAGES,
        "language": select_language(),
        "html_lang": html_lang(),
        "role_names": ROLE_NAMES,
    }


def _template_domains(context: Context) -> list[Domain]:
    """The catalogues a template's strings are looked up in: the plugin whose folder the
    template is in (``foodbank/...``), then the plugin whose page this is (its URL
    segment, ``/foodbank/...``: a core macro such as a form field showing the plugin's
    labels), then the core's."""
    plugins = current_app.extensions["hub.translations"]
    folder = (context.name or "").partition("/")[0]
    segment = request.path.split("/")[1] if has_request_context() else ""
    return [plugins[name] for name in dict.fromkeys((folder, segment)) if name in plugins]


@pass_context
def _template_gettext(context: Context, string: str) -> str:
    return _translate(_template_domains(context), string, {})


@pass_context
def _template_ngettext(context: Context, singular: str, plural: str, num: int) -> str:
    for domain in [*_template_domains(context), CORE_DOMAIN]:
        text = domain.get_translations().ungettext(singular, plural, num)
        if text not in (singular, plural):
            return str(text)
    return singular if num == 1 else plural


def select_language() -> str:
    """The code of the current request's language (see the module's docstring)."""
    if "hub_language" not in g:
        g.hub_language = _choose()
    return str(g.hub_language)


def _choose() -> str:
    from hub import auth

    user = auth.current_user()
    chosen = user.language if user is not None else None
    chosen = chosen or request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    # Babel's matching: "cy-GB" finds cy, "en-US" finds en_GB, "fr" finds nothing.
    matched = request.accept_languages.best_match(
        [code.replace("_", "-") for code in LANGUAGES] + ["en"]
    )
    if matched == "en":
        return "en_GB"
    if matched:
        return matched.replace("-", "_")
    return str(current_app.config["DEFAULT_LANGUAGE"])


def html_lang() -> str:
    """The current language as HTML's ``lang`` wants it (BCP 47: ``en-GB``, ``cy``)."""
    locale = get_locale() or Locale.parse(DEFAULT_LANGUAGE)
    return str(locale).replace("_", "-")


def check_language(value: str) -> list[str]:
    """Configuration check for ``DEFAULT_LANGUAGE``."""
    if value not in LANGUAGES:
        return [f"DEFAULT_LANGUAGE: {value!r} is not one of {', '.join(LANGUAGES)}"]
    return []
