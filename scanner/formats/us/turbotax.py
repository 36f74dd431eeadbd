"""TurboTax's crypto gains CSV: one row per disposal of the tax year.

    Currency Name,Purchase Date,Cost Basis,Date Sold,Proceeds

Dates MM/DD/YYYY (UTC), USD in cents (half up). The same disposals as Form 8949, in date
sold order, and the same refusal of unknown figures (`form8949.known_disposals`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from scanner.formats.us.form8949 import amount_text, known_disposals, text_cell, us_date
from scanner.tax.records import Disposal

HEADER = ("Currency Name", "Purchase Date", "Cost Basis", "Date Sold", "Proceeds")


def turbotax_csv(disposals: Iterable[Disposal], year: int) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for known in known_disposals(disposals, year):
        writer.writerow([text_cell(known.name), us_date(known.acquired),
                         amount_text(known.cost), us_date(known.disposed),
                         amount_text(known.proceeds)])
    return buffer.getvalue()
