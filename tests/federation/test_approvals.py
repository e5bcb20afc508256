"""Approval before publication (``PUBLISH_REQUIRES_APPROVAL``): only figures exactly as a
coordinator approved them are published; a correction after approval waits for a new
approval while what was published stands; every approval is audited."""

from __future__ import annotations

import json

from sqlalchemy import select

from hub import approvals, create_app
from hub.db import database, get_session
from hub.models import AuditEntry
from hub.testing import create_account, csrf_token, login

MAY = {"date": "2025-05-03", "repairs": 12, "fixed": 7, "waste_prevented_g": 8_400, "visitors": 19}
JUNE = {
    "date": "2025-06-07",
    "repairs": 15,
    "fixed": 11,
    "waste_prevented_g": 10_250,
    "visitors": 24,
}


def _own(town):
    app = create_app(instance_path=town.path)
    try:
        return app.test_client().get("/public/summaries.json").json["summaries"]
    finally:
        database(app).engine.dispose()


def test_only_approved_figures_are_published_and_a_correction_waits(network):
    town = network.hub("town", PUBLISH_REQUIRES_APPROVAL=True)
    town.days([MAY, JUNE])
    result = town.cli("federation", "publish", "--offline")
    assert "Published: 0 new" in result.stdout and "await approval" in result.stdout
    assert _own(town) == []

    app = create_app(instance_path=town.path)
    try:
        coordinator = create_account(app, "coordinator")
        waiting = json.loads(town.cli("approvals", "list", "--json").stdout)
        assert {(r["period"], r["state"]) for r in waiting} >= {
            ("2025-05", "awaiting"),
            ("2025-06", "awaiting"),
        }
        town.cli("approvals", "approve", "testmetrics", "2025-05", "--by", coordinator.email)
        town.cli("federation", "publish", "--offline")
        assert {s["period"]: s["revision"] for s in _own(town)} == {"2025-05": 1}

        # A late record for May: the new figures wait, the approved ones stand.
        town.days([MAY, {**MAY, "date": "2025-05-24", "repairs": 3}, JUNE])
        town.cli("federation", "publish", "--offline")
        (may,) = [s for s in _own(town) if s["period"] == "2025-05"]
        assert may["revision"] == 1 and may["metrics"]["repairs"] == 12
        listed = town.cli("approvals", "list").stdout
        assert (
            "testmetrics 2025-05: corrected (changed: fixed, repairs, visitors, waste_prevented_g)"
            in listed
        )

        # The page shows the change beside what was approved; approving publishes revision 2.
        client = app.test_client()
        login(client, coordinator)
        page = client.get("/approvals/").get_data(as_text=True)
        assert "Testmetrics, May 2025" in page and "changed since it was approved" in page
        with app.app_context():
            review = next(r for r in approvals.reviews(app, get_session()) if r.period == "2025-05")
        form = {"plugin": "testmetrics", "period": "2025-05", "csrf_token": csrf_token(page)}
        stale = client.post("/approvals/approve", data={**form, "digest": "0" * 64})
        assert stale.status_code == 303
        assert "changed while you reviewed them" in client.get("/approvals/").get_data(as_text=True)
        done = client.post("/approvals/approve", data={**form, "digest": review.digest})
        assert done.status_code == 303
        town.cli("federation", "publish", "--offline")
        (may,) = [s for s in _own(town) if s["period"] == "2025-05"]
        assert may["revision"] == 2 and may["metrics"]["repairs"] == 15

        with app.app_context():
            entries = (
                get_session()
                .scalars(select(AuditEntry).where(AuditEntry.entity == "figure_approval"))
                .all()
            )
        assert [e.action for e in entries] == ["create", "create"]
        assert f"{coordinator.email} (cli)" in {e.actor for e in entries}  # and the page's
        assert all(e.user_id == coordinator.id for e in entries)

        viewer = app.test_client()
        login(viewer, create_account(app, "viewer"))
        assert viewer.get("/approvals/").status_code == 403
        refused = town.cli(
            "approvals", "approve", "testmetrics", "2025-06", "--by", "viewer@example.org", ok=False
        )
        assert refused.exit_code == 1 and "may approve figures" in refused.output
        nothing = town.cli(
            "approvals", "approve", "testmetrics", "2031-01", "--by", coordinator.email, ok=False
        )
        assert "has no figures for 2031-01" in nothing.output
    finally:
        database(app).engine.dispose()


def test_without_the_setting_figures_are_published_as_before(network):
    town = network.hub("town")
    town.days([MAY])
    assert "await approval" not in town.cli("federation", "publish", "--offline").stdout
    assert {s["period"] for s in _own(town)} >= {"2025-05"}
