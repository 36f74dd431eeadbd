"""Text cells of every CSV taxscan writes. Token names and symbols come from the chain, so a
cell must not be something a spreadsheet runs (OWASP's CSV injection advice)."""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_CHARS = frozenset(FORMULA_START)
# the fields that hold numbers: written as they are, whatever their sign
NUMERIC_FIELDS = frozenset({
    "quantity", "usd_value", "proceeds_usd", "cost_basis_usd", "gain_usd", "usd",
    "tax_saved_usd", "gas_usd_estimate", "price_usd", "value_usd", "unrealized_usd",
    "ledger_balance", "chain_balance", "difference",
    # taxscan plan
    "proceeds", "cost_basis", "gain", "gas", "tax_saved", "saving_if_sold_now",
    "saving_if_sold_after", "value", "target_value", "sell", "buy", "sold"})


def formula_safe(text: str) -> str:
    """A text cell a spreadsheet shows as text: one starting = + - @ tab or CR gets a leading
    apostrophe. For text only: a number ("-12.50") is written as it is."""
    return "'" + text if text.startswith(FORMULA_START) else text


def unguard(text: str) -> str:
    """The text `formula_safe` was given: the apostrophe it put before a text cell starting
    = + - @ tab or carriage return taken off."""
    if text[:1] == "'" and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text
