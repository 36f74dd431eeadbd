"""Issue 17, through the installed `taxscan` on a real DuckDB file: imported histories are
valued exactly like the chain's. The USD of a Koinly row is the basis of a buy (IRC 1012:
the cost, what was paid) and the proceeds of a sale (IRC 1001(b): the money received),
whatever its Net Worth says; a leg the file gives no value is valued by its trade's other
leg (a USD stablecoin first) or by its price, again after every later price import; the
files' own values stay. Each figure is worked out by hand beside its test."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pytest

from scanner.app.imports import import_ledger
from scanner.app.rebuild import refresh
from scanner.app.settings import add_stablecoins
from scanner.ledger.records import Kind, LedgerEntry
from scanner.store import Store
from scanner.tax.records import Term
from tests.faults.loopback import QuietHandler, serving
from tests.helpers import cli_json, run_cli

HEADER = ("Date,Sent Amount,Sent Currency,Received Amount,Received Currency,Fee Amount,"
          "Fee Currency,Net Worth Amount,Net Worth Currency,Label,Description,TxHash\n")
ETH = "eip155:1/slip44:60"
DAI = "eip155:1/erc20:0x6b175474e89094c44da98b954eedeac495271d0f"
BTC = "bip122:000000000019d6689c085ae165831e93/slip44:0"


def ok(*args: str, db: Path) -> str:
    ran = run_cli(*args, db=db)
    assert ran.returncode == 0, ran.stderr
    return ran.stderr


def koinly(tmp_path: Path, *rows: str) -> Path:
    """A database holding the rows, imported as Koinly's universal CSV."""
    source = tmp_path / "exchange.csv"
    source.write_text(HEADER + "".join(row + "\n" for row in rows))
    db = tmp_path / "k.duckdb"
    ok("import", str(source), "--format", "koinly", "--account", "exchange", db=db)
    return db


def prices(tmp_path: Path, db: Path, *rows: str) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("timestamp,asset,usd\n" + "".join(row + "\n" for row in rows))
    ok("prices", "import", str(path), db=db)


def figures(row: dict[str, Any]) -> tuple[str, str, str, str]:
    return (row["quantity"], row["cost_basis_usd"], row["proceeds_usd"], row["gain_usd"])


def test_the_usd_paid_and_received_are_basis_and_proceeds_not_net_worth(
        tmp_path: Path) -> None:
    # buy 1 ETH for 1,000 USD (Net Worth 1,050), sell it for 2,000 USD (Net Worth 2,010):
    # basis 1,000 (IRC 1012), proceeds 2,000 (IRC 1001(b)), gain 2,000 - 1,000 = 1,000
    db = koinly(tmp_path, "2024-01-10 10:00,1000,USD,1,ETH,,,1050,USD,,buy,",
                "2024-06-10 10:00,1,ETH,2000,USD,,,2010,USD,,sell,")
    (sale,) = cli_json("gains", "--year", "2024", db=db)
    assert figures(sale) == ("1", "1000.00", "2000.00", "1000.00")
    # the file's values stay whatever a price says later
    prices(tmp_path, db, f"2024-01-01T00:00:00Z,{ETH},3000")
    (sale,) = cli_json("gains", "--year", "2024", db=db)
    assert figures(sale) == ("1", "1000.00", "2000.00", "1000.00")
    assert cli_json("prices", "missing", db=db) == []


def test_the_same_history_in_rp2_gives_the_same_gain(tmp_path: Path) -> None:
    pytest.importorskip("rp2")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from rp2_adapter import Rp2

    def trade(n: int, when: datetime, quantity: int, usd: int) -> LedgerEntry:
        tx = f"0x{n:064x}"
        return LedgerEntry(1, tx, "log:0", 0, n, 0, when, "exchange", Kind.TRADE, "koinly",
                           ETH, "ETH", quantity, 0, None, f"1:{tx}:exchange", Decimal(usd),
                           "koinly")

    # RP2 given the cash of each row (the USD paid, the USD received)
    gains = Rp2(tmp_path, [ETH]).compute([trade(1, datetime(2024, 1, 10, 10, tzinfo=UTC), 1,
                                                1000),
                                          trade(2, datetime(2024, 6, 10, 10, tzinfo=UTC), -1,
                                                2000)], "fifo")
    assert gains == {(ETH, 2024, Term.SHORT): Decimal(1000)}
    db = koinly(tmp_path, "2024-01-10 10:00,1000,USD,1,ETH,,,1050,USD,,buy,",
                "2024-06-10 10:00,1,ETH,2000,USD,,,2010,USD,,sell,")
    (sale,) = cli_json("gains", "--year", "2024", db=db)
    assert Decimal(sale["gain_usd"]) == gains[(ETH, 2024, Term.SHORT)]


