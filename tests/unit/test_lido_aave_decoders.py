"""The Lido and Aave v3 decoders: on hand-built transactions (alone and through
build_ledger), on real mainnet receipts (every ledger leg, read from the JSON by hand), and
what their borrow and repay kinds do to the lots."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from chains.addresses import erc20_asset
from chains.deployments import contracts_on
from chains.evm.records import RawLog, RawTx, TokenInfo
from chains.registry import chain_by_id
from scanner.app.settings import asset_ranks
from scanner.ledger.build import build_ledger
from scanner.ledger.decode.protocols import DecodeContext
from scanner.ledger.decode.protocols.aave_v3 import (
    BORROW,
    REPAY,
    SUPPLY,
    TOKEN_BURN,
    TOKEN_MINT,
    WITHDRAW,
    AaveV3Decoder,
)
from scanner.ledger.decode.protocols.lido import SUBMITTED, TRANSFER_SHARES, LidoDecoder
from scanner.ledger.decode.protocols.weth import DEPOSIT
from scanner.ledger.decode.registry import DECODERS
from scanner.ledger.decode.transfers import decode_movements
from scanner.ledger.records import Kind
from scanner.prices.book import PriceBook
from scanner.tax.lots import compute_lots
from tests.unit.builders import USDC, day, leg
from tests.unit.test_decoder_receipts import Leg, ledger_legs, recorded_tx
from tests.unit.test_protocol_decoders import (
    CONTEXT,
    ETH,
    ME,
    STRANGER,
    TKA,
    TKB,
    WETH_ADDRESS,
    ZERO,
    data,
    ledger,
    refine,
    topic,
    transfer,
    tx,
)

MAINNET = contracts_on(1)
STETH, WSTETH, POOL = MAINNET["lido:steth"], MAINNET["lido:wsteth"], MAINNET["aave-v3:pool"]
ATOKEN = "0x" + "a7" * 20  # the aToken of TKA
DEBT = "0x" + "de" * 20  # TKA's variable debt token
AWETH = "0x" + "a8" * 20
GATEWAY = "0x" + "9a" * 20
A, B = erc20_asset(1, TKA), erc20_asset(1, TKB)
STETH_A, WSTETH_A, ATOKEN_A, DEBT_A, AWETH_A = (
    erc20_asset(1, t) for t in (STETH, WSTETH, ATOKEN, DEBT, AWETH))
OPTIMISM = DecodeContext(10, "eip155:10/slip44:60", None, frozenset({ME}), {})


# ---- log builders ------------------------------------------------------------------------


def address_word(address: str) -> int:
    return int(address, 16)


def submitted(index: int, sender: str, amount: int, contract: str = STETH) -> RawLog:
    return RawLog(index, contract, (SUBMITTED, topic(sender)), data(amount, 0))


def shares(index: int, source: str, target: str, amount: int) -> RawLog:
    return RawLog(index, STETH, (TRANSFER_SHARES, topic(source), topic(target)), data(amount))


def supply(index: int, reserve: str, user: str, on_behalf: str, amount: int,
           pool: str = POOL) -> RawLog:
    return RawLog(index, pool, (SUPPLY, topic(reserve), topic(on_behalf), topic(ZERO)),
                  data(address_word(user), amount))


def withdraw(index: int, reserve: str, user: str, to: str, amount: int) -> RawLog:
    return RawLog(index, POOL, (WITHDRAW, topic(reserve), topic(user), topic(to)), data(amount))


def borrow(index: int, reserve: str, user: str, on_behalf: str, amount: int) -> RawLog:
    return RawLog(index, POOL, (BORROW, topic(reserve), topic(on_behalf), topic(ZERO)),
                  data(address_word(user), amount, 2, 10**25))


def repay(index: int, reserve: str, user: str, repayer: str, amount: int,
          with_atokens: bool = False) -> RawLog:
    return RawLog(index, POOL, (REPAY, topic(reserve), topic(user), topic(repayer)),
                  data(amount, int(with_atokens)))


def token_mint(index: int, token: str, on_behalf: str, value: int, interest: int = 0) -> RawLog:
    return RawLog(index, token, (TOKEN_MINT, topic(on_behalf), topic(on_behalf)),
                  data(value, interest, 10**27))


def token_burn(index: int, token: str, source: str, target: str, value: int,
               interest: int = 0) -> RawLog:
    return RawLog(index, token, (TOKEN_BURN, topic(source), topic(target)),
                  data(value, interest, 10**27))


# ---- the registry --------------------------------------------------------------------------


def test_lido_and_aave_are_asked_after_weth_and_uniswap_v2() -> None:
    assert [d.name for d in DECODERS][:5] == ["bridges", "weth", "uniswap-v2", "uniswap-v3",
                                              "lido"]
    assert "aave-v3" in [d.name for d in DECODERS][4:]


# ---- Lido ----------------------------------------------------------------------------------


def test_staking_eth_for_steth() -> None:
    # stETH mints a wei less than was sent: share rounding
    raw = tx(submitted(0, ME, 1_000), transfer(1, STETH, ZERO, ME, 999),
             shares(2, ZERO, ME, 870), to=STETH, value=1_000)
    found = refine(LidoDecoder(), raw)
    assert found is not None
    assert (found.decoder, found.protocol, found.extra) == ("lido", "lido", ())
    assert dict(found.kinds) == {"native": Kind.STAKE, "log:1": Kind.STAKE}
    assert ledger(raw) == [("log:1", STETH_A, 999, "stake", "lido"),
                           ("native", ETH, -1_000, "stake", "lido")]


def test_eth_sent_straight_to_wsteth_is_staked_and_wrapped() -> None:
    raw = tx(submitted(0, WSTETH, 1_000), transfer(1, STETH, ZERO, WSTETH, 999),
             shares(2, ZERO, WSTETH, 870), transfer(3, WSTETH, ZERO, ME, 870),
             to=WSTETH, value=1_000)
    assert ledger(raw) == [("log:3", WSTETH_A, 870, "stake", "lido"),
                           ("native", ETH, -1_000, "stake", "lido")]


def test_wrapping_steth_into_wsteth() -> None:
    raw = tx(transfer(0, WSTETH, ZERO, ME, 870), transfer(1, STETH, ME, WSTETH, 1_000),
             shares(2, ME, WSTETH, 870), to=WSTETH)
    found = refine(LidoDecoder(), raw)
    assert found is not None and "wrapped" in found.note
    assert ledger(raw) == [("log:0", WSTETH_A, 870, "wrap", "lido"),
                           ("log:1", STETH_A, -1_000, "wrap", "lido")]


def test_unwrapping_wsteth_into_steth() -> None:
    raw = tx(transfer(0, WSTETH, ME, ZERO, 870), transfer(1, STETH, WSTETH, ME, 998),
             shares(2, WSTETH, ME, 870), to=WSTETH)
    assert ledger(raw) == [("log:0", WSTETH_A, -870, "unwrap", "lido"),
                           ("log:1", STETH_A, 998, "unwrap", "lido")]


@pytest.mark.parametrize("case", [
    "another contract's Submitted", "Submitted with three topics", "Submitted without data",
    "staked by a router", "stETH not minted", "another token moved too", "a plain stETH send",
    "shares wrapped for someone else", "wstETH not burned", "zero amount",
])
def test_lido_refuses_what_is_not_exactly_its_pattern(case: str) -> None:
    stake = (submitted(0, ME, 1_000), transfer(1, STETH, ZERO, ME, 999))
    raw = {
        "another contract's Submitted": tx(submitted(0, ME, 1_000, contract=STRANGER),
                                           transfer(1, STETH, ZERO, ME, 999), value=1_000),
        "Submitted with three topics": tx(
            RawLog(0, STETH, (SUBMITTED, topic(ME), topic(ME)), data(1_000, 0)),
            transfer(1, STETH, ZERO, ME, 999), value=1_000),
        "Submitted without data": tx(RawLog(0, STETH, (SUBMITTED, topic(ME)), "0x"),
                                     transfer(1, STETH, ZERO, ME, 999), value=1_000),
        "staked by a router": tx(submitted(0, STRANGER, 1_000),
                                 transfer(1, STETH, ZERO, STRANGER, 999),
                                 transfer(2, STETH, STRANGER, ME, 999), value=1_000),
        "stETH not minted": tx(submitted(0, ME, 1_000), transfer(1, STETH, STRANGER, ME, 999),
                               value=1_000),
        "another token moved too": tx(*stake, transfer(2, TKA, ME, STRANGER, 5), value=1_000),
        "a plain stETH send": tx(transfer(0, STETH, ME, STRANGER, 500),
                                 shares(1, ME, STRANGER, 430)),
        "shares wrapped for someone else": tx(transfer(0, WSTETH, ZERO, STRANGER, 870),
                                              transfer(1, STETH, ME, WSTETH, 1_000),
                                              shares(2, ME, WSTETH, 870)),
        "wstETH not burned": tx(transfer(0, WSTETH, ME, STRANGER, 870),
                                transfer(1, STETH, WSTETH, ME, 998),
                                shares(2, WSTETH, ME, 870)),
        "zero amount": tx(submitted(0, ME, 0), transfer(1, STETH, ZERO, ME, 999), value=1_000),
    }[case]
    assert refine(LidoDecoder(), raw) is None
    # left to other rules: the generic ones, or the receipt shape (stETH minted for ETH)
    assert {protocol for *_, protocol in ledger(raw)} <= {"transfer", "unexplained", "receipt"}


def test_lido_is_mainnet_only() -> None:
    raw = tx(submitted(0, ME, 1_000), transfer(1, STETH, ZERO, ME, 999), value=1_000)
    assert refine(LidoDecoder(), raw, OPTIMISM) is None


# ---- Aave v3 -------------------------------------------------------------------------------


def test_supplying_a_token_for_its_atoken() -> None:
    # the aToken's Transfer (log 1) is dropped for the principal, keyed by the Supply (log 3)
    raw = tx(transfer(0, TKA, ME, ATOKEN, 1_000), transfer(1, ATOKEN, ZERO, ME, 1_000),
             token_mint(2, ATOKEN, ME, 1_000), supply(3, TKA, ME, ME, 1_000), to=POOL)
    found = refine(AaveV3Decoder(), raw)
    assert found is not None
    assert (found.decoder, found.protocol) == ("aave-v3", "aave-v3")
    assert found.drop == frozenset({"log:1"})
    assert [(m.leg_key, m.log_index, m.asset, m.raw_amount) for m in found.extra] == [
        ("log:3", 3, ATOKEN_A, 1_000)]
    assert "Supply" in found.note
    assert ledger(raw) == [("log:0", A, -1_000, "supply", "aave-v3"),
                           ("log:3", ATOKEN_A, 1_000, "supply", "aave-v3")]


def test_interest_minted_with_a_supply_stays_a_supply() -> None:
    # the wallet already held aTokens: 12 of interest accrued is minted with the 1_000; the
    # aToken leg is the Supply's 1_000 (the 12 is income from balance snapshots)
    raw = tx(transfer(0, TKA, ME, ATOKEN, 1_000), transfer(1, ATOKEN, ZERO, ME, 1_012),
             token_mint(2, ATOKEN, ME, 1_012, interest=12), supply(3, TKA, ME, ME, 1_000),
             to=POOL)
    assert ledger(raw) == [("log:0", A, -1_000, "supply", "aave-v3"),
                           ("log:3", ATOKEN_A, 1_000, "supply", "aave-v3")]


def test_supplying_the_coin_through_a_gateway() -> None:
    # the gateway wraps for itself (not the wallet's wrap) and supplies on the wallet's behalf
    raw = tx(RawLog(0, WETH_ADDRESS, (DEPOSIT, topic(GATEWAY)), data(1_000)),
             transfer(1, WETH_ADDRESS, GATEWAY, AWETH, 1_000),
             transfer(2, AWETH, ZERO, ME, 1_000),
             RawLog(3, AWETH, (TOKEN_MINT, topic(GATEWAY), topic(ME)), data(1_000, 0, 10**27)),
             supply(4, WETH_ADDRESS, GATEWAY, ME, 1_000), to=GATEWAY, value=1_000)
    assert ledger(raw) == [("log:4", AWETH_A, 1_000, "supply", "aave-v3"),
                           ("native", ETH, -1_000, "supply", "aave-v3")]


def test_withdrawing_burns_the_atoken_less_the_interest() -> None:
    # the Transfer burns 990 = 1_000 less the 10 of interest; the aToken leg is the
    # Withdraw's 1_000, keyed by it (log 3), and the Transfer (log 0) is dropped
    raw = tx(transfer(0, ATOKEN, ME, ZERO, 990), token_burn(1, ATOKEN, ME, ME, 990, 10),
             transfer(2, TKA, ATOKEN, ME, 1_000), withdraw(3, TKA, ME, ME, 1_000), to=POOL)
    found = refine(AaveV3Decoder(), raw)
    assert found is not None and found.drop == frozenset({"log:0"})
    assert ledger(raw) == [("log:2", A, 1_000, "withdraw", "aave-v3"),
                           ("log:3", ATOKEN_A, -1_000, "withdraw", "aave-v3")]


def test_a_withdrawal_smaller_than_the_interest_mints_atokens_and_stays_a_withdrawal() -> None:
    # 15 of interest less the 10 withdrawn: 5 aTokens minted to the wallet (log 0), dropped;
    # the aToken leg is still the Withdraw's principal out, -10 (the 15 is income from
    # balance snapshots)
    raw = tx(transfer(0, ATOKEN, ZERO, ME, 5), token_mint(1, ATOKEN, ME, 5, interest=15),
             transfer(2, TKA, ATOKEN, ME, 10), withdraw(3, TKA, ME, ME, 10), to=POOL)
    found = refine(AaveV3Decoder(), raw)
    assert found is not None and found.drop == frozenset({"log:0"})
    assert ledger(raw) == [("log:2", A, 10, "withdraw", "aave-v3"),
                           ("log:3", ATOKEN_A, -10, "withdraw", "aave-v3")]


def test_a_supply_with_interest_minted_books_the_supply_amount_not_the_transfer() -> None:
    # the Mint's balanceIncrease 47: the aToken Transfer is 2_047 = the Supply's 2_000 plus
    # the interest accrued since the wallet's last action
    raw = tx(transfer(0, TKA, ME, ATOKEN, 2_000), transfer(1, ATOKEN, ZERO, ME, 2_047),
             token_mint(2, ATOKEN, ME, 2_047, interest=47), supply(3, TKA, ME, ME, 2_000),
             to=POOL)
    context = replace(CONTEXT, tokens={ATOKEN: TokenInfo(1, ATOKEN, "aTKA", "Aave TKA", 6)})
    moves = [m for m in decode_movements(raw, {ME}, ETH, context.tokens) if not m.is_fee]
    (dropped,) = [m for m in moves if m.leg_key == "log:1"]
    assert (dropped.asset, dropped.raw_amount) == (ATOKEN_A, 2_047)
    found = AaveV3Decoder().refine(raw, ME, moves, context)
    assert found is not None
    assert found.drop == frozenset({"log:1"})  # the aToken's Transfer leg
    # the principal leg: the dropped leg's asset, decimals and counterparty, the Supply's key
    assert found.extra == (replace(dropped, leg_key="log:3", log_index=3, raw_amount=2_000),)
    (principal,) = found.extra
    assert (principal.decimals, principal.counterparty) == (6, ZERO)
    assert dict(found.kinds) == {"log:0": Kind.SUPPLY, "log:3": Kind.SUPPLY}
    assert ledger(raw) == [("log:0", A, -2_000, "supply", "aave-v3"),
                           ("log:3", ATOKEN_A, 2_000, "supply", "aave-v3")]


def test_withdrawing_everything_books_the_principal_and_interest_out() -> None:
    # the whole balance, 1_025 = 1_000 supplied + 25 of interest, is withdrawn: the Burn's
    # balanceIncrease 25, so the Transfer burns only 1_000; the aToken leg is -1_025
    raw = tx(transfer(0, ATOKEN, ME, ZERO, 1_000),
             token_burn(1, ATOKEN, ME, ME, 1_000, interest=25),
             transfer(2, TKA, ATOKEN, ME, 1_025), withdraw(3, TKA, ME, ME, 1_025), to=POOL)
    moves = [m for m in decode_movements(raw, {ME}, ETH, CONTEXT.tokens) if not m.is_fee]
    (dropped,) = [m for m in moves if m.leg_key == "log:0"]
    found = AaveV3Decoder().refine(raw, ME, moves, CONTEXT)
    assert found is not None
    assert found.drop == frozenset({"log:0"})
    assert found.extra == (replace(dropped, leg_key="log:3", log_index=3, raw_amount=-1_025),)
    assert dict(found.kinds) == {"log:2": Kind.WITHDRAW, "log:3": Kind.WITHDRAW}
    assert ledger(raw) == [("log:2", A, 1_025, "withdraw", "aave-v3"),
                           ("log:3", ATOKEN_A, -1_025, "withdraw", "aave-v3")]


def test_a_borrow_is_a_loan_not_income() -> None:
    raw = tx(transfer(0, DEBT, ZERO, ME, 500), token_mint(1, DEBT, ME, 500),
             transfer(2, TKA, ATOKEN, ME, 500), borrow(3, TKA, ME, ME, 500), to=POOL)
    found = refine(AaveV3Decoder(), raw)
    assert found is not None and "not income" in found.note
    assert ledger(raw) == [("log:0", DEBT_A, 500, "debt", "aave-v3"),
                           ("log:2", A, 500, "borrow", "aave-v3")]
    # without the decoder, the generic rule reads the same legs as inflows no claim
    # explains: transfers in, for review (before the position model: income)
    chain = chain_by_id(1)
    generic = build_ledger(chain, [raw], [ME], {}, PriceBook([]),
                           asset_ranks([chain], frozenset()), decoders=DECODERS[:3])
    assert {e.kind for e in generic.entries if e.leg_key != "gas"} == {Kind.TRANSFER_IN}


def test_the_debt_token_of_a_loan_is_no_holding_and_needs_no_price() -> None:
    borrowed = tx(transfer(0, DEBT, ZERO, ME, 500), token_mint(1, DEBT, ME, 500),
                  transfer(2, TKA, ATOKEN, ME, 500), borrow(3, TKA, ME, ME, 500), to=POOL)
    chain = chain_by_id(1)
    built = build_ledger(chain, [borrowed], [ME], {}, PriceBook([]),
                         asset_ranks([chain], frozenset()))
    book = compute_lots(built.entries)
    assert {lot.asset for lot in book.open_lots} == {A}  # the loan's tokens, not the debt
    assert book.income == ()
    assert [d.kind for d in book.disposals] == [Kind.FEE]  # only the gas


def test_repaying_burns_the_debt_token() -> None:
    raw = tx(transfer(0, DEBT, ME, ZERO, 495), token_burn(1, DEBT, ME, ZERO, 495, 5),
             transfer(2, TKA, ME, ATOKEN, 500), repay(3, TKA, ME, ME, 500), to=POOL)
    found = refine(AaveV3Decoder(), raw)
    assert found is not None and "not a sale" in found.note
    assert ledger(raw) == [("log:0", DEBT_A, -495, "debt", "aave-v3"),
                           ("log:2", A, -500, "repay", "aave-v3")]


def test_repaying_with_atokens() -> None:
    raw = tx(transfer(0, DEBT, ME, ZERO, 500), token_burn(1, DEBT, ME, ZERO, 500),
             transfer(2, ATOKEN, ME, ZERO, 500), token_burn(3, ATOKEN, ME, ATOKEN, 500),
             repay(4, TKA, ME, ME, 500, with_atokens=True), to=POOL)
    assert ledger(raw) == [("log:0", DEBT_A, -500, "debt", "aave-v3"),
                           ("log:2", ATOKEN_A, -500, "repay", "aave-v3")]


def test_someone_else_repaying_the_wallets_debt_only_burns_its_debt_token() -> None:
    raw = tx(transfer(0, DEBT, ME, ZERO, 500), token_burn(1, DEBT, ME, ZERO, 500),
             transfer(2, TKA, STRANGER, ATOKEN, 500), repay(3, TKA, ME, STRANGER, 500),
             to=POOL)
    assert ledger(raw) == [("log:0", DEBT_A, -500, "debt", "aave-v3")]


SUPPLIED = (transfer(0, TKA, ME, ATOKEN, 1_000), transfer(1, ATOKEN, ZERO, ME, 1_000),
            token_mint(2, ATOKEN, ME, 1_000))


@pytest.mark.parametrize("case", [
    "another contract's Supply and no aToken event", "Supply with three topics",
    "Supply with one data word",
    "user not an address", "someone else's onBehalfOf", "another token moved too",
    "no aToken came back", "withdrawn to someone else", "supply and borrow at once",
    "a borrow that sends something out", "a repay that receives the token", "zero amount",
    "the aToken's Mint names someone else",
])
def test_aave_refuses_what_is_not_exactly_its_pattern(case: str) -> None:
    bad_mint = RawLog(2, ATOKEN, (TOKEN_MINT, topic(ME), topic(STRANGER)),
                      data(1_000, 0, 10**27))
    raw = {
        "another contract's Supply and no aToken event": tx(
            *SUPPLIED[:2], supply(3, TKA, ME, ME, 1_000, pool=STRANGER)),
        "Supply with three topics": tx(*SUPPLIED, RawLog(
            3, POOL, (SUPPLY, topic(TKA), topic(ME)), data(address_word(ME), 1_000))),
        "Supply with one data word": tx(*SUPPLIED, RawLog(
            3, POOL, (SUPPLY, topic(TKA), topic(ME), topic(ZERO)), data(1_000))),
        "user not an address": tx(*SUPPLIED, RawLog(
            3, POOL, (SUPPLY, topic(TKA), topic(ME), topic(ZERO)), data(1 << 170, 1_000))),
        "someone else's onBehalfOf": tx(transfer(0, TKA, ME, ATOKEN, 1_000),
                                        transfer(1, ATOKEN, ZERO, STRANGER, 1_000),
                                        token_mint(2, ATOKEN, STRANGER, 1_000),
                                        supply(3, TKA, ME, STRANGER, 1_000)),
        "another token moved too": tx(*SUPPLIED, supply(3, TKA, ME, ME, 1_000),
                                      transfer(4, TKB, ME, STRANGER, 7)),
        "no aToken came back": tx(transfer(0, TKA, ME, ATOKEN, 1_000),
                                  supply(3, TKA, ME, ME, 1_000)),
        "withdrawn to someone else": tx(transfer(0, ATOKEN, ME, ZERO, 990),
                                        token_burn(1, ATOKEN, ME, STRANGER, 990, 10),
                                        transfer(2, TKA, ATOKEN, STRANGER, 1_000),
                                        withdraw(3, TKA, ME, STRANGER, 1_000)),
        "supply and borrow at once": tx(*SUPPLIED, supply(3, TKA, ME, ME, 1_000),
                                        borrow(4, TKA, ME, ME, 1)),
        "a borrow that sends something out": tx(transfer(0, TKA, ATOKEN, ME, 500),
                                                transfer(1, TKB, ME, STRANGER, 5),
                                                borrow(2, TKA, ME, ME, 500)),
        "a repay that receives the token": tx(transfer(0, TKA, ME, ATOKEN, 500),
                                              transfer(1, TKA, ATOKEN, ME, 600),
                                              repay(2, TKA, ME, ME, 500)),
        "zero amount": tx(*SUPPLIED, supply(3, TKA, ME, ME, 0)),
        "the aToken's Mint names someone else": tx(*SUPPLIED[:2], bad_mint,
                                                   supply(3, TKA, ME, ME, 1_000)),
    }[case]
    assert refine(AaveV3Decoder(), raw) is None
    # left to other rules: the generic ones, or the receipt shape (the aToken minted)
    assert {protocol for *_, protocol in ledger(raw)} <= {"transfer", "unexplained", "receipt"}


def test_a_fork_of_the_pool_is_read_by_its_events_and_its_atokens() -> None:
    """A Pool the registry does not list (Spark, a fork on another chain) that emits Aave
    v3's Supply for the wallet, with its aToken's Mint naming the wallet: a supply."""
    raw = tx(*SUPPLIED, supply(3, TKA, ME, ME, 1_000, pool=STRANGER))
    found = refine(AaveV3Decoder(), raw)
    assert found is not None and set(found.kinds.values()) == {Kind.SUPPLY}


def test_aave_is_mainnet_only() -> None:
    raw = tx(*SUPPLIED, supply(3, TKA, ME, ME, 1_000), to=POOL)
    assert refine(AaveV3Decoder(), raw, OPTIMISM) is None
    assert refine(AaveV3Decoder(), raw, CONTEXT) is not None


# ---- real mainnet receipts -----------------------------------------------------------------

STETH_R = "eip155:1/erc20:0xae7ab96520de3a18e5e111b5eaab095312d7fe84"
WSTETH_R = "eip155:1/erc20:0x7f39c581f595b53c5cb19bd0b3f8da6c935e2ca0"
LDO = "eip155:1/erc20:0x5a98fcbea516cf06857215779fd812ca3bef1b32"
A_LDO = "eip155:1/erc20:0x9a44fd41566876a39655f74971a3a6ea0a17a454"
USDT = "eip155:1/erc20:0xdac17f958d2ee523a2206206994597c13d831ec7"
A_USDT = "eip155:1/erc20:0x23878914efe38d27c4d67ab83ed1b93a74d4086a"
USDC_DEBT = "eip155:1/erc20:0x72e95b8931767c79ba4eee721354d6e99a61d004"

CASES: dict[str, tuple[str, list[Leg]]] = {
    "test_lido_steth_staking.json": (
        # tx 0x23a3ee60...: 0x4c49d4bd... calls stETH.submit(referral) (input 0xa1903eab);
        # stETH emits Submitted (log 691, sender = the wallet, amount 0xf8febaf36383400) and
        # TransferShares (log 693, 0x0 -> wallet)
        "0x23a3ee601475424e91bdc0999a780afe57bf37cbcce6d1c09a4dfaaae1765451",
        [
            ("gas", ETH, -80309 * 35439495334, "fee", "gas"),  # gasUsed 0x139b5 x 0x8405bc8a6
            # stETH Transfer log 0x2b4 (692), 0x0 -> wallet, 0xf8febaf363833ff: one wei
            # short of the ETH sent (share rounding)
            ("log:692", STETH_R, 1121373969999999999, "stake", "lido"),
            # transaction value 0xf8febaf36383400 sent to stETH
            ("native", ETH, -1121373970000000000, "stake", "lido"),
        ],
    ),
    "test_lido_wsteth_wrapping.json": (
        # tx 0x21e291c9...: 0x4f243b4b... calls wstETH.wrap (input 0xea598cb0); stETH emits
        # TransferShares (log 323, wallet -> wstETH, 0x132b79dfd368859b5 shares)
        "0x21e291c980e6ca90b6b52bf13bc43c26bead4d3129bdbc463e140592294fe5bd",
        [
            ("gas", ETH, -113543 * 10339673310, "fee", "gas"),  # gasUsed 0x1bb87 x 0x2684ae4de
            # wstETH Transfer log 0x140 (320), 0x0 -> wallet, 0x132b79dfd368859b5
            ("log:320", WSTETH_R, 22101307407211190709, "wrap", "lido"),
            # stETH Transfer log 0x142 (322), wallet -> wstETH, 0x16c1828368dfee1f4
            ("log:322", STETH_R, -26235763844022460916, "wrap", "lido"),
        ],
    ),
    "test_aave_v3_deposit.json": (
        # tx 0x062bb6b0...: 0x08c14b32... calls Pool.supply (input 0x617ba037); the Pool
        # emits Supply (log 0xdd (221), reserve 0x5a98fcbe (LDO), onBehalfOf = user = the
        # wallet, amount data word 1 0xf2c8b19d521b3c858f9); the aToken 0x9a44fd41 emits
        # Mint (log 0xdc (220), onBehalfOf = the wallet, value 0xf2c8b19d521b3c858f9,
        # balanceIncrease 0)
        "0x062bb6b01d4ac5fabd7b7783965d22589d289e44bb0227bb2fc0adaad7eb563b",
        [
            ("gas", ETH, -298723 * 33149331858, "fee", "gas"),  # gasUsed 0x48ee3 x 0x7b7daa992
            # LDO Transfer log 0xda (218), wallet -> aToken 0x9a44fd41, 0xf2c8b19d521b3c858f9
            ("log:218", LDO, -71657177259074315114745, "supply", "aave-v3"),
            # the aToken leg is the principal, keyed by the Supply log 0xdd (221): its amount
            # 0xf2c8b19d521b3c858f9. The aToken Transfer log 0xdb (219), 0x0 -> wallet, is
            # dropped; it carries the same 0xf2c8b19d521b3c858f9 (the Mint's balanceIncrease
            # is 0: no accrued interest to net in)
            ("log:221", A_LDO, 71657177259074315114745, "supply", "aave-v3"),
        ],
    ),
    "test_aave_v3_withdraw.json": (
        # tx 0xf184c285...: 0xabe9e5d1... calls Pool.withdraw (input 0x69328dec); the Pool
        # emits Withdraw (log 0x16a (362), reserve USDT, user = to = the wallet, amount data
        # word 0x1941c4d10); the aToken 0x23878914 emits Burn (log 0x168 (360), from =
        # target = the wallet, value 0x19392291d, balanceIncrease 0x8a23f3: 6770796829 +
        # 9053171 = 6779850000)
        "0xf184c285dab9ea6c72d18025c65202e3d9e5ec3181209a6cbedf88dfd4c8283f",
        [
            ("gas", ETH, -207898 * 33328880345, "fee", "gas"),  # gasUsed 0x32c1a x 0x7c28e5ad9
            # USDT Transfer log 0x169 (361), aToken -> wallet, 0x1941c4d10
            ("log:361", USDT, 6779850000, "withdraw", "aave-v3"),
            # the aToken leg is the principal out, keyed by the Withdraw log 0x16a (362): its
            # amount 0x1941c4d10. The aToken Transfer log 0x167 (359), wallet -> 0x0, is
            # dropped: it burns only 0x19392291d = 6770796829, the amount less the Burn's
            # balanceIncrease 0x8a23f3 (9053171, the interest accrued since the last action)
            ("log:362", A_USDT, -6779850000, "withdraw", "aave-v3"),
        ],
    ),
    "test_aave_v3_borrow.json": (
        # tx 0x44367976...: 0x08c14b32... calls Pool.borrow (input 0xa415bcad); the Pool
        # emits Borrow (log 221, reserve USDC, onBehalfOf = user = the wallet, 0x129c49e6c5,
        # interestRateMode 2); the debt token 0x72e95b89 emits Mint (log 217, onBehalfOf =
        # the wallet, balanceIncrease 0)
        "0x44367976e841cde459d84aec984d5fae4466b2978b1d71c9cd916bb79792ee20",
        [
            ("gas", ETH, -344954 * 32210464489, "fee", "gas"),  # gasUsed 0x5437a x 0x77fe4aee9
            # debt token Transfer log 0xd8 (216), 0x0 -> wallet, 0x129c49e6c5
            ("log:216", USDC_DEBT, 79931500229, "debt", "aave-v3"),
            # USDC Transfer log 0xdc (220), aToken 0x98c23e9d -> wallet, 0x129c49e6c5
            ("log:220", USDC, 79931500229, "borrow", "aave-v3"),
        ],
    ),
    "test_aave_v3_repay.json": (
        # tx 0x440dddaa...: 0x9cbf099f... calls Pool.repay (input 0x573ade81); the Pool emits
        # Repay (log 161, reserve USDC, user = repayer = the wallet, 0x1cdcada9bb,
        # useATokens false); the debt token 0x72e95b89 emits Burn (log 158, from = the
        # wallet, value 0x1cdb8e088e, balanceIncrease 0x11fa12d: 123942602894 + 18850093 =
        # 123961452987)
        "0x440dddaad9f8d9c6d99777494640520854cca8dd102fb557f1654f5746da5f7e",
        [
            ("gas", ETH, -189493 * 34127569520, "fee", "gas"),  # gasUsed 0x2e435 x 0x7f2296270
            # debt token Transfer log 0x9d (157), wallet -> 0x0, 0x1cdb8e088e
            ("log:157", USDC_DEBT, -123942602894, "debt", "aave-v3"),
            # USDC Transfer log 0xa0 (160), wallet -> aToken 0x98c23e9d, 0x1cdcada9bb
            ("log:160", USDC, -123961452987, "repay", "aave-v3"),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_ledger_leg_of_a_real_lido_or_aave_transaction(realdata: Path, name: str) -> None:
    tx_hash, expected = CASES[name]
    raw: RawTx = recorded_tx(realdata / "explorer-recordings" / "decoder_receipts" / name)
    assert raw.tx_hash == tx_hash
    assert ledger_legs(raw) == sorted(expected)


# ---- what borrow and repay do to the lots --------------------------------------------------


def test_a_borrow_gives_a_lot_at_fair_value_and_no_income() -> None:
    borrowed = replace(leg(day(2024, 3, 1), Kind.BORROW, USDC, "1000", "1000", decimals=6),
                       protocol="aave-v3")
    book = compute_lots([borrowed])
    assert book.income == ()
    assert book.disposals == ()
    (lot,) = book.open_lots
    assert (lot.asset, lot.quantity, lot.cost_basis_usd, lot.origin_kind) == (
        USDC, Decimal(1000), Decimal(1000), Kind.BORROW)


def test_a_repay_takes_lots_off_the_books_and_realizes_nothing() -> None:
    borrowed = replace(leg(day(2024, 3, 1), Kind.BORROW, USDC, "1000", "1000", decimals=6),
                       protocol="aave-v3")
    repaid = replace(leg(day(2024, 6, 1), Kind.REPAY, USDC, "-400", "400", decimals=6),
                     protocol="aave-v3")
    book = compute_lots([borrowed, repaid])
    assert book.disposals == ()
    assert book.income == ()
    (lot,) = book.open_lots
    assert (lot.quantity, lot.cost_basis_usd) == (Decimal(600), Decimal(600))
