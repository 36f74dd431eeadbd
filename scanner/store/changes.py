"""What changed since the lots were computed, and the rows an incremental rebuild rewrites.

`lots_ledger` keeps the ledger (scanned legs and the imported legs no scanned leg shadows)
as the stored lots were last computed from it, a hash of each leg's row beside its key: the
difference between it and the ledger says which legs changed, whatever changed them (a
changed row keeps its hash with a chance of one in 2**64). The lots and disposals of some
assets are replaced alone; the legs of a few groups are read and revalued alone."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb

from scanner.collector import without_collector
from scanner.errors import StoreError
from scanner.ledger.pairing import PAIRED_KINDS
from scanner.ledger.records import Kind, LedgerEntry
from scanner.store.bulk import insert_many
from scanner.store.connect import one_line
from scanner.store.plumbing import Plumbing
from scanner.store.rows import (
    LEG_COLUMNS,
    SHAPE_COLUMNS,
    SHAPED_COLUMNS,
    disposal_lines,
    given_legs_of,
    legs_of,
    lot_lines,
    naive_utc,
    shaped_legs_of,
    shapes_of,
)
from scanner.tax.records import Disposal, Lot

# LedgerEntry's fields, in its order
_COLUMNS = ("chain_id, tx_hash, leg_key, log_index, block_number, tx_index, timestamp, wallet, "
            "kind, protocol, asset, symbol, raw_amount, decimals, counterparty, group_id, "
            "usd_value, price_source")
_ORDER = ("ORDER BY timestamp, chain_id, block_number, tx_index, group_id, "
          "log_index NULLS FIRST, leg_key")
# the ledger as reports read it: scanned legs, and the imported legs none of them shadows
# (with whether a file gave an imported leg's value: the valuation of its group rests on it)


def _ledger(where: str = "true") -> str:
    """The ledger's legs that `where` (on `t`) picks, picked before the union."""
    return f"""
    SELECT *, NULL::BOOLEAN AS usd_given FROM ledger t WHERE {where}
    UNION ALL BY NAME
    SELECT * EXCLUDE (source) FROM imported_ledger t
    WHERE {where} AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.chain_id = t.chain_id
                                  AND l.tx_hash = t.tx_hash AND l.leg_key = t.leg_key
                                  AND l.wallet = t.wallet)"""


_LEDGER = _ledger()
_SHAPES = f"SELECT DISTINCT hash({SHAPE_COLUMNS}), {SHAPE_COLUMNS} FROM ({_LEDGER})"
_SHAPED = f"SELECT {SHAPED_COLUMNS} FROM ({_LEDGER}) {_ORDER}"
_LEGS = f"SELECT {LEG_COLUMNS} FROM ({_LEDGER}) {_ORDER}"
_FEE, _CANDIDATES = Kind.FEE.value, tuple(kind.value for kind in PAIRED_KINDS)
_MOVE = f"kind NOT IN ('{_FEE}', '{Kind.SPAM.value}', '{Kind.DEBT.value}')"
_CANDIDATE = f"kind IN {_CANDIDATES}"

# what the lots are computed from, a leg's row in one hash: the copy keeps its key, its
# group, asset, kind and moment, and that hash
_HASHED = f"hash({_COLUMNS}, quantity, usd_given)"
# what pairing reads of a leg, in one hash
_PAIR_HASHED = """hash(chain_id, tx_hash, leg_key, wallet, kind, protocol, asset, raw_amount,
    decimals, timestamp, block_number, tx_index)"""
_SEEN = f"""SELECT chain_id, tx_hash, leg_key, wallet, group_id, asset, kind, protocol,
    timestamp, {_HASHED} AS row_hash, {_PAIR_HASHED} AS pair_hash FROM ({_LEDGER})"""
_SNAPSHOT = f"INSERT INTO lots_ledger {_SEEN}"
SNAPSHOT_KEY = "lots_ledger"  # meta: set once lots_ledger holds the ledger of the lots
_SAME_LEG = """c.chain_id = t.chain_id AND c.tx_hash = t.tx_hash AND c.leg_key = t.leg_key
    AND c.wallet = t.wallet"""
