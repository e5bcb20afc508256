"""The fridge's JSON API under ``/api/v1/fridge``: each operation validated by a schema,
done by the service."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from hub import plugin_api as api
from hub_fridge import schemas, service
from hub_fridge.models import Donation, Visit

bp = api.ApiBlueprint("fridge_api", __name__, url_prefix="/api/v1/fridge", tag="fridge")


@bp.operation(
    "/donations",
    summary="Food given in, newest first",
    permission="fridge.view",
    response=schemas.DonationOut,
    paginate=True,
)
def list_donations(query: dict[str, Any]) -> Select[Any]:
    return select(Donation).order_by(Donation.given_on.desc(), Donation.id.desc())


@bp.operation(
    "/donations",
    method="POST",
    summary="Record food given in",
    permission="fridge.log",
    body=schemas.DonationIn,
    response=schemas.DonationOut,
    status=201,
)
def create_donation(body: dict[str, Any]) -> Donation:
    return service.add_donation(api.get_session(), body, api.today())


@bp.operation(
    "/visits",
    summary="Visits, newest first",
    permission="fridge.view",
    response=schemas.VisitOut,
    paginate=True,
)
def list_visits(query: dict[str, Any]) -> Select[Any]:
    return select(Visit).order_by(Visit.visited_on.desc(), Visit.id.desc())


@bp.operation(
    "/visits",
    method="POST",
    summary="Log a visit",
    permission="fridge.log",
    body=schemas.VisitIn,
    response=schemas.VisitOut,
    status=201,
)
def create_visit(body: dict[str, Any]) -> Visit:
    return service.add_visit(api.get_session(), body, api.today())
