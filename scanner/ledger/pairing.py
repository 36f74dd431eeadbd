"""Moves between your own accounts (scanned wallets and imported accounts), paired when the
ledger is read. A leg leaving one account pairs with a leg arriving at another: in one
transaction, or within a time window (PairingRules: an hour on one chain, a day from one
chain to another, as across a bridge); of the same asset, or of the same asset on another
chain (the registry's names: ETH on Ethereum and on Base, wstETH and its bridged copy); the
arrival short of what left by at most a tolerance (1%). Such a pair is a self transfer, so
the lots move with their dates and basis instead of leaving the books on one side and
starting afresh at fair value on the other. What did not arrive was spent on the way: a fee
leg of the sender, a disposal of that part of the coin, as gas is (DESIGN "Gas").

Each leg pairs at most once. Of the pairs possible, those of one transaction come first,
then the closest in quantity, then in time, then by the legs' ids: the result does not
depend on the order of the entries."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from chains.registry import asset_names
from scanner.ledger.decode.protocols.bridges import PREFIX as BRIDGE
from scanner.ledger.records import Kind, LedgerEntry
from scanner.money import split_usd, usd

_OUT, _IN, _SELF = Kind.TRANSFER_OUT, Kind.TRANSFER_IN, Kind.SELF_TRANSFER
PAIRED_KINDS = (_IN, _OUT, _SELF)  # the kinds of the legs pairing reads
FEE_PROTOCOL = "transfer-fee"  # the part of a move between own accounts that never arrived
MAX_TOLERANCE = Decimal("0.5")  # beyond it, what arrived is not what left less a fee


@dataclass(frozen=True)
class PairingRules:
    """How far apart in time, and how far short, a departure and an arrival may be."""

    same_chain: timedelta = timedelta(hours=1)
    cross_chain: timedelta = timedelta(hours=24)
    tolerance: Decimal = Decimal("0.01")  # the most of what left that may not arrive

    def __post_init__(self) -> None:
        if self.same_chain < timedelta(0) or self.cross_chain < timedelta(0):
            raise ValueError("a time window is not negative")
        if not Decimal(0) <= self.tolerance <= MAX_TOLERANCE:
            raise ValueError(f"the tolerance is a fraction from 0 to {MAX_TOLERANCE}")


DEFAULT_RULES = PairingRules()


def pair_own_transfers(entries: Sequence[LedgerEntry],
                       rules: PairingRules = DEFAULT_RULES) -> list[LedgerEntry]:
    """The entries with each pair made a self transfer (both legs name the departure in
    `transit`) and, when less arrived, the departure split into what arrived and a fee leg
    right before it (where gas comes). In one transaction the leg the chain recorded (it
    has a block) lends its moment to the other, whose file time is only a minute; across
    transactions, of two legs in the wrong order the one without a block takes the other's
    moment."""
    outs, ins = _candidates(entries)
    pairs = _pairs(entries, outs, ins, rules)
    if not pairs:
        return list(entries)
    changed: dict[int, list[LedgerEntry]] = {}
    for o, i in pairs:
        departure, arrival = _paired(entries[o], entries[i])
        changed[o] = _split(departure, arrival)
        changed[i] = [arrival]
    out: list[LedgerEntry] = []
    for index, entry in enumerate(entries):
        out.extend(changed.get(index, (entry,)))
    return out


def unpaired_arrivals(entries: Iterable[LedgerEntry]) -> list[LedgerEntry]:
    """The arrivals from outside your accounts (after pairing): each opens a lot at fair
    value on receipt, to be reviewed."""
    return [e for e in entries if e.kind is _IN and e.raw_amount > 0]


def unpaired_bridge_departures(entries: Iterable[LedgerEntry]) -> list[LedgerEntry]:
    """The legs that left through a bridge (protocol `bridge:<name>`) and met no arrival
    (after pairing): their lots left the books, the other chain's end not being scanned."""
    return [e for e in entries
            if e.kind is _OUT and e.raw_amount < 0 and e.protocol.startswith(BRIDGE)]