_CHANGED = f"""
    CREATE OR REPLACE TEMP TABLE changed_legs AS
    SELECT coalesce(n.chain_id, o.chain_id) AS chain_id, coalesce(n.tx_hash, o.tx_hash)
           AS tx_hash, coalesce(n.leg_key, o.leg_key) AS leg_key,
           coalesce(n.wallet, o.wallet) AS wallet, n.group_id, n.asset, n.kind, n.protocol,
           n.timestamp, n.row_hash, n.pair_hash, o.group_id AS old_group, o.asset AS old_asset,
           o.timestamp AS old_timestamp
    FROM ({_SEEN}) n FULL JOIN lots_ledger o
    ON n.chain_id = o.chain_id AND n.tx_hash = o.tx_hash AND n.leg_key = o.leg_key
       AND n.wallet = o.wallet
    WHERE n.row_hash IS DISTINCT FROM o.row_hash"""
# the same, of the legs of `wanted_legs` alone
_STAGE_KEYS = """
    CREATE OR REPLACE TEMP TABLE wanted_legs AS
    SELECT CAST(unnest($1) AS BIGINT) AS chain_id, CAST(unnest($2) AS VARCHAR) AS tx_hash,
           CAST(unnest($3) AS VARCHAR) AS leg_key, CAST(unnest($4) AS VARCHAR) AS wallet"""
_WANTED = f"EXISTS (SELECT 1 FROM wanted_legs c WHERE {_SAME_LEG})"
_CHANGED_AMONG = _CHANGED.replace(f"FROM ({_SEEN}) n FULL JOIN lots_ledger o", f"""
    FROM ({_SEEN.replace(_LEDGER, _ledger(_WANTED))}) n
    FULL JOIN (SELECT * FROM lots_ledger t WHERE {_WANTED}) o""")
# whether the copy holds every leg as the ledger has it (a sum of the hashes, whole)
_IN_STEP = f"""
    SELECT (SELECT (count(*), sum({_HASHED})) FROM ({_LEDGER})) =
           (SELECT (count(*), sum(row_hash)) FROM lots_ledger)"""
_CHANGED_ROWS = """
    SELECT group_id, asset FROM changed_legs WHERE group_id IS NOT NULL
    UNION SELECT old_group, old_asset FROM changed_legs WHERE old_group IS NOT NULL"""
_FORGET_CHANGED = f"DELETE FROM lots_ledger t USING changed_legs c WHERE {_SAME_LEG}"
_TAKE_CHANGED = """
    INSERT INTO lots_ledger SELECT chain_id, tx_hash, leg_key, wallet, group_id, asset, kind,
        protocol, timestamp, row_hash, pair_hash FROM changed_legs WHERE row_hash IS NOT NULL"""
_GROUP_ASSETS = f"""
    SELECT DISTINCT asset FROM lots_ledger
    WHERE group_id IN (SELECT unnest(?)) AND {_MOVE}"""
_KINDS = "SELECT DISTINCT kind, protocol FROM lots_ledger"
# one step of the assets the lots of `?` depend on or feed (see rebuild.linked_assets)
_LINKED = f"""
    WITH touched AS (SELECT DISTINCT group_id FROM lots_ledger WHERE asset IN (SELECT unnest($1))),
    g AS (
        SELECT group_id,
               bool_or(kind || '|' || protocol IN (SELECT unnest($2))) AS carries,
               bool_or({_MOVE} AND asset IN (SELECT unnest($1))) AS moves_of,
               bool_or({_CANDIDATE} AND asset IN (SELECT unnest($1))) AS candidate_of
        FROM lots_ledger WHERE group_id IN (SELECT group_id FROM touched) GROUP BY group_id)
    SELECT DISTINCT l.asset FROM lots_ledger l JOIN g USING (group_id)
    WHERE l.{_MOVE} AND ((g.carries AND g.moves_of) OR g.candidate_of
                         OR (g.moves_of AND l.{_CANDIDATE}))"""
