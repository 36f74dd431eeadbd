"""Aave v3: lending to the Pool and borrowing from it.

Scope: the chain's Pool (role `aave-v3:pool` in chains.deployments; on Ethereum
0x87870bca3f3fd6335c3f4ce8392d69350b4fa4e2, or one a config names) and four of its events
(fixed layout, sliced from the log's bytes); any other contract emitting them is read as a
fork of the Pool (Spark, Aave on a chain the registry does not list) when the wallet's
position tokens (below) answer it in the same transaction:

- Supply(address indexed reserve, address user, address indexed onBehalfOf, uint256 amount,
         uint16 indexed referralCode)                                       0x2b627736...ba61
- Withdraw(address indexed reserve, address indexed user, address indexed to,
           uint256 amount)                                                  0x3115d144...f9f7
- Borrow(address indexed reserve, address user, address indexed onBehalfOf, uint256 amount,
         uint8 interestRateMode, uint256 borrowRate, uint16 indexed referralCode)
                                                                            0xb3d08482...dce0
- Repay(address indexed reserve, address indexed user, address indexed repayer,
        uint256 amount, bool useATokens)                                    0xa534c8db...4051

The wallet's position tokens (its aTokens and variable debt tokens) are the contracts that
emitted, in the same transaction, the token events naming the wallet:

- Mint(address indexed caller, address indexed onBehalfOf, uint256 value,
       uint256 balanceIncrease, uint256 index)  onBehalfOf = the wallet      0x458f5fa4...6196
- Burn(address indexed from, address indexed target, uint256 value,
       uint256 balanceIncrease, uint256 index)  from = the wallet            0x4cf25bc1...5f90

The underlying is the event's reserve (or the native coin, when the reserve is the chain's
wrapped native: a gateway wrapped or unwrapped it). Kinds, for every non-fee leg of the
wallet in the transaction:

- supply:   Supply with onBehalfOf = the wallet; the underlying out, a position token in
- withdraw: Withdraw with user = to = the wallet; the underlying in, a position token moved
- borrow:   Borrow with onBehalfOf = the wallet; the underlying in (the debt token's mint
  shows too, as kind debt: a liability, kept out of the lots), nothing out
- repay:    Repay with user = the wallet (its debt); the underlying (or, with useATokens, the
  aToken) out, the debt token's burn too (kind debt), nothing else in

Accrued interest makes position-token amounts differ from the underlying (a withdrawal burns
the amount less the interest accrued since the last action, a supply mints the amount plus
it; a debt token may even be minted in a repay smaller than its interest): amounts are never
compared, only the pattern. At a supply or a withdrawal the aToken's leg is the principal
(the Pool event's amount) and its Transfer legs are dropped: the interest accrued is the
aToken's growth, booked as income from balance snapshots (aTokens are rebasing tokens in
chains.registry). A debt token minted or burned beyond the principal keeps the
transaction's kind.

Anything else (the wallet's Pool events of two actions at once, someone else's onBehalfOf,
other assets moving, a withdrawal through a gateway, whose Withdraw names the gateway,
liquidations, flash loans) is left to other rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from chains.addresses import erc20_asset
from chains.evm.abi import ZERO_ADDRESS, data_words, topic_address, word_address
from chains.evm.records import RawLog, RawTx
from scanner.ledger.decode.protocols import DecodeContext, Refinement, event_leg
from scanner.ledger.records import Kind, Movement

POOL_ROLE = "aave-v3:pool"
SUPPLY = "0x2b627736bca15cd5381dcf80b0bf11fd197d01a037c52b927a881a10fb73ba61"
WITHDRAW = "0x3115d1449a7b732c986cba18244e897a450f61e1bb8d589cd2e69e6c8924f9f7"
BORROW = "0xb3d084820fb1a9decffb176436bd02558d15fac9b0ddfed8c465bc7359d7dce0"
REPAY = "0xa534c8dbe71f871f9f3530e97a74601fea17b426cae02e1c5aee42c96c784051"
TOKEN_MINT = "0x458f5fa412d0f69b08dd84872b0215675cc67bc1d5b6fd93300a1c3878b86196"
TOKEN_BURN = "0x4cf25bc1d991c17529c25213d3cc0cda295eeaad5f13f361969b12ea48015f90"
PROTOCOL = "aave-v3"

# topic0 -> (topics including topic0, data words) of a well-formed log
_POOL_SHAPES = {SUPPLY: (4, 2), WITHDRAW: (4, 1), BORROW: (4, 4), REPAY: (4, 2)}
_TOKEN_SHAPES = {TOKEN_MINT: (3, 3), TOKEN_BURN: (3, 3)}
_KINDS = {SUPPLY: Kind.SUPPLY, WITHDRAW: Kind.WITHDRAW, BORROW: Kind.BORROW,
          REPAY: Kind.REPAY}
_NOTES = {
    SUPPLY: "Aave v3 Supply: the token lent to the Pool for its aToken",
    WITHDRAW: "Aave v3 Withdraw: the aToken given back to the Pool for the token",
    BORROW: "Aave v3 Borrow: a loan received from the Pool, not income",
    REPAY: "Aave v3 Repay: a loan paid back to the Pool, not a sale",
}


@dataclass(frozen=True)
class PoolEvent:
    log_index: int
    topic: str  # SUPPLY, WITHDRAW, BORROW or REPAY
    reserve: str  # the underlying token
    owner: str  # whose position: onBehalfOf (Supply, Borrow) or user (Withdraw, Repay)
    party: str  # who paid (Supply: user), got paid (Withdraw: to; Borrow: user), or paid
    # back (Repay: repayer)
    amount: int


def pool_event(log: RawLog, pool: str) -> PoolEvent | None:
    """A Supply, Withdraw, Borrow or Repay of the Aave v3 Pool at `pool`, or None (another
    contract, event, or malformed)."""
    if log.address != pool or not log.topics or log.topics[0] not in _POOL_SHAPES:
        return None
    topic0 = log.topics[0]
    topic_count, word_count = _POOL_SHAPES[topic0]
    words = data_words(log.data)
    if len(log.topics) != topic_count or words is None or len(words) != word_count:
        return None
    reserve, second, third = (topic_address(t) for t in log.topics[1:])
    if reserve is None or second is None:
        return None
    if topic0 in (SUPPLY, BORROW):  # topic 3 is the referral code; the user is data word 0
        user = word_address(words[0])
        if user is None:
            return None
        return PoolEvent(log.log_index, topic0, reserve, second, user, words[1])
    if third is None:
        return None
    return PoolEvent(log.log_index, topic0, reserve, second, third, words[0])


def position_token(log: RawLog, wallet: str) -> str | None:
    """The contract of an aToken or debt token Mint (onBehalfOf = `wallet`) or Burn (from =
    `wallet`), or None."""
    if not log.topics or log.topics[0] not in _TOKEN_SHAPES:
        return None
    topic_count, word_count = _TOKEN_SHAPES[log.topics[0]]
    words = data_words(log.data)
    if len(log.topics) != topic_count or words is None or len(words) != word_count:
        return None
    named = log.topics[2] if log.topics[0] == TOKEN_MINT else log.topics[1]
    return log.address if topic_address(named) == wallet else None


class AaveV3Decoder:
    name = "aave-v3"

    def refine(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
               context: DecodeContext) -> Refinement | None:
        if not tx.success or not moves:
            return None
        known = context.addresses(POOL_ROLE)
        pool, events = _the_pools_events(tx, wallet, known)
        if not events or len({e.topic for e in events}) != 1:
            return None  # not the wallet's, or two actions at once: not one of them
        topic = events[0].topic
        if topic == WITHDRAW and any(e.party != wallet for e in events):
            return None  # paid out to someone else
        underlying = _underlying(events, context)
        positions = {erc20_asset(context.chain_id, token) for token in
                     (position_token(log, wallet) for log in tx.logs) if token is not None}
        if not _is_the_pattern(topic, moves, underlying, positions) or \
                (pool not in known and not positions):
            return None  # a fork's Pool is known by its position tokens' events too
        kind = _KINDS[topic]
        debts = _debt_tokens(tx, wallet, topic, context.chain_id)
        drop, extra = _principal_legs(tx, wallet, topic, events, moves, positions - debts)
        legs = [m for m in moves if m.leg_key not in drop] + extra
        return Refinement(decoder=self.name,
                          kinds={m.leg_key: Kind.DEBT if m.asset in debts else kind
                                 for m in legs},
                          protocol=PROTOCOL, note=_NOTES[topic], extra=tuple(extra),
                          drop=frozenset(drop))


def _the_pools_events(tx: RawTx, wallet: str,
                      known: Collection[str]) -> tuple[str, list[PoolEvent]]:
    """The Pool that acted for `wallet` in `tx` and its events: the registry's Pool (or
    one the config names), else any contract emitting the Pool's events (a fork: Spark,
    or Aave on a chain the registry does not list)."""
    emitters = dict.fromkeys([*sorted(known), *(log.address for log in tx.logs
                                                if log.topics and log.topics[0] in _POOL_SHAPES)])
    for pool in emitters:
        events = [e for e in (pool_event(log, pool) for log in tx.logs)
                  if e is not None and e.amount and e.owner == wallet]
        if events:
            return pool, events
    return "", []


def _principal_legs(tx: RawTx, wallet: str, topic: str, events: Sequence[PoolEvent],
                    moves: Sequence[Movement],
                    atokens: set[str]) -> tuple[set[str], list[Movement]]:
    """An aToken's Transfer at a supply or withdrawal nets the interest accrued since the
    holder's last action (Aave mints it then); the interest is the balance's growth, booked
    from balance snapshots like any rebasing token's. So the aToken leg is the principal:
    the Pool event's amount, in for a supply, out for a withdrawal."""
    if topic not in (SUPPLY, WITHDRAW) or len(events) != 1:
        return set(), []
    legs = [m for m in moves if m.asset in atokens]
    if len({m.asset for m in legs}) != 1:
        return set(), []
    event, template = events[0], legs[0]
    sign = 1 if topic == SUPPLY else -1
    return {m.leg_key for m in legs}, [event_leg(
        tx, wallet, event.log_index, template.asset, sign * event.amount, template.decimals,
        template.counterparty)]


