"""Sales as a broker reports them, in cents: the figures of Form 8949's lines.

A sale is the disposals of one transaction of one asset in one wallet, of one kind (the gas
paid in the coin sold is a disposal of its own): what a Form 1099-DA reports as one sale.
The lot engine gives it a line per lot drawn on; the sale's proceeds are rounded to the
cent once and its lines share them (`money.share_cents`: each rounded down, the cents left
over to the largest remainders, ties to the line first on the form), so the lines add up to
what the broker reports. The same for the basis. Every US form, the gains report, the
ledger export and the netting of the year's gains take their figures from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, getcontext
from operator import attrgetter, methodcaller
from typing import cast

from scanner.grouping import places_by
from scanner.money import CENT, share_cents, sum_known
from scanner.tax.records import Disposal, Term

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class SaleLine:
    """A disposal with every figure a form needs, in cents and UTC."""

    disposal: Disposal
    acquired: datetime  # UTC
    disposed: datetime  # UTC
    proceeds: Decimal  # cents: its share of the sale's proceeds
    cost: Decimal  # cents: its share of the sale's basis
    term: Term

    @property
    def gain(self) -> Decimal:
        return self.proceeds - self.cost


def utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is taken to be UTC already."""
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment


def is_known(disposal: Disposal) -> bool:
    """Whether the disposal has the proceeds, basis, holding period and acquisition date a
    form needs."""
    # `is` tests: `None in (...)` compares each Decimal with None, an abstract-class check
    return not (disposal.proceeds_usd is None or disposal.cost_basis_usd is None
                or disposal.term is None or disposal.acquired is None)


@dataclass(frozen=True, slots=True)
class _Known:
    disposal: Disposal
    acquired: datetime
    disposed: datetime
    proceeds: Decimal
    cost: Decimal
    term: Term


def _known(disposal: Disposal) -> _Known:
    proceeds, cost = disposal.proceeds_usd, disposal.cost_basis_usd
    term, acquired = disposal.term, disposal.acquired
    if proceeds is None or cost is None or term is None or acquired is None:
        raise ValueError(f"a disposal in {disposal.tx_hash} has unknown figures")
    return _Known(disposal, utc(acquired), utc(disposal.disposed), proceeds, cost, term)


def sale_of(disposal: Disposal) -> tuple[str, str, str, str]:
    """The sale a disposal is a line of: its transaction, asset and wallet, and its kind (the
    gas a sale paid in the coin sold is a disposal of its own, not part of the sale)."""
    return (disposal.tx_hash, disposal.asset, disposal.wallet, disposal.kind.value)


def sale_lines(disposals: Iterable[Disposal]) -> list[SaleLine]:
    """The disposals, each known (`is_known`), as lines in cents, in the form's order: date
    sold, date acquired (UTC dates), tx_hash, lot id, then the order given."""
    known = sorted(map(_known, disposals), key=lambda k: (
        k.disposed.date(), k.acquired.date(), k.disposal.tx_hash, k.disposal.lot_id or ""))
    sales: dict[tuple[str, str, str, str], list[int]] = {}
    for n, k in enumerate(known):
        sales.setdefault(sale_of(k.disposal),
                         []).append(n)
    shares: dict[int, tuple[Decimal, Decimal]] = {}
    for members in sales.values():
        proceeds = share_cents([known[n].proceeds for n in members])
        costs = share_cents([known[n].cost for n in members])
        shares.update(zip(members, zip(proceeds, costs, strict=True), strict=True))
    return [SaleLine(k.disposal, k.acquired, k.disposed, *shares[n], k.term)
            for n, k in enumerate(known)]


def sale_cents(disposals: Sequence[Disposal]) -> list[tuple[Decimal | None, Decimal | None]]:
    """Each disposal's (proceeds, basis) in cents as its sale's lines share them: the figures
    of the forms (`sale_lines`: the largest remainders first, ties to the line first on the
    form), so a report's rows add up to the sale too. Where a figure of the sale is unknown,
    its known lines are each rounded alone (`cents`)."""
    half_up, floor = _to_cent(ROUND_HALF_UP), _to_cent(ROUND_FLOOR)  # a million calls

    def shared(amounts: list[Decimal | None], members: list[int]) -> list[Decimal | None]:
        for amount in amounts:
            if amount is None:
                return [None if a is None else half_up(a) for a in amounts]
        known = cast(list[Decimal], amounts)
        if len(known) == 2:  # the most common sale of several lots: two
            one, two = known
            low_one, low_two = floor(one), floor(two)
            spare = half_up(one + two) - low_one - low_two  # 0, 1 or 2 cents
            if not spare:
                return [low_one, low_two]
            if spare > CENT:
                return [low_one + CENT, low_two + CENT]
            short_one, short_two = low_one - one, low_two - two
            first = short_one < short_two or (short_one == short_two and _line_order(
                disposals[members[0]]) <= _line_order(disposals[members[1]]))
            return [low_one + CENT, low_two] if first else [low_one, low_two + CENT]
        floors = list(map(floor, known))
        spare = half_up(sum(known, ZERO)) - sum(floors, ZERO)
        if spare:
            left = int(spare.scaleb(2))
            shorts = [f - a for f, a in zip(floors, known, strict=True)]  # minus remainders
            largest = sorted(range(len(known)), key=shorts.__getitem__)
            if left < len(largest) and shorts[largest[left - 1]] == shorts[largest[left]]:
                largest.sort(key=lambda i: (shorts[i], _line_order(disposals[members[i]])))
            for i in largest[:left]:
                floors[i] += CENT
        return cast(list[Decimal | None], floors)

    out: list[tuple[Decimal | None, Decimal | None]] = [(None, None)] * len(disposals)
    for members in _sales(disposals):
        if len(members) == 1:  # most sales draw on one lot: its figures rounded once
            d = disposals[members[0]]
            proceeds, cost = d.proceeds_usd, d.cost_basis_usd
            out[members[0]] = (None if proceeds is None else half_up(proceeds),
                               None if cost is None else half_up(cost))
            continue
        figures = zip(shared([disposals[n].proceeds_usd for n in members], members),
                      shared([disposals[n].cost_basis_usd for n in members], members),
                      strict=True)
        for n, pair in zip(members, figures, strict=True):
            out[n] = pair
    return out


