from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from itertools import chain
from pathlib import Path

import duckdb
import pytest

from chains.errors import UserInputError
from scanner.formats.ledger_csv import read_ledger_csv
from scanner.formats.ledger_export import (
    EXPORT_FIELDS,
    PARQUET_COLUMNS,
    ledger_export_lines,
    ledger_export_rows,
    parquet_rows,
)
from scanner.formats.render import to_csv
from scanner.formats.rows import gains_rows
from scanner.ledger.records import Kind, LedgerEntry
from scanner.store.parquet import write_parquet
from scanner.tax.lots import compute_lots
from scanner.writing import text_csv_lines
from tests.unit.builders import ETH, TKN, USDC, day, leg

PURCHASES = frozenset({USDC})


def url(chain_id: int, tx_hash: str) -> str | None:
    return f"https://explorer.test/{chain_id}/tx/{tx_hash}" if chain_id == 1 else None


def history() -> list[LedgerEntry]:
    return [
        leg(day(2024, 1, 10), Kind.TRADE, USDC, "-2000", "2000", key="log:1", decimals=6),
        leg(day(2024, 1, 10), Kind.TRADE, ETH, "1", "2000", key="trace:0"),
        leg(day(2024, 2, 10), Kind.TRADE, USDC, "-3000", "3000", key="log:1", decimals=6),
        leg(day(2024, 2, 10), Kind.TRADE, ETH, "1", "3000", key="trace:0"),
        # one sale spans both lots and pays gas in the coin it sells
        leg(day(2024, 3, 5), Kind.TRADE, ETH, "-1.5", "3750", key="native"),
        leg(day(2024, 3, 5), Kind.TRADE, USDC, "3750", "3750", key="log:3", decimals=6),
        leg(day(2024, 3, 5), Kind.FEE, ETH, "-0.001", "2.5", key="gas"),
        # a token sold that was never acquired: no lot, unknown basis
        leg(day(2024, 4, 1), Kind.TRADE, TKN, "-10", "50", key="log:0"),
        leg(day(2024, 4, 1), Kind.TRADE, USDC, "50", "50", key="log:2", decimals=6),
    ]


def export_rows(entries: list[LedgerEntry]) -> list[dict[str, object]]:
    book = compute_lots(entries, purchase_currencies=PURCHASES)
    return ledger_export_rows(entries, book, url)


def test_each_acquiring_leg_names_the_lot_it_opened() -> None:
    entries = history()
    rows = export_rows(entries)
    opened = {r["tx_hash"]: r["opens_lot"] for r in rows if r["asset"] == ETH
              and r["quantity"] == "1"}
    assert opened == {e.tx_hash: f"{e.tx_hash}:trace:0" for e in entries
                      if e.asset == ETH and e.raw_amount > 0}
    assert all(r["opens_lot"] is None for r in rows if str(r["quantity"]).startswith("-"))


def test_a_disposing_leg_names_its_lots_and_its_figures_match_the_gains_report() -> None:
    entries = history()
    rows = export_rows(entries)
    sale = next(r for r in rows if r["kind"] == "trade" and r["quantity"] == "-1.5")
    first, second = (e.tx_hash for e in entries[1:4:2])
    # the gas is paid before the trade, from the first lot
    assert sale["draws_on"] == f"{first}:trace:0=0.999; {second}:trace:0=0.501"
    book = compute_lots(entries, purchase_currencies=PURCHASES)
    sold = [g for g in gains_rows(book.disposals)
            if g["tx_hash"] == sale["tx_hash"] and g["kind"] == "trade"]
    for field in ("proceeds_usd", "cost_basis_usd", "gain_usd"):
        assert Decimal(str(sale[field])) == sum(Decimal(g[field]) for g in sold)
    gas = next(r for r in rows if r["kind"] == "fee" and r["tx_hash"] == sale["tx_hash"])
    assert gas["draws_on"] == f"{first}:trace:0=0.001"  # the gas is a disposal of its own


def test_a_leg_no_lot_covered_says_so_and_keeps_its_figures_unknown() -> None:
    rows = export_rows(history())
    token = next(r for r in rows if r["asset"] == TKN)
    assert token["draws_on"] == "no lot=10"
    assert token["proceeds_usd"] == "50.00"
    assert token["cost_basis_usd"] is None and token["gain_usd"] is None


def test_explorer_links_come_from_the_chain() -> None:
    rows = export_rows(history())
    assert {r["explorer_url"] for r in rows} == {url(1, str(r["tx_hash"])) for r in rows}
    assert all(str(r["explorer_url"]).endswith(str(r["tx_hash"])) for r in rows)


