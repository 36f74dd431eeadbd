"""Issue 18: a scan, a ledger import, a price import and a spam mark each rebuild only what
they can change (scanner.app.rebuild), and leave the same tables a whole rebuild gives.
After random sequences of them on a real DuckDB file, `refresh` (the whole rebuild of
`taxscan rebuild`) must change nothing: the ledger, the imported legs with their values,
the spam verdicts, the open lots and the disposals, compared row for row."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chains.evm.records import RawTx, TokenInfo
from scanner.app.imports import import_ledger, import_prices
from scanner.app.queries import review
from scanner.app.readmodel import all_legs
from scanner.app.rebuild import refresh, refresh_chains
from scanner.app.spam import mark_spam
from scanner.formats.render import write_csv
from scanner.formats.rows import LEDGER, ledger_rows
from scanner.ledger.classify import group_id
from scanner.ledger.records import Kind, LedgerEntry
from scanner.store import Store
from tests.helpers import run_cli
from tests.unit.rawtx import ME, STRANGER, transfer, tx

USDC = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
BAIT, TOKEN, OTHER = "0x" + "a1" * 20, "0x" + "b2" * 20, "0x" + "c3" * 20
ETH = "eip155:1/slip44:60"
PAL = "0x" + "ee" * 20  # an imported account's wallet
TOKENS = [TokenInfo(1, BAIT, "claim-reward.com", "Visit to claim", 18),
          TokenInfo(1, TOKEN, "BTK", "B token", 18), TokenInfo(1, OTHER, "CTK", "C", None)]


def asset(token: str) -> str:
    return f"eip155:1/erc20:{token}"


# the wallet's history on chain 1: bait pushed at it, trades, a move away, a native send
TXS: list[RawTx] = [
    tx(transfer(0, BAIT, STRANGER, ME, 10**20), sender=STRANGER, n=1),
    tx(transfer(0, USDC, ME, STRANGER, 100 * 10**6), transfer(1, TOKEN, STRANGER, ME, 5 * 10**18),
       n=2),
    tx(transfer(0, TOKEN, ME, STRANGER, 2 * 10**18), n=3),
    tx(transfer(0, BAIT, STRANGER, ME, 10**19), transfer(1, OTHER, STRANGER, ME, 7),
       sender=STRANGER, n=4),
    tx(transfer(0, TOKEN, ME, STRANGER, 10**18), transfer(1, BAIT, STRANGER, ME, 10**19), n=5),
    tx(to=STRANGER, value=10**17, n=6),
    tx(transfer(0, TOKEN, ME, PAL, 10**18), n=7),  # to an imported account: pairs
]
FILED = "eip155:1/erc20:0x" + "01" * 20  # a token of the files only
IMPORTED_ASSETS = [asset(TOKEN), ETH, FILED]
PRICED = [asset(TOKEN), ETH, FILED, asset(BAIT)]
START = datetime(2023, 10, 1, tzinfo=UTC)


def _leg(n: int, index: int, wallet: str, kind: Kind, token: str, raw: int,
         value: Decimal | None, when: datetime) -> LedgerEntry:
    tx_hash = f"0x{n:062x}ff"
    return LedgerEntry(1, tx_hash, f"log:{index}", index, 0, n, when, wallet, kind, "file",
                       token, None, raw, 18, None, group_id(1, tx_hash, wallet), value,
                       "file" if value is not None else None)


@st.composite
def ledger_files(draw: st.DrawFn) -> tuple[str, list[LedgerEntry]]:
    """A ledger file of a few trades and own moves, some without a USD value."""
    legs: list[LedgerEntry] = []
    for n in range(draw(st.integers(1, 5))):
        base = draw(st.integers(0, 10**6))
        when = START + timedelta(days=draw(st.integers(0, 700)))
        token = draw(st.sampled_from(IMPORTED_ASSETS))
        raw = draw(st.integers(1, 9)) * 10**17
        value = draw(st.sampled_from([None, None, Decimal("12.34")]))
        wallet = draw(st.sampled_from([ME, PAL]))
        number = base * 10 + n
        if draw(st.booleans()):  # a trade against USDC or ETH
            sign = draw(st.sampled_from([1, -1]))
            pay = draw(st.sampled_from([asset(USDC), ETH, FILED]))
            legs += [_leg(number, 0, wallet, Kind.TRADE, token, sign * raw, value, when),
                     _leg(number, 1, wallet, Kind.TRADE, pay, -sign * raw * 3, None, when)]
        else:  # a move to the other own wallet, in one transaction
            other = PAL if wallet == ME else ME
            legs += [_leg(number, 0, wallet, Kind.TRANSFER_OUT, token, -raw, value, when),
                     _leg(number, 1, other, Kind.TRANSFER_IN, token, raw, None, when)]
    return f"file{draw(st.integers(0, 2))}.csv", legs


steps = st.one_of(
    st.tuples(st.just("scan"), st.lists(st.sampled_from(range(len(TXS))), max_size=3)),
    st.tuples(st.just("import"), ledger_files()),
    st.tuples(st.just("price"), st.sampled_from(PRICED), st.integers(0, 400),
              st.integers(1, 500)),
    st.tuples(st.just("mark"), st.integers(0, 9), st.sampled_from([True, False, None])),
)


def _run(store: Store, folder: Path, step: tuple[Any, ...]) -> None:
    kind = step[0]
    if kind == "scan":
        with store.transaction():
            store.add_wallet(1, ME)
            store.save_raw(ME, [TXS[i] for i in step[1]])
            store.save_tokens(TOKENS)
        refresh_chains(store, {1})
    elif kind == "import":
        name, legs = step[1]
        path = folder / name
        with path.open("w", newline="", encoding="utf-8") as out:
            write_csv(out, ledger_rows(legs), LEDGER.fields)
        import_ledger(store, path, "ledger")
    elif kind == "price":
        _, token, day, cents = step
        when = (START + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")
        path = folder / "prices.csv"
        path.write_text(f"timestamp,asset,usd\n{when},{token},{Decimal(cents) / 100}\n")
        import_prices(store, path)
    else:
        judged = [row.asset for row in store.spam_verdicts(include_all=True)]
        if judged:
            mark_spam(store, [judged[step[1] % len(judged)]], step[2])


TABLES = ("ledger", "imported_ledger", "spam", "lots", "disposals")


def _tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with duckdb.connect(str(path), read_only=True) as db:
        return {name: db.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()
                for name in TABLES}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(steps, min_size=1, max_size=6))
@example([("import", ("file0.csv", [
    _leg(5, 0, ME, Kind.TRANSFER_OUT, FILED, -10**18, None, START + timedelta(days=90)),
    _leg(6, 0, PAL, Kind.TRADE, FILED, 10**18, None, START + timedelta(days=100)),
    _leg(6, 1, PAL, Kind.TRADE, ETH, -10**18, None, START + timedelta(days=100)),
    _leg(7, 0, PAL, Kind.TRADE, FILED, -10**17, Decimal(9), START + timedelta(days=400))])),
    ("price", FILED, 50, 300), ("price", ETH, 95, 200000)])
@example([("scan", [0, 1, 2, 3]), ("import", ("file1.csv", [
    _leg(8, 0, PAL, Kind.TRANSFER_IN, asset(TOKEN), 10**18, None, START + timedelta(days=190)),
    _leg(9, 0, PAL, Kind.TRADE, asset(TOKEN), -10**17, Decimal(4), START + timedelta(days=200)),
    _leg(9, 1, PAL, Kind.TRADE, ETH, 10**16, None, START + timedelta(days=200))])),
    ("scan", [4, 5, 6]), ("mark", 0, True), ("price", asset(BAIT), 1, 7), ("mark", 0, None),
    ("price", asset(TOKEN), 150, 250), ("price", ETH, 100, 300000),
    ("price", asset(TOKEN), 160, 260)])
def test_incremental_equals_whole_rebuild(sequence: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "taxscan.duckdb"
        with Store(path) as store:
            for step in sequence:
                _run(store, Path(folder), step)
        incremental = _tables(path)
        with Store(path) as store:
            refresh(store)
            # the review reads the transfers alone: it says what the whole ledger says
            assert review(store) == review(store, all_legs(store))
        whole = _tables(path)
        for name in TABLES:
            assert incremental[name] == whole[name], name


def test_taxscan_rebuild_recomputes_every_lot_from_the_records(tmp_path: Path) -> None:
    """`taxscan rebuild` redoes what the stored lots were computed from: lots deleted
    behind its back come back, the same rows as before, and the command says how many."""
    path = tmp_path / "taxscan.duckdb"
    when = START + timedelta(days=30)
    with Store(path) as store:
        _run(store, tmp_path, ("scan", list(range(len(TXS)))))
        _run(store, tmp_path, ("import", ("file0.csv", [
            _leg(1, 0, PAL, Kind.TRADE, FILED, 10**18, Decimal(5), when),
            _leg(1, 1, PAL, Kind.TRADE, asset(USDC), -5 * 10**18, None, when),
            _leg(2, 0, PAL, Kind.TRADE, FILED, -10**17, Decimal(2), when + timedelta(days=9)),
            _leg(2, 1, PAL, Kind.TRADE, asset(USDC), 2 * 10**18, None,
                 when + timedelta(days=9))])))
    before = _tables(path)
    assert before["disposals"] and before["lots"]
    with duckdb.connect(str(path)) as db:
        db.execute("DELETE FROM lots; DELETE FROM disposals")
    ran = run_cli("rebuild", db=path)
    assert ran.returncode == 0, ran.stderr
    legs = len(before["ledger"]) + len(before["imported_ledger"])
    assert (f"rebuilt: {legs} legs, {len(before['lots'])} open lots, "
            f"{len(before['disposals'])} disposals") in " ".join(ran.stderr.split())
    assert _tables(path) == before
