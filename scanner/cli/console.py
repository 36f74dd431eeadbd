"""Where the commands write (reports on stdout, the rest on stderr), and the lines more than
one command prints."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console

from chains.addresses import checksum
from scanner.app.queries import Review
from scanner.app.scan import WalletScan
from scanner.formats import rows as reports
from scanner.formats.rows import Row
from scanner.tax.jurisdictions import US
from scanner.tax.jurisdictions.base import Jurisdiction

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)  # names untrusted


def print_review(found: Review) -> None:
    for line in found.lines():
        err.print(f"review: {line}")


def scan_summary(results: Sequence[WalletScan]) -> None:
    for result in results:
        fetched = (f"blocks {result.from_block:,}-{result.to_block:,}"
                   if result.from_block <= result.to_block else "no new blocks")
        index = result.address_index or "none"
        err.print(f"{result.chain_name}: {checksum(result.wallet)}: {fetched}, "
                  f"{result.new_txs} new transactions (address index: {index})")
        for note in result.notes:
            err.print(f"  note: {note}")


def verdict(rows: Sequence[Row]) -> None:
    wrong = [r for r in rows if r["status"] not in ("ok", "spam")]
    if not rows:
        err.print("reconcile: nothing to check")
    elif not wrong:
        err.print(f"reconciled: all {len(rows)} balances match the chain at block "
                  f"{rows[0]['block_number']}")
    else:
        err.print(f"reconcile: {len(wrong)} of {len(rows)} balances differ from the chain: "
                  "see `taxscan reconcile --rpc URL`")


def totals(rows: Sequence[Row]) -> None:
    terms = [t for t in ("short", "long") if any(r["term"] == t for r in rows)]
    for term in terms or ["all"]:
        part = [r for r in rows if r["lot_id"] is not None and term in ("all", r["term"])]
        gain = reports.total(part, "gain_usd")
        err.print(f"{term}{'-term' if terms else ''}: {len(part)} rows, gain "
                  f"{'unknown' if gain is None else f'{gain:,.2f}'} USD")
    free = [r for r in rows if r["rule"] == "tax-free-after-1y"]
    if free:
        gain = reports.total(free, "gain_usd")
        err.print(f"of which tax-free (held over a year): {len(free)} rows, gain "
                  f"{'unknown' if gain is None else f'{gain:,.2f}'} USD")
    unknown = [r for r in rows if r["lot_id"] is None]
    if unknown:
        err.print(f"{len(unknown)} disposals have no lot (unknown basis): review them",
                  style="bold")


def wash_sale_warning(rows: Sequence[Row], jurisdiction: Jurisdiction = US) -> None:
    if (rows and jurisdiction.warns_always) or any(r["wash_sale_risk"] for r in rows):
        err.print(jurisdiction.warning)