def _debt_tokens(tx: RawTx, wallet: str, topic: str, chain_id: int) -> set[str]:
    """The wallet's variable debt tokens in a borrow (every position token minted to it) or
    a repay (a Burn to no one: an aToken's Burn names who gets the underlying, a debt
    token's names the zero address; or a Mint, when the interest exceeded the payment)."""
    if topic not in (BORROW, REPAY):
        return set()
    found = set()
    for log in tx.logs:
        token = position_token(log, wallet)
        if token is None:
            continue
        minted = log.topics[0] == TOKEN_MINT
        if minted or topic_address(log.topics[2]) == ZERO_ADDRESS:
            found.add(erc20_asset(chain_id, token))
    return found


def _underlying(events: Sequence[PoolEvent], context: DecodeContext) -> set[str]:
    """The reserves' assets, and the native coin for the chain's wrapped native."""
    found = {erc20_asset(context.chain_id, e.reserve) for e in events}
    if any(e.reserve == context.wrapped_native for e in events):
        found.add(context.native_asset)
    return found


def _is_the_pattern(topic: str, moves: Sequence[Movement], underlying: set[str],
                    positions: set[str]) -> bool:
    net: dict[str, int] = defaultdict(int)
    for move in moves:
        net[move.asset] += move.raw_amount
    outs = {asset for asset, amount in net.items() if amount < 0}
    ins = {asset for asset, amount in net.items() if amount > 0}
    if not set(net) <= underlying | positions:
        return False  # another asset moved
    if topic == SUPPLY:
        return bool(outs) and outs <= underlying and bool(ins) and ins <= positions
    if topic == WITHDRAW:
        return bool(ins & underlying) and outs <= positions and bool(positions & set(net))
    if topic == BORROW:
        return bool(ins & underlying) and not outs
    return bool(outs) and ins <= positions  # REPAY


def supplied_atokens(tx: RawTx, wallet: str, pools: Collection[str]) -> set[str]:
    """The aTokens (lowercase addresses) a supply of `wallet`'s to a Pool (at `pools`, or a
    fork's) minted it in `tx`: they grow with interest and no Transfer, so their balances
    are read as a rebasing token's. A transaction that also borrows is not read (a debt
    token mints the same Mint event)."""
    _, events = _the_pools_events(tx, wallet, pools)
    if not tx.success or {e.topic for e in events} != {SUPPLY}:
        return set()
    return {log.address for log in tx.logs
            if log.topics and log.topics[0] == TOKEN_MINT
            and position_token(log, wallet) is not None}
