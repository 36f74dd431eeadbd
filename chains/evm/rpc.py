"""A JSON-RPC client: web3's HTTP transport, batching, and retries by its own policy."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

import requests
from web3 import HTTPProvider

from chains.errors import SourceInconsistent, SourceUnavailable
from chains.retry import RetryPolicy, Transient, raise_if_busy, safe_url, transport_faults

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_BATCH_SIZE = 100
RETRY = RetryPolicy(backoff_s=0.2, max_wait_s=8.0)

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
        self.retry = RETRY.but(attempts=attempts, max_wait_s=max_wait_s)

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
        def once() -> Any:
            with self._count_lock:
                self.requests_sent += 1
            return _classify_transport(request, self.url)

        where = f"node at {safe_url(self.url)}"
        return self.retry.run(once, lambda cause: f"{where} kept failing: {cause}")


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
        with transport_faults():
            return request()
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else 0
        raise_if_busy(status, exc.response.headers if exc.response is not None else None)
        raise SourceUnavailable(f"node at {safe_url(url)} refused the request: HTTP {status}") \
            from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Transient(f"malformed JSON ({exc.__class__.__name__})") from exc
    except ValueError as exc:  # web3 wraps undecodable bodies in ValueError subclasses
        raise Transient(f"malformed response: {exc}") from exc


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
