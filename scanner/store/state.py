"""The lot engine's state at the end of the ledger (scanner.tax.checkpoint), kept beside the
lots so that new legs at the end run on from it: read and written by asset, and by the ids
of the lots a run touched."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any

import duckdb

from scanner.errors import StoreError
from scanner.frozen import fast_constructor
from scanner.ledger.records import Kind
from scanner.store.bulk import copy_rows
from scanner.store.changes import disposal_row, lot_row
from scanner.store.connect import one_line
from scanner.store.plumbing import Plumbing
from scanner.store.rows import naive_utc
from scanner.tax.checkpoint import EngineState, HeldLot, StateChange
from scanner.tax.records import Disposal, Lot

STATE_KEY = "lot_state"  # meta: the state's moment and counters, once lot_state holds it
_COLUMNS = """pool, transit_a, transit_b, arrival, seq, lot_id, wallet, asset, symbol, acquired,
    quantity, basis, origin_tx, origin_leg, origin_kind"""
_LOTS = f"SELECT {_COLUMNS} FROM lot_state WHERE asset IN (SELECT unnest(?))"
# the lots of each pool named in $2/$3 in the order of acquisition (`{order}`) until they
# cover $4 of it, each quantity rounded to 6 places for the count: a pool found short later
# is read whole (StateTooShort)
_FIRST_LOTS = f"""
    WITH need AS (SELECT unnest($2) AS pool, unnest($3) AS asset,
                         CAST(unnest($4) AS DECIMAL(38, 6)) AS need),
    ranked AS (
        SELECT s.*, n.need, coalesce(sum(coalesce(try_cast(s.quantity AS DECIMAL(38, 6)), 0))
            OVER (PARTITION BY s.pool, s.asset ORDER BY {{order}}
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
        FROM lot_state s JOIN need n ON s.pool = n.pool AND s.asset = n.asset
        WHERE s.asset IN (SELECT unnest($1)))
    SELECT {_COLUMNS} FROM ranked WHERE before <= need
    UNION ALL
    SELECT {_COLUMNS} FROM lot_state WHERE pool IS NULL AND asset IN (SELECT unnest($1))"""
_ORDERS = {False: "s.acquired, s.seq, s.arrival",
           True: "s.acquired DESC, s.seq DESC, s.arrival"}
_POOL_SIZES = """SELECT pool, asset, count(*) FROM lot_state
    WHERE pool IS NOT NULL AND asset IN (SELECT unnest(?)) GROUP BY ALL"""
_HELD = "SELECT wallet, asset, quantity FROM lot_state_held WHERE asset IN (SELECT unnest(?))"
_FORGET_GONE = """DELETE FROM lot_state t USING (SELECT unnest(?) AS asset, unnest(?) AS arrival) g
    WHERE t.pool IS NOT NULL AND t.asset = g.asset AND t.arrival = g.arrival"""
_LOTS_OF_IDS = """
    SELECT lot_id, wallet, asset, symbol, acquired, quantity, basis, origin_tx, origin_leg,
           origin_kind
    FROM lot_state WHERE pool IS NOT NULL AND asset IN (SELECT unnest(?))
                     AND lot_id IN (SELECT unnest(?))"""
_new_held = fast_constructor(HeldLot)
_new_lot = fast_constructor(Lot)
_KIND_OF = {kind.value: kind for kind in Kind}
_COUNTED = Decimal("1e-6")


class StateTables(Plumbing):
    """The Store's reads and writes of the lot engine's state."""

    def _state_sql(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, list(params)).fetchall()
        except duckdb.Error as exc:
            raise StoreError(f"database error in the lot engine's state: {one_line(exc)}") \
                from None

    def _state_copy(self, table: str, rows: list[list[Any]]) -> None:
        try:
            copy_rows(self._db, table, rows, self.path.parent)
        except duckdb.Error as exc:
            raise StoreError(f"database error in copying rows to {table}: "
                             f"{one_line(exc)}") from None

    def state_head(self) -> EngineState | None:
        """The kept state's moment, counters and scope, without lots; None when none is
        kept."""
        header = self.meta(STATE_KEY)
        if header is None:
            return None
        head = json.loads(header)
        return EngineState(datetime.fromisoformat(head["moment"]), int(head["seq"]),
                           int(head["arrival"]), int(head["year"]), bool(head["universal"]),
                           (), ())

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
        if need is None:
            rows = self._state_sql(_LOTS, [wanted])
        else:
            places = sorted(need)
            rows = self._state_sql(_FIRST_LOTS.replace("{order}", _ORDERS[latest_first]), [
                wanted, [p for p, _ in places], [a for _, a in places],
                [str(need[p].quantize(_COUNTED, rounding=ROUND_CEILING)) for p in places]])
        lots = tuple(
            _new_held(pool, None if a is None else (a, b), int(arrival), int(seq), lot_id,
                      wallet, asset, symbol, acquired.replace(tzinfo=UTC), Decimal(quantity),
                      None if basis is None else Decimal(basis), tx, leg, _KIND_OF[kind])
            for pool, a, b, arrival, seq, lot_id, wallet, asset, symbol, acquired, quantity,
            basis, tx, leg, kind in rows)
        partial: frozenset[tuple[str, str]] = frozenset()
        if need is not None:
            loaded = Counter((h.pool, h.asset) for h in lots if h.pool is not None)
            partial = frozenset((str(p), str(a)) for p, a, n in
                                self._state_sql(_POOL_SIZES, [wanted]) if loaded[(p, a)] < n)
        held = tuple((str(w), str(a), Decimal(q)) for w, a, q in self._state_sql(_HELD, [wanted]))
        return EngineState(head.moment, head.seq, head.arrival, head.year, head.universal,
                           lots, held, partial)

    def clear_engine_state(self) -> None:
        """No state kept (the lots are pooled, or were computed without one)."""
        self._state_sql("DELETE FROM lot_state")
        self._state_sql("DELETE FROM lot_state_held")
        self._state_sql("DELETE FROM meta WHERE key = ?", [STATE_KEY])

    def save_engine_state(self, assets: Collection[str], change: StateChange,
                          run_on: bool) -> None:
        """The state of `assets` after a run: whole (the run started from nothing), or,
        when it ran on from the kept state (`run_on`), what it changed."""
        wanted = list(assets)
        state = change.state
        if run_on:
            self._state_sql(_FORGET_GONE, [[a for a, _ in change.gone],
                                           [n for _, n in change.gone]])
            self._state_sql("DELETE FROM lot_state WHERE pool IS NULL AND "
                            "asset IN (SELECT unnest(?))", [wanted])
        else:
            self._state_sql("DELETE FROM lot_state WHERE asset IN (SELECT unnest(?))",
                            [wanted])
        self._state_sql("DELETE FROM lot_state_held WHERE asset IN (SELECT unnest(?))",
                        [wanted])
        chosen = set(assets)
        self._state_copy("lot_state", [_state_row(h) for h in state.lots if h.asset in chosen])
        self._state_copy("lot_state_held", [[w, a, str(q)] for w, a, q in state.held
                                            if a in chosen])
        before = self.state_head()
        seq, arrival = state.seq, state.arrival
        if before is not None:
            seq, arrival = max(seq, before.seq), max(arrival, before.arrival)
        self.set_meta(STATE_KEY, json.dumps({
            "moment": state.moment.isoformat(), "seq": seq, "arrival": arrival,
            "year": state.year, "universal": state.universal}))

    def run_on_lots(self, assets: Collection[str], touched: Collection[str],
                    disposals: Sequence[Disposal], method: str) -> None:
        """After a run on from the kept state (saved): the open lots of `assets` of the
        `touched` ids as the state now holds them, and the run's `disposals` added."""
        wanted, ids = list(assets), list(touched)
        lots = [_new_lot(lot_id, wallet, asset, symbol, acquired.replace(tzinfo=UTC),
                         Decimal(quantity), None if basis is None else Decimal(basis), tx, leg,
                         _KIND_OF[kind])
                for lot_id, wallet, asset, symbol, acquired, quantity, basis, tx, leg, kind
                in self._state_sql(_LOTS_OF_IDS, [wanted, ids])]
        self._state_sql("DELETE FROM lots WHERE asset IN (SELECT unnest(?)) AND "
                        "lot_id IN (SELECT unnest(?))", [wanted, ids])
        self._state_copy("lots", [lot_row(lot, method) for lot in lots])
        self._state_copy("disposals", [disposal_row(d, method) for d in disposals])


def _state_row(h: HeldLot) -> list[Any]:
    a, b = h.transit if h.transit is not None else (None, None)
    return [h.pool, a, b, h.arrival, h.seq, h.lot_id, h.wallet, h.asset, h.symbol,
            naive_utc(h.acquired), str(h.quantity), None if h.basis is None else str(h.basis),
            h.origin_tx, h.origin_leg, h.origin_kind.value]
