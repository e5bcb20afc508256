"""The codelists the time bank publishes by: what a network adds up across towns.

A group may name its own skill categories (``[skillshare.categories]`` in ``hub.toml``)
as long as each maps onto one of these (``[skillshare.category_codes]``); the README
lists them.
"""

from __future__ import annotations

# Network skill categories: what members offer and ask for, and what exchanges were for.
CATEGORIES = {
    "care": "Care and companionship",
    "household": "Household jobs and DIY",
    "garden": "Gardening and outdoors",
    "transport": "Lifts, errands and shopping",
    "tech": "Computers and phones",
    "learning": "Teaching, tutoring and languages",
    "arts": "Arts, crafts and music",
    "wellbeing": "Health and wellbeing",
    "food": "Cooking and food",
    "admin": "Forms, letters and paperwork",
    "children": "Children and families",
    "pets": "Pets and animals",
    "community": "Community work and events",
    "other": "Other",
}

# Kinds of account in the ledger (a peer account is another time bank's, for exchanges
# between banks: docs/skillshare.md).
ACCOUNT_KINDS = ("member", "bank", "peer")

# What happens to an exchange: recorded and waiting, or decided.
EXCHANGE_STATES = {
    "pending": "Waiting for confirmation",
    "confirmed": "Confirmed",
    "declined": "Declined",
    "expired": "Expired unconfirmed",
}
