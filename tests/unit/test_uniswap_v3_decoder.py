"""The Uniswap V3 decoder on hand-built transactions, alone, through build_ledger, and through
the lot engine. Amounts are small distinct numbers so a leg can only come from one place."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from chains.addresses import erc20_asset, nft_asset
from chains.evm.abi import TRANSFER
from chains.evm.records import InternalTransfer, RawLog, RawTx, TokenInfo
from chains.registry import chain_by_id
from scanner.app.settings import asset_ranks
from scanner.ledger.build import build_ledger
from scanner.ledger.decode.protocols import DecodeContext, Refinement
from scanner.ledger.decode.protocols.uniswap_v3 import (
    COLLECT,
    DECREASE,
    INCREASE,
    POOL_COLLECT,
    POSITIONS_ROLE,
    SWAP,
    UniswapV3Decoder,
)
from scanner.ledger.decode.protocols.weth import WITHDRAWAL
from scanner.ledger.decode.transfers import decode_movements
from scanner.ledger.records import Kind
from scanner.prices.book import PriceBook
from scanner.prices.records import PricePoint
from scanner.tax.lots import compute_lots

ME = "0x" + "aa" * 20
ROUTER = "0x" + "bb" * 20
POOL = "0x" + "cc" * 20
STRANGER = "0x" + "dd" * 20
OTHER_MANAGER = "0x" + "ee" * 20  # a contract emitting the manager's events, not the manager
MANAGER = "0xc36442b4a4522e871399cd717abdd847ab11fe88"  # the registry's mainnet positions
TKA = "0x" + "a1" * 20  # sorts before TKB and WETH: a pool's token0
TKB = "0x" + "b2" * 20
ZERO = "0x" + "00" * 20
WETH_ADDRESS = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"  # the registry's mainnet WETH
USDC_ADDRESS = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"  # sorts before WETH
ETH = "eip155:1/slip44:60"
A, B, WETH, USDC = (erc20_asset(1, t) for t in (TKA, TKB, WETH_ADDRESS, USDC_ADDRESS))
TOKEN_ID = 7
POSITION = nft_asset(1, "erc721", MANAGER, TOKEN_ID)
CONTEXT = DecodeContext(1, ETH, WETH_ADDRESS, frozenset({ME}), {},
                        contracts={POSITIONS_ROLE: MANAGER})
# the same, knowing the tokens' decimals: the split legs take them from the generic legs
KNOWN = DecodeContext(1, ETH, WETH_ADDRESS, frozenset({ME}),
                      {TKA: TokenInfo(1, TKA, "TKA", "Token A", 6),
                       TKB: TokenInfo(1, TKB, "TKB", "Token B", 8)},
                      contracts={POSITIONS_ROLE: MANAGER})
WHEN = datetime(2024, 3, 1, tzinfo=UTC)

Leg = tuple[str, str, int, str, str]


# ---- builders ------------------------------------------------------------------------------


def word(value: int) -> str:
    return format(value % (1 << 256), "064x")  # int256 as two's complement


def topic(address: str) -> str:
    return "0x" + address[2:].rjust(64, "0")


def id_topic(token_id: int) -> str:
    return "0x" + word(token_id)


def data(*values: int) -> str:
    return "0x" + "".join(word(v) for v in values)


def transfer(index: int, token: str, source: str, target: str, amount: int) -> RawLog:
    return RawLog(index, token, (TRANSFER, topic(source), topic(target)), data(amount))


def nft_transfer(index: int, source: str, target: str, token_id: int = TOKEN_ID,
                 manager: str = MANAGER) -> RawLog:
    return RawLog(index, manager, (TRANSFER, topic(source), topic(target), id_topic(token_id)),
                  "0x")


def increase(index: int, liquidity: int, amount0: int, amount1: int,
             token_id: int = TOKEN_ID, manager: str = MANAGER) -> RawLog:
    return RawLog(index, manager, (INCREASE, id_topic(token_id)),
                  data(liquidity, amount0, amount1))


def decrease(index: int, liquidity: int, amount0: int, amount1: int,
             token_id: int = TOKEN_ID) -> RawLog:
    return RawLog(index, MANAGER, (DECREASE, id_topic(token_id)),
                  data(liquidity, amount0, amount1))


def collect(index: int, recipient: str, amount0: int, amount1: int,
            token_id: int = TOKEN_ID) -> RawLog:
    return RawLog(index, MANAGER, (COLLECT, id_topic(token_id)),
                  data(int(recipient, 16), amount0, amount1))


def pool_collect(index: int, recipient: str, amount0: int, amount1: int,
                 pool: str = POOL) -> RawLog:
    # Collect(owner indexed = the manager, recipient, tickLower indexed, tickUpper indexed, ...)
    return RawLog(index, pool, (POOL_COLLECT, topic(MANAGER), "0x" + word(-887220),
                                "0x" + word(887220)),
                  data(int(recipient, 16), amount0, amount1))


def v3_swap(index: int, amount0: int, amount1: int, recipient: str = ME) -> RawLog:
    # amounts as the pool sees them: positive = paid in to the pool
    return RawLog(index, POOL, (SWAP, topic(ROUTER), topic(recipient)),
                  data(amount0, amount1, 1 << 96, 10**18, -5))


def withdrawal(index: int, src: str, wad: int) -> RawLog:
    return RawLog(index, WETH_ADDRESS, (WITHDRAWAL, topic(src)), data(wad))


def tx(*logs: RawLog, to: str = MANAGER, value: int = 0,
       internal: tuple[InternalTransfer, ...] = (), n: int = 1, when: datetime = WHEN,
       sender: str = ME, gas_used: int = 50_000, success: bool = True) -> RawTx:
    return RawTx(chain_id=1, tx_hash="0x" + format(n, "064x"), block_number=n, tx_index=3,
                 timestamp=when, from_address=sender, to_address=to, value=value,
                 gas_used=gas_used, effective_gas_price=10**9, success=success, logs=logs,
                 internal=internal)


def refine(raw: RawTx, context: DecodeContext = CONTEXT) -> Refinement | None:
    moves = [m for m in decode_movements(raw, {ME}, ETH, context.tokens) if not m.is_fee]
    return UniswapV3Decoder().refine(raw, ME, moves, context)


def ledger(raw: RawTx) -> list[Leg]:
    """The wallet's non-gas ledger legs through the real pipeline and the registry."""
    chain = chain_by_id(1)
    built = build_ledger(chain, [raw], [ME], {}, PriceBook([]), asset_ranks([chain], frozenset()))
    assert [e.kind for e in built.entries if e.leg_key == "gas"] == [Kind.FEE]
    return sorted((e.leg_key, e.asset, e.raw_amount, e.kind.value, e.protocol)
                  for e in built.entries if e.leg_key != "gas")


