"""The quick ways the engine, its reports and the ledger reader take give exactly what the
plain ways give: objects built without the frozen dataclass __init__, CSV records split
without the csv module, quantities and moments formatted without the general formatters,
legs grouped without a dict of every group."""

from __future__ import annotations

import csv
import dataclasses
import io
import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chains.errors import UserInputError
from scanner.formats.csvtext import PLAIN_NUMBER, Record, parse_amount, records
from scanner.formats.ledger_csv import _plain_amount
from scanner.formats.render import _csv_cell, gains_to_csv, to_csv
from scanner.formats.rows import GAINS, amount_text, gains_rows, qty, when
from scanner.frozen import fast_constructor
from scanner.ledger.records import Kind, LedgerEntry
from scanner.money import sum_known
from scanner.tax.lots import _groups_in_order
from scanner.tax.matching import OpenLot
from scanner.tax.records import Disposal, Lot, Term
from scanner.tax.sales import cent_rounding, sale_cents, term_gains, whole_sales_cents
from scanner.writing import csv_cell, csv_lines
from tests.unit.builders import ETH, OTHER, TKN, WALLET, day, leg

START = datetime(2024, 1, 1, tzinfo=UTC)


def sale(**changes: Any) -> tuple[Any, ...]:
    fields = {"wallet": WALLET, "asset": TKN, "symbol": "TKN", "quantity": Decimal("1.5"),
              "acquired": START, "disposed": START + timedelta(days=400),
              "proceeds_usd": Decimal("12.5"), "cost_basis_usd": Decimal("2"),
              "term": Term.LONG, "tx_hash": "0x01", "lot_id": "0x00:log:0",
              "kind": Kind.TRADE}
    fields.update(changes)
    return tuple(fields.values())


# ---- fast_constructor ----------------------------------------------------------------


@pytest.mark.parametrize("cls, values", [
    (Disposal, sale()),
    (Disposal, (*sale(), "fifo", Decimal("3"))),
    (Lot, ("0x00:log:0", WALLET, TKN, None, START, Decimal(2), None, "0x00", "log:0",
           Kind.INCOME)),
    (LedgerEntry, dataclasses.astuple(leg(START, Kind.TRADE, ETH, "-1.25", "3000"))),
    (Record, (7, "a,b", ["a", "b"])),
])
def test_fast_constructor_builds_what_the_class_builds(cls: type, values: tuple[Any, ...]) \
        -> None:
    made, expected = fast_constructor(cls)(*values), cls(*values)
    assert type(made) is cls
    assert made == expected and repr(made) == repr(expected)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(made, dataclasses.fields(cls)[0].name, None)


def test_fast_constructor_takes_keywords_and_defaults() -> None:
    fields = dict(zip([f.name for f in dataclasses.fields(Disposal)], sale(kind=Kind.FEE),
                      strict=False))
    made = fast_constructor(Disposal)(**fields)
    assert made == Disposal(**fields)
    assert (made.rule, made.disallowed_loss_usd) == ("", Decimal(0))


@pytest.mark.parametrize("bad, message", [
    ({"quantity": Decimal(0)}, "a disposal disposes a positive quantity"),
    ({"acquired": START + timedelta(days=500)}, "lot 0x00:log:0 used before it was acquired"),
])
def test_fast_constructor_checks_what_the_class_checks(bad: dict[str, Any],
                                                       message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Disposal(*sale(**bad))
    with pytest.raises(ValueError, match=message):
        fast_constructor(Disposal)(*sale(**bad))


@dataclasses.dataclass(frozen=True)
class NoSlots:
    value: int


@dataclasses.dataclass(slots=True)
class NotFrozen:
    value: int


@dataclasses.dataclass(frozen=True, slots=True)
class WithFactory:
    values: list[int] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True, slots=True)
class OddNames:
    self: int
    cls: int = 2
    made: str = "x"


def test_fast_constructor_takes_any_field_names() -> None:
    assert fast_constructor(OddNames)(1, made="y") == OddNames(1, made="y")


@pytest.mark.parametrize("cls", [NoSlots, NotFrozen, WithFactory, int])
def test_fast_constructor_refuses_what_it_cannot_build(cls: type) -> None:
    with pytest.raises(TypeError):
        fast_constructor(cls)


# ---- CSV records without the csv module ------------------------------------------------


