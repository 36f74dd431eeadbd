"""StakingRewards contracts (Synthetix's design, copied by many farms), and the gauges and
reward pools of the same shape (Curve's gauges, Convex's reward pools): a token staked in the
contract earns a reward token.

Scope: any contract emitting these events (fixed layout, sliced from the log's bytes) for
the wallet, where the wallet's legs in the transaction are exactly the ones they announce:

- Staked(address indexed user, uint256 amount)        0x9e71bc8e...5f3d
- Deposit(address indexed provider, uint256 value)    0xe1fffcc4...109c  (a Curve gauge)
- Withdrawn(address indexed user, uint256 amount)     0x7084f547...05d5
- Withdraw(address indexed provider, uint256 value)   0x884edad9...4364  (a Curve gauge)
- RewardPaid(address indexed user, uint256 reward)    0xe2403640...0486

The contract keeps the balance (`balanceOf`), so the stake is held as a receipt: the
contract's own asset (`eip155:<chain>/erc20:<contract>`), in the staked token's units; when
the contract also minted (burned) it with a Transfer event, that leg is the receipt, else one
is added, with the contract's symbol, or the staked token's and `-farm` (DAI-farm). Kinds,
for every non-fee leg of the wallet:

- Staked, Deposit: the token out to the contract and the receipt in: stake (the basis and
  dates carry over by default)
- Withdrawn, Withdraw: the receipt out and the token back from the contract: unstake
- RewardPaid: the reward from the contract: income (kind `reward` in the income report)
- exit() does a Withdrawn and a RewardPaid in one transaction: both readings at once

An event with no leg of the wallet to or from its contract (an extra reward pool that only
counts the stake, or a stake a router made for the wallet) says nothing here; the others
must account for every leg.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chains.addresses import erc20_asset
from chains.evm.abi import data_words, topic_address
from chains.evm.records import RawLog, RawTx
from scanner.ledger.decode.protocols import (
    DecodeContext,
    Refinement,
    event_leg,
    receipt_symbol,
)
from scanner.ledger.records import Kind, Movement

STAKED = "0x9e71bc8eea02a63969f509818f2dafb9254532904319f9dbda79b67bd34a5f3d"
WITHDRAWN = "0x7084f5476618d8e60b11ef0d7d3f06914655adb8793e28ff7f018d4c76d505d5"
REWARD_PAID = "0xe2403640ba68fed3a2f88b7557551d1993f84b99bb10ff833f0cf8db0c5e0486"
GAUGE_DEPOSIT = "0xe1fffcc4923d04b559f4d29a8bfc6cda04eb5b0d3c460751c2402c5c5cc9109c"
GAUGE_WITHDRAW = "0x884edad9ce6fa2440d8a54cc123490eb96d2768479d49ff9c7366125a9424364"
PROTOCOL = "staking-rewards"
_TOPICS = frozenset({STAKED, WITHDRAWN, REWARD_PAID, GAUGE_DEPOSIT, GAUGE_WITHDRAW})
_INTO = frozenset({STAKED, GAUGE_DEPOSIT})
_OUT_OF = frozenset({WITHDRAWN, GAUGE_WITHDRAW})


@dataclass(frozen=True)
class FarmEvent:
    log_index: int
    contract: str
    topic: str
    amount: int


def farm_event(log: RawLog, wallet: str) -> FarmEvent | None:
    """A Staked, Deposit, Withdrawn, Withdraw or RewardPaid naming `wallet`, or None."""
    if not log.topics or log.topics[0] not in _TOPICS or len(log.topics) != 2 \
            or topic_address(log.topics[1]) != wallet:
        return None
    words = data_words(log.data)
    if words is None or len(words) != 1 or not words[0]:
        return None
    return FarmEvent(log.log_index, log.address, log.topics[0], words[0])


class StakingRewardsDecoder:
    name = "staking-rewards"

    def refine(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
               context: DecodeContext) -> Refinement | None:
        if not tx.success or not moves:
            return None
        events = [e for e in (farm_event(log, wallet) for log in tx.logs) if e is not None]
        left = list(moves)
        kinds: dict[str, Kind] = {}
        extra: list[Movement] = []
        symbols: dict[str, str] = {}
        read: list[FarmEvent] = []
        for event in events:
            # the leg the event announces: that amount, to or from the contract
            sign = -1 if event.topic in _INTO else 1
            leg = next((m for m in left if m.counterparty == event.contract
                        and m.raw_amount == sign * event.amount), None)
            if leg is None:
                continue
            left.remove(leg)
            read.append(event)
            if event.topic == REWARD_PAID:
                kinds[leg.leg_key] = Kind.INCOME
                continue
            kind = Kind.STAKE if event.topic in _INTO else Kind.UNSTAKE
            receipt_asset = erc20_asset(context.chain_id, event.contract)
            receipt = next((m for m in left if m.asset == receipt_asset
                            and m.raw_amount == -leg.raw_amount), None)
            if receipt is None:
                receipt = _receipt(tx, wallet, event, leg, context.chain_id)
                extra.append(receipt)
                symbols[receipt.asset] = receipt_symbol(event.contract, leg.asset, context, "farm",
                                                          "farm-receipt")
            else:
                left.remove(receipt)
            kinds[leg.leg_key] = kinds[receipt.leg_key] = kind
        if not read or left:
            return None  # not the wallet's, or something else moved too
        notes = {STAKED: "staked in the contract, held as its receipt",
                 GAUGE_DEPOSIT: "deposited in the gauge, held as its receipt",
                 WITHDRAWN: "the stake taken back", GAUGE_WITHDRAW: "the deposit taken back",
                 REWARD_PAID: "the reward paid: income"}
        contracts = ", ".join(dict.fromkeys(e.contract for e in read))
        note = f"StakingRewards ({contracts}): " + "; ".join(
            dict.fromkeys(notes[e.topic] for e in read))
        return Refinement(decoder=self.name, kinds=kinds, protocol=PROTOCOL, extra=tuple(extra),
                          note=note, symbols=symbols)


def _receipt(tx: RawTx, wallet: str, event: FarmEvent, leg: Movement,
             chain_id: int) -> Movement:
    """The stake as the contract's own asset: in for a Staked, out for a Withdrawn."""
    return event_leg(tx, wallet, event.log_index, erc20_asset(chain_id, event.contract),
                     -leg.raw_amount, leg.decimals, event.contract)
