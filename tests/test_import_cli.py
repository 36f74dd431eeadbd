"""`taxscan import`: Koinly's off-chain trades join the lots, and an exported ledger
imported again gives the same figures."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from scanner.formats.render import write_csv
from scanner.formats.rows import LEDGER, ledger_rows
from scanner.ledger.classify import group_id
from scanner.ledger.records import Kind, LedgerEntry
from tests.helpers import cli_json, run_cli

KOINLY = """Date,Sent Amount,Sent Currency,Received Amount,Received Currency,Fee Amount,Fee Currency,Net Worth Amount,Net Worth Currency,Label,Description,TxHash
2024-01-05 10:00,40000,USD,1,BTC,10,USD,,,,buy,
2024-03-01 09:30,6000,USD,2,ETH,,,,,,buy,
2024-06-01 00:00,,,0.1,ETH,,,350,USD,staking,reward,
2025-02-01 12:00,0.5,BTC,50000,USD,,,,,,sell,
2025-02-02 12:00,1,ETH,0.05,BTC,,,3300,USD,,swap,
"""  # noqa: E501


def koinly_db(tmp_path: Path) -> Path:
    source = tmp_path / "coinbase.csv"
    source.write_text(KOINLY)
    db = tmp_path / "k.duckdb"
    result = run_cli("import", str(source), "--format", "koinly", "--account", "coinbase",
                     db=db)
    assert result.returncode == 0, result.stderr
    assert "6 legs imported" in result.stderr
    return db


def test_koinly_trades_become_lots_gains_and_income(tmp_path: Path) -> None:
    db = koinly_db(tmp_path)
    gains = {(g["symbol"], g["tx_hash"][:7]): g for g in cli_json("gains", "--year", "2025",
                                                                   db=db)}
    btc = next(g for (symbol, _), g in gains.items() if symbol == "BTC")
    assert (btc["quantity"], btc["cost_basis_usd"], btc["proceeds_usd"], btc["gain_usd"],
            btc["term"], btc["wallet"]) == ("0.5", "20005.00", "50000.00", "29995.00", "long",
                                           "coinbase")
    eth = next(g for (symbol, _), g in gains.items() if symbol == "ETH")
    assert (eth["cost_basis_usd"], eth["proceeds_usd"], eth["term"]) == \
        ("3000.00", "3300.00", "short")  # FIFO: the first ETH lot, at 6000 / 2
    (reward,) = cli_json("income", "--year", "2024", db=db)
    assert (reward["symbol"], reward["quantity"], reward["usd_value"]) == ("ETH", "0.1", "350.00")
    again = run_cli("import", str(tmp_path / "coinbase.csv"), "--format", "koinly",
                    "--account", "coinbase", db=db)
    assert again.returncode == 0, again.stderr
    assert len(cli_json("ledger", db=db)) == 6  # the same file again replaces its legs


def test_an_exported_ledger_imported_again_gives_the_same_figures(tmp_path: Path) -> None:
    db = koinly_db(tmp_path)
    exported = run_cli("ledger", "--format", "csv", db=db)
    assert exported.returncode == 0, exported.stderr
    path = tmp_path / "ledger.csv"
    path.write_text(exported.stdout, newline="")
    fresh = tmp_path / "fresh.duckdb"
    imported = run_cli("import", str(path), "--format", "ledger", db=fresh)
    assert imported.returncode == 0, imported.stderr

    def figures(db: Path, report: str, year: str) -> list[dict[str, object]]:
        rows = cli_json(report, "--year", year, db=db)
        return [{k: v for k, v in row.items() if k != "lot_id"} for row in rows]

    for report, year in (("gains", "2025"), ("income", "2024"), ("gains", "2024")):
        assert figures(fresh, report, year) == figures(db, report, year)
    assert cli_json("ledger", db=fresh) == cli_json("ledger", db=db)


def test_an_unmapped_currency_is_one_line_naming_it(tmp_path: Path) -> None:
    source = tmp_path / "k.csv"
    source.write_text(KOINLY.splitlines()[0] + "\n2024-01-05 10:00,100,USD,5,XTZ,,,,,,,\n")
    result = run_cli("import", str(source), "--format", "koinly", db=tmp_path / "k.duckdb")
    # issue 19: it imports under a local id, named in one review line
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if "XTZ" in line] == [
        "review: 1 symbol has no asset id: XTZ: map them with --asset SYMBOL=ID"]
    mapped = run_cli("import", str(source), "--format", "koinly", "--asset",
                     "XTZ=tezos:NetXdQprcVkpaWU/slip44:1729",
                     db=tmp_path / "k.duckdb")
    assert mapped.returncode == 0, mapped.stderr


def test_one_transaction_at_two_moments_is_one_line_and_stores_nothing(tmp_path: Path) -> None:
    """A ledger file gives one transaction (one wallet's group) two moments: its legs are
    taken at the first, so the ETH it bought in March would be sold in February. The
    import stops with one line naming the sale, exit 2, and leaves the legs of the file
    imported before as they were."""
    wallet, tx_hash = "0x" + "aa" * 20, "0x" + "ab" * 32
    usdc, eth = ("eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
                 "eip155:1/slip44:60")

    def leg(tx: str, key: str, when: datetime, asset: str, raw: int, decimals: int,
            usd: str) -> LedgerEntry:
        return LedgerEntry(1, tx, key, None, 0, 0, when, wallet, Kind.TRADE, "file", asset,
                           None, raw, decimals, None, group_id(1, tx, wallet), Decimal(usd),
                           "file")

    def write(name: str, legs: list[LedgerEntry]) -> Path:
        path = tmp_path / name
        with path.open("w", newline="", encoding="utf-8") as out:
            write_csv(out, ledger_rows(legs), LEDGER.fields)
        return path

    day = datetime(2024, 1, 1, tzinfo=UTC)
    good = write("good.csv", [leg("0x" + "ef" * 32, "log:0", day, usdc, 10**6, 6, "1")])
    bad = write("bad.csv", [
        leg(tx_hash, "log:0", day, usdc, 100 * 10**6, 6, "100"),
        leg("0x" + "cd" * 32, "log:0", datetime(2024, 2, 1, tzinfo=UTC), eth, -5 * 10**17, 18,
            "1500"),
        leg(tx_hash, "log:1", datetime(2024, 3, 1, tzinfo=UTC), eth, 10**18, 18, "3000")])
    db = tmp_path / "t.duckdb"
    assert run_cli("import", str(good), "--format", "ledger", db=db).returncode == 0
    result = run_cli("import", str(bad), "--format", "ledger", db=db)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "0xcdcd" in result.stderr and "different moments" in result.stderr
    assert "Traceback" not in result.stderr
    assert [row["quantity"] for row in cli_json("ledger", db=db)] == ["1"]


class _Stages:
    """A Progress that keeps the stages it was told of."""

    def __init__(self) -> None:
        self.stages: list[str] = []

    def start(self, label: str, total: int | None) -> None:
        self.stages.append(label)

    def advance(self, amount: int = 1) -> None:
        pass


def test_an_import_shows_each_stage_of_its_work(tmp_path: Path) -> None:
    from scanner.app.imports import import_ledger
    from scanner.store import Store

    source = tmp_path / "coinbase.csv"
    source.write_text(KOINLY)
    progress = _Stages()
    with Store(tmp_path / "p.duckdb") as store:
        import_ledger(store, source, "koinly", account="coinbase", progress=progress)
    assert progress.stages[:2] == ["reading coinbase.csv", "storing the legs"]
    # a first import computes every lot: the ledger read, matched, and the lots stored;
    # open: BTC 1 - 0.5, ETH 2 - 1, the 0.1 ETH reward, the 0.05 BTC of the swap; sold:
    # the 0.5 BTC and the 1 ETH swapped
    assert progress.stages[-3:] == ["lots: reading the ledger", "lots: matching 6 legs",
                                    "lots: storing 4 lots and 2 disposals"]
