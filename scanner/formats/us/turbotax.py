"""TurboTax's crypto gains CSV: one row per disposal of the tax year.

    Currency Name,Purchase Date,Cost Basis,Date Sold,Proceeds

Dates MM/DD/YYYY (UTC), USD in cents. The same disposals and figures as Form 8949 (a sale's
proceeds and basis rounded once and shared by its rows), in date sold order, and the same
refusal of unknown figures (`form8949.known_disposals`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from scanner.formats.us.form8949 import (
    amount_text,
    asset_name,
    known_disposals,
    text_cell,
    us_date,
)
from scanner.tax.records import Disposal

HEADER = ("Currency Name", "Purchase Date", "Cost Basis", "Date Sold", "Proceeds")


def turbotax_csv(disposals: Iterable[Disposal], year: int) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for sale in known_disposals(disposals, year):
        writer.writerow([text_cell(asset_name(sale.disposal)), us_date(sale.acquired),
                         amount_text(sale.cost), us_date(sale.disposed),
                         amount_text(sale.proceeds)])
    return buffer.getvalue()
