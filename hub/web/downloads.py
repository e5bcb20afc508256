"""Files the pages hand over: a subject-access export as a dated JSON download."""

from __future__ import annotations

import json
from typing import Any

from flask import Response

from hub import clock


def json_download(data: dict[str, Any], name: str) -> Response:
    """``data`` as a file ``<name>-<today>.json`` to download and hand to the person."""
    body = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    filename = f"{name}-{clock.today().isoformat()}.json"
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
