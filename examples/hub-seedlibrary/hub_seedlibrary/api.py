"""The seed library's JSON API, under /api/v1/seedlibrary."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hub import plugin_api as api
from hub_seedlibrary import lending
from hub_seedlibrary.models import Loan, Variety
from hub_seedlibrary.schemas import LoanSchema, ReturnSchema, VarietyQuery, VarietySchema

bp = api.ApiBlueprint(
    "seedlibrary_api", __name__, url_prefix="/api/v1/seedlibrary", tag="seedlibrary"
)


def _refused(exc: lending.LendingError) -> api.ApiError:
    return api.ApiError(422, "invalid body", {exc.field: [str(exc)]})


@bp.operation(
    "/varieties",
    summary="The varieties on the shelves",
    permission=None,
    query=VarietyQuery,
    response=VarietySchema,
    paginate=True,
)
def list_varieties(query: dict[str, Any]) -> Any:
    """Any signed-in user may browse the catalogue; filter by ``crop`` or ``in_stock``."""
    statement = select(Variety).order_by(Variety.name)
    if "crop" in query:
        statement = statement.where(Variety.crop == query["crop"])
    if query.get("in_stock") is True:
        statement = statement.where(Variety.packets_in_stock > 0)
    return statement


@bp.operation(
    "/varieties",
    method="POST",
    summary="Add a variety",
    permission="seedlibrary.manage",
    body=VarietySchema,
    response=VarietySchema,
    status=201,
)
def create_variety(body: dict[str, Any]) -> Any:
    session = api.get_session()
    if session.scalar(select(Variety).where(Variety.name == body["name"])):
        raise api.ApiError(409, "variety exists", {"name": ["a variety with this name exists"]})
    variety = Variety(**body)
    session.add(variety)
    session.commit()
    return variety


@bp.operation(
    "/loans",
    method="POST",
    summary="Lend seed packets to a member",
    permission="seedlibrary.lend",
    body=LoanSchema,
    response=LoanSchema,
    status=201,
)
def create_loan(body: dict[str, Any]) -> Any:
    session = api.get_session()
    try:
        loan = lending.lend(session, **body)
    except lending.LendingError as exc:
        raise _refused(exc) from None
    session.commit()
    return loan


@bp.operation(
    "/loans/<int:loan_id>/return",
    method="POST",
    summary="Record saved seed returned after the harvest",
    permission="seedlibrary.lend",
    body=ReturnSchema,
    response=LoanSchema,
)
def return_loan(loan_id: int, body: dict[str, Any]) -> Any:
    session = api.get_session()
    loan = session.get(Loan, loan_id)
    if loan is None:
        raise api.not_found("loan", loan_id)
    try:
        lending.record_return(
            session, loan, packets=body["packets_returned"], returned_on=body["returned_on"]
        )
    except lending.LendingError as exc:
        raise _refused(exc) from None
    session.commit()
    return loan
