"""The WETH9 and Uniswap V2 decoders on hand-built transactions, alone and through
build_ledger. Amounts are small distinct numbers so a leg can only come from one place."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chains.addresses import erc20_asset
from chains.deployments import contracts_on
from chains.evm.abi import TRANSFER
from chains.evm.records import InternalTransfer, RawLog, RawTx, TokenInfo
from chains.registry import chain_by_id
from scanner.app.settings import asset_ranks
from scanner.ledger.build import build_ledger
from scanner.ledger.decode.protocols import DecodeContext, ProtocolDecoder, Refinement, refine_all
from scanner.ledger.decode.protocols.uniswap_v2 import BURN, MINT, SWAP, SYNC, UniswapV2Decoder
from scanner.ledger.decode.protocols.weth import DEPOSIT, WITHDRAWAL, WethDecoder
from scanner.ledger.decode.registry import DECODERS
from scanner.ledger.decode.transfers import decode_movements
from scanner.ledger.records import Kind
from scanner.prices.book import PriceBook

ME = "0x" + "aa" * 20
ROUTER = "0x" + "bb" * 20
PAIR = "0x" + "cc" * 20
OTHER_PAIR = "0x" + "cd" * 20
STRANGER = "0x" + "dd" * 20
TKA = "0x" + "a1" * 20
TKB = "0x" + "b2" * 20
ZERO = "0x" + "00" * 20
WETH_ADDRESS = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"  # the registry's mainnet WETH
ETH = "eip155:1/slip44:60"
WETH = erc20_asset(1, WETH_ADDRESS)
A, B, LP, OTHER_LP = (erc20_asset(1, t) for t in (TKA, TKB, PAIR, OTHER_PAIR))
CONTEXT = DecodeContext(1, ETH, WETH_ADDRESS, frozenset({ME}), {},
                        contracts_on(1))

Leg = tuple[str, str, int, str, str]


def word(value: int) -> str:
    return format(value, "064x")


def topic(address: str) -> str:
    return "0x" + address[2:].rjust(64, "0")


def data(*values: int) -> str:
    return "0x" + "".join(word(v) for v in values)


def transfer(index: int, token: str, source: str, target: str, amount: int) -> RawLog:
    return RawLog(index, token, (TRANSFER, topic(source), topic(target)), data(amount))


def deposit(index: int, dst: str, wad: int, token: str = WETH_ADDRESS) -> RawLog:
    return RawLog(index, token, (DEPOSIT, topic(dst)), data(wad))


def withdrawal(index: int, src: str, wad: int) -> RawLog:
    return RawLog(index, WETH_ADDRESS, (WITHDRAWAL, topic(src)), data(wad))


def mint(index: int, pair: str, amount0: int, amount1: int) -> RawLog:
    return RawLog(index, pair, (MINT, topic(ROUTER)), data(amount0, amount1))


def burn(index: int, pair: str, amount0: int, amount1: int, to: str) -> RawLog:
    return RawLog(index, pair, (BURN, topic(ROUTER), topic(to)), data(amount0, amount1))


def swap(index: int, pair: str, amounts: tuple[int, int, int, int], to: str) -> RawLog:
    return RawLog(index, pair, (SWAP, topic(ROUTER), topic(to)), data(*amounts))


def sync(index: int, pair: str) -> RawLog:
    return RawLog(index, pair, (SYNC,), data(10**24, 10**24))


def tx(*logs: RawLog, to: str = ROUTER, value: int = 0,
       internal: tuple[InternalTransfer, ...] = ()) -> RawTx:
    return RawTx(chain_id=1, tx_hash="0x" + "01" * 32, block_number=7, tx_index=3,
                 timestamp=datetime(2024, 3, 1, tzinfo=UTC), from_address=ME, to_address=to,
                 value=value, gas_used=50_000, effective_gas_price=10**9, success=True,
                 logs=logs, internal=internal)


def refine(decoder: ProtocolDecoder, raw: RawTx,
           context: DecodeContext = CONTEXT) -> Refinement | None:
    moves = [m for m in decode_movements(raw, {ME}, ETH, context.tokens) if not m.is_fee]
    return decoder.refine(raw, ME, moves, context)


def ledger(raw: RawTx) -> list[Leg]:
    """The wallet's non-gas ledger legs through the real pipeline and the registry."""
    chain = chain_by_id(1)
    built = build_ledger(chain, [raw], [ME], {}, PriceBook([]), asset_ranks([chain], frozenset()))
    assert [e.kind for e in built.entries if e.leg_key == "gas"] == [Kind.FEE]
    return sorted((e.leg_key, e.asset, e.raw_amount, e.kind.value, e.protocol)
                  for e in built.entries if e.leg_key != "gas")


