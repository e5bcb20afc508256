"""The fridge's dashboard panel: this week."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_fridge import metrics


def this_week(session: Session, today: dt.date) -> api.Panel:
    week = metrics.this_week(session, today)
    return api.Panel("The fridge this week", "fridge/panel.html", {"week": week}, "fridge.view")
