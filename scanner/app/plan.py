"""`taxscan plan`: what to sell before the tax year ends, and what it saves. The books read
once give the plan its setting: the year's realized gains and the loss carried into it, the
open lots valued at the plan's date, the gas a sale costs on each chain, the targets of the
portfolio; `scanner.tax.plan` makes the plan."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from chains.errors import UserInputError
from scanner.app.harvest import harvestable
from scanner.app.readmodel import Books
from scanner.app.summary import first_year
from scanner.app.targets import targets_of
from scanner.formats.html_plan import PlanPart
from scanner.formats.rows import harvest_rows
from scanner.ledger.records import Kind
from scanner.money import cents
from scanner.store import Store
from scanner.tax.harvest import Rates
from scanner.tax.jurisdictions.base import within
from scanner.tax.plan.candidates import candidates_of
from scanner.tax.plan.law import law_of
from scanner.tax.plan.planner import Asked, Setting, make
from scanner.tax.plan.records import Plan, Totals
from scanner.tax.plan.scenarios import RULE_DAYS
from scanner.tax.scope import Scope
from scanner.tax.taxpayer import Taxpayer

DEFAULT = Asked()  # the best plan, whole lots
RECENT_TRADES = 10  # a chain's gas per sale: the mean of its last this many trades' gas
ZERO = Decimal(0)


def recent_gas(books: Books, as_of: datetime) -> dict[int, Decimal]:
    """Per chain, the mean gas of the last RECENT_TRADES trades up to `as_of`, in the
    reporting currency, in cents: what a sale may cost there."""
    trades = {e.group_id for e in books.valued if e.kind is Kind.TRADE and e.timestamp <= as_of}
    fees: dict[int, list[tuple[datetime, Decimal]]] = {}
    for e in books.valued:
        if e.kind is Kind.FEE and e.group_id in trades and e.usd_value is not None \
                and e.timestamp <= as_of:
            fees.setdefault(e.chain_id, []).append((e.timestamp, e.usd_value))
    gas = {}
    for chain, paid in fees.items():
        last = [value for _, value in sorted(paid, key=lambda p: p[0])[-RECENT_TRADES:]]
        gas[chain] = cents(sum(last, ZERO) / len(last))
    return gas


def make_plan(books: Books, taxpayer: Taxpayer, as_of: datetime, asked: Asked = DEFAULT,
              rates: Rates | None = None, targets: Mapping[str, Decimal] | None = None
              ) -> Plan:
    """The plan of the tax year `as_of` falls in, its sales made at `as_of`'s prices."""
    jurisdiction = books.policy.jurisdiction
    law = law_of(jurisdiction, taxpayer, rates)
    year = jurisdiction.tax_year_of(as_of)
    book = books.lots_until(as_of)
    years, unknown = law.totals(book.disposals)
    first = first_year(books)
    carried = law.carried_into(years, year if first is None else first, year)
    per_wallet = books.policy.effective_scopes.of(year) is Scope.PER_WALLET
    rows = harvestable(books, as_of, losses_only=False)
    found, unpriced = candidates_of(rows, law, per_wallet)
    gas = recent_gas(books, as_of)
    notes = list(books.notes(as_of))
    if unknown:
        notes.append(f"{unknown} disposal(s) have an unknown gain (no price or no lot): the "
                     "year's figures and the loss carried leave them out")
    if unpriced:
        notes.append(f"{unpriced} open lot(s) have no price, rate or basis at the plan's "
                     "date: they are not planned")
    ungassed = sorted({c.chain_id for c in found if c.chain_id and c.chain_id not in gas})
    if ungassed:
        notes.append("no trade with gas before the plan's date on chain(s) "
                     f"{', '.join(map(str, ungassed))}: their sales' gas is taken as 0")
    if law.source(year):
        notes.append(law.source(year))
    deadline = jurisdiction.tax_year_end(year)
    setting = Setting(
        law=law, method=books.policy.method, year=year, year_name=books.year_name(year),
        currency=books.currency, zone=jurisdiction.zone, deadline=deadline,
        last_day=jurisdiction.local_date(deadline), sale_day=jurisdiction.local_date(as_of),
        realized=years.get(year, Totals()), carried=carried, found=tuple(found), gas=gas,
        identity=books.identity, targets=dict(targets or {}),
        holdings=tuple((r.lot.asset, cents(r.value_usd)) for r in rows
                       if r.value_usd is not None),
        recent=tuple(within(jurisdiction, book.acquisitions, as_of, RULE_DAYS)),
        notes=tuple(notes))
    return make(setting, asked)


def report_plan(books: Books, taxpayer: Taxpayer, as_of: datetime,
                targets: Mapping[str, Decimal] | None = None) -> Plan | str:
    """The plan for the HTML report, or why there is none (the profile it needs)."""
    try:
        return make_plan(books, taxpayer, as_of, targets=targets)
    except UserInputError as exc:
        return str(exc)


def plan_part(store: Store, books: Books, as_of: datetime, taxpayer: Taxpayer,
              year: int | None) -> PlanPart:
    """The HTML report's plan section: every open lot at `as_of`, and the plan of its tax
    year while that year is still open (else why there is none)."""
    lots = harvest_rows(harvestable(books, as_of, losses_only=False))
    jurisdiction = books.policy.jurisdiction
    if year is not None and as_of >= jurisdiction.tax_year_end(year):
        return PlanPart(lots, None, f"The tax year {books.year_name(year)} has ended: no plan.")
    found = report_plan(books, taxpayer, as_of, targets_of(store))
    return PlanPart(lots, None, f"No plan: {found}.") if isinstance(found, str) \
        else PlanPart(lots, found)
