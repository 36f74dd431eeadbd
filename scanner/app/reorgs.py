"""Reorgs: a scan records the hashes of the blocks a reorg could still replace (those within
the chain's confirmation margin of the block it scanned to), and the next scan checks them
before anything else. When the chain has replaced some of them, everything stored above
the last block that still stands is forgotten and scanned again.

A block's hash commits to all of its ancestors, so when the highest recorded block still
stands, every block below it does too: one lookup on a scan with no reorg.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from chains.errors import SourceInconsistent
from chains.evm.records import EvmSource, RawTx
from scanner.formats.render import plural
from scanner.store import Store


def anchors(final: int, margin: int) -> list[int]:
    """The blocks whose hashes a scan to `final` records whatever the wallets did: `final`
    itself (any later reorg below it changes its hash) and the bottom of the margin (a
    reorg that replaced it too is deeper than the margin)."""
    return sorted({final, max(0, final - margin)})


def tx_block_hashes(txs: Iterable[RawTx], final: int, margin: int) -> dict[int, str]:
    """The hashes, as their receipts gave them, of the blocks of `txs` within the margin."""
    return {tx.block_number: tx.block_hash for tx in txs
            if tx.block_hash is not None and tx.block_number >= final - margin}


def fork_base(recorded: Mapping[int, str], current: Mapping[int, str], margin: int) -> int | None:
    """The highest recorded block still on the chain below the lowest one replaced, or None
    when none was replaced. `current`: the chain's hashes now (a block it lacks is gone)."""
    replaced = [n for n, h in recorded.items() if current.get(n) != h]
    if not replaced:
        return None
    lowest = min(replaced)
    standing = [n for n, h in recorded.items() if n < lowest and current.get(n) == h]
    if not standing:
        raise SourceInconsistent(
            f"block {lowest} that an earlier scan stored is no longer on the chain, and no "
            "block below it within the confirmation margin "
            f"({plural(margin, 'block')}) was checked: the reorg is deeper than the margin, "
            "so the stored records cannot be trusted; scan into a new database")
    return max(standing)


def follow_reorgs(store: Store, source: EvmSource, chain_id: int, head: int,
                  margin: int) -> int | None:
    """Check the recorded blocks of the chain against `source`; after a reorg forget what
    was stored above the block it forked from (in one transaction) and return that block."""
    recorded = store.block_hashes(chain_id)
    if not recorded:
        return None
    top = max(recorded)
    if top <= head and source.block_hashes([top]).get(top) == recorded[top]:
        return None
    current = source.block_hashes([n for n in recorded if n <= head])
    base = fork_base(recorded, current, margin)
    if base is not None:
        with store.transaction():
            store.rewind(chain_id, base)
    return base
