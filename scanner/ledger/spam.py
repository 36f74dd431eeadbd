"""An explainable spam score for tokens: each reason is a mark a person can check, with its
points. A token the chain names as known, one with a price, or one a distributor paid out
for a claim is not spam whatever its score. The user's own word (a mark) overrides both."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from chains.evm.records import RawTx, TokenInfo
from scanner.ledger.decode.transfers import token_transfers

_URLISH = re.compile(
    r"(https?://|www\.|t\.me/|\.(com|io|xyz|org|net|app|finance|fi|site|online|top|club|vip|gift|"
    r"claims?|lol|cc|co|me|link|pro)\b)",
    re.IGNORECASE,
)
_BAIT = re.compile(r"\b(claim|visit|reward|voucher|airdrop|bonus|redeem)s?\b", re.IGNORECASE)

SPAM_THRESHOLD = 3
FAN_OUT_RECIPIENTS = 10  # distinct recipients of one token in one transaction

MARKED_SPAM = "marked as spam by you"
MARKED_NOT_SPAM = "marked as not spam by you"


@dataclass(frozen=True)
class FanOut:
    """The widest transaction that brought a token to a wallet: how many distinct addresses
    received that token in it."""

    tx_hash: str
    recipients: int


@dataclass(frozen=True)
class SpamFacts:
    """What a chain's transactions say of a judged token: whether the wallet asked for it,
    the widest transaction that brought its contract to a wallet, and the last claim its
    contract was paid out for."""

    solicited: bool
    fan_out: FanOut | None = None
    claimed: str | None = None

    def then(self, later: SpamFacts) -> SpamFacts:
        """These facts, and those of transactions after them: a tie of widths keeps the
        earlier transaction, a later claim is the one said."""
        wider = later.fan_out is not None and (
            self.fan_out is None or later.fan_out.recipients > self.fan_out.recipients)
        return SpamFacts(self.solicited or later.solicited,
                         later.fan_out if wider else self.fan_out,
                         later.claimed or self.claimed)


@dataclass(frozen=True)
class SpamVerdict:
    asset: str
    score: int
    reasons: tuple[str, ...]
    marked: bool | None = None  # the user's word: True spam, False not spam, None none
    vouched: str | None = None  # why it is not spam whatever its score
    facts: SpamFacts | None = None  # what it was judged on, kept to judge it again

    @property
    def is_spam(self) -> bool:
        """Treated as spam: the user's mark when there is one, else the score unless the
        token is vouched for."""
        if self.marked is not None:
            return self.marked
        return self.vouched is None and self.score >= SPAM_THRESHOLD


@dataclass(frozen=True)
class SpamRow:
    """A judged token as `taxscan spam` lists it."""

    asset: str
    symbol: str | None
    score: int
    is_spam: bool
    marked: bool | None
    reasons: tuple[str, ...]


def judge(asset: str, token: TokenInfo | None, *, solicited: bool, priced: bool | None,
          fan_out: FanOut | None = None, marked: bool | None = None,
          vouched: str | None = None) -> SpamVerdict:
    """Score a token a wallet holds. Native coins and stablecoins are never judged.
    `solicited`: it came in a transaction the wallet executed, or the wallet sent it away;
    its name then is no mark (a protocol's receipt is named after its site: "Curve.fi").
    `priced`: None when no price source was asked (offline), which is no mark either.
    `vouched`: why it is not spam whatever its score (a known token, a price, a claim)."""
    marks: list[tuple[int, str]] = []
    if not solicited:
        marks.append((1, "unsolicited: arrived in transactions the wallet did not send"))
        text = " ".join(t for t in (token.name, token.symbol) if t) if token else ""
        if _URLISH.search(text):
            marks.append((2, "a URL in its name or symbol"))
        if _BAIT.search(text):
            marks.append((2, "bait words (claim, visit, reward...) in its name or symbol"))
    if priced is False:
        marks.append((1, "no price from any source"))
    if token is not None and token.decimals is None:
        marks.append((1, "no decimals() answer"))
    if fan_out is not None and fan_out.recipients >= FAN_OUT_RECIPIENTS:
        marks.append((1, f"dust fan-out: transaction {fan_out.tx_hash} sent it to "
                         f"{fan_out.recipients} addresses at once"))
    reasons = [f"{reason} (+{points})" for points, reason in marks]
    score = sum(points for points, _ in marks)
    if vouched is not None and score >= SPAM_THRESHOLD:
        reasons.append(f"not spam whatever its score: {vouched}")
    if marked is not None:
        reasons.append(MARKED_SPAM if marked else MARKED_NOT_SPAM)
    return SpamVerdict(asset, score, tuple(reasons), marked, vouched)


def widest_fan_outs(txs: Iterable[RawTx], wallets: Collection[str]) -> dict[str, FanOut]:
    """Token contract -> the transaction that sent it to the most distinct addresses, among
    those where one of `wallets` received it (an NFT collection counts as one token)."""
    widest: dict[str, FanOut] = {}
    for tx in txs:
        recipients: dict[str, set[str]] = {}
        for log in tx.logs:
            for item in token_transfers(log):
                recipients.setdefault(item.token, set()).add(item.recipient)
        for token, found in recipients.items():
            known = widest.get(token)
            if not found.isdisjoint(wallets) and (known is None or
                                                  len(found) > known.recipients):
                widest[token] = FanOut(tx.tx_hash, len(found))
    return widest
