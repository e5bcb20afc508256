"""The tool library's permissions: who sees, who lends, who approves and manages."""

from __future__ import annotations

from hub.plugin_api import Permission

VIEW = "toollibrary.view"
MEMBERS = "toollibrary.members"
LEND = "toollibrary.lend"
APPROVE = "toollibrary.approve"
MANAGE = "toollibrary.manage"

PERMISSIONS = (
    Permission(
        VIEW,
        "See the catalogue, loans and the tool library's figures (no names)",
        ("coordinator", "volunteer", "viewer"),
    ),
    Permission(
        MEMBERS,
        "See members and their contact details (personal data)",
        ("coordinator", "volunteer"),
    ),
    Permission(
        LEND,
        "Check items out and in, take applications, place holds and reservations, "
        "open maintenance tickets",
        ("coordinator", "volunteer"),
    ),
    Permission(
        APPROVE,
        "Approve members and renewal requests, lend restricted items",
        ("coordinator",),
    ),
    Permission(
        MANAGE,
        "Edit the catalogue and membership types, backdate loans and returns, import",
        ("coordinator",),
    ),
)
