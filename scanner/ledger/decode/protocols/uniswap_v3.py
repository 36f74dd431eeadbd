"""Uniswap V3 (and the forks that share its interface): swaps through its pools, and
liquidity positions through a NonfungiblePositionManager.

A pool is any address that emits the V3 Swap event in a transaction where the wallet's
tokens moved through it (a token the wallet moved, or the wrapped native for its coin, went
in or out of that address). A position manager is a chain's `uniswap-v3:positions` contract
(the registry's deployments, chains/deployments.py, and those a config `[[protocols]]` entry
names), or, by its interface, any address whose IncreaseLiquidity, DecreaseLiquidity or
Collect a pool in the same transaction answers with its own Mint (the same liquidity),
Burn (the same liquidity) or Collect, naming that address as the position's owner. A pool's
factory is not checked.

Events (fixed layout, sliced from the log's bytes):

- pool Swap(address indexed sender, address indexed recipient, int256 amount0, int256 amount1,
  uint160 sqrtPriceX96, uint128 liquidity, int24 tick)                    0xc42079f9...ca67
- pool Collect(address indexed owner, address recipient, int24 indexed tickLower,
  int24 indexed tickUpper, uint128 amount0, uint128 amount1)              0x70935338...a9c0
- pool Mint(address sender, address indexed owner, int24 indexed tickLower,
  int24 indexed tickUpper, uint128 amount, uint256 amount0, uint256 amount1) 0x7a53080b...0bde
- pool Burn(address indexed owner, int24 indexed tickLower, int24 indexed tickUpper,
  uint128 amount, uint256 amount0, uint256 amount1)                       0x0c396cd9...982c
- manager IncreaseLiquidity(uint256 indexed tokenId, uint128 liquidity, uint256 amount0,
  uint256 amount1)                                                        0x3067048b...e35f
- manager DecreaseLiquidity(uint256 indexed tokenId, uint128 liquidity, uint256 amount0,
  uint256 amount1)                                                        0x26f6a048...77b4
- manager Collect(uint256 indexed tokenId, address recipient, uint256 amount0,
  uint256 amount1)                                                        0x40d0efd1...8f01

A position is one asset: the manager's NFT (`eip155:<chain>/erc721:<manager>/<tokenId>`),
held in liquidity units, so that a lot of it carries the basis of what went in and a partial
decrease takes that basis out pro rata. Kinds, for every non-fee leg of the wallet:

- swap: a pool Swap in the transaction and the wallet's legs one asset out, another in
  (through the SwapRouter, multi-hop, the native coin through WETH): trade
- mint or increase: the tokens (or the native coin, less any refund) out are lp_deposit,
  and a leg of the position's liquidity units comes in (lp_deposit); the NFT's mint Transfer
  is dropped, since the units stand for it
- decrease and collect in one transaction (the interface's multicall): the units go out
  (lp_withdraw); each token collected is split into the principal the decrease released
  (lp_withdraw) and the rest, the fees earned (income)
- a collect alone: what was collected is fee income
- the NFT's burn Transfer is dropped

Left to other rules: a position moved to another wallet or minted to one, an increase the
wallet did not send, a collect whose recipient is not the wallet or whose amounts are not
what the wallet got, a decrease whose principal is collected in a later transaction (the decoder
reads one transaction: it would count that principal as fees), and several positions or a
deposit and a collect in one transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from chains.addresses import asset_contract, erc20_asset, nft_asset
from chains.evm.abi import ZERO_ADDRESS, data_words, topic_address, word_address
from chains.evm.records import RawLog, RawTx
from scanner.ledger.decode.executors import executors
from scanner.ledger.decode.protocols import DecodeContext, Refinement, event_leg
from scanner.ledger.decode.transfers import token_transfers
from scanner.ledger.records import Kind, Movement

POSITIONS_ROLE = "uniswap-v3:positions"
SWAP = "0xc42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67"
POOL_COLLECT = "0x70935338e69775456a85ddef226c395fb668b63fa0115f5f20610b388e6ca9c0"
POOL_MINT = "0x7a53080ba414158be7ec69b987b5fb7d07dee101fe85488f0853ae16239d0bde"
POOL_BURN = "0x0c396cd989a39f4459b5fa1aed6a9a8dcdbc45908acfd67e028cd568da98982c"
INCREASE = "0x3067048beee31b25b2f1681f88dac838c8bba36af25bfb2b7cf7473a5847e35f"
DECREASE = "0x26f6a048ee9138f2c0ce266f322cb99228e8d619ae2bff30c67f8dcf9d2377b4"
COLLECT = "0x40d0efd1a53d60ecbf40971b9daf7dc90178c3aadc7aab1765632738fa8b8f01"
PROTOCOL = "uniswap-v3"
# topic0 -> (topics including topic0, data words) of a well-formed manager log
_SHAPES = {INCREASE: (2, 3), DECREASE: (2, 3), COLLECT: (2, 3)}
# a manager's event -> the pool event that answers it: (topic0, data words, the word holding
# the liquidity it must equal, or None)
_ANSWERS = {INCREASE: (POOL_MINT, 4, 1), DECREASE: (POOL_BURN, 3, 0),
            COLLECT: (POOL_COLLECT, 3, None)}


@dataclass(frozen=True)
class PositionEvent:
    log_index: int
    topic: str  # INCREASE, DECREASE or COLLECT
    token_id: int
    liquidity: int  # INCREASE, DECREASE; for COLLECT: the recipient as a number
    amount0: int
    amount1: int


def position_event(log: RawLog) -> PositionEvent | None:
    """An IncreaseLiquidity, DecreaseLiquidity or Collect, or None."""
    if not log.topics or log.topics[0] not in _SHAPES:
        return None
    topic_count, word_count = _SHAPES[log.topics[0]]
    words = data_words(log.data)
    if len(log.topics) != topic_count or words is None or len(words) != word_count:
        return None
    try:
        token_id = int(log.topics[1], 16)
    except ValueError:
        return None
    return PositionEvent(log.log_index, log.topics[0], token_id, *words)


def _recipient(event: PositionEvent) -> str | None:
    return word_address(event.liquidity)


class UniswapV3Decoder:
    name = "uniswap-v3"

    def refine(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
               context: DecodeContext) -> Refinement | None:
        if not tx.success:
            return None
        named = context.addresses(POSITIONS_ROLE)
        by_manager: dict[str, list[PositionEvent]] = defaultdict(list)
        for log in tx.logs:
            event = position_event(log)
            if event is not None and (log.address in named or _answered(tx, log, event)):
                by_manager[log.address].append(event)
        if len(by_manager) == 1:
            (manager, events), = by_manager.items()
            return _position(tx, wallet, moves, context, manager, events)
        if by_manager:
            return None  # positions of two managers at once: left to other rules
        pools = _swapped_through(tx, moves, context)
        if moves and pools and _one_for_another(moves):
            label = "pool" if len(pools) == 1 else "pools"
            return Refinement(decoder=self.name, kinds={m.leg_key: Kind.TRADE for m in moves},
                              protocol=PROTOCOL,
                              note=f"Uniswap V3 Swap on {label} {', '.join(pools)}: one asset "
                                   "for another")
        return None


def _answered(tx: RawTx, log: RawLog, event: PositionEvent) -> bool:
    """Whether a pool answers the manager's event in `tx`: its Mint, Burn or Collect names
    the emitter of `log` as the owner (and a Mint or Burn moves the same liquidity)."""
    topic, word_count, liquidity_word = _ANSWERS[event.topic]
    for answer in tx.logs:
        words = data_words(answer.data)
        if answer.topics and answer.topics[0] == topic and len(answer.topics) == 4 \
                and topic_address(answer.topics[1]) == log.address \
                and words is not None and len(words) == word_count \
                and (liquidity_word is None or words[liquidity_word] == event.liquidity):
            return True
    return False


def _swapped_through(tx: RawTx, moves: Sequence[Movement], context: DecodeContext) -> list[str]:
    """The pools that emitted a V3 Swap and moved a token the wallet moved (the wrapped
    native standing for the native coin)."""
    pools = {log.address for log in tx.logs if _is_swap(log)}
    if not pools:
        return []
    tokens = {asset_contract(m.asset) for m in moves} - {None}
    if context.wrapped_native and any(m.asset == context.native_asset for m in moves):
        tokens.add(context.wrapped_native)
    moved = {address for log in tx.logs for item in token_transfers(log)
             if item.token in tokens for address in (item.sender, item.recipient)}
    return sorted(pools & moved)


def _is_swap(log: RawLog) -> bool:
    words = data_words(log.data)
    return bool(log.topics) and log.topics[0] == SWAP and len(log.topics) == 3 \
        and words is not None and len(words) == 5


def _one_for_another(moves: Sequence[Movement]) -> bool:
    net: dict[str, int] = defaultdict(int)
    for move in moves:
        net[move.asset] += move.raw_amount
    signs = sorted((amount > 0) for amount in net.values() if amount)
    return signs == [False, True]


def _position(tx: RawTx, wallet: str, moves: Sequence[Movement], context: DecodeContext,
              manager: str, events: Sequence[PositionEvent]) -> Refinement | None:
    if len({e.token_id for e in events}) != 1:
        return None
    nft = [m for m in moves if asset_contract(m.asset) == manager]
    if any(m.counterparty != ZERO_ADDRESS for m in nft):
        return None  # the position itself changed hands
    if _minted_to_another(tx, manager, events[0].token_id, wallet):
        return None
    drop = {m.leg_key for m in nft}
    rest = [m for m in moves if m.leg_key not in drop]
    topics = {e.topic for e in events}
    position = nft_asset(context.chain_id, "erc721", manager, events[0].token_id)
    if topics == {INCREASE}:
        if wallet not in executors(tx):
            return None  # paid into a position of someone else's, or by someone else
        return _deposit(tx, wallet, rest, events, position, drop)
    if topics == {DECREASE, COLLECT}:
        return _withdraw(tx, wallet, rest, events, position, drop, context, manager)
    if topics == {COLLECT}:
        if not rest or any(_recipient(e) not in (wallet, manager) for e in events) or \
                not _got_what_was_collected(
                    rest, events[0], _collected_assets(tx, rest, events[0], context, manager)):
            return None
        return Refinement(decoder="uniswap-v3", kinds={m.leg_key: Kind.INCOME for m in rest},
                          protocol=PROTOCOL, drop=frozenset(drop),
                          note="Uniswap V3 Collect: fees the position earned, income")
    return None


def _minted_to_another(tx: RawTx, manager: str, token_id: int, wallet: str) -> bool:
    """Whether the transaction minted the position's NFT to an address not the wallet."""
    return any(item.token == manager and item.token_id == token_id and
               item.sender == ZERO_ADDRESS and item.recipient != wallet
               for log in tx.logs if log.address == manager
               for item in token_transfers(log))


