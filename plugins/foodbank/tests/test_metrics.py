"""Published figures against a small food bank's March 2025 worked out by hand, and
what erasure, retention and the support policy do to them (nothing)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hub_foodbank.codes import (
    AGENCY_TYPES,
    PARCEL_TYPES,
    REFERRAL_REASONS,
    SIGNPOSTING,
    STOCK_CATEGORIES,
)

CUSTOM_REASONS = {
    "low_income": "Low income",
    "benefit_delays": "Benefit delays",
    "benefit_changes": "Benefit changes",
    "debt": "Debt",
    "child_holiday_hunger": "Child holiday hunger",
    "cost_of_living": "Cost of living",
}


@pytest.fixture
def app(make_app):
    # A group with its own reason ("cost of living") counted under the published low_income.
    application = make_app(
        foodbank={
            "referral_reasons": CUSTOM_REASONS,
            "referral_reason_codes": {"cost_of_living": "low_income"},
            "policy_parcels": 2,
            "policy_days": 30,
        }
    )
    yield application
    application.extensions["hub.db"].engine.dispose()


@pytest.fixture
def march(fb):
    """Eight households; every figure below is counted from this by hand."""
    advice = fb.agency("Citizens Advice Riverside", "advice")["id"]
    health = fb.agency("Riverside Medical Practice", "health")["id"]
    school = fb.agency("St Teilo's Primary School", "school")["id"]
    jobcentre = fb.agency("Jobcentre Plus Riverside", "jobcentre")["id"]
    h = {n: fb.household(adults=1)["id"] for n in range(1, 9)}

    def voucher(n, agency, reasons, issued):
        return fb.voucher(h[n], agency, reasons, issued_on=issued)["code"]

    v1 = voucher(2, advice, ["low_income", "debt"], "2025-03-03")
    v2 = voucher(3, health, ["benefit_delays"], "2025-03-05")
    v3 = voucher(4, advice, ["low_income"], "2025-03-06")
    v4 = voucher(7, school, ["child_holiday_hunger"], "2025-03-10")
    v5 = voucher(2, jobcentre, ["benefit_changes", "cost_of_living"], "2025-03-30")

    def parcel(day, kind, adults, children, grams, **extra):
        return fb.parcel(
            given_on=day,
            parcel_type=kind,
            adults=adults,
            children=children,
            weight_grams=grams,
            **extra,
        )

    parcel("2025-02-20", "emergency", 2, 1, 9000, household_id=h[1])
    parcel("2025-03-04", "top_up", 2, 1, 2500, household_id=h[1])
    parcel(
        "2025-03-04",
        "emergency",
        1,
        0,
        7000,
        voucher_code=v1,
        signposting=["debt_advice", "benefits_advice"],
    )
    parcel("2025-03-06", "baby", 1, 2, 3000, voucher_code=v2)
    parcel("2025-03-06", "emergency", 2, 2, 16000, voucher_code=v3, signposting=["energy_support"])
    parcel("2025-03-12", "hygiene", 1, 0, 1800, household_id=h[5])
    parcel("2025-03-12", "dietary", 1, 1, 8000, household_id=h[6])
    parcel(
        "2025-03-12", "emergency", 1, 3, 16000, voucher_code=v4, signposting=["holiday_activities"]
    )
    parcel("2025-03-20", "emergency", 1, 0, 7000, household_id=h[8])
    parcel("2025-04-01", "emergency", 1, 0, 7000, voucher_code=v5)

    fb.donation(
        dt.date.fromisoformat("2025-02-28"), "public", [{"category": "tinned_veg", "grams": 5000}]
    )
    fb.donation(
        dt.date.fromisoformat("2025-03-05"),
        "supermarket",
        [{"category": "tinned_veg", "grams": 20000}, {"category": "pasta_rice", "grams": 15000}],
    )
    fb.donation(
        dt.date.fromisoformat("2025-03-31"), "public", [{"category": "soup_sauces", "grams": 4000}]
    )
    return h


PEOPLE_COUNTS = ("adults_fed", "children_fed", "households_", "referrals", "signposting")


def expected(withheld=False, needed=(), **figures):
    """Every published name, zero unless given (a summary is always whole); ``withheld``:
    a week's, where every count of people or households is withheld (None); ``needed``:
    the stock categories low at the period's end (1)."""
    names = (
        [f"parcels.{c}" for c in PARCEL_TYPES]
        + [
            "adults_fed",
            "children_fed",
            "households_served",
            "households_new",
            "grams_distributed",
            "grams_donated",
        ]
        + [f"referrals.{c}" for c in REFERRAL_REASONS]
        + [f"referrals_by_agency.{c}" for c in AGENCY_TYPES]
        + [f"signposting.{c}" for c in SIGNPOSTING]
        + [f"needed.{c}" for c in STOCK_CATEGORIES]
    )
    result = dict.fromkeys(names, 0)
    if withheld:
        result.update(dict.fromkeys([n for n in names if n.startswith(PEOPLE_COUNTS)]))
    result.update({f"needed.{category}": 1 for category in needed})
    for key, value in figures.items():
        name = key.replace("__", ".")
        assert name in result, name
        result[name] = value
    return result


