"""Issue 18, incremental rebuilds: the lot engine's state at a moment M (scanner.tax.checkpoint)
lets a run go on from M with the legs after it alone. The oracle is the engine's own whole
run, `compute_lots` on every leg: the run up to M, then the run on from its state, must
give the same disposals in the same order, and the state they leave (the first state with
the second run's change applied, as scanner.store.state applies it) the same open lots,
quantities and bases exact, as the whole run. A partial state (each pool's first lots in
the method's order alone, as the store reads it for a run on) gives that same result or
none (StateTooShort), never another."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from scanner.ledger.pairing import pair_own_transfers
from scanner.ledger.records import Kind, LedgerEntry
from scanner.tax.checkpoint import EngineState, HeldLot, StateChange
from scanner.tax.jurisdictions import JURISDICTIONS
from scanner.tax.lots import compute_lots, lots_with_state, sort_key
from scanner.tax.matching import OpenLot
from scanner.tax.policy import Policy
from scanner.tax.records import Disposal, Lot
from scanner.tax.scope import Scope, ScopePlan
from tests.unit.builders import ETH, OTHER, TKN, USDC, WALLET, day, leg

WETH = "eip155:1/erc20:0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
START = day(2024, 11, 1)  # the US default scope turns per wallet on 2025-01-01
GAPS = [0, 1, 2, 5, 24 * 20, 24 * 45]  # hours from one step to the next
ACTIONS = ["buy", "buy", "sell", "swap", "income", "in", "out", "move", "later", "wrap"]
Step = tuple[int, str, str, int, str, int, bool]

steps = st.lists(st.tuples(st.sampled_from(GAPS), st.sampled_from(ACTIONS),
                           st.sampled_from([ETH, TKN]), st.integers(1, 9),
                           st.sampled_from([WALLET, OTHER]), st.integers(0, 2), st.booleans()),
                 max_size=24)


def _tx(n: int) -> str:
    return "0x" + format(n, "064x")


def history(plan: list[Step]) -> list[LedgerEntry]:
    """The legs of `plan`, one transaction a step, paired as the store's reader pairs them:
    trades against USDC (a purchase currency) or the other asset, income, transfers in
    and out, own moves in one transaction and across two (the arrival 20 minutes later,
    within the pairing window), wraps (the basis carried over), some with gas, some legs
    without a USD value, some at one unit cost that does not divide evenly (HIFO
    ties)."""
    legs: list[LedgerEntry] = []
    when = START
    for n, (gap, action, asset, amount, wallet, price, gas) in enumerate(plan):
        when += timedelta(hours=gap)
        tx = _tx(n)
        other = OTHER if wallet == WALLET else WALLET
        usd = None if not price else f"{amount * 3 + n % 4}.{n % 7}" if price == 1 else \
            str((Decimal(20) * amount / 3).quantize(Decimal("1e-10")))  # $6.67 a unit
        q = str(amount)

        def add(kind: Kind, what: str, quantity: str, value: str | None, key: str = "log:0",
                owner: str = wallet, at: datetime = when, txh: str = tx) -> None:
            legs.append(leg(at, kind, what, quantity, value, tx=txh, key=key, wallet=owner))

        if action in ("buy", "sell"):
            sign = "" if action == "buy" else "-"
            add(Kind.TRADE, asset, sign + q, usd)
            add(Kind.TRADE, USDC, ("-" if sign == "" else "") + str(amount * 3), None, "log:1")
        elif action == "swap":
            add(Kind.TRADE, asset, "-" + q, usd)
            add(Kind.TRADE, TKN if asset == ETH else ETH, str(amount * 2), None, "log:1")
        elif action == "income":
            add(Kind.INCOME, asset, q, usd)
        elif action == "in":
            add(Kind.TRANSFER_IN, asset, q, usd)
        elif action == "out":
            add(Kind.TRANSFER_OUT, asset, "-" + q, usd)
        elif action == "move":  # what arrives may be short by less than 1%: a fee leg
            add(Kind.TRANSFER_OUT, asset, "-" + q, usd)
            add(Kind.TRANSFER_IN, asset, str(amount * Decimal("0.995") if n % 2 else amount),
                None, "log:1", other)
        elif action == "later":
            add(Kind.TRANSFER_OUT, asset, "-" + q, usd)
            add(Kind.TRANSFER_IN, asset, q, None, owner=other,
                at=when + timedelta(minutes=20), txh=_tx(n + 10**6))
        else:
            add(Kind.WRAP, ETH, "-" + q, usd)
            add(Kind.WRAP, WETH, q, None, "log:1")
        if gas:
            add(Kind.FEE, ETH, "-0.01", "0.02" if price else None, "gas")
    return pair_own_transfers(legs)


POLICIES = {
    "us fifo": Policy(method="fifo"),
    "us lifo": Policy(method="lifo"),
    "us fifo universal": Policy(method="fifo", scopes=ScopePlan.everywhere(Scope.UNIVERSAL)),
    "us lifo per wallet": Policy(method="lifo",
                                 scopes=ScopePlan.everywhere(Scope.PER_WALLET)),
    "us fifo per wallet": Policy(method="fifo",
                                 scopes=ScopePlan.everywhere(Scope.PER_WALLET)),
    "de": Policy(jurisdiction=JURISDICTIONS["de"], method="fifo"),
}


def moments(entries: list[LedgerEntry]) -> list[datetime]:
    """The moments a state may be kept at: each group's, and one after every leg."""
    times = sorted({e.timestamp for e in entries})
    return [*times, (times[-1] if times else START) + timedelta(seconds=1)]


