"""What is not spam whatever its marks: a known token of the chain, a token with a price, a
token a distributor paid out for a claim; and marks that say nothing: no price when no
source was asked, the name of a token the wallet asked for. On real recorded claims."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from chains.evm.abi import topic_for
from chains.evm.records import TokenInfo
from scanner.ledger.records import Kind
from scanner.ledger.spam import SPAM_THRESHOLD, FanOut, judge
from tests.unit.recordings import ledger, recording

OP = "eip155:10/erc20:0x4200000000000000000000000000000000000042"
ODOS = "eip155:8453/erc20:0xca73ed1815e5915489570014e024b7ebe65de679"
CURVE_LP = "eip155:1/erc20:0xc25a3a3b969415c80451098fa907ec722572917f"


def test_the_op_airdrop_claim_is_income_and_not_spam(realdata: Path) -> None:
    # tx 0xda810d7e...: 0x2b888954 claims 827.759804739626467328 OP (Transfer log 0, from
    # the distributor 0xfedfaf1a, which emits Claimed in log 2); offline, no price
    record = recording(realdata, "test_optimism_airdrop_1_claim.json")
    raw = record.raw()
    built = ledger(record, raw, [raw.from_address], frozenset({OP}))
    (op,) = [e for e in built.entries if e.asset == OP]
    assert (op.kind, op.raw_amount) == (Kind.INCOME, 0x2CDF7994C054240000)
    (verdict,) = built.spam
    assert (verdict.asset, verdict.is_spam, verdict.vouched) == \
        (OP, False, "a known token of Optimism")


def test_op_pushed_at_many_wallets_is_still_not_spam(realdata: Path) -> None:
    """The measured failure: OP pushed by its distributor (not claimed) to the wallet and
    ten others, after a price lookup found nothing: 3 points, and still OP."""
    record = recording(realdata, "test_optimism_airdrop_1_claim.json")
    raw = record.raw()
    wallet = raw.from_address
    transfer = raw.logs[0]
    others = tuple(replace(transfer, log_index=10 + i,
                           topics=(*transfer.topics[:2], topic_for(f"0x{i + 1:040x}")))
                   for i in range(10))
    pushed = replace(raw, from_address="0x" + "d1" * 20, logs=(transfer, *others))
    built = ledger(record, pushed, [wallet], frozenset({OP}))
    (verdict,) = built.spam
    assert verdict.score == SPAM_THRESHOLD and not verdict.is_spam
    assert verdict.reasons[-1] == "not spam whatever its score: a known token of Optimism"
    assert {e.kind for e in built.entries if e.asset == OP} == {Kind.TRANSFER_IN}


def test_a_token_a_distributor_paid_for_a_claim_is_vouched_for(realdata: Path) -> None:
    # tx 0x7d78887e...: 0xc37b40ab claims 1739.7281675210563 ODOS on Base from 0x4c8f8055,
    # which pays it (Transfer log 350) and emits RewardClaimed (log 351, topic 0x6ec68517)
    record = recording(realdata, "test_odos_v2__test_airdrop_claim.json")
    raw = record.raw()
    (verdict,) = ledger(record, raw, [raw.from_address], frozenset({ODOS})).spam
    assert verdict.vouched == ("paid out by 0x4c8f8055d88705f52c9994969dde61ab574895a3, which "
                               f"said it paid a claim, in {raw.tx_hash}")
    assert not verdict.is_spam
    # the same payout in a transaction the wallet did not execute vouches for nothing
    pushed = replace(raw, from_address="0x" + "d1" * 20)
    (verdict,) = ledger(record, pushed, [raw.from_address], frozenset({ODOS})).spam
    assert verdict.vouched is None


def test_no_price_is_a_mark_only_once_a_source_was_asked(realdata: Path) -> None:
    record = recording(realdata, "test_odos_v2__test_airdrop_claim.json")
    raw = replace(record.raw(), from_address="0x" + "d1" * 20)  # unsolicited
    wallet = record.raw().from_address
    (offline,) = ledger(record, raw, [wallet]).spam
    assert offline.reasons == ("unsolicited: arrived in transactions the wallet did not "
                               "send (+1)",)
    (asked,) = ledger(record, raw, [wallet], frozenset({ODOS})).spam
    assert asked.reasons[-1] == "no price from any source (+1)" and asked.score == 2


def test_the_name_of_a_token_the_wallet_asked_for_is_no_mark(realdata: Path) -> None:
    # the wallet deposits crvPlain3andSUSD, "Curve.fi DAI/USDC/USDT/sUSD", in a gauge: a
    # URL-like name, but its own token
    record = recording(realdata, "test_curve__test_gauge_deposit.json")
    raw = record.raw()
    (verdict,) = ledger(record, raw, [raw.from_address], frozenset({CURVE_LP})).spam
    assert (verdict.asset, verdict.score, verdict.is_spam) == (CURVE_LP, 1, False)
    assert verdict.reasons == ("no price from any source (+1)",)


def test_a_price_vouches_and_says_so_only_where_the_score_would_have_made_spam() -> None:
    plain = judge(OP, None, solicited=True, priced=True, vouched="it has a price")
    assert (plain.score, plain.reasons, plain.is_spam) == (0, (), False)
    undecided = TokenInfo(10, OP[-42:], "OP", "Optimism", None)
    pushed = judge(OP, undecided, solicited=False, priced=True, vouched="it has a price",
                   fan_out=FanOut("0x" + "01" * 32, 12))
    assert pushed.score == SPAM_THRESHOLD and not pushed.is_spam
    assert pushed.reasons[-1] == "not spam whatever its score: it has a price"
    marked = judge(OP, None, solicited=False, priced=False, vouched="it has a price",
                   marked=True)
    assert marked.is_spam  # the user's word over everything
