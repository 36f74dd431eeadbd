"""`taxscan spam` on the played scenario: the token pushed at the wallet is listed with its
reasons, and the user's marks change the ledger and the figures (on a copy of the
database, so the session's stays as played)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.devnet.conftest import Played
from tests.helpers import cli_json, run_cli

pytestmark = pytest.mark.devnet


@pytest.fixture
def copied(played: Played, tmp_path: Path) -> Path:
    path = tmp_path / "copy.duckdb"
    shutil.copyfile(played.db_path, path)
    wal = played.db_path.with_name(played.db_path.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, path.with_name(path.name + ".wal"))
    return path


def asset_of(db: Path, address: str) -> str:
    return str(next(r["asset"] for r in cli_json("ledger", db=db)
                    if r["asset"].endswith(address.lower())))


def legs(db: Path, asset: str) -> list[dict[str, object]]:
    return [r for r in cli_json("ledger", db=db) if r["asset"] == asset]


def ok(*args: str, db: Path) -> str:
    result = run_cli(*args, db=db)
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_spam_lists_the_pushed_token_with_its_reasons(played: Played) -> None:
    (row,) = cli_json("spam", db=played.db_path)
    assert row["asset"] == asset_of(played.db_path, played.scenario.spam)
    # no price source was asked (prices come from a file): no price is no mark
    assert (row["symbol"], row["score"], row["is_spam"], row["marked"]) == \
        ("tkn-rewards.xyz", 5, True, None)
    assert row["reasons"].split("; ") == [
        "unsolicited: arrived in transactions the wallet did not send (+1)",
        "a URL in its name or symbol (+2)",
        "bait words (claim, visit, reward...) in its name or symbol (+2)"]
    everything = {r["symbol"]: r for r in cli_json("spam", "--all", db=played.db_path)}
    assert everything["TKN"]["is_spam"] is False  # bought and priced: no reason at all
    assert (everything["TKN"]["score"], everything["TKN"]["reasons"]) == (0, "")


def test_unmark_makes_the_pushed_token_a_receipt_and_clear_restores_it(copied: Path,
                                                                      played: Played) -> None:
    spam = asset_of(copied, played.scenario.spam)
    ok("spam", "unmark", spam, db=copied)
    (leg,) = legs(copied, spam)
    assert (leg["kind"], leg["quantity"], leg["usd_value"]) == ("transfer_in", "1000000", None)
    assert cli_json("spam", db=copied) == []
    (lot,) = [lot for lot in cli_json("lots", db=copied) if lot["asset"] == spam]
    assert (lot["quantity"], lot["cost_basis_usd"]) == ("1000000", None)  # unknown, not zero

    ok("spam", "clear", spam, db=copied)
    assert [leg["kind"] for leg in legs(copied, spam)] == ["spam"]
    (row,) = cli_json("spam", db=copied)
    assert (row["asset"], row["marked"]) == (spam, None)
    assert not [lot for lot in cli_json("lots", db=copied) if lot["asset"] == spam]


def test_marking_tkn_as_spam_takes_its_legs_out_of_the_gains(copied: Path,
                                                             played: Played) -> None:
    tkn = asset_of(copied, played.scenario.tkn)
    assert [g for g in cli_json("gains", "--year", "2025", db=copied) if g["asset"] == tkn]
    said = ok("spam", "mark", tkn, db=copied)
    assert f"{tkn} (TKN): spam, marked by you (score 0)" in said
    assert {leg["kind"] for leg in legs(copied, tkn)} == {"spam"}
    for year in ("2024", "2025"):
        assert not [g for g in cli_json("gains", "--year", year, db=copied)
                    if g["asset"] == tkn]
        assert not [i for i in cli_json("income", "--year", year, db=copied)
                    if i["asset"] == tkn]
    marked = {r["asset"]: r for r in cli_json("spam", db=copied)}
    assert (marked[tkn]["marked"], marked[tkn]["reasons"]) == (True, "marked as spam by you")
