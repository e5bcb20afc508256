"""The catalogues are complete: every text a person reads in a template is marked for
translation, every marked string is in the catalogue, every message has its Welsh,
and the compiled .mo says what the .po says. For the core and every plugin that ships
a catalogue (hub_translations)."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("template_scan", Path(__file__).with_name("scan.py"))
assert _spec and _spec.loader
scan = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(scan)

# Text that is the same in every language: names of the languages in the switcher
# are written in their own language on purpose.
ALLOWED = frozenset({"English", "Cymraeg"})


@dataclass(frozen=True)
class Catalogue:
    name: str
    config: Path  # babel.cfg
    package: Path
    templates: Path
    po: Path

    @property
    def mo(self) -> Path:
        return self.po.with_suffix(".mo")


def catalogues() -> list[Catalogue]:
    found = [
        Catalogue(
            "core",
            ROOT / "babel.cfg",
            ROOT / "hub",
            ROOT / "hub" / "templates",
            ROOT / "hub/translations/cy/LC_MESSAGES/messages.po",
        )
    ]
    for config in sorted(ROOT.glob("plugins/*/babel.cfg")):
        name = config.parent.name
        package = config.parent / f"hub_{name}"
        found.append(
            Catalogue(
                name,
                config,
                package,
                package / "templates" / name,
                package / f"translations/cy/LC_MESSAGES/{name}.po",
            )
        )
    return found


CATALOGUES = catalogues()


def test_every_plugin_with_translations_has_a_babel_config():
    shipped = {
        path.parents[4].name
        for path in ROOT.glob("plugins/*/hub_*/translations/*/LC_MESSAGES/*.po")
    }
    assert shipped <= {catalogue.name for catalogue in CATALOGUES}
    assert {"core", "foodbank", "repaircafe", "skillshare", "toollibrary"} <= {
        catalogue.name for catalogue in CATALOGUES
    }


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.name)
def test_every_text_in_the_templates_is_marked_for_translation(catalogue):
    unmarked = {
        str(path.relative_to(ROOT)): found
        for path in scan.templates(catalogue.templates)
        if (found := scan.untranslated(path.read_text(encoding="utf-8"), ALLOWED))
    }
    assert not unmarked, f"text not wrapped in _() (or ngettext): {unmarked}"


def _po(catalogue: Catalogue):
    with catalogue.po.open("rb") as handle:
        return read_po(handle)


def _extracted(catalogue: Catalogue) -> set[str]:
    with catalogue.config.open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {
        "_": None,
        "gettext": None,
        "ngettext": (1, 2),
        "lazy_gettext": None,
        "_l": None,
        "N_": None,
    }
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(catalogue.package), method_map, options_map, keywords=keywords
    ):
        if "federation" not in _file.split("/") and "skeleton" not in _file.split("/"):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.name)
def test_every_marked_string_is_in_the_catalogue(catalogue):
    known = {
        message.id[0] if isinstance(message.id, tuple) else message.id for message in _po(catalogue)
    }
    missing = sorted(_extracted(catalogue) - known)
    assert not missing, f"run make translations: {catalogue.po} lacks {missing}"


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.name)
def test_every_message_has_its_welsh(catalogue):
    po = _po(catalogue)
    untranslated = [
        message.id
        for message in po
        if message.id
        and (
            message.fuzzy
            or not all(message.string if isinstance(message.string, tuple) else [message.string])
        )
    ]
    assert not untranslated, f"{catalogue.po} has no Welsh for {untranslated}"
    assert len(po) > 0


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.name)
def test_the_compiled_catalogue_is_the_po_file(catalogue):
    def key(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    with catalogue.mo.open("rb") as handle:
        compiled = {key(m.id): key(m.string) for m in read_mo(handle) if m.id}
    source = {key(m.id): key(m.string) for m in _po(catalogue) if m.id}
    assert compiled == source, f"run make translations: {catalogue.mo} is out of date"
