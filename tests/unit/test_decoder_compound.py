"""Compound v2 (cTokens) and v3 (Comet) against real transactions: a supply and its
redemption, borrows that are loans and not income, a repayment with COMP paid along, a
Comet withdrawal and a supply through the Bulker; then Comet collateral, an open position
held as its own asset, on hand-built transactions through the lot engine.

Each recording in ../shared/realdata/explorer-recordings/decoder_receipts/ is read as the
explorer source reads it (tests/unit/recordings.py); the wallet is the transaction's sender.
Every figure below was read from the JSON by hand: the comments say where.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from chains.addresses import erc20_asset
from chains.deployments import contracts_on
from chains.evm.records import TokenInfo
from chains.registry import chain_by_id
from scanner.ledger.decode.protocols.compound_v3 import (
    SUPPLY,
    SUPPLY_COLLATERAL,
    WITHDRAW,
    WITHDRAW_COLLATERAL,
)
from scanner.ledger.positions import position_asset
from scanner.prices.book import PriceBook
from scanner.prices.records import PricePoint
from scanner.tax.lots import compute_lots
from tests.unit.rawtx import ME, START, built, event, legs, transfer, tx
from tests.unit.recordings import Leg, ledger, recorded, recording

ETH = "eip155:1/slip44:60"
CETH = "eip155:1/erc20:0x4ddc2d193948926d02f9b1fe9e1daa0718270ed5"
USDC = "eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
COMP = "eip155:1/erc20:0xc00e94cb662c3520282e6f5717214004a7f26888"
CUSDCV3 = "eip155:1/erc20:0xc3d688b66703497daa19211eedff47f25384cdc3"



CASES: dict[str, list[Leg]] = {
    # tx 0x06a8b9f7...: 0x5727c048 calls cETH.mint() (0x1249c58b) with value 0x6f05b59d3b20000
    "test_compound_ether_deposit.json": [
        ("gas", ETH, -0x28175 * 0x1405FFDC00, "fee", "gas"),  # gasUsed x effectiveGasPrice
        ("native", ETH, -0x6F05B59D3B20000, "supply", "compound-v2"),
        # cETH Transfer log 31, cETH -> wallet, 0x94df1d47; Mint log 30 (one topic, data:
        # minter = the wallet, mintAmount 0x6f05b59d3b20000, mintTokens 0x94df1d47)
        ("log:31", CETH, 0x94DF1D47, "supply", "compound-v2"),
    ],
    # tx 0x024bd402...: the same wallet calls cETH.redeem(0x94df1d47) (0xdb006a75)
    "test_compound_ether_withdraw.json": [
        ("gas", ETH, -0x23CA0 * 0x2D66E7DE00, "fee", "gas"),
        # txlistinternal row 0 (p0): cETH -> wallet 500003923413507454 wei, Redeem log 49's
        # redeemAmount 0x6f05eeb515d1d7e: the 0.5 ETH supplied and its interest
        ("trace:p0", ETH, 500003923413507454, "withdraw", "compound-v2"),
        # cETH Transfer log 48, wallet -> cETH, 0x94df1d47 = Redeem's redeemTokens
        ("log:48", CETH, -0x94DF1D47, "withdraw", "compound-v2"),
    ],
    # tx 0x00035065...: 0x8492abe1 calls cETH.borrow(0.1 ETH) (0xc5ebeaec)
    "test_compound_borrow_eth.json": [
        ("gas", ETH, -0x4C960 * 0x165A0BC00, "fee", "gas"),
        # txlistinternal row 0: cETH -> wallet 100000000000000000 wei; Borrow log 89 (data:
        # borrower = the wallet, borrowAmount 0x16345785d8a0000)
        ("trace:p0", ETH, 0x16345785D8A0000, "borrow", "compound-v2"),
    ],
    # tx 0x000da925...: 0x9760bf25 calls cUSDC.repayBorrow (0x0e752702)
    "test_compound_payback.json": [
        ("gas", ETH, -0x2D456 * 0x4A817C800, "fee", "gas"),
        # COMP Transfer log 245, the Comptroller 0x3d981921 -> wallet, 0x10c7b0049b1b3953;
        # the Comptroller's DistributedBorrowerComp log 246 names the wallet (topic 2)
        ("log:245", COMP, 0x10C7B0049B1B3953, "income", "compound-v2"),
        # USDC Transfer log 247, wallet -> cUSDC 0x39aa39c0, 0x2b5aa288f; RepayBorrow log 248
        # (payer = borrower = the wallet, repayAmount 0x2b5aa288f)
        ("log:247", USDC, -0x2B5AA288F, "repay", "compound-v2"),
    ],
    # tx 0xd8ba70d3...: 0xd7ca0e02 calls the cUSDCv3 Comet withdraw(USDC, amount)
    "test_compound_v3_withdraw.json": [
        ("gas", ETH, -0x16186 * 0x71A4A6984, "fee", "gas"),
        # USDC Transfer log 582, Comet -> wallet, 0x1e64545e8 = Withdraw log 583's amount
        ("log:582", USDC, 0x1E64545E8, "withdraw", "compound-v3"),
        # the Comet's own Transfer log 584, wallet -> 0x0, 0x1e64545e8: the supply burned
        ("log:584", CUSDCV3, -0x1E64545E8, "withdraw", "compound-v3"),
    ],
    # tx 0xaabe8666... on Arbitrum: 0xb453de13 calls the USDC.e Comet 0xa5edbdd9 withdraw:
    # Withdraw log 1 (src = to = the wallet, 0x23c34600) and no burn: a borrow
    "test_arbitrum_one_borrow.json": [
        ("gas", "eip155:42161/slip44:60", -0x30B88 * 0x989680, "fee", "gas"),
        ("log:0", "eip155:42161/erc20:0xff970a61a04b1ca14834a43f5de4533ebddb5cc8",
         0x23C34600, "borrow", "compound-v3"),  # USDC.e Transfer, Comet -> wallet
    ],
    # tx 0x6b4320c7... on OP Mainnet: 0xbf02910a sends 0x58d15e17628000 wei to the Bulker
    # 0xcb3643cc, which wraps it and supplies it to the cWETHv3 Comet for the wallet
    # (Supply log 8: from = the Bulker, dst = the wallet, 0x58d15e17628000)
    "test_optimism_supply_eth_with_wrapping.json": [
        # gasUsed 0x1aaa8 x effectiveGasPrice 0x18b2f + l1Fee 0x29b0904de
        ("gas", "eip155:10/slip44:60", -(0x1AAA8 * 0x18B2F + 0x29B0904DE), "fee", "gas"),
        ("native", "eip155:10/slip44:60", -0x58D15E17628000, "supply", "compound-v3"),
        # the Comet's Transfer log 9, 0x0 -> wallet, 0x58d15e17627fff: one wei short of the
        # amount, as Comet rounds its present value down
        ("log:9", "eip155:10/erc20:0xe36a30d249f7761327fd973001a32010b521b6fd",
         0x58D15E17627FFF, "supply", "compound-v3"),
    ],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_leg_of_a_compound_transaction(realdata: Path, name: str) -> None:
    assert recorded(realdata, name) == sorted(CASES[name])


def test_a_borrow_is_a_lot_at_fair_value_and_no_income(realdata: Path) -> None:
    record = recording(realdata, "test_compound_borrow_eth.json")
    raw = record.raw()
    book = compute_lots(ledger(record, raw, [raw.from_address]).entries)
    assert book.income == ()


COMET = "0xc3d688b66703497daa19211eedff47f25384cdc3"  # the registry's cUSDCv3 on Ethereum
WBTC_TOKEN = "0x2260fac5e5542a773aa44fbcfedf7c193bc2c599"
WBTC = erc20_asset(1, WBTC_TOKEN)
POSITION = position_asset(1, COMET, WBTC)  # erc1155:<Comet>/<WBTC as a number>


def test_collateral_is_an_open_position_held_as_its_own_asset() -> None:
    supplied = tx(transfer(0, WBTC_TOKEN, ME, COMET, 2_000),
                  event(1, COMET, SUPPLY_COLLATERAL, (ME, ME, WBTC_TOKEN), 2_000), to=COMET)
    taken = tx(transfer(0, WBTC_TOKEN, COMET, ME, 1_500),
               event(1, COMET, WITHDRAW_COLLATERAL, (ME, ME, WBTC_TOKEN), 1_500), to=COMET, n=2)
    tokens = {WBTC_TOKEN: TokenInfo(1, WBTC_TOKEN, "WBTC", "Wrapped BTC", 8)}
    assert legs([supplied, taken], tokens) == [
        ("log:0", WBTC, -2_000, "deposit", "compound-v3"),
        ("log:1", POSITION, 2_000, "deposit", "compound-v3"),
        ("log:0", WBTC, 1_500, "withdraw", "compound-v3"),
        ("log:1", POSITION, -1_500, "withdraw", "compound-v3"),
    ]
    assert f"eip155:1/erc1155:{COMET}/{int(WBTC_TOKEN, 16)}" == POSITION
    assert {e.symbol for e in built([supplied], tokens).entries if e.asset == POSITION} == \
        {"WBTC-position"}
    # through the lot engine: the 2,000 sats (0.00002 WBTC) arrived at 30,000 USD a bitcoin,
    # a lot of 0.60 USD; what comes back carries that lot's date and basis pro rata:
    # 1,500 of 2,000 is 0.45 USD, and the 500 still in the position 0.15 USD
    bought = tx(transfer(0, WBTC_TOKEN, "0x" + "ee" * 20, ME, 2_000), to=None, n=0,
                sender="0x" + "ee" * 20)
    prices = PriceBook([PricePoint(WBTC, START, Decimal(30_000), "test")])
    book = compute_lots(built([bought, supplied, taken], tokens, prices).entries)
    (back,) = [lot for lot in book.open_lots if lot.asset == WBTC]
    (left,) = [lot for lot in book.open_lots if lot.asset == POSITION]
    assert (back.quantity, back.cost_basis_usd, back.acquired) == \
        (Decimal("0.00001500"), Decimal("0.45"), START)
    assert (left.quantity, left.cost_basis_usd, left.acquired) == \
        (Decimal("0.00000500"), Decimal("0.15"), START)
    assert book.income == ()
    assert {d.asset for d in book.disposals} <= {ETH}  # only the gas, which no lot covers


def test_a_known_comet_only_reads_borrows_and_repayments() -> None:
    chain = chain_by_id(1)
    assert COMET in {a for role, a in contracts_on(chain.chain_id).items()
                     if role.startswith("compound-v3:")}


USDC_TOKEN = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
USDC = erc20_asset(1, USDC_TOKEN)
CUSDCV3 = erc20_asset(1, COMET)
ZERO = "0x" + "00" * 20


def test_a_supply_that_repays_first_is_split_into_repayment_and_supply() -> None:
    """Comet's supply of 1,000 USDC to an account owing 400 pays the 400 back and mints
    600 of the market's token (CometMainInterface: Supply(from, dst, amount), then
    Transfer(0, dst, present value supplied)); a withdrawal of 1,000 burning 250 borrows
    the 750 beyond it."""
    supply = tx(transfer(0, USDC_TOKEN, ME, COMET, 1_000_000_000),
                event(1, COMET, SUPPLY, (ME, ME), 1_000_000_000),
                transfer(2, COMET, ZERO, ME, 600_000_000), to=COMET)
    withdraw = tx(transfer(0, COMET, ME, ZERO, 250_000_000),
                  event(1, COMET, WITHDRAW, (ME, ME), 1_000_000_000),
                  transfer(2, USDC_TOKEN, COMET, ME, 1_000_000_000), to=COMET, n=2)
    tokens = {USDC_TOKEN: TokenInfo(1, USDC_TOKEN, "USDC", "USD Coin", 6),
              COMET: TokenInfo(1, COMET, "cUSDCv3", "Compound USDC", 6)}
    assert sorted(legs([supply], tokens)) == sorted([
        ("log:0", USDC, -600_000_000, "supply", "compound-v3"),
        ("log:0:repay", USDC, -400_000_000, "repay", "compound-v3"),
        ("log:2", CUSDCV3, 600_000_000, "supply", "compound-v3"),
    ])
    assert sorted(legs([withdraw], tokens)) == sorted([
        ("log:0", CUSDCV3, -250_000_000, "withdraw", "compound-v3"),
        ("log:2", USDC, 250_000_000, "withdraw", "compound-v3"),
        ("log:2:borrow", USDC, 750_000_000, "borrow", "compound-v3"),
    ])
