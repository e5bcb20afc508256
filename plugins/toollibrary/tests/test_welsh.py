"""A volunteer whose phone asks for Welsh lends a drill at the counter and takes it back:
every text the catalogues know in English is shown in Welsh, the counter's own messages
are Welsh, and nothing is wider than the 390 px screen (Welsh is often longer)."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from hub.testing import PHONE, browser_login, english_messages

ROOT = Path(__file__).resolve().parents[3]
CATALOGUES = [
    ROOT / "hub/translations/cy/LC_MESSAGES/messages.po",
    *sorted(ROOT.glob("plugins/*/hub_*/translations/cy/LC_MESSAGES/*.po")),
]


ENGLISH = english_messages(CATALOGUES)

# What a person reads on the page (as the browser renders it, attributes included).
VISIBLE = """() => {
  const texts = [];
  for (const el of document.querySelectorAll('[title], [aria-label], [placeholder], [alt]'))
    for (const name of ['title', 'aria-label', 'placeholder', 'alt'])
      if (el.hasAttribute(name)) texts.push(el.getAttribute(name));
  return texts.concat(document.body.innerText.split('\\n'));
}"""

# Anything laid out past the screen's right edge, or text cut inside its own box.
OVERFLOWING = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.offsetParent !== null || el.tagName === 'BODY')
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
    || (el.clientWidth > 0 && getComputedStyle(el).overflowX === 'visible'
        && el.scrollWidth > el.clientWidth + 1 && el.closest('.table-scroll') === null))
  .map(el => el.outerHTML.slice(0, 120))"""


def english_on(page) -> list[str]:
    texts = (" ".join(html.unescape(text).split()) for text in page.evaluate(VISIBLE))
    return [text for text in texts if text in ENGLISH]


def fits(page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], (page.url, width)
    assert not page.evaluate(OVERFLOWING), (page.url, page.evaluate(OVERFLOWING))


def test_the_detector_knows_the_counter_in_english():
    """The checks below would catch the counter in English: its words are in the set."""
    assert {"Check out", "Check in", "Item number", "Counter", "Tool library"} <= ENGLISH


@pytest.mark.browser
def test_a_welsh_check_out_and_in_at_the_counter_on_a_phone(library, browser, live_server):
    drill = library.item(kit_parts=["battery", "charger"], deposit_pence=1000)
    ann = library.member("Ann Jones")
    context = browser.new_context(
        viewport=PHONE, has_touch=True, is_mobile=True, base_url=live_server.url, locale="cy-GB"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        browser_login(page, library.accounts["volunteer"])
        page.goto("/toollibrary/counter")
        assert page.locator("html").get_attribute("lang") == "cy"
        assert page.locator("h1").inner_text() == "Cownter"
        assert not english_on(page), english_on(page)
        fits(page)

        page.fill("#item", drill["number"])
        page.press("#item", "Enter")
        page.wait_for_load_state()
        assert "Ar y silff" in page.locator("#item-h + p").inner_text()
        assert not english_on(page), english_on(page)
        fits(page)

        page.fill("#member_code", ann["code"])
        with page.expect_navigation():
            page.tap("#checkout")
        lent = page.locator(".flash-success").inner_text()
        assert lent.startswith(f"Wedi’i fenthyg: {drill['number']}") and ann["code"] in lent
        assert "Cymerwch flaendal o £10.00." in page.locator(".flash-info").inner_text()
        assert not english_on(page), english_on(page)
        fits(page)

        # Back: the longest form the counter shows (condition, parts, repair, deposit, note).
        page.fill("#item", drill["number"])
        page.press("#item", "Enter")
        page.wait_for_load_state()
        assert f"Ar fenthyg i {ann['code']}" in page.locator("section.match").inner_text()
        assert not english_on(page), english_on(page)
        fits(page)
        page.get_by_label("charger").tap()
        with page.expect_navigation():
            page.tap("#checkin")
        assert "Wedi dod yn ôl:" in page.locator(".flash-success").inner_text()
        assert "tocyn cynnal a chadw" in page.locator(".flash-info").first.inner_text()
        assert not english_on(page), english_on(page)
        fits(page)
    finally:
        context.close()
