"""Issue 19, as a user meets it through the installed `taxscan`: each kind of the ledger
gets the label the target tool documents, a Koinly staking row is staking income, a Parquet
ledger export imports back with the figures of its CSV twin, and Koinly currencies without
an asset id import under a local one, named once for review."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

TAXSCAN = Path(sys.executable).parent / "taxscan"

A = "0x" + "aa" * 20
B = "0x" + "bb" * 20
ETH = "eip155:1/slip44:60"
USDC = "eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
WETH = "eip155:1/erc20:0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
STETH = "eip155:1/erc20:0xae7ab96520de3a18e5e111b5eaab095312d7fe84"
AUSDC = "eip155:1/erc20:0x98c23e9d8f34fefb1b7bd6a91b7ff122f4e16f5c"
DEBT = "eip155:1/erc20:0x72e95b8931767c79ba4eee721354d6e99a61d004"
TKN = "eip155:1/erc20:0x" + "11" * 20
LP = "eip155:1/erc20:0x" + "22" * 20

LEDGER_HEADER = ("timestamp,chain_id,block_number,tx_hash,log_index,wallet,kind,protocol,"
                 "asset,symbol,quantity,usd_value,price_source,counterparty,group_id")


def tx(n: int) -> str:
    return "0x" + format(n, "064x")


def legs(n: int, when: str, *moves: tuple[str, str, str, str, str, str, str | None]
         ) -> list[str]:
    """Ledger CSV rows of transaction `n`: (wallet, kind, protocol, asset, symbol, quantity,
    usd) each."""
    rows = []
    for index, (wallet, kind, protocol, asset, symbol, quantity, value) in enumerate(moves):
        log = "" if kind == "fee" else str(index)
        rows.append(f"{when},1,{100 + n},{tx(n)},{log},{wallet},{kind},{protocol},{asset},"
                    f"{symbol},{quantity},{value or ''},{'csv' if value else ''},,"
                    f"1:{tx(n)}:{wallet}")
    return rows


# one transaction of each kind the exports label (the wallet's legs, as the decoders give)
LEDGER = "\n".join([LEDGER_HEADER, *[
    *legs(1, "2024-01-10T12:00:00Z", (A, "trade", "uniswap-v3", USDC, "USDC", "-2000", "2000"),
          (A, "trade", "uniswap-v3", ETH, "ETH", "1", "2000")),
    *legs(2, "2024-02-01T12:00:00Z", (A, "wrap", "weth", ETH, "ETH", "-0.5", "1100"),
          (A, "wrap", "weth", WETH, "WETH", "0.5", "1100")),
    *legs(3, "2024-03-01T12:00:00Z", (A, "stake", "lido", ETH, "ETH", "-0.25", "800"),
          (A, "stake", "lido", STETH, "stETH", "0.25", "800")),
    *legs(4, "2024-04-01T12:00:00Z",
          (A, "income", "staking-rewards", TKN, "TKN", "10", "20")),
    *legs(5, "2024-05-01T12:00:00Z", (A, "borrow", "aave-v3", USDC, "USDC", "500", "500"),
          (A, "debt", "aave-v3", DEBT, "variableDebtUSDC", "500", None)),
    *legs(6, "2024-06-01T12:00:00Z", (A, "repay", "aave-v3", USDC, "USDC", "-500", "500"),
          (A, "debt", "aave-v3", DEBT, "variableDebtUSDC", "-500", None)),
    *legs(7, "2024-07-01T12:00:00Z",
          (A, "self_transfer", "transfer", WETH, "WETH", "-0.1", "300"),
          (A, "fee", "transfer", ETH, "ETH", "-0.001", "3")),
    *legs(7, "2024-07-01T12:00:00Z",
          (B, "self_transfer", "transfer", WETH, "WETH", "0.1", "300")),
    *legs(8, "2024-08-01T12:00:00Z", (A, "income", "aave-v3", AUSDC, "aUSDC", "1", "1")),
    *legs(9, "2024-09-01T12:00:00Z", (A, "lp_deposit", "uniswap-v2", ETH, "ETH", "-0.1", "250"),
          (A, "lp_deposit", "uniswap-v2", USDC, "USDC", "-250", "250"),
          (A, "lp_deposit", "uniswap-v2", LP, "UNI-V2", "5", "500")),
    *legs(10, "2024-10-01T12:00:00Z", (A, "trade", "uniswap-v3", ETH, "ETH", "-0.1", "350"),
          (A, "trade", "uniswap-v3", USDC, "USDC", "350", "350")),
    *legs(11, "2024-11-01T12:00:00Z", (A, "unstake", "lido", STETH, "stETH", "-0.25", "900"),
          (A, "unstake", "lido", ETH, "ETH", "0.25", "900")),
]]) + "\n"

# What each kind's row is labelled, as each tool documents its labels:
# - Koinly: support.koinly.io/en/articles/9490023 (tags), 9490056 (staking: Reward),
#   9490026 (loans: Loan, Loan repayment), help.koinly.io/en/articles/3663453 (Swap: a
#   tax-free trade; Liquidity in/out). A self transfer is no event inside the one Koinly
#   wallet a file is imported into: its row goes, its gas stays a "cost".
# - CoinTracker: its CSV guide's receipt tags (staked, payment...); no loan or swap tag.
# - CoinLedger: its universal template's types (Trade, Staking, Income, Deposit,
#   Withdrawal, Merchant Payment).
# (transaction, what the row moves) -> (Koinly, CoinTracker, CoinLedger); None: no row
LABELS: dict[tuple[int, str], tuple[str | None, str | None, str]] = {
    (1, "trade USDC for ETH"): ("", "", "Trade"),
    (2, "wrap ETH into WETH"): ("swap", "", "Trade"),
    (3, "stake ETH for stETH"): ("swap", "", "Trade"),
    (4, "staking reward TKN"): ("reward", "staked", "Staking"),
    (5, "borrow USDC"): ("loan", "", "Deposit"),
    (6, "repay USDC"): ("loan repayment", "", "Withdrawal"),
    (7, "self transfer WETH out"): (None, None, "Withdrawal"),
    (7, "self transfer WETH in"): (None, None, "Deposit"),
    (7, "gas ETH"): ("cost", "", "Merchant Payment"),
    (8, "interest aUSDC"): ("lending interest", "payment", "Income"),
    (9, "LP deposit ETH"): ("liquidity in", "", "Withdrawal"),
    (9, "LP deposit USDC"): ("liquidity in", "", "Withdrawal"),
    (9, "LP deposit UNI-V2"): ("liquidity in", "", "Deposit"),
    (10, "trade ETH for USDC"): ("", "", "Trade"),
    (11, "unstake stETH for ETH"): ("swap", "", "Trade"),
}


def taxscan(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TAXSCAN_DB"}
    return subprocess.run([str(TAXSCAN), *args, "--db", str(db)], capture_output=True,
                          text=True, timeout=120, env=env, check=False)


def ok(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    ran = taxscan(*args, db=db)
    assert ran.returncode == 0, ran.stderr
    return ran


def as_json(*args: str, db: Path) -> Any:
    return json.loads(ok(*args, "--format", "json", db=db).stdout)


def ledger_db(tmp_path: Path) -> Path:
    source = tmp_path / "legs.csv"
    source.write_text(LEDGER)
    db = tmp_path / "books.duckdb"
    ok("import", str(source), "--format", "ledger", db=db)
    return db


def exported(db: Path, fmt: str, out: Path, *rules: str) -> list[dict[str, str]]:
    ok("export", "--format", fmt, "--out", str(out), *rules, db=db)
    return list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))


def test_every_kind_gets_the_label_each_tool_documents(tmp_path: Path) -> None:
    db = ledger_db(tmp_path)
    koinly = exported(db, "koinly", tmp_path / "koinly.csv")
    tracker = exported(db, "cointracker", tmp_path / "cointracker.csv")
    ledger = exported(db, "coinledger", tmp_path / "coinledger.csv")
    # each file's rows, in ledger order, by what they move
    koinly_rows = [(r["Sent Currency"], r["Received Currency"], r["Label"]) for r in koinly]
    tracker_rows = [(r["Sent Currency"], r["Received Currency"], r["Tag"]) for r in tracker]
    ledger_rows = [(r["Asset Sent"], r["Asset Received"], r["Type"]) for r in ledger]
    moves = {  # what each entry of LABELS sends and receives in the files
        (1, "trade USDC for ETH"): ("USDC", "ETH"), (2, "wrap ETH into WETH"): ("ETH", "WETH"),
        (3, "stake ETH for stETH"): ("ETH", "stETH"), (4, "staking reward TKN"): ("", "TKN"),
        (5, "borrow USDC"): ("", "USDC"), (6, "repay USDC"): ("USDC", ""),
        (7, "self transfer WETH out"): ("WETH", ""), (7, "self transfer WETH in"): ("", "WETH"),
        (7, "gas ETH"): ("ETH", ""), (8, "interest aUSDC"): ("", "aUSDC"),
        (9, "LP deposit ETH"): ("ETH", ""), (9, "LP deposit USDC"): ("USDC", ""),
        (9, "LP deposit UNI-V2"): ("", "UNI-V2"), (10, "trade ETH for USDC"): ("ETH", "USDC"),
        (11, "unstake stETH for ETH"): ("stETH", "ETH"),
    }
    # CoinLedger keeps the self transfer's gas on its Withdrawal row, as a fee
    ledger_wanted = [(*moves[key], labels[2]) for key, labels in LABELS.items()
                     if key != (7, "gas ETH")]
    assert ledger_rows == ledger_wanted
    assert koinly_rows == [(*moves[key], labels[0]) for key, labels in LABELS.items()
                           if labels[0] is not None]
    assert tracker_rows == [(*moves[key], labels[1]) for key, labels in LABELS.items()
                            if labels[1] is not None]
    # the debt token is no holding: no file names it
    for text in (tmp_path / "koinly.csv", tmp_path / "cointracker.csv",
                 tmp_path / "coinledger.csv"):
        assert "variableDebtUSDC" not in text.read_text()


def test_a_wrap_is_a_koinly_swap_only_where_taxscan_carries_its_basis(tmp_path: Path) -> None:
    db = ledger_db(tmp_path)
    uk = exported(db, "koinly", tmp_path / "uk.csv", "--jurisdiction", "uk")
    wrap = next(r for r in uk if r["Received Currency"] == "WETH")
    assert wrap["Label"] == ""  # the UK pools take a wrap as a trade: so does Koinly then
    us = exported(db, "koinly", tmp_path / "us.csv")
    assert next(r for r in us if r["Received Currency"] == "WETH")["Label"] == "swap"


KOINLY_HEADER = ("Date,Sent Amount,Sent Currency,Received Amount,Received Currency,"
                 "Fee Amount,Fee Currency,Net Worth Amount,Net Worth Currency,Label,"
                 "Description,TxHash\n")


def test_a_koinly_staking_row_is_staking_income(tmp_path: Path) -> None:
    source = tmp_path / "exchange.csv"
    source.write_text(KOINLY_HEADER
                      + "2024-06-01 00:00,,,0.1,ETH,,,350,USD,staking,,\n"
                      + "2024-06-02 00:00,,,5,USDC,,,5,USD,income,,\n")
    db = tmp_path / "k.duckdb"
    ok("import", str(source), "--format", "koinly", db=db)
    income = as_json("income", "--year", "2024", db=db)
    # the staking-rewards decoder's rewards are income kind "reward": so is a staking row
    assert [(i["symbol"], i["quantity"], i["usd_value"], i["kind"]) for i in income] == [
        ("ETH", "0.1", "350.00", "reward"), ("USDC", "5", "5.00", "claim")]


def test_a_parquet_ledger_export_imports_back_with_the_csv_figures(tmp_path: Path) -> None:
    db = ledger_db(tmp_path)
    parquet, text = tmp_path / "ledger.parquet", tmp_path / "ledger.csv"
    ok("export", "--format", "ledger", "--out", str(parquet), db=db)
    ok("export", "--format", "ledger", "--out", str(text), db=db)
    from_parquet, from_csv = tmp_path / "p.duckdb", tmp_path / "c.duckdb"
    ok("import", str(parquet), "--format", "ledger", db=from_parquet)
    ok("import", str(text), "--format", "ledger", db=from_csv)
    gains = as_json("gains", "--year", "2024", db=from_parquet)
    assert gains == as_json("gains", "--year", "2024", db=from_csv)
    assert as_json("income", "--year", "2024", db=from_parquet) == \
        as_json("income", "--year", "2024", db=from_csv)
    assert len(as_json("ledger", db=from_parquet)) == len(LEDGER.splitlines()) - 1
    # the ETH sold on October 1: 0.1 of the one ETH lot bought for 2000 USD (FIFO), sold
    # for 350 USD
    sale = next(g for g in gains if g["tx_hash"] == tx(10) and g["symbol"] == "ETH")
    basis = Decimal("0.1") * Decimal(2000)
    assert (Decimal(sale["cost_basis_usd"]), Decimal(sale["proceeds_usd"]),
            Decimal(sale["gain_usd"])) == (basis, Decimal(350), Decimal(350) - basis)


def test_a_parquet_file_that_is_none_is_one_line_error(tmp_path: Path) -> None:
    bogus = tmp_path / "ledger.parquet"
    bogus.write_text("not parquet\n")
    ran = taxscan("import", str(bogus), "--format", "ledger", db=tmp_path / "x.duckdb")
    assert ran.returncode == 2
    assert ran.stderr.startswith(f"error: {bogus}: cannot read as Parquet (")
    assert ran.stderr.count("\n") == 1 and "Traceback" not in ran.stderr


def test_symbols_without_an_asset_id_import_under_a_local_one(tmp_path: Path) -> None:
    source = tmp_path / "exchange.csv"
    source.write_text(KOINLY_HEADER
                      + "2024-01-05 10:00,1000,USD,2,KAVA,,,,,,,\n"
                      + "2024-03-01 10:00,1,KAVA,3,ZEN,,,,,,,\n"
                      + "2024-03-02 10:00,,,7,ID:28478,,,,,airdrop,,\n")
    db = tmp_path / "k.duckdb"
    ran = ok("import", str(source), "--format", "koinly", "--account", "exchange", db=db)
    assert "review: 3 symbols have no asset id: KAVA, ZEN, ID:28478: map them with --asset " \
        "SYMBOL=ID\n" in ran.stderr
    assets = {leg["symbol"]: leg["asset"] for leg in as_json("ledger", db=db)}
    assert assets == {"KAVA": "taxscan:koinly/symbol:KAVA", "ZEN": "taxscan:koinly/symbol:ZEN",
                      "ID:28478": "taxscan:koinly/symbol:ID%3A28478"}
    # a price file names the local id, and prices what is held of it
    prices = tmp_path / "prices.csv"
    prices.write_text("timestamp,asset,usd\n2024-12-31T00:00:00Z,taxscan:koinly/symbol:KAVA,"
                      "0.45\n")
    ok("prices", "import", str(prices), db=db)
    held = {b["symbol"]: b for b in as_json("balances", "--year", "2024", db=db)}
    assert (held["KAVA"]["quantity"], held["KAVA"]["value_usd"]) == ("1", "0.45")
    # a symbol mapped with --asset takes its id; the others are still named
    again = ok("import", str(source), "--format", "koinly", "--account", "exchange",
               "--asset", "KAVA=cosmos:kava_2222-10/slip44:459", db=db)
    assert "review: 2 symbols have no asset id: ZEN, ID:28478: map them" in again.stderr
    assets = {leg["symbol"]: leg["asset"] for leg in as_json("ledger", db=db)}
    assert assets["KAVA"] == "cosmos:kava_2222-10/slip44:459"