# ---- the registry --------------------------------------------------------------------------


def test_the_registry_asks_bridges_then_weth_then_uniswap_v2() -> None:
    assert [d.name for d in DECODERS][:3] == ["bridges", "weth", "uniswap-v2"]


# ---- WETH9 ---------------------------------------------------------------------------------


def test_a_wrap_adds_the_weth_leg_no_transfer_carries() -> None:
    raw = tx(deposit(4, ME, 7_000), to=WETH_ADDRESS, value=7_000)
    found = refine(WethDecoder(), raw)
    assert found is not None
    assert (found.decoder, found.protocol) == ("weth", "weth")
    assert "Deposit" in found.note
    assert dict(found.kinds) == {"native": Kind.WRAP, "log:4": Kind.WRAP}
    (leg,) = found.extra
    assert (leg.leg_key, leg.log_index, leg.wallet, leg.asset, leg.raw_amount, leg.decimals,
            leg.counterparty) == ("log:4", 4, ME, WETH, 7_000, 18, WETH_ADDRESS)
    assert (leg.tx_hash, leg.block_number, leg.tx_index, leg.timestamp) == (
        raw.tx_hash, raw.block_number, raw.tx_index, raw.timestamp)
    assert ledger(raw) == [("log:4", WETH, 7_000, "wrap", "weth"),
                           ("native", ETH, -7_000, "wrap", "weth")]


def test_the_added_leg_takes_the_tokens_decimals_when_known() -> None:
    wbnb = DecodeContext(1, ETH, WETH_ADDRESS, frozenset({ME}),
                         {WETH_ADDRESS: TokenInfo(1, WETH_ADDRESS, "WBNB", "Wrapped", 12)})
    found = refine(WethDecoder(), tx(deposit(4, ME, 7_000), to=WETH_ADDRESS, value=7_000), wbnb)
    assert found is not None and [m.decimals for m in found.extra] == [12]
    assert "WBNB" in found.note


def test_an_unwrap_pairs_the_weth_leg_with_the_coin_coming_back_internally() -> None:
    back = InternalTransfer("0", WETH_ADDRESS, ME, 5_000)
    raw = tx(withdrawal(9, ME, 5_000), to=WETH_ADDRESS, internal=(back,))
    found = refine(WethDecoder(), raw)
    assert found is not None and "Withdrawal" in found.note
    assert dict(found.kinds) == {"trace:0": Kind.UNWRAP, "log:9": Kind.UNWRAP}
    assert [(m.leg_key, m.raw_amount) for m in found.extra] == [("log:9", -5_000)]
    assert ledger(raw) == [("log:9", WETH, -5_000, "unwrap", "weth"),
                           ("trace:0", ETH, 5_000, "unwrap", "weth")]


def test_a_router_wrapping_for_itself_inside_a_swap_is_not_the_wallets_wrap() -> None:
    raw = tx(deposit(0, ROUTER, 3_000), transfer(1, WETH_ADDRESS, ROUTER, PAIR, 3_000),
             transfer(2, TKA, PAIR, ME, 900), value=3_000)
    assert refine(WethDecoder(), raw) is None
    # no Swap event either (a pool of another kind): the generic rule's trade
    assert ledger(raw) == [("log:2", A, 900, "trade", "transfer"),
                           ("native", ETH, -3_000, "trade", "transfer")]
    # the same through a V2 pair: still a trade, named after the pool
    with_swap = tx(*raw.logs, swap(3, PAIR, (0, 3_000, 900, 0), ME), value=3_000)
    assert ledger(with_swap) == [("log:2", A, 900, "trade", "uniswap-v2"),
                                 ("native", ETH, -3_000, "trade", "uniswap-v2")]


def test_a_contract_wrapping_the_coin_it_was_sent_keeps_its_weth() -> None:
    # the wallet pays a vault, which wraps for itself: the WETH is the vault's, not ours
    raw = tx(deposit(0, STRANGER, 1_000), to=STRANGER, value=1_000)
    assert refine(WethDecoder(), raw) is None
    assert ledger(raw) == [("native", ETH, -1_000, "transfer_out", "transfer")]


