"""A move between two of your own wallets that arrives less a fee keeps its lots: the
acquisition date and the basis of what arrived carry over, and what did not arrive is a fee
disposal of the sender's. An arrival no own departure explains is a lot at fair value,
listed for review on the command line and in the HTML report.

The figures are worked out by hand below, with the rule beside each. Lots and sales run
through the real command line on a real DuckDB file (`taxscan import` of a ledger CSV)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from scanner.app.config import load_config
from scanner.app.settings import keep_rules, pairing_rules
from scanner.errors import ConfigError
from scanner.ledger.pairing import PairingRules, pair_own_transfers
from scanner.ledger.records import Kind, LedgerEntry
from scanner.store import Store
from scanner.tax.jurisdictions import jurisdiction_of
from scanner.tax.lots import compute_lots
from scanner.tax.policy import Policy
from tests.helpers import cli_json, run_cli
from tests.html_page import Parsed
from tests.unit.builders import day, leg

A = "0x" + "a1" * 20
B = "0x" + "b2" * 20
ROUTER = "0x" + "0c" * 20
ETH = "eip155:1/slip44:60"
BASE_ETH = "eip155:8453/slip44:60"
HEADER = ("timestamp,chain_id,block_number,tx_hash,log_index,wallet,kind,protocol,asset,"
          "symbol,quantity,usd_value,price_source,counterparty,group_id")


def tx(n: int) -> str:
    return "0x" + format(n, "064x")


def row(when: str, chain: int, block: int, n: int, wallet: str, kind: str, asset: str,
        quantity: str, usd: str) -> str:
    return (f"{when},{chain},{block},{tx(n)},,{wallet},{kind},transfer,{asset},ETH,{quantity},"
            f"{usd},csv,{ROUTER},{chain}:{tx(n)}:{wallet}")


# A buys 1 ETH on 2022-01-10 for 900 USD (two years before the move).
BUY = row("2022-01-10T12:00:00Z", 1, 14_000_000, 1, A, "trade", ETH, "1", "900")
# 2024-02-01, ETH at 2,500 USD: A sends 1 ETH through a router that keeps 0.001 as its fee,
# and B receives 0.999 in the same transaction.
SENT = row("2024-02-01T12:00:00Z", 1, 19_000_000, 2, A, "transfer_out", ETH, "-1", "2500")
GOT = row("2024-02-01T12:00:00Z", 1, 19_000_000, 2, B, "transfer_in", ETH, "0.999", "2497.50")
# 2024-06-03, ETH at 3,000 USD: B sells the 0.999 ETH for 2,997.00 USD.
SOLD = row("2024-06-03T12:00:00Z", 1, 20_000_000, 3, B, "trade", ETH, "-0.999", "2997.00")


def imported(tmp_path: Path, *rows: str) -> tuple[Path, str]:
    """A database holding the rows, and what the import printed (stderr)."""
    source = tmp_path / "ledger.csv"
    source.write_text("\n".join([HEADER, *rows]) + "\n")
    db = tmp_path / "own.duckdb"
    done = run_cli("import", str(source), "--format", "ledger", db=db)
    assert done.returncode == 0, done.stderr
    return db, done.stderr


def gains(db: Path, *options: str) -> list[tuple[str, ...]]:
    return sorted((g["wallet"], g["quantity"], g["acquired"][:10], g["proceeds_usd"],
                   g["cost_basis_usd"], g["gain_usd"], g["term"])
                  for g in cli_json("gains", "--year", "2024", *options, db=db))


def test_an_own_transfer_less_a_fee_keeps_its_date_and_basis(tmp_path: Path) -> None:
    db, printed = imported(tmp_path, BUY, SENT, GOT, SOLD)
    # The lot moves: holding period and basis carry over to what arrived (a transfer between
    # one's own accounts is no sale or exchange, IRC 1001; the holding period tacks, IRC
    # 1223(2)). The 0.001 ETH the router kept paid for the move: using property to pay is
    # a disposal of it at fair value (Notice 2014-21, Q&A 6), its basis the lot's pro rata.
    #   fee:  proceeds 0.001 x 2,500 = 2.50; basis 900 x 0.001 = 0.90; gain 1.60
    #   sale: proceeds 2,997.00; basis 900 - 0.90 = 899.10; gain 2,097.90
    # both long-term: held from 2022-01-10, over a year (IRC 1222).
    expected = [
        (A, "0.001", "2022-01-10", "2.50", "0.90", "1.60", "long"),
        (B, "0.999", "2022-01-10", "2997.00", "899.10", "2097.90", "long"),
    ]
    assert gains(db) == expected
    assert gains(db, "--scope", "per-wallet") == expected  # lots per wallet move alike
    legs = [(e["wallet"], e["kind"], e["quantity"], e["usd_value"])
            for e in cli_json("ledger", db=db) if e["tx_hash"] == tx(2)]
    assert sorted(legs) == [(A, "fee", "-0.001", "2.50"), (A, "self_transfer", "-0.999",
                                                            "2497.50"),
                            (B, "self_transfer", "0.999", "2497.50")]
    assert "unknown origin" not in printed  # nothing arrived from outside


def test_the_paired_ledger_exported_and_imported_again_gives_the_same_gains(
        tmp_path: Path) -> None:
    db, _ = imported(tmp_path, BUY, SENT, GOT, SOLD)
    exported = tmp_path / "again.csv"
    done = run_cli("export", "--format", "ledger", "--out", str(exported), db=db)
    assert done.returncode == 0, done.stderr
    fresh = tmp_path / "fresh.duckdb"
    again = run_cli("import", str(exported), "--format", "ledger", db=fresh)
    assert again.returncode == 0, again.stderr
    assert gains(fresh) == gains(db)


def bridge(minutes: int) -> list[str]:
    """A sends 1 ETH into a bridge on Ethereum; 0.998 ETH arrives at B on Base `minutes`
    later (another transaction, another chain); B sells it on Base on 2024-06-03."""
    arrival = day(2024, 2, 1) + timedelta(minutes=minutes)
    when = arrival.strftime("%Y-%m-%dT%H:%M:%SZ")
    return [BUY, SENT.replace(tx(2), tx(4)),
            row(when, 8453, 10_000_000, 5, B, "transfer_in", BASE_ETH, "0.998", "2495.00"),
            row("2024-06-03T12:00:00Z", 8453, 15_000_000, 6, B, "trade", BASE_ETH, "-0.998",
                "2994.00")]


def test_a_bridge_arrival_within_the_window_keeps_its_date_and_basis(tmp_path: Path) -> None:
    db, printed = imported(tmp_path, *bridge(minutes=20))
    # ETH on Base is the same coin: the lot crosses with its date and basis. 0.002 ETH
    # paid the bridge: proceeds 0.002 x 2,500 = 5.00, basis 900 x 0.002 = 1.80, gain 3.20;
    # the sale: proceeds 2,994.00, basis 900 - 1.80 = 898.20, gain 2,095.80; long-term.
    assert gains(db) == [
        (A, "0.002", "2022-01-10", "5.00", "1.80", "3.20", "long"),
        (B, "0.998", "2022-01-10", "2994.00", "898.20", "2095.80", "long"),
    ]
    assert "unknown origin" not in printed


def test_a_bridge_arrival_after_the_window_is_a_lot_at_fair_value_listed_for_review(
        tmp_path: Path) -> None:
    db, printed = imported(tmp_path, *bridge(minutes=25 * 60))
    # Not paired (25 hours > 24): A's ETH left the books, B's arrived at its fair value,
    # 2,495.00, on 2024-02-02, so the sale is short-term: 2,994.00 - 2,495.00 = 499.00.
    assert gains(db) == [(B, "0.998", "2024-02-02", "2994.00", "2495.00", "499.00", "short")]
    assert "review: 1 transfer in of unknown origin opened lots at fair value on receipt" \
        in printed
    assert f"review:   2024-02-02 {B[:6]}…{B[-4:]} got 0.998 ETH (2495.00 USD), tx " \
           f"{tx(5)[:6]}…{tx(5)[-4:]}" in printed.splitlines()
    page = tmp_path / "report.html"
    done = run_cli("report", "--out", str(page), db=db)
    assert done.returncode == 0, done.stderr
    found = Parsed(page.read_text()).figures
    assert found[f"arrival.{tx(5)}:native.basis"] == "2495.00"
    assert [key for key in found if key.startswith("arrival.")] == \
        [f"arrival.{tx(5)}:native.basis"]


# ---- pairing rules, on ledger entries ---------------------------------------------------


def move(minute: int, wallet: str, quantity: str, n: int) -> LedgerEntry:
    kind = Kind.TRANSFER_OUT if quantity.startswith("-") else Kind.TRANSFER_IN
    when = day(2024, 2, 1) + timedelta(minutes=minute)
    return leg(when, kind, ETH, quantity, None, tx=tx(n), key="native", wallet=wallet)


def test_pairing_is_the_same_in_any_order_and_never_pairs_a_leg_twice() -> None:
    legs = [move(0, A, "-1", 1), move(5, B, "0.995", 2), move(6, B, "0.999", 3),
            move(7, A, "-0.5", 4), move(8, B, "0.4999", 5)]
    results = []
    for order in itertools.permutations(legs):
        paired = pair_own_transfers(list(order))
        results.append(sorted((e.tx_hash, e.kind, e.raw_amount, e.transit or "")
                              for e in paired))
    assert all(result == results[0] for result in results)
    kinds = {(tx_hash, kind) for tx_hash, kind, _, _ in results[0]}
    # 1 ETH pairs with 0.999 (closer than 0.995), 0.5 with 0.4999; 0.995 stays outside
    assert (tx(2), Kind.TRANSFER_IN) in kinds
    assert {(tx(n), Kind.SELF_TRANSFER) for n in (1, 3, 4, 5)} <= kinds
    transits = [t for _, kind, _, t in results[0] if kind is Kind.SELF_TRANSFER]
    assert sorted(transits.count(t) for t in set(transits)) == [2, 2]  # two legs per move


def test_the_window_and_the_tolerance_follow_the_config(tmp_path: Path) -> None:
    late = [move(0, A, "-1", 1), move(90, B, "0.97", 2)]  # 90 minutes, 3% short
    assert [e.kind for e in pair_own_transfers(late)] == [Kind.TRANSFER_OUT, Kind.TRANSFER_IN]
    path = tmp_path / "taxscan.toml"
    path.write_text(f'[own_transfers]\nsame_chain_minutes = 120\ntolerance = 0.05\n\n'
                    f'[[wallets]]\naddress = "{A}"\nchains = ["ethereum"]\n')
    config = load_config(path)
    assert config.own_transfers == PairingRules(timedelta(minutes=120), timedelta(hours=24),
                                                Decimal("0.05"))
    with Store(tmp_path / "kept.duckdb") as store:
        keep_rules(store, config)
        rules = pairing_rules(store)
    assert rules == config.own_transfers
    paired = pair_own_transfers(late, rules)
    assert [e.kind for e in paired] == [Kind.FEE, Kind.SELF_TRANSFER, Kind.SELF_TRANSFER]
    assert paired[0].quantity == Decimal("-0.03")


@pytest.mark.parametrize(("text", "key"), [
    ("tolerance = 0.6", "own_transfers.tolerance"),
    ("same_chain_minutes = -1", "own_transfers.same_chain_minutes"),
    ("cross_chain_hours = 1.5", "own_transfers.cross_chain_hours"),
    ("window = 3", "own_transfers"),
])
def test_a_bad_own_transfers_value_names_its_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "taxscan.toml"
    path.write_text(f'[own_transfers]\n{text}\n\n[[wallets]]\naddress = "{A}"\n'
                    'chains = ["ethereum"]\n')
    with pytest.raises(ConfigError, match=key):
        load_config(path)


def test_pooled_rules_take_a_bridge_as_leaving_one_pool_and_entering_the_other() -> None:
    bought = leg(day(2022, 1, 10), Kind.TRADE, ETH, "1", "900", tx=tx(1), wallet=A)
    sent = replace(move(0, A, "-1", 2), usd_value=Decimal(2500))
    arrived = replace(move(30, B, "0.998", 3), chain_id=8453, asset=BASE_ETH,
                      usd_value=Decimal("2495.00"))
    book = compute_lots(pair_own_transfers([bought, sent, arrived]),
                        policy=Policy(jurisdiction=jurisdiction_of("uk")))
    held = {lot.asset: (lot.quantity, lot.cost_basis_usd) for lot in book.open_lots}
    assert held == {BASE_ETH: (Decimal("0.998"), Decimal("2495.00"))}  # at fair value
    assert any("another chain" in note for note in book.notes)
    (fee,) = book.disposals
    assert (fee.quantity, fee.proceeds_usd) == (Decimal("0.002"), Decimal("5.00"))


def test_an_arrival_a_file_dates_before_its_departure_takes_the_chains_moment() -> None:
    bought = leg(day(2022, 1, 10), Kind.TRADE, ETH, "1", "900", tx=tx(1), wallet=A)
    sent = move(10, A, "-1", 2)  # on the chain at 12:10
    # an exchange account's deposit, its file time 12:05 and no block
    credited = replace(move(5, "kraken", "0.999", 3), tx_hash="koinly:deposit",
                       block_number=0)
    paired = pair_own_transfers([bought, credited, sent])
    arrival = next(e for e in paired if e.wallet == "kraken")
    assert (arrival.kind, arrival.timestamp) == (Kind.SELF_TRANSFER, sent.timestamp)
    (lot,) = compute_lots(paired).open_lots
    assert (lot.wallet, lot.acquired, lot.quantity, lot.cost_basis_usd) == \
        ("kraken", day(2022, 1, 10), Decimal("0.999"), Decimal("899.10"))
