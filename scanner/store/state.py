"""The lot engine's state at the end of the ledger (scanner.tax.checkpoint), kept beside the
lots so that new legs at the end run on from it: read and written by asset, and by the ids
of the lots a run touched."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from decimal import Decimal
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
_LOTS = """
    SELECT pool, transit_a, transit_b, arrival, seq, lot_id, wallet, asset, symbol, acquired,
           quantity, basis, origin_tx, origin_leg, origin_kind
    FROM lot_state WHERE asset IN (SELECT unnest(?))"""
_HELD = "SELECT wallet, asset, quantity FROM lot_state_held WHERE asset IN (SELECT unnest(?))"
_new_held = fast_constructor(HeldLot)
_KIND_OF = {kind.value: kind for kind in Kind}


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

    def state_moment(self) -> datetime | None:
        """The moment of the kept state; None when none is kept."""
        header = self.meta(STATE_KEY)
        return None if header is None else \
            datetime.fromisoformat(json.loads(header)["moment"])

    def engine_state(self, assets: Collection[str]) -> EngineState | None:
        """The kept state of `assets`' lots and holdings; None when none is kept."""
        header = self.meta(STATE_KEY)
        if header is None:
            return None
        head = json.loads(header)
        wanted = [list(assets)]
        lots = tuple(
            _new_held(pool, None if a is None else (a, b), int(arrival), int(seq), lot_id,
                      wallet, asset, symbol, acquired.replace(tzinfo=UTC), Decimal(quantity),
                      None if basis is None else Decimal(basis), tx, leg, _KIND_OF[kind])
            for pool, a, b, arrival, seq, lot_id, wallet, asset, symbol, acquired, quantity,
            basis, tx, leg, kind in self._state_sql(_LOTS, wanted))
        held = tuple((str(w), str(a), Decimal(q)) for w, a, q in self._state_sql(_HELD, wanted))
        return EngineState(datetime.fromisoformat(head["moment"]), int(head["seq"]),
                           int(head["arrival"]), int(head["year"]), bool(head["universal"]),
                           lots, held)

    def clear_engine_state(self) -> None:
        """No state kept (the lots are pooled, or were computed without one)."""
        self._state_sql("DELETE FROM lot_state")
        self._state_sql("DELETE FROM lot_state_held")
        self._state_sql("DELETE FROM meta WHERE key = ?", [STATE_KEY])

    def save_engine_state(self, assets: Collection[str], change: StateChange,
                          run_on: bool) -> None:
        """The state of `assets` after a run: whole (the run started from nothing), or,
        when it ran on from the kept state (`run_on`), the lots of the ids it touched."""
        wanted = list(assets)
        state = change.state
        if run_on:
            self._state_sql("DELETE FROM lot_state WHERE asset IN (SELECT unnest(?)) AND "
                            "lot_id IN (SELECT unnest(?))", [wanted, list(change.touched)])
        else:
            self._state_sql("DELETE FROM lot_state WHERE asset IN (SELECT unnest(?))",
                            [wanted])
        self._state_sql("DELETE FROM lot_state_held WHERE asset IN (SELECT unnest(?))",
                        [wanted])
        chosen = set(assets)
        self._state_copy("lot_state", [_state_row(h) for h in state.lots if h.asset in chosen])
        self._state_copy("lot_state_held", [[w, a, str(q)] for w, a, q in state.held
                                            if a in chosen])
        before = self.meta(STATE_KEY)
        seq, arrival = state.seq, state.arrival
        if before is not None:
            head = json.loads(before)
            seq, arrival = max(seq, int(head["seq"])), max(arrival, int(head["arrival"]))
        self.set_meta(STATE_KEY, json.dumps({
            "moment": state.moment.isoformat(), "seq": seq, "arrival": arrival,
            "year": state.year, "universal": state.universal}))

    def add_lots_of(self, assets: Collection[str], touched: Collection[str],
                    lots: Sequence[Lot], disposals: Sequence[Disposal], method: str) -> None:
        """After a run on from the kept state: the open lots of `assets` of the `touched`
        ids replaced by `lots`, and the run's `disposals` added."""
        self._state_sql("DELETE FROM lots WHERE asset IN (SELECT unnest(?)) AND "
                        "lot_id IN (SELECT unnest(?))", [list(assets), list(touched)])
        self._state_copy("lots", [lot_row(lot, method) for lot in lots])
        self._state_copy("disposals", [disposal_row(d, method) for d in disposals])


def _state_row(h: HeldLot) -> list[Any]:
    a, b = h.transit if h.transit is not None else (None, None)
    return [h.pool, a, b, h.arrival, h.seq, h.lot_id, h.wallet, h.asset, h.symbol,
            naive_utc(h.acquired), str(h.quantity), None if h.basis is None else str(h.basis),
            h.origin_tx, h.origin_leg, h.origin_kind.value]