def left_unpaired(entries: Sequence[LedgerEntry],
                  rules: PairingRules = DEFAULT_RULES) -> list[LedgerEntry]:
    """The entries `pair_own_transfers` pairs with none, as they are: what the two lists
    above find among its result, found without making the pairs."""
    outs, ins = _candidates(entries)
    paired = {n for pair in _pairs(entries, outs, ins, rules) for n in pair}
    return [entry for n, entry in enumerate(entries) if n not in paired]


def _candidates(entries: Sequence[LedgerEntry]) -> tuple[list[int], list[int]]:
    """Departures and arrivals that may pair: transfers out and in, and self transfers
    without their other half in the same transaction (read back from an exported ledger)."""
    halves: dict[tuple[str, str], set[bool]] = {}
    for entry in entries:
        if entry.kind is _SELF:
            halves.setdefault((entry.tx_hash, entry.asset), set()).add(entry.raw_amount > 0)
    outs: list[int] = []
    ins: list[int] = []
    for index, entry in enumerate(entries):
        kind = entry.kind
        if entry.transit is not None or kind not in (_OUT, _IN, _SELF):
            continue
        if kind is _SELF and len(halves[(entry.tx_hash, entry.asset)]) == 2:
            continue
        (ins if entry.raw_amount > 0 else outs).append(index)
    return outs, ins


def may_pair_across(before: Sequence[LedgerEntry], after: Sequence[LedgerEntry],
                    rules: PairingRules = DEFAULT_RULES) -> bool:
    """Whether a leg of `before` and one of `after` could be one move: if not, pairing
    both together pairs each as alone (each leg's pair is chosen among the pairs it could
    make, best first). `before` must hold every leg that could pair with one of `after`
    (those within the longer window, and those of their transactions)."""
    entries = [*before, *after]
    outs, ins = _candidates(entries)
    split = len(before)
    return any((o < split) != (i < split) for _, o, i in _scored(entries, outs, ins, rules))


def _pairs(entries: Sequence[LedgerEntry], outs: list[int], ins: list[int],
           rules: PairingRules) -> list[tuple[int, int]]:
    used: set[int] = set()
    pairs = []
    for _, o, i in sorted(_scored(entries, outs, ins, rules)):
        if o not in used and i not in used:
            used.update((o, i))
            pairs.append((o, i))
    return pairs


def _scored(entries: Sequence[LedgerEntry], outs: list[int], ins: list[int],
            rules: PairingRules) -> list[tuple[tuple[object, ...], int, int]]:
    """Every pair a departure and an arrival could make, with its rank."""
    names = asset_names()
    by_tx: dict[str, list[int]] = {}
    by_asset: dict[str, list[tuple[datetime, int]]] = {}
    by_name: dict[str, list[tuple[datetime, int]]] = {}
    for i in ins:
        arrival = entries[i]
        if arrival.tx_hash.startswith("0x"):
            by_tx.setdefault(arrival.tx_hash, []).append(i)
        by_asset.setdefault(arrival.asset, []).append((arrival.timestamp, i))
        if arrival.asset in names:
            by_name.setdefault(names[arrival.asset], []).append((arrival.timestamp, i))
    for index in (by_asset, by_name):
        for listed in index.values():
            listed.sort()
    scored: list[tuple[tuple[object, ...], int, int]] = []
    for o in outs:
        departure = entries[o]
        found = {i: entries[i].chain_id == departure.chain_id
                 for i in by_tx.get(departure.tx_hash, ())}
        for i in _near(by_asset.get(departure.asset, []), departure.timestamp,
                       rules.same_chain):
            found.setdefault(i, False)
        name = names.get(departure.asset)
        if name is not None:
            for i in _near(by_name.get(name, []), departure.timestamp, rules.cross_chain):
                if entries[i].chain_id != departure.chain_id:
                    found.setdefault(i, False)
        for i, one_tx in found.items():
            score = _score(departure, entries[i], one_tx, names, rules)
            if score is not None:
                scored.append((score, o, i))
    return scored


