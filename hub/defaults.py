"""The core's own navigation, permissions and pages, contributed through the same
hooks as a plugin's (as datasette registers its defaults), as the plugin ``core``.

They are ``trylast``, so a plugin's implementations run first, and a plugin can
add to them, or wrap the hook (``@api.hookimpl(wrapper=True)``) to reorder or
hide the core's entries. ``hub plugins --all`` lists this plugin.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint

from hub import auth, web
from hub.i18n import lazy_gettext as _l
from hub.plugin_api import Permission, hookimpl
from hub.shell import NavItem

# Kept here rather than with the core's other permissions: it belongs to its page.
SETTINGS = Permission(
    "settings.edit",
    "Change services' settings in pages (referral reasons, parcel weights, stock levels...)",
    ("coordinator",),
)

NAVIGATION = (
    NavItem(_l("Dashboard"), "shell.dashboard", None, order=0),
    NavItem(_l("People"), "people.index", "people.view", order=10),
    NavItem(_l("Locations"), "locations.index", "locations.view", order=20),
    NavItem(_l("Figures to approve"), "approvals.index", "metrics.approve", order=790),
    NavItem(_l("Network"), "federation_pages.network", "metrics.view", order=800),
    NavItem(_l("Settings"), "settings.index", "settings.edit", order=890),
    # Every admin page needs an admin-only permission; the index lists those a user has.
    NavItem(_l("Admin"), "admin.index", "users.manage", order=900),
    NavItem(_l("Account"), "account.index", None, order=950),
)


@hookimpl(trylast=True)
def hub_nav_items() -> Iterable[NavItem]:
    return list(NAVIGATION)


@hookimpl(trylast=True)
def hub_permissions() -> Iterable[Permission]:
    return [*auth.CORE_PERMISSIONS, SETTINGS]


@hookimpl(trylast=True)
def hub_blueprints() -> Iterable[Blueprint]:
    return list(web.BLUEPRINTS)
