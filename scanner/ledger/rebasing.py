"""Rebasing tokens: growth without Transfer events, booked from balance snapshots."""


from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from chains.addresses import erc20_asset
from scanner.ledger.classify import group_id
from scanner.ledger.records import NOT_HOLDINGS, Kind, LedgerEntry

REBASE = "rebase"  # the protocol and leg key of booked growth
REBASE_TX_INDEX = 2**31 - 1  # after every transaction of its block


@dataclass(frozen=True)
class BalanceSnapshot:
    """What balanceOf(wallet) of a rebasing token said at the end of a block."""

    chain_id: int
    wallet: str
    token: str  # lowercase address
    block_number: int
    timestamp: datetime
    raw_balance: int


def rebase_id(block_number: int, token: str, wallet: str) -> str:
    """The ledger's transaction id of growth booked at a snapshot: stable, unique per wallet
    (so is the lot it opens), and never mistaken for a transaction hash."""
    return f"{REBASE}:{block_number}:{token}:{wallet}"


def rebase_legs(snapshots: Iterable[BalanceSnapshot],
                entries: Iterable[LedgerEntry]) -> list[LedgerEntry]:
    """The growth (or shrinkage) of each (wallet, token) between its snapshots that no leg
    of the ledger explains: at each snapshot S, the balance expected is the previous
    snapshot's (0 before the first) plus the legs in the blocks after it up to S's; what the
    chain holds beyond that is income at S (protocol `rebase`), and what it holds short of
    it leaves the books as a transfer out (a negative rebase, or a token's rounding).

    Snapshots before the wallet's first leg of the token only set the opening balance:
    what was held before the ledger knew of it is not growth (reconcile reports it as an
    unexplained opening balance). Tokens whose legs are spam or debt are left alone."""
    held: dict[tuple[str, str], list[LedgerEntry]] = defaultdict(list)
    for entry in entries:
        held[(entry.wallet, entry.asset)].append(entry)
    series: dict[tuple[str, str], list[BalanceSnapshot]] = defaultdict(list)
    for snap in snapshots:
        series[(snap.wallet, erc20_asset(snap.chain_id, snap.token))].append(snap)
    out: list[LedgerEntry] = []
    for (wallet, asset), snaps in sorted(series.items()):
        legs = sorted(held.get((wallet, asset), ()), key=lambda e: e.block_number)
        if not legs or any(leg.kind in NOT_HOLDINGS for leg in legs):
            continue
        model = legs[0]
        previous: int | None = None  # the last snapshot's balance
        moved = 0  # the legs since the last snapshot
        cursor = 0
        for snap in sorted(snaps, key=lambda s: s.block_number):
            while cursor < len(legs) and legs[cursor].block_number <= snap.block_number:
                moved += legs[cursor].raw_amount
                cursor += 1
            if cursor == 0:
                previous = snap.raw_balance  # before the ledger's first leg: the opening
                continue
            growth = snap.raw_balance - ((previous or 0) + moved)
            previous, moved = snap.raw_balance, 0
            if growth == 0:
                continue
            tx_hash = rebase_id(snap.block_number, snap.token, wallet)
            out.append(LedgerEntry(
                chain_id=snap.chain_id, tx_hash=tx_hash, leg_key=REBASE, log_index=None,
                block_number=snap.block_number, tx_index=REBASE_TX_INDEX,
                timestamp=snap.timestamp, wallet=wallet,
                kind=Kind.INCOME if growth > 0 else Kind.TRANSFER_OUT, protocol=REBASE,
                asset=asset, symbol=model.symbol, raw_amount=growth, decimals=model.decimals,
                counterparty=None, group_id=group_id(snap.chain_id, tx_hash, wallet)))
    return out