def composed(first: StateChange, second: StateChange) -> list[HeldLot]:
    """The first state with the second run's change applied, as the store applies it: the
    pool lots `gone` forgotten by (asset, arrival), every lot in transit replaced by those
    the run left in transit, the lots it made or changed added."""
    gone = set(second.gone)
    kept = [h for h in first.state.lots
            if h.pool is not None and (h.asset, h.arrival) not in gone]
    return kept + list(second.state.lots)


def open_lots(state: list[HeldLot]) -> Counter[Lot]:
    return Counter(Lot(h.lot_id, h.wallet, h.asset, h.symbol, h.acquired, h.quantity,
                       h.basis, h.origin_tx, h.origin_leg, h.origin_kind)
                   for h in state if h.pool is not None)


def rows(state: list[HeldLot] | tuple[HeldLot, ...]) -> Counter[tuple[object, ...]]:
    """What a state holds apart from its arrival numbers (each run counts its own)."""
    return Counter((h.pool, h.transit, h.seq, h.lot_id, h.wallet, h.asset, h.acquired,
                    h.quantity, h.basis) for h in state)


def split_runs(entries: list[LedgerEntry], cut: datetime, policy: Policy,
               shuffle: random.Random | None = None
               ) -> tuple[tuple[Disposal, ...], StateChange, StateChange, datetime] | None:
    """The run up to `cut`, then the run on from its state (its lots listed in another
    order with `shuffle`, as a database may return them): both runs' disposals, both
    changes, and the end of the second run; None when the first keeps no state."""
    before = [e for e in entries if e.timestamp < cut]
    after = [e for e in entries if e.timestamp >= cut]
    end = moments(entries)[-1]
    first = lots_with_state(before, cut, purchase_currencies=[USDC], policy=policy)
    if first is None:
        assert moves_across(entries, cut)  # the only state not kept (see below)
        return None
    book, change = first
    assert change.state.moment == cut
    start = change.state
    if shuffle is not None:
        listed = list(start.lots)
        shuffle.shuffle(listed)
        start = replace(start, lots=tuple(listed), held=tuple(reversed(start.held)))
    second = lots_with_state(after, end, purchase_currencies=[USDC], policy=policy,
                             start=start)
    assert second is not None  # a whole state never proves too short
    more, later = second
    assert not more.open_lots  # a run on gives its disposals alone
    return book.disposals + more.disposals, change, later, end


def moves_across(entries: list[LedgerEntry], cut: datetime) -> set[str]:
    """The own moves that left before `cut` and arrive at or after it."""
    left = {e.transit for e in entries
            if e.kind is Kind.SELF_TRANSFER and e.raw_amount < 0 and e.timestamp < cut}
    arrive = {e.transit for e in entries
              if e.kind is Kind.SELF_TRANSFER and e.raw_amount > 0 and e.timestamp >= cut}
    return {t for t in left & arrive if t is not None}


def _check_run_on(plan: list[Step], at: int, policy: Policy, seed: int) -> bool:
    entries = history(plan)
    times = moments(entries)
    cut = times[at % len(times)]
    whole = compute_lots(entries, purchase_currencies=[USDC], policy=policy)
    # the order of the state's lots matters only where lots are allocated to wallets at a
    # switch of scope (the heap's order): the store never runs on across one
    switch = cut.year < 2025 <= times[-1].year and policy.effective_scopes.of(2024) != \
        policy.effective_scopes.of(2025)
    shuffle = None if switch else random.Random(seed)
    runs = split_runs(entries, cut, policy, shuffle)
    if runs is None:  # a move that carried no lot on its way: no state
        return False
    disposals, first, second, end = runs
    assert disposals == whole.disposals  # the same disposals, in the same order
    state = composed(first, second)
    assert open_lots(state) == Counter(whole.open_lots)
    assert not [h for h in state if h.pool is None and h.quantity]  # nothing left in transit
    # the state left is the one a single run to the end keeps, so a next run on goes on
    # from the same place
    one = lots_with_state(entries, end, purchase_currencies=[USDC], policy=policy)
    assert one is not None
    alone = one[1].state
    assert rows(state) == rows(alone.lots)
    assert (second.state.seq, second.state.year, second.state.universal) == \
        (alone.seq, alone.year, alone.universal)
    assert {(w, a): q for w, a, q in second.state.held if q} == \
        {(w, a): q for w, a, q in alone.held if q}
    return True


