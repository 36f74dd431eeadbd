"""The choice of lots: the sales that save the most net of gas and meet the plan's targets.

A choice is a set of candidates; a sale is one group's part of it (its first lots in the
method's order, or under specific identification any of them). `value` is the net saving of
selling a choice, `shortfall` how far it falls short of the targets (0: it meets them). A
sale (or a lot of a sale that can leave it out) whose own net saving, what the choice loses
without it, is below `least` is dropped, unless the targets need it.

Few enough choices (`EXHAUSTIVE` or fewer) are all tried: the best is exact. More are
searched: from nothing, the sale that brings the targets closest (the best saving first)
until they are met, then the best change of one sale's lots while one improves the saving.
Ties go to fewer sales, then fewer lots, then the least loss used up.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from decimal import ROUND_CEILING, Decimal

from scanner.tax.plan.candidates import Group
from scanner.tax.plan.records import Candidate

Choice = frozenset[int]
Figure = Callable[[Sequence[Candidate]], Decimal]
EXHAUSTIVE = 1024  # choices tried one by one at most
HALVINGS = 64  # steps of the search for the smallest part of a lot that keeps the plan
ZERO = Decimal(0)
CENT = Decimal("0.01")


class Chooser:
    def __init__(self, found: Sequence[Candidate], groups: Sequence[Group], value: Figure,
                 shortfall: Figure, least: Decimal) -> None:
        self.found = found
        self.groups = groups
        self._value = value
        self._shortfall = shortfall
        self.least = least
        self._values: dict[Choice, Decimal] = {}
        self._shorts: dict[Choice, Decimal] = {}

    def value(self, choice: Choice) -> Decimal:
        if choice not in self._values:
            self._values[choice] = self._value([self.found[n] for n in sorted(choice)])
        return self._values[choice]

    def short(self, choice: Choice) -> Decimal:
        if choice not in self._shorts:
            self._shorts[choice] = self._shortfall([self.found[n] for n in sorted(choice)])
        return self._shorts[choice]

    def options(self, group: Group) -> list[Choice]:
        """Every part of one sale, nothing first."""
        if group.any_subset:
            return [frozenset(c) for k in range(len(group.members) + 1)
                    for c in itertools.combinations(group.members, k)]
        return [frozenset(group.members[:k]) for k in range(len(group.members) + 1)]

    def count(self) -> int:
        total = 1
        for group in self.groups:
            total *= 2 ** len(group.members) if group.any_subset else len(group.members) + 1
            if total > EXHAUSTIVE:
                break
        return total

    def choose(self) -> Choice:
        chosen = self._every() if self.count() <= EXHAUSTIVE else self._search()
        return self._pruned(chosen)

    def sales(self, choice: Choice) -> Iterator[Choice]:
        for group in self.groups:
            part = choice.intersection(group.members)
            if part:
                yield part

    def _rank(self, choice: Choice) -> tuple[Decimal, int, int, Decimal, tuple[int, ...]]:
        """Better first: more saved, fewer sales, fewer lots, less loss used up."""
        return (self.value(choice), -sum(1 for _ in self.sales(choice)), -len(choice),
                sum((self.found[n].gain for n in choice), ZERO),
                tuple(-n for n in sorted(choice)))

    def parts(self, choice: Choice) -> Iterator[Choice]:
        """What the choice could do without: each sale, and each lot a sale can leave out
        (the last one in the method's order; any under specific identification)."""
        for group in self.groups:
            part = choice.intersection(group.members)
            if not part:
                continue
            yield part
            if len(part) > 1:
                ends = part if group.any_subset else [max(part, key=group.members.index)]
                yield from (frozenset({n}) for n in sorted(ends))

    def _kept(self, choice: Choice) -> bool:
        """Whether every sale and lot of the choice saves at least `least`, or is needed."""
        for part in self.parts(choice):
            rest = choice - part
            if not self.short(rest) and self.value(choice) - self.value(rest) < self.least:
                return False
        return True

    def _every(self) -> Choice:
        best: Choice | None = None
        for parts in itertools.product(*(self.options(g) for g in self.groups)):
            choice = frozenset().union(*parts)
            if self.short(choice) or (best is not None and
                                      self._rank(choice) <= self._rank(best)):
                continue
            if self._kept(choice):
                best = choice
        return best if best is not None else self._closest()

    def _closest(self) -> Choice:
        """No choice meets the targets: the one that comes closest (then saves most)."""
        every = [frozenset().union(*parts)
                 for parts in itertools.product(*(self.options(g) for g in self.groups))]
        return min(every, key=lambda c: (self.short(c), [-x for x in self._rank(c)[:3]]))

    def _moves(self, choice: Choice) -> Iterator[Choice]:
        """Each choice that changes one sale's lots."""
        for group in self.groups:
            part = choice.intersection(group.members)
            rest = choice - part
            if group.any_subset:
                for n in group.members:
                    yield choice ^ {n}
            else:
                for k in range(len(group.members) + 1):
                    option = frozenset(group.members[:k])
                    if option != part:
                        yield rest | option

    def _search(self) -> Choice:
        choice: Choice = frozenset()
        while self.short(choice):
            closer = [c for c in self._moves(choice) if self.short(c) < self.short(choice)]
            if not closer:
                break
            choice = max(closer, key=lambda c: (-self.short(c), self._rank(c)))
        if self.short(choice):
            return choice
        for _ in range(4 * len(self.found) + 1):
            better = [c for c in self._moves(choice) if not self.short(c)
                      and self.value(c) - self.value(choice) >= CENT]
            if not better:
                break
            choice = max(better, key=self._rank)
        return choice

    def _pruned(self, choice: Choice) -> Choice:
        """Drop, the least useful first, each sale or lot that saves less than `least` and
        that the targets do not need."""
        while True:
            weak = [(self.value(choice) - self.value(choice - part), sorted(part), part)
                    for part in self.parts(choice)
                    if not self.short(choice - part)
                    and self.value(choice) - self.value(choice - part) < self.least]
            if not weak:
                return choice
            choice = choice - min(weak, key=lambda w: (w[0], w[1]))[2]


def cut(found: Sequence[Candidate], groups: Sequence[Group], choice: Choice,
        keeps: Callable[[Sequence[Candidate]], bool]) -> list[Candidate]:
    """The chosen candidates with one lot sold only in part: the smallest part for which
    the plan still `keeps` (its saving, or its targets), of the lot that leaves the most
    unsold; the last lot of a sale in the method's order, any lot under specific
    identification. The whole lots when no part will do."""
    chosen = sorted(choice)
    whole = [found[n] for n in chosen]
    cuttable = {n for g in groups for n in (
        choice.intersection(g.members) if g.any_subset
        else [m for m in g.members if m in choice][-1:])}
    best: tuple[Decimal, list[Candidate]] | None = None
    for n in sorted(cuttable):
        at = chosen.index(n)

        def with_part(fraction: Decimal, at: int = at, n: int = n) -> list[Candidate]:
            return [*whole[:at], found[n].part(fraction), *whole[at + 1:]]

        low, high = ZERO, Decimal(1)
        for _ in range(HALVINGS):
            middle = (low + high) / 2
            if keeps(with_part(middle)):
                high = middle
            else:
                low = middle
        part = _round(with_part(high), at, keeps)
        if part[at].quantity < found[n].quantity and keeps(part):
            unsold = found[n].proceeds - part[at].proceeds
            if best is None or unsold > best[0]:
                best = (unsold, part)
    return whole if best is None else best[1]


def _round(chosen: list[Candidate], at: int, keeps: Callable[[Sequence[Candidate]], bool]
           ) -> list[Candidate]:
    """The part at `at` with its quantity rounded up to the fewest decimals that keep its
    figures (to the cent) and the plan."""
    part = chosen[at]
    for places in range(19):
        quantity = part.quantity.quantize(Decimal(1).scaleb(-places), rounding=ROUND_CEILING)
        rounded = part.sized(quantity)
        if (rounded.proceeds, rounded.basis) == (part.proceeds, part.basis):
            trial = [*chosen[:at], rounded, *chosen[at + 1:]]
            if keeps(trial):
                return trial
    return chosen