def extra_legs(found: Refinement) -> list[tuple[str, str, int, int]]:
    return sorted((m.leg_key, m.asset, m.raw_amount, m.decimals) for m in found.extra)


# ---- mint and increase ---------------------------------------------------------------------


def test_a_mint_is_a_deposit_for_the_positions_liquidity_units() -> None:
    raw = tx(transfer(0, TKA, ME, POOL, 100), transfer(1, TKB, ME, POOL, 200),
             nft_transfer(2, ZERO, ME), increase(3, 5_000, 100, 200))
    found = refine(raw)
    assert found is not None
    assert (found.decoder, found.protocol) == ("uniswap-v3", "uniswap-v3")
    assert "IncreaseLiquidity" in found.note
    assert found.drop == frozenset({"log:2"})  # the NFT's mint: the units stand for it
    assert dict(found.kinds) == {"log:0": Kind.LP_DEPOSIT, "log:1": Kind.LP_DEPOSIT,
                                 "log:3": Kind.LP_DEPOSIT}
    (units,) = found.extra
    # the IncreaseLiquidity's liquidity (data word 0), no decimals, from nobody
    assert (units.leg_key, units.log_index, units.wallet, units.asset, units.raw_amount,
            units.decimals, units.counterparty) == ("log:3", 3, ME, POSITION, 5_000, 0, ZERO)
    assert (units.tx_hash, units.block_number, units.tx_index, units.timestamp) == (
        raw.tx_hash, raw.block_number, raw.tx_index, raw.timestamp)
    assert ledger(raw) == [("log:0", A, -100, "lp_deposit", "uniswap-v3"),
                           ("log:1", B, -200, "lp_deposit", "uniswap-v3"),
                           ("log:3", POSITION, 5_000, "lp_deposit", "uniswap-v3")]


