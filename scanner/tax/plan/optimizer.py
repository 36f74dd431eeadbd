"""The choice of lots: the sales that save the most net of gas and meet the plan's targets.

A choice is a set of candidates; a sale is one group's part of it (its first lots in the
method's order, or under specific identification any of them). A choice's figures add up
(`Figures`): each lot's part and each sale's own part (its gas) make its tally, `value` is
the net saving of selling it, `shortfall` how far it falls short of the targets (0: it meets
them). A sale (or a lot of a sale that can leave it out) whose own net saving, what the
choice loses without it, is below `least` is dropped, unless the targets need it.

Few enough choices (`EXHAUSTIVE` or fewer) are all tried: the best is exact. More are
searched: from nothing, the sale that brings the targets closest (the best saving first)
until they are met, then the best change of one sale's lots while one improves the saving.
Ties go to fewer sales, then fewer lots, then the least loss used up, then the lowest
candidates. A step of the search values each change from running tallies: a sale's first
lots are a prefix length, and of the prefixes with the same tally only the shortest is
valued (a longer one only sells more lots for the same figures).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from scanner.tax.plan.candidates import Group
from scanner.tax.plan.records import Candidate

Choice = frozenset[int]
Tally = tuple[Decimal, ...]
Part = int | Choice  # a sale's lots: a prefix length, or under specific identification a set
EXHAUSTIVE = 1024  # choices tried one by one at most
HALVINGS = 64  # steps of the search for the smallest part of a lot that keeps the plan
ZERO = Decimal(0)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Figures:
    """What a choice comes to: the tally of nothing, each lot's part of a tally and each
    sale's own part (from any of its lots), and the value and shortfall of a tally."""

    zero: Tally
    lot: Callable[[Candidate], Tally]
    sale: Callable[[Candidate], Tally]
    value: Callable[[Tally], Decimal]
    shortfall: Callable[[Tally], Decimal]


def plus(a: Tally, b: Tally) -> Tally:
    return tuple(x + y for x, y in zip(a, b, strict=True))


def minus(a: Tally, b: Tally) -> Tally:
    return tuple(x - y for x, y in zip(a, b, strict=True))


@dataclass(frozen=True)
class _Move:
    """A change of one sale's lots: to a prefix length, or (specific identification) of one
    candidate in or out; the sale's new tally, lots and gain; the lowest candidate it adds
    or removes, and whether it adds it (which breaks the last ties)."""

    group: int
    to: int
    tally: Tally
    lots: int
    gain: Decimal
    first: int
    adds: bool


class _Sale:
    """One group's lots as the search reads them, in the method's order: each prefix's
    tally (with the sale's own part), gain and lowest candidate."""

    def __init__(self, index: int, group: Group, found: Sequence[Candidate],
                 figures: Figures) -> None:
        self.index = index
        self.members = group.members
        self.any_subset = group.any_subset
        self.zero = figures.zero
        self.own = figures.sale(found[group.members[0]]) if group.members else figures.zero
        self.lot = {n: figures.lot(found[n]) for n in group.members}
        self.gains = {n: found[n].gain for n in group.members}
        tally, gain = self.own, ZERO
        self.prefix, self.gain = [figures.zero], [ZERO]
        for n in group.members:
            tally = plus(tally, self.lot[n]) if any(self.lot[n]) else tally
            gain = gain + self.gains[n] if self.gains[n] else gain
            self.prefix.append(tally)
            self.gain.append(gain)
        self.low = [-1, *itertools.accumulate(group.members, min)]
        # the prefixes worth valuing: none, one lot, and each that changes the tally
        self.kept = [k for k in range(len(self.prefix))
                     if k <= 1 or self.prefix[k] != self.prefix[k - 1]]
        self.block = [min(self.members[a:b]) for a, b in itertools.pairwise(self.kept)]

    def tally(self, part: Part) -> Tally:
        if isinstance(part, int):
            return self.prefix[part]
        total = self.own if part else self.zero
        for n in part:
            total = plus(total, self.lot[n])
        return total

    def size(self, part: Part) -> int:
        return part if isinstance(part, int) else len(part)

    def gain_of(self, part: Part) -> Decimal:
        if isinstance(part, int):
            return self.gain[part]
        return sum((self.gains[n] for n in part), ZERO)

    def members_of(self, part: Part) -> Choice:
        return frozenset(self.members[:part]) if isinstance(part, int) else part

    def part_of(self, choice: Choice) -> Part:
        part = choice.intersection(self.members)
        return part if self.any_subset else len(part)

    def moves(self, part: Part) -> Iterator[_Move]:
        """Each other part of the sale worth valuing."""
        if not isinstance(part, int):
            tally, gain = self.tally(part), self.gain_of(part)
            for n in self.members:
                if n in part:
                    left = minus(tally, self.lot[n]) if len(part) > 1 else self.zero
                    yield _Move(self.index, n, left, len(part) - 1, gain - self.gains[n], n,
                                False)
                else:
                    added = plus(tally if part else self.own, self.lot[n])
                    yield _Move(self.index, n, added, len(part) + 1, gain + self.gains[n], n,
                                True)
            return
        at = self.kept.index(part)
        lows = [0] * len(self.kept)
        for a in range(at - 1, -1, -1):
            lows[a] = self.block[a] if a == at - 1 else min(lows[a + 1], self.block[a])
        for a in range(at + 1, len(self.kept)):
            lows[a] = self.block[a - 1] if a == at + 1 else min(lows[a - 1], self.block[a - 1])
        for a, k in enumerate(self.kept):
            if a != at:
                yield _Move(self.index, k, self.prefix[k], k, self.gain[k], lows[a], k > part)

    def moved(self, part: Part, move: _Move) -> Part:
        """The sale's part after the move: its new prefix length, or the set with the
        candidate it names added or taken out."""
        return move.to if isinstance(part, int) else part ^ {move.to}

    def drops(self, part: Part) -> Iterator[tuple[Part, int, int]]:
        """What the sale could do without: all of it, and each lot it can leave out (the
        last in the method's order; any under specific identification). Each as the part
        left, the lowest candidate dropped and how many."""
        if isinstance(part, int):
            if part:
                yield 0, self.low[part], part
            if part > 1:
                yield part - 1, self.members[part - 1], 1
            return
        if part:
            yield frozenset(), min(part), len(part)
        if len(part) > 1:
            yield from ((part - {n}, n, 1) for n in sorted(part))


