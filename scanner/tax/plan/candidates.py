"""The open lots a plan may sell, valued at its date, and the sales they can make: one sale
draws on one asset's lots in one wallet (in a universal year, or a pool, in every wallet),
in the order the lot engine would draw on them, so a plan proposes only what the cost-basis
method in force would realize. Under specific identification any of them can be named."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chains.addresses import asset_chain_id
from scanner.money import cents
from scanner.tax.harvest import HarvestRow
from scanner.tax.jurisdictions.lotwise import sort_key
from scanner.tax.matching import OpenLot
from scanner.tax.plan.law import Law
from scanner.tax.plan.records import Candidate
from scanner.tax.records import Term

SPECIFIC = "specific"  # the method that names lots: any of a group's lots may be sold


@dataclass(frozen=True)
class Group:
    """The lots one sale may draw on: candidate indices in the order the method draws them."""

    members: tuple[int, ...]
    any_subset: bool  # specific identification: any of them, else a first few in order


def candidates_of(rows: Iterable[HarvestRow], law: Law, per_wallet: bool
                  ) -> tuple[list[Candidate], int]:
    """The lots valued at the plan's date with a known basis, and how many are not (no
    price, no rate or no basis: they cannot be planned)."""
    found: list[Candidate] = []
    unknown = 0
    for row in rows:
        lot = row.lot
        if row.value_usd is None or row.price_usd is None or lot.cost_basis_usd is None:
            unknown += 1
            continue
        if lot.quantity <= 0:
            continue
        found.append(Candidate(
            lot=lot, group=(lot.wallet if per_wallet else "", lot.asset),
            chain_id=asset_chain_id(lot.asset), unit=row.price_usd, quantity=lot.quantity,
            proceeds=cents(row.value_usd), basis=cents(lot.cost_basis_usd),
            term=row.term if law.terms else None,
            free=law.long_free and row.term is Term.LONG, flagged=row.wash_sale_risk))
    found.sort(key=lambda c: (c.group, c.lot.acquired, c.lot.lot_id))
    return found, unknown


def groups_of(found: Sequence[Candidate], method: str) -> list[Group]:
    """The sales the candidates can make, each with its lots in the method's order."""
    key = sort_key(method)
    members: dict[tuple[str, str], list[tuple[tuple[object, ...], int]]] = {}
    for n, c in enumerate(found):
        lot = c.lot
        engine = OpenLot(lot.lot_id, n, lot.wallet, lot.asset, lot.symbol, lot.acquired,
                         lot.quantity, lot.cost_basis_usd, lot.origin_tx, lot.origin_leg,
                         lot.origin_kind)
        members.setdefault(c.group, []).append((key(engine), n))
    return [Group(tuple(n for _, n in sorted(ordered)), method == SPECIFIC)
            for ordered in members.values()]
