"""The food bank's needs, published as ``needed.<category>``: 1 where the stock on hand
at the end of the period (today, for the period under way) is below the category's
low-stock level, as the stock page counts it."""

from __future__ import annotations

import datetime as dt

import pytest


@pytest.fixture
def app(make_app):
    # Only two categories have a low-stock level: no other is ever reported as needed.
    application = make_app(foodbank={"low_stock_grams": {"baby": 1000, "tinned_veg": 1000}})
    yield application
    application.extensions["hub.db"].engine.dispose()


def needs(figures):
    return {
        name.removeprefix("needed.")
        for name, value in figures.items()
        if value and name.startswith("needed.")
    }


def test_needs_follow_the_stock_at_each_periods_end(fb, published, clock):
    clock.set(dt.date(2025, 3, 25))
    fb.donation(
        dt.date(2025, 3, 3),
        "public",
        [{"category": "baby", "grams": 2000}, {"category": "tinned_veg", "grams": 500}],
    )
    household = fb.household(adults=1)["id"]
    fb.parcel(
        given_on="2025-03-12",
        parcel_type="baby",
        adults=1,
        children=1,
        weight_grams=1500,
        household_id=household,
    )
    fb.donation(dt.date(2025, 3, 20), "supermarket", [{"category": "tinned_veg", "grams": 2000}])

    assert needs(published("2025-W10")) == {"tinned_veg"}  # 500 g by 9 March
    assert needs(published("2025-W11")) == {"tinned_veg", "baby"}  # 500 g of baby food left
    assert needs(published("2025-W12")) == {"baby"}  # 2.5 kg of tinned veg since 20 March
    # March is under way: its needs are today's, as the stock page shows them.
    assert needs(published("2025-03")) == {"baby"}
    stock = fb.ok("GET", "/stock", role="viewer")
    assert {level["category"] for level in stock if level["low"]} == {"baby"}
    # Every category is published, 0 where nothing is needed: a summary is whole.
    assert published("2025-03")["needed.pasta_rice"] == 0


def test_a_food_bank_that_keeps_no_stock_in_the_hub_needs_nothing(fb, published, clock):
    clock.set(dt.date(2025, 3, 25))
    household = fb.household(adults=2)["id"]
    fb.parcel(
        given_on="2025-03-12",
        parcel_type="emergency",
        adults=2,
        children=0,
        weight_grams=9000,
        household_id=household,
    )
    assert needs(published("2025-03")) == set()