def test_a_mint_with_the_coin_and_a_refund() -> None:
    # the manager wraps what it needs for itself and refunds the rest (refundETH)
    refund = InternalTransfer("4", MANAGER, ME, 300)
    raw = tx(transfer(0, TKA, ME, POOL, 100), transfer(1, WETH_ADDRESS, MANAGER, POOL, 700),
             nft_transfer(2, ZERO, ME), increase(3, 5_000, 100, 700), value=1_000,
             internal=(refund,))
    assert ledger(raw) == [("log:0", A, -100, "lp_deposit", "uniswap-v3"),
                           ("log:3", POSITION, 5_000, "lp_deposit", "uniswap-v3"),
                           ("native", ETH, -1_000, "lp_deposit", "uniswap-v3"),
                           ("trace:4", ETH, 300, "lp_deposit", "uniswap-v3")]


def test_an_increase_of_a_position_already_held_adds_units_without_an_nft_leg() -> None:
    raw = tx(transfer(0, TKA, ME, POOL, 10), transfer(1, TKB, ME, POOL, 20),
             increase(2, 400, 10, 20))
    found = refine(raw)
    assert found is not None and found.drop == frozenset()
    assert extra_legs(found) == [("log:2", POSITION, 400, 0)]


def test_an_increase_from_a_contract_that_is_not_the_chains_position_manager() -> None:
    raw = tx(transfer(0, TKA, ME, POOL, 100), transfer(1, TKB, ME, POOL, 200),
             nft_transfer(2, ZERO, ME, manager=OTHER_MANAGER),
             increase(3, 5_000, 100, 200, manager=OTHER_MANAGER), to=OTHER_MANAGER)
    assert refine(raw) is None
    assert {leg[4] for leg in ledger(raw)} == {"transfer"}


def test_no_position_manager_known_for_the_chain() -> None:
    bare = DecodeContext(1, ETH, WETH_ADDRESS, frozenset({ME}), {})
    raw = tx(transfer(0, TKA, ME, POOL, 100), nft_transfer(1, ZERO, ME),
             increase(2, 5_000, 100, 0))
    assert refine(raw, bare) is None


def test_a_mint_whose_position_goes_to_someone_else_is_not_the_wallets_deposit() -> None:
    # mint(params.recipient = a stranger): the wallet pays, the stranger gets the NFT. The
    # wallet holds no position afterwards, so it must get no units (the generic rules: a
    # send of both tokens)
    raw = tx(transfer(0, TKA, ME, POOL, 100), transfer(1, TKB, ME, POOL, 200),
             nft_transfer(2, ZERO, STRANGER), increase(3, 5_000, 100, 200))
    assert refine(raw) is None


def test_a_deposit_that_brings_something_else_back_is_left_alone() -> None:
    raw = tx(transfer(0, TKA, ME, POOL, 100), transfer(1, TKB, POOL, ME, 5),
             nft_transfer(2, ZERO, ME), increase(3, 5_000, 100, 0))
    assert refine(raw) is None


# ---- decrease and collect ------------------------------------------------------------------


def test_decrease_and_collect_split_each_token_into_principal_and_fees() -> None:
    # the pool pays token1 first here: the sides come from the tokens' address order
    raw = tx(decrease(0, 2_500, 40, 90), transfer(1, TKB, POOL, ME, 95),
             transfer(2, TKA, POOL, ME, 43), pool_collect(3, ME, 43, 95),
             collect(4, ME, 43, 95))
    found = refine(raw, KNOWN)
    assert found is not None and "DecreaseLiquidity" in found.note
    assert found.drop == frozenset({"log:1", "log:2"})
    assert extra_legs(found) == [
        ("log:0", POSITION, -2_500, 0),  # DecreaseLiquidity liquidity: the units out
        ("log:4:0:fees", A, 3, 6),  # Collect amount0 43 - DecreaseLiquidity amount0 40
        ("log:4:0:principal", A, 40, 6),
        ("log:4:1:fees", B, 5, 8),  # 95 - 90
        ("log:4:1:principal", B, 90, 8),
    ]
    assert {m.counterparty for m in found.extra if m.asset != POSITION} == {POOL}
    assert {m.log_index for m in found.extra} == {0, 4}
    assert ledger(raw) == [("log:0", POSITION, -2_500, "lp_withdraw", "uniswap-v3"),
                           ("log:4:0:fees", A, 3, "income", "uniswap-v3"),
                           ("log:4:0:principal", A, 40, "lp_withdraw", "uniswap-v3"),
                           ("log:4:1:fees", B, 5, "income", "uniswap-v3"),
                           ("log:4:1:principal", B, 90, "lp_withdraw", "uniswap-v3")]


