"""Reports as a person reads them in a terminal of 80 columns (the installed command line,
COLUMNS=80): a table too wide for it becomes one block of `field value` lines per row, an
empty report says so, counts agree with their nouns, an acquisition shows no gain rather
than an unknown one, a farm's receipt has a symbol, and a lot split keeps whole base units."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from chains.addresses import erc20_asset
from chains.evm.records import RawLog, RawTx, TokenInfo
from scanner.ledger.decode.protocols.staking_rewards import STAKED
from scanner.ledger.records import Kind, LedgerEntry
from scanner.prices.records import PricePoint
from scanner.store import Store
from tests.helpers import run_cli
from tests.unit.builders import OTHER, TKN, WALLET, day, leg

NARROW = {"COLUMNS": "80"}
WIDE = {"COLUMNS": "200"}
ABC = "eip155:1/erc20:0x" + "33" * 20
WABC = "eip155:1/erc20:0x" + "44" * 20
XYZ = "eip155:1/erc20:0x" + "55" * 20
WRAP_TX = "0x" + "77" * 32


def named(entry: LedgerEntry, symbol: str) -> LedgerEntry:
    return dataclasses.replace(entry, symbol=symbol)


BIG = named(leg(day(2024, 1, 2), Kind.TRADE, TKN, "10000", "10000"), "TKN")
SOLD_ROUND = named(leg(day(2024, 6, 1), Kind.TRADE, TKN, "-4000", "2000"), "TKN")
# a pool that takes 46 wei less than it was offered, as Uniswap V3 rounds
SOLD_ODD = named(leg(day(2024, 7, 1), Kind.TRADE, TKN, "-3399.999999999999999954", "1700"),
                 "TKN")
SOLD_2025 = named(leg(day(2025, 3, 1), Kind.TRADE, TKN, "-600", "300"), "TKN")
HELD_ELSEWHERE = named(leg(day(2024, 2, 2), Kind.TRADE, TKN, "1.5", "300", wallet=OTHER), "TKN")
ABC_ONE = named(leg(day(2024, 8, 1), Kind.TRADE, ABC, "1", "100"), "ABC")
ABC_TWO = named(leg(day(2024, 8, 2), Kind.TRADE, ABC, "2", "300"), "ABC")
# three ABC wrapped into one WABC: two lots drawn on, one unit shared between them
WRAP_OUT = named(leg(day(2024, 9, 1), Kind.WRAP, ABC, "-3", "400", tx=WRAP_TX), "ABC")
WRAP_IN = named(leg(day(2024, 9, 1), Kind.WRAP, WABC, "1", "400", tx=WRAP_TX, key="log:1"),
                "WABC")
NO_LOT_SALE = named(leg(day(2025, 4, 1), Kind.TRADE, XYZ, "-1", "10"), "XYZ")
LEGS = [BIG, SOLD_ROUND, SOLD_ODD, SOLD_2025, HELD_ELSEWHERE, ABC_ONE, ABC_TWO, WRAP_OUT,
        WRAP_IN, NO_LOT_SALE]
AS_OF = datetime(2025, 6, 30, tzinfo=UTC)


def lot_id(entry: LedgerEntry) -> str:
    return f"{entry.tx_hash}:{entry.leg_key}"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "tables.duckdb"
    with Store(path) as store, store.transaction():
        store.replace_ledger(1, LEGS)
        store.save_prices([PricePoint(asset, datetime(2025, 6, 1, tzinfo=UTC), Decimal(p), "csv")
                           for asset, p in ((TKN, "0.5"), (WABC, "50"))])
    return path


def blocks(stdout: str) -> list[dict[str, str]]:
    """The rows of a report printed one block per row (after its heading line)."""
    rows: list[dict[str, str]] = [{}]
    for line in stdout.splitlines()[1:]:
        if not line.strip():
            rows.append({})
            continue
        field, _, value = line.partition(" ")
        rows[-1][field] = value.strip()
    return [row for row in rows if row]


def test_a_harvest_too_wide_for_80_columns_shows_every_lot_and_column_in_blocks(
        db: Path) -> None:
    ran = run_cli("harvest", "--as-of", "2025-06-30", "--all", db=db, env=NARROW)
    assert ran.returncode == 0, ran.stderr
    assert all(len(line) <= 80 for line in ran.stdout.splitlines()), ran.stdout
    assert ran.stdout.startswith("Harvest as of 2025-06-30 (one block per row")
    rows = blocks(ran.stdout)
    # the open lots: what is left of BIG, HELD_ELSEWHERE, and the two halves of the wrap
    assert sorted((r["symbol"], r["wallet"], r["acquired"]) for r in rows) == [
        ("TKN", "0xaaaa…aaaa", "2024-01-02"), ("TKN", "0xbbbb…bbbb", "2024-02-02"),
        ("WABC", "0xaaaa…aaaa", "2024-08-01"), ("WABC", "0xaaaa…aaaa", "2024-08-02")]
    columns = ["symbol", "wallet", "acquired", "quantity", "cost_basis_usd", "price_usd",
               "value_usd", "unrealized_usd", "term", "wash_sale_risk", "suggested",
               "tax_saved_usd", "gas_usd_estimate"]
    assert all(list(r) == columns for r in rows)
    held = next(r for r in rows if r["wallet"] == "0xbbbb…bbbb")
    assert (held["quantity"], held["cost_basis_usd"], held["value_usd"]) == \
        ("1.5", "300.00", "0.75")  # 1.5 TKN at 0.50


def test_a_table_that_fits_stays_a_table(db: Path) -> None:
    ran = run_cli("harvest", "--as-of", "2025-06-30", "--all", db=db, env=WIDE)
    assert ran.returncode == 0, ran.stderr
    header = next(line for line in ran.stdout.splitlines() if "symbol" in line)
    assert [cell.strip() for cell in header.strip("┃").split("┃")] == [
        "symbol", "wallet", "acquired", "quantity", "cost_basis_usd", "price_usd", "value_usd",
        "unrealized_usd", "term", "wash_sale_risk", "suggested", "tax_saved_usd",
        "gas_usd_estimate"]


def test_an_empty_report_says_no_rows_and_the_files_stay_as_they_were(db: Path) -> None:
    table = run_cli("gains", "--year", "2023", db=db, env=NARROW)
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines() == ["Realized gains 2023 (fifo)", "no rows"]
    assert run_cli("gains", "--year", "2023", "--format", "json", db=db).stdout.strip() == "[]"
    csv = run_cli("gains", "--year", "2023", "--format", "csv", db=db).stdout
    assert csv.splitlines() == [csv.splitlines()[0]]
    assert csv.startswith("asset,symbol,wallet,quantity,acquired,disposed,")


def test_counts_of_one_take_the_singular(db: Path, tmp_path: Path) -> None:
    gains = run_cli("gains", "--year", "2025", db=db, env=NARROW)
    assert gains.returncode == 0, gains.stderr
    assert "long-term: 1 row, gain -300.00 USD" in gains.stderr  # 600 TKN at 1.00, for 300
    assert "1 disposal has no lot (unknown basis)" in gains.stderr
    with Store(db) as store:
        store.save_tokens([TokenInfo(1, "0x" + "11" * 20, "TKN", "Token", None)])
    prices = tmp_path / "prices.csv"
    prices.write_text(f"timestamp,asset,usd\n2025-06-02T00:00:00Z,{TKN},0.5\n")
    imported = run_cli("prices", "import", str(prices), db=db, env=NARROW)
    assert imported.returncode == 0, imported.stderr
    assert f"imported 1 price from {prices}" in imported.stderr
    assert "review: 1 token answers no decimals()" in imported.stderr
    assert " 1 tokens" not in imported.stderr and " 1 rows" not in gains.stderr


def test_an_acquisition_has_no_gain_and_a_missing_basis_stays_unknown(db: Path) -> None:
    lineage = run_cli("trace", lot_id(BIG), db=db, env=WIDE)
    assert lineage.returncode == 0, lineage.stderr
    steps = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[1:-1]]
             for line in lineage.stdout.splitlines() if line.startswith("│")}
    header = next(line for line in lineage.stdout.splitlines() if "gain_usd" in line)
    gain = [c.strip() for c in header.strip("┃").split("┃")].index("gain_usd")
    assert steps["acquired"][gain] == steps["open"][gain] == "—"
    assert steps["disposed"][gain] == "-300.00"
    narrow = run_cli("trace", lot_id(BIG), db=db, env=NARROW)
    assert [r["gain_usd"] for r in blocks(narrow.stdout) if r["step"] != "disposed"] == \
        ["—", "—"]
    assert "unknown" not in lineage.stdout + narrow.stdout
    (acquired, *_) = json.loads(run_cli("trace", lot_id(BIG), "--format", "json",
                                        db=db).stdout)
    assert acquired["step"] == "acquired" and acquired["gain_usd"] is None
    uncovered = run_cli("trace", NO_LOT_SALE.tx_hash, db=db, env=NARROW)
    (row,) = blocks(uncovered.stdout)
    assert row["gain_usd"] == "unknown"  # no lot: the basis, and so the gain, is unknown


def test_lots_keep_whole_base_units_when_split(db: Path) -> None:
    lots = json.loads(run_cli("lots", "--format", "json", db=db).stdout)
    by_symbol: dict[str, list[str]] = {}
    for lot in lots:
        by_symbol.setdefault(lot["symbol"], []).append(lot["quantity"])
    # what is left of BIG after three sales: exact, 46 wei more than 2000
    left = Decimal(10000) - 4000 - Decimal("3399.999999999999999954") - 600
    assert str(left) == "2000.000000000000000046"
    assert str(left) in by_symbol["TKN"]
    # one WABC shared by the two ABC lots, 1 : 2, in wei, the remainder to the last
    first = 10**18 * 1 // 3
    assert by_symbol["WABC"] == [str(Decimal(first).scaleb(-18)),
                                 str(Decimal(10**18 - first).scaleb(-18))]
    assert by_symbol["WABC"] == ["0.333333333333333333", "0.666666666666666667"]


def test_a_farm_receipt_has_the_staked_tokens_symbol(tmp_path: Path) -> None:
    token, farm = "0x" + "d1" * 20, "0x" + "fa" * 20
    amount = 5000 * 10**18
    transfer = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"

    def topic(address: str) -> str:
        return "0x" + address[2:].rjust(64, "0")

    stake = RawTx(chain_id=1, tx_hash="0x" + "5a" * 32, block_number=7, tx_index=0,
                  timestamp=day(2024, 7, 10), from_address=WALLET, to_address=farm, value=0,
                  gas_used=50_000, effective_gas_price=10**9, success=True, logs=(
                      RawLog(0, token, (transfer, topic(WALLET), topic(farm)),
                             "0x" + format(amount, "064x")),
                      RawLog(1, farm, (STAKED, topic(WALLET)), "0x" + format(amount, "064x"))))
    db = tmp_path / "farm.duckdb"
    with Store(db) as store, store.transaction():
        store.add_wallet(1, WALLET)
        store.save_tokens([TokenInfo(1, token, "DAI", "Dai", 18)])
        store.save_raw(WALLET, [stake])
    prices = tmp_path / "prices.csv"
    prices.write_text(f"timestamp,asset,usd\n2024-07-01T00:00:00Z,{erc20_asset(1, token)},1\n")
    assert run_cli("prices", "import", str(prices), db=db).returncode == 0  # rebuilds
    legs = json.loads(run_cli("ledger", "--format", "json", db=db).stdout)
    assert {(leg["asset"], leg["kind"], leg["symbol"]) for leg in legs if leg["kind"] != "fee"} \
        == {(erc20_asset(1, token), "stake", "DAI"), (erc20_asset(1, farm), "stake", "DAI-farm")}
