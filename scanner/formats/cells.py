"""Text cells of every CSV taxscan writes. Token names and symbols come from the chain, so a
cell must not be something a spreadsheet runs (OWASP's CSV injection advice)."""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(text: str) -> str:
    """A text cell a spreadsheet shows as text: one starting = + - @ tab or CR gets a leading
    apostrophe. For text only: a number ("-12.50") is written as it is."""
    return "'" + text if text.startswith(FORMULA_START) else text