def test_a_position_out_of_range_gives_back_one_token_only() -> None:
    # the price left the range: all of it is token1, and the pool pays no token0
    raw = tx(decrease(0, 2_500, 0, 90), transfer(1, TKB, POOL, ME, 95),
             pool_collect(2, ME, 0, 95), collect(3, ME, 0, 95))
    assert ledger(raw) == [("log:0", POSITION, -2_500, "lp_withdraw", "uniswap-v3"),
                           ("log:3:1:fees", B, 5, "income", "uniswap-v3"),
                           ("log:3:1:principal", B, 90, "lp_withdraw", "uniswap-v3")]
    # the same on token0's side
    raw0 = tx(decrease(0, 2_500, 40, 0), transfer(1, TKA, POOL, ME, 43),
              pool_collect(2, ME, 43, 0), collect(3, ME, 43, 0))
    assert ledger(raw0) == [("log:0", POSITION, -2_500, "lp_withdraw", "uniswap-v3"),
                            ("log:3:0:fees", A, 3, "income", "uniswap-v3"),
                            ("log:3:0:principal", A, 40, "lp_withdraw", "uniswap-v3")]


def test_a_token_with_no_principal_released_is_all_fees() -> None:
    # out of range in token1, yet fees earned earlier in token0
    raw = tx(decrease(0, 2_500, 0, 90), transfer(1, TKA, POOL, ME, 3),
             transfer(2, TKB, POOL, ME, 95), pool_collect(3, ME, 3, 95),
             collect(4, ME, 3, 95))
    assert ledger(raw) == [("log:0", POSITION, -2_500, "lp_withdraw", "uniswap-v3"),
                           ("log:4:0:fees", A, 3, "income", "uniswap-v3"),
                           ("log:4:1:fees", B, 5, "income", "uniswap-v3"),
                           ("log:4:1:principal", B, 90, "lp_withdraw", "uniswap-v3")]


def test_weth_collected_by_the_manager_and_unwrapped_comes_to_the_wallet_as_the_coin() -> None:
    # multicall(decreaseLiquidity, collect(recipient 0 = the manager), unwrapWETH9,
    # sweepToken): the pool pays the manager; WETH9 pays the manager the coin, which pays it
    # on to the wallet; token0 (TKA sorts before WETH) is swept to the wallet
    raw = tx(decrease(0, 2_500, 40, 900), transfer(1, TKA, POOL, MANAGER, 43),
             transfer(2, WETH_ADDRESS, POOL, MANAGER, 950), pool_collect(3, MANAGER, 43, 950),
             collect(4, MANAGER, 43, 950), withdrawal(5, MANAGER, 950),
             transfer(6, TKA, MANAGER, ME, 43),
             internal=(InternalTransfer("5", WETH_ADDRESS, MANAGER, 950),
                       InternalTransfer("6", MANAGER, ME, 950)))
    found = refine(raw, KNOWN)
    assert found is not None
    assert found.drop == frozenset({"log:6", "trace:6"})
    assert extra_legs(found) == [("log:0", POSITION, -2_500, 0),
                                 ("log:4:0:fees", A, 3, 6),
                                 ("log:4:0:principal", A, 40, 6),
                                 ("log:4:1:fees", ETH, 50, 18),  # 950 - 900
                                 ("log:4:1:principal", ETH, 900, 18)]
    assert {m.counterparty for m in found.extra if m.asset != POSITION} == {MANAGER}
    assert ledger(raw) == [("log:0", POSITION, -2_500, "lp_withdraw", "uniswap-v3"),
                           ("log:4:0:fees", A, 3, "income", "uniswap-v3"),
                           ("log:4:0:principal", A, 40, "lp_withdraw", "uniswap-v3"),
                           ("log:4:1:fees", ETH, 50, "income", "uniswap-v3"),
                           ("log:4:1:principal", ETH, 900, "lp_withdraw", "uniswap-v3")]


