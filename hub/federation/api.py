"""``/api/v1/network``: the network's totals, for dashboards and scripts."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from hub.db import get_session
from hub.federation import aggregates
from hub.periods import Period, PeriodError
from hub.rest import ApiBlueprint

bp = ApiBlueprint("api_network", __name__, url_prefix="/api/v1/network", tag="network")


def _period(text: str) -> None:
    try:
        Period.parse(text)
    except PeriodError as exc:
        raise ValidationError(str(exc)) from None


class TotalsQuery(Schema):
    plugin = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9]{1,30}$"))
    period = fields.String(required=True, validate=_period)
    region = fields.String(validate=validate.Length(min=1, max=120))


class TotalsSchema(Schema):
    plugin = fields.String()
    period = fields.String()
    region = fields.String()
    origins = fields.Integer(metadata={"description": "Instances whose summaries were added up."})
    metrics = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(allow_none=True),
        metadata={"description": "Metric name to total; null where the total is suppressed."},
    )
    suppressed = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Metric name to the number of suppressed cells it covers."},
    )


@bp.operation(
    "/totals",
    summary="Network totals for a plugin and period",
    permission="metrics.view",
    query=TotalsQuery,
    response=TotalsSchema,
)
def network_totals(query: dict[str, Any]) -> Any:
    """Totals over the de-duplicated summaries this instance holds (its own and, on an
    aggregator, its members'), optionally for one region. Suppressed cells are never
    guessed: see docs/federation.md, "Totals and suppression"."""
    return aggregates.totals(get_session(), query["plugin"], query["period"], query.get("region"))
