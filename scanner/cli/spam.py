"""`taxscan spam`: the verdicts, and your word over them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scanner.cli.console import err, out, print_review
from scanner.cli.options import (
    AllRowsOption,
    DbOption,
    FormatOption,
    open_store,
    shown_rows,
    writable_store,
)
from scanner.formats.render import Format, emit

group = typer.Typer(invoke_without_command=True)

AssetsArgument = Annotated[list[str], typer.Argument(
    help="Asset ids (CAIP-19), as `taxscan spam --all` lists them.", show_default=False)]


@group.callback()
def spam_list(
    ctx: typer.Context,
    include_all: Annotated[bool, typer.Option(
        "--all", help="Every judged token, those below the threshold too.")] = False,
    fmt: FormatOption = Format.TABLE,
    all_rows: AllRowsOption = False,
    db: DbOption = None,
) -> None:
    """Spam tokens, with the score and reasons of each: spam at a score of 3, unless you
    marked it. They stay in the ledger (kind spam) and out of every figure."""
    from scanner.app import spam as spamming
    from scanner.formats import rows as reports

    if ctx.invoked_subcommand is not None:
        ctx.obj = db
        return
    with open_store(db) as store:
        rows = reports.spam_rows(spamming.spam_tokens(store, include_all))
    emit(out, rows, reports.SPAM, fmt, "Judged tokens" if include_all else "Spam tokens",
         shown=shown_rows(all_rows))
    if fmt is Format.TABLE and not rows:
        err.print("no token is judged" if include_all else "no spam token (`--all` lists "
                  "every judged token)")


@group.command("mark")
def spam_mark(ctx: typer.Context, assets: AssetsArgument, db: DbOption = None) -> None:
    """Mark tokens as spam: out of every figure, whatever their score."""
    _mark_spam(assets, True, db or ctx.obj)


@group.command("unmark")
def spam_unmark(ctx: typer.Context, assets: AssetsArgument, db: DbOption = None) -> None:
    """Mark tokens as not spam: their legs count like any other, whatever their score."""
    _mark_spam(assets, False, db or ctx.obj)


@group.command("clear")
def spam_clear(ctx: typer.Context, assets: AssetsArgument, db: DbOption = None) -> None:
    """Forget your mark on tokens: their score decides again."""
    _mark_spam(assets, None, db or ctx.obj)


def _mark_spam(assets: list[str], spam: bool | None, db: Path | None) -> None:
    from scanner.app import queries
    from scanner.app import spam as spamming

    with writable_store(db) as store:
        for row in spamming.mark_spam(store, assets, spam):
            verdict = "spam" if row.is_spam else "not spam"
            why = "marked by you" if row.marked is not None else "by its score"
            err.print(f"{row.asset} ({row.symbol or 'no symbol'}): {verdict}, {why} "
                      f"(score {row.score})", markup=False)
        print_review(queries.review(store))