def _got_what_was_collected(rest: Sequence[Movement], collect: PositionEvent,
                            assets: tuple[str | None, str | None] | None) -> bool:
    """Whether the wallet's legs are exactly the Collect's amounts of the pool's `assets`
    (token0, token1), nothing more or less."""
    if assets is None or any(m.raw_amount < 0 for m in rest):
        return False
    got: dict[str, int] = defaultdict(int)
    for move in rest:
        got[move.asset] += move.raw_amount
    expected: dict[str, int] = defaultdict(int)
    for asset, amount in zip(assets, (collect.amount0, collect.amount1), strict=True):
        if asset is not None:
            expected[asset] += amount
    return {a: n for a, n in got.items() if n} == {a: n for a, n in expected.items() if n}


def _units(tx: RawTx, wallet: str, event: PositionEvent, position: str,
           sign: int) -> Movement:
    return event_leg(tx, wallet, event.log_index, position, sign * event.liquidity, 0,
                     ZERO_ADDRESS)


def _deposit(tx: RawTx, wallet: str, rest: Sequence[Movement],
             events: Sequence[PositionEvent], position: str,
             drop: set[str]) -> Refinement | None:
    net: dict[str, int] = defaultdict(int)
    for move in rest:
        net[move.asset] += move.raw_amount
    if not net or any(amount > 0 for amount in net.values()):
        return None  # nothing paid in, or something else came back
    extra = tuple(_units(tx, wallet, e, position, 1) for e in events if e.liquidity)
    if not extra:
        return None
    legs = [*rest, *extra]
    return Refinement(decoder="uniswap-v3", kinds={m.leg_key: Kind.LP_DEPOSIT for m in legs},
                      protocol=PROTOCOL, extra=extra, drop=frozenset(drop),
                      note="Uniswap V3 IncreaseLiquidity: tokens into a position, held in "
                           "liquidity units")


