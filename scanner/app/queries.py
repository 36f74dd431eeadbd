"""The reports' questions, asked of the read model: the ledger, the lots, gains, income,
missing prices, year-end balances, lineage; and what needs review."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from chains.errors import UserInputError
from chains.registry import asset_names
from scanner.app.readmodel import Books
from scanner.app.settings import pairing_rules
from scanner.formats.render import plural
from scanner.ledger.classify import UNEXPLAINED
from scanner.ledger.decode.protocols.bridges import PREFIX as BRIDGE
from scanner.ledger.pairing import (
    PAIRED_KINDS,
    PairingRules,
    left_unpaired,
    unpaired_arrivals,
    unpaired_bridge_departures,
)
from scanner.ledger.records import NOT_HOLDINGS, LedgerEntry, YearEndBalance
from scanner.store import Store
from scanner.tax.records import (
    Disposal,
    IncomeEvent,
    Lot,
    MissingPrice,
    TraceStep,
)


@dataclass(frozen=True)
class Review:
    """What needs a person's eyes after a scan or an import: figures that are unknown."""

    unpriced_legs: int
    spam_tokens: int
    disposals_without_lot: int
    tokens_without_decimals: int
    # arrivals from outside your accounts (unpaired transfers in): lots at fair value
    unknown_origin: tuple[LedgerEntry, ...] = ()
    # legs that left through a bridge and arrived at no account scanned: their lots left
    bridged_away: tuple[LedgerEntry, ...] = ()

    def lines(self) -> list[str]:
        out = []
        if self.unknown_origin:
            count = plural(len(self.unknown_origin), "transfer in", "transfers in")
            out.append(f"{count} of unknown origin opened lots at fair value on receipt: if "
                       "one came from an account of yours, scan or import that account so "
                       "its lots keep their dates and basis")
        bridged = sorted({e.protocol for e in self.unknown_origin
                          if e.protocol.startswith(BRIDGE)})
        if bridged:
            out.append(f"some arrived by a bridge ({', '.join(bridged)}) from a chain or "
                       "account not scanned: scan the side they left from")
        if self.bridged_away:
            count = plural(len(self.bridged_away), "transfer out", "transfers out")
            away = ", ".join(sorted({e.protocol for e in self.bridged_away}))
            out.append(f"{count} left by a bridge ({away}) and arrived at no account scanned: "
                       "their lots left the books; scan the chain or account they went to so "
                       "the lots keep their dates and basis")
        unexplained = sum(1 for e in self.unknown_origin if e.protocol == UNEXPLAINED)
        if unexplained:
            out.append(f"{plural(unexplained, 'of them', 'of them')} came in a transaction "
                       "of your own that no claim event and no open position explains (kind "
                       "transfer_in, protocol unexplained): booked as a lot at fair value, "
                       "not income; if it was a reward or an airdrop, it is income")
        if self.unpriced_legs:
            out.append(f"{plural(self.unpriced_legs, 'ledger leg has', 'ledger legs have')} "
                       "no USD value (no price): import prices; such figures show as "
                       "unknown, never zero")
        if self.disposals_without_lot:
            out.append(f"{plural(self.disposals_without_lot, 'disposal draws', 'disposals draw')}"
                       " on no lot (unknown basis): an earlier acquisition is missing from the "
                       "ledger")
        if self.tokens_without_decimals:
            out.append(f"{plural(self.tokens_without_decimals, 'token answers', 'tokens answer')}"
                       " no decimals(): the amounts are in base units")
        if self.spam_tokens:
            out.append(f"{plural(self.spam_tokens, 'spam token is', 'spam tokens are')} kept "
                       "out of every figure (the spam table says why)")
        return out


