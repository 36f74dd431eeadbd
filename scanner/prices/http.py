"""HTTP plumbing shared by the price APIs: retries, rate limits, exact numbers, errors.

The approach is the explorer client's (chains.evm.explorer): a requests.Session, retries by
the source's chains.retry policy (connection errors, timeouts, torn bodies, HTTP 429 and 5xx
after their Retry-After, malformed JSON), a token bucket per (host, key, rate), and API keys
kept out of every message. Bodies are parsed with `parse_float=Decimal`, so a price never
passes through a float.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import requests

from chains.errors import SourceInconsistent, SourceRefused, SourceUnavailable
from chains.ratelimit import shared_bucket
from chains.retry import RetryPolicy, Transient, raise_if_busy, transport_faults

DEFAULT_TIMEOUT_S = 30.0

# Texts in a 4xx body that mean "this will not work until the user changes something".
_REFUSED = ("api key", "apikey", "api_key", "unauthorized", "forbidden", "plan", "upgrade",
            "subscription", "exceeds the allowed time range")


def _no_constant(text: str) -> Decimal:
    return Decimal(text)  # NaN / Infinity become Decimals that the checks below refuse


def parse_json(text: str) -> Any:
    """JSON with every non-integer number as an exact Decimal."""
    return json.loads(text, parse_float=Decimal, parse_constant=_no_constant)


def one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


class JsonHttp:
    """GETs that answer parsed JSON, or raise one of the SourceError kinds."""

    def __init__(self, where: str, base_url: str, *, secrets: Sequence[str] = (),
                 calls_per_second: float, retry: RetryPolicy,
                 timeout_s: float = DEFAULT_TIMEOUT_S,
                 headers: Mapping[str, str] | None = None,
                 session: requests.Session | None = None) -> None:
        self.where = where
        self.session = session or requests.Session()
        self.headers = dict(headers or {})
        self.timeout_s = timeout_s
        self.requests_sent = 0
        self._secrets = tuple(s for s in secrets if s)
        self.bucket = shared_bucket(base_url, self._secrets[0] if self._secrets else None,
                                    calls_per_second)
        self.retry = retry

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return one_line(text)

    def get(self, url: str, params: Mapping[str, Any] | None, what: str,
            missing_ok: bool = False) -> Any:
        """The parsed body; None for HTTP 404 when `missing_ok` (the source does not know
        the thing asked for)."""
        return self.retry.run(lambda: self._once(url, params, what, missing_ok),
                              lambda cause: self.redact(f"{self.where} kept failing on {what}: "
                                                        f"{cause}"))

    def _once(self, url: str, params: Mapping[str, Any] | None, what: str,
              missing_ok: bool) -> Any:
        self.bucket.take()
        self.requests_sent += 1
        with transport_faults():
            answer = self.session.get(url, params=dict(params or {}), headers=self.headers,
                                      timeout=self.timeout_s)
        status = answer.status_code
        raise_if_busy(status, answer.headers)
        if status in (401, 403):
            raise SourceRefused(self.redact(
                f"{self.where} refused {what}: HTTP {status} {_detail(answer.text)}"
                " (check the API key and plan)"))
        if status == 404 and missing_ok:
            return None
        if status >= 400:
            detail = self.redact(_detail(answer.text))  # the key itself may say "apikey"
            if any(word in detail.lower() for word in _REFUSED):
                raise SourceRefused(self.redact(
                    f"{self.where} refused {what}: HTTP {status} {detail}"))
            raise SourceUnavailable(self.redact(
                f"{self.where} answered {what} with HTTP {status} {detail}"))
        try:
            return parse_json(answer.text)
        except ValueError:
            raise Transient("malformed JSON") from None


def _detail(body: str) -> str:
    """The error text of a JSON error body, else the start of the body."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return one_line(body, 120)
    if isinstance(parsed, dict):
        for key in ("error", "message", "status"):
            value = parsed.get(key)
            if isinstance(value, dict):  # CoinGecko: {"status": {"error_message": ...}}
                value = value.get("error_message") or value.get("message")
            if isinstance(value, str) and value:
                return one_line(value, 120)
    return one_line(body, 120)


# ---- exact values out of parsed bodies ---------------------------------------------------

def usd_value(value: Any, where: str, what: str) -> Decimal | None:
    """A price from a body parsed by `parse_json`: a Decimal, None for zero (no price)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise SourceInconsistent(f"{where} sent a price for {what} that is no number")
    price = Decimal(value)
    if not price.is_finite() or price < 0:
        raise SourceInconsistent(f"{where} sent an impossible price for {what}: {price}")
    return price if price > 0 else None


def unix_seconds(value: Any, where: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise SourceInconsistent(f"{where} sent a timestamp for {what} that is no number")
    number = Decimal(value)
    if not number.is_finite() or number != number.to_integral_value() or number < 0:
        raise SourceInconsistent(f"{where} sent an impossible timestamp for {what}")
    return int(number)


def confidence_value(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        return None
    number = Decimal(value)
    return number if number.is_finite() else None


def to_unix(moment: datetime) -> int:
    """Whole seconds since the epoch; a naive moment is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(seconds=1)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def from_unix(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def from_unix_ms(milliseconds: int) -> datetime:
    return datetime.fromtimestamp(milliseconds // 1000, UTC) + timedelta(
        milliseconds=milliseconds % 1000)