def test_a_wrapped_token_that_also_emits_transfer_gets_no_second_leg() -> None:
    raw = tx(deposit(0, ME, 2_000), transfer(1, WETH_ADDRESS, ZERO, ME, 2_000),
             to=WETH_ADDRESS, value=2_000)
    found = refine(WethDecoder(), raw)
    assert found is not None and found.extra == ()
    assert dict(found.kinds) == {"native": Kind.WRAP, "log:1": Kind.WRAP}
    assert ledger(raw) == [("log:1", WETH, 2_000, "wrap", "weth"),
                           ("native", ETH, -2_000, "wrap", "weth")]


def test_a_wrap_with_a_refund_nets_the_refund_out() -> None:
    refund = InternalTransfer("0_1", STRANGER, ME, 400)
    raw = tx(deposit(2, ME, 1_600), to=STRANGER, value=2_000, internal=(refund,))
    found = refine(WethDecoder(), raw)
    assert found is not None
    assert dict(found.kinds) == {"native": Kind.WRAP, "trace:0_1": Kind.WRAP,
                                 "log:2": Kind.WRAP}


@pytest.mark.parametrize("case", [
    "more coin out than wrapped", "another token moved", "wrap and unwrap at once",
    "another contract's Deposit", "zero wad",
])
def test_weth_refuses_legs_that_are_not_exactly_the_wrap(case: str) -> None:
    raw = {
        "more coin out than wrapped": tx(deposit(0, ME, 1_000), to=WETH_ADDRESS, value=1_500),
        "another token moved": tx(deposit(0, ME, 1_000), transfer(1, TKA, ME, STRANGER, 5),
                                  to=WETH_ADDRESS, value=1_000),
        "wrap and unwrap at once": tx(deposit(0, ME, 1_000), withdrawal(1, ME, 1_000),
                                      to=WETH_ADDRESS, value=1_000,
                                      internal=(InternalTransfer("0", WETH_ADDRESS, ME, 1_000),)),
        "another contract's Deposit": tx(deposit(0, ME, 1_000, token=TKA), to=TKA, value=1_000),
        "zero wad": tx(deposit(0, ME, 0), to=WETH_ADDRESS),
    }[case]
    assert refine(WethDecoder(), raw) is None


def test_weth_passes_on_a_chain_without_a_wrapped_native() -> None:
    bare = DecodeContext(1, ETH, None, frozenset({ME}), {})
    assert refine(WethDecoder(), tx(deposit(0, ME, 10), to=WETH_ADDRESS, value=10), bare) is None


@pytest.mark.parametrize("log", [
    RawLog(0, WETH_ADDRESS, (DEPOSIT, topic(ME), topic(ME)), data(1_000)),  # 3 topics
    RawLog(0, WETH_ADDRESS, (DEPOSIT,), data(1_000)),  # dst missing
    RawLog(0, WETH_ADDRESS, (DEPOSIT, topic(ME)), data(1_000, 1)),  # two words
    RawLog(0, WETH_ADDRESS, (DEPOSIT, topic(ME)), data(1_000)[:-2]),  # short data
    RawLog(0, WETH_ADDRESS, (DEPOSIT, topic(ME)), "0x" + "zz" * 32),  # not hex
    RawLog(0, WETH_ADDRESS, (DEPOSIT, "0x" + "ff" * 32), data(1_000)),  # not an address
])
def test_malformed_weth_logs_are_ignored(log: RawLog) -> None:
    raw = tx(log, to=WETH_ADDRESS, value=1_000)
    assert refine(WethDecoder(), raw) is None
    assert ledger(raw) == [("native", ETH, -1_000, "transfer_out", "transfer")]


# ---- Uniswap V2 ----------------------------------------------------------------------------


def test_adding_liquidity_with_two_tokens() -> None:
    raw = tx(transfer(0, TKA, ME, PAIR, 100), transfer(1, TKB, ME, PAIR, 200),
             transfer(2, PAIR, ZERO, ME, 140), sync(3, PAIR), mint(4, PAIR, 100, 200))
    found = refine(UniswapV2Decoder(), raw)
    assert found is not None
    assert (found.decoder, found.protocol, found.extra) == ("uniswap-v2", "uniswap-v2", ())
    assert found.note == f"Mint on pair {PAIR}: liquidity added"
    assert ledger(raw) == [("log:0", A, -100, "lp_deposit", "uniswap-v2"),
                           ("log:1", B, -200, "lp_deposit", "uniswap-v2"),
                           ("log:2", LP, 140, "lp_deposit", "uniswap-v2")]