def csv_reader_records(text: str) -> list[tuple[int, str, list[str]]]:
    """What the csv module reads: each record, the line it starts on and its text."""
    lines = io.StringIO(text, newline="").readlines()
    reader, start, out = csv.reader(lines), 0, []
    for cells in reader:
        out.append((start + 1, "".join(lines[start:reader.line_num]).rstrip("\r\n"), cells))
        start = reader.line_num
    return out


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["a", "0x1f", ",", " ", "\t", "'", "=", "é", "\x00", "\r",
                                 "\n", "\r\n", "\u2028", "\x0c"]), max_size=40))
def test_records_are_what_the_csv_module_reads(parts: list[str]) -> None:
    text = "".join(parts)
    got = [(record.line, record.text, record.cells) for record in records(Path("x"), text)]
    assert got == csv_reader_records(text)


def test_records_keep_the_csv_modules_limit_on_a_cell() -> None:
    with pytest.raises(UserInputError, match="x:2: not valid CSV"):
        list(records(Path("x"), "a,b\r\n" + "c" * (csv.field_size_limit() + 1) + "\r\n"))


# ---- quantities and moments ------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(st.from_regex(r"[-+ ]?[0-9²٣]{0,4}(\.[0-9]{0,3})?[ e]?", fullmatch=True))
def test_a_plain_quantity_reads_as_parse_amount_reads_it(text: str) -> None:
    expected = parse_amount(text) if PLAIN_NUMBER.fullmatch(text) else None
    assert _plain_amount(text) == expected


@pytest.mark.parametrize("text", ["1" * 100, "1" * 101, "-" + "0" * 120 + "5",
                                  "0." + "1" * 255, "0." + "1" * 256])
def test_a_plain_quantity_keeps_the_limits_on_digits(text: str) -> None:
    assert _plain_amount(text) == parse_amount(text)


@settings(max_examples=500, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False)
       | st.builds(lambda n, e: Decimal(n).scaleb(e), st.integers(-10**30, 10**30),
                   st.integers(-40, 40)))
def test_qty_is_the_fixed_point_text_of_the_normalized_amount(amount: Decimal) -> None:
    text = format(amount.normalize(), "f")
    assert qty(amount) == ("0" if text == "-0" else text)


@settings(max_examples=500, deadline=None)
@given(st.integers(-10**80, 10**80).filter(bool), st.integers(0, 80))
def test_a_legs_quantity_text_is_made_from_its_integer_as_qty_makes_it(raw: int,
                                                                       decimals: int) -> None:
    """Beyond the context's precision (60 digits) both round as a Decimal does."""
    assert amount_text(raw, decimals) == qty(Decimal(raw).scaleb(-decimals))


@pytest.mark.parametrize(("raw", "decimals", "text"), [
    (5, 18, "0.000000000000000005"), (-1500, 3, "-1.5"), (1000, 0, "1000"),
    (10**18, 18, "1"), (123, 2, "1.23"), (-7, 1, "-0.7")])
def test_a_legs_quantity_text(raw: int, decimals: int, text: str) -> None:
    assert amount_text(raw, decimals) == text


_AMOUNT = st.none() | st.builds(lambda n, e: Decimal(n).scaleb(-e),
                                st.integers(-10**6, 10**9), st.integers(0, 12))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([Kind.TRADE, Kind.FEE]), _AMOUNT, _AMOUNT),
                min_size=1, max_size=6))
def test_whole_sales_cents_are_the_sums_of_their_lines_shares(
        drawn: list[tuple[Kind, Decimal | None, Decimal | None]]) -> None:
    """A leg that took whole sales gets their cents summed, not shared among the lines
    first: the same figures, written the same way."""
    disposals = [Disposal(*sale(kind=kind, proceeds_usd=sold, cost_basis_usd=cost,
                                lot_id=f"0x00:log:{n}", quantity=Decimal(n + 1)))
                 for n, (kind, sold, cost) in enumerate(drawn)]
    shares = sale_cents(disposals)
    expected = tuple(str(Decimal(0) + total) if total is not None else None for total in (
        sum_known(p for p, _ in shares), sum_known(c for _, c in shares)))
    got = whole_sales_cents(disposals, cent_rounding())
    assert tuple(None if total is None else str(total) for total in got) == expected


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["0x01", "0x02", "0x03"]),
                          st.sampled_from([Kind.TRADE, Kind.FEE]),
                          st.sampled_from([Term.SHORT, Term.LONG, None]), _AMOUNT, _AMOUNT),
                min_size=1, max_size=8))
