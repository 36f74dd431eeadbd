"""The treatment table: what a (kind, protocol) of the exchange kinds does to the lots.

    taxable      a trade: what goes out is disposed of (a gain or loss), what comes in is a
                 new lot at its fair value. The generic rule for a swap
    carry_basis  nothing is realized: what comes in takes over the basis of what went out.
    non_taxable  One asset for one other (a wrap): each lot drawn on becomes a lot of the
                 new asset with the same acquisition date and basis, quantities scaled.
                 Several for one (an LP deposit): one lot of the new asset, acquired then,
                 with the sum of their basis. One for several (an LP withdrawal taken this
                 way): a lot of each, acquired then, the basis split by their values. For
                 these kinds "non-taxable" can only mean this: a basis is never dropped

Defaults: wrap, unwrap, lp_deposit, stake, unstake, supply, deposit and withdraw carry the
basis over; lp_withdraw and trade are taxable. A deposit is assets put into a receipt (vault
shares, an LP or gauge token minted to the wallet: protocol `receipt` when only its shape
says so, `erc4626` for a vault) or into an open position with a contract (held as the
position's own asset, protocol `position`); withdraw is the way back. (borrow and repay
are no exchanges: a loan received is a lot at fair value, not income; a loan repaid takes
lots off the books, realizing nothing.) Config rows (`[[treatments]]`: kind, protocol,
treatment) override a kind for one protocol: `deposit`, `receipt`, `taxable` makes the
deposits only the receipt shape reads disposals.

The US and Germany follow the table. The UK and Canadian pools take every exchange as a
trade: whether wrapping or pooling tokens is a disposal there is a question for an adviser,
and a disposal is the cautious answer (the lot book says so in its notes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from chains.errors import UserInputError
from scanner.ledger.decode.protocols.compound_v2 import PROTOCOL as COMPOUND_V2
from scanner.ledger.decode.protocols.compound_v3 import PROTOCOL as COMPOUND_V3
from scanner.ledger.positions import POSITION
from scanner.ledger.records import EXCHANGES, Kind


class Treatment(StrEnum):
    TRADE = "taxable"
    CARRY = "carry_basis"


NON_TAXABLE = "non_taxable"  # what a user may call CARRY (see above)
CHOICES = {Treatment.TRADE.value: Treatment.TRADE, Treatment.CARRY.value: Treatment.CARRY,
           NON_TAXABLE: Treatment.CARRY}
TREATABLE_KINDS = tuple(sorted(kind.value for kind in EXCHANGES))

# (kind, protocol or None for any protocol) -> treatment
TreatmentTable = Mapping[tuple[Kind, str | None], Treatment]

DEFAULT_TREATMENTS: TreatmentTable = {
    (kind, None): Treatment.CARRY
    for kind in (Kind.WRAP, Kind.UNWRAP, Kind.LP_DEPOSIT, Kind.STAKE, Kind.UNSTAKE,
                 Kind.SUPPLY, Kind.DEPOSIT, Kind.WITHDRAW)
}


STAKING_REWARD = "reward"  # the income kind of staking rewards
LENDING_INTEREST = "interest"  # the income kind of interest earned by lending
# the protocol of staking rewards a file names no protocol for (a Koinly "staking" row)
STAKING = "staking"

# what income is, by the protocol that paid it (the income report's kind)
INCOME_KINDS: Mapping[str, str] = {
    "uniswap-v3": "lp_fee",
    "staking-rewards": STAKING_REWARD,
    "curve-gauge": STAKING_REWARD,  # CRV minted for a gauge, rewards a gauge paid
    "convex": STAKING_REWARD,  # what Convex's reward pools paid, CVX minted with it
    STAKING: STAKING_REWARD,
    "rebase": "rebase",
    "aave-v3": LENDING_INTEREST,
    COMPOUND_V2: STAKING_REWARD,  # COMP paid to suppliers and borrowers
    COMPOUND_V3: STAKING_REWARD,
    POSITION: LENDING_INTEREST,  # what an open position paid back beyond its principal
}


AIRDROP = "airdrop"  # the income kind of a known distributor's payout (`airdrop:<name>`)


def income_kind(protocol: str) -> str:
    """`claim` for what the generic rules call income; `airdrop` for a known distributor's;
    else what the protocol paid."""
    if protocol.startswith(AIRDROP + ":"):
        return AIRDROP
    return INCOME_KINDS.get(protocol, "claim")


def treatment_of(table: TreatmentTable, kind: Kind, protocol: str) -> Treatment:
    """The row for (kind, protocol), else for the kind, else taxable."""
    return table.get((kind, protocol)) or table.get((kind, None)) or Treatment.TRADE


def table_with(overrides: Iterable[tuple[str, str, str]]) -> dict[tuple[Kind, str | None],
                                                                 Treatment]:
    """The default table with the user's (kind, protocol, treatment) rows over it."""
    table = dict(DEFAULT_TREATMENTS)
    for kind_name, protocol, chosen in overrides:
        if kind_name not in TREATABLE_KINDS:
            raise UserInputError(f"treatment for kind {kind_name!r}: only "
                                 f"{', '.join(TREATABLE_KINDS)} can be treated either way")
        if chosen not in CHOICES:
            raise UserInputError(f"treatment {chosen!r}: use {', '.join(CHOICES)}")
        table[(Kind(kind_name), protocol)] = CHOICES[chosen]
    return table
