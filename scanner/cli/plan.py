"""`taxscan plan`: what to sell before the tax year ends, what it saves, what to buy back,
and when waiting pays."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from chains.errors import UserInputError
from scanner.cli.console import err, out, print_notes
from scanner.cli.options import (
    FROM_OPTIONS,
    FROM_TAXPAYER,
    DbOption,
    FormatOption,
    open_store,
    parse_as_of,
    parse_decimal,
    profile_options,
    tax_rules,
    word,
)
from scanner.collector import without_collector
from scanner.formats.render import Format, plural, show, to_csv

if TYPE_CHECKING:
    from decimal import Decimal

    from scanner.app.settings import Rules
    from scanner.app.taxpayer import TaxpayerAsked
    from scanner.cli.options import ScenarioChoice
    from scanner.tax.harvest import Rates
    from scanner.tax.plan.records import Plan

commands = typer.Typer()


def parse_targets(texts: list[str]) -> dict[str, Decimal]:
    """`KEY=WEIGHT` texts: an asset id or a group's name, and its weight."""
    from scanner.app.config_profile import target_key
    from scanner.tax.plan.rebalance import check_targets

    targets: dict[str, Decimal] = {}
    for text in texts:
        name, sep, weight = text.rpartition("=")
        key = target_key(name) if sep else None
        if key is None:
            raise UserInputError(f"--target {text!r}: expected ASSET_OR_GROUP=WEIGHT "
                                 "(ETH=0.6)")
        targets[key] = parse_decimal(weight, "--target", 1)
    try:
        check_targets(targets)
    except ValueError as exc:
        raise UserInputError(f"--target: {exc}") from None
    return targets


def rates_of(short_rate: str | None, long_rate: str | None) -> Rates | None:
    from scanner.tax.harvest import Rates

    if short_rate is None:
        if long_rate is not None:
            raise UserInputError("--long-rate needs --short-rate")
        return None
    short = parse_decimal(short_rate, "--short-rate", 1)
    return Rates(short, short if long_rate is None else parse_decimal(long_rate, "--long-rate",
                                                                     1))


@commands.command()
@without_collector
@tax_rules
@profile_options
def plan(
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="The day the sales are made, at its prices (YYYY-MM-DD, end of day "
        "UTC; default: now).", show_default=False)] = None,
    target_loss: Annotated[str | None, typer.Option(
        "--target-loss", help="Realize at least this much loss, with the most net saving.",
        show_default=False)] = None,
    offset_gains: Annotated[bool, typer.Option(
        "--offset-gains", help="Realize enough loss to offset the year's net gain.")] = False,
    split: Annotated[bool, typer.Option(
        "--split", help="A lot may be sold in part (else whole lots only).")] = False,
    min_saving: Annotated[str, typer.Option(
        "--min-saving", help="A sale saving less than this, net of gas, is not proposed.")
    ] = "1",
    short_rate: Annotated[str | None, typer.Option(
        "--short-rate", help="Your marginal rate on a short-term gain, instead of the "
        "brackets (outside the US: on any taxable gain).", show_default=False)] = None,
    long_rate: Annotated[str | None, typer.Option(
        "--long-rate", help="Your rate on a long-term gain, with --short-rate.",
        show_default=False)] = None,
    scenario: Annotated[ScenarioChoice | None, typer.Option(
        "--scenario", help="wash-sale: the plan under a section 1091-style rule for crypto, "
        "and what it would lose.", show_default=False)] = None,
    target: Annotated[list[str] | None, typer.Option(
        "--target", help="Rebalance toward ASSET_OR_GROUP=WEIGHT (repeatable, adding up to "
        "1; default: the config's [targets]).", show_default=False)] = None,
    rules: Rules = FROM_OPTIONS,
    taxpayer: TaxpayerAsked = FROM_TAXPAYER,
    fmt: FormatOption = Format.TABLE,
    db: DbOption = None,
) -> None:
    """What to sell before the tax year ends: the lots whose sale saves the most tax net of
    gas, figured through the year's netting, brackets and carryover; what to buy back; and
    when waiting for a lot to turn long-term pays."""
    from scanner.app import plan as planning
    from scanner.app.readmodel import load
    from scanner.app.targets import targets_of
    from scanner.app.taxpayer import taxpayer_of
    from scanner.tax.plan.planner import Asked

    moment = parse_as_of(as_of) if as_of else datetime.now(UTC)
    if target_loss is not None and offset_gains:
        raise UserInputError("give --target-loss or --offset-gains, not both")
    asked = Asked(
        target_loss=None if target_loss is None else parse_decimal(target_loss,
                                                                    "--target-loss"),
        offset_gains=offset_gains, split=split, least=parse_decimal(min_saving, "--min-saving"),
        scenario=word(scenario) if scenario else None)
    rates = rates_of(short_rate, long_rate)
    with open_store(db) as store:
        books = load(store, rules)
        targets = parse_targets(target) if target else targets_of(store)
        done = planning.make_plan(books, taxpayer_of(store, taxpayer), moment, asked, rates,
                                  targets)
    show_plan(done, fmt)


