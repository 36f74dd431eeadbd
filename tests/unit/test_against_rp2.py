"""taxscan's lots against RP2's (the `rp2` package, run in process through
bench/rp2_adapter.py) on random histories of fiat buys and sales, FIFO, LIFO and HIFO: the
total gain per asset, year and term must agree to the cent. Also taxscan's own invariants:
quantity and basis conserved, no lot drawn on before it was acquired or beyond its size.

Holding periods. taxscan (scanner.holding.is_long_term) is long-term when the disposal's
date is after the first anniversary of the acquisition's date (the IRS rule: held more than
one year, counting from the day after acquisition). RP2 is long-term when
`(disposed - acquired).days >= 365` (GainLoss.is_long_term_capital_gains), elapsed time:
it differs on the anniversary itself, after a Feb 29, and by the time of day. Both agree
when the time held is under 363 days or over 368, so the histories leave out any sale that
falls between 363 and 368 days after a buy of the same asset (that window is the
definitions' difference, not a bug of either).

Which lots a method may use. RP2's LIFO and HIFO draw only on lots acquired at or before
the sale (AccountingEngine.get_acquired_lot_for_taxable_event bounds the candidates by
the sale's timestamp); taxscan's engine walks the ledger in order, so its lots are those
acquired before. Timestamps are strictly increasing, so "at or before" and "before" are
the same lots, and both break ties (HIFO's equal unit costs) by acquisition time.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.ledger.classify import group_id
from scanner.ledger.records import Kind, LedgerEntry
from scanner.tax.lots import compute_lots
from scanner.tax.records import LotBook, Term

pytest.importorskip("rp2")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from rp2_adapter import METHODS, Gains, Rp2

WALLET = "0x" + "aa" * 20
ASSETS = tuple(f"eip155:1/erc20:0x{n:040x}" for n in range(1, 4))
DECIMALS = 18
CENT = Decimal("0.01")
NOISE = Decimal("1e-8")  # far above 40 sales' roundings to 1e-10, far below a cent
START, END = datetime(2019, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
AMBIGUOUS = (timedelta(days=363), timedelta(days=368))  # see the module's docstring
QUANTUM = Decimal("1e-6")  # a sale's quantity; buys have 4 decimals, unit prices 3


def trade(n: int, when: datetime, asset: str, quantity: Decimal, usd: Decimal) -> LedgerEntry:
    """A fiat trade as taxscan books it: one leg, `quantity` signed, `usd` paid or
    received."""
    tx = f"0x{n:064x}"
    return LedgerEntry(1, tx, "log:0", 0, n, 0, when, WALLET, Kind.TRADE, "transfer", asset,
                       f"T{ASSETS.index(asset)}", int(quantity.scaleb(DECIMALS)), DECIMALS,
                       None, group_id(1, tx, WALLET), usd, "test")


# an event: (asset, None for a buy or the share of the holding sold in %, quantity in
# 1e-4, unit price in 1e-3 USD, days and seconds since the previous event)
EVENT = st.tuples(st.integers(0, len(ASSETS) - 1), st.one_of(st.none(), st.integers(1, 100)),
                  st.integers(1, 2_000_000), st.integers(1, 20_000_000), st.integers(0, 150),
                  st.integers(1, 86_399))


@st.composite
def histories(draw: st.DrawFn) -> list[LedgerEntry]:
    """1-40 buys and sales over 2019-2025, each sale a share of what is held (so never more),
    timestamps strictly increasing, no sale in the ambiguous window after a buy."""
    when = START + timedelta(seconds=draw(st.integers(0, 365 * 86_400)))
    size = draw(st.integers(1, 40))
    events = draw(st.lists(EVENT, min_size=size, max_size=size))
    held: defaultdict[str, Decimal] = defaultdict(Decimal)
    bought: defaultdict[str, list[datetime]] = defaultdict(list)
    entries: list[LedgerEntry] = []
    for index, share, quantity_units, price_units, days, seconds in events:
        when += timedelta(days=days, seconds=seconds)
        if when >= END:
            break
        asset, price = ASSETS[index], Decimal(price_units).scaleb(-3)
        if share is None:
            quantity = Decimal(quantity_units).scaleb(-4)
            held[asset] += quantity
            bought[asset].append(when)
        else:
            quantity = (held[asset] * share / 100).quantize(QUANTUM, rounding=ROUND_DOWN)
            low, high = AMBIGUOUS
            if quantity == 0 or any(low <= when - t <= high for t in bought[asset]):
                continue
            held[asset] -= quantity
            quantity = -quantity
        entries.append(trade(len(entries), when, asset, quantity, abs(quantity) * price))
    return entries


@pytest.fixture(scope="module")
def rp2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rp2]:
    """RP2 reads its configuration from, and makes its log directory in, this directory
    only."""
    yield Rp2(tmp_path_factory.mktemp("rp2"), ASSETS)


def taxscan_gains(book: LotBook) -> Gains:
    out: defaultdict[tuple[str, int, Term], Decimal] = defaultdict(Decimal)
    for d in book.disposals:
        assert d.gain_usd is not None and d.term is not None
        out[(d.asset, d.disposed.year, d.term)] += d.gain_usd
    return dict(out)


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def assert_same_to_the_cent(ours: Gains, theirs: Gains) -> None:
    """Each total rounded to the cent, half up, after summing. taxscan keeps each lot's
    drawn basis and each share of proceeds to 1e-10 USD (the last draw takes the rest) and
    RP2 computes to 31 digits, so two totals may straddle a half cent by a hair: only then
    may their cents differ, and only when the unrounded totals are within NOISE."""
    assert ours.keys() == theirs.keys(), (ours, theirs)
    for key, mine in ours.items():
        if cents(mine) != cents(theirs[key]):
            assert abs(mine - theirs[key]) < NOISE, (key, mine, theirs[key])


def check_invariants(entries: list[LedgerEntry], book: LotBook) -> None:
    lots = {lot.lot_id: lot for lot in book.acquisitions}
    assert len(lots) == len(book.acquisitions) == sum(1 for e in entries if e.raw_amount > 0)
    drawn: defaultdict[str, Decimal] = defaultdict(Decimal)
    basis_drawn: defaultdict[str, Decimal] = defaultdict(Decimal)
    proceeds: defaultdict[str, Decimal] = defaultdict(Decimal)
    for d in book.disposals:
        assert d.lot_id is not None, f"a sale within the holding found no lot: {d}"
        lot = lots[d.lot_id]
        assert (lot.asset, lot.wallet) == (d.asset, d.wallet)
        assert d.acquired == lot.acquired <= d.disposed, f"{d} draws on a later lot"
        assert d.cost_basis_usd is not None and d.proceeds_usd is not None
        drawn[d.lot_id] += d.quantity
        basis_drawn[d.lot_id] += d.cost_basis_usd
        proceeds[d.tx_hash] += d.proceeds_usd
    still_open = {lot.lot_id: lot for lot in book.open_lots}
    assert len(still_open) == len(book.open_lots)
    for lot_id, lot in lots.items():
        left = still_open.get(lot_id)
        open_quantity = left.quantity if left else Decimal(0)
        open_basis = left.cost_basis_usd if left else Decimal(0)
        assert open_basis is not None
        assert drawn[lot_id] + open_quantity == lot.quantity, f"lot {lot_id} used twice"
        assert basis_drawn[lot_id] + open_basis == lot.cost_basis_usd, f"basis of {lot_id}"
    for asset in ASSETS:
        bought = sum((e.quantity for e in entries if e.asset == asset and e.raw_amount > 0),
                     Decimal(0))
        sold = sum((d.quantity for d in book.disposals if d.asset == asset), Decimal(0))
        held = sum((lot.quantity for lot in book.open_lots if lot.asset == asset), Decimal(0))
        assert bought == sold + held, asset
        assert sold == -sum((e.quantity for e in entries if e.asset == asset
                             and e.raw_amount < 0), Decimal(0))
    for e in entries:
        if e.raw_amount < 0:
            assert proceeds[e.tx_hash] == e.usd_value, f"proceeds of {e.tx_hash}"


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=80, deadline=None)
@given(entries=histories())
def test_gains_agree_with_rp2(rp2: Rp2, method: str, entries: list[LedgerEntry]) -> None:
    book = compute_lots(entries, method=method)
    check_invariants(entries, book)
    ours = taxscan_gains(book)
    theirs = rp2.compute(entries, method) if book.disposals else {}
    assert_same_to_the_cent(ours, theirs)
