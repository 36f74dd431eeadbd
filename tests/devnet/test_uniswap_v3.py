"""Uniswap V3 on the devnet (official v3-core and v3-periphery artifacts): the DeFi wallet
swaps through the SwapRouter and holds a full-range WETH/DAI position that it opens with
ETH, adds to, takes half out of, and collects fees from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from web3 import HTTPProvider, Web3
from web3.logs import DISCARD

from chains.addresses import erc20_asset, nft_asset, parse_address
from chains.devnet.defi import POSITIONS
from chains.devnet.scenario import artifact
from chains.evm.node import RpcSource
from chains.evm.rpc import RpcClient
from scanner.app import imports as importing
from scanner.app import queries
from scanner.app import reconcile as reconciling
from scanner.app import scan as scanning
from scanner.app.readmodel import load
from scanner.ledger.records import Kind, LedgerEntry
from scanner.store import Store
from scanner.tax.records import LotBook
from tests.devnet.conftest import Played

ETH = "eip155:31337/slip44:60"


@dataclass
class Scanned:
    played: Played
    legs: list[LedgerEntry]
    book: LotBook
    db: Path


@pytest.fixture(scope="module")
def scanned(played: Played, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scanned]:
    db = tmp_path_factory.mktemp("v3") / "defi.duckdb"
    with Store(db) as store:
        scanning.scan(store, RpcSource(RpcClient(played.node.url)),
                     [parse_address(played.scenario.defi.wallet)])
        importing.import_prices(store, played.prices_path)
        books = load(store)
        yield Scanned(played, queries.ledger(books), books.lots, db)


def _w3(played: Played) -> Web3:
    return Web3(HTTPProvider(played.node.url))


def _manager(played: Played) -> Any:
    abi, _ = artifact(POSITIONS)
    return _w3(played).eth.contract(address=played.scenario.defi.positions.address, abi=abi)


def _events(played: Played, label: str, name: str) -> list[Any]:
    """The position manager's `name` events in the DeFi wallet's transaction `label`."""
    receipt = _w3(played).eth.get_transaction_receipt(played.scenario.defi.txs[label])
    event = getattr(_manager(played).events, name)()
    return list(event.process_receipt(receipt, errors=DISCARD))


def _of(scanned: Scanned, label: str) -> list[LedgerEntry]:
    tx = scanned.played.scenario.defi.txs[label]
    return [leg for leg in scanned.legs if leg.tx_hash == tx]


def _position(scanned: Scanned) -> str:
    defi = scanned.played.scenario.defi
    return nft_asset(31337, "erc721", defi.positions.address.lower(), defi.token_id)


def test_opening_a_position_holds_its_liquidity_units(scanned: Scanned) -> None:
    (increase,) = _events(scanned.played, "v3_mint", "IncreaseLiquidity")
    legs = _of(scanned, "v3_mint")
    assert {leg.kind for leg in legs} == {Kind.LP_DEPOSIT, Kind.FEE}
    assert {leg.protocol for leg in legs if leg.kind is Kind.LP_DEPOSIT} == {"uniswap-v3"}
    (units,) = [leg for leg in legs if leg.asset == _position(scanned)]
    assert units.raw_amount == increase.args.liquidity and units.decimals == 0
    dai = erc20_asset(31337, scanned.played.scenario.dai.lower())
    paid = {leg.asset: -sum(x.raw_amount for x in legs if x.asset == leg.asset
                            and x.kind is Kind.LP_DEPOSIT) for leg in legs}
    eth_first = int(scanned.played.scenario.weth, 16) < int(scanned.played.scenario.dai, 16)
    amount_eth, amount_dai = (increase.args.amount0, increase.args.amount1) if eth_first \
        else (increase.args.amount1, increase.args.amount0)
    assert paid[ETH] == amount_eth  # the ETH sent less the refund
    assert paid[dai] == amount_dai


def test_the_position_lot_carries_the_basis_of_what_went_in(scanned: Scanned) -> None:
    position = _position(scanned)
    mint_tx = scanned.played.scenario.defi.txs["v3_mint"]
    (lot,) = [lot for lot in scanned.book.acquisitions
              if lot.asset == position and lot.origin_tx == mint_tx]
    # carried over: nothing but the gas is realized
    assert not [d for d in scanned.book.disposals if d.tx_hash == mint_tx
                and d.kind is not Kind.FEE]
    deposit_legs = [leg for leg in _of(scanned, "v3_mint") if leg.kind is Kind.LP_DEPOSIT
                    and leg.raw_amount < 0]
    # the DAI came in at $1 a coin; the ETH at the March 2024 price of the demo's file
    basis = sum((abs(leg.quantity) * (Decimal(1) if leg.asset != ETH else Decimal(2300))
                 for leg in deposit_legs), Decimal(0))
    refund = sum((leg.quantity for leg in _of(scanned, "v3_mint") if leg.asset == ETH
                  and leg.kind is Kind.LP_DEPOSIT and leg.raw_amount > 0), Decimal(0))
    gas = next(leg.usd_value for leg in _of(scanned, "v3_mint") if leg.kind is Kind.FEE)
    assert gas is not None and lot.cost_basis_usd is not None
    assert abs(lot.cost_basis_usd - (basis - refund * 2300 + gas)) < Decimal("0.0000001")


def test_half_out_takes_basis_pro_rata_and_splits_principal_from_fees(
        scanned: Scanned) -> None:
    played = scanned.played
    (decrease,) = _events(played, "v3_decrease", "DecreaseLiquidity")
    (collect,) = _events(played, "v3_decrease", "Collect")
    legs = _of(scanned, "v3_decrease")
    position = _position(scanned)
    (units,) = [leg for leg in legs if leg.asset == position]
    assert (units.kind, units.raw_amount) == (Kind.LP_WITHDRAW, -decrease.args.liquidity)
    principal = sorted(leg.raw_amount for leg in legs if leg.kind is Kind.LP_WITHDRAW
                       and leg.raw_amount > 0)
    fees = sorted(leg.raw_amount for leg in legs if leg.kind is Kind.INCOME)
    assert principal == sorted([decrease.args.amount0, decrease.args.amount1])
    assert fees == sorted([collect.args.amount0 - decrease.args.amount0,
                           collect.args.amount1 - decrease.args.amount1])
    assert all(fee > 0 for fee in fees)  # others traded through the pool in between

    # each deposit is a lot of units (its own date); FIFO takes the first one's, pro rata
    first = min((lot for lot in scanned.book.acquisitions if lot.asset == position),
                key=lambda lot: lot.acquired)
    assert first.cost_basis_usd is not None and decrease.args.liquidity < first.quantity
    sold = [d for d in scanned.book.disposals if d.asset == position]
    assert [d.lot_id for d in sold] == [first.lot_id]
    assert sum((d.quantity for d in sold), Decimal(0)) == decrease.args.liquidity
    expected = first.cost_basis_usd * decrease.args.liquidity / first.quantity
    got = sum((d.cost_basis_usd or Decimal(0) for d in sold), Decimal(0))
    assert abs(got - expected) < Decimal("0.000001")
    values = sum((leg.usd_value or Decimal(0) for leg in legs
                  if leg.kind is Kind.LP_WITHDRAW and leg.raw_amount > 0), Decimal(0))
    gas = next(leg.usd_value or Decimal(0) for leg in legs if leg.kind is Kind.FEE)
    proceeds = sum((d.proceeds_usd or Decimal(0) for d in sold), Decimal(0))
    assert abs(proceeds - (values - gas)) < Decimal("0.000001")


def test_fees_are_income_at_fair_value(scanned: Scanned) -> None:
    played = scanned.played
    (collect,) = _events(played, "v3_collect", "Collect")
    income = [e for e in scanned.book.income
              if e.tx_hash in (played.scenario.defi.txs["v3_collect"],
                               played.scenario.defi.txs["v3_decrease"])]
    assert {e.kind for e in income} == {"lp_fee"}
    alone = sorted(e.quantity.scaleb(18) for e in income
                   if e.tx_hash == played.scenario.defi.txs["v3_collect"])
    assert alone == sorted([Decimal(collect.args.amount0), Decimal(collect.args.amount1)])
    assert all(e.usd_value is not None and e.usd_value > 0 for e in income)


def test_a_swap_through_the_router_is_a_v3_trade(scanned: Scanned) -> None:
    legs = [leg for leg in _of(scanned, "v3_swap") if leg.kind is not Kind.FEE]
    assert {(leg.kind, leg.protocol) for leg in legs} == {(Kind.TRADE, "uniswap-v3")}
    assert {leg.asset for leg in legs if leg.raw_amount < 0} == {ETH}


def test_every_balance_reconciles_the_position_in_liquidity_units(scanned: Scanned) -> None:
    with Store(scanned.db) as store:
        checks = reconciling.reconcile_chain(store, scanned.played.node.url)
    assert checks and all(check.status.value == "ok" for check in checks), \
        [(c.holding.symbol, c.explanation) for c in checks if c.status.value != "ok"]
    position = next(c for c in checks if c.holding.asset == _position(scanned))
    liquidity = _manager(scanned.played).functions.positions(
        scanned.played.scenario.defi.token_id).call()[7]
    assert position.chain_raw == position.ledger_raw == liquidity
