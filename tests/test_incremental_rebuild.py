"""Issue 18: a scan, a ledger import, a price import and a spam mark each rebuild only what
they can change (scanner.app.rebuild), and leave the same tables a whole rebuild gives.
After random sequences of them on a real DuckDB file, `refresh` (the whole rebuild of
`taxscan rebuild`) must change nothing: the ledger, the imported legs with their values,
the spam verdicts, the open lots and the disposals, compared row for row, under FIFO,
LIFO (universal lots, or per wallet) and Germany's rules. Files
whose legs all come after the ledger's last run the lots on from the engine's kept state
(lot_state); an own move split over two files within the pairing window pairs across the
state's moment, and must not."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import scanner.app.rebuild as rebuild_module
from chains.evm.records import RawTx, TokenInfo
from scanner.app.imports import import_ledger, import_prices
from scanner.app.queries import review
from scanner.app.readmodel import all_legs
from scanner.app.rebuild import refresh, refresh_chains
from scanner.app.settings import JURISDICTION_KEY, METHOD_KEY, SCOPE_KEY
from scanner.app.spam import mark_spam
from scanner.formats.render import write_csv
from scanner.formats.rows import LEDGER, ledger_rows
from scanner.ledger.classify import group_id
from scanner.ledger.records import Kind, LedgerEntry
from scanner.store import Store
from scanner.tax.lots import lots_with_state
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


REL = datetime(2000, 1, 1, tzinfo=UTC)  # appended legs are drawn from here, then moved
AFTER = REL + timedelta(minutes=1)


@st.composite
def appended_files(draw: st.DrawFn) -> tuple[str, list[LedgerEntry]]:
    """A ledger file whose legs all come after every leg so far (drawn from `REL`, moved
    when imported): trades and own moves, some quantities finer than 6 places."""
    legs: list[LedgerEntry] = []
    for n in range(draw(st.integers(1, 4))):
        when = REL + timedelta(minutes=draw(st.integers(1, 600)))
        token = draw(st.sampled_from(IMPORTED_ASSETS))
        raw = draw(st.integers(1, 9)) * 10**17 + draw(st.sampled_from([0, 0, 123456789]))
        value = draw(st.sampled_from([None, Decimal("12.34"), Decimal("7")]))
        wallet = draw(st.sampled_from([ME, PAL]))
        number = draw(st.integers(0, 10**6)) * 10 + n
        if draw(st.booleans()):
            sign = draw(st.sampled_from([1, -1, -1]))
            legs += [_leg(number, 0, wallet, Kind.TRADE, token, sign * raw, value, when),
                     _leg(number, 1, wallet, Kind.TRADE, asset(USDC), -sign * 10**6, None,
                          when)]
        else:
            other = PAL if wallet == ME else ME
            legs += [_leg(number, 0, wallet, Kind.TRANSFER_OUT, token, -raw, value, when),
                     _leg(number, 1, other, Kind.TRANSFER_IN, token, raw, None, when)]
    return f"later{draw(st.integers(0, 3))}.csv", legs


steps = st.one_of(
    st.tuples(st.just("scan"), st.lists(st.sampled_from(range(len(TXS))), max_size=3)),
    st.tuples(st.just("import"), ledger_files()),
    st.tuples(st.just("append"), appended_files()),
    # an own move whose legs are in two files imported one after the other, the arrival
    # `minutes` after the departure: within the hour they pair across the state's moment
    st.tuples(st.just("split"), st.sampled_from(IMPORTED_ASSETS), st.integers(1, 9),
              st.sampled_from([5, 59, 61, 300])),
    st.tuples(st.just("price"), st.sampled_from(PRICED), st.integers(0, 400),
              st.integers(1, 500)),
    st.tuples(st.just("mark"), st.integers(0, 9), st.sampled_from([True, False, None])),
)


def _last(store: Store) -> datetime:
    return max((leg.timestamp for leg in all_legs(store)), default=START)


def _import(store: Store, path: Path, legs: list[LedgerEntry]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        write_csv(out, ledger_rows(legs), LEDGER.fields)
    import_ledger(store, path, "ledger")


def _split_move(store: Store, folder: Path, token: str, amount: int, minutes: int) -> None:
    """ME sends `amount` tenths of `token` to PAL just after the last leg, in a file of its
    own; PAL's receipt, `minutes` later, comes in the next file."""
    when = _last(store) + timedelta(minutes=10)
    number = int(when.timestamp())
    raw = amount * 10**17
    _import(store, folder / f"out{number}.csv",
            [_leg(number, 0, ME, Kind.TRANSFER_OUT, token, -raw, Decimal(3), when)])
    _import(store, folder / f"in{number}.csv",
            [_leg(number + 1, 0, PAL, Kind.TRANSFER_IN, token, raw, None,
                  when + timedelta(minutes=minutes))])


