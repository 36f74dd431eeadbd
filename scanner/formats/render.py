"""Rows to people (rich tables) and to scripts (JSON, CSV)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Context, Decimal, getcontext
from enum import StrEnum
from itertools import chain
from typing import IO, TYPE_CHECKING, Any

from scanner.collector import without_collector
from scanner.formats.cells import FORMULA_CHARS, NUMERIC_FIELDS, formula_safe
from scanner.money import CENT
from scanner.writing import csv_lines

if TYPE_CHECKING:  # a command's --help imports Format alone: rows, rich and the tax records
    # come with the first report (rich only for a table on a terminal)
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from scanner.formats.rows import Row, Shape, Unfigured
    from scanner.tax.records import Disposal

_AS_THEY_ARE = frozenset({type(None), int, Decimal})  # cells the csv writer writes as they are
_HEXES = {"tx_hash", "wallet", "counterparty", "origin_tx"}
_DATES = {"acquired", "disposed"}
_TABLE_QUANTUM = Decimal("1e-8")
_UNBOUNDED = 1 << 20  # a width no table reaches: measures a table's unwrapped width
NO_FIGURE = "\u2014"  # a cell with no figure to know, unlike an unknown one
NO_ROWS = "no rows"
SHOWN_ROWS = 200  # a table's rows by default: the rest are counted under it
_FLUSHED = 1000  # lines of a CSV or JSON report gathered before each write
NARROW = "one block per row: too wide for a table"


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def to_json(rows: Sequence[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    write_json(buffer, rows)
    return buffer.getvalue()


def write_json(file: IO[str], rows: Iterable[dict[str, Any]]) -> None:
    """`json.dumps(list(rows), indent=2, ensure_ascii=False)`, the same text, written a
    thousand rows at a time (a row's lines indented once more: JSON escapes a line break
    inside a string, so every line break of a row's text is the layout's)."""
    import json

    chunk: list[str] = []
    opening = "[\n  "
    for row in rows:
        chunk.append(opening + json.dumps(row, indent=2, ensure_ascii=False)
                     .replace("\n", "\n  "))
        opening = ",\n  "
        if len(chunk) == _FLUSHED:
            file.write("".join(chunk))
            chunk.clear()
    file.write("".join(chunk) + ("[]" if opening == "[\n  " else "\n]"))


def _csv_cell(field: str, value: Any) -> Any:
    if value is None:
        return ""
    if value.__class__ is bool:
        return "true" if value else "false"
    if value.__class__ is not str:
        if isinstance(value, int | Decimal):
            return value  # a number is never a formula, whatever its sign
        value = str(value)
    if field not in NUMERIC_FIELDS:
        return formula_safe(value)  # a spreadsheet must not run a token's name
    return value


def to_csv(rows: Iterable[dict[str, Any]], fields: Sequence[str]) -> str:
    buffer = io.StringIO()
    write_csv(buffer, rows, fields)
    return buffer.getvalue()


@without_collector
def write_csv(file: IO[str], rows: Iterable[dict[str, Any]], fields: Sequence[str]) -> None:
    """The rows as CSV, as the csv writer writes them (`csv_lines`), each cell made safe
    (`_csv_cell`)."""
    text = [f not in NUMERIC_FIELDS for f in fields]

    def cells_of(row: dict[str, Any]) -> list[Any]:
        cells = [row.get(f) for f in fields]
        # the common cells (none, numbers, and text that starts harmlessly) go as they are:
        # the csv writer writes them as `_csv_cell` gives them
        if any(c.__class__ not in _AS_THEY_ARE if c.__class__ is not str
               else t and c[:1] in FORMULA_CHARS for c, t in zip(cells, text, strict=True)):
            return [_csv_cell(f, c) for f, c in zip(fields, cells, strict=True)]
        return cells

    file.writelines(csv_lines(chain([fields], map(cells_of, rows))))


def gains_to_csv(disposals: Iterable[Disposal], currency: str = "USD") -> str:
    buffer = io.StringIO()
    write_gains_csv(buffer, disposals, currency)
    return buffer.getvalue()


@without_collector
def write_gains_csv(file: IO[str], disposals: Iterable[Disposal], currency: str = "USD") -> None:
    """`write_csv(file, gains_rows(disposals), GAINS.fields)`, the same text, made without the
    row dicts and written a thousand lines at a time: a gains report can be a million rows.
    A row none of whose cells needs quoting is
    joined as it is; any other goes through the csv writer, which quotes a cell holding a
    comma, a double quote or a line break (only text cells may: numbers, dates, terms and
    kinds never do)."""
    import csv

    from scanner.formats.rows import GAINS, qty, when
    from scanner.tax.sales import sale_cents

    scratch = io.StringIO()
    writer = csv.writer(scratch, lineterminator="\r\n")
    lines = [",".join(GAINS.in_currency(currency).fields) + "\r\n"]
    append = lines.append
    to_cents = _half_up().quantize  # money.cents, without its keyword argument per cell
    guarded: dict[str, str] = {}  # assets, symbols, wallets, rules: few distinct values
    with_comma: set[str] = set()  # those of their cells that hold a comma
    # consecutive rows mostly share a sale (disposed, tx) or a lot (acquired)
    acquired: object = _UNSET
    disposed: object = _UNSET
    acquired_text = disposed_text = ""

    def text(value: str | None) -> str:
        if value is None:
            return ""
        cell = guarded.get(value)
        if cell is None:
            cell = guarded[value] = _csv_cell("", value)
            if "," in cell:
                with_comma.add(cell)
        return cell

    listed = list(disposals)
    figures = iter(sale_cents(listed))  # in cents as the forms share each sale
    for d in listed:
        proceeds, basis = next(figures)
        disallowed = to_cents(d.disallowed_loss_usd, CENT) if d.disallowed_loss_usd else None
        if d.acquired is not acquired:
            acquired = d.acquired
            acquired_text = when(d.acquired) or ""
        if d.disposed is not disposed:
            disposed = d.disposed
            disposed_text = when(d.disposed) or ""
        tx_hash, lot_id = d.tx_hash, d.lot_id
        if tx_hash[:1] in FORMULA_CHARS:
            tx_hash = _csv_cell("", tx_hash)
        if lot_id is None:
            lot_id = ""
        elif lot_id[:1] in FORMULA_CHARS:
            lot_id = _csv_cell("", lot_id)
        asset, symbol, wallet, rule = (text(d.asset), text(d.symbol), text(d.wallet),
                                       text(d.rule or None))
        # Term and Kind are StrEnums: a member is the text of its value
        cells = (asset, symbol, wallet, qty(d.quantity), acquired_text, disposed_text,
                 "" if proceeds is None else str(proceeds), "" if basis is None else str(basis),
                 "" if proceeds is None or basis is None else
                 str(proceeds - basis + (disallowed or _NOUGHT)),
                 d.term or "", tx_hash, lot_id, d.kind, rule,
                 "" if disallowed is None else str(disallowed))
        line = ",".join(cells)
        if '"' in line or "\r" in line or "\n" in line or "," in tx_hash or "," in lot_id \
                or (with_comma and not with_comma.isdisjoint((asset, symbol, wallet, rule))):
            scratch.seek(0)
            scratch.truncate()
            writer.writerow(cells)
            append(scratch.getvalue())
        else:
            append(line + "\r\n")
        if len(lines) == _FLUSHED:
            file.write("".join(lines))
            lines.clear()
    file.write("".join(lines))


_UNSET = object()
_NOUGHT = Decimal(0)


def _half_up() -> Context:
    """The current decimal context (its precision and traps), rounding half up."""
    context = getcontext().copy()
    context.rounding = ROUND_HALF_UP
    return context


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


def terminal_text(text: str) -> str:
    """`text` as a terminal may show it: a control character (an escape sequence's ESC, a
    line break) or a format character (a bidi override) becomes U+FFFD."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in text)


