"""Widgets under /embed/: the only pages another site may frame, shown inside a page of
another origin in a real browser; everything else still refuses to be framed."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hub.testing import DESKTOP


@pytest.fixture
def town(places):
    made = places("aberdare", town="Aberdare", region="Wales", plugins=["foodbank"], serve=True)
    made.cli("federation", "publish", "--offline")
    return made


def test_only_widgets_may_be_framed(town):
    client = town.app.test_client()
    for path in ("/embed/impact", "/embed/chart/foodbank/grams_distributed"):
        widget = client.get(path)
        assert widget.status_code == 200, path
        assert "frame-ancestors *" in widget.headers["Content-Security-Policy"]
        assert "X-Frame-Options" not in widget.headers
    for path in ("/embed/", "/public", "/public/report", "/login"):
        page = client.get(path)
        assert page.headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"], path
    chart = client.get("/embed/chart/foodbank/grams_distributed").text
    assert "Food bank: Food given out (kg)" in chart and "class='partial'" in chart
    assert client.get("/embed/chart/foodbank/no_such_figure").status_code == 404
    assert client.get("/embed/chart/nothing/parcels").status_code == 404
    snippets = client.get("/embed/").text
    assert f'&lt;iframe src="{town.url}/embed/impact"' in snippets
    assert f"{town.url}/embed/chart/foodbank/grams_distributed" in snippets


@pytest.fixture
def other_site(town):
    """A group's own website on another loopback port, with the widget in a page."""
    page = (
        "<!doctype html><title>Aberdare Food Bank</title><h1>Our food bank</h1>"
        f'<iframe src="{town.url}/embed/impact" width="320" height="220"></iframe>'
        f'<iframe src="{town.url}/public" width="320" height="220"></iframe>'
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *_args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.mark.browser
def test_a_widget_renders_inside_a_page_of_another_origin(browser, town, other_site):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(other_site + "/")
    widget = page.frame_locator("iframe").first
    assert widget.get_by_role("heading", level=1).inner_text().startswith("Aberdare, ")
    assert widget.get_by_text("Food given out").is_visible()
    assert widget.get_by_role("link", name="all figures").get_attribute("target") == "_blank"
    # The public page itself refuses to be framed: the browser leaves its frame empty.
    _main, framed_widget, framed_public = page.frames
    assert "/embed/impact" in framed_widget.url
    assert "What Aberdare does" not in framed_public.content()
    context.close()
