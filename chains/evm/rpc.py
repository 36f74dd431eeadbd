"""A JSON-RPC client: web3's HTTP transport, batching, and tenacity retries."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)
from web3 import HTTPProvider

from chains.errors import SourceInconsistent, SourceUnavailable

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_BATCH_SIZE = 100
DEFAULT_ATTEMPTS = 6
DEFAULT_BACKOFF_S = 0.2
DEFAULT_MAX_WAIT_S = 8.0


def safe_url(url: str) -> str:
    """The URL without path, query or credentials: RPC URLs often carry API keys."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


_METHOD_REFUSALS = ("method not found", "not supported", "unsupported", "does not exist",
                    "not available", "not enabled", "disabled", "not allowed",
                    "unknown method")


class RpcCallError(SourceInconsistent):
    """The node answered a call with a JSON-RPC error object."""

    def __init__(self, method: str, code: int | None, message: str) -> None:
        super().__init__(f"{method} failed: {message} (code {code})")
        self.method = method
        self.code = code
        self.rpc_message = message

    @property
    def method_missing(self) -> bool:
        """The node lacks or refuses the method itself (as opposed to this request)."""
        text = self.rpc_message.lower()
        return self.code == -32601 or any(words in text for words in _METHOD_REFUSALS)


class _Transient(Exception):
    """A failure worth retrying: dropped connection, timeout, 429, 5xx, torn JSON."""

    def __init__(self, reason: str, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


# What a server's answer is cut short by: a dropped connection, a timeout, a torn body.
TRANSPORT_FAULTS = (requests.ConnectionError, requests.Timeout,
                    requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError)


def retry_after_s(headers: Mapping[str, str] | None) -> float | None:
    """The wait a Retry-After header asks for (delay seconds or an HTTP date), else None."""
    value = (headers or {}).get("Retry-After")
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def backoff(multiplier_s: float, max_wait_s: float) -> Callable[[RetryCallState], float]:
    """Tenacity's exponential wait, except that a failure carrying the server's Retry-After
    waits that long; no wait is longer than `max_wait_s`."""
    exponential = wait_exponential(multiplier=multiplier_s, max=max_wait_s)

    def wait(state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome is not None else None
        asked = getattr(failure, "retry_after_s", None)
        if isinstance(asked, float):
            return min(asked, max_wait_s)
        return float(exponential(state))

    return wait


class RpcClient:
    def __init__(
        self,
        url: str,
        *,
        timeout_s: float | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        attempts: int | None = None,
        max_wait_s: float | None = None,
    ) -> None:
        self.url = url
        self.batch_size = batch_size
        self.requests_sent = 0
        self._count_lock = threading.Lock()  # batches may be sent from several threads
        self._provider = HTTPProvider(
            url, request_kwargs={"timeout": timeout_s or DEFAULT_TIMEOUT_S},
            exception_retry_configuration=None,
        )
        self._retrying = Retrying(
            retry=retry_if_exception_type(_Transient),
            stop=stop_after_attempt(attempts or DEFAULT_ATTEMPTS),
            wait=backoff(DEFAULT_BACKOFF_S, max_wait_s or DEFAULT_MAX_WAIT_S),
            reraise=False,
        )

    def __repr__(self) -> str:
        return f"RpcClient({safe_url(self.url)})"

    def call(self, method: str, params: Sequence[Any]) -> Any:
        response = self._send(lambda: self._provider.make_request(method, list(params)))
        return _unwrap(method, response)

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Results in call order; the first JSON-RPC error raises RpcCallError."""
        return [_raise_if_error(item) for item in self.batch_lenient(calls)]

    def batch_lenient(
        self, calls: Sequence[tuple[str, Sequence[Any]]]
    ) -> list[Any | RpcCallError]:
        """Results in call order, with an RpcCallError in place of each failed call."""
        results: list[Any | RpcCallError] = []
        for start in range(0, len(calls), self.batch_size):
            chunk = [(m, list(p)) for m, p in calls[start : start + self.batch_size]]
            if len(chunk) == 1:
                method, params = chunk[0]
                try:
                    results.append(self.call(method, params))
                except RpcCallError as exc:
                    results.append(exc)
                continue
            responses = self._send(lambda chunk=chunk: _batch_request(self._provider, chunk))
            if not isinstance(responses, list) or len(responses) != len(chunk):
                raise SourceInconsistent(
                    f"node at {safe_url(self.url)} answered a batch of {len(chunk)} calls "
                    f"with {len(responses) if isinstance(responses, list) else 'no list'}"
                )
            for (method, _), response in zip(chunk, responses, strict=True):
                try:
                    results.append(_unwrap(method, response))
                except RpcCallError as exc:
                    results.append(exc)
        return results

    def _send(self, request: Any) -> Any:
        try:
            for attempt in self._retrying:
                with attempt:
                    with self._count_lock:
                        self.requests_sent += 1
                    return _classify_transport(request, self.url)
        except RetryError as exc:
            cause = exc.last_attempt.exception()
            raise SourceUnavailable(
                f"node at {safe_url(self.url)} kept failing: {cause}"
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover


def _batch_request(provider: HTTPProvider, chunk: list[tuple[str, list[Any]]]) -> Any:
    """web3's batch request; web3 orders the answers by their ids before we see them, so
    items that are not JSON-RPC objects, or ids of mixed types, fail inside it."""
    try:
        return provider.make_batch_request(chunk)  # type: ignore[arg-type]
    except (AttributeError, TypeError, KeyError) as exc:
        raise SourceInconsistent(f"the node's batch answer is not a list of JSON-RPC objects "
                                 f"({type(exc).__name__})") from None


def _classify_transport(request: Any, url: str) -> Any:
    try:
        return request()
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else 0
        if status == 429 or status >= 500:
            headers = exc.response.headers if exc.response is not None else None
            raise _Transient(f"HTTP {status}", retry_after_s(headers)) from exc
        raise SourceUnavailable(f"node at {safe_url(url)} refused the request: HTTP {status}") \
            from None
    except TRANSPORT_FAULTS as exc:
        raise _Transient(type(exc).__name__) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _Transient(f"malformed JSON ({exc.__class__.__name__})") from exc
    except ValueError as exc:  # web3 wraps undecodable bodies in ValueError subclasses
        raise _Transient(f"malformed response: {exc}") from exc


def _unwrap(method: str, response: Any) -> Any:
    if not isinstance(response, dict):
        raise SourceInconsistent(f"{method}: the node's answer is not a JSON-RPC object")
    error = response.get("error")
    if error is not None:
        if isinstance(error, dict):
            code = error.get("code")
            raise RpcCallError(method, code if isinstance(code, int) else None,
                               str(error.get("message", "")))
        raise RpcCallError(method, None, str(error))
    if "result" not in response:
        raise SourceInconsistent(f"{method}: the node's answer has no result")
    return response["result"]


def _raise_if_error(item: Any) -> Any:
    if isinstance(item, RpcCallError):
        raise item
    return item
