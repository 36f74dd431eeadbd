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

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from scanner.money import cents, share_cents
from scanner.tax.records import Disposal, Term


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
    return None not in (disposal.proceeds_usd, disposal.cost_basis_usd, disposal.term,
                        disposal.acquired)


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
    of the forms (`sale_lines`, ties to the line first on the form), so a report's rows add
    up to the sale too. Where a figure of the sale is unknown, its known lines are each
    rounded alone (`cents`)."""
    sales: dict[tuple[str, str, str, str], list[int]] = {}
    for n, d in enumerate(disposals):
        sales.setdefault(sale_of(d), []).append(n)
    out: list[tuple[Decimal | None, Decimal | None]] = [(None, None)] * len(disposals)
    proceeds: dict[int, Decimal | None] = {}
    costs: dict[int, Decimal | None] = {}
    for members in sales.values():
        if len(members) > 1:
            members.sort(key=lambda n: _line_order(disposals[n]))
        proceeds.update(_shared(members, [disposals[n].proceeds_usd for n in members]))
        costs.update(_shared(members, [disposals[n].cost_basis_usd for n in members]))
    for n in range(len(disposals)):
        out[n] = (proceeds[n], costs[n])
    return out


def _line_order(disposal: Disposal) -> tuple[bool, date, str]:
    acquired = disposal.acquired
    return (acquired is None, date.min if acquired is None else utc(acquired).date(),
            disposal.lot_id or "")


def _shared(members: list[int], amounts: list[Decimal | None]) -> Iterator[
        tuple[int, Decimal | None]]:
    known = [a for a in amounts if a is not None]
    if len(known) == len(amounts):
        yield from zip(members, share_cents(known), strict=True)
    else:
        yield from ((n, None if a is None else cents(a))
                    for n, a in zip(members, amounts, strict=True))
