"""Compound v3 (Comet): the base asset supplied for the market's own token and withdrawn,
borrowed and repaid; collateral supplied and withdrawn.

Scope: a Comet is a contract emitting these events for the wallet (fixed layout, sliced from
the log's bytes). Supplying and withdrawing the base asset are recognized wherever the
emitter also minted (burned) its own token to (from) the wallet; a borrow or a repayment,
which moves no such token, only at the chain's known markets (roles `compound-v3:*` in
chains.registry), where no other contract can speak for a Comet:

- Supply(address indexed from, address indexed dst, uint256 amount)       0xd1cf3d15...424e
- Withdraw(address indexed src, address indexed to, uint256 amount)       0x9b1bfa7f...d8eb
- SupplyCollateral(address indexed from, address indexed dst, address indexed asset,
                   uint256 amount)                                         0xfa56f7b2...e1f4
- WithdrawCollateral(address indexed src, address indexed to, address indexed asset,
                     uint256 amount)                                       0xd6d480d5...9e16

The wallet is dst (a supply) or src = to (a withdrawal); one asset moves for it, of the
event's amount (the native coin, where the Bulker wrapped or unwrapped it). Kinds, for
every non-fee leg of the wallet:

- supply:   Supply, and the market's token minted to the wallet for it: the base asset into
  its receipt (the balance grows with interest: a rebasing token)
- withdraw: Withdraw, and the market's token burned for it
- repay:    Supply at a known market with no token minted: the wallet's debt paid back
- borrow:   Withdraw at a known market with no token burned: a loan, not income
- deposit:  SupplyCollateral: the collateral into an open position with the market, held as
  the position's own asset (scanner.ledger.positions.position_asset), basis carried
- withdraw: WithdrawCollateral: the position's asset back into the collateral

The market's token is computed from principal and rounds down: a mint (burn) within
`ROUNDING` base units of the amount is the whole of it. At a known market, a supply that repays
part of a debt and supplies the rest (or a withdrawal that borrows part) is split in two
legs: the part the minted (burned) token stands for, and the loan's part. Anything with more
moving is left to other rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chains.addresses import erc20_asset
from chains.evm.abi import TRANSFER, ZERO_ADDRESS, data_words, topic_address
from chains.evm.records import RawLog, RawTx
from scanner.ledger.decode.protocols import DecodeContext, Refinement, event_leg
from scanner.ledger.positions import position_asset, position_symbol
from scanner.ledger.records import Kind, Movement

MARKET_ROLE = "compound-v3:"  # roles "compound-v3:<market>" in chains.registry
SUPPLY = "0xd1cf3d156d5f8f0d50f6c122ed609cec09d35c9b9fb3fff6ea0959134dae424e"
WITHDRAW = "0x9b1bfa7fa9ee420a16e124f794c35ac9f90472acc99140eb2f6447c714cad8eb"
SUPPLY_COLLATERAL = "0xfa56f7b24f17183d81894d3ac2ee654e3c26388d17a28dbd9549b8114304e1f4"
WITHDRAW_COLLATERAL = "0xd6d480d5b3068db003533b170d67561494d72e3bf9fa40a266471351ebba9e16"
PROTOCOL = "compound-v3"
ROUNDING = 2  # base units a present value may fall short of the amount by
_TOPICS = {SUPPLY: 3, WITHDRAW: 3, SUPPLY_COLLATERAL: 4, WITHDRAW_COLLATERAL: 4}
_INTO = frozenset({SUPPLY, SUPPLY_COLLATERAL})
_NOTES = {
    Kind.SUPPLY: "Compound v3 Supply: the base asset for the market's token",
    Kind.WITHDRAW: "Compound v3 Withdraw: the market's token given back for the base asset",
    Kind.REPAY: "Compound v3 Supply with no token minted: a loan paid back, not a sale",
    Kind.BORROW: "Compound v3 Withdraw with no token burned: a loan received, not income",
}


@dataclass(frozen=True)
class CometEvent:
    log_index: int
    comet: str
    topic: str
    owner: str  # dst of a supply, src of a withdrawal
    receiver: str  # to of a withdrawal; the owner for a supply
    collateral: str | None  # the asset of a collateral event
    amount: int


def comet_event(log: RawLog) -> CometEvent | None:
    """A Comet's Supply, Withdraw, SupplyCollateral or WithdrawCollateral, or None."""
    if not log.topics or log.topics[0] not in _TOPICS or len(log.topics) != _TOPICS[
            log.topics[0]]:
        return None
    words = data_words(log.data)
    parties = tuple(a for a in map(topic_address, log.topics[1:]) if a is not None)
    if words is None or len(words) != 1 or len(parties) != len(log.topics) - 1:
        return None
    topic = log.topics[0]
    into = topic in _INTO
    return CometEvent(log.log_index, log.address, topic, parties[1] if into else parties[0],
                      parties[1], parties[2] if len(parties) == 3 else None, words[0])


