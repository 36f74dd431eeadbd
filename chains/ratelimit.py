"""Rate limits per API key: a token bucket, shared by every client of the same key."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from chains.retry import safe_url


class TokenBucket:
    """At most `rate` calls a second on average, bursts up to `capacity`."""

    def __init__(self, rate: float, capacity: float = 1.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate, self.capacity = rate, capacity
        self._clock, self._sleep = clock, sleep
        self._tokens = capacity
        self._stamp = clock()
        self._lock = threading.Lock()

    def take(self) -> None:
        with self._lock:
            while True:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1 - 1e-9:  # seconds are floats; allow their rounding
                    self._tokens = max(0.0, self._tokens - 1)
                    return
                self._sleep((1 - self._tokens) / self.rate)


_BUCKETS: dict[tuple[str, str, float], TokenBucket] = {}
_BUCKETS_LOCK = threading.Lock()


def shared_bucket(url: str, key: str | None, calls_per_second: float) -> TokenBucket:
    """One bucket per (host, key, rate): the limit is the key's, across clients and chains."""
    ident = (safe_url(url), key or "", calls_per_second)
    with _BUCKETS_LOCK:
        if ident not in _BUCKETS:
            _BUCKETS[ident] = TokenBucket(calls_per_second)
        return _BUCKETS[ident]