def test_adding_liquidity_with_the_coin_and_a_refund() -> None:
    # Router02.addLiquidityETH: 1_000 wei sent, the router wraps 800 for itself and refunds 200
    refund = InternalTransfer("3", ROUTER, ME, 200)
    raw = tx(transfer(0, TKA, ME, PAIR, 50), deposit(1, ROUTER, 800),
             transfer(2, WETH_ADDRESS, ROUTER, PAIR, 800), transfer(3, PAIR, ZERO, ME, 60),
             sync(4, PAIR), mint(5, PAIR, 50, 800), value=1_000, internal=(refund,))
    assert refine(WethDecoder(), raw) is None
    assert ledger(raw) == [("log:0", A, -50, "lp_deposit", "uniswap-v2"),
                           ("log:3", LP, 60, "lp_deposit", "uniswap-v2"),
                           ("native", ETH, -1_000, "lp_deposit", "uniswap-v2"),
                           ("trace:3", ETH, 200, "lp_deposit", "uniswap-v2")]


def test_removing_liquidity() -> None:
    raw = tx(transfer(0, PAIR, ME, PAIR, 70), transfer(1, PAIR, PAIR, ZERO, 70),
             transfer(2, TKA, PAIR, ME, 30), transfer(3, TKB, PAIR, ME, 60), sync(4, PAIR),
             burn(5, PAIR, 30, 60, ME))
    found = refine(UniswapV2Decoder(), raw)
    assert found is not None and found.note == f"Burn on pair {PAIR}: liquidity removed"
    assert ledger(raw) == [("log:0", LP, -70, "lp_withdraw", "uniswap-v2"),
                           ("log:2", A, 30, "lp_withdraw", "uniswap-v2"),
                           ("log:3", B, 60, "lp_withdraw", "uniswap-v2")]


def test_removing_liquidity_for_the_coin_paid_back_internally() -> None:
    paid = InternalTransfer("2", ROUTER, ME, 45)
    raw = tx(transfer(0, PAIR, ME, PAIR, 70), transfer(1, TKA, ROUTER, ME, 30),
             burn(2, PAIR, 30, 45, ROUTER), withdrawal(3, ROUTER, 45), internal=(paid,))
    assert refine(WethDecoder(), raw) is None
    assert ledger(raw) == [("log:0", LP, -70, "lp_withdraw", "uniswap-v2"),
                           ("log:1", A, 30, "lp_withdraw", "uniswap-v2"),
                           ("trace:2", ETH, 45, "lp_withdraw", "uniswap-v2")]


def test_a_v2_swap_is_a_trade_named_after_the_pool() -> None:
    raw = tx(transfer(0, TKA, ME, PAIR, 500), transfer(1, TKB, PAIR, ME, 480), sync(2, PAIR),
             swap(3, PAIR, (500, 0, 0, 480), ME))
    found = refine(UniswapV2Decoder(), raw)
    assert found is not None and PAIR in found.note
    assert dict(found.kinds) == {"log:0": Kind.TRADE, "log:1": Kind.TRADE}
    assert ledger(raw) == [("log:0", A, -500, "trade", "uniswap-v2"),
                           ("log:1", B, 480, "trade", "uniswap-v2")]


def test_a_swap_with_three_assets_moving_is_left_to_the_generic_rules() -> None:
    raw = tx(transfer(0, TKA, ME, PAIR, 500), transfer(1, TKB, PAIR, ME, 480),
             transfer(2, WETH_ADDRESS, STRANGER, ME, 9), swap(3, PAIR, (500, 0, 0, 480), ME))
    assert refine(UniswapV2Decoder(), raw) is None
    assert {leg[4] for leg in ledger(raw)} == {"transfer"}


def test_a_mint_on_a_pair_whose_lp_token_the_wallet_did_not_receive() -> None:
    # the wallet paid in, but the LP token was minted to someone else (and the wallet got an
    # LP token of another pair, which minted nothing here)
    raw = tx(transfer(0, TKA, ME, PAIR, 100), transfer(1, TKB, ME, PAIR, 200),
             transfer(2, PAIR, ZERO, STRANGER, 140), transfer(3, OTHER_PAIR, STRANGER, ME, 5),
             mint(4, PAIR, 100, 200))
    assert refine(UniswapV2Decoder(), raw) is None
    assert {leg[3:] for leg in ledger(raw)} == {("trade", "transfer")}


