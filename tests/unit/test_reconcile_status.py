"""What reconciliation says when the node cannot tell a balance, and of coins the ledger
never saw move; and how the verdict counts them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from scanner.cli.console import err, verdict
from scanner.formats.rows import reconcile_rows
from scanner.ledger.reconcile import Holding, Status, reconcile
from scanner.ledger.records import Kind
from tests.unit.builders import ETH, TKN, WALLET, day, leg

TOKEN = Holding(1, WALLET, TKN, "TKN", 18)
NATIVE = Holding(1, WALLET, ETH, "ETH", 18)
E18 = 10**18


def bought(block: int, quantity: str) -> list:  # type: ignore[type-arg]
    entry = leg(day(2024, 1, 1), Kind.TRANSFER_IN, TKN, quantity, None, key="log:0")
    return [replace(entry, block_number=block)]


def said(rows: list) -> list[str]:  # type: ignore[type-arg]
    with err.capture() as captured:
        verdict(rows)
    return captured.get().splitlines()


def test_a_balance_the_node_cannot_tell_is_unknown_not_a_mismatch() -> None:
    def probe(holdings: Sequence[Holding], block: int) -> list[int | None]:
        return [None if h is TOKEN else 2 * E18 for h in holdings]

    entries = bought(10, "5")
    checks = reconcile(entries, [TOKEN], 100, probe)
    (check,) = checks
    assert check.status is Status.UNKNOWN
    assert check.chain_raw is None and check.ledger_raw == 5 * E18
    assert check.explanation.startswith("not checked: the node could not tell this balance "
                                        "at block 100")
    (row,) = reconcile_rows(checks)
    assert (row["status"], row["chain_balance"], row["difference"]) == ("unknown", None, None)
    assert said(reconcile_rows(checks)) == [
        "reconcile: 1 of 1 balances could not be checked: the node could not tell them "
        "(see `taxscan reconcile --rpc URL`)"]


def test_the_verdict_counts_differences_and_unknowns_apart() -> None:
    native_on_chain = 3 * E18  # the ledger says 0: an unexplained native balance

    def probe(holdings: Sequence[Holding], block: int) -> list[int | None]:
        return [None if h is TOKEN else native_on_chain for h in holdings]

    rows = reconcile_rows(reconcile(bought(10, "5"), [TOKEN, NATIVE], 100, probe))
    assert [r["status"] for r in rows] == ["unknown", "unexplained_opening_balance"]
    assert said(rows) == [
        "reconcile: 1 of 2 balances differ from the chain: see `taxscan reconcile --rpc URL`",
        "reconcile: 1 of 2 balances could not be checked: the node could not tell them "
        "(see `taxscan reconcile --rpc URL`)"]

    def matched(holdings: Sequence[Holding], block: int) -> list[int | None]:
        return [None if h is TOKEN else 0 for h in holdings]

    rows = reconcile_rows(reconcile(bought(10, "5"), [TOKEN, NATIVE], 100, matched))
    assert said(rows) == [
        "reconciled: the one balance the node could tell matches the chain at block 100",
        "reconcile: 1 of 2 balances could not be checked: the node could not tell them "
        "(see `taxscan reconcile --rpc URL`)"]


def test_a_balance_held_since_genesis_that_never_moved_is_a_genesis_allocation() -> None:
    def probe(holdings: Sequence[Holding], block: int) -> list[int | None]:
        return [10_000 * E18 for _ in holdings]

    (check,) = reconcile([], [NATIVE], 100, probe)
    assert check.status is Status.OPENING
    assert (check.ledger_raw, check.chain_raw) == (0, 10_000 * E18)
    assert check.explanation == ("held since genesis (a genesis allocation) and never moved "
                                 "in the ledger, so its basis is unknown")


def test_a_balance_that_arrived_unseen_names_its_block() -> None:
    def probe(holdings: Sequence[Holding], block: int) -> list[int | None]:
        return [(7 * E18 if block >= 30 else 0) for _ in holdings]

    (check,) = reconcile([], [NATIVE], 100, probe)
    assert check.status is Status.OPENING
    assert check.explanation.startswith("held since block 30 and never moved in the ledger: "
                                        "it came before the scanned range")


def test_a_difference_the_node_cannot_locate_says_so() -> None:
    def probe(holdings: Sequence[Holding], block: int) -> list[int | None]:
        return [(6 * E18 if block >= 100 else None) for _ in holdings]  # pruned before 100

    (check,) = reconcile(bought(50, "5"), [TOKEN], 100, probe)
    assert check.status is Status.MISMATCH
    assert check.explanation.startswith("the node could not tell the balance at block 49")
