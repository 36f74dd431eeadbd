"""A generated history for the end-to-end benches: a ledger CSV as `taxscan ledger --format
csv` writes it, of about `legs` legs over `assets` tokens and `wallets` wallets of one chain,
at even steps over 2019-2025.

Each transaction is a swap in one wallet: a token bought with USDC, or sold for USDC
(about 45% of the trades of a token held are sales), both legs valued in USD; one in 50 is
staking income of a token, one in 50 a move of a token to another of the wallets (an own
transfer: its two legs pair). Each wallet starts with USDC received as income. Quantities
are exact base units of 6 decimals; values are
cents. Deterministic for a seed.

    python bench/history.py OUT.csv [--legs N] [--assets A] [--wallets W]
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from scanner.formats.render import write_csv
from scanner.formats.rows import LEDGER, ledger_rows
from scanner.ledger.classify import group_id
from scanner.ledger.records import Kind, LedgerEntry

START, END = datetime(2019, 1, 1, tzinfo=UTC), datetime(2025, 12, 31, tzinfo=UTC)
DECIMALS = 6
USDC = "eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
SALE_PER_256 = 115
FUNDS = 10**12  # USDC each wallet starts with


def wallet_of(n: int) -> str:
    return f"0x{n + 0xAA00:040x}"


def token_of(n: int) -> str:
    return f"eip155:1/erc20:0x{n + 1:040x}"


def entries(legs: int, assets: int = 100, wallets: int = 10,
            seed: int = 7) -> Iterator[LedgerEntry]:
    """About `legs` ledger entries (each transaction gives one or two), oldest first."""
    rng = random.Random(seed)
    bits = rng.getrandbits
    txs = legs // 2 + 1
    step = max(1, int((END - START).total_seconds()) // txs)
    held: dict[tuple[int, int], int] = {}
    made = 0
    for w in range(wallets):  # each wallet's USDC, bought in at par before the first trade
        tx, wallet = f"0x{w + 1:064x}".replace("0x", "0xf", 1)[:66], wallet_of(w)
        made += 1
        yield LedgerEntry(1, tx, "log:0", 0, 0, w, START - timedelta(days=1), wallet,
                          Kind.INCOME, "airdrop", USDC, "USDC", FUNDS * 10**DECIMALS,
                          DECIMALS, None, group_id(1, tx, wallet), Decimal(FUNDS), "bench")
    for n in range(txs):
        if made >= legs:
            return
        when = START + timedelta(seconds=n * step)
        tx = f"0x{n:064x}"
        wallet_n, asset_n, draw = rng.randrange(wallets), rng.randrange(assets), bits(32)
        wallet, asset, symbol = wallet_of(wallet_n), token_of(asset_n), f"T{asset_n}"
        have = held.get((wallet_n, asset_n), 0)
        value = Decimal(1 + bits(20)).scaleb(-2)
        group = group_id(1, tx, wallet)
        if draw % 50 == 0:
            raw = 1 + (draw >> 8)
            held[(wallet_n, asset_n)] = have + raw
            made += 1
            yield LedgerEntry(1, tx, "log:0", 0, n, 0, when, wallet, Kind.INCOME,
                              "staking", asset, symbol, raw, DECIMALS, None, group,
                              value, "bench")
            continue
        if draw % 50 == 1 and have > 1:
            other_n = (wallet_n + 1) % wallets
            raw = have // 2
            held[(wallet_n, asset_n)] = have - raw
            held[(other_n, asset_n)] = held.get((other_n, asset_n), 0) + raw
            other = wallet_of(other_n)
            made += 2
            yield LedgerEntry(1, tx, "log:0", 0, n, 0, when, wallet, Kind.TRANSFER_OUT,
                              "transfer", asset, symbol, -raw, DECIMALS, other, group,
                              value, "bench")
            yield LedgerEntry(1, tx, "log:0", 0, n, 0, when, other, Kind.TRANSFER_IN,
                              "transfer", asset, symbol, raw, DECIMALS, wallet,
                              group_id(1, tx, other), value, "bench")
            continue
        if have and draw & 0xFF < SALE_PER_256:
            raw = -1 - (have - 1) * (draw >> 8) // (1 << 24)
        else:
            raw = 1 + (draw >> 8)
        held[(wallet_n, asset_n)] = have + raw
        usdc = int(value * 10**DECIMALS)
        made += 2
        yield LedgerEntry(1, tx, "log:0", 0, n, 0, when, wallet, Kind.TRADE, "uniswap-v2",
                          asset, symbol, raw, DECIMALS, None, group, value, "bench")
        yield LedgerEntry(1, tx, "log:1", 1, n, 0, when, wallet, Kind.TRADE, "uniswap-v2",
                          USDC, "USDC", usdc if raw < 0 else -usdc, DECIMALS, None, group,
                          value, "bench")


def write_history(path: Path, legs: int, assets: int = 100, wallets: int = 10,
                  seed: int = 7) -> Path:
    """The generated history written to `path` as the ledger CSV."""
    with path.open("w", newline="", encoding="utf-8") as out:
        write_csv(out, ledger_rows(entries(legs, assets, wallets, seed)), LEDGER.fields)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--legs", type=int, default=1_000_000)
    parser.add_argument("--assets", type=int, default=100)
    parser.add_argument("--wallets", type=int, default=10)
    args = parser.parse_args()
    write_history(args.out, args.legs, args.assets, args.wallets)


if __name__ == "__main__":
    main()