def test_the_exported_csv_imports_back_to_the_same_legs(tmp_path: Path) -> None:
    entries = history()
    path = tmp_path / "ledger.csv"
    path.write_text(to_csv(export_rows(entries), EXPORT_FIELDS), encoding="utf-8")
    header = next(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert tuple(header) == EXPORT_FIELDS
    back = read_ledger_csv(path)
    assert [(e.tx_hash, e.wallet, e.asset, e.quantity, e.usd_value, e.kind) for e in back] == \
        [(e.tx_hash, e.wallet, e.asset, e.quantity, e.usd_value, e.kind) for e in entries]


def test_an_unknown_column_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    text = to_csv(export_rows(history()), EXPORT_FIELDS)
    path.write_text(text.replace("gain_usd", "profit", 1), encoding="utf-8")
    with pytest.raises(UserInputError, match="unknown 'profit'"):
        read_ledger_csv(path)


def test_parquet_has_typed_exact_columns(tmp_path: Path) -> None:
    entries = history()
    huge = leg(day(2024, 5, 1), Kind.TRANSFER_IN, TKN, "1", None, key="log:9")
    entries.append(LedgerEntry(**{**_fields(huge), "raw_amount": 2**256 - 1}))
    rows = export_rows(entries)
    path = tmp_path / "ledger.parquet"
    write_parquet(path, PARQUET_COLUMNS, parquet_rows(rows, entries))
    db = duckdb.connect()
    types = dict(db.execute(f"SELECT column_name, column_type FROM (DESCRIBE "
                            f"SELECT * FROM '{path}')").fetchall())
    assert types["quantity"] == "DECIMAL(38,18)" and types["gain_usd"] == "DECIMAL(38,2)"
    assert types["timestamp"] == "TIMESTAMP WITH TIME ZONE"
    back = db.execute(f"SELECT timezone('UTC', timestamp), tx_hash, usd_value, quantity, "
                      f"gain_usd, raw_amount, decimals FROM '{path}'").fetchall()
    assert len(back) == len(entries)
    assert [(t, h, r, d) for t, h, _, _, _, r, d in back] == \
        [(e.timestamp.replace(tzinfo=None), e.tx_hash, str(e.raw_amount), e.decimals)
         for e in entries]
    assert [(v, g) for _, _, v, _, g, _, _ in back] == \
        [(None if r["usd_value"] is None else Decimal(str(r["usd_value"])),
          None if r["gain_usd"] is None else Decimal(str(r["gain_usd"]))) for r in rows]
    quantities = [q for _, _, _, q, _, _, _ in back]
    assert quantities[:-1] == [e.quantity for e in entries[:-1]]
    assert quantities[-1] is None  # too big for DECIMAL(38, 18): raw_amount keeps it exactly
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no leftovers


def test_parquet_into_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    entries = history()
    with pytest.raises(UserInputError, match="does not exist"):
        write_parquet(tmp_path / "no" / "l.parquet", PARQUET_COLUMNS,
                      parquet_rows(export_rows(entries), entries))


def _fields(entry: LedgerEntry) -> dict[str, object]:
    return {name: getattr(entry, name) for name in LedgerEntry.__dataclass_fields__}


def test_a_moment_is_written_as_utc() -> None:
    rows = export_rows(history())
    assert rows[0]["timestamp"] == datetime(2024, 1, 10, 12, tzinfo=UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def test_the_export_csv_is_the_rows_through_the_csv_writer() -> None:
    """The CSV export is made as lines (ledger_export_lines) without the row dicts: its
    text is `to_csv` of ledger_export_rows, hostile texts included (a formula, a comma, a
    quote, a line break: in the few-valued texts, the transactions' hashes and groups, and
    the lot ids drawn on), a sale of two lots and a loss the rules deny."""
    hostile = ["=cmd()", "a,b", 'say "hi"', "two\nlines", "-1", "@x", "plain"]
    txs = list(dict.fromkeys(entry.tx_hash for entry in history()))
    entries = [replace(entry, symbol=hostile[n % len(hostile)],
                       protocol=hostile[(n + 3) % len(hostile)],
                       counterparty=hostile[(n + 5) % len(hostile)],
                       tx_hash=hostile[txs.index(entry.tx_hash) % len(hostile)] + ',"'
                       + entry.tx_hash,
                       group_id=entry.group_id + hostile[txs.index(entry.tx_hash) % 4])
               for n, entry in enumerate(history())]
    book = compute_lots(entries, purchase_currencies=PURCHASES)
    denied = replace(book, disposals=tuple(
        replace(d, disallowed_loss_usd=Decimal("1.005")) if n == 1 else d
        for n, d in enumerate(book.disposals)))
    for lots in (book, denied):
        text = "".join(chain(text_csv_lines([EXPORT_FIELDS]),
                             ledger_export_lines(entries, lots, url)))
        assert text == to_csv(ledger_export_rows(entries, lots, url), EXPORT_FIELDS)
        assert "'=cmd()" in text and '"two\nlines"' in text


def test_a_part_of_the_ledger_gets_the_lineage_the_whole_export_gives_it() -> None:
    """A month's export (the lots computed from every leg) reads the lineage of its own
    transactions only: its lines are those of the whole export, a sale of two lots and the
    lots opened earlier included."""
    entries = history()
    book = compute_lots(entries, purchase_currencies=PURCHASES)
    whole = list(ledger_export_lines(entries, book, url))
    assert list(ledger_export_lines(entries, book, url, every_leg=True)) == whole
    assert ledger_export_rows(entries, book, url, every_leg=True) == \
        ledger_export_rows(entries, book, url)
    for month in (1, 2, 3, 4):
        part = [n for n, e in enumerate(entries) if e.timestamp.month == month]
        lines = list(ledger_export_lines([entries[n] for n in part], book, url))
        assert lines == [whole[n] for n in part]
        rows = ledger_export_rows([entries[n] for n in part], book, url)
        assert rows == [ledger_export_rows(entries, book, url)[n] for n in part]
    assert whole[4].count(":trace:0=") == 2  # March's sale drew on both lots
