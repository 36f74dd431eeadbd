"""Basis carried over by wraps and liquidity deposits (scanner.treatment), lot by lot."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import pytest

from scanner.ledger.records import Kind, LedgerEntry
from scanner.tax.jurisdictions import jurisdiction_of
from scanner.tax.lots import compute_lots
from scanner.tax.policy import Policy
from scanner.tax.records import LotBook, Term
from scanner.tax.treatment import table_with
from tests.unit.builders import ETH, TKN, USDC, day, leg

WETH = "eip155:1/erc20:0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
LP = "eip155:1/erc20:0x" + "22" * 20
D = Decimal


def at(when: datetime, kind: Kind, asset: str, quantity: str, usd: str | None, *,
       key: str, protocol: str = "transfer") -> LedgerEntry:
    return replace(leg(when, kind, asset, quantity, usd, key=key,
                       decimals=6 if asset == USDC else 18), protocol=protocol)


# bought for dollars: one leg each
BUYS = [at(day(2024, 1, 10), Kind.TRADE, ETH, "2", "4000", key="trace:0"),
        at(day(2024, 3, 10), Kind.TRADE, ETH, "1", "3000", key="trace:0")]
WRAP = [at(day(2024, 6, 1), Kind.FEE, ETH, "-0.001", "3", key="gas", protocol="gas"),
        at(day(2024, 6, 1), Kind.WRAP, ETH, "-2.5", "7500", key="native", protocol="weth"),
        at(day(2024, 6, 1), Kind.WRAP, WETH, "2.5", "7500", key="log:4", protocol="weth")]
SALE = [at(day(2025, 2, 1), Kind.TRADE, WETH, "-2.5", "10000", key="log:2")]


def lots(entries: list[LedgerEntry], policy: Policy | None = None) -> LotBook:
    return compute_lots(entries, purchase_currencies={USDC}, policy=policy)


def test_a_wrap_realizes_nothing_and_each_lot_keeps_its_date_and_basis() -> None:
    book = lots(BUYS + WRAP)
    assert [d.kind for d in book.disposals] == [Kind.FEE]  # only the gas is disposed of
    gas_basis = book.disposals[0].cost_basis_usd
    assert gas_basis == D("2.00")  # 0.001 of the first lot's 2 ETH for $4000
    weth = sorted((lot for lot in book.open_lots if lot.asset == WETH),
                  key=lambda lot: lot.acquired)
    # FIFO: the gas took 0.001 of the first lot, the wrap the rest of it and 0.501 of the
    # second; the gas ($3) is added to the basis, shared by quantity
    assert [(lot.acquired, lot.quantity) for lot in weth] == \
        [(day(2024, 1, 10), D("1.999")), (day(2024, 3, 10), D("0.501"))]
    assert sum(lot.quantity for lot in weth) == D("2.5")
    carried = [lot.cost_basis_usd for lot in weth]
    assert carried == [D("3998") + D("2.3988"), D("1503") + D("0.6012")]
    eth = [lot for lot in book.open_lots if lot.asset == ETH]
    assert [(lot.quantity, lot.cost_basis_usd) for lot in eth] == [(D("0.499"), D("1497"))]
    assert {lot.lot_id for lot in weth} == {f"{WRAP[2].tx_hash}:log:4",
                                            f"{WRAP[2].tx_hash}:log:4:2"}


def test_the_wrapped_coin_sold_later_keeps_the_holding_periods_of_the_coins_it_came_from() \
        -> None:
    book = lots(BUYS + WRAP + SALE)
    sold = [d for d in book.disposals if d.asset == WETH]
    assert [(d.quantity, d.term) for d in sold] == \
        [(D("1.999"), Term.LONG), (D("0.501"), Term.SHORT)]
    assert sum(d.cost_basis_usd or 0 for d in sold) == D("5504")  # 5501 carried + $3 gas
    assert sum(d.proceeds_usd or 0 for d in sold) == D("10000")


def test_an_unwrap_carries_back() -> None:
    unwrap = [at(day(2024, 7, 1), Kind.UNWRAP, WETH, "-1", "3000", key="log:0",
                 protocol="weth"),
              at(day(2024, 7, 1), Kind.UNWRAP, ETH, "1", "3000", key="trace:0",
                 protocol="weth")]
    book = lots(BUYS + WRAP + unwrap)
    assert [d.kind for d in book.disposals] == [Kind.FEE]
    eth = sorted((lot for lot in book.open_lots if lot.asset == ETH),
                 key=lambda lot: lot.acquired)
    assert [(lot.acquired, lot.quantity) for lot in eth] == \
        [(day(2024, 1, 10), D(1)), (day(2024, 3, 10), D("0.499"))]


def test_a_wrap_of_coins_the_books_never_saw_has_an_unknown_basis_not_zero() -> None:
    book = lots(WRAP[1:])
    (weth,) = [lot for lot in book.open_lots if lot.asset == WETH]
    assert weth.quantity == D("2.5") and weth.cost_basis_usd is None


LP_DEPOSIT = [
    at(day(2024, 6, 1), Kind.LP_DEPOSIT, ETH, "-1", "3000", key="native",
       protocol="uniswap-v2"),
    at(day(2024, 6, 1), Kind.LP_DEPOSIT, TKN, "-100", "3000", key="log:1",
       protocol="uniswap-v2"),
    at(day(2024, 6, 1), Kind.LP_DEPOSIT, LP, "10", "6000", key="log:3",
       protocol="uniswap-v2")]
TKN_BUY = [at(day(2024, 2, 1), Kind.TRADE, TKN, "100", "1000", key="log:2")]
LP_WITHDRAW = [
    at(day(2024, 9, 1), Kind.LP_WITHDRAW, LP, "-4", "2000", key="log:1", protocol="uniswap-v2"),
    at(day(2024, 9, 1), Kind.LP_WITHDRAW, ETH, "0.5", "1200", key="trace:0",
       protocol="uniswap-v2"),
    at(day(2024, 9, 1), Kind.LP_WITHDRAW, TKN, "30", "800", key="log:2",
       protocol="uniswap-v2")]


def test_a_liquidity_deposit_puts_the_basis_of_both_tokens_into_one_lp_lot() -> None:
    book = lots(BUYS + TKN_BUY + LP_DEPOSIT)
    assert book.disposals == ()
    (lp,) = [lot for lot in book.open_lots if lot.asset == LP]
    assert (lp.quantity, lp.cost_basis_usd, lp.acquired) == (D(10), D(3000), day(2024, 6, 1))


def test_a_withdrawal_is_a_sale_of_the_lp_tokens_against_what_comes_out() -> None:
    book = lots(BUYS + TKN_BUY + LP_DEPOSIT + LP_WITHDRAW)
    (sold,) = book.disposals
    assert (sold.asset, sold.quantity, sold.kind) == (LP, D(4), Kind.LP_WITHDRAW)
    assert (sold.proceeds_usd, sold.cost_basis_usd, sold.gain_usd) == \
        (D(2000), D(1200), D(800))  # 4 of the 10 LP tokens carried $3000
    out = {lot.asset: lot for lot in book.open_lots if lot.acquired == day(2024, 9, 1)}
    assert (out[ETH].cost_basis_usd, out[TKN].cost_basis_usd) == (D(1200), D(800))


def test_a_treatment_row_makes_the_deposit_a_disposal_for_one_protocol() -> None:
    taxable = Policy(treatments=table_with([("lp_deposit", "uniswap-v2", "taxable")]))
    book = lots(BUYS + TKN_BUY + LP_DEPOSIT, taxable)
    assert sorted((d.asset, d.proceeds_usd, d.cost_basis_usd) for d in book.disposals) == \
        sorted([(ETH, D(3000), D(2000)), (TKN, D(3000), D(1000))])
    (lp,) = [lot for lot in book.open_lots if lot.asset == LP]
    assert lp.cost_basis_usd == D(6000)
    other = Policy(treatments=table_with([("lp_deposit", "sushiswap", "taxable")]))
    assert lots(BUYS + TKN_BUY + LP_DEPOSIT, other).disposals == ()


def test_a_withdrawal_taken_as_carry_splits_the_basis_by_value() -> None:
    carry = Policy(treatments=table_with([("lp_withdraw", "uniswap-v2", "carry_basis")]))
    book = lots(BUYS + TKN_BUY + LP_DEPOSIT + LP_WITHDRAW, carry)
    assert book.disposals == ()
    out = {lot.asset: lot for lot in book.open_lots if lot.acquired == day(2024, 9, 1)}
    assert (out[ETH].cost_basis_usd, out[TKN].cost_basis_usd) == (D(720), D(480))


def test_pooled_rules_take_a_wrap_as_a_disposal_and_say_so() -> None:
    book = lots(BUYS + WRAP, Policy(jurisdiction=jurisdiction_of("uk")))
    assert Kind.WRAP in {d.kind for d in book.disposals}
    assert any("taken as trades" in note for note in book.notes)


def test_an_unknown_treatment_is_refused() -> None:
    from chains.errors import UserInputError
    with pytest.raises(UserInputError, match="only"):
        table_with([("income", "merkl", "taxable")])
    with pytest.raises(UserInputError, match="use taxable"):
        table_with([("wrap", "weth", "exempt")])


CUSDC = "eip155:1/erc20:0xc3d688b66703497daa19211eedff47f25384cdc3"


def test_a_supply_that_also_repays_carries_only_the_supplied_part() -> None:
    """One transaction pays back 40 USDC of a loan and supplies 60 USDC for 60 of the
    market's token: the receipt takes the basis of the 60 supplied (carry, IRC 1012 as
    treatment.py applies it), and the 40 repaid leave the books without a sale."""
    bought = [at(day(2024, 1, 10), Kind.TRADE, USDC, "100", "100", key="log:0")]
    both = [at(day(2024, 5, 1), Kind.SUPPLY, USDC, "-60", "60", key="log:1",
               protocol="compound-v3"),
            at(day(2024, 5, 1), Kind.REPAY, USDC, "-40", "40", key="log:2",
               protocol="compound-v3"),
            at(day(2024, 5, 1), Kind.SUPPLY, CUSDC, "60", "60", key="log:3",
               protocol="compound-v3")]
    book = lots(bought + both)
    assert book.disposals == ()
    receipt, = book.open_lots
    assert (receipt.asset, receipt.quantity, receipt.cost_basis_usd, receipt.acquired) == \
        (CUSDC, D("60"), D("60"), day(2024, 1, 10))
