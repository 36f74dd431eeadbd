"""A taxpayer's rules: jurisdiction, cost-basis method, lot scope per year, lots named for
specific disposals, and a recorded basis allocation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from chains.errors import UserInputError
from scanner.ledger.records import Kind
from scanner.tax.scope import Allocation, Scope, ScopePlan
from scanner.tax.treatment import DEFAULT_TREATMENTS, Treatment, TreatmentTable, treatment_of

JURISDICTIONS = ("us", "uk", "ca", "de")


@dataclass(frozen=True)
class Policy:
    jurisdiction: str = "us"
    method: str = "fifo"
    scopes: ScopePlan = field(default_factory=ScopePlan)
    assignments: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    allocation: tuple[Allocation, ...] = ()
    treatments: TreatmentTable = field(default_factory=lambda: DEFAULT_TREATMENTS)

    def __post_init__(self) -> None:
        if self.jurisdiction not in JURISDICTIONS:
            raise UserInputError(f"unknown jurisdiction {self.jurisdiction!r} "
                                 f"(available: {', '.join(JURISDICTIONS)})")
        if self.assignments and self.method != "specific":
            raise UserInputError("lots are assigned to disposals, but the method is "
                                 f"{self.method}: use --method specific")
        if self.jurisdiction == "de" and self.method != "fifo":
            raise UserInputError("Germany matches lots first in, first out: the method "
                                 f"{self.method} does not apply (drop --method)")
        if self.jurisdiction in ("uk", "ca") and self.method != "fifo":
            raise UserInputError(f"the {self.jurisdiction.upper()} rules pool each asset at "
                                 f"average cost: the method {self.method} does not apply")

    def carries(self, kind: Kind, protocol: str) -> bool:
        """Whether legs of `kind` and `protocol` carry basis over (else: a trade)."""
        return treatment_of(self.treatments, kind, protocol) is Treatment.CARRY

    @property
    def effective_scopes(self) -> ScopePlan:
        """Germany's lots are per wallet; the US plan is the user's."""
        if self.jurisdiction == "de":
            return ScopePlan.everywhere(Scope.PER_WALLET)
        return self.scopes


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
