"""Killed (SIGKILL) at random points, again and again, a scan still ends with every row
once: each batch of records is committed with the cursor that covers it.

Each scan runs in a forked child that kills itself at its Nth step: a database call or a
request to the node."""

from __future__ import annotations

import os
import random
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chains.evm.node import RpcSource
from chains.evm.rpc import RpcClient
from scanner.app import imports as importing
from scanner.app import scan as scanning
from scanner.store import Store
from tests.devnet.conftest import Played

pytestmark = pytest.mark.devnet

BATCH = 3  # transactions a commit: the scenario wallet's scan takes several
STEPS_FILE = "steps"


def _scan_until(played: Played, db: Path, kill_at: int) -> None:
    """The child's work: scan, SIGKILL at step `kill_at` (0: never), write the steps."""
    steps = 0

    def counted(method: Callable[..., Any]) -> Callable[..., Any]:
        def step(*args: Any, **kwargs: Any) -> Any:
            nonlocal steps
            steps += 1
            if steps == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return method(*args, **kwargs)
        return step

    Store._run = counted(Store._run)  # type: ignore[method-assign]
    Store._many = counted(Store._many)  # type: ignore[method-assign]
    RpcClient._send = counted(RpcClient._send)  # type: ignore[method-assign]
    with Store(db) as store:
        scanning.scan(store, RpcSource(RpcClient(played.node.url)), [played.scenario.wallet],
                     batch_size=BATCH)
    (db.parent / STEPS_FILE).write_text(str(steps))


def scan(played: Played, db: Path, kill_at: int = 0) -> bool:
    """Scan in a child process; True when it was killed, False when it finished."""
    child = os.fork()
    if child == 0:
        code = 1
        try:
            _scan_until(played, db, kill_at)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return True
    assert os.WEXITSTATUS(status) == 0, "the scan failed: see the captured output"
    return False


def contents(db: Path, played: Played) -> tuple[object, ...]:
    with Store(db) as store:
        importing.import_prices(store, played.prices_path)
        return (sorted(store.raw_txs(31337), key=lambda t: t.tx_hash), store.ledger(),
                store.balance_snapshots(31337), store.tokens(31337), store.counts(),
                store.cursor(31337, played.scenario.wallet, "rpc"))


@pytest.fixture(scope="module")
def clean(played: Played, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, object]:
    """The steps of a whole scan, and what it stores."""
    db = tmp_path_factory.mktemp("clean") / "clean.duckdb"
    assert scan(played, db) is False
    return int((db.parent / STEPS_FILE).read_text()), contents(db, played)


def test_a_scan_killed_again_and_again_ends_with_no_row_missing_or_twice(
    played: Played, tmp_path: Path, clean: tuple[int, object]
) -> None:
    steps, stored = clean
    db = tmp_path / "killed.duckdb"
    rng = random.Random(8)
    kills = 0
    while kills < 6:
        kills += scan(played, db, rng.randint(1, steps))
    assert scan(played, db) is False
    assert contents(db, played) == stored


@pytest.mark.parametrize("part", range(12))
def test_a_scan_killed_anywhere_is_completed_by_the_next(
    played: Played, tmp_path: Path, clean: tuple[int, object], part: int
) -> None:
    steps, stored = clean
    kill_at = random.Random(part).randint(part * steps // 12 + 1, (part + 1) * steps // 12)
    db = tmp_path / "killed.duckdb"
    assert scan(played, db, kill_at) is True
    assert scan(played, db) is False
    assert contents(db, played) == stored
