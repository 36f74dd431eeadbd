"""An explainable spam score for tokens: each reason is a mark a person can check."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scanner.types import TokenInfo

_URLISH = re.compile(
    r"(https?://|www\.|t\.me/|\.(com|io|xyz|org|net|app|finance|fi|site|online|top|club|vip|gift|"
    r"claims?|lol|cc|co|me|link|pro)\b)",
    re.IGNORECASE,
)
_BAIT = re.compile(r"\b(claim|visit|reward|voucher|airdrop|bonus|redeem)s?\b", re.IGNORECASE)

SPAM_THRESHOLD = 3


@dataclass(frozen=True)
class SpamVerdict:
    asset: str
    score: int
    reasons: tuple[str, ...]

    @property
    def is_spam(self) -> bool:
        return self.score >= SPAM_THRESHOLD


def judge(asset: str, token: TokenInfo | None, *, solicited: bool, priced: bool) -> SpamVerdict:
    """Score a token a wallet holds. Known assets (native, stablecoins) are never judged."""
    marks: list[tuple[int, str]] = []
    if not solicited:
        marks.append((1, "unsolicited: arrived in transactions the wallet did not send"))
    text = " ".join(t for t in (token.name, token.symbol) if t) if token else ""
    if _URLISH.search(text):
        marks.append((2, "a URL in its name or symbol"))
    if _BAIT.search(text):
        marks.append((2, "bait words (claim, visit, reward...) in its name or symbol"))
    if not priced:
        marks.append((1, "no price from any source"))
    if token is not None and token.decimals is None:
        marks.append((1, "no decimals() answer"))
    return SpamVerdict(asset, sum(points for points, _ in marks),
                       tuple(reason for _, reason in marks))
