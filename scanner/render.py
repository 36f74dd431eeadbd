"""Rows to people (rich tables) and to scripts (JSON, CSV)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from scanner.collector import without_collector
from scanner.money import cents
from scanner.reports import GAINS, Shape, qty, when
from scanner.types import Disposal

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_CHARS = frozenset(_FORMULA_START)
_NUMERIC_FIELDS = {"quantity", "usd_value", "proceeds_usd", "cost_basis_usd", "gain_usd", "usd",
                   "tax_saved_usd", "gas_usd_estimate",
                   "price_usd", "value_usd", "unrealized_usd", "ledger_balance",
                   "chain_balance", "difference"}
_HEXES = {"tx_hash", "wallet", "counterparty", "origin_tx"}
_DATES = {"acquired", "disposed"}
_TABLE_QUANTUM = Decimal("1e-8")


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def to_json(rows: Sequence[dict[str, Any]]) -> str:
    return json.dumps(list(rows), indent=2, ensure_ascii=False)


def _csv_cell(field: str, value: Any) -> Any:
    if value is None:
        return ""
    if value.__class__ is bool:
        return "true" if value else "false"
    if value.__class__ is not str:
        value = str(value)
    if field not in _NUMERIC_FIELDS and value.startswith(_FORMULA_START):
        return "'" + value  # a spreadsheet must not run a token's name as a formula
    return value


@without_collector
def to_csv(rows: Sequence[dict[str, Any]], fields: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(fields)
    text = [f not in _NUMERIC_FIELDS for f in fields]
    for row in rows:
        cells = [row.get(f) for f in fields]
        # the common cells (numbers, and text that starts harmlessly) go to csv as they are
        if any(c is not None and (c.__class__ is not str or (t and c[:1] in _FORMULA_CHARS))
               for c, t in zip(cells, text, strict=True)):
            cells = [_csv_cell(f, c) for f, c in zip(fields, cells, strict=True)]
        writer.writerow(cells)
    return buffer.getvalue()


@without_collector
def gains_to_csv(disposals: Iterable[Disposal]) -> str:
    """`to_csv(gains_rows(disposals), GAINS.fields)`, the same text, made without the row
    dicts: a gains report can be a million rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(GAINS.fields)
    write = writer.writerow
    guarded: dict[str, str] = {}

    def text(value: str | None) -> str:
        if value is None:
            return ""
        cell = guarded.get(value)
        if cell is None:
            cell = guarded[value] = _csv_cell("", value)
        return cell

    for d in disposals:
        proceeds = None if d.proceeds_usd is None else cents(d.proceeds_usd)
        basis = None if d.cost_basis_usd is None else cents(d.cost_basis_usd)
        disallowed = cents(d.disallowed_loss_usd) if d.disallowed_loss_usd else None
        gain = "" if proceeds is None or basis is None else \
            proceeds - basis + (disallowed or 0)
        term = d.term
        write((text(d.asset), text(d.symbol), text(d.wallet), qty(d.quantity),
               when(d.acquired) or "", when(d.disposed), "" if proceeds is None else proceeds,
               "" if basis is None else basis, gain, "" if term is None else term.value,
               text(d.tx_hash), text(d.lot_id), d.kind.value, text(d.rule or None),
               "" if disallowed is None else disallowed))
    return buffer.getvalue()


def _for_people(field: str, value: str) -> str:
    """Shorter cells for a terminal: JSON and CSV keep the full values."""
    if field in _HEXES and len(value) > 14:
        return value[:6] + "…" + value[-4:]
    if field in _DATES:
        return value[:10]
    if field == "timestamp":
        return value[:16].replace("T", " ")
    if field in ("quantity", "price_usd", "ledger_balance", "chain_balance", "difference"):
        rounded = Decimal(value).quantize(_TABLE_QUANTUM).normalize()
        return format(rounded, "f") + ("…" if rounded != Decimal(value) else "")
    return value


def to_table(rows: Sequence[dict[str, Any]], fields: Sequence[str], title: str) -> Table:
    table = Table(title=title, show_lines=False, header_style="bold")
    for field in fields:
        table.add_column(field, justify="right" if field in _NUMERIC_FIELDS else "left",
                         overflow="fold")
    for row in rows:
        cells = []
        for field in fields:
            value = row.get(field)
            if value is None:
                text = "unknown" if field in _NUMERIC_FIELDS else ""
            elif isinstance(value, bool):
                text = "yes" if value else "no"
            else:
                text = _for_people(field, str(value))
            cells.append(Text(text))  # Text, not markup: token names are untrusted
        table.add_row(*cells)
    return table


def emit(console: Console, rows: Sequence[dict[str, Any]], shape: Shape, fmt: Format,
         title: str) -> None:
    if fmt is Format.JSON:
        console.file.write(to_json(rows) + "\n")
    elif fmt is Format.CSV:
        console.file.write(to_csv(rows, shape.fields))
    else:
        console.print(to_table(rows, shape.table, title))
