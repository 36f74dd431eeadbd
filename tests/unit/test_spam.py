"""The spam score: each reason with its points, the dust fan-out, and the user's marks."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from chains.evm.abi import TRANSFER
from chains.evm.records import RawLog, RawTx, TokenInfo
from chains.registry import chain_by_id
from scanner.ledger.build import build_ledger
from scanner.ledger.records import Kind
from scanner.ledger.spam import (
    FAN_OUT_RECIPIENTS,
    MARKED_NOT_SPAM,
    MARKED_SPAM,
    SPAM_THRESHOLD,
    FanOut,
    SpamVerdict,
    judge,
    widest_fan_outs,
)
from scanner.ledger.valuation import AssetRanks
from scanner.prices.book import PriceBook
from scanner.prices.records import PricePoint

ME = "0x" + "aa" * 20
SPAMMER = "0x" + "5a" * 20
DISPERSE = "0x" + "d1" * 20
FAN = "0x" + "fa" * 20
NFT = "0x" + "af" * 20
ASSET = f"eip155:1/erc20:{FAN}"
WHEN = datetime(2024, 8, 1, tzinfo=UTC)


def word(value: int) -> str:
    return format(value, "064x")


def topic(address: str) -> str:
    return "0x" + address[2:].rjust(64, "0")


def stranger(n: int) -> str:
    return "0x" + format(n + 1, "040x")


def transfer(index: int, token: str, source: str, target: str, amount: int = 1) -> RawLog:
    return RawLog(index, token, (TRANSFER, topic(source), topic(target)), "0x" + word(amount))


def nft_transfer(index: int, source: str, target: str, token_id: int) -> RawLog:
    return RawLog(index, NFT, (TRANSFER, topic(source), topic(target), "0x" + word(token_id)),
                  "0x")


def tx(logs: tuple[RawLog, ...], *, sender: str = SPAMMER, n: int = 1) -> RawTx:
    return RawTx(1, "0x" + format(n, "064x"), 100 + n, 0, WHEN, sender, DISPERSE, 0, 21_000,
                 10**9, True, logs)


def fan_out_tx(recipients: int, *, n: int = 1, token: str = FAN) -> RawTx:
    """The token sent from the disperse contract to `recipients` addresses, ME among them."""
    targets = [ME] + [stranger(i) for i in range(recipients - 1)]
    return tx(tuple(transfer(i, token, DISPERSE, t) for i, t in enumerate(targets)), n=n)


def info(name: str | None = "Fan Token", symbol: str | None = "FAN",
         decimals: int | None = 18) -> TokenInfo:
    return TokenInfo(1, FAN, symbol, name, decimals)


def test_each_reason_has_its_points_and_they_add_up_to_the_score() -> None:
    verdict = judge(ASSET, info("Visit fan-rewards.xyz to claim", "fan-rewards.xyz", None),
                    solicited=False, priced=False, fan_out=FanOut("0x" + "01" * 32, 12))
    assert verdict.reasons == (
        "unsolicited: arrived in transactions the wallet did not send (+1)",
        "a URL in its name or symbol (+2)",
        "bait words (claim, visit, reward...) in its name or symbol (+2)",
        "no price from any source (+1)",
        "no decimals() answer (+1)",
        f"dust fan-out: transaction 0x{'01' * 32} sent it to 12 addresses at once (+1)",
    )
    assert verdict.score == 8 and verdict.is_spam and verdict.marked is None


def test_a_bought_priced_token_scores_nothing() -> None:
    verdict = judge(ASSET, info(), solicited=True, priced=True)
    assert (verdict.score, verdict.reasons, verdict.is_spam) == (0, (), False)


def test_the_threshold_is_three_points() -> None:
    two = judge(ASSET, info(), solicited=False, priced=False)
    assert (two.score, two.is_spam) == (2, False)
    three = judge(ASSET, info(), solicited=False, priced=False,
                  fan_out=FanOut("0x" + "01" * 32, FAN_OUT_RECIPIENTS))
    assert (three.score, three.is_spam) == (SPAM_THRESHOLD, True)


def test_a_fan_out_below_ten_recipients_is_no_reason() -> None:
    verdict = judge(ASSET, info(), solicited=False, priced=True,
                    fan_out=FanOut("0x" + "01" * 32, FAN_OUT_RECIPIENTS - 1))
    assert verdict.score == 1
    assert not any("fan-out" in reason for reason in verdict.reasons)


def test_marks_override_the_score_either_way_and_say_so() -> None:
    bought = judge(ASSET, info(), solicited=True, priced=True, marked=True)
    assert (bought.score, bought.is_spam, bought.reasons) == (0, True, (MARKED_SPAM,))
    pushed = judge(ASSET, info("claim at fan.xyz", "FAN"), solicited=False, priced=False,
                   marked=False)
    assert pushed.score == 6 and not pushed.is_spam
    assert pushed.reasons[-1] == MARKED_NOT_SPAM == "marked as not spam by you"


def test_the_widest_fan_out_counts_distinct_recipients_where_a_wallet_received() -> None:
    narrow = fan_out_tx(3, n=1)
    wide = fan_out_tx(12, n=2)
    repeated = tx(tuple(transfer(i, FAN, DISPERSE, ME) for i in range(20)), n=3)
    elsewhere = tx(tuple(transfer(i, FAN, DISPERSE, stranger(i)) for i in range(30)), n=4)
    found = widest_fan_outs([narrow, wide, repeated, elsewhere], {ME})
    assert found == {FAN: FanOut(wide.tx_hash, 12)}


def test_an_nft_collection_fanned_out_counts_as_one_token() -> None:
    logs = tuple(nft_transfer(i, "0x" + "00" * 20, ME if i == 0 else stranger(i), i)
                 for i in range(11))
    assert widest_fan_outs([tx(logs)], {ME}) == {NFT: FanOut(tx(logs).tx_hash, 11)}


def test_malformed_transfer_logs_count_no_recipient() -> None:
    bad = RawLog(0, FAN, (TRANSFER, topic(DISPERSE)), "0x" + word(1))
    assert widest_fan_outs([tx((bad, transfer(1, FAN, DISPERSE, ME)))], {ME}) == {
        FAN: FanOut(tx(()).tx_hash, 1)}


def ledger(txs: list[RawTx], marks: dict[str, bool] | None = None,
           prices: list[PricePoint] | None = None, misses: frozenset[str] = frozenset(),
           ) -> tuple[dict[str, Kind], dict[str, SpamVerdict]]:
    chain = chain_by_id(1)
    built = build_ledger(chain, txs, [ME], {FAN: info()}, PriceBook(prices or []),
                         AssetRanks(chain.stablecoin_assets, frozenset({chain.native_asset})),
                         spam_marks=marks, price_misses=misses)
    kinds: dict[str, Kind] = {e.asset: e.kind for e in built.entries if e.kind is not Kind.FEE}
    return kinds, {v.asset: v for v in built.spam}


def test_build_ledger_sees_the_fan_out_of_the_transactions() -> None:
    kinds, verdicts = ledger([fan_out_tx(12)], misses=frozenset({ASSET}))
    assert kinds == {ASSET: Kind.SPAM}
    verdict = verdicts[ASSET]
    assert verdict.score == 3
    assert any("sent it to 12 addresses" in r for r in verdict.reasons)


def test_a_token_marked_not_spam_is_an_ordinary_receipt_and_marked_spam_is_spam() -> None:
    kinds, verdicts = ledger([fan_out_tx(12)], {ASSET: False})
    assert kinds == {ASSET: Kind.TRANSFER_IN}
    assert verdicts[ASSET].reasons[-1] == MARKED_NOT_SPAM
    price = PricePoint(ASSET, datetime(2024, 1, 1, tzinfo=UTC), Decimal(2), "csv")
    kinds, verdicts = ledger([fan_out_tx(2)], {ASSET: True}, [price])
    assert kinds == {ASSET: Kind.SPAM}
    assert verdicts[ASSET].score == 1
    assert verdicts[ASSET].is_spam
