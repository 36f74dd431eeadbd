"""Prove the ledger complete: every balance it implies against the chain's, at a block.

Where they differ, find where: an amount held before the wallet's first ledger movement
is an unexplained opening balance, located at the block it arrived; any other difference
is located by bisection to the block where ledger and chain stop agreeing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from scanner.ledger.records import LedgerEntry


class Status(StrEnum):
    OK = "ok"
    MISMATCH = "mismatch"
    OPENING = "unexplained_opening_balance"
    UNKNOWN = "unknown"  # the node could not tell the chain's balance: not checked
    REBASING = "rebasing"
    SPAM = "spam"


@dataclass(frozen=True)
class Holding:
    chain_id: int
    wallet: str
    asset: str
    symbol: str | None
    decimals: int


@dataclass(frozen=True)
class BalanceCheck:
    holding: Holding
    block: int
    ledger_raw: int
    chain_raw: int | None
    status: Status
    explanation: str

    @property
    def ledger_balance(self) -> Decimal:
        return Decimal(self.ledger_raw).scaleb(-self.holding.decimals)

    @property
    def chain_balance(self) -> Decimal | None:
        return None if self.chain_raw is None else \
            Decimal(self.chain_raw).scaleb(-self.holding.decimals)


DUST = 1000  # base units; with 6+ decimals, a difference this small is a token's rounding
DUST_DECIMALS = 6

# balances of holdings at the end of a block; None where the chain could not tell
Probe = Callable[[Sequence[Holding], int], list[int | None]]
# how many Transfer events of the holding's token touch its wallet in a block
Announced = Callable[[Holding, int], int]


class _History:
    """The ledger's balance of each holding after each block."""

    def __init__(self, entries: Iterable[LedgerEntry]) -> None:
        moves: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
        for entry in entries:
            moves[(entry.wallet, entry.asset)].append((entry.block_number, entry.raw_amount))
        self._moves = {key: sorted(rows) for key, rows in moves.items()}

    def at(self, holding: Holding, block: int) -> int:
        return sum(amount for number, amount in self._moves.get((holding.wallet,
                                                                 holding.asset), [])
                   if number <= block)

    def first_block(self, holding: Holding) -> int | None:
        rows = self._moves.get((holding.wallet, holding.asset))
        return rows[0][0] if rows else None


def holdings_of(entries: Iterable[LedgerEntry]) -> list[Holding]:
    found: dict[tuple[int, str, str], Holding] = {}
    for e in entries:
        found.setdefault((e.chain_id, e.wallet, e.asset),
                         Holding(e.chain_id, e.wallet, e.asset, e.symbol, e.decimals))
    return sorted(found.values(), key=lambda h: (h.chain_id, h.wallet, h.asset))


def reconcile(entries: Sequence[LedgerEntry], holdings: Sequence[Holding], block: int,
              probe: Probe, spam: Collection[str] = (),
              announced: Announced | None = None) -> list[BalanceCheck]:
    history = _History(entries)
    chain = probe(holdings, block)
    checks = []
    for holding, chain_raw in zip(holdings, chain, strict=True):
        ledger_raw = history.at(holding, block)
        if holding.asset in spam:
            status, why = Status.SPAM, "spam: kept in the ledger, out of every figure"
        elif chain_raw is None:
            status, why = Status.UNKNOWN, (
                f"not checked: the node could not tell this balance at block {block} (its "
                "state pruned, an error, or a contract without balanceOf)")
        elif chain_raw == ledger_raw:
            status, why = Status.OK, ""
        elif abs(chain_raw - ledger_raw) <= DUST and holding.decimals >= DUST_DECIMALS:
            status, why = Status.MISMATCH, (
                f"dust: {abs(chain_raw - ledger_raw)} base units apart (a token's rounding)")
        else:
            status, why = _locate(holding, history, ledger_raw, chain_raw, block, probe,
                                  announced)
        checks.append(BalanceCheck(holding, block, ledger_raw, chain_raw, status, why))
    return checks


def _locate(holding: Holding, history: _History, ledger_raw: int, chain_raw: int,
            block: int, probe: Probe, announced: Announced | None) -> tuple[Status, str]:
    def on_chain(number: int) -> int | None:
        return probe([holding], number)[0]

    first = history.first_block(holding)
    before = (first - 1) if first else block
    opening = on_chain(max(before, 0)) if first else chain_raw
    if opening is None:
        return Status.MISMATCH, (
            f"the node could not tell the balance at block {before}, before the ledger's "
            "first movement of it, so the difference is not located (an archive node can)")
    if opening and opening == chain_raw - ledger_raw:
        arrived = _first_block_where(lambda n: on_chain(n) == opening, 0, max(before, 0))
        where = "since genesis" if arrived == 0 else f"since block {arrived}"
        if first is None:
            came = (" (a genesis allocation) and never moved in the ledger" if arrived == 0
                    else " and never moved in the ledger: it came before the scanned range, "
                    "or with no transaction (a block reward, a withdrawal)")
            return Status.OPENING, f"held {where}{came}, so its basis is unknown"
        return Status.OPENING, (
            f"held before the ledger's first movement of it (block {first}), {where}: the "
            "transaction that brought it is not in the ledger, so its basis is unknown")
    agreed = _last_block_where(lambda n: on_chain(n) == history.at(holding, n),
                               max(before, 0), block)
    where = f"ledger and chain agree up to block {agreed} and differ from block {agreed + 1}"
    return _explain(holding, history, agreed, on_chain, announced, where)


def _explain(holding: Holding, history: _History, agreed: int,
             on_chain: Callable[[int], int | None], announced: Announced | None,
             where: str) -> tuple[Status, str]:
    """Why the first block that differs differs: what the ledger and the chain each saw."""
    block = agreed + 1
    ledger_moved = history.at(holding, block) - history.at(holding, agreed)
    before, after = on_chain(agreed), on_chain(block)
    chain_moved = None if before is None or after is None else after - before
    scale = Decimal(1).scaleb(-holding.decimals)
    if ledger_moved == 0 and announced is not None and announced(holding, block) == 0:
        return Status.REBASING, (
            f"{where}: the balance moved by {Decimal(chain_moved or 0) * scale} with no "
            "Transfer event (a rebasing token; its growth is income once a decoder books it)")
    if chain_moved is not None and ledger_moved and chain_moved != ledger_moved \
            and (chain_moved > 0) == (ledger_moved > 0) and abs(chain_moved) != 0:
        return Status.MISMATCH, (
            f"{where}: its Transfer event says {Decimal(ledger_moved) * scale} but the balance "
            f"moved by {Decimal(chain_moved) * scale} (a fee-on-transfer token)")
    return Status.MISMATCH, f"{where}: a movement in block {block} is missing from the ledger"


def _first_block_where(holds: Callable[[int], bool], lo: int, hi: int) -> int:
    """The first block in [lo, hi] where `holds` became true for good (it holds at hi)."""
    if holds(lo):
        return lo
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if holds(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _last_block_where(holds: Callable[[int], bool], lo: int, hi: int) -> int:
    """The last block in [lo, hi) where `holds` is still true (it is false at hi)."""
    if not holds(lo):
        return lo - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if holds(mid):
            lo = mid
        else:
            hi = mid
    return lo
