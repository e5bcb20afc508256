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
    """

    label: str
    endpoint: str
    permission: str | None = None
    order: int = 100


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
