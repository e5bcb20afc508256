"""The codelists the time bank publishes by: what a network adds up across towns.

A group may name its own skill categories (``[skillshare.categories]`` in ``hub.toml``)
as long as each maps onto one of these (``[skillshare.category_codes]``); the README
lists them.
"""

from __future__ import annotations

from hub_skillshare.i18n import N_

# Network skill categories: what members offer and ask for, and what exchanges were for.
CATEGORIES = {
    "care": N_("Care and companionship"),
    "household": N_("Household jobs and DIY"),
    "garden": N_("Gardening and outdoors"),
    "transport": N_("Lifts, errands and shopping"),
    "tech": N_("Computers and phones"),
    "learning": N_("Teaching, tutoring and languages"),
    "arts": N_("Arts, crafts and music"),
    "wellbeing": N_("Health and wellbeing"),
    "food": N_("Cooking and food"),
    "admin": N_("Forms, letters and paperwork"),
    "children": N_("Children and families"),
    "pets": N_("Pets and animals"),
    "community": N_("Community work and events"),
    "other": N_("Other"),
}

# Kinds of account in the ledger (a peer account is another time bank's, for exchanges
# between banks: docs/skillshare.md).
ACCOUNT_KINDS = ("member", "bank", "peer")

# What happens to an exchange: recorded and waiting, or decided.
EXCHANGE_STATES = {
    "pending": N_("Waiting for confirmation"),
    "confirmed": N_("Confirmed"),
    "declined": N_("Declined"),
    "expired": N_("Expired unconfirmed"),
}

# Where a member stands with the time bank.
MEMBER_STATUSES = {
    "pending": N_("Asked to join"),
    "active": N_("Active"),
    "left": N_("Left"),
    "refused": N_("Refused"),
}

# The skills members offer and ask for, each counted under a network category.
SKILLS = {
    "befriending": (N_("Befriending and visits"), "care"),
    "sitting": (N_("Sitting with someone"), "care"),
    "diy": (N_("Small repairs and DIY"), "household"),
    "decorating": (N_("Decorating"), "household"),
    "cleaning": (N_("Cleaning and tidying"), "household"),
    "gardening": (N_("Gardening"), "garden"),
    "allotment": (N_("Allotment and growing food"), "garden"),
    "lifts": (N_("Lifts"), "transport"),
    "shopping": (N_("Shopping and errands"), "transport"),
    "computers": (N_("Computers and the internet"), "tech"),
    "phones": (N_("Phones and tablets"), "tech"),
    "tutoring": (N_("Tutoring and homework"), "learning"),
    "languages": (N_("Languages and conversation"), "learning"),
    "music": (N_("Music lessons"), "arts"),
    "sewing": (N_("Sewing and mending clothes"), "arts"),
    "crafts": (N_("Crafts and knitting"), "arts"),
    "walking": (N_("Walking and exercise"), "wellbeing"),
    "listening": (N_("A listening ear"), "wellbeing"),
    "cooking": (N_("Cooking and baking"), "food"),
    "forms": (N_("Forms and letters"), "admin"),
    "translation": (N_("Translation"), "admin"),
    "childcare": (N_("Childcare and school runs"), "children"),
    "pets": (N_("Pet care and dog walking"), "pets"),
    "events": (N_("Helping at events"), "community"),
    "other": (N_("Something else"), "other"),
}
SKILL_LABELS = {code: label for code, (label, _category) in SKILLS.items()}
SKILL_CATEGORY = {code: category for code, (_label, category) in SKILLS.items()}

LISTING_KINDS = {"offer": N_("I can offer"), "request": N_("I would like help with")}
# When someone is usually free: a listing's availability is any of these.
AVAILABILITY = {
    "weekday_mornings": N_("Weekday mornings"),
    "weekday_afternoons": N_("Weekday afternoons"),
    "weekday_evenings": N_("Weekday evenings"),
    "weekends": N_("Weekends"),
}
