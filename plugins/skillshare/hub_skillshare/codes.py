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

# The skills members offer and ask for, each counted under a network category.
SKILLS = {
    "befriending": ("Befriending and visits", "care"),
    "sitting": ("Sitting with someone", "care"),
    "diy": ("Small repairs and DIY", "household"),
    "decorating": ("Decorating", "household"),
    "cleaning": ("Cleaning and tidying", "household"),
    "gardening": ("Gardening", "garden"),
    "allotment": ("Allotment and growing food", "garden"),
    "lifts": ("Lifts", "transport"),
    "shopping": ("Shopping and errands", "transport"),
    "computers": ("Computers and the internet", "tech"),
    "phones": ("Phones and tablets", "tech"),
    "tutoring": ("Tutoring and homework", "learning"),
    "languages": ("Languages and conversation", "learning"),
    "music": ("Music lessons", "arts"),
    "sewing": ("Sewing and mending clothes", "arts"),
    "crafts": ("Crafts and knitting", "arts"),
    "walking": ("Walking and exercise", "wellbeing"),
    "listening": ("A listening ear", "wellbeing"),
    "cooking": ("Cooking and baking", "food"),
    "forms": ("Forms and letters", "admin"),
    "translation": ("Translation", "admin"),
    "childcare": ("Childcare and school runs", "children"),
    "pets": ("Pet care and dog walking", "pets"),
    "events": ("Helping at events", "community"),
    "other": ("Something else", "other"),
}
SKILL_LABELS = {code: label for code, (label, _category) in SKILLS.items()}
SKILL_CATEGORY = {code: category for code, (_label, category) in SKILLS.items()}

LISTING_KINDS = {"offer": "I can offer", "request": "I would like help with"}
# When someone is usually free: a listing's availability is any of these.
AVAILABILITY = {
    "weekday_mornings": "Weekday mornings",
    "weekday_afternoons": "Weekday afternoons",
    "weekday_evenings": "Weekday evenings",
    "weekends": "Weekends",
}
