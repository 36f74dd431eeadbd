"""StakingRewards contracts (Synthetix's design, copied by many farms): a token staked in the
contract earns a reward token.

Scope: any contract emitting these events (fixed layout, sliced from the log's bytes) for
the wallet, where the wallet's legs in the transaction are exactly the ones they announce:

- Staked(address indexed user, uint256 amount)       0x9e71bc8e...5f3d
- Withdrawn(address indexed user, uint256 amount)    0x7084f547...05d5
- RewardPaid(address indexed user, uint256 reward)   0xe2403640...0486

The contract issues no token for a stake, but it keeps the balance (`balanceOf`), so the
stake is held as a receipt: the contract's own asset (`eip155:<chain>/erc20:<contract>`), in
the staked token's units, with the staked token's symbol and `-farm` (DAI-farm). Kinds,
for every non-fee leg of the wallet:

- Staked: the token out to the contract and the receipt in: stake (the basis and dates carry
  over by default)
- Withdrawn: the receipt out and the token back from the contract: unstake
- RewardPaid: the reward from the contract: income (kind `reward` in the income report)
- exit() does a Withdrawn and a RewardPaid in one transaction: both readings at once
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chains.addresses import asset_contract, erc20_asset
from chains.evm.abi import data_words, topic_address
from chains.evm.records import RawLog, RawTx
from scanner.ledger.decode.protocols import DecodeContext, Refinement, event_leg
from scanner.ledger.records import Kind, Movement

STAKED = "0x9e71bc8eea02a63969f509818f2dafb9254532904319f9dbda79b67bd34a5f3d"
WITHDRAWN = "0x7084f5476618d8e60b11ef0d7d3f06914655adb8793e28ff7f018d4c76d505d5"
REWARD_PAID = "0xe2403640ba68fed3a2f88b7557551d1993f84b99bb10ff833f0cf8db0c5e0486"
PROTOCOL = "staking-rewards"
_TOPICS = frozenset({STAKED, WITHDRAWN, REWARD_PAID})


@dataclass(frozen=True)
class FarmEvent:
    log_index: int
    contract: str
    topic: str
    amount: int


def farm_event(log: RawLog, wallet: str) -> FarmEvent | None:
    """A Staked, Withdrawn or RewardPaid naming `wallet`, or None."""
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
        if not events or len({e.contract for e in events}) != 1:
            return None
        contract = events[0].contract
        left = list(moves)
        kinds: dict[str, Kind] = {}
        extra: list[Movement] = []
        symbols: dict[str, str] = {}
        for event in events:
            # the leg the event announces: that amount, to or from the contract
            sign = -1 if event.topic == STAKED else 1
            leg = next((m for m in left if m.counterparty == contract
                        and m.raw_amount == sign * event.amount), None)
            if leg is None:
                return None
            left.remove(leg)
            if event.topic == REWARD_PAID:
                kinds[leg.leg_key] = Kind.INCOME
                continue
            kind = Kind.STAKE if event.topic == STAKED else Kind.UNSTAKE
            receipt = _receipt(tx, wallet, event, leg, context.chain_id)
            extra.append(receipt)
            symbols[receipt.asset] = _receipt_symbol(leg.asset, context)
            kinds[leg.leg_key] = kinds[receipt.leg_key] = kind
        if left:
            return None  # something else moved too
        notes = {STAKED: "staked in the contract, held as its receipt",
                 WITHDRAWN: "the stake taken back", REWARD_PAID: "the reward paid: income"}
        note = "StakingRewards: " + "; ".join(dict.fromkeys(notes[e.topic] for e in events))
        return Refinement(decoder=self.name, kinds=kinds, protocol=PROTOCOL, extra=tuple(extra),
                          note=note, symbols=symbols)


def _receipt_symbol(staked: str, context: DecodeContext) -> str:
    """The receipt's symbol, the staked token's with `-farm` (the contract has none)."""
    info = context.tokens.get(asset_contract(staked) or "")
    return f"{info.symbol}-farm" if info and info.symbol else "farm-receipt"


def _receipt(tx: RawTx, wallet: str, event: FarmEvent, leg: Movement,
             chain_id: int) -> Movement:
    """The stake as the contract's own asset: in for a Staked, out for a Withdrawn."""
    return event_leg(tx, wallet, event.log_index, erc20_asset(chain_id, event.contract),
                     -leg.raw_amount, leg.decimals, event.contract)