def review(store: Store, legs: Sequence[LedgerEntry] | None = None) -> Review:
    """What needs review; `legs` (paired, as the read model holds them) spares a command
    that has them a second read of the ledger; without them (a command that wrote), the
    transfers alone are read (pairing reads nothing else) and those left unpaired looked at
    and kept, unless those kept were found among the same transfers."""
    if legs is None:
        rules = pairing_rules(store)
        key = _unpaired_key(store.pairing_keys()[1], rules)
        legs = store.kept_unpaired(key)
        if legs is None:
            legs = left_unpaired(store.transfer_legs(), rules)
            store.keep_unpaired(key, legs)
    return Review(*store.review_counts(), unknown_origin=tuple(unpaired_arrivals(legs)),
                  bridged_away=tuple(unpaired_bridge_departures(legs)))


def carry_unpaired(store: Store, moment: datetime, legs: Sequence[LedgerEntry]) -> None:
    """After `legs` (every leg at or after `moment`) joined the ledger, none of which may
    pair with a leg before it: the review's unpaired legs kept for the transfers before
    `moment`, if so kept, with those the new legs leave unpaired among themselves."""
    rules = pairing_rules(store)
    before, now = (_unpaired_key(key, rules) for key in store.pairing_keys(moment))
    kept = store.kept_unpaired(before)
    if kept is not None:
        new = left_unpaired([leg for leg in legs if leg.kind in PAIRED_KINDS], rules)
        store.keep_unpaired(now, [*kept, *new])


def _unpaired_key(transfers: str, rules: PairingRules) -> str:
    """What the legs pairing leaves unpaired depend on: the transfers (their fingerprint),
    the rules, and which assets are one coin."""
    names = hashlib.sha256(repr(sorted(asset_names().items())).encode()).hexdigest()
    return f"{transfers}|{rules!r}|{names}"


def ledger(books: Books, year: int | None = None, wallet: str | None = None,
           chain_id: int | None = None) -> list[LedgerEntry]:
    return [e for e in books.entries
            if (year is None or books.policy.jurisdiction.in_tax_year(e.timestamp, year))
            and (wallet is None or e.wallet == wallet)
            and (chain_id is None or e.chain_id == chain_id)]


def gains(books: Books, year: int) -> list[Disposal]:
    return [d for d in books.lots.disposals
            if books.policy.jurisdiction.in_tax_year(d.disposed, year)]


def income(books: Books, year: int) -> list[IncomeEvent]:
    return [i for i in books.lots.income
            if books.policy.jurisdiction.in_tax_year(i.timestamp, year)]


def missing_prices(books: Books) -> list[MissingPrice]:
    """Every asset with legs, disposals, lots or income that lack a USD figure a price
    would give: a leg its trade's other leg or its file valued has one, and a disposal that
    no lot covered lacks an acquisition, not a price (the review counts it)."""
    entries = books.entries
    book = books.lots
    zero = Decimal(0)
    legs: dict[str, list[LedgerEntry]] = {}
    for entry in entries:
        if entry.kind not in NOT_HOLDINGS and entry.usd_value is None:
            legs.setdefault(entry.asset, []).append(entry)
    sums: dict[str, dict[str, Decimal]] = {}

    def add(asset: str, field: str, quantity: Decimal) -> None:
        sums.setdefault(asset, {}).setdefault(field, zero)
        sums[asset][field] += quantity

    for d in book.disposals:
        if d.proceeds_usd is None:
            add(d.asset, "proceeds", d.quantity)
        if d.cost_basis_usd is None and d.lot_id is not None:  # no lot: no price fixes it
            add(d.asset, "basis", d.quantity)
    for lot in book.open_lots:
        if lot.cost_basis_usd is None:
            add(lot.asset, "held", lot.quantity)
    for event in book.income:
        if event.usd_value is None:
            add(event.asset, "income", event.quantity)
    symbols = {e.asset: e.symbol for e in entries}
    stamps: dict[str, list[datetime]] = {}
    for entry in entries:
        stamps.setdefault(entry.asset, []).append(entry.timestamp)
    rows = []
    for asset in sorted(set(legs) | set(sums)):
        found = sums.get(asset, {})
        times = [e.timestamp for e in legs.get(asset, [])] or stamps.get(asset, [])
        rows.append(MissingPrice(asset, symbols.get(asset), len(legs.get(asset, [])),
                                 min(times), max(times), found.get("proceeds", zero),
                                 found.get("basis", zero), found.get("held", zero),
                                 found.get("income", zero)))
    return rows


