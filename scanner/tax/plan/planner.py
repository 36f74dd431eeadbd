"""A plan from its setting: the sales that save the most net of gas (or meet a loss target,
or bring the portfolio to its target weights with the least tax), listed with what each adds
to the saving of those above it, what to buy back, and when waiting pays.

The saving is the tax before the sales less the tax after them, both figured by the law
(`law.Law.year_tax`) from the year's realized gains, the sales' gains and the loss carried
in: never a flat rate times the loss. A sale's gas is taken off its saving.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from functools import cached_property

from scanner.tax.netting import Carryover
from scanner.tax.plan import rebalance, scenarios
from scanner.tax.plan.candidates import Group, groups_of
from scanner.tax.plan.law import Law
from scanner.tax.plan.optimizer import Chooser, Figures, Tally, cut, plus
from scanner.tax.plan.records import (
    Candidate,
    Move,
    Plan,
    Sale,
    Scenario,
    Summary,
    Timing,
    Totals,
)
from scanner.tax.plan.timing import Year, timing
from scanner.tax.records import Lot, Term

ZERO = Decimal(0)
NOW = "now"
REBALANCE = "none (rebalance)"


@dataclass(frozen=True)
class Setting:
    """What a plan is made from."""

    law: Law
    method: str  # the cost-basis method in force: the order a sale draws on lots
    year: int
    year_name: str
    currency: str
    zone: tzinfo  # where the law counts its dates
    deadline: datetime  # the last second of the tax year, UTC
    last_day: date  # its date where the law counts dates
    sale_day: date  # the plan's date there: the sales are made that day
    realized: Totals  # the year's gains up to the plan's date
    carried: Carryover  # the loss carried into the year
    found: tuple[Candidate, ...]  # every open lot valued, with a known basis
    gas: Mapping[int, Decimal]  # per chain: a sale's gas, in cents
    identity: Callable[[str], str]  # an asset -> its group of identical assets
    targets: Mapping[str, Decimal] = field(default_factory=dict)
    holdings: tuple[tuple[str, Decimal], ...] = ()  # asset and value of every lot valued
    recent: tuple[Lot, ...] = ()  # what was bought in the 30 days up to the plan's date
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Asked:
    target_loss: Decimal | None = None
    offset_gains: bool = False
    split: bool = False  # a lot may be sold in part
    least: Decimal = Decimal(1)  # the net saving below which a sale is not proposed
    scenario: str | None = None


@dataclass
class _Work:
    """One plan being made: the setting, the lots it may sell, its targets."""

    setting: Setting
    asked: Asked
    sellable: list[Candidate]
    moves: list[Move]
    target: Callable[[str], str | None]
    loss_target: Decimal | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def law(self) -> Law:
        return self.setting.law

    def tax(self, chosen: Sequence[Candidate], exact: bool = False) -> Decimal:
        planned = sum((c.totals() for c in chosen), Totals())
        return self.year_tax(planned, exact)

    def year_tax(self, planned: Totals, exact: bool = False) -> Decimal:
        s = self.setting
        year = self.law.year_tax(s.year, s.realized + planned, s.carried)
        return year.exact if exact else year.tax

    def gas(self, chosen: Sequence[Candidate]) -> Decimal:
        chains = {c.group: c.chain_id for c in chosen}
        return sum((self.setting.gas.get(chain, ZERO) for chain in chains.values()), ZERO)

    def shortfall(self, chosen: Sequence[Candidate]) -> Decimal:
        return self.short_of(self.tally(chosen))

    def figures(self) -> Figures:
        return Figures(self.tally([]), self.lot_tally, self.sale_tally, self.value_of,
                       self.short_of)

    def tally(self, chosen: Sequence[Candidate]) -> Tally:
        """The chosen lots' short, long and free gains, gas, gain, and proceeds of each
        target that must be sold down."""
        total = (ZERO,) * (len(self.selling) + 5)
        for group in {c.group: c for c in chosen}.values():
            total = plus(total, self.sale_tally(group))
        for c in chosen:
            total = plus(total, self.lot_tally(c))
        return total

    @cached_property
    def selling(self) -> tuple[str, ...]:
        return tuple(m.key for m in self.moves if m.sell > 0)

    @cached_property
    def untaxed(self) -> Decimal:
        """The year's tax without the plan's sales."""
        return self.year_tax(Totals())

    def lot_tally(self, c: Candidate) -> Tally:
        totals, key = c.totals(), self.target(c.lot.asset)
        return (totals.short, totals.long, totals.free, ZERO, c.gain,
                *(c.proceeds if key == k else ZERO for k in self.selling))

    def sale_tally(self, c: Candidate) -> Tally:
        return (ZERO, ZERO, ZERO, self.setting.gas.get(c.chain_id, ZERO), ZERO,
                *(ZERO for _ in self.selling))

    def value_of(self, tally: Tally) -> Decimal:
        return self.untaxed - self.year_tax(Totals(*tally[:3])) - tally[3]

    def short_of(self, tally: Tally) -> Decimal:
        short = rebalance.shortfall(self.moves, dict(zip(self.selling, tally[5:], strict=True)))
        if self.loss_target is not None:
            short += max(ZERO, self.loss_target + tally[4])  # the gain: less the loss
        return short


def make(setting: Setting, asked: Asked) -> Plan:
    """The plan; under a scenario, remade under its rule, with what it would lose."""
    if asked.scenario is None:
        return _plan(setting, asked)
    under_law = _plan(setting, replace(asked, scenario=None))
    plan = _plan(setting, asked)
    work = _work(setting, asked)
    rebought = scenarios.rebought([
        (scenarios.tainted(s.candidate, setting.recent, setting.identity),
         s.rebuy == NOW) for s in under_law.sales])
    kept = work.tax([]) - work.tax(rebought) - under_law.summary.gas
    return replace(plan, scenario=Scenario(asked.scenario, under_law.summary.net_saved, kept,
                                           plan.summary.net_saved))


def _work(setting: Setting, asked: Asked) -> _Work:
    law, notes = setting.law, []
    sellable = list(setting.found)
    if law.drops_flagged:
        dropped = [c for c in sellable if c.flagged and c.gain < 0]
        sellable = [c for c in sellable if c not in dropped]
        if dropped:
            notes.append(f"{len(dropped)} lot(s) at a loss not proposed: {law.rule} would "
                         "match a buy of the same asset to their sale")
    if asked.scenario is not None:
        sellable = [scenarios.tainted(c, setting.recent, setting.identity) for c in sellable]
    target = rebalance.target_of(setting.targets, setting.identity)
    moves = rebalance.moves(setting.targets, setting.holdings, target) \
        if setting.targets else []
    capped = []
    for move in moves:
        most = sum((c.proceeds for c in sellable if target(c.lot.asset) == move.key), ZERO)
        if move.sell > most:
            notes.append(f"{move.key}: only {most:,.2f} {setting.currency} of it can be sold "
                         "(lots without a price or basis are left out)")
        capped.append(replace(move, sell=min(move.sell, most)))
    work = _Work(setting, asked, sellable, capped, target, notes=notes)
    if asked.target_loss is not None or asked.offset_gains:
        work.loss_target = _loss_target(work, groups_of(sellable, setting.method))
    return work


def _loss_target(work: _Work, groups: Sequence[Group]) -> Decimal:
    s, asked = work.setting, work.asked
    if asked.target_loss is not None:
        wanted = asked.target_loss
    else:
        wanted = max(ZERO, work.law.year_tax(s.year, s.realized, s.carried).net)
    most = ZERO  # the most loss the sales can realize, each sale on its own
    for group in groups:
        gains = [work.sellable[n].gain for n in group.members]
        if group.any_subset:
            most -= sum((g for g in gains if g < 0), ZERO)
        else:
            most = most - min((sum(gains[:k], ZERO) for k in range(len(gains) + 1)),
                              default=ZERO)
    if wanted > most:
        work.notes.append(f"the lots can realize at most {most:,.2f} {s.currency} of loss "
                          f"against the {wanted:,.2f} asked: the plan realizes that")
    return min(wanted, most)


def _plan(setting: Setting, asked: Asked) -> Plan:
    work = _work(setting, asked)
    groups = groups_of(work.sellable, setting.method)
    chooser = Chooser(work.sellable, groups, work.figures(), asked.least)
    choice = chooser.choose()
    chosen = [(n, work.sellable[n]) for n in sorted(choice)]
    if asked.split and choice:
        whole = [c for _, c in chosen]
        whole_tax = work.tax(whole, exact=True) + work.gas(whole)

        def keeps(part: Sequence[Candidate]) -> bool:
            return not work.shortfall(part) and (
                work.loss_target is not None
                or work.tax(part, exact=True) + work.gas(part) <= whole_tax)

        parts = cut(work.sellable, groups, choice, keeps)
        chosen = list(zip((n for n, _ in chosen), parts, strict=True))
    sales = _listed(work, groups, chosen)
    before = setting.law.year_tax(setting.year, setting.realized, setting.carried)
    planned = sum((s.candidate.totals() for s in sales), Totals())
    after = setting.law.year_tax(setting.year, setting.realized + planned, setting.carried)
    summary = Summary(setting.year, setting.currency, setting.realized, planned, after.net,
                      after.ordinary_offset, after.carryover_out.short + after.carryover_out.long,
                      before.tax, after.tax, sum((s.gas for s in sales), ZERO))
    plan_year = Year(setting.year, setting.realized, setting.carried, setting.last_day)
    timed = timing(setting.law, plan_year, setting.found)
    sold = rebalance.sold(work.moves, [s.candidate for s in sales], work.target)
    moves = tuple(replace(m, sold=sold.get(m.key, ZERO)) for m in work.moves)
    return Plan(setting.year, setting.year_name, setting.deadline, setting.zone,
                setting.law.terms, summary, tuple(sales), tuple(timed), setting.found,
                moves, None, (*setting.notes, *work.notes),
                _waiting(sales, timed, setting.last_day))


def _listed(work: _Work, groups: Sequence[Group], chosen: list[tuple[int, Candidate]]
            ) -> list[Sale]:
    """The sales in the order they save most, a sale's lots in its method's order, each
    with what it adds to the saving of those above it; a sale's gas on its first row."""
    order = {n: (g, k) for g, group in enumerate(groups) for k, n in enumerate(group.members)}
    left = dict(chosen)
    queued: dict[int, deque[int]] = {}  # per sale, its lots left in the method's order
    for n in sorted(left, key=lambda m: order[m]):
        queued.setdefault(order[n][0], deque()).append(n)
    listed = Totals()
    tax = work.year_tax(listed)
    sales: list[Sale] = []
    seen: set[int] = set()
    sold = dict.fromkeys((m.key for m in work.moves if m.sell > 0), ZERO)
    while left:
        after = {m: work.year_tax(listed + left[m].totals()) for g, lots in queued.items()
                 for m in (lots if groups[g].any_subset else (lots[0],))}
        n = max(after, key=lambda m: (tax - after[m], -order[m][0], -order[m][1]))
        c = left.pop(n)
        saved, tax = tax - after[n], after[n]
        listed = listed + c.totals()
        g = order[n][0]
        queued[g].remove(n)
        if not queued[g]:
            del queued[g]
        gas = ZERO if g in seen else work.setting.gas.get(c.chain_id, ZERO)
        seen.add(g)
        rebuy = _rebuy(work, c, sold)
        risk = c.gain < 0 and (c.flagged or (rebuy == NOW and work.law.rebuy_risk
                                             and work.asked.scenario is None))
        sales.append(Sale(c, gas, saved, risk, rebuy))
    return sales