_OF_ASSETS = f"""t.group_id IN (SELECT group_id FROM lots_ledger
                       WHERE asset IN (SELECT unnest($1)) AND kind <> '{_FEE}')
       OR (t.asset IN (SELECT unnest($1)) AND t.kind = '{_FEE}')"""
_LOTS_INPUT = f"SELECT {LEG_COLUMNS} FROM ({_ledger(f'({_OF_ASSETS})')}) {_ORDER}"
_SINCE = f"SELECT {LEG_COLUMNS} FROM ({_ledger('t.timestamp >= $1')}) {_ORDER}"
# the legs of `$1` pairing reads from $2 to before $3
_NEAR = f"""t.{_CANDIDATE} AND t.asset IN (SELECT unnest($1))
    AND t.timestamp >= $2 AND t.timestamp < $3"""
_CANDIDATES_BETWEEN = f"SELECT {LEG_COLUMNS} FROM ({_ledger(_NEAR)}) {_ORDER}"
_TXS_BEFORE = f"""SELECT count(*) FROM lots_ledger
    WHERE tx_hash IN (SELECT unnest($1)) AND timestamp < $2 AND {_CANDIDATE}"""
_EARLIEST = """SELECT min(least(coalesce(timestamp, old_timestamp),
                           coalesce(old_timestamp, timestamp))) FROM changed_legs"""
_GROUPS_BEFORE = """SELECT count(*) FROM lots_ledger
    WHERE timestamp < $2 AND group_id IN (SELECT unnest($1))"""
_END = "SELECT max(timestamp) FROM lots_ledger"
_TRANSFERS = f"SELECT {LEG_COLUMNS} FROM ({_ledger(f't.{_CANDIDATE}')}) {_ORDER}"
# what pairing reads of the transfers, in one figure (of those before $1, and of all), from
# the copy of the ledger (in step with it after every command that writes)
_PAIRING_KEY = f"""
    SELECT count(*) FILTER (WHERE timestamp < $1), sum(pair_hash) FILTER (WHERE timestamp < $1),
           count(*), sum(pair_hash)
    FROM lots_ledger WHERE {_CANDIDATE}"""
UNPAIRED_KEY = "review_unpaired"  # meta: the transfers review_unpaired was found among
_UNPAIRED = f"""SELECT {LEG_COLUMNS} FROM ({_ledger(
    "EXISTS (SELECT 1 FROM review_unpaired c WHERE " + _SAME_LEG + ")")}) {_ORDER}"""
_YEARS = "SELECT min(year(timestamp)), max(year(timestamp)) FROM lots_ledger"
# whether a group without a leg pairing may move starts at or after $1
_SETTLED = f"""
    SELECT count(*) FROM (
        SELECT group_id FROM lots_ledger
        WHERE group_id IN (SELECT group_id FROM lots_ledger WHERE timestamp >= $1)
        GROUP BY group_id HAVING min(timestamp) >= $1 AND NOT bool_or({_CANDIDATE})
        LIMIT 1)"""
_SIZES = f"""
    SELECT (SELECT count(*) FROM ({_LEDGER})), (SELECT count(*) FROM lots),
           (SELECT count(*) FROM disposals)"""
_CLEAR_LOTS = "DELETE FROM lots WHERE asset IN (SELECT unnest(?))"
_CLEAR_DISPOSALS = "DELETE FROM disposals WHERE asset IN (SELECT unnest(?))"

# the legs a new price of an asset can value: those of the groups with a leg of it at or
# after a moment ($1 assets, $2 moments, side by side)
_PRICED = "SELECT unnest($1) AS asset, unnest($2) AS since"
_CHAIN_TO_VALUE = f"""
    SELECT {LEG_COLUMNS} FROM ledger WHERE chain_id = $3 AND group_id IN (
        SELECT l.group_id FROM ledger l JOIN ({_PRICED}) p
        ON l.asset = p.asset AND l.timestamp >= p.since WHERE l.chain_id = $3)
    {_ORDER}"""
