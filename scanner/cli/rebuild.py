"""`taxscan rebuild`: the ledger and every lot rebuilt from the stored records."""

from __future__ import annotations

import typer

from scanner.cli.console import err, print_review
from scanner.cli.options import DbOption, writable_store
from scanner.formats.render import plural

commands = typer.Typer()


@commands.command()
def rebuild(db: DbOption = None) -> None:
    """Rebuild the ledger of every chain from the raw records, value every leg again and
    recompute every lot. Scans, imports, prices and spam marks keep them up to date by
    themselves: this is for a database an older taxscan wrote, or one you doubt."""
    from scanner.app import queries
    from scanner.app.rebuild import rebuild as rebuild_all
    from scanner.cli.progress import RichProgress

    with writable_store(db) as store, RichProgress(err) as progress:
        done = rebuild_all(store, progress)
        err.print(f"rebuilt: {plural(done.legs, 'leg')}, {plural(done.lots, 'open lot')}, "
                  f"{plural(done.disposals, 'disposal')}")
        print_review(queries.review(store))