def test_an_lp_token_received_for_nothing_is_not_liquidity_added() -> None:
    raw = tx(transfer(0, PAIR, ZERO, ME, 140), mint(1, PAIR, 100, 200))
    assert refine(UniswapV2Decoder(), raw) is None
    # an inflow of the wallet's own transaction that no claim explains: listed for review
    assert ledger(raw) == [("log:0", LP, 140, "transfer_in", "unexplained")]


def test_liquidity_moved_between_pairs_at_once_is_left_alone() -> None:
    raw = tx(transfer(0, PAIR, ME, PAIR, 70), burn(1, PAIR, 30, 60, ROUTER),
             transfer(2, OTHER_PAIR, ZERO, ME, 40), mint(3, OTHER_PAIR, 30, 60))
    assert refine(UniswapV2Decoder(), raw) is None


@pytest.mark.parametrize("bad", [
    RawLog(4, PAIR, (MINT,), data(100, 200)),  # sender missing
    RawLog(4, PAIR, (MINT, topic(ROUTER), topic(ME)), data(100, 200)),  # one topic too many
    RawLog(4, PAIR, (MINT, topic(ROUTER)), data(100)),  # one amount
    RawLog(4, PAIR, (MINT, topic(ROUTER)), data(100, 200)[:-6]),  # cut short
    RawLog(4, PAIR, (MINT, "0x" + "ee" * 32), data(100, 200)),  # sender not an address
])
def test_malformed_mint_logs_are_ignored(bad: RawLog) -> None:
    raw = tx(transfer(0, TKA, ME, PAIR, 100), transfer(1, TKB, ME, PAIR, 200),
             transfer(2, PAIR, ZERO, ME, 140), bad)
    assert refine(UniswapV2Decoder(), raw) is None
    # the LP token minted to the wallet for its tokens: the generic receipt shape's deposit
    assert {leg[3:] for leg in ledger(raw)} == {("deposit", "receipt")}


@pytest.mark.parametrize("bad", [
    RawLog(3, PAIR, (SWAP, topic(ROUTER)), data(500, 0, 0, 480)),  # recipient missing
    RawLog(3, PAIR, (SWAP, topic(ROUTER), topic(ME)), data(500, 0, 480)),  # three amounts
    RawLog(3, PAIR, (BURN, topic(ROUTER)), data(500, 480)),  # Burn without `to`
])
def test_malformed_swap_and_burn_logs_are_ignored(bad: RawLog) -> None:
    raw = tx(transfer(0, TKA, ME, PAIR, 500), transfer(1, TKB, PAIR, ME, 480), bad)
    assert refine(UniswapV2Decoder(), raw) is None


def test_refine_all_asks_weth_before_uniswap_v2() -> None:
    # a wallet wrapping directly in a transaction that also holds a V2 Swap (a multicall):
    # its legs are exactly the wrap, so WETH claims them
    raw = tx(deposit(0, ME, 300), swap(1, PAIR, (1, 0, 0, 1), STRANGER), to=WETH_ADDRESS,
             value=300)
    moves = decode_movements(raw, {ME}, ETH, {})
    found = refine_all(raw, moves, CONTEXT, DECODERS)
    assert [(w, r.decoder) for w, r in found.items()] == [(ME, "weth")]


def test_a_swap_for_a_token_marked_as_spam_is_left_to_the_generic_rules() -> None:
    raw = tx(transfer(0, TKA, ME, PAIR, 500), transfer(1, TKB, PAIR, ME, 480), sync(2, PAIR),
             swap(3, PAIR, (500, 0, 0, 480), ME))
    chain = chain_by_id(1)
    built = build_ledger(chain, [raw], [ME], {}, PriceBook([]),
                         asset_ranks([chain], frozenset()), spam_marks={B: True})
    legs = sorted((e.leg_key, e.kind.value, e.protocol) for e in built.entries
                  if e.leg_key != "gas")
    # with B out of the net flows, A only left: a send, not half of a trade
    assert legs == [("log:0", "transfer_out", "transfer"), ("log:1", "spam", "transfer")]
