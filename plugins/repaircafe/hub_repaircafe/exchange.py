"""The repair café's import and export formats: ORDS CSV both ways (:mod:`.ords`) and the
iCalendar feed of its public events (:mod:`.ical`)."""

from __future__ import annotations

from hub import plugin_api as api
from hub_repaircafe import ical, ords

IMPORTERS = (
    api.Importer("ords", "Open Repair Data Standard v0.3 CSV (repair records)", ords.read),
)
EXPORTERS = (
    api.Exporter(
        "ords",
        "Open Repair Data Standard v0.3 CSV of every counted repair record, to share",
        "text/csv",
        ords.write,
    ),
    api.Exporter(
        "ords-complete",
        "Every repair record as ORDS CSV, voided ones marked in two more columns "
        "(void, void_reason): the whole record, to keep",
        "text/csv",
        ords.write_complete,
    ),
    api.Exporter(
        "repaircafe-ical",
        "Upcoming public repair café events as iCalendar",
        "text/calendar",
        ical.write,
        extension="ics",
    ),
)
