"""The food bank's settings and their defaults, in one place.

An admin overrides them in ``hub.toml`` under ``[foodbank]``, for example::

    [foodbank]
    policy_parcels = 4
    policy_days = 90
    [foodbank.referral_reasons]
    low_income = "Low income"
    cost_of_living = "Cost of living"
    [foodbank.referral_reason_codes]
    cost_of_living = "low_income"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, fields, validate

from hub.plugin_api import plugin_settings
from hub_foodbank import codes


def _grams_by_code(default: dict[str, int]) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(),
        values=fields.Integer(strict=True, validate=validate.Range(min=0)),
        load_default=lambda: dict(default),
    )


def _days(default: int) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1), load_default=default)


class SettingsSchema(Schema):
    """Every setting with its type and default (the ``hub_settings`` hook)."""

    # The reasons offered on vouchers: code -> the group's own label.
    referral_reasons = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        load_default=lambda: dict(codes.REFERRAL_REASONS),
    )
    # A group's own reason codes mapped onto the published codelist (unmapped: "other").
    referral_reason_codes = fields.Dict(
        keys=fields.String(), values=fields.String(), load_default=dict
    )
    voucher_valid_days = _days(14)
    # Flag a household that has had this many parcels within this many days.
    policy_parcels = fields.Integer(strict=True, validate=validate.Range(min=1), load_default=3)
    policy_days = _days(180)
    # Pre-filled parcel weights: a fixed part plus a part per person fed.
    parcel_grams_base = _grams_by_code(
        {"emergency": 4000, "top_up": 2000, "baby": 3000, "hygiene": 1500, "dietary": 3000}
    )
    parcel_grams_per_person = _grams_by_code(
        {"emergency": 3000, "top_up": 1500, "baby": 0, "hygiene": 300, "dietary": 2500}
    )
    # How a parcel's weight is drawn from stock, in percent of its weight per category.
    parcel_contents = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(
            keys=fields.String(),
            values=fields.Integer(strict=True, validate=validate.Range(min=0, max=100)),
        ),
        load_default=lambda: {
            "emergency": {
                "tinned_veg": 20,
                "tinned_meat_fish": 15,
                "pasta_rice": 20,
                "cereal": 10,
                "tinned_fruit": 10,
                "soup_sauces": 10,
                "milk_drinks": 10,
                "snacks": 5,
            },
            "top_up": {"tinned_veg": 30, "pasta_rice": 30, "soup_sauces": 20, "milk_drinks": 20},
            "baby": {"baby": 100},
            "hygiene": {"toiletries": 100},
            "dietary": {"tinned_veg": 35, "pasta_rice": 25, "tinned_fruit": 20, "other": 20},
        },
    )
    low_stock_grams = _grams_by_code(dict.fromkeys(codes.STOCK_CATEGORIES, 25_000))
    expiry_warning_days = _days(21)
    # Households with no parcel for this long are anonymised.
    retention_days = _days(1095)


@dataclass(frozen=True)
class Settings:
    values: dict[str, Any]

    @property
    def reasons(self) -> dict[str, str]:
        return dict(self.values["referral_reasons"])

    def published_reason(self, code: str) -> str:
        """The codelist code a group's reason is counted under."""
        if code in codes.REFERRAL_REASONS:
            return code
        mapped = self.values["referral_reason_codes"].get(code, "other")
        return mapped if mapped in codes.REFERRAL_REASONS else "other"

    def reason_code_for(self, text: str) -> str | None:
        """A reason code from a code or a label, ignoring case (imports, forms)."""
        wanted = text.strip().lower()
        for code, label in self.reasons.items():
            if wanted in (code.lower(), label.lower()):
                return code
        return None

    def default_weight(self, parcel_type: str, people: int) -> int:
        base = int(self.values["parcel_grams_base"].get(parcel_type, 0))
        per_person = int(self.values["parcel_grams_per_person"].get(parcel_type, 0))
        return base + per_person * people

    def contents(self, parcel_type: str) -> dict[str, int]:
        return {k: int(v) for k, v in self.values["parcel_contents"].get(parcel_type, {}).items()}

    def low_stock(self, category: str) -> int:
        return int(self.values["low_stock_grams"].get(category, 0))

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


def current() -> Settings:
    return Settings(plugin_settings("foodbank"))
