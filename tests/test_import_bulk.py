"""`taxscan import --format ledger` in bulk (issue 18): DuckDB's CSV reader stages the file,
SQL checks its cells and stores the legs. The legs it stores are those the row-by-row
reader (scanner.formats.ledger_csv.read_ledger_csv, plain Python) reads from the same
file, value for value (a Parquet export too, read by DuckDB as columns); the gains are
those of the row-by-row import to the cent; a bad cell stops it with the row reader's
message, and nothing is stored."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from chains.errors import UserInputError
from scanner.formats.ledger_bulk import stage_ledger_csv, stage_ledger_parquet
from scanner.formats.ledger_csv import read_ledger_csv
from scanner.formats.ledger_export import LINEAGE_FIELDS, PARQUET_COLUMNS, parquet_rows
from scanner.formats.render import to_csv
from scanner.formats.rows import LEDGER, ledger_rows
from scanner.ledger.classify import group_id
from scanner.ledger.records import Kind, LedgerEntry
from scanner.store import Store
from scanner.store.parquet import read_parquet_csv, write_parquet
from scanner.store.rows import fits_quantity
from tests.helpers import run_cli

USDC = "eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
ETH = "eip155:1/slip44:60"
BTC = "bip122:000000000019d6689c085ae165831e93/slip44:0"
START = datetime(2023, 1, 1, tzinfo=UTC)
# rows written by hand, as a user's tool might: leading zeros, trailing zeros, more places
# than DECIMAL(38, 18) holds, a 78-digit amount, a fee and a plain leg without a log
# index, two legs of one key (the second becomes `log:7:2`), a log index with zeros
HAND = """\
2024-06-01T00:00:00Z,1,5,0x{h1},007,0x{w},income,airdrop,{usdc},USDC,007.50,000012.5,file,,1:0x{h1}:0x{w}
2024-06-01T00:00:00Z,1,5,0x{h1},7,0x{w},income,airdrop,{usdc},USDC,1.000000000000000000000,0.0000000001,,,1:0x{h1}:0x{w}
2024-06-02T00:00:00Z,1,6,0x{h2},,0x{w},fee,gas,{eth},ETH,-0.000000000000000000001,,,,1:0x{h2}:0x{w}
2024-06-02T00:00:00Z,1,6,0x{h2},,0x{w},income,bridge,{eth},,{big},0,,0xabc,1:0x{h2}:0x{w}
"""


def history(legs: int, seed: int = 18) -> list[LedgerEntry]:
    """Trades of a few tokens and BTC for USDC in two wallets, income, fees: about `legs`
    legs over 2023 and 2024, some values left for taxscan to derive."""
    rng = random.Random(seed)
    wallets = ["0x" + f"{n:02x}" * 20 for n in (0xA1, 0xB2)]
    assets = [(f"eip155:1/erc20:0x{n:040x}", f"T{n}", 18) for n in range(1, 4)] + \
        [(BTC, "BTC", 8)]
    out: list[LedgerEntry] = []
    for n in range(legs // 2):
        wallet = wallets[n % 2]
        tx = f"0x{n + 1:064x}"
        when = START + timedelta(minutes=1_051 * n)
        group = group_id(1, tx, wallet)
        asset, symbol, decimals = rng.choice(assets)
        raw = rng.randrange(1, 10**decimals * 5)
        value = Decimal(rng.randrange(1, 10**9)).scaleb(-rng.choice((2, 4, 10)))
        sell = n > 40 and rng.random() < 0.4
        if n % 25 == 0:
            out.append(LedgerEntry(1, tx, "x", None, n, 0, when, wallet, Kind.INCOME,
                                   "staking", asset, symbol, raw, decimals, None, group,
                                   value if n % 50 else None, "coingecko"))
            out.append(LedgerEntry(1, tx, "x", None, n, 0, when, wallet, Kind.FEE, "gas",
                                   ETH, "ETH", -rng.randrange(1, 10**15), 18, None, group,
                                   None, None))
            continue
        usdc = rng.randrange(1, 10**12)
        out.append(LedgerEntry(1, tx, "x", 1, n, 0, when, wallet, Kind.TRADE, "uniswap-v2",
                               asset, symbol, -raw // 50 if sell else raw, decimals,
                               "0x" + "cd" * 20, group, value, "bench"))
        out.append(LedgerEntry(1, tx, "x", 2, n, 0, when, wallet, Kind.TRADE, "uniswap-v2",
                               USDC, "USDC", usdc if sell else -usdc, 6, None, group,
                               None if n % 7 == 0 else value, None))
    return out


def ledger_text(legs: int) -> str:
    names = {"h1": "f1" * 32, "h2": "f2" * 32, "w": "a1" * 20, "usdc": USDC, "eth": ETH,
             "big": "1" + "0" * 77}
    return to_csv(ledger_rows(history(legs)), LEDGER.fields) + \
        HAND.format(**names).replace("\n", "\r\n")


def write(tmp_path: Path, text: str, name: str = "ledger.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def leg_fields(leg: LedgerEntry) -> tuple[object, ...]:
    return (leg.chain_id, leg.tx_hash, leg.leg_key, leg.log_index, leg.block_number,
            leg.tx_index, leg.timestamp, leg.wallet, leg.kind, leg.protocol, leg.asset,
            leg.symbol, leg.raw_amount, leg.decimals, leg.counterparty, leg.group_id,
            leg.usd_value, leg.price_source)


def assert_staged_as_read(db: Path, stage: Callable[[Store], int | None], name: str,
                          expected: list[LedgerEntry]) -> list[LedgerEntry]:
    """The file staged in bulk (`stage` gives how many legs, not None: not row by row) and
    stored holds the legs the row reader read from it (`expected`), value for value."""
    with Store(db) as store:
        assert stage(store) == len(expected)
        with store.transaction():
            store.save_staged_ledger(f"ledger:{name}")
        store.drop_staged_ledger()
        stored = store.imported_legs()
    assert sorted((leg_fields(leg), given) for leg, given in stored) == \
        sorted((leg_fields(leg), leg.usd_value is not None) for leg in expected)
    return [leg for leg, _ in stored]


def test_the_bulk_path_stores_what_the_row_reader_reads(tmp_path: Path) -> None:
    path = write(tmp_path, ledger_text(2_000))
    expected = read_ledger_csv(path)
    assert len(expected) == 2_004
    assert {leg.leg_key for leg in expected} >= {"log:7", "log:7:2", "gas", "native"}
    db = tmp_path / "bulk.duckdb"
    assert_staged_as_read(db, lambda store: stage_ledger_csv(store, path), "ledger.csv",
                          expected)
    by_key = {(leg.tx_hash, leg.wallet, leg.leg_key): leg for leg in expected}
    with duckdb.connect(str(db), read_only=True) as con:
        quantities = con.execute("SELECT tx_hash, wallet, leg_key, quantity, source "
                                 "FROM imported_ledger").fetchall()
    for tx, wallet, leg_key, quantity, source in quantities:
        assert quantity == fits_quantity(by_key[(tx, wallet, leg_key)].quantity)
        assert source == "ledger:ledger.csv"
    assert sum(q is None for *_, q, _ in quantities) == 2  # 21 places; 78 digits


def test_bulk_and_row_by_row_imports_give_the_same_ledger_and_gains(tmp_path: Path) -> None:
    text = ledger_text(2_000)
    bulk = write(tmp_path, text, "bulk.csv")
    # a quoted header cell: read the same by any CSV reader, but not plain, so row by row
    rows = write(tmp_path, '"timestamp"' + text.removeprefix("timestamp"), "rows.csv")
    figures = []
    for path in (bulk, rows):
        db = tmp_path / f"{path.stem}.duckdb"
        imported = run_cli("import", str(path), "--format", "ledger", db=db)
        assert imported.returncode == 0, imported.stderr
        assert "2004 legs imported" in imported.stderr
        ledger = run_cli("ledger", "--format", "csv", db=db)
        gains = [run_cli("gains", "--year", year, "--format", "csv", db=db)
                 for year in ("2023", "2024")]
        assert ledger.returncode == 0 and all(g.returncode == 0 for g in gains)
        figures.append((ledger.stdout, [g.stdout for g in gains]))
    assert figures[0] == figures[1]
    ledger_csv, gains_csv = figures[0]
    assert ledger_csv.count("\n") == 2_005 and all(g.count("\n") > 50 for g in gains_csv)


def test_a_bad_cell_stops_the_bulk_import_with_the_row_readers_message(
        tmp_path: Path) -> None:
    lines = ledger_text(2_000).split("\r\n")
    cells = lines[1_500].split(",")
    cells[10] = "1.5.2"  # the quantity
    lines[1_500] = ",".join(cells)
    path = write(tmp_path, "\r\n".join(lines))
    with pytest.raises(UserInputError) as raised:  # the row reader's message: the oracle
        read_ledger_csv(path)
    expected = str(raised.value)
    db = tmp_path / "bad.duckdb"
    result = run_cli("import", str(path), "--format", "ledger", db=db)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {expected}"
    assert ":1501: quantity is not a decimal number: '1.5.2'" in expected
    with Store(db) as store:
        assert store.imported_legs() == []


def parquet_export(tmp_path: Path, entries: list[LedgerEntry], name: str) -> Path:
    """`entries` as the Parquet ledger export holds them (no lineage: a file with none)."""
    rows = [{**row, **dict.fromkeys(LINEAGE_FIELDS)} for row in ledger_rows(entries)]
    path = tmp_path / name
    write_parquet(path, PARQUET_COLUMNS, parquet_rows(rows, entries))
    return path


# legs a Parquet export may hold that the history lacks: a 78-digit amount (no quantity in
# DECIMAL(38, 18): raw_amount gives it), 21 places, a symbol with a comma, no symbol
ODD = [
    LedgerEntry(1, "0x" + "f3" * 32, "log:1", 1, 7, 0, START, "0x" + "a1" * 20, Kind.INCOME,
                "airdrop", USDC, "US,DC", 10**77, 6, None, "g1", Decimal("0.5"), "file"),
    LedgerEntry(1, "0x" + "f4" * 32, "gas", None, 8, 0, START, "0x" + "a1" * 20, Kind.FEE,
                "gas", ETH, None, -1, 21, None, "g2", None, None),
]


def test_a_parquet_export_is_staged_as_the_row_reader_reads_it(tmp_path: Path) -> None:
    entries = history(2_000) + ODD
    path = parquet_export(tmp_path, entries, "ledger.parquet")
    expected = read_ledger_csv(path, read_parquet_csv(path))
    assert len(expected) == len(entries)
    stored = assert_staged_as_read(tmp_path / "bulk.duckdb",
                                   lambda store: stage_ledger_parquet(store, path),
                                   "ledger.parquet", expected)
    assert {(leg.raw_amount, leg.decimals) for leg in stored} >= {(10**77, 6), (-1, 21)}


def test_a_parquet_cell_with_a_quote_is_read_row_by_row(tmp_path: Path) -> None:
    quoted = replace(ODD[0], symbol='US"DC')
    path = parquet_export(tmp_path, [*history(40), quoted], "quoted.parquet")
    with Store(tmp_path / "q.duckdb") as store:
        assert stage_ledger_parquet(store, path) is None  # nothing staged: the rows say
    assert read_ledger_csv(path, read_parquet_csv(path))[-1].symbol == 'US"DC'


def imported_rows(db: Path) -> list[tuple[object, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT * FROM imported_ledger ORDER BY ALL").fetchall()


def test_a_leg_two_files_give_is_the_last_files(tmp_path: Path) -> None:
    """A leg's key holds one row: the file imported last that gives it has it, in bulk and
    row by row (a quoted header cell sends a file row by row)."""
    text = ledger_text(200)
    header, *lines = text.split("\r\n")
    shared = lines[:4]  # 2 groups of 2 legs, their USD values changed in the later files
    changed = [",".join([*cells[:11], "77.5", *cells[12:]])
               for cells in (line.split(",") for line in shared)]
    first = write(tmp_path, text, "first.csv")
    second = write(tmp_path, '"timestamp"' + "\r\n".join(
        [header, *changed[:2], ""]).removeprefix("timestamp"), "second.csv")
    third = write(tmp_path, "\r\n".join([header, *changed[2:], ""]), "third.csv")
    db = tmp_path / "s.duckdb"
    sources = []
    for path in (first, second, third):
        result = run_cli("import", str(path), "--format", "ledger", db=db)
        assert result.returncode == 0, result.stderr
        rows = imported_rows(db)
        keys = [row[:4] for row in rows]
        assert len(keys) == len(set(keys)) == 204
        sources.append({row[1]: row[19] for row in rows if row[1] in {
            line.split(",")[3] for line in shared}})
    tx_a, tx_b = dict.fromkeys(line.split(",")[3] for line in shared)
    assert sources == [{tx_a: "ledger:first.csv", tx_b: "ledger:first.csv"},
                       {tx_a: "ledger:second.csv", tx_b: "ledger:first.csv"},
                       {tx_a: "ledger:second.csv", tx_b: "ledger:third.csv"}]
    values = {row[15] for row in imported_rows(db) if row[1] in (tx_a, tx_b)}
    assert values == {Decimal("77.5")}


def test_an_older_database_loses_the_imported_key_and_keeps_every_leg(
        tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    path = write(tmp_path, ledger_text(200))
    assert run_cli("import", str(path), "--format", "ledger", db=db).returncode == 0
    before = imported_rows(db)
    with duckdb.connect(str(db)) as old:  # as an older taxscan left it: a primary key
        columns = old.execute("SELECT column_name, data_type FROM information_schema.columns "
                              "WHERE table_name = 'imported_ledger' ORDER BY ordinal_position"
                              ).fetchall()
        old.execute("ALTER TABLE imported_ledger RENAME TO plain")
        old.execute("CREATE TABLE imported_ledger (" + ", ".join(
            f"{name} {kind}" for name, kind in columns) +
            ", PRIMARY KEY (chain_id, tx_hash, leg_key, wallet))")
        old.execute("INSERT INTO imported_ledger SELECT * FROM plain; DROP TABLE plain")
    key = ("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'imported_ledger' "
           "AND constraint_type = 'PRIMARY KEY'")
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute(key).fetchall() == [(1,)]
    Store(db).close()
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute(key).fetchall() == [(0,)]
    assert imported_rows(db) == before
    again = run_cli("import", str(path), "--format", "ledger", db=db)  # replaces its legs
    assert again.returncode == 0, again.stderr
    assert imported_rows(db) == before


@pytest.mark.parametrize(("damage", "staged"), [
    (lambda text: text, True),  # lines end in \r\n, as the ledger report writes them
    (lambda text: text.replace("\r\n", "\n"), True),
    (lambda text: text.replace(",USDC,", ",US\rDC,", 1), False),  # a lone carriage return
    (lambda text: text.replace("\r\n", "\r"), False),
    (lambda text: text.replace(",USDC,", ',"USDC",', 1), False),  # a quote
])
def test_only_a_file_of_plain_lines_is_staged(tmp_path: Path, damage: Callable[[str], str],
                                              staged: bool) -> None:
    path = write(tmp_path, damage(ledger_text(200)))
    with Store(tmp_path / "s.duckdb") as store:
        count = stage_ledger_csv(store, path)
        store.drop_staged_ledger()
    assert (count == 204) if staged else (count is None)
