"""`taxscan spam`: the verdicts with their reasons, and the user's marks over them, on a real
DuckDB file holding raw transactions and logs as a scan stores them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from chains.errors import UserInputError
from chains.evm.abi import TRANSFER
from chains.evm.records import RawLog, RawTx, TokenInfo
from scanner.app import rebuild
from scanner.app import spam as spamming
from scanner.prices.records import PricePoint
from scanner.store import Store
from tests.helpers import cli_json, run_cli

ME = "0x" + "aa" * 20
FRIEND = "0x" + "f0" * 20
SPAMMER = "0x" + "5a" * 20
POOL = "0x" + "70" * 20
DISPERSE = "0x" + "d1" * 20
ZERO = "0x" + "00" * 20
USDC = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"  # a USD stablecoin of Ethereum
TKN = "0x" + "11" * 20
URL = "0x" + "0e" * 20
FAN = "0x" + "fa" * 20
E6, E18 = 10**6, 10**18


def asset(token: str) -> str:
    return f"eip155:1/erc20:{token}"


def topic(address: str) -> str:
    return "0x" + address[2:].rjust(64, "0")


def transfer(index: int, token: str, source: str, target: str, amount: int) -> RawLog:
    return RawLog(index, token, (TRANSFER, topic(source), topic(target)),
                  "0x" + format(amount, "064x"))


def tx(n: int, when: datetime, sender: str, to: str, *logs: RawLog, value: int = 0) -> RawTx:
    # no gas price: no fee to dispose of, so the gains are the tokens' alone
    return RawTx(1, "0x" + format(n, "064x"), 1_000 + n, 0, when, sender, to, value, 50_000, 0,
                 True, logs)


HISTORY = [
    tx(0, datetime(2024, 1, 2, tzinfo=UTC), FRIEND, ME, value=E18),
    tx(1, datetime(2024, 1, 5, tzinfo=UTC), FRIEND, USDC,
       transfer(0, USDC, FRIEND, ME, 1_000 * E6)),
    tx(2, datetime(2024, 2, 1, tzinfo=UTC), ME, POOL,
       transfer(0, USDC, ME, POOL, 500 * E6), transfer(1, TKN, POOL, ME, 100 * E18)),
    tx(3, datetime(2024, 8, 1, tzinfo=UTC), SPAMMER, URL,
       transfer(0, URL, ZERO, ME, 1_000_000 * E18)),
    tx(4, datetime(2024, 9, 1, tzinfo=UTC), SPAMMER, DISPERSE,
       *(transfer(i, FAN, DISPERSE, ME if i == 0 else "0x" + format(i, "040x"), 7 * E18)
         for i in range(12))),
    tx(5, datetime(2025, 3, 1, tzinfo=UTC), ME, POOL,
       transfer(0, TKN, ME, POOL, 100 * E18), transfer(1, USDC, POOL, ME, 800 * E6)),
]
TOKENS = [
    TokenInfo(1, USDC, "USDC", "USD Coin", 6),
    TokenInfo(1, TKN, "TKN", "Token", 18),
    TokenInfo(1, URL, "tkn-rewards.xyz", "Visit tkn-rewards.xyz to claim your bonus", 18),
    TokenInfo(1, FAN, "FAN", "Fan Token", 18),
]
PRICES = [PricePoint(asset(TKN), datetime(2024, 1, 1, tzinfo=UTC), Decimal(5), "csv")]
FAKE = "0xb05d618d2142158e200f463810f1b7eb26a3f225"  # a real poisoning token, below
# what a price fetch that found nothing leaves: only then does "no price" count for spam
MISSES = [(asset(token), datetime(2024, 1, 1, tzinfo=UTC), "defillama")
          for token in (URL, FAN, FAKE)]


def scanned(path: Path, txs: list[RawTx] = HISTORY, wallet: str = ME) -> Path:
    """A database as a scan leaves it: the wallet, its raw records, tokens, prices, and the
    ledger rebuilt from them."""
    with Store(path) as store:
        with store.transaction():
            store.add_wallet(1, wallet)
            store.save_raw(wallet, txs)
            store.save_tokens(TOKENS)
            store.save_prices(PRICES)
            store.save_price_misses(MISSES)
        rebuild.refresh(store)
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return scanned(tmp_path / "spam.duckdb")


def kinds(db: Path, token: str) -> set[str]:
    return {r["kind"] for r in cli_json("ledger", db=db) if r["asset"] == asset(token)}


def ok(*args: str, db: Path) -> str:
    result = run_cli(*args, db=db)
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_spam_lists_each_spam_token_with_its_score_and_reasons(db: Path) -> None:
    rows = cli_json("spam", db=db)
    assert [(r["asset"], r["symbol"], r["score"], r["is_spam"], r["marked"]) for r in rows] == [
        (asset(URL), "tkn-rewards.xyz", 6, True, None),
        (asset(FAN), "FAN", 3, True, None),
    ]
    assert list(rows[0]) == ["asset", "symbol", "score", "is_spam", "marked", "reasons"]
    assert rows[0]["reasons"] == "; ".join([
        "unsolicited: arrived in transactions the wallet did not send (+1)",
        "a URL in its name or symbol (+2)",
        "bait words (claim, visit, reward...) in its name or symbol (+2)",
        "no price from any source (+1)"])
    assert f"dust fan-out: transaction {HISTORY[4].tx_hash} sent it to 12 addresses at " \
        "once (+1)" in rows[1]["reasons"]
    everything = cli_json("spam", "--all", db=db)
    assert [(r["asset"], r["score"], r["is_spam"]) for r in everything] == [
        (asset(URL), 6, True), (asset(FAN), 3, True), (asset(TKN), 0, False)]
    assert kinds(db, FAN) == kinds(db, URL) == {"spam"}


def test_spam_as_csv_and_as_a_table(db: Path) -> None:
    csv = run_cli("spam", "--all", "--format", "csv", db=db)
    assert csv.returncode == 0, csv.stderr
    lines = csv.stdout.splitlines()
    assert lines[0] == "asset,symbol,score,is_spam,marked,reasons"
    assert lines[3].startswith(f"{asset(TKN)},TKN,0,false,,")
    table = run_cli("spam", db=db)
    assert table.returncode == 0, table.stderr
    assert "FAN" in table.stdout and "TKN" not in table.stdout


def test_unmark_makes_an_ordinary_receipt_and_clear_gives_the_score_back(db: Path) -> None:
    said = ok("spam", "unmark", asset(FAN), db=db)
    assert f"{asset(FAN)} (FAN): not spam, marked by you (score 3)" in said
    assert "review: 1 spam token is kept" in said
    assert kinds(db, FAN) == {"transfer_in"}
    assert [r["asset"] for r in cli_json("spam", db=db)] == [asset(URL)]
    fan = next(r for r in cli_json("spam", "--all", db=db) if r["asset"] == asset(FAN))
    assert (fan["score"], fan["is_spam"], fan["marked"]) == (3, False, False)
    assert fan["reasons"].endswith("; marked as not spam by you")

    said = ok("spam", "clear", asset(FAN), db=db)
    assert f"{asset(FAN)} (FAN): spam, by its score (score 3)" in said
    assert kinds(db, FAN) == {"spam"}
    fan = next(r for r in cli_json("spam", db=db) if r["asset"] == asset(FAN))
    assert (fan["is_spam"], fan["marked"]) == (True, None)
    assert "marked" not in fan["reasons"]


def test_mark_takes_a_token_out_of_the_gains(db: Path) -> None:
    before = cli_json("gains", "--year", "2025", db=db)
    assert [(g["asset"], g["gain_usd"]) for g in before] == [(asset(TKN), "300.00")]
    said = ok("spam", "mark", asset(TKN).upper().replace("EIP155", "eip155"), db=db)
    assert f"{asset(TKN)} (TKN): spam, marked by you (score 0)" in said
    assert cli_json("gains", "--year", "2025", db=db) == []
    assert kinds(db, TKN) == {"spam"}
    tkn = next(r for r in cli_json("spam", db=db) if r["asset"] == asset(TKN))
    assert (tkn["score"], tkn["is_spam"], tkn["marked"], tkn["reasons"]) == \
        (0, True, True, "marked as spam by you")


@pytest.mark.parametrize(("ident", "says"), [
    ("eip155:1/erc20:0x12", "not a CAIP-19 asset id"),
    (asset("0x" + "99" * 20), f"not in the ledger (no leg moves it): {asset('0x' + '99' * 20)}"),
    ("eip155:1/slip44:60", "never judged as spam"),
    (asset(USDC), "never judged as spam"),
])
def test_a_bad_asset_is_one_line_exit_2_and_nothing_is_marked(db: Path, ident: str,
                                                              says: str) -> None:
    result = run_cli("spam", "mark", asset(FAN), ident, db=db)
    assert result.returncode == 2
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert kinds(db, FAN) == {"spam"}
    with Store(db) as store:
        assert store.spam_marks() == {}


def test_a_failed_rebuild_leaves_the_marks_as_they_were(db: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    with Store(db) as store:
        spamming.mark_spam(store, [asset(TKN)], True)

        def broken(*_: object, **__: object) -> None:
            raise RuntimeError("the rebuild breaks")

        monkeypatch.setattr(rebuild, "_update_lots", broken)  # after the ledger changed
        with pytest.raises(RuntimeError):
            spamming.mark_spam(store, [asset(TKN), asset(FAN)], False)
        assert store.spam_marks() == {asset(TKN): True}
        legs = {e.asset: e.kind.value for e in store.ledger()}
        assert (legs[asset(TKN)], legs[asset(FAN)]) == ("spam", "spam")
        with pytest.raises(UserInputError, match="name the tokens"):
            spamming.mark_spam(store, [], None)


def test_a_database_from_before_every_verdict_was_kept_still_works(db: Path) -> None:
    """Older versions kept only the spam tokens' verdicts, in three columns, and no marks."""
    with duckdb.connect(str(db)) as old:
        old.execute("CREATE TABLE old_spam AS SELECT asset, score, reasons FROM spam "
                    "WHERE is_spam")
        old.execute("DROP TABLE spam")
        old.execute("DROP TABLE spam_marks")
        old.execute("CREATE TABLE spam (asset VARCHAR PRIMARY KEY, score INTEGER NOT NULL, "
                    "reasons VARCHAR NOT NULL)")
        old.execute("INSERT INTO spam SELECT * FROM old_spam")
        old.execute("DROP TABLE old_spam")
    assert [(r["asset"], r["is_spam"]) for r in cli_json("spam", "--all", db=db)] == [
        (asset(URL), True), (asset(FAN), True)]
    ok("spam", "unmark", asset(FAN), db=db)
    assert [(r["asset"], r["is_spam"], r["marked"]) for r in cli_json("spam", "--all", db=db)] \
        == [(asset(URL), True, None), (asset(FAN), False, False), (asset(TKN), False, None)]


