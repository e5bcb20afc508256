"""The plugin toolkit of hub.plugin_api, used as a plugin uses it: a small test plugin's
API and pages, driven over HTTP, fed the worst input each part of it can get.

The plugin ("toolkit") keeps no tables of its own: it lists, finds and renames people
of the core registry, and echoes what its schema loads from a JSON body or a page form.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from flask import Blueprint, Response, render_template_string, request
from sqlalchemy import select

from hub import plugin_api as api
from hub.plugin_api import fields, validate
from hub.testing import csrf_token, login

KINDS = {"tinned": "Tinned food", "fresh": "Fresh food"}


class Row(api.Schema):
    label = fields.String(required=True, validate=validate.Length(max=20))
    count = fields.Integer(required=True, validate=validate.Range(min=1, max=9))


class Sample(api.Schema):
    count = fields.Integer(validate=validate.Range(min=0, max=1000))
    weight_grams = fields.Grams(maximum=200_000)
    share = fields.Decimal(places=2)
    ratio = fields.Float()
    active = fields.Boolean()
    kind = fields.Code(KINDS)
    kinds = fields.List(fields.Code(KINDS))
    note = fields.String(validate=validate.Length(max=200))
    day = fields.Date()
    rows = fields.List(fields.Nested(Row))


class Rename(api.Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class PersonOut(api.Schema):
    id = fields.Integer()
    name = fields.String()


class PeopleQuery(api.Schema):
    q = fields.String(validate=validate.Length(max=200))


def rename(person: api.Person, name: str) -> api.Person:
    """The plugin's "service": a domain rule, and the one field error it raises."""
    session = api.get_session()
    taken = session.scalar(select(api.Person.id).where(api.Person.name == name))
    if taken is not None and taken != person.id:
        raise api.FieldError("name", f"{name} is already in the registry")
    person.name = name
    return person


def plain(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value if isinstance(value, int | list) else str(value) for key, value in data.items()
    }


bp_api = api.ApiBlueprint("toolkit_api", __name__, url_prefix="/api/v1/toolkit", tag="toolkit")


@bp_api.operation("/samples", method="POST", summary="Echo", permission=None, body=Sample)
def echo(body: dict[str, Any]) -> Any:
    return plain(body)


@bp_api.operation(
    "/people",
    summary="People",
    permission=None,
    query=PeopleQuery,
    response=PersonOut,
    paginate=True,
)
def people(query: dict[str, Any]) -> Any:
    return (
        select(api.Person)
        .where(api.text_search(query.get("q", ""), api.Person.name, api.Person.email))
        .order_by(api.Person.id)
    )


@bp_api.operation("/people/<int:person_id>", summary="One", permission=None, response=PersonOut)
def person(person_id: int) -> Any:
    return api.get_or_404(api.Person, person_id)


@bp_api.operation(
    "/people/<int:person_id>",
    method="PATCH",
    summary="Rename",
    permission=None,
    body=Rename,
    response=PersonOut,
)
def rename_over_api(person_id: int, body: dict[str, Any]) -> Any:
    found = rename(api.get_or_404(api.Person, person_id), body["name"])
    api.get_session().commit()
    return found


SAMPLE_PAGE = """{% from "hub/forms.html" import csrf, error_summary, field %}
{{ error_summary(form) }}<form method="post">{{ csrf() }}
{{ field(form, 'count', 'Count') }}{{ field(form, 'weight', 'Weight (kg)') }}
{{ field(form, 'share', 'Share') }}{{ field(form, 'ratio', 'Ratio') }}
{{ field(form, 'active', 'Active') }}{{ field(form, 'kind', 'Kind') }}
{{ field(form, 'kinds', 'Kinds') }}{{ field(form, 'note', 'Note', type='textarea') }}
{{ field(form, 'day', 'Day') }}
{% for row in range(2) %}{{ field(form, 'rows-%d-label' % row, 'Label') }}{{ field(form, 'rows-%d-count' % row, 'Count') }}{% endfor %}
</form>{% if saved %}<p id="saved">{{ saved }}</p>{% endif %}"""

PEOPLE_PAGE = """{% from "hub/paging.html" import pager %}
<ul>{% for person in page.items %}<li>{{ person.name }}</li>{% endfor %}</ul>{{ pager(page, 'People') }}"""

RENAME_PAGE = """{% from "hub/forms.html" import csrf, error_summary, field %}
{{ error_summary(form) }}<form method="post">{{ csrf() }}{{ field(form, 'name', 'Name') }}</form>"""

bp_pages = Blueprint("toolkit", __name__, url_prefix="/toolkit")


@bp_pages.route("/sample", methods=["GET", "POST"])
@api.require_permission()
def sample_page() -> Any:
    form = api.Form(
        Sample, {"day": api.today(), "weight_grams": 2500}, inputs={"weight_grams": "weight"}
    )
    saved = plain(form.data) if form.validate_on_submit() else None
    return render_template_string(SAMPLE_PAGE, form=form, saved=saved), form.status