_IMPORTED_TO_VALUE = f"""
    SELECT {LEG_COLUMNS}, usd_given FROM imported_ledger WHERE group_id IN (
        SELECT l.group_id FROM imported_ledger l JOIN ({_PRICED}) p
        ON l.asset = p.asset AND l.timestamp >= p.since)
    {_ORDER}"""
_IMPORTED_OF_GROUPS = f"""
    SELECT {LEG_COLUMNS}, usd_given FROM imported_ledger WHERE group_id IN (
        SELECT group_id FROM imported_ledger
        WHERE group_id IN (SELECT unnest(?)) AND NOT coalesce(usd_given, false))
    {_ORDER}"""
_SHADOWED = """
    SELECT count(*) FROM imported_ledger i JOIN ledger l
    ON l.chain_id = i.chain_id AND l.tx_hash = i.tx_hash AND l.leg_key = i.leg_key
       AND l.wallet = i.wallet"""
_STAGE_VALUES = """
    CREATE OR REPLACE TEMP TABLE new_values (chain_id BIGINT, tx_hash VARCHAR,
        leg_key VARCHAR, wallet VARCHAR, usd_value DECIMAL(38, 10), price_source VARCHAR)"""
_INSERT_VALUE = "INSERT INTO new_values VALUES (?, ?, ?, ?, ?, ?)"
_APPLY_VALUES = """
    UPDATE ledger t SET usd_value = v.usd_value, price_source = v.price_source
    FROM new_values v
    WHERE t.chain_id = v.chain_id AND t.tx_hash = v.tx_hash AND t.leg_key = v.leg_key
      AND t.wallet = v.wallet"""
_PRICE_ROWS = """
    SELECT asset, count(*) FROM prices WHERE asset IN (SELECT unnest(?)) GROUP BY asset"""
_JUDGED = "SELECT asset FROM spam WHERE asset IN (SELECT unnest(?))"