def _one_moment_a_tx(legs: list[LedgerEntry]) -> list[LedgerEntry]:
    """The legs, each hash made of its number and moment: no transaction at two moments."""
    hashes = [f"0x{int(leg.tx_hash, 16) % 16**30:030x}{int(leg.timestamp.timestamp()):034x}"
              for leg in legs]
    return [replace(leg, tx_hash=h, group_id=group_id(1, h, leg.wallet))
            for leg, h in zip(legs, hashes, strict=True)]


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
        _import(store, folder / name, _one_moment_a_tx(legs))
    elif kind == "append":
        name, legs = step[1]
        shift = _last(store) - REL
        _import(store, folder / name, _one_moment_a_tx(
            [replace(leg, timestamp=leg.timestamp + shift) for leg in legs]))
    elif kind == "split":
        _split_move(store, folder, *step[1:])
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


def _legs_at(when: datetime, rows: Sequence[tuple[str, int, Decimal | None]]) -> \
        list[LedgerEntry]:
    """One trade of FILED a row (wallet, raw amount, value), a minute apart."""
    return [_leg(int(when.timestamp()) + n, 0, wallet, Kind.TRADE, FILED, raw, value,
                 when + timedelta(minutes=n)) for n, (wallet, raw, value) in enumerate(rows)]


# the rules of the lots, kept in meta as a config keeps them: the US default plan (universal
# lots before 2025, per wallet from 2025), one scope for every year, Germany
UNIVERSAL, PER_WALLET = '{"default": "universal"}', '{"default": "per-wallet"}'
RULES = {"fifo": {METHOD_KEY: "fifo"},
         "fifo universal": {METHOD_KEY: "fifo", SCOPE_KEY: UNIVERSAL},
         "lifo universal": {METHOD_KEY: "lifo", SCOPE_KEY: UNIVERSAL},
         "fifo per wallet": {METHOD_KEY: "fifo", SCOPE_KEY: PER_WALLET},
         "lifo per wallet": {METHOD_KEY: "lifo", SCOPE_KEY: PER_WALLET},
         "de": {JURISDICTION_KEY: "de"}}


def _keep_rules(store: Store, rules: str) -> None:
    with store.transaction():
        for key, value in RULES[rules].items():
            store.set_meta(key, value)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(steps, min_size=1, max_size=6), st.sampled_from(sorted(RULES)))
@example([("import", ("file0.csv", [
    _leg(5, 0, ME, Kind.TRANSFER_OUT, FILED, -10**18, None, START + timedelta(days=90)),
    _leg(6, 0, PAL, Kind.TRADE, FILED, 10**18, None, START + timedelta(days=100)),
    _leg(6, 1, PAL, Kind.TRADE, ETH, -10**18, None, START + timedelta(days=100)),
    _leg(7, 0, PAL, Kind.TRADE, FILED, -10**17, Decimal(9), START + timedelta(days=400))])),
    ("price", FILED, 50, 300), ("price", ETH, 95, 200000)], "fifo universal")
