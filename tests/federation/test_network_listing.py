"""What ``/network`` lists and how other instances' figures read, from what is kept at
ingest (the holdings and the declarations each worker caches), is always what the
summaries and descriptors held give: through joins and pushes over HTTP, a newer
revision, a member renamed and moved by its own signed statement, a new member, and
the operator's ``hub federation remove`` and ``block``.

Two apps on one database stand for two gunicorn workers: one serves throughout, the
other receives the changes, and an app made afresh (a worker started after the
change, with nothing cached) must read exactly what the serving one reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from copy import deepcopy
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hub import create_app
from hub.cli import cli
from hub.db import database, get_session
from hub.federation.documents import Signed
from hub.federation.models import Origin, Summary
from hub.testing import create_account, login

PLUGIN = "testmetrics"
ROW = re.compile(r'<tr><th scope="row">([^<]*)(?: <span class="muted">\(([^<]*)\)</span>)?</th>')


@pytest.fixture
def aggregator(make_app: Any) -> Flask:
    return make_app(plugins=[])


@pytest.fixture
def workers(aggregator: Flask) -> Iterator[tuple[Flask, Flask]]:
    """The aggregator's app and a second worker on the same database."""
    second = create_app(instance_path=aggregator.instance_path)
    yield aggregator, second
    database(second).engine.dispose()


def hub_cli(app: Flask, *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env={"HUB_INSTANCE_PATH": app.instance_path})
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.stdout


def signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    login(client, create_account(app, "viewer", f"viewer{id(client)}@example.org"))
    return client


def join(app: Flask, someone: Any) -> None:
    token = hub_cli(app, "federation", "invite").strip()
    answer = app.test_client().post(
        "/federation/v1/join", data=someone.join_body(token), headers=someone.JSON
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)


def push(app: Flask, someone: Any, items: list[Any]) -> None:
    body, headers = someone.push_request(items)
    answer = app.test_client().post("/federation/v1/inbox", data=body, headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert not answer.json["refused"], answer.json


def restated(someone: Any, issued_at: str, **locality: str) -> dict[str, str]:
    """The member's own signed statement of a changed descriptor (as its feed carries)."""
    someone.descriptor = deepcopy(someone.descriptor)
    someone.descriptor["locality"].update(locality)
    document = {"aggregator": someone.url, "descriptor": someone.descriptor, "issued_at": issued_at}
    return Signed.make(document, someone.key).as_json()


def listed_on_page(client: FlaskClient, region: str | None = None) -> list[tuple[str, str]]:
    address = f"/network?plugin={PLUGIN}&metric=repairs&kind=month"
    page = client.get(address + (f"&region={region}" if region else ""))
    assert page.status_code == 200
    rows = ROW.findall(page.get_data(as_text=True))
    return [row for row in rows if row[0] != "Network total"]


def listed_from_summaries(app: Flask, region: str | None = None) -> list[tuple[str, str]]:
    """The towns as the page listed them before holdings were kept: every pinned origin
    with a summary of the plugin, probed in the summaries, named and sorted alike (a
    region no held summary is from is not offered, and the page shows every region)."""
    with app.app_context():
        label = func.coalesce(
            func.nullif(Origin.town, ""), func.nullif(Origin.name, ""), Origin.origin
        )
        holds = select(Summary.id).where(Summary.origin == Origin.origin, Summary.plugin == PLUGIN)
        query = select(label, Origin.region).where(holds.exists())
        rows = get_session().execute(query.order_by(label, Origin.origin)).all()
        listed = [(town, place) for town, place in rows]
        if region in {place for _, place in listed}:
            return [(town, place) for town, place in listed if place == region]
        return listed


def read_alike(serving: FlaskClient, aggregator: Flask) -> str:
    """The serving worker's data dictionary, checked against a worker started now."""
    fresh = create_app(instance_path=aggregator.instance_path)
    try:
        now = fresh.test_client().get("/public/definitions.csv").get_data(as_text=True)
    finally:
        database(fresh).engine.dispose()
    served = serving.get("/public/definitions.csv").get_data(as_text=True)
    assert served == now
    return served


def check(client: FlaskClient, aggregator: Flask, regions: list[str]) -> list[tuple[str, str]]:
    for region in regions:
        assert listed_on_page(client, region) == listed_from_summaries(aggregator, region)
    return listed_on_page(client)


def test_the_listing_and_the_declarations_follow_every_change(workers, member):
    serving, receiving = workers
    client = signed_in(serving)
    regions = ["Wales", "Kernow"]
    towns = {
        "tregaron": member("https://tregaron.example", "Tregaron"),
        "aberaeron": member("https://aberaeron.example", "Aberaeron"),
        "bude": member("https://bude.example", "Bude"),
    }
    for name, town in towns.items():
        town.descriptor["locality"]["region"] = "Kernow" if name == "bude" else "Wales"
        join(receiving, town)
    assert listed_on_page(client) == [] == listed_from_summaries(serving)
    assert "Items brought for repair" in read_alike(client, serving)

    # Summaries pushed: each town is listed once, however many periods it holds.
    for town in towns.values():
        push(receiving, town, [town.sign(town.summary(p)) for p in ("2025-05", "2025-06")])
    assert check(client, serving, regions) == [
        ("Aberaeron", "Wales"),
        ("Bude", "Kernow"),
        ("Tregaron", "Wales"),
    ]

    # A newer revision replaces a summary and lists nothing twice.
    bude = towns["bude"]
    push(receiving, bude, [bude.sign(bude.summary("2025-06", 2, repairs=41))])
    assert len(check(client, serving, regions)) == 3

    # Tregaron renames its town and moves region in a statement of its own.
    tregaron = towns["tregaron"]
    push(
        receiving,
        tregaron,
        [restated(tregaron, "2025-07-01T09:00:00Z", town="Abergwaun", region="Kernow")],
    )
    assert check(client, serving, regions) == [
        ("Aberaeron", "Wales"),
        ("Abergwaun", "Kernow"),
        ("Bude", "Kernow"),
    ]

    # A member joined since declares the plugin anew: the newest pin's words are read,
    # by the worker that has served all along as by one started now.
    newcomer = member("https://newquay.example", "Newquay")
    newcomer.descriptor["plugins"][0]["metrics"][0]["description"] = "Things brought to mend"
    join(receiving, newcomer)
    declared = read_alike(client, serving)
    assert "Things brought to mend" in declared and "Items brought for repair" not in declared
    assert len(check(client, serving, regions)) == 3  # it holds no summaries yet

    # Removed and blocked by the operator: neither listed, nor its words read.
    hub_cli(serving, "federation", "remove", newcomer.url)
    assert "Items brought for repair" in read_alike(client, serving)
    hub_cli(serving, "federation", "remove", towns["aberaeron"].url)
    hub_cli(serving, "federation", "block", bude.url, "--reason", "spam")
    assert check(client, serving, regions) == [("Abergwaun", "Kernow")]
    hub_cli(serving, "federation", "remove", tregaron.url)
    assert check(client, serving, regions) == []
    assert PLUGIN not in read_alike(client, serving)