_NEVER = datetime(9999, 12, 31, tzinfo=UTC)
class ChangeTables(Plumbing):
    """The Store's reads and writes for incremental rebuilds (scanner.app.rebuild)."""

    def _rows(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        try:
            insert_many(self._db, sql, rows)
        except duckdb.Error as exc:
            raise StoreError(f"database error in an incremental rebuild: {one_line(exc)}") \
                from None

    # ---- the ledger the lots were computed from -------------------------------------

    def has_lots_ledger(self) -> bool:
        return self.meta(SNAPSHOT_KEY) is not None

    def keep_lots_ledger(self) -> None:
        """Copy the ledger as the lots are now computed from it (after a full rebuild)."""
        self._sql("DELETE FROM lots_ledger")
        self._sql(_SNAPSHOT)
        self.set_meta(SNAPSHOT_KEY, "1")

    def lots_in_step(self) -> bool:
        """Whether the ledger is as the lots were last computed from it."""
        return bool(self._sql(_IN_STEP)[0][0])

    def changed_since_lots(self, among: Iterable[tuple[int, str, str, str]] | None = None) \
            -> tuple[set[str], set[str]]:
        """The groups and assets of the legs added, removed or changed since the lots were
        computed (old and new legs alike), of the legs `among` alone when the rest are
        known to be as they were. Call `take_changes` once the lots are."""
        if among is None:
            self._sql(_CHANGED)
        else:
            keys = list(among)
            self._sql(_STAGE_KEYS, [[k[n] for k in keys] for n in range(4)])
            self._sql(_CHANGED_AMONG)
            self._sql("DROP TABLE wanted_legs")
        rows = self._sql(_CHANGED_ROWS)
        return {str(g) for g, _ in rows}, {str(a) for _, a in rows}

    def imported_keys(self, source: str) -> list[tuple[int, str, str, str, str]]:
        """The keys (chain, transaction, leg, wallet) and groups of the legs imported from
        `source`."""
        return [(int(c), str(t), str(k), str(w), str(g)) for c, t, k, w, g in self._sql(
            "SELECT chain_id, tx_hash, leg_key, wallet, group_id FROM imported_ledger "
            "WHERE source = ?", [source])]

    def take_changes(self) -> None:
        """The copy brought up to date with the legs `changed_since_lots` found."""
        self._sql(_FORGET_CHANGED)
        self._sql(_TAKE_CHANGED)
        self._sql("DROP TABLE changed_legs")

    def group_assets(self, groups: Collection[str]) -> set[str]:
        """The assets the legs of `groups` hold (fees, spam and debt aside)."""
        return {str(r[0]) for r in self._sql(_GROUP_ASSETS, [list(groups)])} if groups \
            else set()

    def kinds_in_use(self) -> list[tuple[str, str]]:
        return [(str(k), str(p)) for k, p in self._sql(_KINDS)]

    def linked_assets(self, assets: Collection[str], carrying: Collection[str]) -> set[str]:
        """The assets linked to `assets` by one group (see rebuild.linked_assets);
        `carrying`: the `kind|protocol` pairs that carry basis over."""
        return {str(r[0]) for r in self._sql(_LINKED, [list(assets), list(carrying)])}

    @without_collector
    def ledger(self) -> list[LedgerEntry]:
        """The scanned legs, and the imported legs none of them shadows, in order."""
        shapes = shapes_of(self._sql(_SHAPES))
        if shapes is None:  # two shapes of one hash: read every text
            return legs_of(self._sql(_LEGS))
        return shaped_legs_of(self._sql(_SHAPED), shapes)

    def lots_input(self, assets: Collection[str]) -> list[LedgerEntry]:
        """Every leg of the groups with a leg of `assets` other than a fee, and their fee
        legs elsewhere, in the ledger's order."""
        return legs_of(self._sql(_LOTS_INPUT, [list(assets)]))

    def legs_since(self, moment: datetime) -> list[LedgerEntry]:
        """The ledger's legs at or after `moment`, in its order."""
        return legs_of(self._sql(_SINCE, [naive_utc(moment)]))

    def candidate_legs(self, assets: Collection[str], since: datetime,
                       moment: datetime) -> list[LedgerEntry]:
        """The legs of `assets` pairing reads (see `transfer_legs`) from `since` to before
        `moment`."""
        return legs_of(self._sql(_CANDIDATES_BETWEEN, [
            list(assets), naive_utc(since), naive_utc(moment)]))

    def candidates_in(self, txs: Collection[str], moment: datetime) -> bool:
        """Whether one of the transactions `txs` has a leg pairing reads before `moment`
        (the ledger as the lots were last computed from it)."""
        return bool(self._sql(_TXS_BEFORE, [list(txs), naive_utc(moment)])[0][0])

    def earliest_change(self) -> datetime | None:
        """The earliest moment of a leg `changed_since_lots` found, before or after the
        change."""
        earliest = self._sql(_EARLIEST)[0][0]
        return None if earliest is None else earliest.replace(tzinfo=UTC)

    def groups_before(self, groups: Collection[str], moment: datetime) -> bool:
        """Whether a leg of `groups` is before `moment`."""
        return bool(self._sql(_GROUPS_BEFORE, [list(groups), naive_utc(moment)])[0][0])

    def ledger_end(self) -> datetime | None:
        """The moment of the ledger's last leg, as the lots were last computed from it."""
        end = self._sql(_END)[0][0]
        return None if end is None else end.replace(tzinfo=UTC)

    def transfer_legs(self) -> list[LedgerEntry]:
        """The legs pairing reads (transfers in and out, self transfers), in the ledger's
        order: pairing them alone pairs them as the whole ledger would."""
        return legs_of(self._sql(_TRANSFERS))

    def pairing_keys(self, moment: datetime | None = None) -> tuple[str, str]:
        """Fingerprints of what pairing reads of the transfers before `moment`, and of all
        of them, as the lots were last computed from them (the ledger itself, once a
        command that writes has refreshed the lots)."""
        before, before_sum, count, total = self._sql(_PAIRING_KEY,
                                                     [naive_utc(moment or _NEVER)])[0]
        return f"{before}:{before_sum}", f"{count}:{total}"

    def kept_unpaired(self, key: str) -> list[LedgerEntry] | None:
        """The legs kept as left unpaired among the transfers of fingerprint `key` (as
        they are now); None when none were kept for it."""
        return legs_of(self._sql(_UNPAIRED)) if self.meta(UNPAIRED_KEY) == key \
            else None

    def keep_unpaired(self, key: str, legs: Iterable[LedgerEntry]) -> None:
        """`legs` as those left unpaired among the transfers of fingerprint `key`."""
        with self.transaction():
            self._sql("DELETE FROM review_unpaired")
            self._rows("INSERT INTO review_unpaired VALUES (?, ?, ?, ?)",
                       [[e.chain_id, e.tx_hash, e.leg_key, e.wallet] for e in legs])
            self.set_meta(UNPAIRED_KEY, key)

    def ledger_years(self) -> tuple[int | None, int | None]:
        """The first and last year of the ledger."""
        first, last = self._sql(_YEARS)[0]
        return first, last

    def settled_since(self, moment: datetime) -> bool:
        """Whether a group that no pairing may move (it has no transfer) starts at or
        after `moment`."""
        return bool(self._sql(_SETTLED, [naive_utc(moment)])[0][0])

    def ledger_sizes(self) -> tuple[int, int, int]:
        """The legs of the ledger, the open lots and the disposals."""
        legs, lots, disposals = self._sql(_SIZES)[0]
        return int(legs), int(lots), int(disposals)

    def replace_lots_of(self, assets: Collection[str], lots: Iterable[Lot],
                        disposals: Iterable[Disposal], method: str) -> None:
        """The open lots and disposals of `assets`, in place of those stored."""
        wanted = list(assets)
        self._sql(_CLEAR_LOTS, [wanted])
        self._sql(_CLEAR_DISPOSALS, [wanted])
        self._copies([("disposals", disposal_lines(disposals, method)),
                      ("lots", lot_lines(lots, method))])

    # ---- valuation ------------------------------------------------------------------

    def chain_legs_priced_since(self, chain_id: int,
                                since: Sequence[tuple[str, datetime]]) -> list[LedgerEntry]:
        """The chain's legs of every group with a leg of one of the assets at or after its
        moment."""
        assets, moments = [a for a, _ in since], [naive_utc(m) for _, m in since]
        return legs_of(self._sql(_CHAIN_TO_VALUE, [assets, moments, chain_id]))

    def imported_priced_since(self, since: Sequence[tuple[str, datetime]]) -> \
            list[tuple[LedgerEntry, bool]]:
        """`chain_legs_priced_since` of the imported legs, each with whether its file gave
        its value."""
        assets, moments = [a for a, _ in since], [naive_utc(m) for _, m in since]
        return given_legs_of(self._sql(_IMPORTED_TO_VALUE, [assets, moments]))

    def imported_of_groups(self, groups: Collection[str]) -> list[tuple[LedgerEntry, bool]]:
        """The imported legs of those of `groups` with a leg whose value its file did not
        give (the others have nothing to value), each with whether its file gave it."""
        if not groups:
            return []
        return given_legs_of(self._sql(_IMPORTED_OF_GROUPS, [list(groups)]))

    def shadowed_imports(self) -> int:
        """How many imported legs a scanned leg shadows (the ledger counts the scanned)."""
        return int(self._sql(_SHADOWED)[0][0])

    def set_chain_values(self, entries: Iterable[LedgerEntry]) -> None:
        """The USD values (and price sources) of scanned legs."""
        rows = [[e.chain_id, e.tx_hash, e.leg_key, e.wallet, e.usd_value, e.price_source]
                for e in entries]
        if not rows:
            return
        self._sql(_STAGE_VALUES)
        self._rows(_INSERT_VALUE, rows)
        self._sql(_APPLY_VALUES)
        self._sql("DROP TABLE new_values")

    def price_rows(self, assets: Collection[str]) -> dict[str, int]:
        """asset -> how many price rows the database holds of it."""
        return {str(a): int(n) for a, n in self._sql(_PRICE_ROWS, [list(assets)])}

    def judged_among(self, assets: Collection[str]) -> set[str]:
        """Those of `assets` a chain's spam verdicts judge."""
        return {str(r[0]) for r in self._sql(_JUDGED, [list(assets)])}
