"""The repair café's settings, with their types and defaults (``[repaircafe]`` in
``hub.toml``; ``plugin_settings("repaircafe")`` reads them)."""

from __future__ import annotations

from marshmallow import Schema, fields


class SettingsSchema(Schema):
    # Empty data_provider and group_identifier fall back to the instance's name;
    # an empty id_prefix is made from the data provider's letters.
    data_provider = fields.String(load_default="")
    group_identifier = fields.String(load_default="")
    country = fields.String(load_default="GBR")
    id_prefix = fields.String(load_default="")
    timezone = fields.String(load_default="Europe/London")