def test_closing_a_position_drops_the_nfts_burn() -> None:
    raw = tx(decrease(0, 2_500, 40, 90), transfer(1, TKA, POOL, ME, 40),
             transfer(2, TKB, POOL, ME, 90), pool_collect(3, ME, 40, 90),
             collect(4, ME, 40, 90), nft_transfer(5, ME, ZERO))
    found = refine(raw)
    assert found is not None and found.drop == frozenset({"log:1", "log:2", "log:5"})
    # no fees earned: principal only
    assert ledger(raw) == [("log:0", POSITION, -2_500, "lp_withdraw", "uniswap-v3"),
                           ("log:4:0:principal", A, 40, "lp_withdraw", "uniswap-v3"),
                           ("log:4:1:principal", B, 90, "lp_withdraw", "uniswap-v3")]


def test_a_collect_alone_is_fee_income() -> None:
    raw = tx(pool_collect(0, ME, 3, 5), transfer(1, TKA, POOL, ME, 3),
             transfer(2, TKB, POOL, ME, 5), collect(3, ME, 3, 5))
    found = refine(raw)
    assert found is not None and "Collect" in found.note
    assert (found.extra, found.drop) == ((), frozenset())
    assert dict(found.kinds) == {"log:1": Kind.INCOME, "log:2": Kind.INCOME}
    assert ledger(raw) == [("log:1", A, 3, "income", "uniswap-v3"),
                           ("log:2", B, 5, "income", "uniswap-v3")]


def test_a_collect_alone_through_the_manager_unwrapping_weth() -> None:
    raw = tx(transfer(0, TKA, POOL, MANAGER, 3), transfer(1, WETH_ADDRESS, POOL, MANAGER, 5),
             pool_collect(2, MANAGER, 3, 5), collect(3, MANAGER, 3, 5),
             withdrawal(4, MANAGER, 5), transfer(5, TKA, MANAGER, ME, 3),
             internal=(InternalTransfer("4", WETH_ADDRESS, MANAGER, 5),
                       InternalTransfer("5", MANAGER, ME, 5)))
    assert ledger(raw) == [("log:5", A, 3, "income", "uniswap-v3"),
                           ("trace:5", ETH, 5, "income", "uniswap-v3")]


# ---- left to the generic rules -------------------------------------------------------------


def test_the_position_sent_to_someone_else_is_left_to_the_generic_rules() -> None:
    alone = tx(nft_transfer(0, ME, STRANGER))
    assert refine(alone) is None
    assert ledger(alone) == [("log:0", POSITION, -1, "transfer_out", "transfer")]
    # fees collected, then the position given away in the same multicall
    raw = tx(pool_collect(0, ME, 3, 5), transfer(1, TKA, POOL, ME, 3),
             transfer(2, TKB, POOL, ME, 5), collect(3, ME, 3, 5),
             nft_transfer(4, ME, STRANGER))
    assert refine(raw) is None
    assert {leg[4] for leg in ledger(raw)} == {"transfer"}


def test_a_position_received_from_someone_else_is_left_to_the_generic_rules() -> None:
    raw = tx(decrease(0, 2_500, 40, 90), nft_transfer(1, STRANGER, ME), sender=STRANGER)
    assert refine(raw) is None


def test_a_collect_whose_tokens_went_to_another_address() -> None:
    # the wallet sent the transaction, a stranger got the tokens: nothing of the wallet's
    collected = tx(pool_collect(0, STRANGER, 3, 5), transfer(1, TKA, POOL, STRANGER, 3),
                   transfer(2, TKB, POOL, STRANGER, 5), collect(3, STRANGER, 3, 5))
    assert refine(collected) is None
    withdrawn = tx(decrease(0, 2_500, 40, 90), transfer(1, TKA, POOL, STRANGER, 43),
                   transfer(2, TKB, POOL, STRANGER, 95), pool_collect(3, STRANGER, 43, 95),
                   collect(4, STRANGER, 43, 95))
    assert refine(withdrawn) is None
    # ... while the wallet got something else in the same transaction: not the collect's
    other = tx(pool_collect(0, STRANGER, 3, 5), transfer(1, TKA, POOL, STRANGER, 3),
               transfer(2, TKB, POOL, STRANGER, 5), collect(3, STRANGER, 3, 5),
               transfer(4, TKA, STRANGER, ME, 3))
    assert refine(other) is None
    assert ledger(other) == [("log:4", A, 3, "transfer_in", "unexplained")]


