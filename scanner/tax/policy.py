"""A taxpayer's rules: jurisdiction, cost-basis method, lot scope per year, lots named for
specific disposals, and a recorded basis allocation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from chains.errors import UserInputError
from scanner.ledger.records import Kind
from scanner.tax.jurisdictions import US
from scanner.tax.jurisdictions.base import Jurisdiction
from scanner.tax.scope import Allocation, ScopePlan
from scanner.tax.treatment import DEFAULT_TREATMENTS, Treatment, TreatmentTable, treatment_of


@dataclass(frozen=True)
class Policy:
    jurisdiction: Jurisdiction = US
    method: str = "fifo"
    scopes: ScopePlan = field(default_factory=ScopePlan)
    assignments: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    allocation: tuple[Allocation, ...] = ()
    treatments: TreatmentTable = field(default_factory=lambda: DEFAULT_TREATMENTS)

    def __post_init__(self) -> None:
        if self.assignments and self.method != "specific":
            raise UserInputError("lots are assigned to disposals, but the method is "
                                 f"{self.method}: use --method specific")
        self.jurisdiction.check_method(self.method)

    def carries(self, kind: Kind, protocol: str) -> bool:
        """Whether legs of `kind` and `protocol` carry basis over (else: a trade)."""
        return treatment_of(self.treatments, kind, protocol) is Treatment.CARRY

    @property
    def effective_scopes(self) -> ScopePlan:
        """The taxpayer's plan, unless the jurisdiction fixes the scope (Germany: per wallet)."""
        return self.jurisdiction.scopes(self.scopes)


def assignments_from(pairs: Mapping[str, list[str]] | list[str]) -> dict[str, tuple[str, ...]]:
    """`TX=LOT[,LOT...]` texts from the command line, or a tx -> lot ids mapping."""
    out: dict[str, tuple[str, ...]] = {}
    items = pairs.items() if isinstance(pairs, Mapping) else [_split_pair(p) for p in pairs]
    for tx, lots in items:
        tx = tx.strip().lower()
        if not tx.startswith("0x") and ":" not in tx:
            raise UserInputError(f"assignment {tx!r}: expected a transaction hash")
        ids = tuple(lot.strip().lower() for lot in lots if lot.strip())
        if not ids:
            raise UserInputError(f"assignment for {tx} names no lot")
        out[tx] = out.get(tx, ()) + ids
    return out


def _split_pair(text: str) -> tuple[str, list[str]]:
    tx, sep, lots = text.partition("=")
    if not sep:
        raise UserInputError(f"--assign {text!r}: expected TX_HASH=LOT_ID[,LOT_ID...]")
    return tx, lots.split(",")