@bp_pages.get("/people")
@api.require_permission()
def people_page() -> str:
    statement = (
        select(api.Person)
        .where(api.text_search(request.args.get("q", ""), api.Person.name))
        .order_by(api.Person.id)
    )
    return render_template_string(PEOPLE_PAGE, page=api.requested_page(statement, per_page=10))


@bp_pages.route("/people/<int:person_id>", methods=["GET", "POST"])
@api.require_permission()
def rename_page(person_id: int) -> Any:
    found = api.get_or_404(api.Person, person_id)
    form = api.Form(Rename, found)
    if form.validate_on_submit():
        try:
            rename(found, form.data["name"])
        except api.FieldError as exc:
            form.fail(exc)
        else:
            api.get_session().commit()
            return "renamed"
    return render_template_string(RENAME_PAGE, form=form), form.status


@bp_pages.get("/today")
def today_page() -> str:
    return f"{api.today().isoformat()} {api.now().isoformat()}"


@bp_pages.get("/export.csv")
def export_page() -> Response:
    stream = io.StringIO()
    writer = api.csv_writer(stream)
    writer.writerow(["name", "count", "day", "kept"])
    for each in api.get_session().scalars(select(api.Person).order_by(api.Person.id)):
        writer.writerow([each.name, -each.id, dt.date(2025, 3, 14), None])
    return Response(stream.getvalue(), mimetype="text/csv")


class Toolkit:
    @api.hookimpl
    def hub_blueprints(self, app: Any) -> list[Any]:
        return [bp_api, bp_pages]


@pytest.fixture
def app(make_app):
    return make_app(plugins=["toolkit"], extra_plugins={"toolkit": Toolkit()})


@pytest.fixture
def headers(accounts):
    return accounts["volunteer"].headers


def add_people(app, *names: str) -> list[int]:
    with app.app_context():
        session = api.get_session()
        people = [api.Person(name=name) for name in names]
        session.add_all(people)
        session.commit()
        return [each.id for each in people]


def signed_in(app, accounts):
    client = app.test_client()
    login(client, accounts["volunteer"])
    return client


def post_form(client, url: str, data: dict[str, Any]):
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


# --- strict fields over the API ------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("count", 12.5),
        ("count", "12"),
        ("count", True),
        ("count", 2**64),
        ("count", 2.589e-42),
        ("weight_grams", 2.589e-42),
        ("weight_grams", "2500"),
        ("weight_grams", -5),
        ("weight_grams", 200_001),
        ("share", 2.589e-42),
        ("share", 1.005),
        ("share", "1.5"),
        ("ratio", "2.5"),
        ("ratio", False),
        ("active", 0),
        ("active", 1),
        ("active", "true"),
        ("kind", "frozen"),
        ("kinds", ["tinned", "frozen"]),
        ("note", "x" * 10_000),
        ("note", "nul \x00 byte"),
        ("note", 12),
        ("day", "2025-02-30"),
        ("rows", [{"label": "a", "count": "1"}]),
    ],
)
def test_the_api_refuses_what_the_field_cannot_take(client, headers, field, value):
    response = client.post("/api/v1/toolkit/samples", json={field: value}, headers=headers)
    assert response.status_code == 422, response.json
    assert field in response.json["details"]


def test_the_api_takes_each_type_as_json_has_it(client, headers):
    body = {
        "count": 12,
        "weight_grams": 2500,
        "share": 1.25,
        "ratio": 0.5,
        "active": False,
        "kind": "fresh",
        "kinds": ["fresh", "tinned"],
        "note": "a" * 200,
        "day": "2025-03-14",
        "rows": [{"label": "tins", "count": 9}],
    }
    response = client.post("/api/v1/toolkit/samples", json=body, headers=headers)
    assert response.status_code == 200, response.json
    assert response.json == {
        **body,
        "share": "1.25",
        "ratio": "0.5",
        "day": "2025-03-14",
    }