def test_the_wallet_getting_other_amounts_than_collected_is_left_alone() -> None:
    raw = tx(decrease(0, 2_500, 40, 90), transfer(1, TKA, POOL, ME, 43),
             transfer(2, TKB, POOL, ME, 95), pool_collect(3, ME, 43, 95),
             collect(4, ME, 43, 95), transfer(5, TKA, STRANGER, ME, 1))
    assert refine(raw) is None


def test_two_positions_in_one_transaction_are_left_alone() -> None:
    raw = tx(transfer(0, TKA, ME, POOL, 100), increase(1, 5_000, 60, 0),
             increase(2, 4_000, 40, 0, token_id=TOKEN_ID + 1))
    assert refine(raw) is None


def test_a_deposit_and_a_collect_in_one_transaction_are_left_alone() -> None:
    raw = tx(transfer(0, TKA, ME, POOL, 100), increase(1, 5_000, 100, 0),
             pool_collect(2, ME, 0, 5), transfer(3, TKB, POOL, ME, 5), collect(4, ME, 0, 5))
    assert refine(raw) is None


def test_a_failed_transaction_is_not_refined() -> None:
    raw = tx(transfer(0, TKA, ME, POOL, 100), nft_transfer(1, ZERO, ME),
             increase(2, 5_000, 100, 0), success=False)
    assert refine(raw) is None


# ---- swaps ---------------------------------------------------------------------------------


def test_a_v3_swap_is_a_trade() -> None:
    raw = tx(transfer(0, TKA, ME, POOL, 500), transfer(1, TKB, POOL, ME, 480),
             v3_swap(2, 500, -480), to=ROUTER)
    found = refine(raw)
    assert found is not None
    assert (found.decoder, found.protocol, found.extra, found.drop) == (
        "uniswap-v3", "uniswap-v3", (), frozenset())
    assert dict(found.kinds) == {"log:0": Kind.TRADE, "log:1": Kind.TRADE}
    assert ledger(raw) == [("log:0", A, -500, "trade", "uniswap-v3"),
                           ("log:1", B, 480, "trade", "uniswap-v3")]


def test_a_v3_swap_of_the_coin_with_a_refund() -> None:
    # the router wraps 700 of the 1_000 sent for itself and refunds 300
    raw = tx(transfer(0, WETH_ADDRESS, ROUTER, POOL, 700), transfer(1, TKA, POOL, ME, 480),
             v3_swap(2, -480, 700), to=ROUTER, value=1_000,
             internal=(InternalTransfer("0", ROUTER, WETH_ADDRESS, 700),
                       InternalTransfer("1", ROUTER, ME, 300)))
    assert ledger(raw) == [("log:1", A, 480, "trade", "uniswap-v3"),
                           ("native", ETH, -1_000, "trade", "uniswap-v3"),
                           ("trace:1", ETH, 300, "trade", "uniswap-v3")]


def test_a_swap_event_with_only_an_inflow_is_not_the_wallets_trade() -> None:
    # someone else's swap paid out to the wallet
    raw = tx(transfer(0, TKB, POOL, ME, 480), v3_swap(1, 500, -480), to=ROUTER)
    assert refine(raw) is None
    assert ledger(raw) == [("log:0", B, 480, "transfer_in", "unexplained")]


def test_three_assets_moving_around_a_swap_is_left_alone() -> None:
    raw = tx(transfer(0, TKA, ME, POOL, 500), transfer(1, TKB, POOL, ME, 480),
             transfer(2, USDC_ADDRESS, STRANGER, ME, 9), v3_swap(3, 500, -480), to=ROUTER)
    assert refine(raw) is None


# ---- malformed logs ------------------------------------------------------------------------


MINT_LEGS = (transfer(0, TKA, ME, POOL, 100), transfer(1, TKB, ME, POOL, 200),
             nft_transfer(2, ZERO, ME))