def _withdraw(tx: RawTx, wallet: str, rest: Sequence[Movement],
              events: Sequence[PositionEvent], position: str, drop: set[str],
              context: DecodeContext, manager: str) -> Refinement | None:
    decreases = [e for e in events if e.topic == DECREASE]
    collects = [e for e in events if e.topic == COLLECT]
    if len(decreases) != 1 or len(collects) != 1:
        return None
    decrease, collect = decreases[0], collects[0]
    assets = _collected_assets(tx, rest, collect, context, manager)
    if assets is None or not _got_what_was_collected(rest, collect, assets):
        return None
    collected = (collect.amount0, collect.amount1)
    principal = (decrease.amount0, decrease.amount1)
    extra: list[Movement] = []
    if decrease.liquidity:
        extra.append(_units(tx, wallet, decrease, position, -1))
    for side, (asset, total, owed) in enumerate(zip(assets, collected, principal,
                                                    strict=True)):
        if asset is None or not total:
            continue
        template = next(m for m in rest if m.asset == asset)
        back = min(total, owed)
        for part, amount in (("principal", back), ("fees", total - back)):
            if amount:
                extra.append(event_leg(tx, wallet, collect.log_index, asset, amount,
                                       template.decimals, template.counterparty,
                                       key=f"log:{collect.log_index}:{side}:{part}"))
    kinds = {m.leg_key: Kind.INCOME if m.leg_key.endswith(":fees") else Kind.LP_WITHDRAW
             for m in extra}
    return Refinement(decoder="uniswap-v3", kinds=kinds, protocol=PROTOCOL, extra=tuple(extra),
                      drop=frozenset(drop | {m.leg_key for m in rest}),
                      note="Uniswap V3 DecreaseLiquidity and Collect: the principal back "
                           "against the position's basis, the rest fee income")