def cent_rounding() -> Callable[[Decimal], Decimal]:
    """`money.cents` in the current context, called without a Python frame (for a million
    calls)."""
    return _to_cent(ROUND_HALF_UP)


def whole_sales_cents(disposals: Sequence[Disposal], half_up: Callable[[Decimal], Decimal]) \
        -> tuple[Decimal | None, Decimal | None]:
    """The proceeds and basis in cents of `disposals`, of one transaction, asset and wallet,
    every disposal of each of their sales (`sale_of`: one a kind): the sum of their lines'
    figures (`sale_cents`), which share each sale's figures rounded once, so that sum is
    found without sharing; None where a figure is unknown (`half_up`: `cent_rounding()`)."""
    first = disposals[0].kind
    sales = [disposals] if all(d.kind is first for d in disposals) else \
        [[disposals[n] for n in sale] for sale in _by_kind(disposals, range(len(disposals)))]
    proceeds: Decimal | None = ZERO
    basis: Decimal | None = ZERO
    for sale in sales:
        sold, cost = sum_known(map(_PROCEEDS, sale)), sum_known(map(_COST, sale))
        proceeds = None if sold is None or proceeds is None else proceeds + half_up(sold)
        basis = None if cost is None or basis is None else basis + half_up(cost)
    return proceeds, basis


def term_gains(disposals: Sequence[Disposal]) -> dict[Term, Decimal]:
    """The gains of each term in cents, the sum of the disposals' lines (`sale_cents`): a
    sale of one term adds its figures rounded once (which its lines share), a sale of
    several its lines' shares. A disposal of unknown proceeds or basis adds nothing."""
    half_up = cent_rounding()
    short = long = ZERO  # by `is`: an Enum's hash is slow
    other: dict[Term, Decimal] = {}
    mixed: list[Disposal] = []

    def add(term: Term, gain: Decimal) -> None:
        nonlocal short, long
        if term is Term.SHORT:
            short += gain
        elif term is Term.LONG:
            long += gain
        else:
            other[term] = other.get(term, ZERO) + gain

    for members in _sales(disposals):
        if len(members) == 1:  # most sales
            one = disposals[members[0]]
            term, sold, cost = one.term, one.proceeds_usd, one.cost_basis_usd
            if term is not None and sold is not None and cost is not None:
                add(term, half_up(sold) - half_up(cost))
            continue
        sale = [disposals[n] for n in members]
        term = sale[0].term
        if term is None or any(d.term is not term for d in sale):
            mixed.extend(sale)
            continue
        sold, cost = sum_known(map(_PROCEEDS, sale)), sum_known(map(_COST, sale))
        if sold is not None and cost is not None:
            add(term, half_up(sold) - half_up(cost))
        elif len(sale) > 1:
            mixed.extend(sale)  # its known lines count, each rounded alone
    for disposal, (sold, cost) in zip(mixed, sale_cents(mixed), strict=True):
        if sold is not None and cost is not None and disposal.term is not None:
            add(disposal.term, sold - cost)
    return {Term.SHORT: short, Term.LONG: long, **other}


def _by_kind(disposals: Sequence[Disposal], members: Sequence[int]) -> list[list[int]]:
    """`members`, places in `disposals`, split by their disposals' kinds."""
    kinds = places_by(disposals[n].kind.value for n in members)
    return [[members[i] for i in places] for places in kinds.values()]


def _sales(disposals: Sequence[Disposal]) -> Iterator[list[int]]:
    """The indexes of each sale's disposals (`sale_of`, grouped without hashing the kind, an
    Enum: its hash is slow)."""
    for members in places_by(map(_SALE, disposals)).values():
        first = disposals[members[0]].kind
        if len(members) == 1 or all(disposals[n].kind is first for n in members):
            yield members
            continue
        yield from _by_kind(disposals, members)


_SALE = attrgetter("tx_hash", "asset", "wallet")
_PROCEEDS, _COST = attrgetter("proceeds_usd"), attrgetter("cost_basis_usd")


def _to_cent(rounding: str) -> Callable[[Decimal], Decimal]:
    """`Decimal.quantize` to the cent in the current context (its precision and traps) with
    `rounding`, called without a Python frame."""
    context = getcontext().copy()
    context.rounding = rounding
    return methodcaller("quantize", CENT, context=context)


def _line_order(disposal: Disposal) -> tuple[bool, date, str]:
    acquired = disposal.acquired
    return (acquired is None, date.min if acquired is None else utc(acquired).date(),
            disposal.lot_id or "")
