"""Report rows with the stable field names of DESIGN.md. Pure: results in, rows out."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, getcontext
from typing import Any

from chains.addresses import asset_chain_id
from scanner.collector import without_collector
from scanner.ledger.reconcile import BalanceCheck
from scanner.ledger.records import LedgerEntry, YearEndBalance
from scanner.ledger.spam import SpamRow
from scanner.money import cents
from scanner.tax.harvest import HarvestRow, Rates
from scanner.tax.records import Allocation, Disposal, IncomeEvent, Lot, MissingPrice, TraceStep
from scanner.tax.sales import sale_cents

Row = dict[str, Any]
Unfigured = Callable[[Row], Collection[str]]


def every_field(row: Row) -> Collection[str]:
    """No field goes without a figure by its nature: a missing figure is unknown."""
    return ()


@dataclass(frozen=True)
class Shape:
    """A report's fields (JSON, CSV) and the columns a person sees in a table;
    `not_applicable`: a row's fields that can have no figure (an acquisition's gain), shown
    apart from an unknown one."""

    fields: tuple[str, ...]
    table: tuple[str, ...]
    not_applicable: Unfigured = every_field

    def in_currency(self, currency: str) -> Shape:
        """The shape of the same report with its figures in `currency`: its money fields
        named for it (DESIGN.md's names are those of USD: proceeds_usd, proceeds_gbp)."""
        if currency == "USD":
            return self
        unfigured = self.not_applicable

        def not_applicable(row: Row) -> Collection[str]:
            return [named_in(name, currency) for name in unfigured(row)]

        return Shape(tuple(named_in(f, currency) for f in self.fields),
                     tuple(named_in(f, currency) for f in self.table), not_applicable)


def named_in(field: str, currency: str) -> str:
    """A money field's name for figures in `currency`."""
    return field if currency == "USD" else field.replace("usd", currency.lower())


def rows_in(rows: Iterable[Row], currency: str) -> list[Row]:
    """The rows with their money fields named for `currency`."""
    if currency == "USD":
        return list(rows)
    return [{named_in(key, currency): value for key, value in row.items()} for row in rows]


LEDGER = Shape(
    fields=("timestamp", "chain_id", "block_number", "tx_hash", "log_index", "wallet", "kind",
            "protocol", "asset", "symbol", "quantity", "usd_value", "price_source",
            "counterparty", "group_id"),
    table=("timestamp", "wallet", "kind", "symbol", "quantity", "usd_value", "price_source",
           "tx_hash"),
)
GAINS = Shape(
    fields=("asset", "symbol", "wallet", "quantity", "acquired", "disposed", "proceeds_usd",
            "cost_basis_usd", "gain_usd", "term", "tx_hash", "lot_id", "kind", "rule",
            "disallowed_loss_usd"),
    table=("symbol", "quantity", "acquired", "disposed", "proceeds_usd", "cost_basis_usd",
           "gain_usd", "term", "rule", "kind", "tx_hash"),
)
INCOME = Shape(
    fields=("timestamp", "asset", "symbol", "wallet", "quantity", "usd_value", "kind",
            "tx_hash"),
    table=("timestamp", "symbol", "quantity", "usd_value", "kind", "tx_hash"),
)
HARVEST = Shape(
    fields=("asset", "symbol", "wallet", "acquired", "quantity", "cost_basis_usd", "price_usd",
            "value_usd", "unrealized_usd", "term", "wash_sale_risk", "lot_id", "price_source",
            "suggested", "tax_saved_usd", "gas_usd_estimate"),
    table=("symbol", "wallet", "acquired", "quantity", "cost_basis_usd", "price_usd",
           "value_usd", "unrealized_usd", "term", "wash_sale_risk", "suggested",
           "tax_saved_usd", "gas_usd_estimate"),
)
MISSING = Shape(
    fields=("asset", "symbol", "legs", "first", "last", "disposed_unknown_proceeds",
            "disposed_unknown_basis", "held_unknown_basis", "income_unknown"),
    table=("symbol", "legs", "first", "last", "disposed_unknown_proceeds",
           "disposed_unknown_basis", "held_unknown_basis", "income_unknown"),
)
RECONCILE = Shape(
    fields=("chain_id", "wallet", "asset", "symbol", "block_number", "ledger_balance",
            "chain_balance", "difference", "status", "explanation"),
    table=("wallet", "symbol", "block_number", "ledger_balance", "chain_balance",
           "difference", "status", "explanation"),
)
BALANCES = Shape(
    fields=("as_of", "chain_id", "wallet", "asset", "symbol", "quantity", "price_usd",
            "value_usd", "price_source"),
    table=("wallet", "symbol", "quantity", "price_usd", "value_usd", "price_source"),
)
LOTS = Shape(
    fields=("lot_id", "wallet", "asset", "symbol", "acquired", "quantity", "cost_basis_usd",
            "origin_tx", "origin_kind"),
    table=("lot_id", "wallet", "symbol", "acquired", "quantity", "cost_basis_usd",
           "origin_kind"),
)
ALLOCATION = Shape(
    fields=("as_of", "wallet", "asset", "symbol", "lot_id", "acquired", "quantity",
            "cost_basis_usd", "how"),
    table=("wallet", "symbol", "lot_id", "acquired", "quantity", "cost_basis_usd", "how"),
)


def _gain_of_disposals(row: Row) -> Collection[str]:
    """Only a disposal realizes a gain: an acquisition or an open lot has none."""
    return () if row["step"] == "disposed" else ("gain_usd",)


TRACE = Shape(
    fields=("step", "lot_id", "timestamp", "wallet", "asset", "symbol", "quantity", "usd",
            "gain_usd", "tx_hash", "detail"),
    table=("step", "timestamp", "symbol", "quantity", "usd", "gain_usd", "tx_hash", "detail"),
    not_applicable=_gain_of_disposals,
)
SPAM = Shape(
    fields=("asset", "symbol", "score", "is_spam", "marked", "reasons"),
    table=("asset", "symbol", "score", "is_spam", "marked", "reasons"),
)


# a report names millions of moments, on few days and at most 86,400 seconds of a day
_DAYS: dict[int, str] = {}  # proleptic ordinal -> "2024-03-01T"
_DAYS_LIMIT = 1 << 16
_CLOCKS: dict[int, str] = {}  # second of the day -> "12:30:05Z"


def when(moment: datetime | None) -> str | None:
    """ISO 8601 UTC to the second: 2024-03-01T12:30:05Z (a naive moment is taken as UTC)."""
    if moment is None:
        return None
    zone = moment.tzinfo
    if zone is not UTC and zone is not None:
        utc = moment.astimezone(UTC) if moment.utcoffset() else moment
        return utc.replace(tzinfo=None, microsecond=0).isoformat() + "Z"
    day = _DAYS.get(ordinal := moment.toordinal())
    if day is None:
        if len(_DAYS) >= _DAYS_LIMIT:
            _DAYS.clear()
        day = _DAYS[ordinal] = moment.date().isoformat() + "T"
    clock = _CLOCKS.get(second := moment.hour * 3600 + moment.minute * 60 + moment.second)
    if clock is None:
        clock = _CLOCKS[second] = f"{moment:%H:%M:%S}Z"
    return day + clock


def qty(amount: Decimal) -> str:
    normal = amount.normalize()
    text = str(normal)  # the same as format(normal, "f") unless in exponent form
    if "E" in text:
        text = format(normal, "f")
    return "0" if text == "-0" else text


def amount_text(raw: int, decimals: int) -> str:
    """`qty` of the quantity raw / 10**decimals (a leg's), made from the integer's digits;
    as a Decimal where it has more digits than the context keeps (a Decimal rounds them)."""
    digits = str(-raw if raw < 0 else raw)
    if len(digits) > getcontext().prec:
        return qty(Decimal(raw).scaleb(-decimals))
    if decimals:
        if len(digits) <= decimals:
            digits = "0" * (decimals + 1 - len(digits)) + digits
        fraction = digits[-decimals:].rstrip("0")
        digits = f"{digits[:-decimals]}.{fraction}" if fraction else digits[:-decimals]
    return "-" + digits if raw < 0 else digits


def money(amount: Decimal | None) -> str | None:
    return None if amount is None else str(cents(amount))


@without_collector
def ledger_rows(entries: Iterable[LedgerEntry]) -> list[Row]:
    return [{
        "timestamp": when(e.timestamp), "chain_id": e.chain_id, "block_number": e.block_number,
        "tx_hash": e.tx_hash, "log_index": e.log_index, "wallet": e.wallet,
        "kind": e.kind.value, "protocol": e.protocol, "asset": e.asset, "symbol": e.symbol,
        "quantity": qty(e.quantity), "usd_value": money(e.usd_value),
        "price_source": e.price_source, "counterparty": e.counterparty, "group_id": e.group_id,
    } for e in entries]


@without_collector
def gains_rows(disposals: Iterable[Disposal]) -> list[Row]:
    """One row per disposal, its money in cents as the forms give it: the lines of one sale
    add up to the sale's proceeds and basis (`tax.sales.sale_cents`)."""
    rows: list[Row] = []
    append_row = rows.append
    listed = list(disposals)
    for d, (proceeds, basis) in zip(listed, sale_cents(listed), strict=True):
        disallowed = cents(d.disallowed_loss_usd) if d.disallowed_loss_usd else None
        gain = None if proceeds is None or basis is None else \
            proceeds - basis + (disallowed or 0)
        term = d.term
        append_row({
            "asset": d.asset, "symbol": d.symbol, "wallet": d.wallet, "quantity": qty(d.quantity),
            "acquired": when(d.acquired), "disposed": when(d.disposed),
            "proceeds_usd": None if proceeds is None else str(proceeds),
            "cost_basis_usd": None if basis is None else str(basis),
            "gain_usd": None if gain is None else str(gain),
            "term": None if term is None else term.value, "tx_hash": d.tx_hash,
            "lot_id": d.lot_id, "kind": d.kind.value, "rule": d.rule or None,
            "disallowed_loss_usd": None if disallowed is None else str(disallowed),
        })
    return rows


@without_collector
def income_rows(events: Iterable[IncomeEvent]) -> list[Row]:
    return [{
        "timestamp": when(i.timestamp), "asset": i.asset, "symbol": i.symbol, "wallet": i.wallet,
        "quantity": qty(i.quantity), "usd_value": money(i.usd_value), "kind": i.kind,
        "tx_hash": i.tx_hash,
    } for i in events]


def harvest_rows(rows: Iterable[HarvestRow], suggested: Collection[str] = (),
                 rates: Rates | None = None,
                 gas: Mapping[int, Decimal] | None = None) -> list[Row]:
    out = []
    for r in rows:
        saved = None if rates is None or r.unrealized_usd is None or r.unrealized_usd >= 0 \
            else -r.unrealized_usd * rates.of(r.term)
        gas_usd = (gas or {}).get(asset_chain_id(r.lot.asset))
        basis = None if r.lot.cost_basis_usd is None else cents(r.lot.cost_basis_usd)
        value = None if r.value_usd is None else cents(r.value_usd)
        out.append({
            "asset": r.lot.asset, "symbol": r.lot.symbol, "wallet": r.lot.wallet,
            "acquired": when(r.lot.acquired), "quantity": qty(r.lot.quantity),
            "cost_basis_usd": money(basis), "price_usd": None if r.price_usd is None
            else qty(r.price_usd), "value_usd": money(value),
            "unrealized_usd": None if value is None or basis is None else money(value - basis),
            "term": r.term.value, "wash_sale_risk": r.wash_sale_risk, "lot_id": r.lot.lot_id,
            "price_source": r.price_source, "suggested": r.lot.lot_id in suggested,
            "tax_saved_usd": money(saved), "gas_usd_estimate": money(gas_usd),
        })
    return out


def total(rows: Iterable[Row], field: str) -> Decimal | None:
    """The sum of a money column, or None when any row's figure is unknown."""
    amount = Decimal(0)
    for row in rows:
        if row[field] is None:
            return None
        amount += Decimal(row[field])
    return amount


def missing_rows(rows: Iterable[MissingPrice]) -> list[Row]:
    return [{
        "asset": m.asset, "symbol": m.symbol, "legs": m.legs, "first": when(m.first),
        "last": when(m.last), "disposed_unknown_proceeds": qty(m.disposed_unknown_proceeds),
        "disposed_unknown_basis": qty(m.disposed_unknown_basis),
        "held_unknown_basis": qty(m.held_unknown_basis), "income_unknown": qty(m.income_unknown),
    } for m in rows]


def reconcile_rows(checks: Iterable[BalanceCheck]) -> list[Row]:
    rows = []
    for c in checks:
        chain = c.chain_balance
        rows.append({
            "chain_id": c.holding.chain_id, "wallet": c.holding.wallet, "asset": c.holding.asset,
            "symbol": c.holding.symbol, "block_number": c.block,
            "ledger_balance": qty(c.ledger_balance),
            "chain_balance": None if chain is None else qty(chain),
            "difference": None if chain is None else qty(chain - c.ledger_balance),
            "status": c.status.value, "explanation": c.explanation,
        })
    return rows


def balance_rows(balances: Iterable[YearEndBalance]) -> list[Row]:
    return [{
        "as_of": when(b.as_of), "chain_id": b.chain_id, "wallet": b.wallet, "asset": b.asset,
        "symbol": b.symbol, "quantity": qty(b.quantity),
        "price_usd": None if b.price_usd is None else qty(b.price_usd),
        "value_usd": None if b.price_usd is None else money(b.quantity * b.price_usd),
        "price_source": b.price_source,
    } for b in balances]


def lot_rows(lots: Iterable[Lot]) -> list[Row]:
    return [{
        "lot_id": lot.lot_id, "wallet": lot.wallet, "asset": lot.asset, "symbol": lot.symbol,
        "acquired": when(lot.acquired), "quantity": qty(lot.quantity),
        "cost_basis_usd": money(lot.cost_basis_usd), "origin_tx": lot.origin_tx,
        "origin_kind": lot.origin_kind.value,
    } for lot in lots]


def allocation_rows(allocations: Iterable[Allocation]) -> list[Row]:
    return [{
        "as_of": when(a.as_of), "wallet": a.wallet, "asset": a.asset, "symbol": a.symbol,
        "lot_id": a.lot_id, "acquired": when(a.acquired), "quantity": qty(a.quantity),
        "cost_basis_usd": money(a.cost_basis_usd), "how": a.how,
    } for a in allocations]


def trace_rows(steps: Iterable[TraceStep]) -> list[Row]:
    return [{
        "step": s.step, "lot_id": s.lot_id, "timestamp": when(s.timestamp), "wallet": s.wallet,
        "asset": s.asset, "symbol": s.symbol, "quantity": qty(s.quantity),
        "usd": money(s.usd), "gain_usd": money(s.gain_usd), "tx_hash": s.tx_hash,
        "detail": s.detail,
    } for s in steps]


def spam_rows(rows: Iterable[SpamRow]) -> list[Row]:
    """`marked`: true (you said spam), false (you said not spam), null (the score decides)."""
    return [{
        "asset": r.asset, "symbol": r.symbol, "score": r.score, "is_spam": r.is_spam,
        "marked": r.marked, "reasons": "; ".join(r.reasons),
    } for r in rows]
