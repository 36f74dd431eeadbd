"""A store lets go of its file while a scan waits on the network (Plumbing.let_go): another
process can open the file once the wait has lasted LET_GO_AFTER_S, and the store opens it
again when next used; a wait that ends sooner keeps the file open (a source that answers at
once is not worth reading the indexes from disk again)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from scanner.store import Store
from scanner.store.plumbing import LET_GO_AFTER_S

_OPENS = """
import sys, duckdb
try:
    duckdb.connect(sys.argv[1]).close()
except duckdb.IOException as exc:
    sys.exit(3 if "lock" in str(exc).lower() else 1)
"""


def another_process_opens(path: Path) -> bool:
    done = subprocess.run([sys.executable, "-c", _OPENS, str(path)], check=False,
                          capture_output=True)
    assert done.returncode in (0, 3), done.stderr
    return done.returncode == 0


def test_the_file_is_let_go_once_the_wait_lasts_and_opened_again_on_use(
        tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        store.set_meta("kept", "before")
        store.let_go()
        time.sleep(LET_GO_AFTER_S + 0.5)
        assert another_process_opens(path)
        store.set_meta("kept", "after")  # opened again
        assert store.meta("kept") == "after"
        assert not another_process_opens(path)


def test_a_use_before_the_wait_lasts_keeps_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        store.let_go()
        store.set_meta("kept", "yes")  # at once: the let-go is called off
        time.sleep(LET_GO_AFTER_S + 0.5)
        assert not another_process_opens(path)
        assert store.meta("kept") == "yes"
    assert another_process_opens(path)  # closed with the store


def test_inside_a_transaction_the_file_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as store, store.transaction():
        store.set_meta("kept", "yes")
        store.let_go()
        time.sleep(LET_GO_AFTER_S + 0.5)
        assert not another_process_opens(path)
