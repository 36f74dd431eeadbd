"""What the transaction exports for other tax tools share: ledger legs grouped into rows.

Spam is left out. The legs of one transaction of one wallet (one group_id) make rows, in
ledger order (by timestamp, then as given):

- the fee legs give the row's fee, summed per asset; fees in a second asset become rows of
  their own, since the formats have one fee column;
- the other legs are netted per asset; one asset out and one in, both of the exchange
  kinds: one row that sends and receives, of their kind when they share one (a wrap, a
  stake...), else a trade; otherwise one row per asset (outs first), the first carrying the
  fee;
- a group with fees only: one row per fee asset, sending it.

Currencies are named by the leg's symbol, else its asset id; amounts are positive.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from chains.registry import chain_by_id, is_known
from scanner.formats.cells import formula_safe
from scanner.formats.rows import qty
from scanner.ledger.records import EXCHANGES, NOT_HOLDINGS, Kind, LedgerEntry
from scanner.money import sum_known
from scanner.tax.treatment import DEFAULT_TREATMENTS, Treatment, treatment_of

ZERO = Decimal(0)
_TX_HASH = re.compile(r"0x[0-9a-fA-F]{64}")

# whether taxscan carries the basis over for legs of (kind, protocol), as the rules in force
# say; the exports label such an exchange as the other tool's non-taxable one
Carries = Callable[[Kind, str], bool]


def default_carries(kind: Kind, protocol: str) -> bool:
    """The default treatment table's answer (scanner.tax.treatment)."""
    return treatment_of(DEFAULT_TREATMENTS, kind, protocol) is Treatment.CARRY


@dataclass(frozen=True, slots=True)
class Side:
    """One asset a row sends, receives or pays as a fee: a positive quantity."""

    asset: str
    currency: str  # the symbol, else the asset id; not yet guarded against formulas
    quantity: Decimal
    usd_value: Decimal | None  # of this quantity; None = unknown
    kind: Kind

    @property
    def amount(self) -> str:
        return qty(self.quantity)


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a transaction export. `kind` is the kind of its legs, or Kind.FEE for a
    row that only pays a fee (then `sent` is the fee and `fee` is None)."""

    timestamp: datetime
    chain_id: int
    tx_hash: str
    wallet: str
    protocol: str
    kind: Kind
    sent: Side | None
    received: Side | None
    fee: Side | None


def transaction_rows(entries: Iterable[LedgerEntry]) -> list[Row]:
    """The rows of `entries`, spam left out, in ledger order."""
    ordered = sorted((e for e in entries if e.kind not in NOT_HOLDINGS),
                     key=lambda e: e.timestamp)  # stable: ties keep the order given
    groups: dict[str, list[LedgerEntry]] = {}
    for entry in ordered:
        groups.setdefault(entry.group_id, []).append(entry)
    rows: list[Row] = []
    for legs in groups.values():
        rows.extend(_group_rows(legs))
    return rows


def _group_rows(legs: list[LedgerEntry]) -> list[Row]:
    first = legs[0]
    moves = [leg for leg in legs if leg.kind is not Kind.FEE]
    fees = _fee_sides(leg for leg in legs if leg.kind is Kind.FEE)
    cited = moves[0] if moves else first

    def row(kind: Kind, sent: Side | None, received: Side | None,
            fee: Side | None) -> Row:
        return Row(first.timestamp, first.chain_id, first.tx_hash, first.wallet,
                   cited.protocol, kind, sent, received, fee)

    net = _net(moves)
    outs = [side for side in net if side.quantity < 0]
    ins = [side for side in net if side.quantity > 0]
    fee, extra_fees = (fees[0], fees[1:]) if fees else (None, [])
    rows: list[Row] = []
    if len(outs) == 1 and len(ins) == 1 and outs[0].kind in EXCHANGES \
            and ins[0].kind in EXCHANGES:
        kind = outs[0].kind if outs[0].kind is ins[0].kind else Kind.TRADE
        rows.append(row(kind, _positive(outs[0]), ins[0], fee))
    else:
        for side in outs + ins:
            out = side.quantity < 0
            rows.append(row(side.kind, _positive(side) if out else None,
                            None if out else side, fee if not rows else None))
    if not rows:
        extra_fees = fees
    rows.extend(row(Kind.FEE, extra, None, None) for extra in extra_fees)
    return rows


def _positive(side: Side) -> Side:
    return Side(side.asset, side.currency, -side.quantity, side.usd_value, side.kind)


def _fee_sides(fee_legs: Iterable[LedgerEntry]) -> list[Side]:
    """Fees summed per asset, positive, in the order first paid."""
    by_asset: dict[str, list[LedgerEntry]] = {}
    for leg in fee_legs:
        by_asset.setdefault(leg.asset, []).append(leg)
    sides = []
    for asset, asset_legs in by_asset.items():
        total = -sum((leg.quantity for leg in asset_legs), ZERO)
        if total > 0:
            sides.append(Side(asset, currency(asset_legs[0]), total,
                              sum_known(leg.usd_value for leg in asset_legs), Kind.FEE))
    return sides


def _net(moves: list[LedgerEntry]) -> list[Side]:
    """Per asset, in the order first moved: the signed net quantity and the USD value of
    it (the legs going that way, scaled to the net, as the lot engine nets them); the kind
    and currency are those of the first leg going that way."""
    by_asset: dict[str, list[LedgerEntry]] = {}
    for leg in moves:
        by_asset.setdefault(leg.asset, []).append(leg)
    sides = []
    for asset, asset_legs in by_asset.items():
        net = sum((leg.quantity for leg in asset_legs), ZERO)
        if net == 0:
            continue
        same_way = [leg for leg in asset_legs if (leg.quantity > 0) == (net > 0)]
        gross = sum((abs(leg.quantity) for leg in same_way), ZERO)
        value = sum_known(leg.usd_value for leg in same_way)
        if value is not None and gross != abs(net):
            value = value * abs(net) / gross
        sides.append(Side(asset, currency(same_way[0]), net, value, same_way[0].kind))
    return sides


# ---- cells -------------------------------------------------------------------------------


def currency(entry: LedgerEntry) -> str:
    """The leg's symbol, else its asset id."""
    return entry.symbol if entry.symbol else entry.asset


def guard(text: str) -> str:
    """The formula guard of every CSV: a text cell a spreadsheet would run (= + - @ tab CR
    first) gets a leading apostrophe."""
    return formula_safe(text)


def utc(moment: datetime) -> datetime:
    """The moment in UTC; a naive one is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def tx_hash_cell(tx_hash: str) -> str:
    """The hash when it is an EVM transaction hash (0x and 64 hex digits), else empty: the
    ids of imported rows ("koinly:...") are not hashes another tool could look up."""
    return tx_hash if _TX_HASH.fullmatch(tx_hash) else ""


def description(row: Row) -> str:
    """The wallet, and the protocol when there is one."""
    return f"{row.wallet} ({row.protocol})" if row.protocol else row.wallet


def chain_name(chain_id: int) -> str:
    """The registry's name of a known chain, else empty."""
    return chain_by_id(chain_id).name if is_known(chain_id) else ""


def side_cells(side: Side | None) -> tuple[str, str]:
    """(amount, currency) of a side, guarded; two empty cells for no side."""
    return ("", "") if side is None else (side.amount, guard(side.currency))
