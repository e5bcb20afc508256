"""Finding text a person reads in a Jinja template that is not marked for translation.

Visible text is what is left once Jinja comments, ``<script>``/``<style>``
bodies, tags and Jinja's own ``{{ }}``/``{% %}`` are taken out, plus the
attributes a person reads or hears (``title``, ``aria-label``, ``placeholder``,
``alt``), plus string literals inside Jinja that read like prose (a capital then
a lower-case letter, or two words) and are not the argument of ``_()``,
``gettext()`` or ``ngettext()``.
"""

from __future__ import annotations

import re
from pathlib import Path

COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
# Scripts, styles and code are not prose: code is the same in every language.
RAW = re.compile(r"<(script|style|code)\b[^>]*>.*?</\1>", re.DOTALL | re.IGNORECASE)
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
TAG = re.compile(r"<[^>]*>", re.DOTALL)
READ_ATTRIBUTES = re.compile(
    r"""\b(title|aria-label|placeholder|alt|data-label)\s*=\s*("[^"]*"|'[^']*')""", re.IGNORECASE
)
ENTITY = re.compile(r"&[a-zA-Z]+;|&#\d+;")
LETTER = re.compile(r"[^\W\d_]")
LITERAL = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")
# A translated call with its literal arguments (ngettext has two).
TRANSLATED = re.compile(
    r"""\b(?:_|gettext|ngettext)\(\s*(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
    r"""(?:\s*,\s*(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'))?"""
)
PROSE = re.compile(r"^[A-Z][a-z]|[^\W\d_]{2,}\s+[^\W\d_]{2,}")
STRFTIME = re.compile(r"%-?[a-zA-Z]")


def _letters(text: str) -> bool:
    return bool(LETTER.search(ENTITY.sub("", text)))


def untranslated(source: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """Each piece of text in the template ``source`` a person would read untranslated."""
    found: list[str] = []
    source = RAW.sub("", COMMENT.sub("", source))
    for block in JINJA.findall(source):
        if block.startswith("{%") and re.match(r"\{%-?\s*(trans|pluralize)\b", block):
            continue
        rest = TRANSLATED.sub("", block)
        for match in LITERAL.finditer(rest):
            text = match[0][1:-1]
            # A literal compared with is a value, not something shown.
            compared = rest[: match.start()].rstrip().endswith(("==", "!=", " in"))
            if PROSE.search(text) and not STRFTIME.search(text) and not compared:
                found.append(text)
    # {% trans %} bodies are marked; what is between them is not.
    source = re.sub(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}", "", source, flags=re.DOTALL)
    plain = JINJA.sub(" ", source)
    for tag in TAG.findall(plain):
        for _name, value in READ_ATTRIBUTES.findall(tag):
            if _letters(value[1:-1]):
                found.append(value[1:-1])
    for text in TAG.sub("\n", plain).split("\n"):
        text = " ".join(text.split())
        if _letters(text):
            found.append(text)
    return [text for text in found if text not in allowed]


def templates(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.html"))
