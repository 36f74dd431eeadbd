"""Database work on a thread of its own while Python computes (Plumbing.meanwhile), and
copies in files DuckDB reads one while Python writes the next (Plumbing._copies): the work
is done when the block ends, its error is raised there and rolls the transaction back, the
store refuses to be used inside the block, and no copy file is left behind."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.errors import StoreError
from scanner.store import Store


def test_the_work_is_done_when_the_block_ends(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store, store.transaction():
        with store.meanwhile(lambda: store.set_meta("kept", "yes")):
            total = sum(range(100_000))  # Python works meanwhile
        assert (store.meta("kept"), total) == ("yes", 4_999_950_000)


def test_the_store_is_refused_inside_the_block(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        release = threading.Event()
        with pytest.raises(RuntimeError, match="in use by work on another thread"), \
                store.meanwhile(lambda: release.wait() and None):
            try:
                store.meta("kept")
            finally:
                release.set()
        assert store.meta("kept") is None  # the store is back once the work ended


def test_an_error_of_the_work_is_raised_when_the_block_ends_and_rolls_back(
        tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        ended = []
        with pytest.raises(StoreError, match="no_such_table"), store.transaction():
            store.set_meta("kept", "no")
            with store.meanwhile(lambda: store._sql("SELECT * FROM no_such_table") and None):
                ended.append(True)
        assert ended == [True]
        assert store.meta("kept") is None


def held_lines(count: int, bad_at: int | None = None) -> Iterator[str]:
    for n in range(count):
        yield f'"0xw","asset{n}",{n}\n' if n != bad_at else '"0xw",,1\n'  # NULL: refused


def copy_files(folder: Path) -> list[Path]:
    return list(folder.glob(".taxscan-copy-*"))


def test_copies_in_many_files_store_every_line(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        with store.transaction():
            store._copies([("lot_state_held", held_lines(250_001)),
                           ("lot_state_held", held_lines(0))])
        count, total = store._sql("SELECT count(*), sum(CAST(quantity AS BIGINT)) "
                                  "FROM lot_state_held")[0]
    assert (count, total) == (250_001, 250_000 * 250_001 // 2)
    assert copy_files(tmp_path) == []


@pytest.mark.parametrize("bad_at", [5, 150_000, 250_000])  # the first, a middle, the last file
def test_a_refused_line_stops_the_copies_and_nothing_is_kept(tmp_path: Path,
                                                             bad_at: int) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(StoreError, match="copying rows to lot_state_held"), \
                store.transaction():
            store._copies([("lot_state_held", held_lines(250_001, bad_at))])
        assert store._sql("SELECT count(*) FROM lot_state_held") == [(0,)]
    assert copy_files(tmp_path) == []
