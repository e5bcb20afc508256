"""``/api/v1/network``: the network's totals, for dashboards and scripts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, ValidationError, fields

from hub.db import get_session
from hub.federation import aggregates
from hub.federation.grammar import PLUGIN_NAME, Refused, matching, text
from hub.periods import Period, PeriodError
from hub.rest import ApiBlueprint

bp = ApiBlueprint("api_network", __name__, url_prefix="/api/v1/network", tag="network")


def _validator(check: Callable[[str], object]) -> Callable[[str], None]:
    """A field validator from one of the protocol's grammars (or the period parser)."""

    def validate_field(value: str) -> None:
        try:
            check(value)
        except (Refused, PeriodError) as exc:
            raise ValidationError(str(exc)) from None

    return validate_field


class TotalsQuery(Schema):
    plugin = fields.String(
        required=True, validate=_validator(lambda value: matching(value, PLUGIN_NAME, "plugin"))
    )
    period = fields.String(required=True, validate=_validator(Period.parse))
    region = fields.String(validate=_validator(lambda value: text(value, "region", 120)))


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
    out_of_range = fields.List(
        fields.String(),
        metadata={"description": "Metrics whose total left ±(2^53-1), published as null."},
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