def plural(count: int, one: str, many: str | None = None) -> str:
    """`1 token`, `2 tokens`: the count with `one` or `many` (default: `one` and an s), so a
    verb can agree too: `plural(n, "token answers", "tokens answer")`."""
    return f"{count} {one if count == 1 else many or one + 's'}"


def _cells(row: Row, fields: Sequence[str], not_applicable: Unfigured) -> list[Text]:
    from rich.text import Text

    blank = not_applicable(row)
    cells = []
    for field in fields:
        value = row.get(field)
        if field in blank:
            text = NO_FIGURE
        elif value is None:
            text = "unknown" if field in NUMERIC_FIELDS else ""
        elif isinstance(value, bool):
            text = "yes" if value else "no"
        else:
            text = _for_people(field, str(value))
        cells.append(Text(terminal_text(text)))  # not markup: names are untrusted
    return cells


def to_table(rows: Sequence[dict[str, Any]], fields: Sequence[str], title: str,
             not_applicable: Unfigured | None = None) -> Table:
    from rich.table import Table
    from rich.text import Text

    from scanner.formats.rows import every_field

    table = Table(title=Text(terminal_text(title), style="table.title"), show_lines=False,
                  header_style="bold")
    for field in fields:
        table.add_column(field, justify="right" if field in NUMERIC_FIELDS else "left",
                         overflow="fold")
    for row in rows:
        table.add_row(*_cells(row, fields, not_applicable or every_field))
    return table


