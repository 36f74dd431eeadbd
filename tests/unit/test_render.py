from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.formats.render import gains_to_csv, to_csv
from scanner.formats.rows import GAINS, gains_rows
from scanner.ledger.records import Kind
from scanner.tax.records import Disposal, Term
from tests.unit.builders import ETH, TKN, WALLET

START = datetime(2023, 1, 1, tzinfo=UTC)
money = st.one_of(st.none(), st.decimals(min_value=0, max_value=10**9, places=6))
texts = st.one_of(st.none(), st.text(max_size=8),
                  st.sampled_from(["=cmd()", "+1", "-x", "@A1", "\tT", "ETH"]))


@st.composite
def disposals(draw: st.DrawFn) -> Disposal:
    disposed = START + timedelta(seconds=draw(st.integers(0, 10**8)))
    covered = draw(st.booleans())
    rule = draw(st.sampled_from(["", "fifo", "=rule", "section-104"]))
    return Disposal(
        wallet=draw(st.sampled_from([WALLET, "=evil", "koinly:x"])),
        asset=draw(st.sampled_from([ETH, TKN])), symbol=draw(texts),
        quantity=draw(st.decimals(min_value=Decimal("1e-18"), max_value=10**12, places=18)),
        acquired=disposed - timedelta(days=draw(st.integers(0, 900))) if covered else None,
        disposed=disposed, proceeds_usd=draw(money),
        cost_basis_usd=draw(money) if covered else None,
        term=draw(st.sampled_from([Term.SHORT, Term.LONG])) if covered else None,
        tx_hash=draw(st.sampled_from(["0x" + "ab" * 32, "-0x1"])),
        lot_id=draw(st.one_of(st.none(), st.sampled_from(["0xab:log:1", "pool:x", "+lot"]))),
        kind=draw(st.sampled_from([Kind.TRADE, Kind.FEE])), rule=rule,
        disallowed_loss_usd=draw(st.sampled_from([Decimal(0), Decimal("12.345")])))


@settings(max_examples=200, deadline=None)
@given(st.lists(disposals(), max_size=20))
def test_the_gains_csv_is_the_rows_csv_made_without_rows(rows: list[Disposal]) -> None:
    assert gains_to_csv(rows) == to_csv(gains_rows(rows), GAINS.fields)


def test_a_symbol_that_looks_like_a_formula_is_guarded() -> None:
    sold = Disposal(WALLET, TKN, "=HYPERLINK(1)", Decimal(1), START, START, Decimal(2),
                    Decimal(1), Term.SHORT, "0x" + "ab" * 32, "lot", Kind.TRADE, "fifo")
    assert ",'=HYPERLINK(1)," in gains_to_csv([sold])


def test_a_table_shows_its_first_rows_and_counts_the_others() -> None:
    import io

    from rich.console import Console

    from scanner.formats.render import Format, emit
    from scanner.formats.rows import SPAM

    rows = [{f: f"{f}{n}" for f in SPAM.fields} for n in range(5)]
    screen = Console(file=io.StringIO(), width=400)
    emit(screen, rows, SPAM, Format.TABLE, "t", shown=3)
    text = screen.file.getvalue()
    assert f"{SPAM.table[0]}2" in text and f"{SPAM.table[0]}3" not in text
    assert "2 more rows of 5 not shown: --all-rows shows every row" in text
    every = Console(file=io.StringIO(), width=400)
    emit(every, rows, SPAM, Format.TABLE, "t", shown=None)
    assert f"{SPAM.table[0]}4" in every.file.getvalue()
    assert "not shown" not in every.file.getvalue()


def test_json_written_row_by_row_is_the_text_of_json_dumps() -> None:
    import json

    from scanner.formats.render import to_json

    for rows in ([], [{"a": 1}], [{"a": "x\ny", "b": [1, 2], "c": {"d": None}}, {"e": "ü"}],
                 [{"i": i} for i in range(2500)]):
        assert to_json(rows) == json.dumps(rows, indent=2, ensure_ascii=False)
