"""The DeFi wallet's other protocols on the devnet, through a real scan: Lido-style staking
with rebasing growth, a StakingRewards farm, an Aave-style lending pool (the devnet's own
contracts, fixtures/devnet/contracts/Protocols.sol) and NFTs (OpenZeppelin's ERC-721 and
ERC-1155) bought and sold through an atomic swap market."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from chains.addresses import erc20_asset, nft_asset, parse_address
from chains.deployments import DEVNET_ADAI, DEVNET_STETH, DEVNET_WSTETH
from chains.evm.node import RpcSource
from chains.evm.rpc import RpcClient
from chains.registry import DEVNET_WETH
from scanner.app import imports as importing
from scanner.app import queries
from scanner.app import reconcile as reconciling
from scanner.app import scan as scanning
from scanner.app.readmodel import load
from scanner.ledger.reconcile import BalanceCheck
from scanner.ledger.records import Kind, LedgerEntry
from scanner.store import Store
from scanner.tax.records import LotBook
from tests.devnet.conftest import Played

ETH = "eip155:31337/slip44:60"
STETH, WSTETH, ADAI, WETH = (erc20_asset(31337, a) for a in
                             (DEVNET_STETH, DEVNET_WSTETH, DEVNET_ADAI, DEVNET_WETH))


@dataclass
class Scanned:
    played: Played
    legs: list[LedgerEntry]
    book: LotBook
    checks: list[BalanceCheck]


@pytest.fixture(scope="module")
def scanned(played: Played, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scanned]:
    db: Path = tmp_path_factory.mktemp("defi") / "defi.duckdb"
    with Store(db) as store:
        scanning.scan(store, RpcSource(RpcClient(played.node.url)),
                     [parse_address(played.scenario.defi.wallet)])
        importing.import_prices(store, played.prices_path)
        books = load(store)
        yield Scanned(played, queries.ledger(books), books.lots,
                      reconciling.reconcile_chain(store, played.node.url))


def _of(scanned: Scanned, label: str) -> list[LedgerEntry]:
    tx = scanned.played.scenario.defi.txs[label]
    return [leg for leg in scanned.legs if leg.tx_hash == tx and leg.kind is not Kind.FEE]


def _check(scanned: Scanned, asset: str) -> BalanceCheck:
    return next(c for c in scanned.checks if c.holding.asset == asset)


def test_staking_wrapping_and_unwrapping_are_lido_kinds(scanned: Scanned) -> None:
    assert {(leg.kind, leg.protocol) for leg in _of(scanned, "lido_stake")} == \
        {(Kind.STAKE, "lido")}
    assert {(leg.asset, leg.kind) for leg in _of(scanned, "lido_wrap")} == \
        {(STETH, Kind.WRAP), (WSTETH, Kind.WRAP)}
    assert {(leg.asset, leg.kind) for leg in _of(scanned, "lido_unwrap")} == \
        {(STETH, Kind.UNWRAP), (WSTETH, Kind.UNWRAP)}
    # carried over: the stETH lot keeps the staked ETH's acquisition date (the funding)
    fund = scanned.played.scenario.defi.txs["fund_eth"]
    stake = scanned.played.scenario.defi.txs["lido_stake"]
    funded = next(leg.timestamp for leg in scanned.legs if leg.tx_hash == fund)
    (lot,) = [lot for lot in scanned.book.acquisitions
              if lot.asset == STETH and lot.origin_tx == stake]
    assert lot.acquired == funded


def test_steth_growth_is_booked_as_income_and_the_balance_reconciles(scanned: Scanned) -> None:
    growth = [leg for leg in scanned.legs if leg.asset == STETH and leg.protocol == "rebase"]
    assert growth and all(leg.kind is Kind.INCOME and leg.raw_amount > 0 for leg in growth)
    income = [e for e in scanned.book.income if e.asset == STETH]
    assert {e.kind for e in income} == {"rebase"}
    assert sum((e.quantity for e in income), Decimal(0)) == \
        sum((leg.quantity for leg in growth), Decimal(0))
    # valued at ETH's price (a wei of share rounding is worth $0.0000000000)
    assert all(e.usd_value is not None and e.usd_value >= 0 for e in income)
    assert max(e.usd_value or 0 for e in income) > 0
    check = _check(scanned, STETH)
    assert check.status.value == "ok" and check.chain_raw == check.ledger_raw > 0
    # every stETH the chain shows, less what Transfer events moved, is the growth booked
    moved = sum(leg.raw_amount for leg in scanned.legs
                if leg.asset == STETH and leg.protocol != "rebase")
    assert sum(leg.raw_amount for leg in growth) == check.chain_raw - moved


def test_farm_stake_is_held_as_a_receipt_and_rewards_are_income(scanned: Scanned) -> None:
    farm = scanned.played.scenario.protocols.farm.address.lower()
    receipt = erc20_asset(31337, farm)
    stake = _of(scanned, "farm_stake")
    assert {(leg.kind, leg.protocol) for leg in stake} == {(Kind.STAKE, "staking-rewards")}
    assert sorted(leg.raw_amount for leg in stake if leg.asset == receipt) == [5_000 * 10**18]
    claim = _of(scanned, "farm_claim")
    assert [leg.kind for leg in claim] == [Kind.INCOME]
    exit_legs = _of(scanned, "farm_exit")
    assert sorted(leg.kind.value for leg in exit_legs) == ["income", "unstake", "unstake"]
    rewards = [e for e in scanned.book.income if e.kind == "reward"]
    assert len(rewards) == 2 and all(e.usd_value and e.usd_value > 0 for e in rewards)
    tkn = erc20_asset(31337, scanned.played.scenario.tkn.lower())
    assert {e.asset for e in rewards} == {tkn}
    # what the farm paid, as the chain says: the wallet's TKN balance is exactly the rewards
    assert _check(scanned, tkn).chain_raw == sum(leg.raw_amount for leg in claim + exit_legs
                                                 if leg.kind is Kind.INCOME)
    assert _check(scanned, receipt).chain_raw == _check(scanned, receipt).ledger_raw == 0
    # the DAI back from the farm keeps its date: no gain, no new lot at fair value
    assert not [d for d in scanned.book.disposals
                if d.tx_hash in (scanned.played.scenario.defi.txs["farm_stake"],
                                 scanned.played.scenario.defi.txs["farm_exit"])
                and d.kind is not Kind.FEE]


def test_lending_carries_basis_books_interest_and_a_loan_is_no_income(scanned: Scanned) -> None:
    assert {leg.kind for leg in _of(scanned, "lend_supply")} == {Kind.SUPPLY}
    assert {leg.kind for leg in _of(scanned, "lend_withdraw")} == {Kind.WITHDRAW}
    borrow = _of(scanned, "lend_borrow")
    assert {(leg.asset, leg.kind) for leg in borrow if leg.kind is not Kind.DEBT} == \
        {(WETH, Kind.BORROW)}
    assert not [e for e in scanned.book.income
                if e.tx_hash == scanned.played.scenario.defi.txs["lend_borrow"]]
    repay = scanned.played.scenario.defi.txs["lend_repay"]
    assert not [d for d in scanned.book.disposals if d.tx_hash == repay
                and d.kind is not Kind.FEE]
    interest = [e for e in scanned.book.income if e.asset == ADAI]
    # 3% on the 4,000 DAI lent: the aToken's growth, priced as the stablecoin it stands for
    assert sum((e.quantity for e in interest), Decimal(0)) == Decimal(120)
    assert sum((e.usd_value or Decimal(0) for e in interest), Decimal(0)) == Decimal(120)
    assert _check(scanned, ADAI).chain_raw == _check(scanned, ADAI).ledger_raw == 0


def test_nfts_are_bought_and_sold_each_its_own_asset(scanned: Scanned) -> None:
    protocols = scanned.played.scenario.protocols
    punk = nft_asset(31337, "erc721", protocols.punks.address.lower(), 0)
    items = nft_asset(31337, "erc1155", protocols.items.address.lower(), 7)
    bought = _of(scanned, "nft_buy_721")
    assert {(leg.asset, leg.kind, leg.raw_amount) for leg in bought} == \
        {(punk, Kind.TRADE, 1), (ETH, Kind.TRADE, -(10**18 // 5))}
    (lot,) = [lot for lot in scanned.book.acquisitions if lot.asset == punk]
    assert lot.cost_basis_usd == Decimal("460.0000000000")  # 0.2 ETH at $2,300
    (sale,) = [d for d in scanned.book.disposals if d.asset == punk]
    assert (sale.proceeds_usd, sale.gain_usd) == (Decimal(1000), Decimal(540))
    (lot_1155,) = [lot for lot in scanned.book.acquisitions if lot.asset == items]
    gas = next(leg.usd_value for leg in scanned.legs if leg.kind is Kind.FEE
               and leg.tx_hash == scanned.played.scenario.defi.txs["nft_buy_1155"])
    # bought with a stablecoin: the gas is part of the cost
    assert (lot_1155.quantity, lot_1155.cost_basis_usd) == (Decimal(3), 300 + (gas or 0))
    assert _check(scanned, punk).chain_raw == 0 and _check(scanned, items).chain_raw == 3


def test_every_balance_of_the_defi_wallet_reconciles(scanned: Scanned) -> None:
    wrong = [(c.holding.symbol, c.status.value, c.explanation) for c in scanned.checks
             if c.status.value != "ok"]
    assert not wrong