def test_numbers_too_long_to_read_are_refused_by_name(client, headers):
    for digits in (41, 10_000):
        body = '{"count": ' + "9" * digits + "}"
        response = client.post(
            "/api/v1/toolkit/samples",
            data=body,
            headers={**headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 422
        assert response.json["details"] == {"count": ["is out of range"]}
    huge_float = client.post(
        "/api/v1/toolkit/samples",
        data='{"ratio": 1e999}',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert huge_float.status_code == 422 and "ratio" in huge_float.json["details"]


# --- the same schema read from a page's form --------------------------------------------------


def test_a_form_reads_text_by_field_type_and_shows_it_back(app, accounts):
    client = signed_in(app, accounts)
    first = client.get("/toolkit/sample").get_data(as_text=True)
    assert 'id="weight" name="weight" type="text" value="2.5" inputmode="decimal"' in first
    assert f'value="{dt.date.today().isoformat()}"' in first
    assert 'maxlength="20"' in first and 'min="0" max="1000"' in first
    sent = {
        "count": " 12 ",
        "weight": "2,5",
        "share": "1.25",
        "ratio": "0.5",
        "active": "y",
        "kind": "fresh",
        "kinds": ["fresh", "tinned"],
        "note": "  kept  ",
        "day": "2025-03-14",
        "rows-0-label": "tins",
        "rows-0-count": "3",
        "rows-1-label": "",
        "rows-1-count": "",
    }
    response = post_form(client, "/toolkit/sample", sent)
    assert response.status_code == 200
    saved = response.get_data(as_text=True)
    for shown in (
        "&#39;weight_grams&#39;: 2500",
        "&#39;share&#39;: &#39;1.25&#39;",
        "&#39;active&#39;: True",
    ):
        assert shown in saved
    assert "&#39;rows&#39;: [{&#39;label&#39;: &#39;tins&#39;, &#39;count&#39;: 3}]" in saved
    assert "&#39;note&#39;: &#39;kept&#39;" in saved


def test_a_blank_box_is_a_value_not_given_and_an_unticked_box_is_false(app, accounts):
    client = signed_in(app, accounts)
    response = post_form(client, "/toolkit/sample", {"count": "   ", "note": ""})
    assert response.status_code == 200
    saved = response.get_data(as_text=True)
    assert "count" not in saved.split('id="saved"')[1] and "&#39;active&#39;: False" in saved


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("count", "9" * 10_000, "is out of range"),
        ("count", "12.5", "Enter a whole number, like 12."),
        ("count", "abc", "Enter a whole number, like 12."),
        ("count", "-1", "Must be greater than or equal to 0"),
        ("weight", "abc", "Enter a weight in kg, like 2.5."),
        ("weight", "-5", "must be from 0.001 kg (1 g) to 200 kg (200,000 g)"),
        ("weight", "9" * 10_000, "Enter a weight in kg, like 2.5."),
        ("weight", "0.0001", "nearest gram"),
        ("share", "1.005", "use at most 2 decimal places"),
        ("ratio", "1e999", "Enter a number, like 2.5."),
        ("kind", "frozen", "must be one of: tinned, fresh"),
        ("note", "x" * 10_000, "Longer than maximum length 200."),
        ("day", "31/02/2025", "Enter a real date, like 2026-03-31."),
        ("rows-1-count", "12", "Must be greater than or equal to 1 and less than or equal to 9."),
    ],
)
def test_a_form_marks_each_wrong_box_with_what_to_type(app, accounts, field, text, message):
    client = signed_in(app, accounts)
    data = {field: text}
    if field.startswith("rows-"):
        data["rows-1-label"] = "eggs"
    response = post_form(client, "/toolkit/sample", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<a href="#{field}">' in page and message in page  # the summary links to the box
    assert f'id="{field}-error"' in page and f'aria-describedby="{field}-error"' in page
    assert 'aria-invalid="true"' in page
    if len(text) < 100 and field != "kind":
        assert f'value="{text}"' in page or f">{text}<" in page  # what was typed is kept


def test_a_field_error_from_a_service_marks_the_field_or_answers_422(
    app, client, accounts, headers
):
    _, second = add_people(app, "Nia Rees", "Owain Bevan")
    refused = client.patch(
        f"/api/v1/toolkit/people/{second}", json={"name": "Nia Rees"}, headers=headers
    )
    assert refused.status_code == 422
    assert refused.json["details"] == {"name": ["Nia Rees is already in the registry"]}

    browser = signed_in(app, accounts)
    page = post_form(browser, f"/toolkit/people/{second}", {"name": "Nia Rees"})
    assert page.status_code == 422
    assert 'id="name-error"' in page.get_data(as_text=True)
    assert "Nia Rees is already in the registry" in page.get_data(as_text=True)
    with app.app_context():
        assert api.get_session().get(api.Person, second).name == "Owain Bevan"
    assert post_form(browser, f"/toolkit/people/{second}", {"name": "Owain B"}).text == "renamed"


# --- get_or_404 --------------------------------------------------------------------------------


def test_get_or_404_answers_in_the_kind_of_the_request(app, client, accounts, headers):
    (someone,) = add_people(app, "Nia Rees")
    assert (
        client.get(f"/api/v1/toolkit/people/{someone}", headers=headers).json["name"] == "Nia Rees"
    )
    for missing in (someone + 1, 2**62, 2**63, 2**70):
        response = client.get(f"/api/v1/toolkit/people/{missing}", headers=headers)
        assert response.status_code == 404
        assert response.is_json and response.json["error"].endswith("not found")
    page = signed_in(app, accounts).get(f"/toolkit/people/{2**70}")
    assert page.status_code == 404 and "There is nothing at this address" in page.text


# --- the pager ---------------------------------------------------------------------------------


def test_the_pager_never_stops_silently(app, client, accounts, headers):
    add_people(app, *(f"Person {number:03d}" for number in range(123)))
    listing = client.get("/api/v1/toolkit/people?per_page=50&page=3", headers=headers).json
    assert (listing["total"], listing["pages"], listing["page"]) == (123, 3, 3)
    assert [p["name"] for p in listing["items"]][:1] == ["Person 100"] and len(
        listing["items"]
    ) == 23

    browser = signed_in(app, accounts)
    first = browser.get("/toolkit/people").text
    assert (
        "Showing 1\u201310 of 123" in first and 'rel="next"' in first and 'rel="prev"' not in first
    )
    last = browser.get("/toolkit/people?page=13").text
    assert (
        "Showing 121\u2013123 of 123" in last and "Person 122" in last and 'rel="next"' not in last
    )
    for number in (str(2**62 + 1), "9" * 1_000, "-3", "abc", "²"):
        page = browser.get(f"/toolkit/people?page={number}")
        assert page.status_code == 200
        assert "Showing" in page.text


@pytest.mark.parametrize("page", [2**62 + 1, 2**63 - 1])
def test_an_api_page_past_the_end_is_empty_not_an_error(client, headers, app, page):
    add_people(app, "Nia Rees")
    listing = client.get(f"/api/v1/toolkit/people?page={page}", headers=headers)
    assert listing.status_code == 200
    assert (
        listing.json["items"] == [] and listing.json["total"] == 1 and listing.json["page"] == page
    )


@pytest.mark.parametrize(
    "query",
    [f"page={2**63}", "page=0", "page=1.5", "per_page=201", "page=" + "9" * 1_000, "colour=red"],
)
def test_paging_parameters_out_of_range_are_422(client, headers, query):
    response = client.get(f"/api/v1/toolkit/people?{query}", headers=headers)
    assert response.status_code == 422, response.json


# --- text search ---------------------------------------------------------------------------------


def test_search_is_literal_and_case_insensitive_on_both_databases(app, client, headers):
    add_people(
        app,
        "Ann 100% Jones",
        "Ann 1000 Jones",
        "Siân Lloyd",
        "under_score",
        "underXscore",
        "back\\slash",
    )

    def found(text: str) -> list[str]:
        response = client.get("/api/v1/toolkit/people", query_string={"q": text}, headers=headers)
        assert response.status_code == 200
        return [p["name"] for p in response.json["items"]]

    assert found("100%") == ["Ann 100% Jones"]
    assert found("%") == ["Ann 100% Jones"]
    assert found("under_") == ["under_score"]
    assert found("_") == ["under_score"]
    assert found("\\") == ["back\\slash"]
    assert found("SIÂN") == ["Siân Lloyd"] and found("siân lloyd") == ["Siân Lloyd"]
    assert found("jones ANN") == ["Ann 100% Jones", "Ann 1000 Jones"]
    assert found("x" * 200) == []


# --- the clock -------------------------------------------------------------------------------------


def test_the_clock_can_be_set_by_a_test(client, clock):
    clock.set(dt.date(2025, 3, 14))
    day, moment = client.get("/toolkit/today").text.split()
    assert day == "2025-03-14" and dt.datetime.fromisoformat(moment).tzinfo is not None
    clock.advance(days=7)
    assert client.get("/toolkit/today").text.startswith("2025-03-21")
    clock.set(dt.datetime(2025, 6, 1, 9, 30, tzinfo=dt.UTC))
    assert client.get("/toolkit/today").text.split()[1] == "2025-06-01T09:30:00+00:00"


def test_new_rows_are_stamped_by_the_clock(app, clock):
    clock.set(dt.datetime(2024, 2, 29, 12, tzinfo=dt.UTC))
    (someone,) = add_people(app, "Leap Day")
    with app.app_context():
        assert api.get_session().get(api.Person, someone).created_at.date() == dt.date(2024, 2, 29)


# --- the CSV writer --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://x")', "+1", "-1", "@SUM(A1)", "\tcmd", "\rcmd", "  =1+1"]
)
def test_csv_cells_never_start_a_formula_and_numbers_stay_numbers(app, client, name):
    add_people(app, name)
    body = client.get("/toolkit/export.csv").get_data(as_text=True)
    assert body.endswith("\r\n")
    header, row = list(csv.reader(io.StringIO(body)))
    assert header == ["name", "count", "day", "kept"]
    assert row[0] == "'" + name and row[1] == "-1" and row[2:] == ["2025-03-14", ""]