@pytest.mark.parametrize("bad", [
    RawLog(3, MANAGER, (INCREASE,), data(5_000, 100, 200)),  # tokenId missing
    RawLog(3, MANAGER, (INCREASE, id_topic(7), id_topic(7)), data(5_000, 100, 200)),  # 3 topics
    RawLog(3, MANAGER, (INCREASE, id_topic(7)), data(5_000, 100)),  # two words
    RawLog(3, MANAGER, (INCREASE, id_topic(7)), data(5_000, 100, 200, 1)),  # four words
    RawLog(3, MANAGER, (INCREASE, id_topic(7)), data(5_000, 100, 200)[:-2]),  # cut short
    RawLog(3, MANAGER, (INCREASE, id_topic(7)), "0x" + "zz" * 96),  # not hex
    RawLog(3, MANAGER, (INCREASE, id_topic(7)), ""),  # no data at all
    RawLog(3, MANAGER, (INCREASE, "0x" + "zz" * 32), data(5_000, 100, 200)),  # tokenId not hex
])
def test_malformed_increase_logs_are_ignored(bad: RawLog) -> None:
    raw = tx(*MINT_LEGS, bad)
    assert refine(raw) is None
    # the generic rules: both tokens out, the NFT in
    assert {leg[3:] for leg in ledger(raw)} == {("trade", "transfer")}


WITHDRAW_LOGS = (decrease(0, 2_500, 40, 90), transfer(1, TKA, POOL, ME, 43),
                 transfer(2, TKB, POOL, ME, 95))


@pytest.mark.parametrize("bad", [
    # the manager's Collect
    RawLog(4, MANAGER, (COLLECT,), data(int(ME, 16), 43, 95)),
    RawLog(4, MANAGER, (COLLECT, id_topic(7)), data(int(ME, 16), 43)),
    RawLog(4, MANAGER, (COLLECT, id_topic(7)), "0x" + "zz" * 96),
    # the pool's Collect: a topic missing, or the owner not the manager
    RawLog(3, POOL, (POOL_COLLECT, topic(MANAGER), "0x" + word(1)), data(int(ME, 16), 43, 95)),
    RawLog(3, POOL, (POOL_COLLECT, topic(STRANGER), "0x" + word(1), "0x" + word(2)),
           data(int(ME, 16), 43, 95)),
    RawLog(3, POOL, (POOL_COLLECT, "0x" + "ff" * 32, "0x" + word(1), "0x" + word(2)),
           data(int(ME, 16), 43, 95)),
])
def test_malformed_collect_logs_are_ignored(bad: RawLog) -> None:
    good_pool, good_manager = pool_collect(3, ME, 43, 95), collect(4, ME, 43, 95)
    logs = (*WITHDRAW_LOGS, bad, good_manager) if bad.address == POOL else \
        (*WITHDRAW_LOGS, good_pool, bad)
    raw = tx(*logs)
    assert refine(raw) is None
    ledger(raw)  # the generic rules take it, without a crash


def test_a_collect_whose_recipient_word_is_no_address() -> None:
    bad = RawLog(3, MANAGER, (COLLECT, id_topic(7)), data(1 << 200, 3, 5))
    raw = tx(pool_collect(0, ME, 3, 5), transfer(1, TKA, POOL, ME, 3),
             transfer(2, TKB, POOL, ME, 5), bad)
    assert refine(raw) is None


@pytest.mark.parametrize("bad", [
    RawLog(2, POOL, (SWAP,), data(500, -480)),  # no sender, recipient; two words
    RawLog(2, POOL, (SWAP, topic(ROUTER), topic(ME)), "0x" + "zz" * 160),  # not hex
    RawLog(2, POOL, (), "0x"),  # no topics at all
])
def test_malformed_swap_logs_do_not_crash(bad: RawLog) -> None:
    raw = tx(transfer(0, TKA, ME, POOL, 500), transfer(1, TKB, POOL, ME, 480), bad, to=ROUTER)
    refine(raw)
    # one asset for another: a trade, whoever names it
    assert {leg[3] for leg in ledger(raw)} == {"trade"}


# ---- through the lot engine ----------------------------------------------------------------


