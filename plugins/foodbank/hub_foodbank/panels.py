"""Dashboard panels: parcels over time, referral reasons, stock levels."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.plugin_api import Panel, Period, charts, format_date
from hub_foodbank import stock
from hub_foodbank.i18n import _
from hub_foodbank.models import Parcel, Voucher, VoucherReason
from hub_foodbank.permissions import VIEW
from hub_foodbank.settings import Settings

WEEKS_SHOWN = 12
REASON_DAYS = 90


def parcels_over_time(session: Session, today: dt.date) -> Panel:
    weeks = [Period.week_of(today)]
    while len(weeks) < WEEKS_SHOWN:
        weeks.insert(0, weeks[0].previous())
    counts = dict(
        session.execute(
            select(Parcel.given_on, func.count())
            .where(Parcel.counted(), Parcel.given_on.between(weeks[0].start, weeks[-1].last_day))
            .group_by(Parcel.given_on)
        ).all()
    )
    per_week = [sum(n for day, n in counts.items() if day in week) for week in weeks]
    labels = [format_date(week.start, "d MMM") for week in weeks]
    chart = charts.bar_chart(_("Parcels per week"), labels, per_week)
    return Panel(
        _("Food parcels per week"),
        "foodbank/panel_chart.html",
        {
            "chart": chart,
            "note": _(
                "%(week)s this week, %(total)s in 12 weeks.", week=per_week[-1], total=sum(per_week)
            ),
            "link": ("foodbank.parcels", _("All parcels")),
        },
        permission=VIEW,
        order=20,
    )


def referral_reasons(session: Session, config: Settings, today: dt.date) -> Panel:
    since = today - dt.timedelta(days=REASON_DAYS - 1)
    rows = session.execute(
        select(VoucherReason.reason, func.count())
        .join(Voucher, Voucher.id == VoucherReason.voucher_id)
        .where(Voucher.counted(), Voucher.issued_on.between(since, today))
        .group_by(VoucherReason.reason)
        .order_by(func.count().desc())
    ).all()
    labels = config.reasons
    items = [(_(labels.get(code, code.replace("_", " "))), int(n)) for code, n in rows]
    chart = charts.hbar_chart(_("Referral reasons, last 90 days"), items)
    return Panel(
        _("Why people were referred"),
        "foodbank/panel_chart.html",
        {
            "chart": chart,
            "note": _("Reasons on vouchers issued in the last 90 days."),
            "link": ("foodbank.index", _("Food bank")),
        },
        permission=VIEW,
        order=21,
    )


def stock_levels(session: Session, config: Settings, today: dt.date) -> Panel:
    levels = stock.levels(session, config, today)
    items = [(_(level.label), level.on_hand // 1000) for level in levels]
    low = [_(level.label) for level in levels if level.low]
    note = (
        _("Running low: %(categories)s.", categories=", ".join(low))
        if low
        else _("No category is running low.")
    )
    return Panel(
        _("Stock on hand (kg)"),
        "foodbank/panel_chart.html",
        {
            "chart": charts.hbar_chart(_("Stock on hand, kg"), items),
            "note": note,
            "link": ("foodbank.stock_page", _("Stock")),
        },
        permission=VIEW,
        order=22,
    )
