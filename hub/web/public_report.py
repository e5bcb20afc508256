"""The evidence report: ``/public/report`` (HTML, with print styles) and
``/public/report.pdf`` (the same template through WeasyPrint), for an area and a
range of months, with an appendix tracing every figure to the signed summaries it
adds up; ``/public/report/evidence.json`` holds those summaries, signed, for
``hub federation verify``.

``?from=2025-01&to=2025-12&area=region:Wales``: ``area`` is empty (this instance,
or on an aggregator the whole network), ``region:NAME`` or ``town:NAME``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import clock
from hub.db import get_session
from hub.errors import ApiError
from hub.federation import aggregates
from hub.federation.models import Origin, Summary
from hub.periods import Period, PeriodError
from hub.web.public import download, is_aggregator, own_area
from hub.web.public_figures import Catalogue, Section, Suppression, month_label, sections
from hub.web.public_impact import Area, ImpactSummary, full_months_before, impact_summary

bp = Blueprint("public_report", __name__)

MAX_MONTHS = 36  # three years: longer reports are several reports


@dataclass
class Traced:
    """One signed summary a report's figures add up."""

    origin: str
    name: str
    plugin: str
    service: str
    period: str
    revision: int
    digest: str
    payload: str
    signature: str
    comparison: bool  # from the year before, for the changes only


@dataclass
class Report:
    area: Area
    months: list[Period]
    impact: ImpactSummary | None
    sections: list[Section]
    services: list[dict[str, Any]]
    traced: list[Traced]
    threshold: int
    aggregator: bool
    generated: dt.date

    @property
    def title(self) -> str:
        return f"{self.area.name}: evidence, {month_label(self.months[0])} to {month_label(self.months[-1])}"


def _month(name: str, default: Period) -> Period:
    text = request.args.get(name, "").strip()
    if not text:
        return default
    try:
        period = Period.parse(text)
    except PeriodError as exc:
        raise ApiError(400, "bad report range", {name: str(exc)}) from None
    if period.kind != "month":
        raise ApiError(400, "bad report range", {name: "a report runs over months: use 2025-02"})
    return period


def _months(today: dt.date) -> list[Period]:
    default = full_months_before(today)
    first, last = _month("from", default[0]), _month("to", default[-1])
    if last < first:
        raise ApiError(400, "bad report range", {"to": "the last month is before the first"})
    months = [first]
    while months[-1] < last:
        months.append(months[-1].next())
        if len(months) > MAX_MONTHS:
            raise ApiError(
                400, "bad report range", {"to": f"a report covers at most {MAX_MONTHS} months"}
            )
    return months


def areas(session: Session) -> dict[str, Area]:
    """Every area a report may be for, by its ``area=`` value."""
    if not is_aggregator():
        return {"": own_area()}
    known = aggregates.origins(session)
    found = {"": Area("network", "The whole network", frozenset(known))}
    regions: dict[str, set[str]] = defaultdict(set)
    towns: dict[str, set[str]] = defaultdict(set)
    for origin, info in known.items():
        if info.region:
            regions[info.region].add(origin)
        towns[info.label].add(origin)
    for name, members in regions.items():
        found[f"region:{name}"] = Area("region", name, frozenset(members))
    for name, members in towns.items():
        found[f"town:{name}"] = Area("town", name, frozenset(members))
    return found


def _area(session: Session) -> Area:
    choice = request.args.get("area", "").strip()
    found = areas(session)
    if choice not in found:
        raise ApiError(
            400,
            "unknown area",
            {"area": f"not an area of this hub: use one of {sorted(found) or ['']}"},
        )
    return found[choice]


def build(session: Session) -> Report:
    today = clock.today()
    months, area = _months(today), _area(session)
    catalogue = Catalogue.build(current_app, session)
    earlier = [Period("month", m.start.replace(year=m.start.year - 1)) for m in months]
    wanted = {str(m): False for m in months} | {str(m): True for m in earlier}
    rows = session.scalars(
        select(Summary).where(
            Summary.origin.in_(sorted(area.origins)), Summary.period.in_(list(wanted))
        )
    ).all()
    known = aggregates.origins(session)
    threshold = current_app.config["SUPPRESSION_THRESHOLD"]
    aggregator = area.kind != "instance"
    return Report(
        area=area,
        months=months,
        impact=impact_summary(session, catalogue, today, area=area, months=months),
        sections=sections(
            _totals(rows, known),
            catalogue,
            today,
            Suppression("network" if aggregator else "own", threshold),
            months,
        ),
        services=_services(session, area, rows, catalogue),
        traced=sorted(
            (_traced(row, known, catalogue, wanted[row.period]) for row in rows),
            key=lambda t: (t.comparison, t.name, t.plugin, Period.parse(t.period)),
        ),
        threshold=threshold,
        aggregator=aggregator,
        generated=today,
    )


