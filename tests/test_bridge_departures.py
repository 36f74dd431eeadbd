"""A leg that left through a bridge and arrived at no account scanned is listed for review
with the bridge named, as an arrival from an unscanned side is: its lots left the books.
Through the real command line (`taxscan import` of a ledger CSV, a real DuckDB file)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from scanner.ledger.pairing import pair_own_transfers, unpaired_bridge_departures
from scanner.ledger.records import Kind
from tests.helpers import run_cli
from tests.unit.builders import USDC, day, leg

A = "0x" + "a1" * 20
HEADER = ("timestamp,chain_id,block_number,tx_hash,log_index,wallet,kind,protocol,asset,"
          "symbol,quantity,usd_value,price_source,counterparty,group_id")
BRIDGE = "0xbd3fa81b58ba92a82136038b25adec7066af3155"  # CCTP's TokenMessenger on Ethereum


def tx(n: int) -> str:
    return "0x" + format(n, "064x")


def row(when: str, n: int, kind: str, protocol: str, quantity: str, usd: str) -> str:
    return (f"{when},1,{19_000_000 + n},{tx(n)},1,{A},{kind},{protocol},{USDC},USDC,"
            f"{quantity},{usd},csv,{BRIDGE},1:{tx(n)}:{A}")


def test_an_unpaired_bridge_departure_is_listed_with_its_bridge(tmp_path: Path) -> None:
    source = tmp_path / "ledger.csv"
    source.write_text("\n".join([
        HEADER,
        row("2024-05-01T12:00:00Z", 1, "trade", "transfer", "2000", "2000.00"),
        row("2024-05-24T22:10:59Z", 2, "transfer_out", "bridge:cctp", "-1839.726596",
            "1839.73"),
    ]) + "\n")
    done = run_cli("import", str(source), "--format", "ledger", db=tmp_path / "t.duckdb")
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert "review: 1 transfer out left by a bridge (bridge:cctp) and arrived at no account " \
        "scanned: their lots left the books; scan the chain or account they went to so the " \
        "lots keep their dates and basis" in lines
    assert f"review:   2024-05-24 {A[:6]}…{A[-4:]} sent 1839.726596 USDC by bridge:cctp " \
        f"(1839.73 USD), tx {tx(2)[:6]}…{tx(2)[-4:]}" in lines


def test_a_paired_bridge_departure_is_not_listed() -> None:
    sent = replace(leg(day(2024, 5, 24), Kind.TRANSFER_OUT, USDC, "-5", None, decimals=6),
                   protocol="bridge:cctp")
    arrived = leg(day(2024, 5, 24, 13), Kind.TRANSFER_IN, USDC, "5", None, decimals=6,
                  wallet="0x" + "b2" * 20, tx="0x" + "22" * 32)
    assert unpaired_bridge_departures([sent]) == [sent]
    assert unpaired_bridge_departures(pair_own_transfers([sent, arrived])) == []
