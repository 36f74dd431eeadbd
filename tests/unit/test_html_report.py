"""The HTML report: one self-contained page whose figures are the sums of the report rows,
whose unknowns stay unknown, and whose untrusted text stays text, in a parser and in
Chromium."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from scanner.app.queries import Review
from scanner.formats import rows as reports
from scanner.formats.html_report import (
    CHART_BARS,
    CSP,
    LINEAGE_ROWS,
    LISTED,
    NO_LOT,
    ReportPage,
    render_report,
)
from scanner.formats.rows import Row
from scanner.ledger.records import Kind
from scanner.tax.harvest import HarvestRow
from scanner.tax.records import Disposal, IncomeEvent, Lot, MissingPrice, Term
from tests.chromium import print_to_pdf, rendered_dom
from tests.html_page import Parsed, figures
from tests.unit.builders import ETH, OTHER, TKN, WALLET, day

D = Decimal
EVIL = "eip155:1/erc20:0x" + "66" * 20
EVIL2 = "eip155:1/erc20:0x" + "77" * 20
SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
SYMBOLS = {ETH: "ETH", TKN: "TKN", EVIL: SCRIPT, EVIL2: BREAKOUT}
AS_OF = day(2025, 12, 31)
MONEY = re.compile(r"-?\d+\.\d\d")


def tx(n: int) -> str:
    return "0x" + format(n, "064x")


# ---- the inputs: real records through the real row builders -------------------------------


def lot(n: int, asset: str, wallet: str, acquired: datetime, quantity: str,
        basis: str | None, kind: Kind = Kind.TRADE) -> Lot:
    return Lot(f"{tx(n)}:log:0", wallet, asset, SYMBOLS[asset], acquired, D(quantity),
               None if basis is None else D(basis), tx(n), "log:0", kind)


LOT_A = lot(1, ETH, WALLET, day(2023, 3, 4), "2", "3000")
LOT_B = lot(2, ETH, WALLET, day(2025, 1, 2), "1", "3300")
LOT_C = lot(3, TKN, WALLET, day(2025, 1, 10), "100", "250.50")
LOT_D = lot(4, ETH, OTHER, day(2025, 2, 1), "0.5", "1400")
LOT_E = lot(5, EVIL, WALLET, day(2025, 3, 1), "1000", "99.99")
LOT_F = lot(6, EVIL2, OTHER, day(2025, 3, 2), "5", "10")
LOT_G = lot(7, TKN, OTHER, day(2025, 4, 1), "40", None, Kind.INCOME)
ACQUIRED = [LOT_A, LOT_B, LOT_C, LOT_D, LOT_E, LOT_F, LOT_G]
OPEN = [replace(LOT_A, quantity=D("0.5"), cost_basis_usd=D("750")),
        replace(LOT_B, quantity=D("0.749"), cost_basis_usd=D("2471.70")),
        replace(LOT_C, quantity=D("80"), cost_basis_usd=D("200.40")), LOT_D, LOT_E, LOT_F,
        LOT_G]


def disposal(source: Lot | None, disposed: datetime, quantity: str, proceeds: str | None,
             basis: str | None, *, n: int, term: Term | None = Term.SHORT,
             asset: str = ETH, kind: Kind = Kind.TRADE, lot_id: str | None = None,
             disallowed: str = "0") -> Disposal:
    asset = source.asset if source else asset
    return Disposal(
        wallet=source.wallet if source else WALLET, asset=asset, symbol=SYMBOLS[asset],
        quantity=D(quantity), acquired=source.acquired if source else None, disposed=disposed,
        proceeds_usd=None if proceeds is None else D(proceeds),
        cost_basis_usd=None if basis is None else D(basis), term=term, tx_hash=tx(n),
        lot_id=source.lot_id if source else lot_id, kind=kind, rule="fifo" if source else "",
        disallowed_loss_usd=D(disallowed))


DISPOSALS = [
    disposal(LOT_A, day(2025, 5, 6), "1", "3500.004", "1500", n=101, term=Term.LONG),
    disposal(LOT_B, day(2025, 2, 3), "0.25", "700.10", "825", n=102),
    disposal(LOT_C, day(2025, 2, 4), "20", "40", "50.10", n=103),
    disposal(LOT_B, day(2025, 2, 3), "0.001", "3.333", "3.3", n=102, kind=Kind.FEE),
    disposal(LOT_C, day(2025, 6, 1), "5", None, "12.52", n=104),  # no price: gain unknown
    disposal(None, day(2025, 7, 1), "0.3", "120", None, n=105, term=None),  # no lot
    disposal(LOT_E, day(2025, 8, 1), "10", "5", "0.9999", n=106),
    disposal(None, day(2025, 9, 1), "1", "10", "15", n=107, term=None, asset=TKN,
             lot_id=f"pool:{TKN}", disallowed="2.5"),  # pooled basis, a denied loss
    disposal(LOT_A, day(2025, 10, 1), "0.5", "1799.99", "750", n=108, term=Term.LONG),
]
INCOME = [
    IncomeEvent(day(2025, 3, 1), WALLET, ETH, "ETH", D("0.01"), D("30.123"), "staking", tx(201)),
    IncomeEvent(day(2025, 4, 1), WALLET, ETH, "ETH", D("0.02"), None, "staking", tx(202)),
    IncomeEvent(day(2025, 5, 1), WALLET, ETH, "ETH", D("0.01"), D("35.50"), "staking", tx(203)),
    IncomeEvent(day(2025, 6, 1), OTHER, TKN, "TKN", D("10"), D("12.5"), "airdrop", tx(204)),
]
PRICES = {ETH: D("3000"), TKN: D("2"), EVIL: D("0.00001"), EVIL2: D("1")}


def harvest_row(open_lot: Lot, *, risk: bool = False) -> HarvestRow:
    price = PRICES[open_lot.asset]
    value = open_lot.quantity * price
    unrealized = None if open_lot.cost_basis_usd is None else value - open_lot.cost_basis_usd
    term = Term.LONG if open_lot.acquired < day(2024, 12, 31) else Term.SHORT
    return HarvestRow(open_lot, price, "test", value, unrealized, term, risk)


def harvest_rows(lots: list[Lot]) -> list[Row]:
    # what is left of lot A is valued at a basis of 1550 here, so that it is a loss too
    rows = [harvest_row(replace(x, cost_basis_usd=D("1550")) if x is OPEN[0] else x,
                        risk=x is OPEN[1]) for x in lots]
    return reports.harvest_rows(rows)


TX_URLS = {tx(101): "https://etherscan.io/tx/" + tx(101),
           tx(102): "https://etherscan.io/tx/" + tx(102) + "?a=1&b=2",
           tx(1): "https://etherscan.io/tx/" + tx(1),
           tx(106): "javascript:alert(1)",  # never a link
           tx(108): "http://etherscan.io/tx/" + tx(108)}  # not https: no link
SPAM = [(EVIL, 90, f"symbol {SCRIPT}; name says visit https://claim.example"),
        (EVIL2, 75, BREAKOUT)]


def page(**changes: object) -> ReportPage:
    full = ReportPage(
        year=2025, generated=datetime(2026, 1, 15, 9, 30, 5, tzinfo=UTC),
        rules="US, FIFO, lots per wallet from 2025",
        gains=reports.gains_rows(DISPOSALS), income=reports.income_rows(INCOME),
        harvest_as_of=AS_OF, harvest=harvest_rows(OPEN), open_lots=reports.lot_rows(OPEN),
        acquisitions={r["lot_id"]: r for r in reports.lot_rows(ACQUIRED)},
        missing=reports.missing_rows([
            MissingPrice(TKN, "TKN", 3, day(2025, 4, 1), day(2025, 6, 1), D("5"), D(0),
                         D("40"), D(0)),
            MissingPrice(EVIL, SCRIPT, 1, day(2025, 3, 1), day(2025, 3, 1), D(0), D(0), D(0),
                         D("1000"))]),
        spam=SPAM, review=Review(3, 2, 1, 0).lines(), tx_urls=TX_URLS)
    return replace(full, **changes)  # type: ignore[arg-type]


# ---- reading the page back -------------------------------------------------------------


# ---- what the figures must be, computed here from the rows -----------------------------


def expected_gains(rows: list[Row]) -> dict[str, str]:
    groups: dict[str, Callable[[Row], bool]] = {
        "short": lambda r: r["term"] == "short", "long": lambda r: r["term"] == "long",
        "other": lambda r: r["term"] is None, "total": lambda r: True}
    out = {}
    for name, member in groups.items():
        part = [r for r in rows if member(r)]
        known = [r for r in part if r["gain_usd"] is not None]
        if not part and name == "other":
            continue
        out[f"gains.{name}.count"] = str(len(part))
        out[f"gains.{name}.unknown"] = str(len(part) - len(known))
        for figure, field in (("proceeds", "proceeds_usd"), ("basis", "cost_basis_usd"),
                              ("gain", "gain_usd")):
            out[f"gains.{name}.{figure}"] = str(sum((D(r[field]) for r in known), D("0.00")))
    return out


def money_figures(found: dict[str, str], prefix: str) -> dict[str, Decimal]:
    return {k: D(v) for k, v in found.items() if k.startswith(prefix) and MONEY.fullmatch(v)}


def losses_per_symbol(rows: list[Row]) -> dict[str, Decimal]:
    losses: dict[str, Decimal] = {}
    for r in rows:
        if r["unrealized_usd"] is not None and D(r["unrealized_usd"]) < 0:
            losses[r["symbol"]] = losses.get(r["symbol"], D(0)) + D(r["unrealized_usd"])
    return losses


def assert_figures_match_rows(found: dict[str, str], shown: ReportPage) -> None:
    gains = list(shown.gains)
    for name, value in expected_gains(gains).items():
        assert found[name] == value, name
    for name in ("short", "long", "other", "total"):  # the gain is what the rows add up to
        if f"gains.{name}.gain" in found:
            assert MONEY.fullmatch(found[f"gains.{name}.gain"])
    assert sum(D(found.get(f"gains.{t}.gain", "0")) for t in ("short", "long", "other")) \
        == D(found["gains.total.gain"])
    for kind in {r["kind"] for r in shown.income}:
        part = [r for r in shown.income if r["kind"] == kind]
        assert found[f"income.{kind}.count"] == str(len(part))
        assert found[f"income.{kind}.unknown"] == str(sum(r["usd_value"] is None for r in part))
        assert D(found[f"income.{kind}.usd"]) == sum(D(r["usd_value"]) for r in part
                                                     if r["usd_value"] is not None)
    for symbol, loss in losses_per_symbol(list(shown.harvest)).items():
        assert found[f"harvest.{symbol}.unrealized"] == str(loss)
    shown = shown_lineage(gains)
    for n, r in enumerate(gains):
        for figure, field in (("proceeds", "proceeds_usd"), ("basis", "cost_basis_usd"),
                              ("gain", "gain_usd")):
            assert found.get(f"lineage.{n}.{figure}") == \
                ((r[field] or "unknown") if n in shown else None)


def shown_lineage(rows: list[Row]) -> set[int]:
    """The rows the lineage shows: the first LINEAGE_ROWS of each term (no term: pooled)."""
    shown: set[int] = set()
    for term in ("short", "long", None):
        shown |= set([n for n, r in enumerate(rows) if r["term"] == term][:LINEAGE_ROWS])
    return shown


# ---- the tests --------------------------------------------------------------------------


def test_summary_totals_are_the_sums_of_the_gains_rows_per_term() -> None:
    shown = page()
    found = figures(render_report(shown))
    assert_figures_match_rows(found, shown)
    # worked by hand, so a wrong row builder cannot make both sides wrong alike
    assert {k: found[f"gains.{k}.gain"] for k in ("short", "long", "other", "total")} == {
        "short": "-130.97", "long": "3049.99", "other": "-2.50", "total": "2916.52"}
    assert (found["gains.short.count"], found["gains.short.unknown"]) == ("5", "1")
    assert (found["gains.other.count"], found["gains.other.unknown"]) == ("2", "1")
    assert (found["gains.total.count"], found["gains.total.unknown"]) == ("9", "2")
    assert (found["gains.other.proceeds"], found["gains.other.basis"],
            found["gains.other.disallowed"]) == ("10.00", "15.00", "2.50")


def test_a_broken_total_is_caught() -> None:
    shown = page()
    html = render_report(shown).replace('data-figure="gains.long.gain" class="num">3049.99',
                                        'data-figure="gains.long.gain" class="num">3049.98')
    try:
        assert_figures_match_rows(figures(html), shown)
    except AssertionError:
        return
    raise AssertionError("a wrong long-term gain went unnoticed")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(
    st.sampled_from([Term.SHORT, Term.LONG, None]),
    st.one_of(st.none(), st.decimals(0, 10**6, places=4)),
    st.one_of(st.none(), st.decimals(0, 10**6, places=4))), max_size=12))
def test_totals_add_up_whatever_the_rows(
    drawn: list[tuple[Term | None, Decimal | None, Decimal | None]],
) -> None:
    rows = reports.gains_rows([
        Disposal(WALLET, ETH, "ETH", D(1), None, day(2025, 6, 1), proceeds, basis, term,
                 tx(i), None if term is None else f"lot:{i}", Kind.TRADE)
        for i, (term, proceeds, basis) in enumerate(drawn)])
    shown = page(gains=rows)
    found = figures(render_report(shown))
    assert_figures_match_rows(found, shown)
    assert ("gains.other.count" in found) == any(t is None for t, _, _ in drawn)


def test_unknown_figures_show_as_unknown_never_as_zero() -> None:
    html = render_report(page())
    found = figures(html)
    text = " ".join(Parsed(html).text)
    assert "2 disposals have unknown figures" in text
    assert (found["lineage.4.proceeds"], found["lineage.4.gain"]) == ("unknown", "unknown")
    assert (found["lineage.5.basis"], found["lineage.5.gain"]) == ("unknown", "unknown")
    assert found["income.staking.unknown"] == "1"
    assert found["income.staking.usd"] == "65.62"  # 30.12 + 35.50, the unknown left out
    assert "1 income event has no USD value" in text
    assert found[f"positions.TKN.{OTHER}.basis"] == "unknown"
    assert found[f"positions.TKN.{WALLET}.basis"] == "200.40"
    assert found["harvest.unknown"] == "1"  # lot G has no basis
    assert 'class="num unknown">unknown<' in html


def test_losses_are_red_and_unknowns_stand_out() -> None:
    parsed = Parsed(render_report(page()))
    for name, value in parsed.figures.items():
        assert ("neg" in parsed.classes[name]) == value.startswith("-"), name
        assert ("unknown" in parsed.classes[name]) == (value == "unknown"), name
    assert "neg" in parsed.classes["gains.short.gain"]
    assert "neg" not in parsed.classes["gains.total.gain"]


def test_income_per_kind_and_in_all() -> None:
    found = figures(render_report(page()))
    assert {k: v for k, v in found.items() if k.startswith("income.")} == {
        "income.airdrop.count": "1", "income.airdrop.unknown": "0",
        "income.airdrop.usd": "12.50", "income.staking.count": "3",
        "income.staking.unknown": "1", "income.staking.usd": "65.62",
        "income.count": "4", "income.unknown": "1", "income.usd": "78.12"}


def test_the_chart_has_a_bar_per_asset_with_a_loss_as_long_as_the_loss() -> None:
    shown = page()
    parsed = Parsed(render_report(shown))
    losses = losses_per_symbol(list(shown.harvest))
    assert losses == {"ETH": D("-274.70"), "TKN": D("-40.40"), SCRIPT: D("-99.98"),
                      BREAKOUT: D("-5.00")}
    assert [name for name, _ in parsed.bars] == sorted(losses, key=lambda s: losses[s])
    widths = dict(parsed.bars)
    assert widths["ETH"] == D(400)
    for symbol, loss in losses.items():  # proportional, to the quantum of the widths
        assert abs(widths[symbol] - loss / losses["ETH"] * 400) <= D("0.005")
    assert [w for _, w in parsed.bars] == sorted(widths.values(), reverse=True)
    assert parsed.figures["harvest.unrealized"] == str(sum(losses.values()))
    # the table has the lots below their basis, and only those
    lot_figures = {k for k in parsed.figures if k.startswith("lot.")}
    below = [r["lot_id"] for r in shown.harvest
             if r["unrealized_usd"] is not None and D(r["unrealized_usd"]) < 0]
    assert lot_figures == {f"lot.{i}.{f}" for i in below for f in ("basis", "value",
                                                                  "unrealized")}
    assert parsed.figures[f"lot.{OPEN[1].lot_id}.unrealized"] == "-224.70"


def test_no_loss_is_an_empty_chart_that_says_so() -> None:
    gains_only = [r for r in harvest_rows(OPEN)
                  if r["unrealized_usd"] is not None and D(r["unrealized_usd"]) >= 0]
    parsed = Parsed(render_report(page(harvest=gains_only)))
    assert parsed.bars == [] and "svg" not in parsed.tags
    assert "No open lot is below its basis at 2025-12-31." in parsed.text


def test_open_positions_per_asset_and_wallet() -> None:
    found = figures(render_report(page()))
    assert {k: v for k, v in found.items() if k.startswith("positions.")} == {
        f"positions.ETH.{WALLET}.lots": "2", f"positions.ETH.{WALLET}.quantity": "1.249",
        f"positions.ETH.{WALLET}.basis": "3221.70",
        f"positions.ETH.{OTHER}.lots": "1", f"positions.ETH.{OTHER}.quantity": "0.5",
        f"positions.ETH.{OTHER}.basis": "1400.00",
        f"positions.TKN.{WALLET}.lots": "1", f"positions.TKN.{WALLET}.quantity": "80",
        f"positions.TKN.{WALLET}.basis": "200.40",
        f"positions.TKN.{OTHER}.lots": "1", f"positions.TKN.{OTHER}.quantity": "40",
        f"positions.TKN.{OTHER}.basis": "unknown",
        f"positions.{SCRIPT}.{WALLET}.lots": "1",
        f"positions.{SCRIPT}.{WALLET}.quantity": "1000",
        f"positions.{SCRIPT}.{WALLET}.basis": "99.99",
        f"positions.{BREAKOUT}.{OTHER}.lots": "1",
        f"positions.{BREAKOUT}.{OTHER}.quantity": "5",
        f"positions.{BREAKOUT}.{OTHER}.basis": "10.00"}


def test_lineage_links_each_disposal_to_its_lot_and_only_https_to_explorers() -> None:
    shown = page()
    parsed = Parsed(render_report(shown))
    links = [value or "" for tag, name, value in parsed.attributes if name == "href"]
    assert sorted(set(links)) == sorted({TX_URLS[tx(1)], TX_URLS[tx(101)], TX_URLS[tx(102)]})
    assert all(tag == "a" for tag, name, _ in parsed.attributes if name == "href")
    text = " ".join(parsed.text)
    assert text.count(tx(106)) == 1 and text.count(tx(108)) == 1  # there, as text
    found = parsed.figures
    # lot A: acquired 2 ETH for 3000 by a trade in tx 1
    assert (found["lineage.0.acquired_quantity"], found["lineage.0.acquired_basis"]) == \
        ("2", "3000.00")
    assert found["lineage.4.acquired_basis"] == "250.50"  # the lot is known, the price not
    assert "lineage.5.acquired_basis" not in found and NO_LOT in text
    assert "lineage.7.acquired_basis" not in found
    assert f"pool:{TKN}" in text and "no acquisition on record" in text
    assert [s for s in parsed.text if s.endswith(" disposals")] \
        == ["Short-term: 5 disposals", "Long-term: 2 disposals",
            "No holding period (pooled, ACB or no lot): 2 disposals"]


def test_the_page_fetches_nothing() -> None:
    html = render_report(page())
    parsed = Parsed(html)
    assert ("meta", "content", CSP) in parsed.attributes
    assert CSP == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    assert {"script", "link", "img", "iframe", "object", "embed", "base", "form"} \
        .isdisjoint(parsed.tags)
    assert not [a for a in parsed.attributes if a[1] in ("src", "srcset", "action", "xmlns")
                or a[1].startswith("on")]
    refs = [(tag, value or "") for tag, name, value in parsed.attributes if name == "href"]
    assert refs and all(tag == "a" and value in TX_URLS.values() and value.startswith(
        "https://") for tag, value in refs)
    style = "".join(parsed.styles)
    assert style and "url(" not in style and "@import" not in style
    # every URL in the source is an explorer link or escaped text (a spam reason)
    for url in re.findall(r"\w+://[^\s\"'<>]+", html):
        assert url in {u.replace("&", "&amp;") for u in TX_URLS.values()} \
            or url == "https://claim.example", url


def test_hostile_symbols_and_reasons_stay_text() -> None:
    html = render_report(page())
    parsed = Parsed(html)
    assert "<script>" not in html and "<img" not in html
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert SCRIPT in parsed.text and BREAKOUT in parsed.text
    assert not [name for _, name, _ in parsed.attributes if name.startswith("on")]
    assert parsed.figures[f"harvest.{SCRIPT}.unrealized"] == "-99.98"
    assert parsed.figures[f"harvest.{BREAKOUT}.unrealized"] == "-5.00"
    assert f"symbol {SCRIPT}; name says visit https://claim.example" in parsed.text
    hostile_rules = render_report(page(rules=BREAKOUT + SCRIPT))
    assert "<script>" not in hostile_rules and "<img" not in hostile_rules
    assert "Rules: " + BREAKOUT + SCRIPT in Parsed(hostile_rules).text


def test_the_header_names_the_year_the_time_and_the_rules() -> None:
    parsed = Parsed(render_report(page()))
    assert "taxscan report: tax year 2025" in parsed.text
    assert "2026-01-15 09:30:05 UTC" in parsed.text
    assert "Rules: US, FIFO, lots per wallet from 2025" in parsed.text
    assert "taxscan report: all years" in Parsed(render_report(page(year=None))).text
    sections = [v for tag, name, v in parsed.attributes if tag == "section" and name == "id"]
    assert sections == ["summary", "income", "harvest", "positions", "review", "lineage"]


def test_review_has_the_lines_the_missing_prices_and_the_spam() -> None:
    parsed = Parsed(render_report(page()))
    for line in Review(3, 2, 1, 0).lines():
        assert line in parsed.text
    assert parsed.figures[f"missing.{TKN}.legs"] == "3"
    assert parsed.figures[f"missing.{EVIL}.legs"] == "1"
    assert (parsed.figures[f"spam.{EVIL}.score"], parsed.figures[f"spam.{EVIL2}.score"]) \
        == ("90", "75")
    empty = Parsed(render_report(page(review=[], missing=[], spam=[], gains=[], income=[],
                                      open_lots=[])))
    for line in ("Nothing needs review.", "Every leg has a price.", "No spam token.",
                 "No disposal in this period.", "No income in this period.", "No open lot."):
        assert line in empty.text
    assert empty.figures["gains.total.gain"] == "0.00"


def test_chromium_renders_the_same_figures(tmp_path: Path) -> None:
    shown = page()
    html = render_report(shown)
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    dom = Parsed(rendered_dom(path))
    assert dom.figures == figures(html)
    assert_figures_match_rows(dom.figures, shown)
    assert dom.bars == Parsed(html).bars
    # the browser built no element from a hostile symbol: they are text
    assert "script" not in dom.tags and "img" not in dom.tags
    assert SCRIPT in dom.text and BREAKOUT in dom.text


def test_chromium_prints_the_page(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(render_report(page()), encoding="utf-8")
    pdf = PdfReader(print_to_pdf(path, tmp_path / "report.pdf"))
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert "taxscan report: tax year 2025" in text
    assert "2916.52" in text and "Lineage" in text


def many_disposals(short: int, long: int) -> list[Disposal]:
    """`short` short-term disposals of ETH then `long` long-term ones of TKN, each its own
    sale: proceeds n + 0.5, basis n."""
    return [disposal(LOT_B if n < short else LOT_C, day(2025, 6, 1), "0.001", f"{n}.5", str(n),
                     n=1000 + n, term=Term.SHORT if n < short else Term.LONG)
            for n in range(short + long)]


def test_a_big_year_shows_its_totals_and_bounded_lineage() -> None:
    rows = reports.gains_rows(many_disposals(LINEAGE_ROWS + 5, 3))
    html = render_report(page(gains=rows))
    parsed = Parsed(html)
    found = parsed.figures
    assert_figures_match_rows(found, page(gains=rows))  # totals over every row
    assert found["gains.short.count"] == str(LINEAGE_ROWS + 5)
    assert f"lineage.{LINEAGE_ROWS - 1}.gain" in found and f"lineage.{LINEAGE_ROWS}.gain" \
        not in found and f"lineage.{LINEAGE_ROWS + 5}.gain" in found  # the first long one
    text = re.sub(r"\s+", " ", "".join(parsed.text))
    assert f"Short-term: {LINEAGE_ROWS + 5} disposals" in parsed.text
    assert "5 more disposals not shown: taxscan gains --year 2025 --format csv lists every " \
        "one, taxscan trace TX_HASH the lineage of one." in text
    # per asset, summed here from the rows: ETH sold n + 0.5 for a basis of n, n < short
    short = LINEAGE_ROWS + 5
    assert (found[f"assets.{ETH}.count"], found[f"assets.{ETH}.unknown"]) == (str(short), "0")
    assert D(found[f"assets.{ETH}.proceeds"]) == sum(D(n) + D("0.5") for n in range(short))
    assert D(found[f"assets.{ETH}.gain"]) == D("0.5") * short
    assert D(found[f"assets.{TKN}.basis"]) == sum(D(n) for n in range(short, short + 3))


def test_the_page_does_not_grow_with_the_rows_it_leaves_out() -> None:
    def size(short: int) -> int:
        return len(render_report(page(gains=reports.gains_rows(many_disposals(short, 0)))))

    grown = size(10 * LINEAGE_ROWS) - size(LINEAGE_ROWS + 1)
    assert 0 <= grown < 200  # the counts and totals have more digits; no row more


def test_long_lists_show_their_first_rows_and_say_how_many_more() -> None:
    losing = [replace(LOT_C, lot_id=f"{tx(3000 + n)}:log:0", asset=ETH, symbol=None,
                      quantity=D(1), cost_basis_usd=D(10 + n)) for n in range(LISTED + 7)]
    assets = [f"eip155:1/erc20:0x{n:040x}" for n in range(CHART_BARS + 2)]
    charted = [replace(lot, asset=assets[n % len(assets)]) for n, lot in enumerate(losing)]
    rows = reports.harvest_rows([HarvestRow(lot, D(1), "test", D(1), D(1) - D(10 + n),
                                            Term.SHORT, False)
                                 for n, lot in enumerate(charted)])
    parsed = Parsed(render_report(page(harvest=rows, open_lots=reports.lot_rows(charted))))
    lots = {k for k in parsed.figures if k.startswith("lot.") and k.endswith(".unrealized")}
    assert len(lots) == LISTED and len(parsed.bars) == CHART_BARS
    assert D(parsed.figures["harvest.unrealized"]) == -sum(D(9 + n) for n in range(LISTED + 7))
    text = re.sub(r"\s+", " ", "".join(parsed.text))
    assert "7 more lots below their basis (the total counts them) not shown: taxscan harvest " \
        "--as-of 2025-12-31 lists every one." in text
    assert "2 more assets with smaller losses not shown" in text
    positions = {k for k in parsed.figures if k.startswith("positions.") and k.endswith(".lots")}
    assert len(positions) == len(assets)  # one wallet: a position per asset, all shown
