"""Writing an export: all of it or nothing, never a half-written file at the path."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from chains.errors import UserInputError


def write_atomically(path: Path, text: str) -> None:
    """`text` (UTF-8) at `path`: written beside it under another name, then renamed over it,
    so a crash leaves the old file or the new one, never a part."""
    write_bytes_atomically(path, text.encode("utf-8"))


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """`data` at `path`, as `write_atomically` writes text."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UserInputError(f"--out {path}: the folder {folder} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise UserInputError(f"--out {path}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