def year_end_balances(books: Books, year: int) -> list[YearEndBalance]:
    """What each wallet held of each asset at the last second of the tax year (spam left
    out), at that moment's USD price. Legs may give an asset in different decimal places
    (an imported file's rows): quantities are summed, not base units."""
    moment = books.policy.jurisdiction.tax_year_end(year)
    held: dict[tuple[int, str, str], tuple[Decimal, str | None]] = {}
    for e in books.entries:
        if e.timestamp > moment or e.kind in NOT_HOLDINGS:
            continue
        quantity, _ = held.get((e.chain_id, e.wallet, e.asset), (Decimal(0), e.symbol))
        held[(e.chain_id, e.wallet, e.asset)] = (quantity + e.quantity, e.symbol)
    rows = []
    for (chain_id, wallet, asset), (quantity, symbol) in sorted(held.items()):
        if quantity == 0:
            continue
        quote = books.prices.at(asset, moment)
        rows.append(YearEndBalance(moment, chain_id, wallet, asset, symbol, quantity,
                                   quote.usd if quote else None,
                                   quote.source if quote else None))
    return rows


def open_lots(books: Books, as_of: datetime | None = None,
              wallet: str | None = None) -> list[Lot]:
    return [lot for lot in books.lots_until(as_of).open_lots
            if wallet is None or lot.wallet == wallet]


def trace(books: Books, ident: str) -> list[TraceStep]:
    """The lineage behind a lot id, or behind every disposal of a transaction hash: each
    lot's acquisition leg (its transaction and price source), the disposals that drew on
    it, and what is still open."""
    book = books.lots
    wanted = ident.strip().lower()
    lot_ids = ([d.lot_id for d in book.disposals if d.tx_hash == wanted and d.lot_id]
               if ":" not in wanted else [wanted])
    known = any(d.tx_hash == wanted for d in book.disposals) or \
        any(lot.lot_id == wanted for lot in book.acquisitions)
    if not known:
        raise UserInputError(f"no lot and no disposal is known by {ident!r} "
                             "(a lot id from `taxscan lots`, or a transaction hash)")
    legs = {(e.tx_hash, e.leg_key, e.wallet): e for e in books.valued}
    steps: list[TraceStep] = []
    for lot_id in dict.fromkeys(lot_ids):
        first = next((lot for lot in book.acquisitions if lot.lot_id == lot_id), None)
        if first is None:
            continue
        leg = legs.get((first.origin_tx, first.origin_leg, first.wallet))
        source = leg.price_source if leg else None
        steps.append(TraceStep("acquired", lot_id, first.acquired, first.wallet, first.asset,
                               first.symbol, first.quantity, first.cost_basis_usd, None,
                               first.origin_tx, f"{first.origin_leg} {first.origin_kind.value}"
                               f", priced by {source or 'nothing (unknown)'}"))
        for d in book.disposals:
            if d.lot_id == lot_id:
                steps.append(TraceStep("disposed", lot_id, d.disposed, d.wallet, d.asset,
                                       d.symbol, d.quantity, d.proceeds_usd, d.gain_usd,
                                       d.tx_hash, f"{d.kind.value}, "
                                       f"{d.term.value if d.term else '?'}-term"))
        for lot in book.open_lots:
            if lot.lot_id == lot_id:
                steps.append(TraceStep("open", lot_id, lot.acquired, lot.wallet, lot.asset,
                                       lot.symbol, lot.quantity, lot.cost_basis_usd, None,
                                       lot.origin_tx, "still held"))
    for d in book.disposals:
        if d.tx_hash == wanted and d.lot_id is None:
            steps.append(TraceStep("disposed", None, d.disposed, d.wallet, d.asset, d.symbol,
                                   d.quantity, d.proceeds_usd, None, d.tx_hash,
                                   "no lot covered it: basis unknown"))
    return steps