def test_term_gains_are_the_sums_of_the_lines_shares(
        drawn: list[tuple[str, Kind, Term | None, Decimal | None, Decimal | None]]) -> None:
    """The netting's gains of each term add a sale of one term as its figures rounded once:
    what its lines' shares add up to."""
    disposals = [Disposal(*sale(tx_hash=tx, kind=kind, term=term, proceeds_usd=sold,
                                cost_basis_usd=cost, lot_id=f"0x00:log:{n}"))
                 for n, (tx, kind, term, sold, cost) in enumerate(drawn)]
    expected = {Term.SHORT: Decimal(0), Term.LONG: Decimal(0)}
    for disposal, (sold, cost) in zip(disposals, sale_cents(disposals), strict=True):
        if sold is not None and cost is not None and disposal.term is not None:
            expected[disposal.term] += sold - cost
    assert {term: str(gain) for term, gain in term_gains(disposals).items()} == \
        {term: str(gain) for term, gain in expected.items()}


ZONES = [UTC, None, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]


@settings(max_examples=500, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
       st.sampled_from(ZONES))
def test_when_is_the_utc_moment_to_the_second(moment: datetime,
                                              zone: timezone | None) -> None:
    aware = moment.replace(tzinfo=zone)
    utc = aware.astimezone(UTC) if zone is not None else aware
    assert when(aware) == utc.strftime("%Y-%m-%dT%H:%M:%S").zfill(19) + "Z"


# ---- grouping legs ---------------------------------------------------------------------


def grouped(entries: list[LedgerEntry]) -> list[list[LedgerEntry]]:
    """Every group's legs together, the groups in chain order, a group sending to an own
    wallet before the other groups of its transaction."""
    groups: dict[str, list[LedgerEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.group_id, []).append(entry)
    senders = {e.group_id for e in entries if e.kind is Kind.SELF_TRANSFER and e.raw_amount < 0}
    return sorted(groups.values(), key=lambda legs: (
        legs[0].timestamp, legs[0].block_number, legs[0].tx_index,
        legs[0].group_id not in senders, legs[0].group_id))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 2), st.booleans(),
                          st.sampled_from([WALLET, OTHER]),
                          st.sampled_from([Kind.TRADE, Kind.FEE, Kind.SELF_TRANSFER])),
                min_size=1, max_size=12),
       st.randoms(use_true_random=False), st.booleans())
def test_legs_are_grouped_in_chain_order_in_or_out_of_order(
        legs: list[tuple[int, int, bool, str, Kind]], rng: random.Random, shuffle: bool) -> None:
    entries = []  # a leg may come at another time than its transaction's first: bad input
    for n, (tx, late, out, wallet, kind) in enumerate(legs):
        entries.append(leg(day(2024, 1, 1 + tx, 12 + late), kind, ETH, "-1" if out else "1",
                           None, tx="0x" + format(tx, "064x"), key=f"log:{n}", wallet=wallet))
    entries.sort(key=lambda e: e.timestamp)  # chain order, as the store reads them
    if shuffle:
        rng.shuffle(entries)
    assert list(_groups_in_order(entries)) == grouped(entries)
    assert list(_groups_in_order(iter(entries))) == grouped(entries)


def test_a_group_whose_legs_come_apart_is_one_group() -> None:
    tx = "0x" + "01" * 32
    apart = [leg(day(2024, 1, 1, 12), Kind.TRADE, ETH, "-1", None, tx=tx, key="log:0"),
             leg(day(2024, 1, 1, 13), Kind.TRADE, ETH, "1", None, tx=tx, key="log:1",
                 wallet=OTHER),
             leg(day(2024, 1, 1, 14), Kind.TRADE, TKN, "5", None, tx=tx, key="log:2")]
    assert list(_groups_in_order(apart)) == [[apart[0], apart[2]], [apart[1]]]


def test_an_acquisition_is_recorded_as_the_lot_was_acquired() -> None:
    lot = OpenLot("0x00:log:0", 3, WALLET, TKN, "TKN", START, Decimal("2.5"), Decimal("10"),
                  "0x00", "log:0", Kind.TRADE)
    frozen = lot.frozen()  # made the fast way; the oracle is the dataclass's own __init__
    assert frozen == Lot("0x00:log:0", WALLET, TKN, "TKN", START, Decimal("2.5"),
                         Decimal("10"), "0x00", "log:0", Kind.TRADE)
    assert type(frozen) is Lot


