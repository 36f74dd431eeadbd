"""One self-contained HTML page for a tax year: realized gains, income, harvestable losses,
open positions, what needs review, and the lineage of every disposal. Pure: rows in, text
out.

Self-contained. No script, no external stylesheet, font or image: the CSS is inline, the
chart is inline SVG, and a Content-Security-Policy meta tag (`default-src 'none'; style-src
'unsafe-inline'; img-src data:`) makes a browser refuse any fetch. The only links are
explorer links from `ReportPage.tx_urls`, and only those that start with "https://".

Untrusted text. Symbols, wallets, kinds and spam reasons come from the chain: the template
escapes everything (jinja2 autoescape), and nothing of theirs reaches an href.

Figures. Money is summed with Decimal from the row strings (the figures `taxscan gains`,
`income`, `harvest` and `lots` print), so a total is exactly the sum of its rows. An unknown
figure (None) shows as "unknown", never as zero: the totals of a group add up the rows whose
figure is known, and the group says how many it left out.

Machine-readable figures. Every figure a reader or a test needs sits in an element with a
`data-figure` attribute whose visible text is exactly the figure: money with two decimals
("-12.30"), a quantity as `reports.qty` writes it, a count as an integer, or "unknown".
`<SYMBOL>` is the token's symbol as given (the asset id when it has none), `<wallet>` the
wallet as given, `<n>` the index of the row in `ReportPage.gains` (from 0).

    gains.<g>.count         disposals of group <g>: short, long, other (no holding period:
    gains.<g>.unknown       pooled, ACB, or no lot; only when there are any), total (all of
    gains.<g>.proceeds      them); .unknown counts those whose gain_usd is unknown, and the
    gains.<g>.basis         money figures add up the others: proceeds, cost basis, the loss
    gains.<g>.disallowed    the rules disallow (only when some row has one), and gain
    gains.<g>.gain          (= proceeds - basis + disallowed)
    income.<kind>.count     income events of a kind, those of unknown value, and the USD
    income.<kind>.unknown   value of the others
    income.<kind>.usd
    income.count, income.unknown, income.usd                 the same over every kind
    harvest.<SYMBOL>.unrealized   the sum of the negative unrealized_usd of the asset's lots
    harvest.unrealized            the same over every asset
    harvest.unknown               harvest rows whose unrealized is unknown (when there are any)
    lot.<lot_id>.basis, lot.<lot_id>.value, lot.<lot_id>.unrealized   one lot below basis
    positions.<SYMBOL>.<wallet>.lots       open lots of the asset in the wallet
    positions.<SYMBOL>.<wallet>.quantity   their quantity
    positions.<SYMBOL>.<wallet>.basis      their cost basis ("unknown" if any lot's is)
    lineage.<n>.proceeds, lineage.<n>.basis, lineage.<n>.gain   a disposal
    lineage.<n>.acquired_quantity, lineage.<n>.acquired_basis   its lot as first acquired
    assets.<asset>.count    the disposals of an asset (its id), as gains.<g>.* count them:
    assets.<asset>.unknown  those of unknown gain, and the proceeds, basis and gain of the
    assets.<asset>.proceeds others
    assets.<asset>.basis
    assets.<asset>.gain
    missing.<asset>.legs    ledger legs of the asset without a USD value
    arrival.<lot_id>.basis  a lot opened at fair value by a transfer in of unknown origin
    spam.<asset>.score      a spam token's score
    plan.*                  the plan section: see `html_plan`
    netting.<key>           the US netting of the year (Schedule D, with the loss carried
                            over), a loss negative: keys 6, 7, 14, 15, 16, 21 (when line 16
                            is a loss), carryover_short, carryover_long (into the next year);
                            only with `ReportPage.netting`, and none when it is unknown

A section without rows (no income, no loss, no open lot...) says so and has no figures; the
gains summary always has its short, long and total rows.

Bounded. The page stays small whatever the size of the books: the totals are over every row,
but the lineage shows the first `LINEAGE_ROWS` disposals of each term group (with the
disposals per asset above them), the chart the `CHART_BARS` biggest losses, and each other
list (lots below their basis, positions, transfers in of unknown origin, missing prices,
spam) its first `LISTED` rows; a note under each says how many it left out and which
command lists them all. The figures of a row left out are not on the page.

The notes section (`id="notes"`, one `<li>` per note of the lot book, such as the UK and
Canadian pools taking DeFi exchanges as trades) is there only when there are notes.
lineage.<n>.acquired_* are there when the disposal's lot is in `ReportPage.acquisitions`.

The SVG chart has one `<rect data-bar="<SYMBOL>">` per asset with a loss shown, its width in
user units proportional to the asset's loss (the biggest loss is `BAR_WIDTH` wide).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Generic, TypeVar

import jinja2

from scanner.formats.html_plan import PlanPart, plan_view
from scanner.formats.rows import Row, qty, when
from scanner.formats.us.form8949 import amount_text, one_line
from scanner.formats.us.schedule_d import netting_figures
from scanner.ledger.records import Kind
from scanner.tax.netting import Netting
from scanner.tax.taxpayer import FILING_STATUS_NAMES

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
BAR_WIDTH = Decimal(400)  # user units of the biggest bar
BAR_QUANTUM = Decimal("0.01")
_BAR_X = 160  # where the bars start: the labels are to the left of it
_LABEL_CHARS = 18  # a longer symbol is cut in the chart (the table has it whole)
_GROUPS = (("short", "Short-term"), ("long", "Long-term"),
           ("other", "No holding period (pooled, ACB or no lot)"))
NO_LOT = "no lot: unknown basis"
LINEAGE_ROWS = 100  # disposals shown with their lineage in each term group
LISTED = 200  # rows of each other list
CHART_BARS = 40  # assets in the chart of losses
_UNKNOWN_ORIGIN = Kind.TRANSFER_IN.value  # the origin kind of a lot opened by one
_T = TypeVar("_T")


@dataclass(frozen=True)
class ReportPage:
    year: int | None  # the tax year, None = all years
    generated: datetime  # UTC, printed in the header
    rules: str  # e.g. "US, FIFO, lots per wallet from 2025" (shown as given)
    gains: Sequence[Row]  # reports.gains_rows of the year
    income: Sequence[Row]  # reports.income_rows
    harvest_as_of: datetime
    harvest: Sequence[Row]  # reports.harvest_rows: open lots at harvest_as_of
    open_lots: Sequence[Row]  # reports.lot_rows
    # lot_id -> reports.lot_rows row of the lot as acquired: those of the disposals
    # `lineage_shown` keeps, and those opened by transfers in of unknown origin
    acquisitions: Mapping[str, Row]
    missing: Sequence[Row]  # reports.missing_rows
    spam: Sequence[tuple[str, int, str]]  # (asset id, score, reasons)
    review: Sequence[str]  # Review.lines()
    tx_urls: Mapping[str, str]  # tx_hash -> explorer URL (absent = no link)
    notes: Sequence[str] = ()  # the lot book's notes on how the figures were computed
    netting: Netting | None = None  # the year's US netting, under the gains
    currency: str = "USD"  # of every figure but the ledger's
    year_name: str | None = None  # as the jurisdiction's forms name the year: "2024 to 2025"
    summary: Sequence[str] = ()  # what the jurisdiction's law does with the year's totals
    plan: PlanPart | None = None  # the plan section (`html_plan` documents its figures)


def render_report(page: ReportPage) -> str:
    """The page as one HTML document."""
    return _template().render(
        title="taxscan report: " + ("all years" if page.year is None
                                    else f"tax year {page.year_name or page.year}"),
        year_option="" if page.year is None else f" --year {page.year}",
        currency=page.currency, summary=page.summary,
        generated=when(page.generated), rules=page.rules, csp=CSP,
        gains=_gain_groups(page.gains), income=_income(page.income),
        harvest_as_of=when(page.harvest_as_of), chart=_chart(page.harvest),
        positions=_listed(_positions(page.open_lots)), review=page.review,
        missing=_listed(page.missing), spam=_listed(page.spam),
        lineage=_lineage(page.gains, page.acquisitions), assets=_per_asset(page.gains),
        no_lot=NO_LOT, arrivals=_listed(_arrivals(page.acquisitions)),
        notes=page.notes, netting=_netting(page.netting), plan=plan_view(page.plan),
        links={tx: url for tx, url in page.tx_urls.items() if url.startswith("https://")},
    )


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("scanner.formats", "templates"), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["short"] = _short
    env.filters["name"] = _name
    return env.get_template("report.html.j2")


# ---- what the template shows -------------------------------------------------------------


@dataclass(frozen=True)
class _Group:
    key: str
    label: str
    count: str
    unknown: str
    proceeds: str
    basis: str
    disallowed: str
    gain: str


@dataclass(frozen=True)
class _Gains:
    groups: list[_Group]
    unknown: int
    disallowed: bool  # whether any row has a loss the rules disallow


@dataclass(frozen=True)
class _Kind:
    kind: str
    count: str
    unknown: str
    usd: str


@dataclass(frozen=True)
class _Income:
    kinds: list[_Kind]
    total: _Kind


@dataclass(frozen=True)
class _Bar:
    name: str
    label: str  # the name as the chart shows it
    unrealized: str
    width: str  # user units
    text_x: str  # where the amount is written, after the bar
    y: int


@dataclass(frozen=True)
class _Listed(Generic[_T]):
    rows: Sequence[_T]  # the first `LISTED`
    left: int  # how many more there are


def _listed(rows: Sequence[_T], most: int = LISTED) -> _Listed[_T]:
    return _Listed(rows[:most], max(0, len(rows) - most))


@dataclass(frozen=True)
class _Chart:
    bars: list[_Bar]  # the `CHART_BARS` biggest losses
    more_bars: int  # assets with a loss left out of the chart
    lots: _Listed[Row]  # the lots below their basis, biggest loss first
    total: str
    unknown: str
    bar_x: int
    width: int
    height: int


@dataclass(frozen=True)
class _Position:
    name: str
    wallet: str
    lots: str
    quantity: str
    basis: str | None


@dataclass(frozen=True)
class _Line:
    n: int
    row: Row
    lot: Row | None  # the lot as first acquired, when known


@dataclass(frozen=True)
class _LineageGroup:
    key: str
    label: str
    count: int  # the group's disposals
    lines: list[_Line]  # the first `LINEAGE_ROWS` of them


@dataclass(frozen=True)
class _Asset:
    asset: str
    name: str
    count: str
    unknown: str
    proceeds: str
    basis: str
    gain: str


def _sum(values: Iterable[str]) -> str:
    return amount_text(sum((Decimal(v) for v in values), Decimal(0)))


def _group_key(row: Row) -> str:
    term = row["term"]
    return term if term in ("short", "long") else "other"


def _gain_groups(rows: Sequence[Row]) -> _Gains:
    """Each group's figures summed over its rows, and the total's as the sum of the groups'
    (exact: Decimal sums of cents), each row read once."""
    counts = {key: [0, 0] for key, _ in _GROUPS}  # rows, rows of unknown gain
    money = {key: [Decimal(0)] * 4 for key, _ in _GROUPS}  # proceeds, basis, disallowed, gain
    disallowed = False
    for r in rows:
        key = _group_key(r)
        counts[key][0] += 1
        disallowed = disallowed or r["disallowed_loss_usd"] is not None
        if r["gain_usd"] is None:
            counts[key][1] += 1
            continue
        figures = money[key]
        figures[0] += Decimal(r["proceeds_usd"])
        figures[1] += Decimal(r["cost_basis_usd"])
        figures[2] += Decimal(r["disallowed_loss_usd"] or 0)
        figures[3] += Decimal(r["gain_usd"])

    def group(key: str, label: str, count: Sequence[int], sums: Sequence[Decimal]) -> _Group:
        return _Group(key, label, str(count[0]), str(count[1]), *map(amount_text, sums))

    groups = [group(key, label, counts[key], money[key]) for key, label in _GROUPS
              if counts[key][0] or key != "other"]  # short and long always, others if any
    groups.append(group("total", "Total",
                        [sum(c) for c in zip(*counts.values(), strict=True)],
                        [sum(m, Decimal(0)) for m in zip(*money.values(), strict=True)]))
    return _Gains(groups, int(groups[-1].unknown), disallowed)


@dataclass(frozen=True)
class _Netting:
    year: int
    status: str
    unknown_years: str  # "" when every year netted is known
    figures: list[tuple[str, str, str]]  # key, label, amount


def _netting(netting: Netting | None) -> _Netting | None:
    if netting is None:
        return None
    return _Netting(netting.year, FILING_STATUS_NAMES[netting.filing_status],
                    ", ".join(map(str, netting.unknown_years)),
                    [(key, label, amount_text(amount))
                     for key, label, amount in netting_figures(netting)])


def _income(rows: Sequence[Row]) -> _Income:
    def kind(name: str, part: list[Row]) -> _Kind:
        known = [r["usd_value"] for r in part if r["usd_value"] is not None]
        return _Kind(name, str(len(part)), str(len(part) - len(known)), _sum(known))

    kinds = sorted({r["kind"] for r in rows})
    return _Income([kind(k, [r for r in rows if r["kind"] == k]) for k in kinds],
                   kind("total", list(rows)))


def _chart(rows: Sequence[Row]) -> _Chart:
    lots = [r for r in rows
            if r["unrealized_usd"] is not None and Decimal(r["unrealized_usd"]) < 0]
    lots.sort(key=lambda r: (Decimal(r["unrealized_usd"]), _name(r), r["lot_id"]))
    losses: dict[str, Decimal] = {}
    for r in lots:
        losses[_name(r)] = losses.get(_name(r), Decimal(0)) + Decimal(r["unrealized_usd"])
    order = sorted(losses, key=lambda name: (losses[name], name))
    biggest = -min(losses.values(), default=Decimal(-1))
    bars = []
    for i, name in enumerate(order[:CHART_BARS]):
        width = (-losses[name] * BAR_WIDTH / biggest).quantize(BAR_QUANTUM)
        label = name if len(name) <= _LABEL_CHARS else name[:_LABEL_CHARS - 1] + "…"
        bars.append(_Bar(name, label, amount_text(losses[name]), format(width, "f"),
                         format(_BAR_X + width + 6, "f"), i * 28))
    unknown = sum(1 for r in rows if r["unrealized_usd"] is None)
    return _Chart(bars, max(0, len(order) - CHART_BARS), _listed(lots),
                  _sum(r["unrealized_usd"] for r in lots), str(unknown),
                  bar_x=_BAR_X, width=720, height=len(bars) * 28 + 4)


def _positions(rows: Sequence[Row]) -> list[_Position]:
    groups: dict[tuple[str, str], list[Row]] = {}
    for r in rows:
        groups.setdefault((_name(r), r["wallet"]), []).append(r)
    out = []
    for (name, wallet), part in sorted(groups.items()):
        quantity = sum((Decimal(r["quantity"]) for r in part), Decimal(0))
        unknown = any(r["cost_basis_usd"] is None for r in part)
        out.append(_Position(name, wallet, str(len(part)), qty(quantity),
                             None if unknown else _sum(r["cost_basis_usd"] for r in part)))
    return out


def _lineage(rows: Sequence[Row], acquisitions: Mapping[str, Row]) -> list[_LineageGroup]:
    groups = []
    for key, label in _GROUPS:
        members = [n for n, r in enumerate(rows) if _group_key(r) == key]
        if members:
            groups.append(_LineageGroup(key, label, len(members), [
                _Line(n, rows[n], acquisitions.get(rows[n]["lot_id"]) if rows[n]["lot_id"]
                      else None) for n in members[:LINEAGE_ROWS]]))
    return groups


def lineage_shown(rows: Sequence[Row]) -> list[Row]:
    """The gains rows whose lineage the page shows: the first `LINEAGE_ROWS` of each term
    group."""
    shown: list[Row] = []
    for key, _ in _GROUPS:
        shown += [r for r in rows if _group_key(r) == key][:LINEAGE_ROWS]
    return shown


def _per_asset(rows: Sequence[Row]) -> list[_Asset]:
    """The disposals of each asset, by name then asset id."""
    parts: dict[str, list[Row]] = {}
    for r in rows:
        parts.setdefault(str(r["asset"]), []).append(r)
    out = []
    for asset, part in parts.items():
        known = [r for r in part if r["gain_usd"] is not None]
        out.append(_Asset(asset, _name(part[0]), str(len(part)), str(len(part) - len(known)),
                          _sum(r["proceeds_usd"] for r in known),
                          _sum(r["cost_basis_usd"] for r in known),
                          _sum(r["gain_usd"] for r in known)))
    return sorted(out, key=lambda a: (a.name, a.asset))


def _arrivals(acquisitions: Mapping[str, Row]) -> list[Row]:
    """The lots opened at fair value by transfers in of unknown origin (to review: from an
    account of yours, they would have kept their dates and basis), oldest first."""
    return sorted((r for r in acquisitions.values() if r["origin_kind"] == _UNKNOWN_ORIGIN),
                  key=lambda r: (r["acquired"], r["lot_id"]))


def _name(row: Row) -> str:
    """The symbol on one line, else the asset id."""
    return one_line(row["symbol"] or "") or str(row["asset"])


def _short(text: str) -> str:
    """A long address or hash cut for a table cell; the title attribute keeps it whole."""
    return text[:6] + "…" + text[-4:] if len(text) > 14 else text
