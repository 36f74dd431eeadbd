"""The generic net-flow rules and the spam score."""

from __future__ import annotations

from datetime import UTC, datetime

from chains.evm.records import TokenInfo
from scanner.ledger.classify import PROTOCOL_GENERIC, UNEXPLAINED, classify
from scanner.ledger.records import Kind, Movement
from scanner.ledger.spam import judge

ME = "0x" + "aa" * 20
MINE_TOO = "0x" + "ab" * 20
YOU = "0x" + "bb" * 20
A = "eip155:1/erc20:0x" + "01" * 20
B = "eip155:1/erc20:0x" + "02" * 20
SPAM = "eip155:1/erc20:0x" + "03" * 20
ETH = "eip155:1/slip44:60"
TX = "0x" + "ee" * 32


def move(asset: str, amount: int, key: str, *, wallet: str = ME, counterparty: str = YOU,
         fee: bool = False) -> Movement:
    return Movement(1, TX, key, None, 1, 0, datetime(2024, 1, 1, tzinfo=UTC), wallet, asset,
                    amount, 18, counterparty, fee)


def kinds(moves: list[Movement], sender: str = ME,
          claims: dict[str, dict[str, str]] | None = None) -> list[Kind]:
    entries = classify(moves, executed_by={TX: {sender}}, own_wallets={ME, MINE_TOO},
                       spam_assets={SPAM}, symbols={}, claims=claims)
    return [e.kind for e in entries]


def test_one_asset_out_another_in_is_a_trade() -> None:
    assert kinds([move(A, -5, "log:0"), move(B, 7, "log:1")]) == [Kind.TRADE, Kind.TRADE]


def test_only_inflows_are_income_when_a_distributor_paid_them_with_a_claim() -> None:
    # A's contract was paid out by YOU, which emitted a claim event in the transaction
    paid = {TX: {"0x" + "01" * 20: YOU}}
    assert kinds([move(A, 5, "log:0")], sender=ME, claims=paid) == [Kind.INCOME]
    # paid by another than the distributor that spoke, or in someone else's transaction
    assert kinds([move(A, 5, "log:0")], sender=ME,
                 claims={TX: {"0x" + "01" * 20: "0x" + "cc" * 20}}) == [Kind.TRANSFER_IN]
    assert kinds([move(A, 5, "log:0")], sender=YOU, claims=paid) == [Kind.TRANSFER_IN]


def test_inflows_of_the_wallets_own_transaction_no_claim_explains_are_for_review() -> None:
    entries = classify([move(A, 5, "log:0")], executed_by={TX: {ME}}, own_wallets={ME},
                       spam_assets=set(), symbols={})
    assert [(e.kind, e.protocol) for e in entries] == [(Kind.TRANSFER_IN, UNEXPLAINED)]
    entries = classify([move(A, 5, "log:0")], executed_by={TX: {YOU}}, own_wallets={ME},
                       spam_assets=set(), symbols={})
    assert [(e.kind, e.protocol) for e in entries] == [(Kind.TRANSFER_IN, PROTOCOL_GENERIC)]


def test_only_outflows_are_a_transfer_out_and_gas_is_a_fee() -> None:
    assert kinds([move(ETH, -9, "gas", counterparty=None, fee=True),  # type: ignore[arg-type]
                  move(A, -5, "log:0")]) == [Kind.FEE, Kind.TRANSFER_OUT]


def test_moves_between_own_wallets_are_self_transfers() -> None:
    assert kinds([move(A, -5, "log:0", counterparty=MINE_TOO),
                  move(A, 5, "log:0", wallet=MINE_TOO, counterparty=ME)]) == \
        [Kind.SELF_TRANSFER, Kind.SELF_TRANSFER]


def test_spam_legs_are_marked_and_do_not_make_a_trade() -> None:
    assert kinds([move(SPAM, 100, "log:0"), move(A, -5, "log:1")], sender=YOU) == \
        [Kind.SPAM, Kind.TRANSFER_OUT]


def test_spam_score_explains_itself() -> None:
    bait = TokenInfo(1, "0x" + "03" * 20, "claim-rewards.xyz", "Visit claim-rewards.xyz", 18)
    verdict = judge(SPAM, bait, solicited=False, priced=False)
    assert verdict.is_spam
    assert any("URL" in r for r in verdict.reasons)
    assert any("bait" in r for r in verdict.reasons)
    plain = TokenInfo(1, "0x" + "01" * 20, "UNI", "Uniswap", 18)
    assert not judge(A, plain, solicited=False, priced=False).is_spam
    bought = TokenInfo(1, "0x" + "01" * 20, "RWD", "Reward Token", 18)
    assert not judge(A, bought, solicited=True, priced=True).is_spam
    assert judge(A, bought, solicited=False, priced=False).is_spam
