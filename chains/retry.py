"""One retry policy for every HTTP client: which failures are worth another try, how long to
wait before it, when to give up; and the URL a message may show."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from chains.errors import SourceUnavailable

if TYPE_CHECKING:  # requests and tenacity on a request's first try, not at start
    from tenacity import RetryCallState

DEFAULT_ATTEMPTS = 6

_T = TypeVar("_T")


class Transient(Exception):
    """A failure worth retrying: dropped connection, timeout, 429, 5xx, torn body."""

    def __init__(self, reason: str, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


def is_http_url(text: str) -> bool:
    """Whether `text` is a URL taxscan's HTTP clients can ask: http or https, with a host."""
    url = text.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return (parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
            and not any(c.isspace() for c in url))


def safe_url(url: str) -> str:
    """The URL without path, query or credentials: RPC URLs often carry API keys."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def retry_after_s(headers: Mapping[str, str] | None) -> float | None:
    """The wait a Retry-After header asks for (delay seconds or an HTTP date), else None."""
    value = (headers or {}).get("Retry-After")
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    from email.utils import parsedate_to_datetime

    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def raise_if_busy(status: int, headers: Mapping[str, str] | None) -> None:
    """HTTP 429 and 5xx are worth another try, after the server's Retry-After if it names one."""
    if status == 429 or status >= 500:
        raise Transient(f"HTTP {status}", retry_after_s(headers))


@contextmanager
def transport_faults() -> Iterator[None]:
    """A request cut short becomes a Transient named by its kind (its text holds the URL):
    a dropped connection, a timeout, a torn body."""
    import requests

    try:
        yield
    except (requests.ConnectionError, requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError) as exc:
        raise Transient(type(exc).__name__) from None


@dataclass(frozen=True)
class RetryPolicy:
    """Up to `attempts` tries on a Transient, waiting `backoff_s` doubling in between, or the
    server's Retry-After; no wait is longer than `max_wait_s`."""

    backoff_s: float
    max_wait_s: float
    attempts: int = DEFAULT_ATTEMPTS

    def but(self, *, attempts: int | None = None, max_wait_s: float | None = None) -> RetryPolicy:
        """This policy with a client's own limits, where it names them."""
        return replace(self, attempts=attempts or self.attempts,
                       max_wait_s=max_wait_s or self.max_wait_s)

    def wait_s(self, state: RetryCallState) -> float:
        from tenacity import wait_exponential

        failure = state.outcome.exception() if state.outcome is not None else None
        asked = getattr(failure, "retry_after_s", None)
        if isinstance(asked, float):
            return min(asked, self.max_wait_s)
        return float(wait_exponential(multiplier=self.backoff_s, max=self.max_wait_s)(state))

    def run(self, action: Callable[[], _T], gave_up: Callable[[BaseException | None], str]) -> _T:
        """`action`'s answer, tried again on each Transient; SourceUnavailable with the
        message `gave_up` makes of the last failure when every attempt was one."""
        from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt

        retrying = Retrying(retry=retry_if_exception_type(Transient),
                            stop=stop_after_attempt(self.attempts), wait=self.wait_s,
                            reraise=False)
        try:
            return retrying(action)
        except RetryError as exc:
            raise SourceUnavailable(gave_up(exc.last_attempt.exception())) from None
