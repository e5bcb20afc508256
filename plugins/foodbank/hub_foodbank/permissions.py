"""The food bank's permissions: who sees households, who logs parcels, who manages."""

from __future__ import annotations

from hub.plugin_api import Permission

VIEW = "foodbank.view"
HOUSEHOLDS = "foodbank.households"
LOG = "foodbank.log"
MANAGE = "foodbank.manage"
HISTORY = "foodbank.history.view"
LIST = "foodbank.households.list"
EXPORT = "foodbank.households.export"
ERASE = "foodbank.households.erase"

PERMISSIONS = (
    Permission(
        VIEW,
        "See parcels, donations, stock and the food bank's figures (nothing about households)",
        ("coordinator", "volunteer", "viewer"),
    ),
    Permission(
        HOUSEHOLDS,
        "See households and their vouchers (personal data)",
        ("coordinator", "volunteer"),
    ),
    Permission(
        LOG,
        "Register households, issue vouchers, log parcels and record donations",
        ("coordinator", "volunteer"),
    ),
    Permission(
        MANAGE,
        "Manage referral agencies, correct stock and import spreadsheets",
        ("coordinator",),
    ),
    Permission(
        HISTORY,
        "See which household each parcel went to: its visits and the help it was offered",
        ("coordinator", "volunteer"),
    ),
    Permission(
        LIST,
        "List every household (without it, a household is found by its code)",
        ("coordinator",),
    ),
    # As for a person in the registry (people.export, people.erase): admins only.
    Permission(EXPORT, "Export everything held about a household (subject access)", ()),
    Permission(ERASE, "Erase a household's personal data on request", ()),
)
