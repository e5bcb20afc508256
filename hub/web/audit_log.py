"""Admin: the audit log, filtered by what changed, who changed it and when."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy import select
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from hub import auth
from hub.db import get_session
from hub.models import AuditEntry, User
from hub.web.common import Date, Form, paginate, strip

bp = Blueprint("audit_log", __name__, url_prefix="/admin/audit")


class AuditFilter(Form):
    entity = SelectField("What", choices=[], validate_choice=False)
    entity_id = StringField("Record number", [Optional(), Length(max=64)], filters=[strip])
    user = SelectField("Who", choices=[], validate_choice=False)
    since = Date("From", [Optional()])
    until = Date("To", [Optional()])

    def validate_until(self, field: Any) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("The end date is before the start date.")


@bp.get("/")
@auth.require_permission("audit.view")
def index() -> Any:
    session = get_session()
    form = AuditFilter(request.args)
    entities = session.scalars(select(AuditEntry.entity).distinct().order_by(AuditEntry.entity))
    form.entity.choices = [SelectChoice("", "Anything")] + [SelectChoice(name) for name in entities]
    users = session.execute(select(User.id, User.email).order_by(User.email)).all()
    form.user.choices = [
        SelectChoice("", "Anyone"),
        SelectChoice("system", "The system (commands, imports)"),
    ] + [SelectChoice(str(user_id), email) for user_id, email in users]
    statement = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if not form.validate():
        return render_template("hub/admin/audit.html", form=form, page=None), 400
    page = paginate(_filtered(statement, form))
    return render_template("hub/admin/audit.html", form=form, page=page)


def _filtered(statement: Any, form: AuditFilter) -> Any:
    if form.entity.data:
        statement = statement.where(AuditEntry.entity == form.entity.data)
    if form.entity_id.data:
        statement = statement.where(AuditEntry.entity_id == form.entity_id.data)
    if form.user.data == "system":
        statement = statement.where(AuditEntry.user_id.is_(None))
    elif form.user.data and form.user.data.isdigit():
        statement = statement.where(AuditEntry.user_id == int(form.user.data))
    if form.since.data:
        statement = statement.where(AuditEntry.at >= _start_of(form.since.data))
    if form.until.data and form.until.data < dt.date.max:
        statement = statement.where(AuditEntry.at < _start_of(form.until.data + dt.timedelta(1)))
    return statement


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