class Chooser:
    def __init__(self, found: Sequence[Candidate], groups: Sequence[Group], figures: Figures,
                 least: Decimal) -> None:
        self.found = found
        self.groups = groups
        self.figures = figures
        self.least = least
        self._sales = [_Sale(g, group, found, figures) for g, group in enumerate(groups)]
        self._values: dict[Choice, Decimal] = {}
        self._shorts: dict[Choice, Decimal] = {}

    def tally(self, choice: Choice) -> Tally:
        total = self.figures.zero
        for sale in self._sales:
            total = plus(total, sale.tally(sale.part_of(choice)))
        return total

    def value(self, choice: Choice) -> Decimal:
        if choice not in self._values:
            self._values[choice] = self.figures.value(self.tally(choice))
        return self._values[choice]

    def short(self, choice: Choice) -> Decimal:
        if choice not in self._shorts:
            self._shorts[choice] = self.figures.shortfall(self.tally(choice))
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
        if self.count() <= EXHAUSTIVE:
            chosen = self._every()
            parts = [sale.part_of(chosen) for sale in self._sales]
        else:
            parts = self._search()
        parts = self._pruned(parts)
        return frozenset().union(*(s.members_of(p) for s, p in zip(self._sales, parts,
                                                                    strict=True)))

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
        for sale in self._sales:
            part = sale.part_of(choice)
            for left, _, _ in sale.drops(part):
                yield sale.members_of(part) - sale.members_of(left)

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

    def _search(self) -> list[Part]:
        parts: list[Part] = [frozenset() if s.any_subset else 0 for s in self._sales]
        total = self.figures.zero
        while self.figures.shortfall(total):
            move = self._best(parts, total, closer=True)
            if move is None:
                break
            total = self._made(parts, total, move)
        if self.figures.shortfall(total):
            return parts
        for _ in range(4 * len(self.found) + 1):
            move = self._best(parts, total, closer=False)
            if move is None:
                break
            total = self._made(parts, total, move)
        return parts

    def _made(self, parts: list[Part], total: Tally, move: _Move) -> Tally:
        sale = self._sales[move.group]
        total = plus(minus(total, sale.tally(parts[move.group])), move.tally)
        parts[move.group] = sale.moved(parts[move.group], move)
        return total

    def _best(self, parts: list[Part], total: Tally, closer: bool) -> _Move | None:
        """The best change of one sale's lots: among those that bring the targets closer
        (`closer`), or that meet them and save at least a cent more, the one that comes
        closest, then ranks best: more saved, fewer sales, fewer lots, less loss used up;
        then the choice whose sorted candidates are the lowest at their first difference.
        None when no change does."""
        figures = self.figures
        short_now = figures.shortfall(total)
        value_now = figures.value(total)
        sales = sum(1 for s, p in zip(self._sales, parts, strict=True) if s.size(p))
        lots = sum(s.size(p) for s, p in zip(self._sales, parts, strict=True))
        gain = sum((s.gain_of(p) for s, p in zip(self._sales, parts, strict=True)), ZERO)
        best: tuple[tuple[Decimal, Decimal, int, int, Decimal], _Move] | None = None
        for sale, part in zip(self._sales, parts, strict=True):
            rest = minus(total, sale.tally(part))
            had = sale.size(part)
            rest_gain = gain - sale.gain_of(part)
            for move in sale.moves(part):
                tally = plus(rest, move.tally)
                short = figures.shortfall(tally)
                if (short >= short_now) if closer else short:
                    continue
                value = figures.value(tally)
                if not closer and value - value_now < CENT:
                    continue
                key = (-short, value, -(sales - (1 if had else 0) + (1 if move.lots else 0)),
                       -(lots - had + move.lots), rest_gain + move.gain)
                if best is None or key > best[0] or (key == best[0]
                                                     and _above(move, best[1])):
                    best = key, move
        return None if best is None else best[1]

    def _pruned(self, parts: list[Part]) -> list[Part]:
        """Drop, the least useful first, each sale or lot that saves less than `least` and
        that the targets do not need."""
        figures = self.figures
        total = self.figures.zero
        for sale, part in zip(self._sales, parts, strict=True):
            total = plus(total, sale.tally(part))
        while True:
            value = figures.value(total)
            weak: list[tuple[tuple[Decimal, int, int], int, Part, Tally]] = []
            for g, (sale, part) in enumerate(zip(self._sales, parts, strict=True)):
                for left, low, size in sale.drops(part):
                    rest = plus(minus(total, sale.tally(part)), sale.tally(left))
                    saves = value - figures.value(rest)
                    if not figures.shortfall(rest) and saves < self.least:
                        weak.append(((saves, low, size), g, left, rest))
            if not weak:
                return parts
            _, g, left, total = min(weak, key=lambda w: w[0])
            parts[g] = left


def _above(one: _Move, other: _Move) -> bool:
    """Between two changes of the same number of lots, whether `one`'s choice comes first
    in sorted candidates: the lowest candidate either changes decides, for the choice that
    holds it."""
    return one.adds if one.first < other.first else not other.adds


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
