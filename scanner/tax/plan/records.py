"""What a plan is made of: a year's gains by holding period, the tax they add, the lots that
may be sold, the sales proposed, when waiting pays, and the plan itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, tzinfo
from decimal import ROUND_CEILING, Decimal

from scanner.money import PRICE_QUANTUM, cents
from scanner.tax.netting import Carryover
from scanner.tax.records import Lot, Term

ZERO = Decimal(0)


@dataclass(frozen=True)
class Totals:
    """A tax year's gains (a loss negative), in cents: short- and long-term where the law has
    a holding period (else all of them short), and those it leaves tax-free."""

    short: Decimal = ZERO
    long: Decimal = ZERO
    free: Decimal = ZERO  # Germany: sold after more than a year

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.short + other.short, self.long + other.long, self.free + other.free)

    @property
    def taxable(self) -> Decimal:
        return self.short + self.long


@dataclass(frozen=True)
class YearTax:
    """What a year's gains come to under the law."""

    net: Decimal  # netted with each other and with the loss carried in
    ordinary_offset: Decimal  # the net loss deducted from other income (US: Schedule D line 21)
    carryover_out: Carryover  # the loss carried into the next year
    tax: Decimal  # in cents: what the gains add to the year's tax (negative: a loss lowers it)
    exact: Decimal = ZERO  # the same, unrounded


@dataclass(frozen=True)
class Candidate:
    """An open lot valued at the plan's date, as a sale of it (or of part of it) now would
    realize it."""

    lot: Lot
    group: tuple[str, str]  # (wallet, asset) one sale draws on; wallet "" across wallets
    chain_id: int
    unit: Decimal  # the price of one unit at the plan's date, in the lots' currency
    quantity: Decimal  # what is sold: the whole lot unless split
    proceeds: Decimal  # cents, at that price
    basis: Decimal  # cents
    term: Term | None  # at the plan's date; None: the law has no holding period
    free: bool  # the law leaves its gain or loss untaxed (Germany: held over a year)
    flagged: bool  # the jurisdiction's repurchase rule flags a loss sale of it now
    disallowed: Decimal = ZERO  # cents: a loss a rule would deny (the wash-sale scenario)

    @property
    def gain(self) -> Decimal:
        """The gain as it counts: proceeds less basis, plus any loss a rule denies."""
        return self.proceeds - self.basis + self.disallowed

    @property
    def whole(self) -> bool:
        return self.quantity == self.lot.quantity

    def totals(self) -> Totals:
        """Its gain as the year's totals count it."""
        if self.free:
            return Totals(free=self.gain)
        return Totals(long=self.gain) if self.term is Term.LONG else Totals(short=self.gain)

    def part(self, fraction: Decimal) -> Candidate:
        """A sale of `fraction` of the lot, its quantity rounded up to 1e-18."""
        return self.sized((self.lot.quantity * fraction).quantize(PRICE_QUANTUM,
                                                                   rounding=ROUND_CEILING))

    def sized(self, quantity: Decimal) -> Candidate:
        """A sale of `quantity` of the lot (at most all of it): the proceeds at the unit
        price and the basis pro rata, each in cents."""
        lot = self.lot
        quantity = min(lot.quantity, quantity)
        basis = lot.cost_basis_usd or ZERO
        return replace(self, quantity=quantity, proceeds=cents(quantity * self.unit),
                       basis=cents(basis * quantity / lot.quantity),
                       disallowed=cents(self.disallowed * quantity / self.quantity))


@dataclass(frozen=True)
class Sale:
    """A sale the plan proposes, with what it adds to the saving of those listed above it."""

    candidate: Candidate
    gas: Decimal  # cents: the sale's gas estimate (on the first row of a sale)
    tax_saved: Decimal  # cents
    wash_sale_risk: bool
    rebuy: str  # "now", "from YYYY-MM-DD", "none (rebalance)", or "" for a gain sold


@dataclass(frozen=True)
class Timing:
    """An open lot that is short-term now: when it turns long-term, and what selling it
    alone saves now and from then (None: that year cannot be priced)."""

    candidate: Candidate
    long_term_on: date
    saving_now: Decimal
    saving_after: Decimal | None


@dataclass(frozen=True)
class Move:
    """A target of the portfolio: its weight, value now, and what to sell or buy toward it."""

    key: str  # an asset id or a group of identical assets (ETH)
    weight: Decimal
    value: Decimal  # cents, now
    target: Decimal  # cents: the weight of the targeted assets' value
    sell: Decimal  # cents: what the plan must sell to come down to the target
    buy: Decimal  # cents: what to buy to come up to it
    sold: Decimal = ZERO  # cents: what the plan sells


@dataclass(frozen=True)
class Summary:
    tax_year: int
    currency: str
    realized: Totals
    planned: Totals
    net_after_netting: Decimal
    ordinary_offset: Decimal
    carryover_out: Decimal
    tax_before: Decimal
    tax_after: Decimal
    gas: Decimal

    @property
    def tax_saved(self) -> Decimal:
        return self.tax_before - self.tax_after

    @property
    def net_saved(self) -> Decimal:
        return self.tax_saved - self.gas


@dataclass(frozen=True)
class Scenario:
    """The plan under a rule the law does not have (today): what it loses and the plan
    remade under it."""

    name: str
    law_net_saved: Decimal  # the plan under the law in force
    rebought_net_saved: Decimal  # the same sales, rebought as that plan says, under the rule
    net_saved: Decimal  # the plan remade under the rule

    @property
    def lost(self) -> Decimal:
        return self.law_net_saved - self.rebought_net_saved


@dataclass(frozen=True)
class Plan:
    year: int
    year_name: str
    deadline: datetime  # the last second of the tax year, UTC
    zone: tzinfo  # where the law counts its dates
    terms: bool  # whether the law has a holding period
    summary: Summary
    sales: tuple[Sale, ...]
    timing: tuple[Timing, ...]
    lots: tuple[Candidate, ...]  # every open lot valued: its unrealized gain or loss
    moves: tuple[Move, ...] = ()
    scenario: Scenario | None = None
    notes: tuple[str, ...] = ()
    # (wallet, lot id) -> what selling it on its long-term date, before the deadline,
    # saves more
    waiting: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)
