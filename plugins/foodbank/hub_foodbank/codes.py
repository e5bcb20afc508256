"""The food bank's codelists: the codes every instance publishes under.

A group may relabel reasons or add its own (see ``referral_reasons`` and
``referral_reason_codes`` in the settings), but every figure it publishes is
counted under one of these codes, so a network adds up like with like. The
referral reasons follow the categories UK food banks commonly record on
vouchers (Trussell and IFAN networks).
"""

from __future__ import annotations

from hub_foodbank.i18n import N_

PARCEL_TYPES: dict[str, str] = {
    "emergency": N_("Emergency parcel"),
    "top_up": N_("Top-up parcel"),
    "baby": N_("Baby parcel"),
    "hygiene": N_("Hygiene parcel"),
    "dietary": N_("Dietary parcel"),
}

REFERRAL_REASONS: dict[str, str] = {
    "low_income": N_("Low income"),
    "benefit_delays": N_("Benefit delays"),
    "benefit_changes": N_("Benefit changes"),
    "debt": N_("Debt"),
    "sickness": N_("Sickness or ill health"),
    "homelessness": N_("Homelessness"),
    "domestic_abuse": N_("Domestic abuse"),
    "child_holiday_hunger": N_("Child holiday hunger"),
    "nrpf": N_("No recourse to public funds"),
    "delayed_wages": N_("Delayed wages"),
    "refused_crisis_loan": N_("Refused short-term benefit advance"),
    "other": N_("Other"),
}

AGENCY_TYPES: dict[str, str] = {
    "advice": N_("Advice service (e.g. Citizens Advice)"),
    "health": N_("Health (GP, health visitor, mental health team)"),
    "school": N_("School or children's centre"),
    "housing": N_("Housing officer or association"),
    "jobcentre": N_("Jobcentre Plus"),
    "social_services": N_("Social services"),
    "charity": N_("Charity or community group"),
    "faith": N_("Faith group"),
    "council": N_("Council service"),
    "other": N_("Other"),
}

SIGNPOSTING: dict[str, str] = {
    "debt_advice": N_("Debt advice"),
    "benefits_advice": N_("Benefits advice"),
    "energy_support": N_("Energy support"),
    "housing_advice": N_("Housing advice"),
    "mental_health": N_("Mental health support"),
    "employment": N_("Employment support"),
    "holiday_activities": N_("Holiday activities and food"),
    "other": N_("Other"),
}

DONOR_TYPES: dict[str, str] = {
    "public": N_("Public"),
    "supermarket": N_("Supermarket"),
    "redistribution": N_("Food redistribution charity"),
    "business": N_("Business"),
    "faith_group": N_("Faith group"),
}

STOCK_CATEGORIES: dict[str, str] = {
    "tinned_veg": N_("Tinned vegetables and beans"),
    "tinned_meat_fish": N_("Tinned meat and fish"),
    "pasta_rice": N_("Pasta, rice and noodles"),
    "cereal": N_("Cereal and porridge"),
    "tinned_fruit": N_("Tinned fruit and puddings"),
    "soup_sauces": N_("Soup and sauces"),
    "milk_drinks": N_("UHT milk, tea and coffee"),
    "snacks": N_("Biscuits and snacks"),
    "toiletries": N_("Toiletries and hygiene"),
    "baby": N_("Baby food and nappies"),
    "other": N_("Other"),
}

DIETARY_NEEDS: dict[str, str] = {
    "vegetarian": N_("Vegetarian"),
    "vegan": N_("Vegan"),
    "halal": N_("Halal"),
    "kosher": N_("Kosher"),
    "gluten_free": N_("Gluten free"),
    "diabetic": N_("Diabetic"),
    "no_cooking": N_("No cooking facilities (kettle only)"),
}

CHILD_AGE_BANDS: dict[str, str] = {
    "children_0_4": N_("Children 0-4"),
    "children_5_11": N_("Children 5-11"),
    "children_12_17": N_("Children 12-17"),
}

DELIVERY_METHODS: dict[str, str] = {"collected": N_("Collected"), "delivered": N_("Delivered")}
