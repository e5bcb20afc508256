"""The network's needs list on an aggregator's ``/public``: which towns need what.

A plugin publishes its needs as a metric named ``needed`` with a codelist, counting
events, 1 where the group needs that code (the food bank's low-stock categories). The
list reads each member's latest month, this one or the last, so a town that has not
yet published this month still shows; older needs are stale and left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.federation.models import Origin, Summary
from hub.periods import Period
from hub.web.public_figures import Catalogue

NEEDS = "needed"


@dataclass
class Need:
    service: str
    label: str
    places: list[str] = field(default_factory=list)


def network_needs(session: Session, catalogue: Catalogue, today: dt.date) -> list[Need]:
    """Each code some member needs, with the places that need it, by service."""
    month = Period.month_of(today)
    months = (str(month.previous()), str(month))
    latest: dict[tuple[str, str], tuple[str, dict[str, int | None], str]] = {}
    rows = session.execute(
        select(Summary.origin, Summary.plugin, Summary.period, Summary.metrics, Origin)
        .join(Origin, Origin.origin == Summary.origin)
        .where(Summary.period.in_(months))
        .order_by(Summary.period)
    )
    for origin, plugin, period, metrics, pinned in rows:
        if any(name.startswith(f"{NEEDS}.") for name in metrics):
            latest[(origin, plugin)] = (period, metrics, _place(pinned))
    found: dict[tuple[str, str], Need] = {}
    for (_origin, plugin), (_period, metrics, place) in latest.items():
        for name, value in metrics.items():
            base, _, code = name.partition(".")
            if base != NEEDS or not code or value != 1:
                continue
            need = found.get((plugin, code))
            if need is None:
                need = found[(plugin, code)] = Need(
                    catalogue.service(plugin), _code_label(catalogue, plugin, code)
                )
            need.places.append(place)
    for need in found.values():
        need.places.sort()
    return sorted(found.values(), key=lambda need: (need.service, -len(need.places), need.label))


def _place(origin: Origin) -> str:
    name = origin.town or origin.name or origin.origin
    return f"{name} ({origin.region})" if origin.region else name


def _code_label(catalogue: Catalogue, plugin: str, code: str) -> str:
    declared = catalogue.definitions.get(plugin, {}).get(NEEDS, {})
    codes = declared.get("codes") or {}
    return str(codes.get(code) or code.replace("_", " ").capitalize())