def to_blocks(rows: Sequence[dict[str, Any]], shape: Shape) -> Table:
    """One block of `field  value` lines per row, for a terminal narrower than the table."""
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for n, row in enumerate(rows):
        if n:
            grid.add_row("", "")
        cells = _cells(row, shape.table, shape.not_applicable)
        for field, cell in zip(shape.table, cells, strict=True):
            grid.add_row(Text(field), cell)
    return grid


def show(console: Console, rows: Sequence[dict[str, Any]], shape: Shape, title: str,
         shown: int | None = None, count: int | None = None) -> None:
    """A table when it fits the terminal's width, else one block per row (every column
    kept); the title and `no rows` for an empty report. With `shown`, the first `shown` rows
    and a line counting the others; `count`: the rows there are, when `rows` are only the
    first of them."""
    from rich.text import Text

    heading = Text(terminal_text(title), style="table.title")
    if not rows:
        console.print(heading)
        console.print(NO_ROWS)
        return
    count = len(rows) if count is None else count
    rows = rows[:shown] if shown is not None else rows
    left_out = count - len(rows)
    table = to_table(rows, shape.table, title, shape.not_applicable)
    natural = console.measure(table, options=console.options.update_width(_UNBOUNDED))
    if natural.maximum <= console.width:
        console.print(table)
    else:
        heading.append(f" ({NARROW})", style="dim")
        console.print(heading)
        console.print(to_blocks(rows, shape))
    if left_out:
        console.print(Text(left_out_note(left_out, len(rows) + left_out), style="dim"))


def left_out_note(left_out: int, count: int) -> str:
    return (f"{plural(left_out, 'more row')} of {count:,} not shown: --all-rows shows every "
            "row, --format csv or json writes them")


def emit(console: Console, rows: Sequence[dict[str, Any]], shape: Shape, fmt: Format,
         title: str, currency: str = "USD", shown: int | None = SHOWN_ROWS,
         count: int | None = None) -> None:
    """The rows as JSON or CSV (every row, written as they are made), or a table of the first
    `shown` rows (None: every row) of `count` (default: all of `rows`); figures in
    `currency` are named for it."""
    if currency != "USD":
        from scanner.formats.rows import rows_in

        rows, shape = rows_in(rows, currency), shape.in_currency(currency)
        title = f"{title}, in {currency}"
    if fmt is Format.JSON:
        write_json(console.file, rows)
        console.file.write("\n")
    elif fmt is Format.CSV:
        write_csv(console.file, rows, shape.fields)
    else:
        show(console, rows, shape, title, shown, count)