# Every category is below its low-stock level (25 kg by default) when March ends, and
# at the end of week 10: the most donated, tinned vegetables, had 25 kg in and 14.55 kg
# (10.45 kg by the end of week 10) drawn by parcels' usual contents.
MARCH = expected(
    needed=STOCK_CATEGORIES,
    parcels__emergency=4,
    parcels__top_up=1,
    parcels__baby=1,
    parcels__hygiene=1,
    parcels__dietary=1,
    adults_fed=10,  # people fed, each parcel's added up: 10, rounded to the nearest 5
    children_fed=10,  # 9, rounded
    households_served=10,  # 8 households, rounded to the nearest 5
    households_new=5,  # 7 (household 1 first came in February), rounded
    grams_distributed=61300,
    grams_donated=39000,
    # Referrals and signposting count households: each below the threshold of 5.
    referrals__low_income=None,  # 3: two vouchers, and "cost of living" mapped onto low income
    referrals__debt=None,
    referrals__benefit_delays=None,
    referrals__benefit_changes=None,
    referrals__child_holiday_hunger=None,
    referrals_by_agency__advice=None,
    referrals_by_agency__health=None,
    referrals_by_agency__school=None,
    referrals_by_agency__jobcentre=None,
    signposting__debt_advice=None,
    signposting__benefits_advice=None,
    signposting__energy_support=None,
    signposting__holiday_activities=None,
)

WEEK_10 = expected(  # 3 to 9 March 2025: counts of people are for months only
    withheld=True,
    needed=STOCK_CATEGORIES,
    parcels__emergency=2,
    parcels__top_up=1,
    parcels__baby=1,
    grams_distributed=28500,
    grams_donated=35000,
)


def test_published_figures_match_hand_count(march, published, runner):
    assert published("2025-03") == MARCH
    assert published("2025-W10") == WEEK_10
    periods = json.loads(runner.invoke("metrics", "--plugin", "foodbank", "--json").output)
    seen = {entry["period"] for entry in periods}
    assert {"2025-02", "2025-03", "2025-04", "2025-W08", "2025-W09", "2025-W10", "2025-W14"} <= seen


def test_every_period_at_once_is_each_period_alone(march, published, runner):
    """`hub metrics` reads each table once by day and rolls the days up to every week and
    month: each period is what asking for it alone gives, and week 14 (31 March to
    6 April) has the donation of 31 March and the parcel of 1 April."""
    answer = runner.invoke("metrics", "--plugin", "foodbank", "--json")
    together = {entry["period"]: entry["metrics"] for entry in json.loads(answer.output)}
    assert together["2025-W14"] == expected(
        withheld=True,
        needed=STOCK_CATEGORIES,
        parcels__emergency=1,
        grams_distributed=7000,
        grams_donated=4000,
    )
    assert together["2025-03"] == MARCH
    assert together == {period: published(period) for period in together}


def test_policy_flags_households_with_many_parcels(march, fb, runner):
    # Policy: 2 parcels in 30 days. On 20 March, household 1 had 20 Feb and 4 March.
    result = runner.invoke("foodbank", "flagged", "--today", "2025-03-20")
    assert result.exit_code == 0, result.output
    code = fb.ok("GET", f"/households/{march[1]}", role="volunteer")["code"]
    assert f"{code}" in result.output
    assert result.output.startswith("1 households")
    # Today, household 8 gets two parcels: the API flags it.
    fb.parcel(household_id=march[8])
    assert not fb.ok("GET", f"/households/{march[8]}", role="volunteer")["flagged"]
    fb.parcel(household_id=march[8], parcel_type="top_up")
    household = fb.ok("GET", f"/households/{march[8]}", role="volunteer")
    assert household["flagged"] and household["parcels_in_window"] == 2
    flagged = fb.ok("GET", "/households?flagged=true", role="coordinator")
    assert [h["id"] for h in flagged["items"]] == [march[8]]


def test_erasure_and_retention_leave_every_figure_unchanged(march, fb, published, runner):
    person = fb.add_person("Aled Morgan", consent=True)
    fb.ok(
        "PATCH",
        f"/households/{march[2]}",
        {"person_id": person, "allergies": "peanuts", "postcode_district": "CF11"},
        role="volunteer",
    )
    before = {
        period: published(period) for period in ("2025-03", "2025-04", "2025-W10", "2025-W14")
    }

    exported = runner.invoke("person", "export", str(person))
    assert exported.exit_code == 0, exported.output
    held = json.loads(exported.output)["plugins"]["foodbank"]["households"]
    assert held[0]["allergies"] == "peanuts"
    assert sorted(v["issued_on"] for v in held[0]["vouchers"]) == ["2025-03-03", "2025-03-30"]
    assert len(held[0]["parcels"]) == 2

    erased = runner.invoke("person", "erase", str(person), "--yes")
    assert erased.exit_code == 0, erased.output
    assert "foodbank" in erased.output
    household = fb.ok("GET", f"/households/{march[2]}", role="volunteer")
    assert household["anonymised"] and household["person_id"] is None
    assert household["allergies"] == "" and household["postcode_district"] == ""
    assert household["code"] != held[0]["code"]
    assert {period: published(period) for period in before} == before

    # Years later every household is past retention: all anonymised, figures the same.
    kept = runner.invoke("retention", "--today", "2031-01-01")
    assert kept.exit_code == 0, kept.output
    assert "foodbank 7" in kept.output
    assert fb.ok("GET", "/households", role="coordinator")["total"] == 0
    assert {period: published(period) for period in before} == before
