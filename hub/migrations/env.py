"""Alembic environment shared by the core and every plugin.

:mod:`hub.migrate` passes the connection, the component's version table and the
tables it owns; autogenerate then compares only those tables, so a plugin's
revision never touches the core's tables or another plugin's.
"""

from alembic import context

from hub.db import Model, UTCDateTime
from hub.migrate import only_tables

config = context.config
# The core's migrations may use its modules; a plugin's name only hub.plugin_api.
TYPES_FROM = "hub.db" if config.attributes.get("component") == "core" else "plugin_api"


def render_item(type_, obj, autogen_context):
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return f"{TYPES_FROM}.UTCDateTime(timezone=True)"
    return False  # Alembic's own rendering


context.configure(
    connection=config.attributes["connection"],
    render_item=render_item,
    target_metadata=Model.metadata,
    version_table=config.attributes["version_table"],
    include_object=only_tables(config.attributes["owned_tables"]),
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