ETL = "ethereum-etl-blocks/blocks_17173049_17173050_expected_"
POISONING = "0x37ba10f7d6d7a0b46b2b6ff31ea304c1650de3643f832d9a471d5df29cd88690"
VICTIM = "0xb09c08604c57d213a48cb5411110332971978ed3"


def etl_tx(realdata: Path, tx_hash: str) -> RawTx:
    """A mainnet transaction and its receipt's logs as ethereum-etl exported them."""
    (row,) = [t for t in map(json.loads, (realdata / f"{ETL}transactions.json").open())
              if t["hash"] == tx_hash]
    logs = [RawLog(g["log_index"], g["address"], tuple(g["topics"]), g["data"])
            for g in map(json.loads, (realdata / f"{ETL}logs.json").open())
            if g["transaction_hash"] == tx_hash]
    return RawTx(1, tx_hash, row["block_number"], row["transaction_index"],
                 datetime.fromtimestamp(row["block_timestamp"], tz=UTC), row["from_address"],
                 row["to_address"], int(row["value"]), int(row["receipt_gas_used"]),
                 int(row["receipt_effective_gas_price"]), row["receipt_status"] == 1,
                 tuple(sorted(logs, key=lambda g: g.log_index)))


def test_a_real_mainnet_fan_out_of_a_fake_token_is_spam(realdata: Path, tmp_path: Path) -> None:
    """Mainnet block 17173050: one transaction emits Transfer events of one token to 22
    addresses (an address-poisoning push); a wallet among them sees it as spam."""
    db = scanned(tmp_path / "real.duckdb", [etl_tx(realdata, POISONING)], VICTIM)
    (row,) = cli_json("spam", "--all", db=db)
    assert (row["asset"], row["score"], row["is_spam"]) == (asset(FAKE), 3, True)
    assert f"dust fan-out: transaction {POISONING} sent it to 22 addresses at once (+1)" \
        in row["reasons"]
    assert kinds(db, FAKE) == {"spam"}
