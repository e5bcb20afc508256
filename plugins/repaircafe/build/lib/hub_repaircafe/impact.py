"""Weights and emission factors per ORDS category: shipped defaults, admin overrides."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub_repaircafe.codes import categories
from hub_repaircafe.models import CategoryImpact

DEFAULT_SOURCE = "shipped default (docs/repaircafe.md)"


@dataclass(frozen=True)
class ImpactRow:
    category_id: int
    label: str
    weight_g: int
    co2e_g_per_kg: int
    source: str
    overridden: bool


def impact_rows(session: Session) -> list[ImpactRow]:
    """Every category's factors, an admin's override winning over the shipped default."""
    overrides = {row.product_category_id: row for row in session.scalars(select(CategoryImpact))}
    rows = []
    for category in categories().values():
        override = overrides.get(category.id)
        if override is None:
            rows.append(
                ImpactRow(
                    category.id,
                    category.label,
                    category.weight_g,
                    category.co2e_g_per_kg,
                    DEFAULT_SOURCE,
                    False,
                )
            )
        else:
            rows.append(
                ImpactRow(
                    category.id,
                    category.label,
                    override.weight_g,
                    override.co2e_g_per_kg,
                    override.source,
                    True,
                )
            )
    return rows


def impact_table(session: Session) -> dict[int, tuple[int, int]]:
    """category id -> (average weight in grams, grams CO2e avoided per kg)."""
    return {row.category_id: (row.weight_g, row.co2e_g_per_kg) for row in impact_rows(session)}


def set_impact(
    session: Session, category_id: int, weight_g: int, co2e_g_per_kg: int, source: str
) -> None:
    """Override a category's factors; setting them back to the defaults drops the override."""
    default = categories()[category_id]
    existing = session.get(CategoryImpact, category_id)
    if (weight_g, co2e_g_per_kg) == (default.weight_g, default.co2e_g_per_kg):
        if existing is not None:
            session.delete(existing)
        return
    if existing is None:
        existing = CategoryImpact(product_category_id=category_id)
        session.add(existing)
    existing.weight_g = weight_g
    existing.co2e_g_per_kg = co2e_g_per_kg
    existing.source = source