def _near(listed: list[tuple[datetime, int]], moment: datetime,
          window: timedelta) -> Iterator[int]:
    start = bisect.bisect_left(listed, (moment - window, -1))
    for when, i in listed[start:]:
        if when > moment + window:
            return
        yield i


def _score(departure: LedgerEntry, arrival: LedgerEntry, one_tx: bool,
           names: dict[str, str], rules: PairingRules) -> tuple[object, ...] | None:
    """The pair's rank (lower first), or None when the two cannot be one move."""
    if (departure.chain_id, departure.wallet) == (arrival.chain_id, arrival.wallet) \
            or (departure.kind is _SELF) != (arrival.kind is _SELF):
        return None
    if departure.asset != arrival.asset and (
            departure.chain_id == arrival.chain_id
            or names.get(departure.asset) != names.get(arrival.asset)):
        return None
    sent, got = -departure.quantity, arrival.quantity
    if got > sent or got < sent * (1 - rules.tolerance):
        return None
    apart = arrival.timestamp - departure.timestamp
    if not one_tx:
        window = rules.same_chain if departure.asset == arrival.asset else rules.cross_chain
        on_chain = departure.block_number > 0 and arrival.block_number > 0
        if abs(apart) > window or (on_chain and _moment(arrival) < _moment(departure)):
            return None
    return (not one_tx, (sent - got) / sent, abs(apart), _ident(departure), _ident(arrival))


def _moment(entry: LedgerEntry) -> tuple[datetime, int, int]:
    """Where the lot engine takes the leg up (scanner.tax.lots orders groups so)."""
    return entry.timestamp, entry.block_number, entry.tx_index


def _ident(entry: LedgerEntry) -> tuple[int, str, str, str]:
    return entry.chain_id, entry.tx_hash, entry.wallet, entry.leg_key


def _paired(departure: LedgerEntry, arrival: LedgerEntry) -> tuple[LedgerEntry, LedgerEntry]:
    """Both legs as self transfers naming the departure, at moments in the right order."""
    transit = ":".join(map(str, _ident(departure)))
    departure = replace(departure, kind=_SELF, transit=transit)
    arrival = replace(arrival, kind=_SELF, transit=transit)
    if departure.tx_hash == arrival.tx_hash:
        anchor = arrival if arrival.block_number > departure.block_number else departure
        return _at(departure, anchor), _at(arrival, anchor)
    if _moment(arrival) < _moment(departure):  # a file's time: one of them has no block
        if arrival.block_number == 0:
            return departure, _at(arrival, departure)
        return _at(departure, arrival), arrival
    return departure, arrival


def _at(entry: LedgerEntry, anchor: LedgerEntry) -> LedgerEntry:
    return replace(entry, timestamp=anchor.timestamp, block_number=anchor.block_number,
                   tx_index=anchor.tx_index)


def _split(departure: LedgerEntry, arrival: LedgerEntry) -> list[LedgerEntry]:
    """A fee leg of what did not arrive, if anything, and the departure as what arrived: the
    quantities in the finer of the two legs' decimals, the departure's value shared between
    them (else the arrival's value, by quantity)."""
    places = max(departure.decimals, arrival.decimals)
    sent = -departure.raw_amount * 10 ** (places - departure.decimals)
    got = arrival.raw_amount * 10 ** (places - arrival.decimals)
    if got == sent:
        return [departure]
    value, source = departure.usd_value, departure.price_source
    if value is not None:
        moved, spent = split_usd(value, [Decimal(got), Decimal(sent - got)])
    elif arrival.usd_value is not None:
        value, source = arrival.usd_value, arrival.price_source
        moved, spent = value, usd(value * (sent - got) / got)
    else:
        moved = spent = None
    fee = replace(departure, leg_key=f"{departure.leg_key}:fee", kind=Kind.FEE,
                  protocol=FEE_PROTOCOL, raw_amount=got - sent, decimals=places,
                  usd_value=spent, price_source=source if spent is not None else None,
                  transit=None)
    return [fee, replace(departure, raw_amount=-got, decimals=places, usd_value=moved,
                         price_source=source if moved is not None else None)]