def _rebuy(work: _Work, c: Candidate, sold: dict[str, Decimal]) -> str:
    key = work.target(c.lot.asset)
    if key in sold:
        need = next(m.sell for m in work.moves if m.key == key)
        if sold[key] < need:
            sold[key] += c.proceeds
            return REBALANCE
    if c.gain >= 0:
        return NOW
    days = scenarios.RULE_DAYS if work.asked.scenario is not None else work.law.rebuy_days
    if days is None:
        return NOW
    return f"from {(work.setting.sale_day + timedelta(days=days + 1)).isoformat()}"


def _waiting(sales: Sequence[Sale], timed: Sequence[Timing], last_day: date
             ) -> dict[tuple[str, str], Decimal]:
    """The lots sold at a short-term gain that turn long-term before the year ends, and
    what selling them from then would save more (at the same price)."""
    more = {}
    by_lot = {lot_key(t.candidate): t for t in timed if t.long_term_on <= last_day}
    for s in sales:
        t = by_lot.get(lot_key(s.candidate))
        if t is None or t.saving_after is None or s.candidate.gain <= 0:
            continue
        if s.candidate.term is Term.SHORT and t.saving_after > t.saving_now:
            more[lot_key(s.candidate)] = t.saving_after - t.saving_now
    return more


def lot_key(candidate: Candidate) -> tuple[str, str]:
    """A lot's key: parts of one universal lot given to several wallets share its id."""
    return candidate.lot.wallet, candidate.lot.lot_id