# an own move across transactions whose arrival comes after the moment: the lots are in
# transit in the state, and arrive in the run on
_ACROSS: list[Step] = [(0, "buy", ETH, 5, WALLET, 1, False),
                       (30, "later", ETH, 2, WALLET, 1, True),
                       (24, "sell", ETH, 1, OTHER, 1, False)]
# the switch to per-wallet lots (2025-01-01) between the moment and the next leg
_SWITCH: list[Step] = [(0, "buy", ETH, 5, WALLET, 1, False),
                       (1, "move", ETH, 2, WALLET, 1, False),
                       (24 * 45, "sell", ETH, 4, WALLET, 1, True),
                       (24 * 45, "sell", ETH, 1, OTHER, 1, False)]


@settings(max_examples=200, deadline=None)
@given(steps, st.integers(0, 60), st.sampled_from(sorted(POLICIES)), st.integers(0, 99))
@example(_ACROSS, 2, "us fifo per wallet", 0)
@example(_ACROSS, 2, "de", 1)
@example(_SWITCH, 2, "us fifo", 0)
@example(_SWITCH, 2, "us lifo", 0)
@example([(0, "buy", ETH, 5, WALLET, 1, False), (24, "wrap", ETH, 3, WALLET, 1, True),
          (24 * 20, "swap", ETH, 1, WALLET, 0, False)], 2, "us fifo", 3)
def test_the_run_on_from_a_state_gives_what_the_whole_run_gives(
        plan: list[Step], at: int, name: str, seed: int) -> None:
    assume(_check_run_on(plan, at, POLICIES[name], seed))


# HIFO: lot A (3 for $20) and lot B (3 for $20, a day later) cost the same a unit; a sale of
# 1 draws on A (the earlier), whose basis is rounded to the stored 10 places: A holds 2 for
# $13.3333333333, a unit cost a hair below B's. The whole run keeps A's place in the order
# and sells A again; a state would key A afresh from its basis and sell B: HIFO keeps none.
def _hifo_tie() -> list[LedgerEntry]:
    t = day(2025, 3, 1)
    return [leg(t, Kind.TRADE, TKN, "3", "20", tx=_tx(1)),
            leg(t + timedelta(days=1), Kind.TRADE, TKN, "3", "20", tx=_tx(2)),
            leg(t + timedelta(days=2), Kind.TRADE, TKN, "-1", "9", tx=_tx(3)),
            leg(t + timedelta(days=4), Kind.TRADE, TKN, "-1", "9", tx=_tx(4))]


def test_hifo_keeps_no_state() -> None:
    entries = _hifo_tie()
    for scopes in (ScopePlan(), ScopePlan.everywhere(Scope.PER_WALLET)):
        policy = Policy(method="hifo", scopes=scopes)
        whole = compute_lots(entries, policy=policy)
        assert [d.lot_id for d in whole.disposals] == [_tx(1) + ":log:0"] * 2
        assert [d.cost_basis_usd for d in whole.disposals] == \
            [Decimal("6.6666666667"), Decimal("6.6666666666")]  # $20/3, then $13.33.../2
        assert lots_with_state(entries[:3], day(2025, 3, 4), policy=policy) is None


def test_a_move_that_carried_no_lot_keeps_no_state_on_its_way() -> None:
    """US 2024 (universal lots): WALLET, holding no ETH, sends 1 ETH to OTHER at noon, which
    receives it 20 minutes later in another transaction (a pair). The whole run gives OTHER
    no lot (the move carried none); a state at 12:10 could not say so: none is kept. Once
    WALLET holds ETH, the move carries a lot, and the state at 12:10 holds it in transit."""
    policy = POLICIES["us fifo"]
    cut = START + timedelta(minutes=10)
    entries = history([(0, "later", ETH, 1, WALLET, 0, False)])
    assert not compute_lots(entries, purchase_currencies=[USDC], policy=policy).open_lots
    assert lots_with_state([e for e in entries if e.timestamp < cut], cut,
                           policy=policy) is None
    held = history([(0, "income", ETH, 1, WALLET, 1, False),
                    (1, "later", ETH, 1, WALLET, 0, False)])
    cut = START + timedelta(hours=1, minutes=10)
    first = lots_with_state([e for e in held if e.timestamp < cut], cut, policy=policy)
    assert first is not None
    assert [h.quantity for h in first[1].state.lots if h.transit is not None] == [1]
    assert _check_run_on([(0, "income", ETH, 1, WALLET, 1, False),
                          (1, "later", ETH, 1, WALLET, 0, False)], 2, policy, 0)