def _totals(rows: Any, known: dict[str, aggregates.OriginInfo]) -> list[dict[str, Any]]:
    """Each plugin's and month's figures added up over the area, by the network's rule."""
    groups: dict[tuple[str, str], list[aggregates.Cell]] = defaultdict(list)
    for row in rows:
        if row.origin in known:
            info = known[row.origin]
            groups[(row.plugin, row.period)].append(
                aggregates.Cell(row.origin, row.metrics, info.threshold)
            )
    return [
        {
            "plugin": plugin,
            "period": period,
            "origins": len(cells),
            "metrics": {name: t.value for name, t in aggregates.combine(cells).items()},
        }
        for (plugin, period), cells in groups.items()
    ]


def _traced(
    row: Summary, known: dict[str, aggregates.OriginInfo], catalogue: Catalogue, comparison: bool
) -> Traced:
    info = known.get(row.origin)
    return Traced(
        origin=row.origin,
        name=info.label if info else row.origin,
        plugin=row.plugin,
        service=catalogue.service(row.plugin),
        period=row.period,
        revision=row.revision,
        digest=hashlib.sha256(row.payload.encode()).hexdigest(),
        payload=row.payload,
        signature=row.signature,
        comparison=comparison,
    )


def _services(
    session: Session, area: Area, rows: Any, catalogue: Catalogue
) -> list[dict[str, Any]]:
    """The groups behind the figures, and which of their services publish."""
    plugins: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        plugins[row.origin].add(row.plugin)
    found = []
    for origin in session.scalars(
        select(Origin).where(Origin.origin.in_(sorted(plugins))).order_by(Origin.town, Origin.name)
    ):
        found.append(
            {
                "name": origin.name or origin.origin,
                "town": origin.town,
                "region": origin.region,
                "origin": origin.origin,
                "services": sorted(catalogue.service(p) for p in plugins[origin.origin]),
            }
        )
    return found


def _render(report: Report, *, pdf: bool) -> str:
    css = Path(current_app.static_folder or "", "report.css").read_text() if pdf else ""
    return render_template(
        "hub/public/report.html",
        report=report,
        pdf=pdf,
        report_css=Markup(css),
        areas=areas(get_session()),
        base_url=current_app.config["BASE_URL"],
        query=request.query_string.decode(),
    )


def _explained(exc: ApiError) -> str:
    """The error with what was wrong with each parameter, for a person to read."""
    details = exc.details if isinstance(exc.details, dict) else {}
    return "; ".join([exc.error, *(f"{name}: {problem}" for name, problem in details.items())])


@bp.get("/public/report")
def report() -> Any:
    try:
        return _render(build(get_session()), pdf=False)
    except ApiError as exc:
        return render_template("hub/public/report_error.html", problem=_explained(exc)), exc.status


@bp.get("/public/report.pdf")
def report_pdf() -> Any:
    from weasyprint import HTML  # imported when asked for: it loads Pango

    try:
        built = build(get_session())
    except ApiError as exc:  # a file asked for, often by a script: a JSON error
        return exc.response()
    document = HTML(string=_render(built, pdf=True), base_url=request.url_root)
    response = Response(document.write_pdf(), mimetype="application/pdf")
    return download(response, "evidence-report.pdf")


@bp.get("/public/report/evidence.json")
def evidence() -> Any:
    """The signed summaries the report adds up, with their origins' keys, to verify."""
    session = get_session()
    try:
        built = build(session)
    except ApiError as exc:
        return exc.response()
    keys = dict(
        session.execute(
            select(Origin.origin, Origin.public_key).where(
                Origin.origin.in_(sorted({t.origin for t in built.traced}))
            )
        ).all()
    )
    document = {
        "report": {
            "area": built.area.name,
            "from": str(built.months[0]),
            "to": str(built.months[-1]),
            "generated_by": current_app.config["BASE_URL"],
        },
        "origins": {origin: {"public_key": key} for origin, key in sorted(keys.items())},
        "summaries": [
            {
                "origin": t.origin,
                "plugin": t.plugin,
                "period": t.period,
                "revision": t.revision,
                "digest": t.digest,
                "comparison": t.comparison,
                "signed": {"payload": t.payload, "signature": t.signature},
            }
            for t in built.traced
        ],
    }
    return download(jsonify(document), "evidence.json")
