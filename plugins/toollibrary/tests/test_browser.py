"""A volunteer at the counter on a phone (390x844): scan or type the item, then a tap or
two to lend it; a tap to take it back; a form sent twice lends once."""

from __future__ import annotations

import pytest

from hub.testing import browser_login

# A stand-in for the phone's camera and the browser's barcode detection: the camera
# shows a canvas, and the detector reads a label's QR code (the counter's URL) off it.
FAKE_SCANNER = """
window.BarcodeDetector = class {
  constructor(options) { this.formats = options.formats; }
  detect() { return Promise.resolve([{ rawValue: "https://hub.example.org/toollibrary/counter?item=%s" }]); }
};
navigator.mediaDevices.getUserMedia = function () {
  var canvas = document.createElement("canvas");
  canvas.width = 64; canvas.height = 64;
  canvas.getContext("2d").fillRect(0, 0, 64, 64);
  return Promise.resolve(canvas.captureStream(5));
};
"""


RESEND = """sent => {
  const form = document.createElement("form");
  form.method = "post";
  form.action = "/toollibrary/counter/checkout";
  for (const [name, value] of Object.entries(sent)) {
    const input = document.createElement("input");
    input.type = "hidden"; input.name = name; input.value = value;
    form.appendChild(input);
  }
  document.body.appendChild(form);
  form.submit();
}"""


class Taps:
    """Taps the screen like a thumb does, and counts them."""

    def __init__(self, page) -> None:
        self.page = page
        self.count = 0

    def __call__(self, selector: str) -> None:
        self.count += 1
        self.page.tap(selector)
        self.page.wait_for_load_state()


@pytest.mark.browser
def test_check_out_and_back_in_from_a_phone(library, phone_page):
    drill = library.item(kit_parts=["battery", "charger"])
    ann = library.member("Ann Jones")
    page = phone_page
    browser_login(page, library.accounts["volunteer"])
    page.goto("/toollibrary/counter")
    # The scan button is there only where the browser can detect barcodes; typing always is.
    detects = page.evaluate("'BarcodeDetector' in window && !!navigator.mediaDevices")
    assert page.locator("#scan").is_visible() == detects

    # Typed off the label (or read by a handheld scanner, which types and presses Enter).
    page.fill("#item", drill["number"].lower())
    page.press("#item", "Enter")
    page.wait_for_load_state()
    assert drill["number"] in page.locator("#item-h").inner_text()
    page.fill("#member_code", ann["code"])
    sent = page.evaluate(
        "Object.fromEntries(new FormData(document.getElementById('checkout-form')))"
    )
    tap = Taps(page)
    tap("#checkout")
    assert tap.count == 1
    assert f"Lent: {drill['number']}" in page.locator(".flash-success").inner_text()

    # The reply was lost and the phone sends the form again (or a second tap got through):
    # the form's one-time token finds the loan already made.
    with page.expect_navigation():
        page.evaluate(RESEND, sent)
    assert "Already lent" in page.locator(".flash-success").inner_text()
    assert library.ok("GET", f"/loans?item_id={drill['id']}")["total"] == 1

    # Back at the counter: the item, then one tap (a part missing: two).
    page.fill("#item", drill["number"])
    page.press("#item", "Enter")
    page.wait_for_load_state()
    back = Taps(page)
    back("label:has-text('charger')")
    back("#checkin")
    assert back.count == 2
    assert "Checked in" in page.locator(".flash-success").inner_text()
    assert "Maintenance ticket" in page.locator(".flash-info").first.inner_text()
    (loan,) = library.ok("GET", f"/loans?item_id={drill['id']}")["items"]
    assert loan["returned_on"] is not None and loan["missing_parts"] == ["charger"]


@pytest.mark.browser
def test_the_camera_scans_a_label_and_a_member_is_found_by_name(library, phone_page):
    saw = library.item("Tenon saw", "hand_saws")
    ann = library.member("Ann Jones")
    page = phone_page
    page.add_init_script(FAKE_SCANNER % saw["number"])
    browser_login(page, library.accounts["volunteer"])
    page.goto("/toollibrary/counter")

    tap = Taps(page)
    tap("#scan")  # the camera opens and reads the label: the item comes up by itself
    page.wait_for_selector("#item-h")
    assert saw["number"] in page.locator("#item-h").inner_text()
    page.fill("#member_code", "ann jo")  # her card left at home: her name
    tap("#checkout")
    tap(f"button[value='{ann['code']}']")
    assert tap.count == 3
    assert f"to {ann['code']}" in page.locator(".flash-success").inner_text()
