"""The admin import page: what it refuses, what it keeps on disk and for how long."""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import time
from pathlib import Path

import pytest

from hub import plugin_api as api
from hub.testing import create_account, csrf_token, login


class Roster:
    """A plugin importing a volunteers' rota (day, name), and a format that always breaks."""

    @api.hookimpl
    def hub_importers(self):
        def read_rota(session, stream, options, progress):
            report = api.ImportReport(dry_run=bool(options.get("dry_run")))
            day_column = options.get("map.day", "day")
            for number, row in enumerate(csv.DictReader(stream), start=1):
                if row.get(day_column, "").strip():
                    report.created += 1
                else:
                    report.problem(number, "the day is empty", "day")
            return report

        def read_broken(session, stream, options, progress):
            raise OSError("disk full")

        return [
            api.Importer("rota-csv", "Volunteers' rota: day, name", read_rota, fields=("day",)),
            api.Importer("broken-csv", "Never works", read_broken),
        ]


@pytest.fixture
def roster_app(make_app):
    return make_app(name="imports", plugins=["roster"], extra_plugins={"roster": Roster()})


def _client(app, role):
    client = app.test_client()
    login(client, create_account(app, role))
    return client


def _upload(client, text, format_name="rota-csv", encoding="utf-8"):
    token = csrf_token(client.get("/admin/").text)
    data = {
        "csrf_token": token,
        "format": format_name,
        "file": (io.BytesIO(text.encode(encoding)), "rota.csv"),
    }
    return client.post("/admin/imports/check", data=data, content_type="multipart/form-data")


def _hidden(html):
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def _uploads(app):
    return sorted((Path(app.instance_path) / "uploads").glob("*.csv"))


def test_only_admins_import(roster_app):
    coordinator = _client(roster_app, "coordinator")
    assert coordinator.get("/admin/imports/").status_code == 403
    assert _upload(coordinator, "day,name\nMon,Ann\n").status_code == 403
    assert not _uploads(roster_app)
    admin = _client(roster_app, "admin")
    assert 'href="/admin/imports/"' in admin.get("/admin/").text


def test_an_upload_waits_readable_by_the_hub_alone_and_can_be_cancelled(roster_app):
    admin = _client(roster_app, "admin")
    checked = _upload(admin, "When,name\nMon,Ann\n,Bob\n")
    assert checked.status_code == 200
    assert "Would import: 0 new, 0 updated, 0 unchanged, 2 rows not taken" in checked.text
    [waiting] = _uploads(roster_app)
    assert stat.S_IMODE(waiting.stat().st_mode) == 0o600
    assert stat.S_IMODE(waiting.parent.stat().st_mode) == 0o700
    mapped = admin.post("/admin/imports/check", data={**_hidden(checked.text), "map.day": "When"})
    assert "Would import: 1 new, 0 updated, 0 unchanged, 1 row not taken" in mapped.text
    assert "the day is empty" in mapped.text

    # Another admin cannot use someone else's upload, even knowing its token.
    someone = roster_app.test_client()
    login(someone, create_account(roster_app, "admin", "second-admin@example.org"))
    theirs = someone.post(
        "/admin/imports/run",
        data={**_hidden(checked.text), "csrf_token": csrf_token(someone.get("/admin/").text)},
    )
    assert theirs.status_code == 400 and "expired or was already imported" in theirs.text

    cancelled = admin.post("/admin/imports/cancel", data=_hidden(checked.text))
    assert cancelled.status_code == 302
    assert not _uploads(roster_app)


def test_uploads_are_deleted_after_an_hour(roster_app):
    admin = _client(roster_app, "admin")
    checked = _upload(admin, "day,name\nMon,Ann\n")
    [waiting] = _uploads(roster_app)
    hour_ago = time.time() - 3601
    os.utime(waiting, (hour_ago, hour_ago))
    late = admin.post("/admin/imports/run", data=_hidden(checked.text))
    assert late.status_code == 400 and "expired" in late.text
    assert not _uploads(roster_app)


def test_an_abandoned_upload_goes_after_its_hour_without_anyone_on_the_imports_page(
    roster_app, monkeypatch
):
    from hub.web import imports

    admin = _client(roster_app, "admin")
    _upload(admin, "day,name\nMon,Ann\n")
    _upload(admin, "day,name\nTue,Bob\n")
    first, second = _uploads(roster_app)
    hour_ago = time.time() - 3601
    os.utime(first, (hour_ago, hour_ago))
    monkeypatch.setitem(imports._last_sweep, "at", 0.0)
    assert roster_app.test_client().get("/login").status_code == 200  # any page will do
    assert _uploads(roster_app) == [second]


def test_hub_retention_deletes_abandoned_uploads(app, runner):
    folder = Path(app.instance_path) / "uploads"
    folder.mkdir(mode=0o700)
    old, recent = folder / "1-old.csv", folder / "1-recent.csv"
    for path in (old, recent):
        path.write_text("name\nAnn\n")
    hour_ago = time.time() - 3601
    os.utime(old, (hour_ago, hour_ago))
    result = runner.invoke("retention")
    assert result.exit_code == 0, result.output
    assert "Deleted: abandoned uploads 1, form tokens 0" in result.output
    assert sorted(folder.iterdir()) == [recent]


def test_bad_files_and_forms_are_explained_not_500s(roster_app):
    admin = _client(roster_app, "admin")
    token = csrf_token(admin.get("/admin/").text)
    empty = admin.post("/admin/imports/check", data={"csrf_token": token, "format": "rota-csv"})
    assert empty.status_code == 400 and "Choose a file to import." in empty.text
    unknown = admin.post("/admin/imports/check", data={"csrf_token": token, "format": "nope"})
    assert unknown.status_code == 404
    forged = admin.post(
        "/admin/imports/run", data={"csrf_token": token, "format": "rota-csv", "token": "../x"}
    )
    assert forged.status_code == 400

    latin1 = _upload(admin, "day,name\nMon,Zoë\n", encoding="latin-1")
    assert latin1.status_code == 400
    assert "not UTF-8 text" in latin1.text and "CSV UTF-8" in latin1.text
    assert not _uploads(roster_app)

    # A quote never closed swallows the rest of the file into one field, past csv's limit.
    unclosed = _upload(admin, 'day,name\nMon,"Ann\n' + "Tue,Bob\n" * 20_000)
    assert unclosed.status_code == 400 and "not readable as CSV" in unclosed.text
    assert not _uploads(roster_app)

    checked = _upload(admin, "day,name\nMon,Ann\n")
    options = admin.post("/admin/imports/check", data={**_hidden(checked.text), "options": "x"})
    assert options.status_code == 400 and "Options: &#39;x&#39;: use KEY=VALUE" in options.text

    broken = _upload(admin, "day\nMon\n", format_name="broken-csv")
    assert broken.status_code == 500
    assert "The broken-csv import failed; the error is on the plugins page." in broken.text
    plugins_page = admin.get("/admin/plugins/").text
    assert "import &#39;broken-csv&#39;: OSError: disk full" in plugins_page