class CompoundV3Decoder:
    name = "compound-v3"

    def refine(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
               context: DecodeContext) -> Refinement | None:
        if not tx.success or not moves:
            return None
        events = [e for e in map(comet_event, tx.logs)
                  if e is not None and e.owner == wallet and e.amount]
        if len(events) != 1 or (events[0].topic not in _INTO and events[0].receiver != wallet):
            return None  # not the wallet's, several actions, or paid out to another
        event = events[0]
        token = erc20_asset(context.chain_id, event.comet)
        others = _net(m for m in moves if m.asset != token)
        sign = -1 if event.topic in _INTO else 1
        if len(others) != 1 or next(iter(others.values())) != sign * event.amount:
            return None
        if event.collateral is not None:
            return self._collateral(tx, wallet, moves, event, context)
        known = event.comet in {a for role, a in context.contracts.items()
                                if role.startswith(MARKET_ROLE)}
        receipt = _net(m for m in moves if m.asset == token).get(token, 0)
        if receipt * sign < 0 and abs(event.amount - abs(receipt)) <= ROUNDING:
            kind = Kind.SUPPLY if sign < 0 else Kind.WITHDRAW
        elif receipt == 0 and known:
            kind = Kind.REPAY if sign < 0 else Kind.BORROW
        elif receipt * sign < 0 and known:
            return self._in_two(tx, wallet, moves, event, token, abs(receipt))
        else:
            return None
        return Refinement(decoder=self.name, kinds={m.leg_key: kind for m in moves},
                          protocol=PROTOCOL, note=f"{_NOTES[kind]} ({event.comet})")

    def _in_two(self, tx: RawTx, wallet: str, moves: Sequence[Movement], event: CometEvent,
                token: str, receipt: int) -> Refinement | None:
        """A supply that pays back a loan first and supplies the rest for the market's
        token (or a withdrawal that borrows beyond the supply burned): the base asset's leg
        in two, the part the token stands for and the loan's part."""
        base = [m for m in moves if m.asset != token]
        if len(base) != 1 or receipt >= event.amount:
            return None
        leg, = base
        into = event.topic in _INTO
        sign = -1 if into else 1
        mine, loan = (Kind.SUPPLY, Kind.REPAY) if into else (Kind.WITHDRAW, Kind.BORROW)
        part = event_leg(tx, wallet, event.log_index, leg.asset, sign * receipt,
                         leg.decimals, leg.counterparty, key=leg.leg_key)
        rest = event_leg(tx, wallet, event.log_index, leg.asset,
                         sign * (event.amount - receipt), leg.decimals, leg.counterparty,
                         key=f"{leg.leg_key}:{loan.value}")
        kinds = {m.leg_key: mine for m in moves if m.asset == token}
        kinds.update({part.leg_key: mine, rest.leg_key: loan})
        return Refinement(decoder=self.name, kinds=kinds, protocol=PROTOCOL,
                          extra=(part, rest), drop=frozenset({leg.leg_key}),
                          note=f"{_NOTES[mine]}; {_NOTES[loan]} ({event.comet})")

    def _collateral(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
                    event: CometEvent, context: DecodeContext) -> Refinement:
        collateral = erc20_asset(context.chain_id, event.collateral or "")
        template = moves[0]
        position = position_asset(context.chain_id, event.comet, collateral)
        into = event.topic == SUPPLY_COLLATERAL
        leg = event_leg(tx, wallet, event.log_index, position,
                        event.amount if into else -event.amount, template.decimals,
                        event.comet)
        info = context.tokens.get(event.collateral or "")
        symbol = position_symbol(info.symbol if info else None)
        kind = Kind.DEPOSIT if into else Kind.WITHDRAW
        note = (f"Compound v3 SupplyCollateral: the collateral into an open position with "
                f"{event.comet}, held as {symbol}" if into else
                f"Compound v3 WithdrawCollateral: {symbol} back into the collateral from "
                f"{event.comet}")
        return Refinement(decoder=self.name,
                          kinds={m.leg_key: kind for m in [*moves, leg]}, protocol=PROTOCOL,
                          extra=(leg,), note=note, symbols={position: symbol})


def _net(moves: Iterable[Movement]) -> dict[str, int]:
    net: dict[str, int] = defaultdict(int)
    for move in moves:
        net[move.asset] += move.raw_amount
    return {asset: amount for asset, amount in net.items() if amount}


def supplied_comets(tx: RawTx, wallet: str) -> set[str]:
    """The Comets (lowercase addresses) `wallet` supplied the base asset to in `tx` and got
    their token for: its balance grows with interest and no Transfer, so it is read as a
    rebasing token's."""
    if not tx.success:
        return set()
    supplied = {e.comet for e in map(comet_event, tx.logs)
                if e is not None and e.topic == SUPPLY and e.owner == wallet}
    return {log.address for log in tx.logs
            if log.address in supplied and len(log.topics) == 3 and log.topics[0] == TRANSFER
            and topic_address(log.topics[1]) == ZERO_ADDRESS
            and topic_address(log.topics[2]) == wallet}