@example([("scan", [0, 1, 2, 3]), ("import", ("file1.csv", [
    _leg(8, 0, PAL, Kind.TRANSFER_IN, asset(TOKEN), 10**18, None, START + timedelta(days=190)),
    _leg(9, 0, PAL, Kind.TRADE, asset(TOKEN), -10**17, Decimal(4), START + timedelta(days=200)),
    _leg(9, 1, PAL, Kind.TRADE, ETH, 10**16, None, START + timedelta(days=200))])),
    ("scan", [4, 5, 6]), ("mark", 0, True), ("price", asset(BAIT), 1, 7), ("mark", 0, None),
    ("price", asset(TOKEN), 150, 250), ("price", ETH, 100, 300000),
    ("price", asset(TOKEN), 160, 260)], "fifo universal")
# appended files run on from the kept state (per wallet, 2025: each pool read as far as a
# sale draws), an own move split over two files pairs across the state's moment
@example([("scan", [0, 1, 2]), ("append", ("later0.csv", _legs_at(AFTER, [
    (ME, 3 * 10**17 + 123456789, Decimal(6)), (ME, 10**17, Decimal(5)),
    (PAL, 10**17, Decimal(5))]))), ("append", ("later1.csv", _legs_at(AFTER, [
        (ME, -2 * 10**17, Decimal(9)), (ME, -10**17, None)]))),
    ("split", FILED, 1, 5), ("append", ("later2.csv", _legs_at(AFTER, [
        (PAL, -10**17, Decimal(2))]))), ("split", ETH, 2, 300)], "lifo per wallet")
