"""Where the commands write (reports on stdout, the rest on stderr), and the lines more than
one command prints."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console

from chains.addresses import checksum
from scanner.app.queries import Review
from scanner.app.scan import WalletScan
from scanner.formats import rows as reports
from scanner.formats.render import plural
from scanner.formats.rows import Row
from scanner.ledger.reconcile import Status
from scanner.tax.jurisdictions import US
from scanner.tax.jurisdictions.base import Jurisdiction

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)  # names untrusted


def print_review(found: Review) -> None:
    for line in found.lines():
        err.print(f"review: {line}")


def print_notes(notes: Sequence[str]) -> None:
    """What the lot book says the reader should know about its figures (on stderr, so a
    report's CSV or JSON on stdout stays clean)."""
    for note in notes:
        err.print(f"note: {note}")


def scan_summary(results: Sequence[WalletScan]) -> None:
    for result in results:
        fetched = (f"blocks {result.from_block:,}-{result.to_block:,}"
                   if result.from_block <= result.to_block else "no new blocks")
        index = result.address_index or "none"
        err.print(f"{result.chain_name}: {checksum(result.wallet)}: {fetched}, "
                  f"{plural(result.new_txs, 'new transaction')} (address index: {index})")
        for note in result.notes:
            err.print(f"  note: {note}")


def verdict(rows: Sequence[Row]) -> None:
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
        err.print(f"reconciled: all {told} balances {told_by}match the chain at block "
                  f"{rows[0]['block_number']}")
    if unknown:
        err.print(f"reconcile: {len(unknown)} of {len(rows)} balances could not be checked: "
                  "the node could not tell them (see `taxscan reconcile --rpc URL`)")


def totals(rows: Sequence[Row]) -> None:
    terms = [t for t in ("short", "long") if any(r["term"] == t for r in rows)]
    for term in terms or ["all"]:
        part = [r for r in rows if r["lot_id"] is not None and term in ("all", r["term"])]
        gain = reports.total(part, "gain_usd")
        err.print(f"{term}{'-term' if terms else ''}: {plural(len(part), 'row')}, gain "
                  f"{'unknown' if gain is None else f'{gain:,.2f}'} USD")
    free = [r for r in rows if r["rule"] == "tax-free-after-1y"]
    if free:
        gain = reports.total(free, "gain_usd")
        err.print(f"of which tax-free (held over a year): {plural(len(free), 'row')}, gain "
                  f"{'unknown' if gain is None else f'{gain:,.2f}'} USD")
    unknown = [r for r in rows if r["lot_id"] is None]
    if unknown:
        err.print(f"{plural(len(unknown), 'disposal has', 'disposals have')} no lot (unknown "
                  "basis): review them", style="bold")


def wash_sale_warning(rows: Sequence[Row], jurisdiction: Jurisdiction = US) -> None:
    if (rows and jurisdiction.warns_always) or any(r["wash_sale_risk"] for r in rows):
        err.print(jurisdiction.warning)
