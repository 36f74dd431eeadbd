"""Open positions: assets a wallet put into a contract that gave nothing back, and what
later comes back from it (DESIGN "position model").

A position is kept per (wallet, chain, counterparty, asset), and held in the ledger as its
own asset, `position_asset`: the contract keeps the wallet's balance, the ledger keeps a
receipt for it, so the lots carry their dates and basis into the position and back out. A
protocol decoder that knows a position (Compound v3 collateral) adds those receipt legs
itself. This module finds the others, from the classified legs of one chain, in time order:

- a deposit: the wallet's own transaction (`executors`) whose legs are only outflows that
  the generic rules made transfers out, each to a contract (an address that emitted an
  event or sent value in a transaction of the chain). It stays a transfer out unless
  something comes back from that contract
- a return: a transaction whose legs are only inflows, transfers in (someone else's
  transaction, or the wallet's own that matched no claim: `UNEXPLAINED`) from a contract
  holding a position of that asset for the wallet; a claim that contract paid of that asset
  (a reward event beside the withdrawal) is principal first too

At a return, the earliest deposits to that contract not yet in a position join it (each
with the rest of its transaction) until the position covers what came back. What comes back,
up to the position's principal, is a withdrawal; only the excess is income (protocol
`position`: interest in the income report). Deposits joined become `deposit` legs with the
position's receipt leg beside them, returns `withdraw` legs with the receipt going out: both
carry the basis by default (scanner.tax.treatment). A transaction changes wholly or not at
all: a return with one leg that no position covers is left as it is.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from chains.addresses import asset_contract
from scanner.ledger.classify import PROTOCOL_GENERIC, UNEXPLAINED
from scanner.ledger.records import Kind, LedgerEntry

POSITION = "position"  # the protocol of the legs this module books
_IN, _OUT, _INCOME = Kind.TRANSFER_IN, Kind.TRANSFER_OUT, Kind.INCOME

Key = tuple[str, str, str]  # wallet, counterparty, asset


def position_asset(chain_id: int, holder: str, asset: str) -> str:
    """The asset id of a wallet's position of `asset` (a token, or the native coin: id 0)
    with the contract `holder`: the contract keeps one balance per asset for the wallet, as
    an ERC-1155 keeps one per token id."""
    token = asset_contract(asset)
    return f"eip155:{chain_id}/erc1155:{holder}/{int(token, 16) if token else 0}"


def position_symbol(symbol: str | None) -> str:
    return f"{symbol or 'token'}-position"


@dataclass
class _Book:
    """The positions as the walk through the ledger leaves them."""

    pending: dict[Key, deque[int]]  # deposits not in a position yet, by leg index
    principal: dict[Key, int]  # what the positions hold, in base units
    joined: set[int]  # deposit legs now in a position
    returned: dict[int, tuple[int, int]]  # return leg -> (principal back, excess)


def open_positions(entries: Sequence[LedgerEntry], *,
                   executed_by: Mapping[str, Collection[str]],
                   contracts: Collection[str], own_wallets: Collection[str]) -> list[LedgerEntry]:
    """The entries with the deposits that something came back from, and those returns,
    booked as positions (see the module's docstring)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for index, entry in enumerate(entries):
        groups[entry.group_id].append(index)
    book = _Book(defaultdict(deque), defaultdict(int), set(), {})
    group_of: dict[int, list[int]] = {}
    for members in sorted(groups.values(), key=lambda m: _moment(entries[m[0]])):
        legs = [i for i in members if entries[i].kind not in (Kind.FEE, Kind.SPAM)]
        if _deposits(entries, legs, executed_by, contracts, own_wallets):
            for i in legs:
                group_of[i] = legs
                book.pending[_key(entries[i])].append(i)
        elif _returns(entries, legs):
            _take_back(entries, legs, book, group_of)
    if not book.joined and not book.returned:
        return list(entries)
    out: list[LedgerEntry] = []
    for index, entry in enumerate(entries):
        if index in book.joined:
            out.extend(_joined(entry))
        elif index in book.returned:
            out.extend(_returned(entry, *book.returned[index]))
        else:
            out.append(entry)
    return out


def _moment(entry: LedgerEntry) -> tuple[object, ...]:
    return (entry.timestamp, entry.block_number, entry.tx_index, entry.group_id)


def _key(entry: LedgerEntry) -> Key:
    return (entry.wallet, entry.counterparty or "", entry.asset)


# (kind, protocol) of the legs a return may be made of: transfers in the generic rules read,
# and claims; and of the legs a deposit is, joined to a position or not yet
RETURNING = ((_IN, PROTOCOL_GENERIC), (_IN, UNEXPLAINED), (_INCOME, PROTOCOL_GENERIC))
DEPOSITED = ((_OUT, PROTOCOL_GENERIC), (Kind.DEPOSIT, POSITION))


def may_return(entry: LedgerEntry) -> bool:
    """Whether the leg may bring back what a deposit put in a position (`_take_back`)."""
    return entry.raw_amount > 0 and entry.asset.count("/") == 1 and \
        (entry.kind, entry.protocol) in RETURNING


def may_deposit(entry: LedgerEntry) -> bool:
    """Whether the leg is a deposit once something comes back from its counterparty (a
    contract), in the wallet's own transaction."""
    return entry.raw_amount < 0 and entry.kind is _OUT and entry.protocol == PROTOCOL_GENERIC \
        and entry.asset.count("/") == 1


def _deposits(entries: Sequence[LedgerEntry], legs: list[int],
              executed_by: Mapping[str, Collection[str]], contracts: Collection[str],
              own_wallets: Collection[str]) -> bool:
    if not legs:
        return False
    first = entries[legs[0]]
    return first.wallet in executed_by.get(first.tx_hash, ()) and all(
        may_deposit(e := entries[i]) and e.counterparty in contracts
        and e.counterparty not in own_wallets for i in legs)


def _returns(entries: Sequence[LedgerEntry], legs: list[int]) -> bool:
    """Whether the legs are only inflows the generic rules read: transfers in, and claims
    (a contract that pays back a deposit may say it pays a reward beside it)."""
    return bool(legs) and all(may_return(entries[i]) for i in legs)


def _take_back(entries: Sequence[LedgerEntry], legs: list[int], book: _Book,
               group_of: Mapping[int, list[int]]) -> None:
    """Book the legs coming back against their positions: every transfer in, and a claim
    of the asset a position holds, or none of them."""
    backed = [i for i in legs
              if book.principal[_key(entries[i])] or book.pending[_key(entries[i])]]
    if not backed or any(entries[i].kind is _IN and i not in backed for i in legs):
        return
    for i in backed:
        key = _key(entries[i])
        amount = entries[i].raw_amount
        while book.principal[key] < amount and book.pending[key]:
            for j in group_of[book.pending[key][0]]:
                book.pending[_key(entries[j])].remove(j)
                book.principal[_key(entries[j])] += -entries[j].raw_amount
                book.joined.add(j)
        back = min(amount, book.principal[key])
        book.principal[key] -= back
        book.returned[i] = (back, amount - back)


def _receipt(entry: LedgerEntry, amount: int, kind: Kind) -> LedgerEntry:
    holder = entry.counterparty or ""
    return replace(entry, leg_key=f"{entry.leg_key}:position", kind=kind, protocol=POSITION,
                   asset=position_asset(entry.chain_id, holder, entry.asset),
                   symbol=position_symbol(entry.symbol), raw_amount=amount)


def _joined(entry: LedgerEntry) -> list[LedgerEntry]:
    return [replace(entry, kind=Kind.DEPOSIT, protocol=POSITION),
            _receipt(entry, -entry.raw_amount, Kind.DEPOSIT)]


def _returned(entry: LedgerEntry, back: int, excess: int) -> list[LedgerEntry]:
    out = []
    if back:
        out += [replace(entry, raw_amount=back, kind=Kind.WITHDRAW, protocol=POSITION),
                _receipt(entry, -back, Kind.WITHDRAW)]
    if excess:  # interest; a claim paid beside the principal stays a claim
        out.append(replace(entry, leg_key=entry.leg_key if not back else
                           f"{entry.leg_key}:interest", raw_amount=excess, kind=_INCOME,
                           protocol=entry.protocol if entry.kind is _INCOME else POSITION))
    return out


def is_position_leg(entry: LedgerEntry) -> bool:
    """Whether the leg moves a position's own asset (`position_asset`) in or out."""
    return entry.asset.startswith(f"eip155:{entry.chain_id}/erc1155:{entry.counterparty}/")


def position_story(entries: Iterable[LedgerEntry], leg: LedgerEntry,
                   kind: Kind | None = None) -> str | None:
    """What `taxscan explain` says of a leg in a position (or of a leg of `kind` beside
    it): the position, what went into it and came out of it before, and the leg's part."""
    holder = leg.counterparty or ""
    receipt = leg.asset if is_position_leg(leg) else \
        position_asset(leg.chain_id, holder, leg.asset)
    history = sorted((e for e in entries if e.asset == receipt and e.wallet == leg.wallet),
                     key=_moment)
    if not history:
        return None
    before = [e for e in history if _moment(e) < _moment(leg)]
    put = sum(e.raw_amount for e in before if e.raw_amount > 0)
    taken = -sum(e.raw_amount for e in before if e.raw_amount < 0)
    symbol = (history[0].symbol or "").removesuffix("-position") or "the asset"
    decimals = history[0].decimals
    held = f"position in {symbol} with {holder}: {_units(put, decimals)} put in and " \
        f"{_units(taken, decimals)} taken out before this transaction"
    kind = kind or leg.kind
    if kind is Kind.DEPOSIT:
        return f"{held}; this deposit adds to it"
    if kind is Kind.WITHDRAW:
        return f"{held}; this is principal coming back, basis carried"
    return f"{held}; this is what came back beyond the principal: income (interest)"


def _units(raw: int, decimals: int) -> str:
    return format(Decimal(raw).scaleb(-decimals).normalize(), "f") if raw else "0"
