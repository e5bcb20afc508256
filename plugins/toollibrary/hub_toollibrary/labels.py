"""Printable labels: a QR code that opens the item at the counter, and a Code 128 barcode
of its number for a handheld scanner, both as SVG (segno and python-barcode)."""

from __future__ import annotations

import io

import barcode
import segno
from barcode.writer import SVGWriter


def counter_url(base_url: str, number: str) -> str:
    """What a label's QR code holds: the counter with the item looked up (the counter's
    scanner reads the number out of it; a phone's camera app opens the page)."""
    return f"{base_url.rstrip('/')}/toollibrary/counter?item={number}"


def qr_svg(text: str) -> bytes:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=4, border=2, xmldecl=True)
    return out.getvalue()


def barcode_svg(number: str) -> bytes:
    code = barcode.Code128(number, writer=SVGWriter())
    rendered: bytes = code.render({"module_height": 8.0, "font_size": 8, "text_distance": 3.0})
    return rendered
