"""The food bank's codelists: the codes every instance publishes under.

A group may relabel reasons or add its own (see ``referral_reasons`` and
``referral_reason_codes`` in the settings), but every figure it publishes is
counted under one of these codes, so a network adds up like with like. The
referral reasons follow the categories UK food banks commonly record on
vouchers (Trussell and IFAN networks).
"""

from __future__ import annotations

PARCEL_TYPES: dict[str, str] = {
    "emergency": "Emergency parcel",
    "top_up": "Top-up parcel",
    "baby": "Baby parcel",
    "hygiene": "Hygiene parcel",
    "dietary": "Dietary parcel",
}

REFERRAL_REASONS: dict[str, str] = {
    "low_income": "Low income",
    "benefit_delays": "Benefit delays",
    "benefit_changes": "Benefit changes",
    "debt": "Debt",
    "sickness": "Sickness or ill health",
    "homelessness": "Homelessness",
    "domestic_abuse": "Domestic abuse",
    "child_holiday_hunger": "Child holiday hunger",
    "nrpf": "No recourse to public funds",
    "delayed_wages": "Delayed wages",
    "refused_crisis_loan": "Refused short-term benefit advance",
    "other": "Other",
}

AGENCY_TYPES: dict[str, str] = {
    "advice": "Advice service (e.g. Citizens Advice)",
    "health": "Health (GP, health visitor, mental health team)",
    "school": "School or children's centre",
    "housing": "Housing officer or association",
    "jobcentre": "Jobcentre Plus",
    "social_services": "Social services",
    "charity": "Charity or community group",
    "faith": "Faith group",
    "council": "Council service",
    "other": "Other",
}

SIGNPOSTING: dict[str, str] = {
    "debt_advice": "Debt advice",
    "benefits_advice": "Benefits advice",
    "energy_support": "Energy support",
    "housing_advice": "Housing advice",
    "mental_health": "Mental health support",
    "employment": "Employment support",
    "holiday_activities": "Holiday activities and food",
    "other": "Other",
}

DONOR_TYPES: dict[str, str] = {
    "public": "Public",
    "supermarket": "Supermarket",
    "redistribution": "Food redistribution charity",
    "business": "Business",
    "faith_group": "Faith group",
}

STOCK_CATEGORIES: dict[str, str] = {
    "tinned_veg": "Tinned vegetables and beans",
    "tinned_meat_fish": "Tinned meat and fish",
    "pasta_rice": "Pasta, rice and noodles",
    "cereal": "Cereal and porridge",
    "tinned_fruit": "Tinned fruit and puddings",
    "soup_sauces": "Soup and sauces",
    "milk_drinks": "UHT milk, tea and coffee",
    "snacks": "Biscuits and snacks",
    "toiletries": "Toiletries and hygiene",
    "baby": "Baby food and nappies",
    "other": "Other",
}

DIETARY_NEEDS: dict[str, str] = {
    "vegetarian": "Vegetarian",
    "vegan": "Vegan",
    "halal": "Halal",
    "kosher": "Kosher",
    "gluten_free": "Gluten free",
    "diabetic": "Diabetic",
    "no_cooking": "No cooking facilities (kettle only)",
}

CHILD_AGE_BANDS: dict[str, str] = {
    "children_0_4": "Children 0-4",
    "children_5_11": "Children 5-11",
    "children_12_17": "Children 12-17",
}

DELIVERY_METHODS: dict[str, str] = {"collected": "Collected", "delivered": "Delivered"}
