"""What plugins contribute to the web shell: navigation entries and dashboard panels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NavItem:
    """A navigation entry; hidden from users without ``permission``."""

    label: str
    endpoint: str
    permission: str | None = None
    order: int = 100


@dataclass
class Panel:
    """A dashboard panel: ``template`` rendered with ``context``."""

    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    permission: str | None = None
    order: int = 100