def show_plan(done: Plan, fmt: Format) -> None:
    """The plan on stdout; the deadline, what to know and the notes on stderr."""
    from scanner.formats import plan_rows

    if fmt is Format.JSON:
        out.file.write(plan_rows.plan_json(done))
    elif fmt is Format.CSV:
        out.file.write(to_csv(plan_rows.sale_rows(done.sales), plan_rows.SALES.fields))
    else:
        _tables(done)
    local = done.deadline.astimezone(done.zone)
    err.print(f"deadline: sales count in {done.year_name} until "
              f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}")
    for line in advice(done):
        err.print(line)
    print_notes(done.notes)


def _tables(done: Plan) -> None:
    from scanner.formats import plan_rows

    currency = done.summary.currency
    show(out, plan_rows.summary_table(done), plan_rows.SUMMARY,
         f"Plan for {done.year_name}, in {currency}")
    show(out, plan_rows.sale_rows(done.sales), plan_rows.SALES,
         f"Sales ({plural(len(done.sales), 'lot')})")
    if done.terms:
        show(out, plan_rows.with_symbols(plan_rows.timing_rows(done.timing), done),
             plan_rows.TIMING, "Short-term lots: when they turn long-term")
    if done.moves:
        show(out, plan_rows.move_rows(done.moves), plan_rows.REBALANCE, "Rebalance")


def advice(done: Plan) -> list[str]:
    """What the reader should know to act on the plan."""
    from scanner.tax.plan.planner import NOW, REBALANCE, lot_key
    from scanner.tax.plan.scenarios import RULE

    lines = []
    currency = done.summary.currency
    rebuys = {s.rebuy for s in done.sales if s.candidate.gain < 0}
    if NOW in rebuys and any(s.wash_sale_risk for s in done.sales):
        lines.append("rebuy now: no wash-sale rule covers crypto in the US today (IRC 1091 "
                     "names stock and securities), but bills propose one: see --scenario "
                     "wash-sale")
    if any(r.startswith("from ") for r in rebuys):
        lines.append("rebuy from DATE: buying the same asset back earlier would be matched to "
                     "the sale; a non-identical substitute can be bought at once")
    if REBALANCE in rebuys or any(s.rebuy == REBALANCE for s in done.sales):
        buys = [f"{m.key} {m.buy:,.2f}" for m in done.moves if m.buy > 0]
        if buys:
            lines.append(f"rebalance: buy {', '.join(buys)} {currency} with the proceeds")
    for sale in done.sales:
        c = sale.candidate
        if c.flagged and c.gain < 0:
            lines.append(f"wash-sale risk: {c.lot.symbol or c.lot.asset} lot {c.lot.lot_id}: "
                         "the same or an identical asset was bought in the 30 days before")
    for t in done.timing:
        more = done.waiting.get(lot_key(t.candidate))
        if more is not None:
            lot = t.candidate.lot
            lines.append(f"wait: {lot.symbol or lot.asset} lot {lot.lot_id} turns long-term "
                         f"on {t.long_term_on.isoformat()}, before the deadline: sold from "
                         f"then it saves {more:,.2f} {currency} more (at today's price)")
    if done.scenario is not None:
        s = done.scenario
        lines.append(f"scenario {s.name}: under {RULE}, the plan under today's law "
                     f"(net {s.law_net_saved:,.2f} {currency}) would save "
                     f"{s.rebought_net_saved:,.2f}, losing {s.lost:,.2f}; remade for the "
                     f"rule, the plan above saves {s.net_saved:,.2f}")
    return lines
