"""The tool library's codelists: item categories and the network categories they add up to.

A library files its things under the detailed categories volunteers know (a drill, a
wallpaper steamer); a network reports on the broad ones every town has, so each item
category maps onto exactly one network category. Published figures are by network
category code (README.md lists both lists).
"""

from __future__ import annotations

# The network's shared taxonomy of things lent: what every figure is broken down by.
NETWORK_CATEGORIES = {
    "power_tools": "Power tools",
    "hand_tools": "Hand tools",
    "garden": "Garden and outdoor",
    "decorating": "Decorating and cleaning",
    "kitchen": "Kitchen and home",
    "camping": "Camping, sport and leisure",
    "events": "Events and parties",
    "electronics": "Electronics, audio and video",
    "crafts": "Crafts and sewing",
    "mobility": "Children and mobility",
    "other": "Other",
}

# Item category code -> (label, network category code).
ITEM_CATEGORIES: dict[str, tuple[str, str]] = {
    "drills": ("Drills and drivers", "power_tools"),
    "saws_power": ("Power saws", "power_tools"),
    "sanders": ("Sanders and grinders", "power_tools"),
    "power_other": ("Other power tools", "power_tools"),
    "hand_saws": ("Hand saws", "hand_tools"),
    "spanners": ("Spanners, sockets and clamps", "hand_tools"),
    "measuring": ("Measuring and levels", "hand_tools"),
    "ladders": ("Ladders and access", "hand_tools"),
    "hand_other": ("Other hand tools", "hand_tools"),
    "lawn": ("Mowers and strimmers", "garden"),
    "garden_hand": ("Garden hand tools", "garden"),
    "hedge": ("Hedge trimmers and pruners", "garden"),
    "pressure_washers": ("Pressure washers", "garden"),
    "carpet_cleaners": ("Carpet cleaners and vacuums", "decorating"),
    "wallpaper": ("Wallpaper steamers and strippers", "decorating"),
    "painting": ("Painting and decorating", "decorating"),
    "kitchen": ("Kitchen appliances", "kitchen"),
    "preserving": ("Preserving and baking", "kitchen"),
    "home_other": ("Other household", "kitchen"),
    "camping": ("Tents and camping", "camping"),
    "sport": ("Sport and games", "camping"),
    "party": ("Party and catering", "events"),
    "gazebos": ("Gazebos and tables", "events"),
    "audio_visual": ("Audio and projectors", "electronics"),
    "electronics_tools": ("Electronics and testing", "electronics"),
    "sewing": ("Sewing machines and crafts", "crafts"),
    "children": ("Children's things", "mobility"),
    "mobility": ("Mobility aids", "mobility"),
    "other": ("Other", "other"),
}

CATEGORY_LABELS = {code: label for code, (label, _network) in ITEM_CATEGORIES.items()}


def network_category(code: str) -> str:
    return ITEM_CATEGORIES.get(code, ("", "other"))[1]


CONDITIONS = {
    "new": "As new",
    "good": "Good",
    "fair": "Fair: signs of use",
    "worn": "Worn: works, needs care",
}

TICKET_STATUSES = {
    "open": "Open",
    "in_repair": "Being repaired",
    "waiting_parts": "Waiting for parts",
    "closed": "Closed: back in circulation",
    "retired": "Closed: item retired",
}
OPEN_TICKET_STATUSES = ("open", "in_repair", "waiting_parts")

MEMBER_STATUSES = {
    "applied": "Applied: waiting for approval",
    "approved": "Approved",
    "refused": "Refused",
    "suspended": "Suspended",
}

HOLD_STATUSES = {
    "waiting": "Waiting in the queue",
    "ready": "Ready to collect",
    "collected": "Collected",
    "expired": "Expired: not collected",
    "cancelled": "Cancelled",
}
OPEN_HOLD_STATUSES = ("waiting", "ready")

RENEWAL_STATUSES = {
    "approved": "Renewed",
    "requested": "Requested: waiting for a coordinator",
    "refused": "Refused",
}

RESERVATION_STATUSES = {
    "booked": "Booked",
    "collected": "Collected",
    "cancelled": "Cancelled",
}

REMINDER_KINDS = {"due_soon": "Due soon", "overdue": "Overdue"}
