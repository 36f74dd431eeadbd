"""Where the commands write (reports on stdout, the rest on stderr), and the lines more than
one command prints."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from scanner.formats.render import plural, terminal_text

if TYPE_CHECKING:
    from rich.console import Console

    from scanner.app.queries import Review
    from scanner.app.scan import WalletScan
    from scanner.app.summary import GainsSummary
    from scanner.formats.rows import Row
    from scanner.tax.jurisdictions.base import Jurisdiction
    from scanner.tax.netting import Netting


class _Deferred:
    """A rich Console made at its first use: a command that prints nothing (its --help) does
    not import rich."""

    def __init__(self, **settings: Any) -> None:
        self._settings = settings
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._settings)
        return getattr(self._console, name)

    def __enter__(self) -> Any:  # rich's live display holds its console this way
        return self.__getattr__("__enter__")()

    def __exit__(self, *exc: object) -> Any:
        return self.__getattr__("__exit__")(*exc)


out = cast("Console", _Deferred(highlight=False, soft_wrap=False))
err = cast("Console", _Deferred(stderr=True, highlight=False, soft_wrap=True,
                                markup=False))  # names untrusted


SHOWN_ARRIVALS = 10  # transfers in of unknown origin listed one by one


def print_review(found: Review) -> None:
    from scanner.formats.rows import money, qty
    from scanner.ledger.decode.protocols.bridges import PREFIX as BRIDGE

    for line in found.lines():
        err.print(f"review: {line}")
    arrivals = found.unknown_origin
    for leg in arrivals[:SHOWN_ARRIVALS]:
        value = "no price" if leg.usd_value is None else f"{money(leg.usd_value)} USD"
        via = f" by {leg.protocol}" if leg.protocol.startswith(BRIDGE) else ""
        err.print(f"review:   {leg.timestamp:%Y-%m-%d} {_short(leg.wallet)} got "
                  f"{qty(leg.quantity)} {terminal_text(leg.symbol or leg.asset)}{via} "
                  f"({value}), tx {_short(leg.tx_hash)}")
    if len(arrivals) > SHOWN_ARRIVALS:
        err.print(f"review:   and {len(arrivals) - SHOWN_ARRIVALS} more (kind transfer_in in "
                  "`taxscan ledger`)")
    departures = found.bridged_away
    for leg in departures[:SHOWN_ARRIVALS]:
        value = "no price" if leg.usd_value is None else f"{money(leg.usd_value)} USD"
        err.print(f"review:   {leg.timestamp:%Y-%m-%d} {_short(leg.wallet)} sent "
                  f"{qty(-leg.quantity)} {terminal_text(leg.symbol or leg.asset)} by "
                  f"{leg.protocol} ({value}), tx {_short(leg.tx_hash)}")
    if len(departures) > SHOWN_ARRIVALS:
        err.print(f"review:   and {len(departures) - SHOWN_ARRIVALS} more (kind transfer_out, "
                  "protocol bridge:..., in `taxscan ledger`)")


def _short(text: str) -> str:
    return text[:6] + "…" + text[-4:] if len(text) > 14 else terminal_text(text)


def print_notes(notes: Sequence[str]) -> None:
    """What the lot book says the reader should know about its figures (on stderr, so a
    report's CSV or JSON on stdout stays clean)."""
    for note in notes:
        err.print(f"note: {note}")


def scan_summary(results: Sequence[WalletScan]) -> None:
    from chains.addresses import checksum

    for result in results:
        fetched = (f"blocks {result.from_block:,}-{result.to_block:,}"
                   if result.from_block <= result.to_block else "no new blocks")
        index = result.address_index or "none"
        err.print(f"{result.chain_name}: {checksum(result.wallet)}: {fetched}, "
                  f"{plural(result.new_txs, 'new transaction')} (address index: {index})")
        for note in result.notes:
            err.print(f"  note: {note}")


def verdict(rows: Sequence[Row]) -> None:
    from scanner.ledger.reconcile import Status

    if not rows:
        err.print("reconcile: nothing to check")
        return
    unknown = [r for r in rows if r["status"] == Status.UNKNOWN]
    wrong = [r for r in rows if r["status"] not in (Status.OK, Status.SPAM, Status.UNKNOWN)]
    told = len(rows) - len(unknown)
    if wrong:
        err.print(f"reconcile: {len(wrong)} of {len(rows)} balances differ from the chain: "
                  "see `taxscan reconcile --rpc URL`")
    elif told:
        told_by = "the node could tell " if unknown else ""
        which, verb = ("the one balance", "matches") if told == 1 else \
            (f"all {told} balances", "match")
        err.print(f"reconciled: {which} {told_by}{verb} the chain at block "
                  f"{rows[0]['block_number']}")
    if unknown:
        err.print(f"reconcile: {len(unknown)} of {len(rows)} balances could not be checked: "
                  "the node could not tell them (see `taxscan reconcile --rpc URL`)")


def totals(summary: GainsSummary) -> None:
    """The footer of the gains table: its rows per term, and the year's netting."""
    from scanner.app.summary import ALL_TERMS

    def gain(amount: Decimal | None) -> str:
        return f"{'unknown' if amount is None else f'{amount:,.2f}'} {summary.currency}"

    for term in summary.terms:
        named = term.term if term.term == ALL_TERMS else f"{term.term}-term"
        err.print(f"{named}: {plural(term.rows, 'row')}, gain {gain(term.gain)}")
    if summary.tax_free is not None:
        err.print(f"of which tax-free (held over a year): {plural(summary.tax_free.rows, 'row')}"
                  f", gain {gain(summary.tax_free.gain)}")
    if summary.no_lot:
        err.print(f"{plural(summary.no_lot, 'disposal has', 'disposals have')} no lot (unknown "
                  "basis): review them", style="bold")
    if summary.netting is not None:
        netting_lines(summary.netting)
    for line in summary.law:
        err.print(line)


def netting_lines(netting: Netting) -> None:
    """Schedule D's netting of the year, with the loss carried in and out (a loss negative,
    as the form's parentheses show it)."""
    from scanner.formats.us.schedule_d import netting_figures
    from scanner.tax.taxpayer import FILING_STATUS_NAMES

    if netting.unknown_years:
        years = ", ".join(map(str, netting.unknown_years))
        err.print(f"Schedule D {netting.year}: unknown: disposals of unknown basis or proceeds "
                  f"in {years}")
        return
    err.print(f"Schedule D {netting.year} ({FILING_STATUS_NAMES[netting.filing_status]}):")
    for _, label, amount in netting_figures(netting):
        err.print(f"  {label}: {amount:,.2f} USD")


def wash_sale_warning(rows: Sequence[Row], jurisdiction: Jurisdiction | None = None) -> None:
    """The jurisdiction's warning (default: the US's) when the rows call for it."""
    from scanner.tax.jurisdictions import US

    jurisdiction = jurisdiction or US
    if (rows and jurisdiction.warns_always) or any(r["wash_sale_risk"] for r in rows):
        err.print(jurisdiction.warning)