def partial(state: EngineState, method: str, keep: list[int]) -> EngineState:
    """`state` with each pool's lots after the first few (in the method's order; a number
    of `keep` a pool, in the pools' order) left out, as the store reads a state for a run
    that draws little: the pools with lots left out named partial."""
    key = sort_key(method)
    pools: dict[tuple[str, str], list[HeldLot]] = {}
    for h in state.lots:
        if h.pool is not None:
            pools.setdefault((h.pool, h.asset), []).append(h)
    counts = iter(keep)
    lots = [h for h in state.lots if h.pool is None]
    cut: set[tuple[str, str]] = set()
    for place in sorted(pools):
        listed = sorted(pools[place], key=lambda h: (key(_open(h)), h.arrival))
        n = next(counts, len(listed)) % (len(listed) + 1)
        lots += listed[:n]
        if n < len(listed):
            cut.add(place)
    return replace(state, lots=tuple(lots), partial=frozenset(cut))


def _open(h: HeldLot) -> OpenLot:
    return OpenLot(h.lot_id, h.seq, h.wallet, h.asset, h.symbol, h.acquired, h.quantity,
                   h.basis, h.origin_tx, h.origin_leg, h.origin_kind)


@settings(max_examples=200, deadline=None)
@given(steps, st.integers(0, 60), st.sampled_from(sorted(POLICIES)),
       st.lists(st.integers(0, 6), max_size=8))
@example(_ACROSS, 2, "us fifo per wallet", [0, 0, 0])
@example([(0, "buy", ETH, 5, WALLET, 1, False), (24, "buy", ETH, 3, WALLET, 1, False),
          (24, "sell", ETH, 2, WALLET, 1, False)], 2, "us lifo per wallet", [1, 1, 1])
@example([(0, "buy", ETH, 5, WALLET, 1, False), (24, "buy", ETH, 3, WALLET, 1, False),
          (24, "wrap", ETH, 6, WALLET, 1, False)], 2, "de", [1, 1, 1])
def test_a_partial_state_gives_the_same_or_nothing(
        plan: list[Step], at: int, name: str, keep: list[int]) -> None:
    policy = POLICIES[name]
    entries = history(plan)
    times = moments(entries)
    cut = times[at % len(times)]
    before = [e for e in entries if e.timestamp < cut]
    after = [e for e in entries if e.timestamp >= cut]
    end = times[-1]
    first = lots_with_state(before, cut, purchase_currencies=[USDC], policy=policy)
    assume(first is not None)  # a move that carried no lot on its way: no state
    assert first is not None
    head, change = first
    start = partial(change.state, policy.method, keep)
    run = lots_with_state(after, end, purchase_currencies=[USDC], policy=policy, start=start)
    if run is None:
        return  # too short: the caller runs again from the whole state
    more, later = run
    whole = compute_lots(entries, purchase_currencies=[USDC], policy=policy)
    assert head.disposals + more.disposals == whole.disposals
    # the lots the partial read left out are as the store keeps them: untouched
    assert open_lots(composed(change, later)) == Counter(whole.open_lots)


def test_a_draw_beyond_the_first_lots_is_too_short() -> None:
    """FIFO per wallet: of lots of 5 and 3, the state holds the first alone; a sale of 6
    would draw on the second: no result (the caller reads the whole state), where a sale of
    5 gives the whole run's disposal."""
    policy = POLICIES["us fifo per wallet"]
    plan: list[Step] = [(0, "buy", ETH, 5, WALLET, 1, False),
                        (24, "buy", ETH, 3, WALLET, 1, False)]
    entries = history(plan)
    cut = entries[-1].timestamp + timedelta(hours=1)
    first = lots_with_state(entries, cut, purchase_currencies=[USDC], policy=policy)
    assert first is not None
    start = partial(first[1].state, "fifo", [1, 9])  # ETH's pool cut, USDC's whole
    assert start.partial == {(WALLET, ETH)}
    end = cut + timedelta(days=2)
    for amount, short in ((6, True), (5, False)):
        sale = [leg(cut + timedelta(days=1), Kind.TRADE, ETH, f"-{amount}", "50",
                    tx=_tx(99), wallet=WALLET)]
        run = lots_with_state(sale, end, purchase_currencies=[USDC], policy=policy,
                              start=start)
        if short:
            assert run is None
            continue
        assert run is not None
        whole = compute_lots(entries + sale, purchase_currencies=[USDC], policy=policy)
        assert run[0].disposals == whole.disposals[-1:]
        assert run[0].disposals[0].cost_basis_usd == Decimal("15.0")  # 5 * $3.0 (step 0)