def test_a_position_carries_its_basis_and_a_half_decrease_realizes_half_of_it() -> None:
    chain = chain_by_id(1)
    ranks = asset_ranks([chain], frozenset())
    tokens = {USDC_ADDRESS: TokenInfo(1, USDC_ADDRESS, "USDC", "USD Coin", 6),
              WETH_ADDRESS: TokenInfo(1, WETH_ADDRESS, "WETH", "Wrapped Ether", 18)}
    prices = PriceBook([PricePoint(WETH, datetime(2024, 1, 1, tzinfo=UTC), Decimal(2000), "csv"),
                        PricePoint(WETH, datetime(2024, 3, 1, tzinfo=UTC), Decimal(2500), "csv"),
                        PricePoint(WETH, datetime(2024, 6, 1, tzinfo=UTC), Decimal(3000), "csv")],
                       pegged=ranks.stablecoins)
    usdc, eth = 10**6, 10**18
    liquidity = 10**12
    # someone sends the wallet 3000 USDC ($3000) and 1 WETH ($2000 in January)
    received = tx(transfer(0, USDC_ADDRESS, STRANGER, ME, 3_000 * usdc),
                  transfer(1, WETH_ADDRESS, STRANGER, ME, eth), n=1,
                  when=datetime(2024, 1, 10, tzinfo=UTC), sender=STRANGER, to=STRANGER,
                  gas_used=0)
    # March (WETH $2500): all of it into a USDC/WETH position (USDC is token0)
    minted = tx(transfer(0, USDC_ADDRESS, ME, POOL, 3_000 * usdc),
                transfer(1, WETH_ADDRESS, ME, POOL, eth), nft_transfer(2, ZERO, ME),
                increase(3, liquidity, 3_000 * usdc, eth), n=2,
                when=datetime(2024, 3, 10, tzinfo=UTC), gas_used=0)
    # June (WETH $3000): half the liquidity out, 1400 USDC + 0.6 WETH principal, collected
    # with 10 USDC + 0.01 WETH of fees
    halved = tx(decrease(0, liquidity // 2, 1_400 * usdc, 6 * eth // 10),
                transfer(1, USDC_ADDRESS, POOL, ME, 1_410 * usdc),
                transfer(2, WETH_ADDRESS, POOL, ME, 61 * eth // 100),
                pool_collect(3, ME, 1_410 * usdc, 61 * eth // 100),
                collect(4, ME, 1_410 * usdc, 61 * eth // 100), n=3,
                when=datetime(2024, 6, 10, tzinfo=UTC), gas_used=0)
    built = build_ledger(chain, [received, minted, halved], [ME], tokens, prices, ranks)
    book = compute_lots(built.entries, purchase_currencies=ranks.stablecoins)
    minted_hash, halved_hash = minted.tx_hash, halved.tx_hash

    # the deposit realizes nothing: the units' lot takes the tokens' basis, $3000 + $2000
    # (not their $5500 value in March)
    (units_lot,) = [lot for lot in book.acquisitions if lot.asset == POSITION]
    assert (units_lot.quantity, units_lot.cost_basis_usd, units_lot.origin_tx,
            units_lot.origin_kind) == (Decimal(liquidity), Decimal(5000), minted_hash,
                                       Kind.LP_DEPOSIT)
    assert all(d.tx_hash != minted_hash for d in book.disposals)

    # the half decrease disposes of half the units, against exactly half the basis; the
    # proceeds are the principal's value: 1400 USDC + 0.6 WETH at $3000
    (sold,) = book.disposals
    assert (sold.asset, sold.quantity, sold.kind, sold.tx_hash) == (
        POSITION, Decimal(liquidity // 2), Kind.LP_WITHDRAW, halved_hash)
    assert (sold.proceeds_usd, sold.cost_basis_usd, sold.gain_usd) == (
        Decimal(3200), Decimal(2500), Decimal(700))
    (left,) = [lot for lot in book.open_lots if lot.asset == POSITION]
    assert (left.quantity, left.cost_basis_usd) == (Decimal(liquidity // 2), Decimal(2500))

    # the fees are income at fair value: 10 USDC ($10), 0.01 WETH ($30)
    assert sorted((e.asset, e.quantity, e.usd_value, e.kind, e.tx_hash)
                  for e in book.income) == sorted([
                      (USDC, Decimal(10), Decimal(10), "lp_fee", halved_hash),
                      (WETH, Decimal("0.01"), Decimal(30), "lp_fee", halved_hash)])
    # and the principal is a new lot of each token at its value
    new = sorted((lot.asset, lot.quantity, lot.cost_basis_usd) for lot in book.open_lots
                 if lot.origin_tx == halved_hash and lot.asset != POSITION)
    assert new == sorted([(USDC, Decimal(1400), Decimal(1400)), (USDC, Decimal(10), Decimal(10)),
                          (WETH, Decimal("0.6"), Decimal(1800)),
                          (WETH, Decimal("0.01"), Decimal(30))])
