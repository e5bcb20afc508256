"""What plugins contribute to the web shell: navigation entries and dashboard panels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NavItem:
    """A navigation entry; hidden from users without ``permission``.

    ``endpoint`` names a page (``"foodbank.index"``); an entry naming no page is
    left out and reported on the admin's plugins page. Entries are sorted by
    ``order``, then label; the core's run 0 (Dashboard) to 20 (Locations) and
    800 upwards (Network, Admin, Account), so plugins fit between 30 and 799.

    ``quick`` marks a plugin's quick log (the form used most at a session): it is
    also a button at the top of the home page and on every page's header, outside
    the menu, so a volunteer on a phone reaches it in one tap (since plugin API 1.2).
    """

    label: str
    endpoint: str
    permission: str | None = None
    order: int = 100
    quick: bool = False


@dataclass
class Panel:
    """A dashboard panel: ``template`` rendered with ``context``.

    The template sees each ``context`` key as a variable, the panel itself as
    ``panel``, and the shell's variables (``current_user``, ``can(permission)``,
    ``today``). It is a fragment placed under the panel's heading, not a page.
    A panel whose template fails to render is left out, logged, and listed on
    the admin's plugins page; the dashboard still renders.
    """

    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    permission: str | None = None
    order: int = 100
