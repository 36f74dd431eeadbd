"""Writing an export: all of it or nothing, never a half-written file at the path."""

from __future__ import annotations

from pathlib import Path

from scanner.writing import write_bytes


def write_atomically(path: Path, text: str) -> None:
    """`text` (UTF-8) at `path`: written beside it under another name, then renamed over it,
    so a crash leaves the old file or the new one, never a part."""
    write_bytes_atomically(path, text.encode("utf-8"))


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """`data` at `path`, as `write_atomically` writes text."""
    write_bytes(path, data)
