"""Koinly's Label for deposits into a contract's receipt and withdrawals from it.

Koinly's published tags (support.koinly.io/en/articles/9490023, "What are tags"): "Liquidity
in" / "Liquidity out" for assets given for a pool's token and back, "Add to Pool" / "Remove
from Pool" only when the same asset comes back in the same amount ("Staking and farming
tokens", 9490056: "Don't use pool tags for LPing"), "Swap" for a tax-free trade of one
asset for another. A deposit of several assets for one receipt (a Curve or Balancer pool's
token, a gauge's) is that liquidity model: every row of it says so, as does the withdrawal;
a deposit of one asset for one receipt is one row, a swap. When the treatment table makes
deposits taxable, no label: Koinly's plain trade, send and receipt."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from scanner.formats.koinly import koinly_csv
from scanner.ledger.records import Kind, LedgerEntry
from tests.unit.builders import USDC, day, leg

DAI = "eip155:1/erc20:0x6b175474e89094c44da98b954eedeac495271d0f"
POOL = "eip155:1/erc20:0x6c3f90f043a72fa612cbac8115ee7e52bde6e490"  # Curve 3pool's 3Crv
VAULT = "eip155:1/erc20:0x" + "5a" * 20
SYMBOLS = {DAI: "DAI", USDC: "USDC", POOL: "3Crv", VAULT: "yvUSDC"}


def at(month: int, kind: Kind, asset: str, quantity: str, key: str) -> LedgerEntry:
    entry = leg(day(2024, month, 1), kind, asset, quantity, "100", key=key,
                decimals=6 if asset == USDC else 18)
    return replace(entry, symbol=SYMBOLS[asset], protocol="curve")


DEPOSIT = [at(3, Kind.DEPOSIT, DAI, "-60", "log:1"), at(3, Kind.DEPOSIT, USDC, "-40", "log:2"),
           at(3, Kind.DEPOSIT, POOL, "97.5", "log:3")]
WITHDRAW = [at(4, Kind.WITHDRAW, POOL, "-97.5", "log:1"),
            at(4, Kind.WITHDRAW, DAI, "61", "log:2"), at(4, Kind.WITHDRAW, USDC, "40", "log:3")]
ONE_FOR_ONE = [at(5, Kind.DEPOSIT, USDC, "-40", "log:1"), at(5, Kind.DEPOSIT, VAULT, "39", "log:2")]


def rows(entries: list[LedgerEntry], carried: bool = True) -> list[tuple[str, str, str, str, str]]:
    text = koinly_csv(entries, lambda kind, protocol: carried)
    return [(r[1], r[2], r[3], r[4], r[9]) for r in csv.reader(io.StringIO(text))][1:]


def test_a_deposit_of_two_assets_for_a_pools_token_is_liquidity_in_on_every_row() -> None:
    assert rows(DEPOSIT) == [("60", "DAI", "", "", "liquidity in"),
                             ("40", "USDC", "", "", "liquidity in"),
                             ("", "", "97.5", "3Crv", "liquidity in")]


def test_its_withdrawal_is_liquidity_out_on_every_row() -> None:
    assert rows(WITHDRAW) == [("97.5", "3Crv", "", "", "liquidity out"),
                              ("", "", "61", "DAI", "liquidity out"),
                              ("", "", "40", "USDC", "liquidity out")]


def test_one_asset_for_one_receipt_is_a_swap_and_a_taxable_deposit_has_no_label() -> None:
    assert rows(ONE_FOR_ONE) == [("40", "USDC", "39", "yvUSDC", "swap")]
    assert {row[4] for row in rows(DEPOSIT + WITHDRAW + ONE_FOR_ONE, carried=False)} == {""}
