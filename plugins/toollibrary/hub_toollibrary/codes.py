"""The tool library's codelists: item categories and the network categories they add up to.

A library files its things under the detailed categories volunteers know (a drill, a
wallpaper steamer); a network reports on the broad ones every town has, so each item
category maps onto exactly one network category. Published figures are by network
category code (README.md lists both lists).
"""

from __future__ import annotations

from hub_toollibrary.i18n import N_

# The network's shared taxonomy of things lent: what every figure is broken down by.
NETWORK_CATEGORIES = {
    "power_tools": N_("Power tools"),
    "hand_tools": N_("Hand tools"),
    "garden": N_("Garden and outdoor"),
    "decorating": N_("Decorating and cleaning"),
    "kitchen": N_("Kitchen and home"),
    "camping": N_("Camping, sport and leisure"),
    "events": N_("Events and parties"),
    "electronics": N_("Electronics, audio and video"),
    "crafts": N_("Crafts and sewing"),
    "mobility": N_("Children and mobility"),
    "other": N_("Other"),
}

# Item category code -> (label, network category code).
ITEM_CATEGORIES: dict[str, tuple[str, str]] = {
    "drills": (N_("Drills and drivers"), "power_tools"),
    "saws_power": (N_("Power saws"), "power_tools"),
    "sanders": (N_("Sanders and grinders"), "power_tools"),
    "power_other": (N_("Other power tools"), "power_tools"),
    "hand_saws": (N_("Hand saws"), "hand_tools"),
    "spanners": (N_("Spanners, sockets and clamps"), "hand_tools"),
    "measuring": (N_("Measuring and levels"), "hand_tools"),
    "ladders": (N_("Ladders and access"), "hand_tools"),
    "hand_other": (N_("Other hand tools"), "hand_tools"),
    "lawn": (N_("Mowers and strimmers"), "garden"),
    "garden_hand": (N_("Garden hand tools"), "garden"),
    "hedge": (N_("Hedge trimmers and pruners"), "garden"),
    "pressure_washers": (N_("Pressure washers"), "garden"),
    "carpet_cleaners": (N_("Carpet cleaners and vacuums"), "decorating"),
    "wallpaper": (N_("Wallpaper steamers and strippers"), "decorating"),
    "painting": (N_("Painting and decorating"), "decorating"),
    "kitchen": (N_("Kitchen appliances"), "kitchen"),
    "preserving": (N_("Preserving and baking"), "kitchen"),
    "home_other": (N_("Other household"), "kitchen"),
    "camping": (N_("Tents and camping"), "camping"),
    "sport": (N_("Sport and games"), "camping"),
    "party": (N_("Party and catering"), "events"),
    "gazebos": (N_("Gazebos and tables"), "events"),
    "audio_visual": (N_("Audio and projectors"), "electronics"),
    "electronics_tools": (N_("Electronics and testing"), "electronics"),
    "sewing": (N_("Sewing machines and crafts"), "crafts"),
    "children": (N_("Children's things"), "mobility"),
    "mobility": (N_("Mobility aids"), "mobility"),
    "other": (N_("Other"), "other"),
}

CATEGORY_LABELS = {code: label for code, (label, _network) in ITEM_CATEGORIES.items()}


def network_category(code: str) -> str:
    return ITEM_CATEGORIES.get(code, ("", "other"))[1]


CONDITIONS = {
    "new": N_("As new"),
    "good": N_("Good"),
    "fair": N_("Fair: signs of use"),
    "worn": N_("Worn: works, needs care"),
}

TICKET_STATUSES = {
    "open": N_("Open"),
    "in_repair": N_("Being repaired"),
    "waiting_parts": N_("Waiting for parts"),
    "closed": N_("Closed: back in circulation"),
    "retired": N_("Closed: item retired"),
}
OPEN_TICKET_STATUSES = ("open", "in_repair", "waiting_parts")

MEMBER_STATUSES = {
    "applied": N_("Applied: waiting for approval"),
    "approved": N_("Approved"),
    "refused": N_("Refused"),
    "suspended": N_("Suspended"),
}

HOLD_STATUSES = {
    "waiting": N_("Waiting in the queue"),
    "ready": N_("Ready to collect"),
    "collected": N_("Collected"),
    "expired": N_("Expired: not collected"),
    "cancelled": N_("Cancelled"),
}
OPEN_HOLD_STATUSES = ("waiting", "ready")

RENEWAL_STATUSES = {
    "approved": N_("Renewed"),
    "requested": N_("Requested: waiting for a coordinator"),
    "refused": N_("Refused"),
}

RESERVATION_STATUSES = {
    "booked": N_("Booked"),
    "collected": N_("Collected"),
    "cancelled": N_("Cancelled"),
}

REMINDER_KINDS = {"due_soon": N_("Due soon"), "overdue": N_("Overdue")}
