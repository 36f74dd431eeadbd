"""The lot engine's state at the end of the ledger (scanner.tax.checkpoint), kept beside the
lots so that new legs at the end run on from it: read and written by asset, and by the ids
of the lots a run touched."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from scanner.collector import without_collector
from scanner.frozen import fast_constructor
from scanner.ledger.records import Kind
from scanner.store.bulk import Quoted, micros, quoted
from scanner.store.plumbing import Plumbing
from scanner.store.rows import disposal_lines, lot_cells
from scanner.tax.checkpoint import EngineState, HeldLot, StateChange
from scanner.tax.records import Disposal

STATE_KEY = "lot_state"  # meta: the state's moment and counters, once lot_state holds it
_COLUMNS = """pool, transit_a, transit_b, arrival, seq, lot_id, wallet, asset, symbol, acquired,
    quantity, basis, origin_tx, origin_leg, origin_kind"""
_LOTS = f"SELECT {_COLUMNS} FROM lot_state WHERE asset IN (SELECT unnest(?))"
# of each pool of `$1`, its number of lots and the arrivals and quantities of its first
# `{first}` in the order of acquisition (`{by}`: min_by for the earliest first)
_FIRST_LOTS = """
    SELECT pool, asset, count(*), {by}({{'arrival': arrival, 'quantity': quantity}}, {key}, {first})
    FROM lot_state WHERE pool IS NOT NULL AND asset IN (SELECT unnest($1)) GROUP BY ALL"""
_ORDERS = {False: ("min_by", "(acquired, seq, arrival)"),
           True: ("max_by", "(acquired, seq, -arrival)")}
FIRST = 16  # lots of a pool read at first, before reading it eight times as far
# the lots of `$1` by asset and arrival ($2, $3), and those in transit
_CHOSEN = f"""
    SELECT {_COLUMNS} FROM lot_state t
    WHERE t.asset IN (SELECT unnest($1)) AND (
        t.pool IS NULL OR (t.asset, t.arrival) IN (SELECT (unnest($2), unnest($3))))"""
_POOL_SIZES = """SELECT pool, asset, count(*) FROM lot_state
    WHERE pool IS NOT NULL AND asset IN (SELECT unnest(?)) GROUP BY ALL"""
_HELD = "SELECT wallet, asset, quantity FROM lot_state_held WHERE asset IN (SELECT unnest(?))"
_FORGET_GONE = """DELETE FROM lot_state t USING (SELECT unnest(?) AS asset, unnest(?) AS arrival) g
    WHERE t.pool IS NOT NULL AND t.asset = g.asset AND t.arrival = g.arrival"""
# the open lots (those in pools) of the assets `$1` (and the lot ids `$3`) as the lots
# table holds them, by the method `$2`
_OPEN_LOTS = """
    INSERT INTO lots
    SELECT lot_id, wallet, asset, symbol, acquired, lot_quantity, lot_basis, origin_tx,
           origin_leg, origin_kind, $2
    FROM lot_state WHERE pool IS NOT NULL AND asset IN (SELECT unnest($1))"""
_OPEN_LOTS_OF_IDS = f"{_OPEN_LOTS} AND lot_id IN (SELECT unnest($3))"
_new_held = fast_constructor(HeldLot)
_KIND_OF = {kind.value: kind for kind in Kind}
_ZERO = Decimal(0)


class StateTables(Plumbing):
    """The Store's reads and writes of the lot engine's state."""

    def state_head(self) -> EngineState | None:
        """The kept state's moment, counters and scope, without lots; None when none is
        kept."""
        header = self.meta(STATE_KEY)
        if header is None:
            return None
        head = json.loads(header)
        if not head.get("lot_cells"):  # kept before its rows held the lots table's cells
            return None
        return EngineState(datetime.fromisoformat(head["moment"]), int(head["seq"]),
                           int(head["arrival"]), int(head["year"]), bool(head["universal"]),
                           (), ())

    @without_collector
    def engine_state(self, assets: Collection[str],
                     need: Mapping[tuple[str, str], Decimal] | None = None,
                     latest_first: bool = False) -> EngineState | None:
        """The kept state of `assets`' lots and holdings; None when none is kept. With
        `need` (what a run may draw, by pool and asset): of each pool, its first lots in
        the order of acquisition (the latest first with `latest_first`) that cover it, the
        pools with lots left out named in `partial` (those not in `need` hold none)."""
        head = self.state_head()
        if head is None:
            return None
        wanted = list(assets)
        partial: set[tuple[str, str]] = set()
        if need is None:
            rows = self._sql(_LOTS, [wanted])
        else:
            by, key = _ORDERS[latest_first]
            chosen: list[tuple[str, int]] = []
            first_lots, short = FIRST, set(wanted)
            while short:  # the pools not covered yet read again, eight times as far
                reading, short = short, set()
                for pool, asset, count, first in self._sql(
                        _FIRST_LOTS.format(by=by, key=key, first=first_lots), [list(reading)]):
                    wanted_here = need.get((pool, asset), _ZERO)
                    taken, covered = 0, _ZERO
                    while taken < len(first) and covered < wanted_here:
                        covered += Decimal(first[taken]["quantity"])
                        taken += 1
                    if covered < wanted_here and count > taken:
                        short.add(asset)
                        continue
                    chosen += [(asset, int(lot["arrival"])) for lot in first[:taken]]
                    if count > taken:
                        partial.add((pool, asset))
                chosen = [c for c in chosen if c[0] not in short]
                partial = {p for p in partial if p[1] not in short}
                first_lots *= 8
            rows = self._sql(_CHOSEN, [wanted, [a for a, _ in chosen],
                                             [n for _, n in chosen]])
        lots = tuple(
            _new_held(pool, None if a is None else (a, b), int(arrival), int(seq), lot_id,
                      wallet, asset, symbol, acquired.replace(tzinfo=UTC), Decimal(quantity),
                      None if basis is None else Decimal(basis), tx, leg, _KIND_OF[kind])
            for pool, a, b, arrival, seq, lot_id, wallet, asset, symbol, acquired, quantity,
            basis, tx, leg, kind in rows)
        held = tuple((str(w), str(a), Decimal(q)) for w, a, q in self._sql(_HELD, [wanted]))
        return EngineState(head.moment, head.seq, head.arrival, head.year, head.universal,
                           lots, held, frozenset(partial))

    def clear_engine_state(self) -> None:
        """No state kept (the lots are pooled, or were computed without one)."""
        self._sql("DELETE FROM lot_state")
        self._sql("DELETE FROM lot_state_held")
        self._sql("DELETE FROM meta WHERE key = ?", [STATE_KEY])

    @without_collector
    def save_engine_state(self, assets: Collection[str], change: StateChange, run_on: bool,
                          copies: Sequence[tuple[str, Iterable[str]]] = ()) -> None:
        """The state of `assets` after a run: whole (the run started from nothing), or,
        when it ran on from the kept state (`run_on`), what it changed. `copies`: other
        tables' lines to copy with the state's (Plumbing._copies)."""
        wanted = list(assets)
        state = change.state
        if run_on:
            self._sql(_FORGET_GONE, [[a for a, _ in change.gone],
                                           [n for _, n in change.gone]])
            self._sql("DELETE FROM lot_state WHERE pool IS NULL AND "
                            "asset IN (SELECT unnest(?))", [wanted])
        else:
            self._sql("DELETE FROM lot_state WHERE asset IN (SELECT unnest(?))",
                            [wanted])
        self._sql("DELETE FROM lot_state_held WHERE asset IN (SELECT unnest(?))",
                        [wanted])
        chosen = set(assets)
        self._copies([*copies, ("lot_state",
                                _state_lines(h for h in state.lots if h.asset in chosen))])
        self._copy("lot_state_held", [[w, a, str(q)] for w, a, q in state.held
                                            if a in chosen])
        before = self.state_head()
        seq, arrival = state.seq, state.arrival
        if before is not None:
            seq, arrival = max(seq, before.seq), max(arrival, before.arrival)
        self.set_meta(STATE_KEY, json.dumps({
            "moment": state.moment.isoformat(), "seq": seq, "arrival": arrival,
            "year": state.year, "universal": state.universal, "lot_cells": True}))

    def run_on_lots(self, assets: Collection[str], touched: Collection[str],
                    disposals: Sequence[Disposal], method: str) -> None:
        """After a run on from the kept state (saved): the open lots of `assets` of the
        `touched` ids as the state now holds them, and the run's `disposals` added."""
        wanted, ids = list(assets), list(touched)
        self._sql("DELETE FROM lots WHERE asset IN (SELECT unnest(?)) AND "
                        "lot_id IN (SELECT unnest(?))", [wanted, ids])
        self._sql(_OPEN_LOTS_OF_IDS, [wanted, method, ids])
        self._copies([("disposals", disposal_lines(disposals, method))])

    def open_lots_of_state(self, assets: Collection[str], method: str) -> None:
        """The open lots of `assets`, as the state just saved holds them, into the lots
        table (where they are not)."""
        self._sql(_OPEN_LOTS, [list(assets), method])


def _state_lines(held: Iterable[HeldLot]) -> Iterator[str]:
    """lot_state's rows as bulk.line_copy takes them (a quantity and a basis as their
    exact text, then as the lots table holds them)."""
    texts = Quoted()
    for h in held:
        a, b = h.transit if h.transit is not None else (None, None)
        basis = h.basis
        yield (f"{texts[h.pool]},{texts[a]},{texts[b]},{h.arrival},{h.seq},{quoted(h.lot_id)},"
               f"{texts[h.wallet]},{texts[h.asset]},{texts[h.symbol]},{micros(h.acquired)},"
               f"{h.quantity},{'' if basis is None else basis},{quoted(h.origin_tx)},"
               f"{quoted(h.origin_leg)},{texts[h.origin_kind.value]},"
               f"{lot_cells(h.quantity, basis)}\n")
