"""The ORDS product categories' labels, marked for the catalogue.

The data file (``data/OpenRepairData_v0.3_Product_Categories.csv``) holds them in
English, as ORDS publishes them, and exports keep that spelling; pages show them in
the reader's language. A test checks this lists every label of the file.
"""

from __future__ import annotations

from hub_repaircafe.i18n import N_

LABELS = (
    N_("Aircon/dehumidifier"),
    N_("Battery/charger/adapter"),
    N_("Decorative or safety lights"),
    N_("Desktop computer"),
    N_("Digital compact camera"),
    N_("DSLR/video camera"),
    N_("Fan"),
    N_("Flat screen"),
    N_("Hair & beauty item"),
    N_("Handheld entertainment device"),
    N_("Headphones"),
    N_("Hi-Fi integrated"),
    N_("Hi-Fi separates"),
    N_("Kettle"),
    N_("Lamp"),
    N_("Laptop"),
    N_("Large home electrical"),
    N_("Misc"),
    N_("Mobile"),
    N_("Musical instrument"),
    N_("Paper shredder"),
    N_("PC accessory"),
    N_("Portable radio"),
    N_("Power tool"),
    N_("Printer/scanner"),
    N_("Projector"),
    N_("Sewing machine"),
    N_("Small home electrical"),
    N_("Small kitchen item"),
    N_("Tablet"),
    N_("Toaster"),
    N_("Toy"),
    N_("TV and gaming-related accessories"),
    N_("Vacuum"),
    N_("Watch/clock"),
    N_("Coffee maker"),
    N_("Food processor"),
    N_("Games console"),
    N_("Hair dryer"),
    N_("Iron"),
)
