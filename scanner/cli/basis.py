"""`taxscan basis`: the allocation of universal lots to wallets (US, Rev. Proc. 2024-28)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from chains.errors import UserInputError
from scanner.cli.console import err, out
from scanner.cli.options import (
    AllRowsOption,
    DbOption,
    FormatOption,
    open_store,
    shown_rows,
    writable_store,
)
from scanner.formats.render import Format, emit, plural

group = typer.Typer(no_args_is_help=True, help="Lots per wallet: the allocation of "
                    "universal lots to wallets (US, Rev. Proc. 2024-28).")


@group.command("allocate")
def basis_allocate(
    as_of: Annotated[str, typer.Option(
        "--as-of", help="January 1 of the first year with lots per wallet (YYYY-01-01).")
    ] = "2025-01-01",
    fmt: FormatOption = Format.TABLE,
    all_rows: AllRowsOption = False,
    db: DbOption = None,
) -> None:
    """Give the lots held universally to the wallets that hold the coins at the start of
    the year, and record it: each wallet's own lots first, the rest by the method's order
    to wallets still short. Replaces a recorded allocation."""
    from scanner.app import basis
    from scanner.formats import rows as reports

    try:
        moment = datetime.strptime(as_of.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise UserInputError(f"--as-of must be a date (YYYY-01-01): {as_of!r}") from None
    if moment > datetime.now(UTC):
        raise UserInputError(f"--as-of {as_of.strip()} is in the future: the allocation is "
                             "made at the start of a year that has begun")
    with writable_store(db) as store:
        rows = reports.allocation_rows(basis.allocate_basis(store, moment))
    emit(out, rows, reports.ALLOCATION, fmt, f"Basis allocation recorded as of {as_of}",
         shown=shown_rows(all_rows))
    if fmt is Format.TABLE:
        err.print(f"{plural(len(rows), 'lot part')} given to wallets; reports use this allocation "
                  "from now on (`taxscan basis show`)")


@group.command("show")
def basis_show(
    fmt: FormatOption = Format.TABLE,
    all_rows: AllRowsOption = False,
    db: DbOption = None,
) -> None:
    """The recorded allocation of universal lots to wallets."""
    from scanner.app import basis
    from scanner.formats import rows as reports

    with open_store(db) as store:
        rows = reports.allocation_rows(basis.recorded_allocation(store))
    emit(out, rows, reports.ALLOCATION, fmt, "Recorded basis allocation",
         shown=shown_rows(all_rows))
    if fmt is Format.TABLE and not rows:
        err.print("no allocation recorded: the lots are given to wallets by the rule when a "
                  "year turns to per-wallet lots (`taxscan basis allocate` records it)")