def test_a_trade_for_a_stablecoin_without_net_worth_is_valued_by_the_stablecoin(
        tmp_path: Path) -> None:
    # 1 ETH bought for 1,000 USD, swapped for 2,000 DAI (no Net Worth): proceeds 2,000 DAI
    # at $1 = 2,000, gain 1,000; the DAI's basis 2,000; sold for 2,001 USD: gain 1
    db = koinly(tmp_path, "2024-01-10 10:00,1000,USD,1,ETH,,,,,,buy,",
                "2024-06-10 10:00,1,ETH,2000,DAI,,,,,,swap,",
                "2024-09-10 10:00,2000,DAI,2001,USD,,,,,,sell,")
    gains = {g["symbol"]: g for g in cli_json("gains", "--year", "2024", db=db)}
    assert figures(gains["ETH"]) == ("1", "1000.00", "2000.00", "1000.00")
    assert figures(gains["DAI"]) == ("2000", "2000.00", "2001.00", "1.00")
    swap = [leg for leg in cli_json("ledger", db=db) if leg["timestamp"].startswith("2024-06")]
    assert {(leg["symbol"], leg["usd_value"], leg["price_source"]) for leg in swap} == {
        ("ETH", "2000.00", "trade:DAI"), ("DAI", "2000.00", "usd_peg")}
    assert cli_json("prices", "missing", db=db) == []


def test_a_fee_in_eth_is_valued_once_its_price_is_imported(tmp_path: Path) -> None:
    db = koinly(tmp_path, "2024-01-10 10:00,1000,USD,1,ETH,,,,,,buy,",
                "2024-06-10 10:00,0.5,ETH,1500,USD,0.01,ETH,,,,sell,")
    (missing,) = cli_json("prices", "missing", db=db)
    assert (missing["asset"], missing["legs"], missing["first"]) == (
        ETH, 1, "2024-06-10T10:00:00Z")  # the fee, and only it: the sale has its USD
    prices(tmp_path, db, f"2024-06-10T00:00:00Z,{ETH},3000")
    assert cli_json("prices", "missing", db=db) == []
    fee = next(leg for leg in cli_json("ledger", db=db) if leg["kind"] == "fee")
    assert (fee["usd_value"], fee["price_source"]) == ("30.00", "csv")  # 0.01 x 3,000
    # the fee is a disposal of 0.01 ETH: proceeds 30, basis 0.01 x 1,000 = 10, gain 20;
    # the sale's proceeds are 1,500 less the 30 fee = 1,470, basis 0.5 x 1,000 = 500,
    # gain 970 (together 1,500 received for 0.51 ETH of basis 510: 990)
    gains = {g["quantity"]: g for g in cli_json("gains", "--year", "2024", db=db)}
    assert figures(gains["0.01"]) == ("0.01", "10.00", "30.00", "20.00")
    assert figures(gains["0.5"]) == ("0.5", "500.00", "1470.00", "970.00")


def test_a_btc_deposit_priced_from_a_price_file_shows_its_loss_in_harvest(
        tmp_path: Path) -> None:
    db = koinly(tmp_path, "2024-01-10 10:00,,,0.1,BTC,,,,,,deposit,")
    assert [m["asset"] for m in cli_json("prices", "missing", db=db)] == [BTC]
    prices(tmp_path, db, f"2024-01-01T00:00:00Z,{BTC},40000",
           f"2024-11-01T00:00:00Z,{BTC},30000")
    # basis 0.1 x 40,000 = 4,000 (fair value on receipt); at 30,000 it is worth 3,000: a
    # loss of 1,000
    (lot,) = cli_json("harvest", "--as-of", "2024-11-30", db=db)
    assert (lot["asset"], lot["quantity"], lot["cost_basis_usd"], lot["price_usd"],
            lot["value_usd"], lot["unrealized_usd"]) == (
        BTC, "0.1", "4000.00", "30000", "3000.00", "-1000.00")
    assert cli_json("prices", "missing", db=db) == []


def test_a_ledger_file_keeps_its_values_and_the_rest_are_valued_again_and_again(
        tmp_path: Path) -> None:
    header = ("timestamp,chain_id,block_number,tx_hash,log_index,wallet,kind,protocol,asset,"
              "symbol,quantity,usd_value,price_source,counterparty,group_id\n")
    wallet, tx = "0x" + "aa" * 20, "0x" + "01" * 32
    rows = [f"2024-03-01T12:00:00Z,1,100,{tx},1,{wallet},trade,uniswap,{ETH},ETH,-1,2100,"
            f"csv,,g1",
            f"2024-03-01T12:00:00Z,1,100,{tx},2,{wallet},trade,uniswap,{DAI},DAI,2000,,,,g1",
            f"2024-03-01T12:00:00Z,1,100,{tx},,{wallet},fee,uniswap,{ETH},ETH,-0.01,,,,g1"]
    path = tmp_path / "ledger.csv"
    path.write_text(header + "".join(row + "\n" for row in rows))
    db = tmp_path / "l.duckdb"
    ok("import", str(path), "--format", "ledger", db=db)

    def values() -> dict[tuple[str, str], tuple[str | None, str | None]]:
        return {(leg["kind"], leg["symbol"]): (leg["usd_value"], leg["price_source"])
                for leg in cli_json("ledger", db=db)}

    # the DAI takes the value the file gave the trade's ETH leg (before its own $1 peg)
    assert values() == {("trade", "ETH"): ("2100.00", "csv"),
                        ("trade", "DAI"): ("2100.00", "trade:ETH"),
                        ("fee", "ETH"): (None, None)}
    prices(tmp_path, db, f"2024-03-01T00:00:00Z,{ETH},2000")
    assert values()[("fee", "ETH")] == ("20.00", "csv")  # 0.01 x 2,000
    prices(tmp_path, db, f"2024-03-01T06:00:00Z,{ETH},2500")
    assert values() == {("trade", "ETH"): ("2100.00", "csv"),
                        ("trade", "DAI"): ("2100.00", "trade:ETH"),
                        ("fee", "ETH"): ("25.00", "csv")}  # the later price: 0.01 x 2,500


