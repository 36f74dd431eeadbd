"""The database's files and folders are for their user only."""

from __future__ import annotations

import os
import threading
from pathlib import Path


class PrivateUmask:
    """While any Store is open, files and folders are created for their user only: DuckDB
    makes its WAL (and temporary files) anew as it goes, each under the process umask."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._before = 0

    def hold(self) -> None:
        with self._lock:
            if self._holders == 0:
                self._before = os.umask(0o077)
                os.umask(self._before | 0o077)
            self._holders += 1

    def release(self) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders == 0:
                os.umask(self._before)


PRIVATE = PrivateUmask()


def make_private_folders(folder: Path) -> None:
    """Create `folder` and its missing parents, each readable by the user only (0700); the
    folders that exist already are left as they are."""
    missing = []
    while not folder.exists() and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        try:
            created.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(created, 0o700)
