"""Convex: Curve LP tokens deposited in the Booster for its deposit token, that token staked
in a reward pool, cvxCRV and CVX staked, and the rewards the pools pay.

Scope: the registry's contracts (chains.deployments: `convex:booster`, `convex:cvx`, and the
staking pools `convex:cvxcrv-rewards` and `convex:cvx-rewards`), or a config entry's. The
Booster's reward pools are too many to list: a pool is Convex's when its event stands beside
the Booster's in the transaction, or when its RewardPaid comes with CVX minted to the wallet
(only the Booster's pools have CVX minted for their rewards). Events (fixed layout, sliced):

- Deposited(address indexed user, uint256 indexed poolid, uint256 amount)  0x73a19dd2...88ca
- Withdrawn(address indexed user, uint256 indexed poolid, uint256 amount)  0x92ccf450...ebc6
  (the Booster's)
- Staked(address indexed user, uint256 amount)                             0x9e71bc8e...5f3d
- Withdrawn(address indexed user, uint256 amount)                          0x7084f547...05d5
- RewardPaid(address indexed user, uint256 reward)                         0xe2403640...0486
  (a reward pool's, as StakingRewards')

The Booster's deposit token is the receipt of a deposit (minted to the wallet); staked in a
reward pool, which keeps the balance, the receipt is the pool's own asset
(`eip155:<chain>/erc20:<pool>`), added from its Staked or Withdrawn, with the pool's symbol
or the staked token's and `-farm`. The pool that keeps the stake is the one a token moved to
or from in the transaction; extra reward pools that only count it say nothing. Kinds, for
every non-fee leg of the wallet:

- deposit:  Booster Deposited (the LP token out, the deposit token minted or staked for the
  wallet), or Staked (the token out to the pool): basis carried
- withdraw: Booster Withdrawn (the LP token back, the deposit token burned or the stake
  withdrawn from its pool), or Withdrawn (the token back from the pool)
- income:   RewardPaid (the reward from the pool), and CVX minted to the wallet beside it

Left to other rules: a stake in a Booster pool with nothing else of Convex in the
transaction (the StakingRewards reading), the stkcvxCRV wrapper (the receipt shape), CRV
converted to cvxCRV (a trade), vote-locked CVX.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chains.addresses import erc20_asset
from chains.evm.abi import ZERO_ADDRESS, data_words, topic_address
from chains.evm.records import RawTx
from scanner.ledger.decode.protocols import (
    DecodeContext,
    Refinement,
    event_leg,
    receipt_symbol,
)
from scanner.ledger.decode.protocols.staking_rewards import REWARD_PAID, STAKED, WITHDRAWN
from scanner.ledger.decode.transfers import token_transfers
from scanner.ledger.records import Kind, Movement

PROTOCOL = "convex"
BOOSTER_ROLE = "convex:booster"
CVX_ROLE = "convex:cvx"
STAKING_ROLES = ("convex:cvxcrv-rewards", "convex:cvx-rewards")
DEPOSITED = "0x73a19dd210f1a7f902193214c0ee91dd35ee5b4d920cba8d519eca65a7b488ca"
BOOSTER_WITHDRAWN = "0x92ccf450a286a957af52509bc1c9939d1a6a481783e142e41e2499f0bb66ebc6"
_POOL_TOPICS = frozenset({STAKED, WITHDRAWN, REWARD_PAID})


@dataclass(frozen=True)
class ConvexEvent:
    log_index: int
    contract: str
    topic: str
    amount: int


def convex_events(tx: RawTx, wallet: str, boosters: frozenset[str]) -> list[ConvexEvent]:
    """The Booster's Deposited and Withdrawn, and any contract's Staked, Withdrawn and
    RewardPaid, naming `wallet`."""
    found = []
    for log in tx.logs:
        topics = log.topics
        if not topics or len(topics) < 2 or topic_address(topics[1]) != wallet:
            continue
        booster = topics[0] in (DEPOSITED, BOOSTER_WITHDRAWN) and len(topics) == 3 \
            and log.address in boosters
        if not booster and not (topics[0] in _POOL_TOPICS and len(topics) == 2):
            continue
        words = data_words(log.data)
        if words is not None and len(words) == 1 and words[0]:
            found.append(ConvexEvent(log.log_index, log.address, topics[0], words[0]))
    return found


class ConvexDecoder:
    name = "convex"

    def refine(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
               context: DecodeContext) -> Refinement | None:
        if not tx.success or not moves:
            return None
        boosters = context.addresses(BOOSTER_ROLE)
        events = convex_events(tx, wallet, boosters)
        cvx = {erc20_asset(context.chain_id, a)
               for a in context.addresses(CVX_ROLE)}
        staking = {a for role in STAKING_ROLES for a in context.addresses(role)}
        cvx_minted = [m for m in moves if m.asset in cvx and m.raw_amount > 0
                      and m.counterparty == ZERO_ADDRESS]
        if not any(e.contract in boosters or e.contract in staking
                   or (e.topic == REWARD_PAID and cvx_minted) for e in events):
            return None
        reading = _Reading(tx, wallet, context, list(moves))
        keeping = _keepers(tx)
        pool_events = [e for e in events if e.contract not in boosters]
        for event in (e for e in events if e.contract in boosters):
            reading.booster(event, [e for e in pool_events if e.contract in keeping])
        for event in pool_events:
            if event.log_index not in reading.used:
                reading.pool(event)
        if reading.kinds and any(k is Kind.INCOME for k in reading.kinds.values()):
            for leg in cvx_minted:
                if leg in reading.left:
                    reading.take(leg, Kind.INCOME)
        if reading.left or not reading.kinds:
            return None
        return Refinement(decoder=self.name, kinds=reading.kinds, protocol=PROTOCOL,
                          extra=tuple(reading.extra), note="Convex: " + "; ".join(
                              dict.fromkeys(reading.notes)), symbols=reading.symbols)


def _keepers(tx: RawTx) -> frozenset[str]:
    """The addresses a token moved to or from in the transaction (a reward pool keeping a
    stake receives it or gives it back; an extra reward pool only counts it)."""
    return frozenset(a for log in tx.logs for item in token_transfers(log)
                     for a in (item.sender, item.recipient))


class _Reading:
    """The wallet's legs as the events claim them, one event at a time."""

    def __init__(self, tx: RawTx, wallet: str, context: DecodeContext,
                 left: list[Movement]) -> None:
        self.tx, self.wallet, self.context, self.left = tx, wallet, context, left
        self.kinds: dict[str, Kind] = {}
        self.extra: list[Movement] = []
        self.symbols: dict[str, str] = {}
        self.notes: list[str] = []
        self.used: set[int] = set()  # the pool events read

    def take(self, leg: Movement, kind: Kind) -> None:
        self.left.remove(leg)
        self.kinds[leg.leg_key] = kind

    def find(self, amount: int, counterparty: str | None = None,
             asset: str | None = None) -> Movement | None:
        return next((m for m in self.left if m.raw_amount == amount
                     and (counterparty is None or m.counterparty == counterparty)
                     and (asset is None or m.asset == asset)), None)

    def booster(self, event: ConvexEvent, pools: Sequence[ConvexEvent]) -> None:
        """Deposited: the LP token out, the deposit token in (minted, or staked in a pool);
        Withdrawn: the LP token back, the deposit token out (burned, or a pool's stake)."""
        into = event.topic == DEPOSITED
        sign = -1 if into else 1
        lp = self.find(sign * event.amount)
        if lp is None:
            return
        token = self.find(-sign * event.amount, ZERO_ADDRESS)  # minted or burned
        kind = Kind.DEPOSIT if into else Kind.WITHDRAW
        if token is not None and token.asset != lp.asset:
            self.take(lp, kind)
            self.take(token, kind)
        else:
            topic = STAKED if into else WITHDRAWN
            pool = next((e for e in pools if e.topic == topic and e.amount == event.amount
                         and e.log_index not in self.used), None)
            if pool is None:
                return
            self.take(lp, kind)
            self._receipt(pool, lp, kind)
        self.notes.append(f"{'deposit into' if into else 'withdrawal from'} the Booster "
                          f"{event.contract}")

    def pool(self, event: ConvexEvent) -> None:
        """Staked: the token out to the pool; Withdrawn: back from it; RewardPaid: income."""
        if event.topic == REWARD_PAID:
            leg = self.find(event.amount, event.contract)
            if leg is not None:
                self.take(leg, Kind.INCOME)
                self.used.add(event.log_index)
                self.notes.append(f"reward paid by {event.contract}: income")
            return
        into = event.topic == STAKED
        sign = -1 if into else 1
        receipt_asset = erc20_asset(self.context.chain_id, event.contract)
        leg = self.find(sign * event.amount, event.contract)
        if leg is None or leg.asset == receipt_asset:
            return  # an extra reward pool: it only counts the stake
        kind = Kind.DEPOSIT if into else Kind.WITHDRAW
        self.take(leg, kind)
        self._receipt(event, leg, kind)
        self.notes.append(f"{'staked in' if into else 'withdrawn from'} {event.contract}")

    def _receipt(self, event: ConvexEvent, leg: Movement, kind: Kind) -> None:
        """The pool's own asset, the other way from `leg`: a Transfer of it, else added."""
        self.used.add(event.log_index)
        asset = erc20_asset(self.context.chain_id, event.contract)
        found = self.find(-leg.raw_amount, asset=asset)
        if found is not None:
            self.take(found, kind)
            return
        added = event_leg(self.tx, self.wallet, event.log_index, asset, -leg.raw_amount,
                          leg.decimals, event.contract)
        self.extra.append(added)
        self.kinds[added.leg_key] = kind
        self.symbols[asset] = receipt_symbol(event.contract, leg.asset, self.context,
                                             "farm", "convex-receipt")