def test_incremental_equals_whole_rebuild(sequence: list[tuple[Any, ...]], rules: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "taxscan.duckdb"
        with Store(path) as store:
            _keep_rules(store, rules)
            for step in sequence:
                _run(store, Path(folder), step)
        incremental, kept = _tables(path), _state_rows(path)
        with Store(path) as store:
            refresh(store)
            # the review reads the transfers alone: it says what the whole ledger says
            assert review(store) == review(store, all_legs(store))
        whole = _tables(path)
        for name in TABLES:
            assert incremental[name] == whole[name], name
        # the state a next run goes on from is the one a whole run keeps
        assert kept == _state_rows(path)


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


def _state_rows(path: Path) -> tuple[Counter[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """The kept state's rows (as many as there are), without the arrival and seq numbers (a
    run on counts from the state's, a whole run from zero), and the holdings."""
    with duckdb.connect(str(path), read_only=True) as db:
        lots = db.execute("SELECT lot_id, wallet, asset, acquired, quantity, basis, pool, "
                          "transit_a, transit_b FROM lot_state").fetchall()
        held = db.execute("SELECT wallet, asset, quantity FROM lot_state_held").fetchall()
    return Counter(lots), {row for row in held if Decimal(row[2])}


Run = tuple[bool, bool, bool]  # from a kept state, from part of it, with a result


def _recording_runs(monkeypatch: pytest.MonkeyPatch) -> list[Run]:
    """Each run of the lot engine from scanner.app.rebuild: whether it ran on from a kept
    state, from a partial one (each pool's first lots), and gave a result (a partial
    state may prove too short)."""
    runs: list[Run] = []
    engine: Callable[..., Any] = lots_with_state  # what scanner.app.rebuild calls

    def recorded(*args: Any, **kwargs: Any) -> Any:
        run = engine(*args, **kwargs)
        start = kwargs.get("start")
        runs.append((start is not None, start is not None and bool(start.partial),
                     run is not None))
        return run

    monkeypatch.setattr(rebuild_module, "lots_with_state", recorded)
    return runs


def _as_rebuilt(path: Path) -> None:
    """What `refresh` (taxscan rebuild) gives a copy of the database at `path` equals what
    it holds: the tables and the kept state."""
    copy = path.with_name("whole.duckdb")
    copy.write_bytes(path.read_bytes())
    with Store(copy) as store:
        refresh(store)
    assert _tables(copy) == _tables(path)
    assert _state_rows(copy) == _state_rows(path)
    copy.unlink()


WHEN = datetime(2025, 6, 1, tzinfo=UTC)  # per wallet lots (US, from 2025)
TINY = 5 * 10**11  # 0.0000005: the store counts a lot's quantity to 6 places, 0.000001
OPENING: list[tuple[str, int, Decimal | None]] = [
    (ME, TINY, Decimal(1)), (ME, TINY, Decimal(1)), (ME, TINY, Decimal(1)),
    (ME, 10**18, Decimal(10)), (ME, 3 * 10**17 + 123456789, Decimal(3)),
    (ME, 2 * 10**17, Decimal(4)), (PAL, 10**18, None)]
LATER: list[list[tuple[str, int, Decimal | None]]] = [
    # 0.0000016 drawn from the three tiny lots and the next: a read of the first lots that
    # counts in rounded quantities may leave that one out and prove short
    [(ME, -16 * 10**11, Decimal(1))],
    [(ME, -4 * 10**17, Decimal(8)), (PAL, -10**17, Decimal(1)), (ME, 10**17, Decimal(2))],
    [(ME, -12 * 10**17, Decimal(30))],
]


@pytest.mark.parametrize("method", ["fifo", "lifo"])
def test_an_appended_file_runs_on_from_the_kept_state(tmp_path: Path, method: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A file whose legs all come after the ledger's last runs on from the state kept there
    (per wallet: each pool read only as far as its sales draw, whole when that proves
    short); the lots, the disposals and the state it leaves are those `refresh` (taxscan
    rebuild) writes from scratch. An own move whose arrival comes in the next file, 20
    minutes later, pairs with a leg before the state: that import does not run on, and the
    tables are still the whole rebuild's."""
    path = tmp_path / "taxscan.duckdb"
    runs = _recording_runs(monkeypatch)
    with Store(path) as store:
        _keep_rules(store, f"{method} per wallet")
        # LIFO draws on the latest lots first: the tiny lots come last for it
        _import(store, tmp_path / "f.csv",
                _legs_at(WHEN, OPENING if method == "fifo" else OPENING[::-1]))
    assert runs == [(False, False, True)]  # a first import rebuilds whole
    _as_rebuilt(path)
    partial_runs = 0
    for n, rows in enumerate(LATER, 1):
        runs.clear()
        with Store(path) as store:
            _import(store, tmp_path / f"f{n}.csv", _legs_at(WHEN + timedelta(days=n), rows))
        # the engine ran on from the kept state (from part of it, then whole if short)
        assert runs and all(start for start, _, _ in runs), runs
        assert runs[-1][2] and all(partial for _, partial, _ in runs[:-1]), runs
        partial_runs += sum(partial for _, partial, _ in runs)
        _as_rebuilt(path)
    assert partial_runs and _state_rows(path)[0]  # some pool read as far as sales drew
    runs.clear()
    with Store(path) as store:
        _split_move(store, tmp_path, FILED, 2, 20)
    assert runs[0][0]  # the departure alone runs on
    assert not runs[-1][0]  # the arrival pairs across the state: recomputed, not run on
    _as_rebuilt(path)
    assert any(PAL in row and "self_transfer" in row for row in _tables(path)["lots"])


def test_hifo_appended_sale_after_a_partial_draw_equals_the_whole_rebuild(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HIFO: two lots of 3 for $20 each; a sale of 1 draws on the earlier, leaving 2 for
    $13.3333333333 (the basis drawn rounded to 10 places); a sale of 1 in a file after it
    draws on the earlier lot again, as the whole rebuild does. HIFO keeps no state (a lot's
    place is its unit cost when it came): nothing runs on."""
    path = tmp_path / "taxscan.duckdb"
    runs = _recording_runs(monkeypatch)
    with Store(path) as store:
        with store.transaction():
            store.set_meta(METHOD_KEY, "hifo")
        for n, rows in enumerate([[(ME, 3 * 10**18, Decimal(20)), (ME, 3 * 10**18, Decimal(20)),
                                   (ME, -(10**18), Decimal(9))], [(ME, -(10**18), Decimal(9))]]):
            _import(store, tmp_path / f"f{n}.csv", _legs_at(WHEN + timedelta(days=n), rows))
    assert not any(start for start, _, _ in runs)
    with duckdb.connect(str(path), read_only=True) as db:
        bases = db.execute("SELECT cost_basis_usd FROM disposals ORDER BY disposed").fetchall()
    assert bases == [(Decimal("6.6666666667"),), (Decimal("6.6666666666"),)]  # A, A again
    _as_rebuilt(path)


def test_a_run_on_after_a_recompute_across_the_switch_of_scope(tmp_path: Path) -> None:
    """US default plan (universal lots before 2025, per wallet from 2025), three files:
    ME buys 1 FILED for $5 in June 2024; buys TOKEN in February 2025 (the year switches:
    recomputed from the first leg for TOKEN alone); sells 0.1 FILED the next day (after
    every leg: run on). The whole rebuild allocates the 2024 lot to ME at 2025-01-01 and
    the sale draws $0.50 of it, short term; the run on must give that sale too."""
    path = tmp_path / "taxscan.duckdb"
    june, february = datetime(2024, 6, 1, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC)
    with Store(path) as store:
        _import(store, tmp_path / "a.csv",
                [_leg(1, 0, ME, Kind.TRADE, FILED, 10**18, Decimal(5), june)])
        _import(store, tmp_path / "b.csv",
                [_leg(2, 0, ME, Kind.TRADE, asset(TOKEN), 10**18, Decimal(5), february)])
        _import(store, tmp_path / "c.csv", [_leg(3, 0, ME, Kind.TRADE, FILED, -10**17,
                                                  Decimal(1), february + timedelta(days=1))])
    with duckdb.connect(str(path), read_only=True) as db:
        sale = db.execute("SELECT cost_basis_usd, term FROM disposals").fetchall()
    assert sale == [(Decimal("0.5"), "short")]
    _as_rebuilt(path)


def test_a_state_kept_by_an_older_taxscan_is_not_run_on(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A state kept before its rows held the lots table's cells (the open lots are copied
    from it) is not run on: the next import recomputes the lots, as `refresh` would."""
    path = tmp_path / "taxscan.duckdb"
    runs = _recording_runs(monkeypatch)
    with Store(path) as store:
        _keep_rules(store, "fifo per wallet")
        _import(store, tmp_path / "f.csv", _legs_at(WHEN, OPENING))
    with duckdb.connect(str(path)) as db:  # as an older taxscan kept it
        (header,), = db.execute("SELECT value FROM meta WHERE key = 'lot_state'").fetchall()
        head = json.loads(header)
        del head["lot_cells"]
        db.execute("UPDATE meta SET value = ? WHERE key = 'lot_state'", [json.dumps(head)])
        db.execute("UPDATE lot_state SET lot_quantity = NULL, lot_basis = NULL")
    runs.clear()
    with Store(path) as store:
        _import(store, tmp_path / "f1.csv", _legs_at(WHEN + timedelta(days=1), LATER[1]))
    assert runs == [(False, False, True)]  # whole, from the first leg
    _as_rebuilt(path)


def test_a_sale_past_the_first_lots_reads_further_not_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Per wallet, FIFO: sixty lots of 1, then a file selling 30.5, more than the first
    sixteen hold: the run on reads the pool eight times as far (128 lots: all sixty), and
    takes the 31 the sale draws on, the pool's rest left out; the tables are the whole
    rebuild's."""
    path = tmp_path / "taxscan.duckdb"
    runs = _recording_runs(monkeypatch)
    reads: list[int] = []
    engine_state = Store.engine_state

    def counted(self: Store, *args: Any) -> Any:
        state = engine_state(self, *args)
        reads.append(-1 if state is None or not args[1:] or args[1] is None
                     else len(state.lots))
        return state

    monkeypatch.setattr(Store, "engine_state", counted)
    with Store(path) as store:
        _keep_rules(store, "fifo per wallet")
        _import(store, tmp_path / "f.csv", _legs_at(WHEN, [(ME, 10**18, Decimal(n + 1))
                                                           for n in range(60)]))
        reads.clear()
        _import(store, tmp_path / "g.csv", _legs_at(WHEN + timedelta(days=1), [
            (ME, -30 * 10**18 - 5 * 10**17, Decimal(40))]))
    assert runs[-1] == (True, True, True)
    assert reads == [31]
    _as_rebuilt(path)
