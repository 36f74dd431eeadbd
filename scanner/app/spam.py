"""Spam: the verdicts, and the user's word over them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chains.addresses import asset_chain_id, parse_any_asset_id
from chains.errors import UserInputError
from scanner.app.rebuild import refresh_chains
from scanner.ledger.spam import SpamRow
from scanner.store import Store


def spam_tokens(store: Store, include_all: bool = False) -> list[SpamRow]:
    """The tokens treated as spam (the user's mark, else the score) with their reasons; with
    `include_all`, every judged token, those below the threshold too."""
    return store.spam_verdicts(include_all)


def mark_spam(store: Store, assets: Sequence[str], spam: bool | None) -> list[SpamRow]:
    """The user's word on tokens, over their score: spam (True), not spam (False), or none
    (None: the score decides again). The marks are stored and the ledger rebuilt with them,
    in one go: when the rebuild fails, the marks are put back as they were."""
    wanted = list(dict.fromkeys(parse_any_asset_id(a) for a in assets))
    if not wanted:
        raise UserInputError("name the tokens by asset id (`taxscan spam --all` lists them)")
    before = store.spam_marks()
    moved = store.ledger_assets_among(wanted)
    unknown = [a for a in wanted if a not in moved and (spam is not None or a not in before)]
    if unknown:
        raise UserInputError(f"not in the ledger (no leg moves it): {', '.join(unknown)}")
    judged = {row.asset for row in store.spam_verdicts(include_all=True)}
    unjudged = [a for a in wanted if a not in judged and spam is not None]
    if unjudged:
        raise UserInputError(f"never judged as spam, so it cannot be marked: "
                             f"{', '.join(unjudged)} (a native coin, a wrapped native, a USD "
                             "stablecoin, or a token of imported legs only)")
    with store.transaction():
        _write_marks(store, wanted, {a: spam for a in wanted})
    try:
        refresh_chains(store, {asset_chain_id(a) for a in wanted})
    except BaseException:
        with store.transaction():
            _write_marks(store, wanted, before)
        raise
    verdicts = {row.asset: row for row in store.spam_verdicts(include_all=True)}
    return [verdicts[a] for a in wanted if a in verdicts]


def _write_marks(store: Store, assets: Sequence[str], marks: Mapping[str, bool | None]) -> None:
    store.clear_spam_marks(assets)
    for value in (True, False):
        store.set_spam_marks([a for a in assets if marks.get(a) is value], value)
