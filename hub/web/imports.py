"""Admin: import the spreadsheets a group already keeps, checked before anything is stored.

Upload a file, read the dry run's report row by row, map the sheet's columns
onto the format's fields, check again, then import. The upload waits in the
instance folder between those steps (readable by the hub alone, under the
uploader's id) and is deleted once imported or cancelled, or after an hour:
these sheets hold people's details.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import FileStorage

from hub import auth
from hub.db import get_session
from hub.exchange import Importer, ImportFileError, ImportReport, parse_options, run_import
from hub.web.dashboard import plugin_manager

bp = Blueprint("imports", __name__, url_prefix="/admin/imports")

PERMISSION = "imports.run"
KEPT_SECONDS = 3600
SWEEP_EVERY_SECONDS = 300
UPLOADS = "uploads"
SHOWN_PROBLEMS = 200
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")


def offered() -> dict[str, tuple[str, Importer]]:
    """Each enabled plugin's import formats by name, with the plugin offering it."""
    return plugin_manager().formats("hub_importers", Importer)


# --- uploads waiting between the check and the import ------------------------------


def _folder() -> Path:
    folder = Path(current_app.instance_path) / UPLOADS
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def forget_old_uploads(folder: Path) -> int:
    """Delete uploads left waiting longer than their hour; returns how many."""
    cutoff = time.time() - KEPT_SECONDS
    forgotten = 0
    for path in folder.glob("*.csv"):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < cutoff:
                path.unlink()
                forgotten += 1
    return forgotten


_last_sweep = {"at": 0.0}


@bp.before_app_request
def _sweep_now_and_then() -> None:
    # Abandoned uploads (a check never followed by an import) go within minutes of
    # their hour whenever the server is in use, not only when the imports page is.
    now = time.monotonic()
    if now - _last_sweep["at"] >= SWEEP_EVERY_SECONDS:
        _last_sweep["at"] = now
        folder = Path(current_app.instance_path) / UPLOADS
        if folder.is_dir():
            forget_old_uploads(folder)


def _upload_path(token: str) -> Path:
    """The waiting upload ``token`` names, only the signed-in user's own."""
    if not _TOKEN.fullmatch(token):
        abort(400)
    folder = _folder()
    forget_old_uploads(folder)
    user = auth.current_user()
    assert user is not None  # the imports pages need a signed-in admin
    return folder / f"{user.id}-{token}.csv"


def _keep(upload: FileStorage) -> str:
    token = secrets.token_urlsafe(16)
    path = _upload_path(token)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        upload.save(stream)
    return token


def _headers(path: Path) -> list[str]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as stream:
            return [header.strip() for header in next(csv.reader(stream), [])]
    except UnicodeDecodeError:  # reported when the import reads it
        return []


# --- pages ---------------------------------------------------------------------------


@bp.get("/")
@auth.require_permission(PERMISSION)
def index() -> str:
    return render_template("hub/admin/imports.html", formats=sorted(offered().items()))


def _importer(format_name: str) -> Importer:
    found = offered().get(format_name)
    if found is None:
        abort(404)
    return found[1]


def _form_options(importer: Importer) -> dict[str, str]:
    """The mapping chosen column by column, then the other options, a line each."""
    options = {
        f"map.{field}": request.form[f"map.{field}"]
        for field in importer.fields
        if request.form.get(f"map.{field}")
    }
    lines = [line for line in request.form.get("options", "").splitlines() if line.strip()]
    return {**options, **parse_options(lines)}


def _index_with_error(message: str, status: int = 400) -> tuple[str, int]:
    formats = sorted(offered().items())
    return render_template("hub/admin/imports.html", formats=formats, error=message), status


@bp.post("/check")
@auth.require_permission(PERMISSION)
def check() -> Any:
    """Check a new upload, or check a waiting one again with other options: nothing is stored."""
    importer = _importer(request.form.get("format", ""))
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        token = _keep(upload)
    elif request.form.get("token"):
        token = request.form["token"]
    else:
        return _index_with_error("Choose a file to import.")
    return _run(importer, token, dry_run=True)


@bp.post("/run")
@auth.require_permission(PERMISSION)
def run() -> Any:
    importer = _importer(request.form.get("format", ""))
    return _run(importer, request.form.get("token", ""), dry_run=False)


@bp.post("/cancel")
@auth.require_permission(PERMISSION)
def cancel() -> Any:
    _upload_path(request.form.get("token", "")).unlink(missing_ok=True)
    flash("The upload was deleted; nothing was imported.", "info")
    return redirect(url_for("imports.index"))


def _run(importer: Importer, token: str, *, dry_run: bool) -> Any:
    path = _upload_path(token)
    if not path.exists():
        return _index_with_error(
            "That upload has expired or was already imported: upload it again."
        )
    try:
        options = _form_options(importer)
    except ValueError as exc:
        return _report(importer, token, path, None, dry_run, f"Options: {exc}")
    session = get_session()
    try:
        report = run_import(session, importer, path, options, dry_run=dry_run)
    except ImportFileError as exc:
        path.unlink(missing_ok=True)
        return _index_with_error(f"Nothing was imported: {exc}.")
    except Exception as exc:  # a plugin's bug: reported on the plugins page, not a 500
        session.rollback()
        path.unlink(missing_ok=True)
        plugin = offered()[importer.format][0]
        plugin_manager().note_hook_error(plugin, f"import {importer.format!r}", exc)
        return _index_with_error(
            f"The {importer.format} import failed; the error is on the plugins page.", 500
        )
    if not dry_run:
        path.unlink(missing_ok=True)
    return _report(importer, token, path, report, dry_run)


def _report(
    importer: Importer,
    token: str,
    path: Path,
    report: ImportReport | None,
    dry_run: bool,
    error: str | None = None,
) -> tuple[str, int]:
    page = render_template(
        "hub/admin/import_report.html",
        importer=importer,
        token=token,
        report=report,
        dry_run=dry_run,
        error=error,
        headers=_headers(path) if dry_run and importer.fields else [],
        chosen={key: value for key, value in request.form.items() if key.startswith("map.")},
        options=request.form.get("options", ""),
        shown=SHOWN_PROBLEMS,
    )
    return page, 400 if error else 200