class _Llama(QuietHandler):
    """DefiLlama's /prices/historical/{unix}/{coins}: each coin at 46,000.12 USD a minute
    before the moment asked; the coins asked are kept."""

    def do_GET(self) -> None:
        _, _, _, moment, coins = urlsplit(self.path).path.split("/")
        self.owner().extend(coins.split(","))
        answer = ",".join(f'"{coin}": {{"price": 46000.12, "symbol": "X", '
                          f'"timestamp": {int(moment) - 60}, "confidence": 0.99}}'
                          for coin in coins.split(","))
        self.respond(200, f'{{"coins": {{{answer}}}}}'.encode(),
                     {"Content-Type": "application/json"})


def test_a_btc_price_is_fetched_by_its_coingecko_id_and_values_the_deposit(
        tmp_path: Path) -> None:
    db = koinly(tmp_path, "2024-01-10 10:00,,,0.1,BTC,,,,,,deposit,",
                "2024-01-11 10:00,1000,USD,1,ETH,,,,,,buy,")
    asked: list[str] = []
    with serving(_Llama, asked) as url:
        ok("prices", "fetch", "--source", "defillama", "--defillama-url", url, db=db)
    assert asked == ["coingecko:bitcoin"]  # the ETH bought for USD needs no price
    deposit = next(leg for leg in cli_json("ledger", db=db) if leg["symbol"] == "BTC")
    assert (deposit["usd_value"], deposit["price_source"]) == ("4600.01", "defillama")
    assert cli_json("prices", "missing", db=db) == []  # 0.1 x 46,000.12 = 4,600.012


def test_a_database_from_before_usd_given_keeps_its_imported_values(tmp_path: Path) -> None:
    db = koinly(tmp_path, "2024-01-10 10:00,1000,USD,1,ETH,,,,,,buy,",
                "2024-01-11 10:00,,,0.1,BTC,,,,,,deposit,")
    with duckdb.connect(str(db)) as old:  # as an older taxscan left it: no usd_given column
        old.execute("ALTER TABLE imported_ledger DROP COLUMN usd_given")

    def values() -> dict[str, tuple[str | None, str | None]]:
        return {leg["symbol"]: (leg["usd_value"], leg["price_source"])
                for leg in cli_json("ledger", db=db)}

    assert values() == {"ETH": ("1000.00", "koinly"), "BTC": (None, None)}  # a read brings
    # the file up to date: the values there are the file's
    prices(tmp_path, db, f"2024-01-01T00:00:00Z,{ETH},3000", f"2024-01-01T00:00:00Z,{BTC},40000")
    assert values() == {"ETH": ("1000.00", "koinly"),  # the file's value stays
                        "BTC": ("4000.00", "csv")}  # valued now: 0.1 x 40,000


def test_a_stablecoin_of_another_namespace_values_an_imported_trade(tmp_path: Path) -> None:
    usdc = "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp/token:EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGG" \
        "kZwyTDt1v"
    source = tmp_path / "phantom.csv"
    source.write_text(HEADER + "2024-05-01 10:00,10,SOL,1500,USDC-SOL,,,,,,,\n")
    with Store(tmp_path / "s.duckdb") as store:
        import_ledger(store, source, "koinly", account="phantom",
                      assets={"USDC-SOL": usdc})
        assert {leg.symbol: leg.usd_value for leg in store.ledger()} == {
            "SOL": None, "USDC-SOL": None}
        add_stablecoins(store, [usdc])  # what `scan --stablecoin` and the config keep
        refresh(store)
        # 10 SOL for 1,500 of a USD stablecoin: proceeds 1,500, the coin's basis 1,500
        assert {leg.symbol: (leg.usd_value, leg.price_source) for leg in store.ledger()} == {
            "SOL": (Decimal(1500), "trade:USDC-SOL"), "USDC-SOL": (Decimal(1500), "usd_peg")}
