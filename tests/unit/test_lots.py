"""FIFO lots: order, holding period, unknown basis, gas, self transfers, invariants."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.ledger.records import Kind
from scanner.tax.lots import compute_lots, is_long_term
from scanner.tax.records import Term
from tests.unit.builders import ETH, OTHER, TKN, USDC, WALLET, day, leg


def buy(when, quantity: str, usd: str, *, tx: str | None = None):  # type: ignore[no-untyped-def]
    tx = tx or "0x" + format(int(when.timestamp()), "064x")
    return [leg(when, Kind.TRADE, USDC, f"-{usd}", usd, tx=tx, key="log:0", decimals=6),
            leg(when, Kind.TRADE, TKN, quantity, usd, tx=tx, key="log:1")]


def sell(when, quantity: str, usd: str):  # type: ignore[no-untyped-def]
    tx = "0x" + format(int(when.timestamp()), "064x")
    return [leg(when, Kind.TRADE, TKN, f"-{quantity}", usd, tx=tx, key="log:0"),
            leg(when, Kind.TRADE, USDC, usd, usd, tx=tx, key="log:1", decimals=6)]


def usdc_deposit(when, amount: str):  # type: ignore[no-untyped-def]
    return [leg(when, Kind.TRANSFER_IN, USDC, amount, amount, key="log:9", decimals=6)]


def tkn_disposals(entries):  # type: ignore[no-untyped-def]
    book = compute_lots(entries, purchase_currencies={USDC})
    return [d for d in book.disposals if d.asset == TKN]


def test_fifo_sells_the_oldest_lot_first_and_splits_across_lots() -> None:
    entries = (usdc_deposit(day(2023, 1, 1), "10000") + buy(day(2023, 1, 2), "10", "100")
               + buy(day(2023, 6, 1), "10", "300") + sell(day(2024, 3, 1), "15", "600"))
    first, second = tkn_disposals(entries)
    assert (first.quantity, first.cost_basis_usd, first.proceeds_usd) == (10, 100, 400)
    assert first.term is Term.LONG
    assert (second.quantity, second.cost_basis_usd, second.proceeds_usd) == (5, 150, 200)
    assert second.term is Term.SHORT
    book = compute_lots(entries, purchase_currencies={USDC})
    (open_tkn,) = [lot for lot in book.open_lots if lot.asset == TKN]
    assert (open_tkn.quantity, open_tkn.cost_basis_usd) == (5, 150)


def test_long_term_starts_the_day_after_the_first_anniversary() -> None:
    acquired = day(2023, 3, 15)
    assert not is_long_term(acquired, day(2024, 3, 15, 23))
    assert is_long_term(acquired, day(2024, 3, 16, 0))
    leap = day(2024, 2, 29)
    assert not is_long_term(leap, day(2025, 2, 28))
    assert is_long_term(leap, day(2025, 3, 1))


def test_selling_more_than_the_lots_hold_leaves_the_rest_unknown_not_zero() -> None:
    entries = (usdc_deposit(day(2023, 1, 1), "1000") + buy(day(2023, 1, 2), "1", "10")
               + sell(day(2023, 2, 1), "3", "60"))
    covered, uncovered = tkn_disposals(entries)
    assert covered.cost_basis_usd == 10 and covered.gain_usd == 10
    assert uncovered.quantity == 2 and uncovered.proceeds_usd == 40
    assert uncovered.cost_basis_usd is None and uncovered.gain_usd is None
    assert uncovered.lot_id is None and uncovered.term is None


def test_a_transfer_in_without_a_price_has_unknown_basis() -> None:
    entries = [leg(day(2023, 1, 1), Kind.TRANSFER_IN, TKN, "5", None),
               *sell(day(2023, 2, 1), "5", "50")]
    (disposal,) = tkn_disposals(entries)
    assert disposal.proceeds_usd == 50 and disposal.gain_usd is None


def test_gas_is_a_disposal_and_joins_the_basis_of_a_purchase() -> None:
    when = day(2023, 5, 1)
    tx = "0x" + "ab" * 32
    entries = [leg(day(2023, 1, 1), Kind.TRANSFER_IN, ETH, "1", "1000", key="native"),
               *usdc_deposit(day(2023, 1, 2), "500"),
               *buy(when, "10", "100", tx=tx),
               leg(when, Kind.FEE, ETH, "-0.001", "2", tx=tx, key="gas", counterparty=None)]
    book = compute_lots(entries, purchase_currencies={USDC})
    (gas,) = [d for d in book.disposals if d.kind is Kind.FEE]
    assert (gas.asset, gas.quantity, gas.proceeds_usd, gas.cost_basis_usd) == \
        (ETH, Decimal("0.001"), 2, 1)
    (lot,) = [lot for lot in book.open_lots if lot.asset == TKN]
    assert lot.cost_basis_usd == 102  # a stablecoin purchase: gas in the basis
    (spent,) = [d for d in book.disposals if d.asset == USDC]
    assert spent.proceeds_usd == 100


def test_gas_comes_off_the_proceeds_of_a_sale() -> None:
    when = day(2023, 5, 1)
    entries = [leg(day(2023, 1, 1), Kind.TRANSFER_IN, ETH, "1", "1000", key="native"),
               *usdc_deposit(day(2023, 1, 2), "500"), *buy(day(2023, 1, 3), "10", "100"),
               *sell(when, "10", "150"),
               leg(when, Kind.FEE, ETH, "-0.001", "3", tx="0x" + format(int(when.timestamp()),
                                                                         "064x"),
                   key="gas", counterparty=None)]
    (sale,) = tkn_disposals(entries)
    assert sale.proceeds_usd == 147 and sale.gain_usd == 47


def test_income_becomes_the_basis_of_its_lot() -> None:
    entries = [leg(day(2023, 1, 1), Kind.INCOME, TKN, "4", "20"), *sell(day(2023, 3, 1), "4", "28")]
    book = compute_lots(entries, purchase_currencies={USDC})
    (income,) = book.income
    assert (income.quantity, income.usd_value) == (4, 20)
    (sale,) = [d for d in book.disposals if d.asset == TKN]
    assert sale.cost_basis_usd == 20 and sale.gain_usd == 8


def test_spam_never_reaches_the_lots() -> None:
    entries = [leg(day(2023, 1, 1), Kind.SPAM, TKN, "1000000", None)]
    book = compute_lots(entries, purchase_currencies={USDC})
    assert book.open_lots == () and book.disposals == () and book.income == ()


def test_a_self_transfer_moves_lots_with_their_dates_and_basis() -> None:
    other_wallet = OTHER
    move = day(2023, 6, 1)
    tx = "0x" + "cd" * 32
    entries = [*usdc_deposit(day(2023, 1, 1), "1000"), *buy(day(2023, 1, 2), "10", "100"),
               leg(move, Kind.SELF_TRANSFER, TKN, "-10", "300", tx=tx,
                   counterparty=other_wallet),
               leg(move, Kind.SELF_TRANSFER, TKN, "10", "300", tx=tx, wallet=other_wallet,
                   counterparty=WALLET)]
    book = compute_lots(entries, purchase_currencies={USDC})
    assert [d for d in book.disposals if d.asset == TKN] == []
    (lot,) = [lot for lot in book.open_lots if lot.asset == TKN]
    assert (lot.wallet, lot.acquired, lot.cost_basis_usd) == (other_wallet, day(2023, 1, 2), 100)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(1, 50), st.integers(1, 999)),
                min_size=1, max_size=40))
def test_quantities_are_conserved_and_lots_are_used_after_acquisition(
    steps: list[tuple[bool, int, int]],
) -> None:
    entries = usdc_deposit(day(2020, 1, 1), "100000000")
    when = day(2020, 1, 2)
    bought = sold = Decimal(0)
    for is_buy, quantity, usd in steps:
        when += timedelta(days=7)
        if is_buy:
            entries += buy(when, str(quantity), str(usd))
            bought += quantity
        else:
            entries += sell(when, str(quantity), str(usd))
            sold += quantity
    book = compute_lots(entries, purchase_currencies={USDC})
    disposals = [d for d in book.disposals if d.asset == TKN]
    held = sum((lot.quantity for lot in book.open_lots if lot.asset == TKN), Decimal(0))
    covered = sum((d.quantity for d in disposals if d.lot_id), Decimal(0))
    uncovered = sum((d.quantity for d in disposals if not d.lot_id), Decimal(0))
    assert covered + uncovered == sold
    assert held + covered == bought
    for disposal in disposals:
        assert disposal.acquired is None or disposal.acquired <= disposal.disposed
    used: dict[str, Decimal] = {}
    for disposal in disposals:
        if disposal.lot_id:
            used[disposal.lot_id] = used.get(disposal.lot_id, Decimal(0)) + disposal.quantity
    sizes = {lot.lot_id: lot.quantity for lot in book.acquisitions}
    assert all(used[lot_id] <= sizes[lot_id] for lot_id in used)


def test_each_method_draws_on_its_own_lots() -> None:
    entries = (usdc_deposit(day(2023, 1, 1), "10000") + buy(day(2023, 1, 2), "10", "100")
               + buy(day(2023, 3, 1), "10", "50") + buy(day(2023, 6, 1), "10", "300")
               + sell(day(2023, 9, 1), "15", "600"))

    def drawn(method: str) -> list[tuple[object, Decimal, Decimal | None]]:
        book = compute_lots(entries, method=method, purchase_currencies={USDC})
        return [(d.acquired, d.quantity, d.cost_basis_usd) for d in book.disposals
                if d.asset == TKN]

    assert drawn("fifo") == [(day(2023, 1, 2), 10, 100), (day(2023, 3, 1), 5, 25)]
    assert drawn("lifo") == [(day(2023, 6, 1), 10, 300), (day(2023, 3, 1), 5, 25)]
    assert drawn("hifo") == [(day(2023, 6, 1), 10, 300), (day(2023, 1, 2), 5, 50)]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(1, 50), st.integers(1, 999)),
                min_size=1, max_size=30))
def test_methods_agree_on_quantities_and_total_basis(steps: list[tuple[bool, int, int]]) -> None:
    entries = usdc_deposit(day(2020, 1, 1), "100000000")
    when = day(2020, 1, 2)
    for is_buy, quantity, usd in steps:
        when += timedelta(days=7)
        entries += buy(when, str(quantity), str(usd)) if is_buy else \
            sell(when, str(quantity), str(usd))
    books = {m: compute_lots(entries, method=m, purchase_currencies={USDC})
             for m in ("fifo", "lifo", "hifo")}

    def totals(book):  # type: ignore[no-untyped-def]
        sold = [d for d in book.disposals if d.asset == TKN]
        held = [lot for lot in book.open_lots if lot.asset == TKN]
        return (sum((d.quantity for d in sold), Decimal(0)),
                sum((d.proceeds_usd or 0 for d in sold), Decimal(0)),
                sum((lot.quantity for lot in held), Decimal(0)))

    assert totals(books["fifo"]) == totals(books["lifo"]) == totals(books["hifo"])