def _collected_assets(tx: RawTx, rest: Sequence[Movement], collect: PositionEvent,
                      context: DecodeContext, manager: str) -> tuple[str | None, str | None] | None:
    """The wallet's assets for the pool's token0 and token1 (the native coin where the
    manager unwrapped WETH for it), read from the pool's Collect and its token Transfers."""
    pools = {log.address for log in tx.logs
             if log.topics and log.topics[0] == POOL_COLLECT and len(log.topics) == 4
             and topic_address(log.topics[1]) == manager}
    if len(pools) != 1:
        return None
    pool = pools.pop()
    paid = {item.token: item.amount for log in tx.logs for item in token_transfers(log)
            if item.sender == pool and item.asset_kind == "erc20"}
    if len(paid) == 2:
        token0, token1 = sorted(paid)
    elif len(paid) == 1:
        (token, amount), = paid.items()
        if collect.amount0 == amount and not collect.amount1:
            token0, token1 = token, ""
        elif collect.amount1 == amount and not collect.amount0:
            token0, token1 = "", token
        else:
            return None
    else:
        return None
    held = {m.asset for m in rest}

    def asset(token: str) -> str | None:
        if not token:
            return None
        own = erc20_asset(context.chain_id, token)
        if own not in held and token == context.wrapped_native and context.native_asset in held:
            return context.native_asset
        return own

    return asset(token0), asset(token1)
