"""Moves between an off-chain account (imported) and a scanned wallet: one transaction hash,
one asset, the same quantity leaving one of your accounts and arriving at another. Such a
pair is a self transfer, so the lots move with their dates and basis instead of leaving
the books on one side and starting afresh at fair value on the other."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from scanner.ledger.records import Kind, LedgerEntry

_ONE_WAY = (Kind.TRANSFER_IN, Kind.TRANSFER_OUT)


def pair_own_transfers(entries: Sequence[LedgerEntry]) -> list[LedgerEntry]:
    """The entries with each such pair made a self transfer. The leg the chain recorded
    (it has a block) lends its moment to the other, whose file time is only a minute."""
    candidates: dict[tuple[str, str], list[int]] = {}
    for index, entry in enumerate(entries):
        if entry.kind in _ONE_WAY and entry.tx_hash.startswith("0x"):
            candidates.setdefault((entry.tx_hash, entry.asset), []).append(index)
    out = list(entries)
    for indexes in candidates.values():
        if len(indexes) != 2:
            continue
        first, second = (entries[i] for i in indexes)
        if {first.kind, second.kind} != set(_ONE_WAY) or first.wallet == second.wallet \
                or first.quantity != -second.quantity:
            continue
        anchor = first if first.block_number >= second.block_number else second
        for index in indexes:
            entry = entries[index]
            out[index] = replace(entry, kind=Kind.SELF_TRANSFER, timestamp=anchor.timestamp,
                                 block_number=anchor.block_number, tx_index=anchor.tx_index)
    return out