# ---- the gains CSV without the csv writer for most rows --------------------------------

cell_texts = st.text(alphabet=st.sampled_from(['a', '0', ',', '"', "\r", "\n", "=", "-", " ",
                                               "'", "é"]), max_size=5)
amounts = st.none() | st.decimals(min_value=-10, max_value=10**6, places=4) \
    | st.builds(lambda n, e: Decimal(n).scaleb(e), st.integers(-10**9, 10**9),
                st.integers(-12, 6))


@st.composite
def any_disposal(draw: st.DrawFn) -> Disposal:
    covered = draw(st.booleans())
    return Disposal(
        wallet=draw(cell_texts), asset=draw(cell_texts), symbol=draw(st.none() | cell_texts),
        quantity=draw(st.decimals(min_value=Decimal("1e-20"), max_value=10**9, places=20)
                      | st.builds(lambda n, e: Decimal(n).scaleb(e), st.integers(1, 10**6),
                                  st.integers(-25, 8))),
        acquired=START if covered else None, disposed=START + timedelta(seconds=draw(
            st.integers(0, 10**8))), proceeds_usd=draw(amounts),
        cost_basis_usd=draw(amounts) if covered else None,
        term=draw(st.sampled_from([Term.SHORT, Term.LONG])) if covered else None,
        tx_hash=draw(cell_texts), lot_id=draw(st.none() | cell_texts),
        kind=draw(st.sampled_from([Kind.TRADE, Kind.FEE])), rule=draw(cell_texts),
        disallowed_loss_usd=draw(st.sampled_from([Decimal(0), Decimal("0.004"),
                                                  Decimal("12.345")])))


@settings(max_examples=400, deadline=None)
@given(st.lists(any_disposal(), max_size=6))
def test_the_gains_csv_is_the_gains_rows_through_the_csv_writer(
        disposals: list[Disposal]) -> None:
    assert gains_to_csv(disposals) == to_csv(gains_rows(disposals), GAINS.fields)


any_cell = st.none() | st.booleans() | st.integers(-10**20, 10**20) | amounts | cell_texts \
    | st.sampled_from([Kind.TRADE, Term.LONG, START])
CSV_FIELDS = ("symbol", "quantity", "wallet", "usd_value", "tx_hash")  # text and numeric


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(*[any_cell] * len(CSV_FIELDS)), max_size=6))
def test_a_csv_is_every_cell_made_safe_through_the_csv_writer(
        cells: list[tuple[Any, ...]]) -> None:
    """The rows whose every cell the csv writer writes as it is go to it without
    `_csv_cell`: the text is as if every cell went through `_csv_cell`."""
    rows = [dict(zip(CSV_FIELDS, row, strict=True)) for row in cells]
    plain = io.StringIO()
    writer = csv.writer(plain, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    writer.writerows([_csv_cell(f, row[f]) for f in CSV_FIELDS] for row in rows)
    assert to_csv(rows, CSV_FIELDS) == plain.getvalue()


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.none() | st.integers(-10**20, 10**20) | amounts | cell_texts,
                         min_size=1, max_size=4), max_size=6))
def test_csv_lines_are_the_csv_writers(rows: list[list[Any]]) -> None:
    plain = io.StringIO()
    csv.writer(plain, lineterminator="\r\n").writerows(rows)
    assert "".join(csv_lines(rows)) == plain.getvalue()


def test_a_sign_is_read_as_written() -> None:
    """A plus sign was read as a minus: +5 imported as a sale of 5."""
    assert parse_amount("+5") == (5, 0) and parse_amount("+1.50") == (150, 2)
    assert parse_amount("-5") == (-5, 0) and parse_amount("5") == (5, 0)
    assert parse_amount("+1e2") == (100, 0)


@given(st.lists(st.text(), min_size=2, max_size=4))
def test_csv_cells_are_the_csv_writers(cells: list[str]) -> None:
    """A line of several text cells joined from `csv_cell` is the csv writer's."""
    plain = io.StringIO()
    csv.writer(plain, lineterminator="\r\n").writerow(cells)
    assert ",".join(csv_cell(cell) for cell in cells) + "\r\n" == plain.getvalue()
