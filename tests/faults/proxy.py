"""A loopback HTTP proxy that forwards to a node or an explorer and injects faults.

Per request, with probability `rate` (drawn from a seeded random.Random, so a run is
repeatable), it injects one fault of `faults`, dealt from a shuffled deck of them so that
every kind comes up once in each len(faults) faults:

- transient (a client must retry them): a dropped connection, 429 with Retry-After, 502,
  truncated JSON (the upstream body cut in half, status 200), a stall past the client's
  timeout;
- hard (a scan must stop): a wrong chain id (eth_chainId answers rewritten, also inside a
  JSON-RPC batch and in an explorer's proxy module), a receipt of another transaction,
  a receipt in another block than its transaction.

A hard fault drawn for a request that has nothing to rewrite passes it through unchanged.
`injected` counts the faults actually injected, per kind.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from enum import StrEnum
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from tests.faults.loopback import QuietHandler, serving

WRONG_CHAIN_ID = 1
UPSTREAM_TIMEOUT_S = 30.0


class Fault(StrEnum):
    DROP = "dropped connection"
    RATE_LIMIT = "429 with Retry-After"
    BAD_GATEWAY = "502"
    TRUNCATED = "truncated JSON"
    STALL = "stall past the timeout"
    WRONG_CHAIN = "wrong chain id"
    OTHER_RECEIPT = "receipt of another transaction"
    RECEIPT_BLOCK = "receipt in another block"


TRANSIENT = (Fault.DROP, Fault.RATE_LIMIT, Fault.BAD_GATEWAY, Fault.TRUNCATED, Fault.STALL)


def _other_hash(value: str) -> str:
    """A different 32-byte hash: the last hex digit changed."""
    return value[:-1] + ("1" if value[-1] == "0" else "0")


# hard fault -> (the method whose result it rewrites, how)
REWRITES: dict[Fault, tuple[str, Callable[[Any], Any]]] = {
    Fault.WRONG_CHAIN: ("eth_chainId", lambda _: hex(WRONG_CHAIN_ID)),
    Fault.OTHER_RECEIPT: ("eth_getTransactionReceipt",
                          lambda r: {**r, "transactionHash": _other_hash(r["transactionHash"])}),
    Fault.RECEIPT_BLOCK: ("eth_getTransactionReceipt",
                          lambda r: {**r, "blockHash": _other_hash(r["blockHash"])}),
}


class FaultProxy:
    """`with FaultProxy(upstream, rate=0.2) as proxy:` then point a client at `proxy.url`
    (for an explorer, `proxy.url` + its API path)."""

    def __init__(self, upstream: str, *, rate: float, faults: Sequence[Fault] = TRANSIENT,
                 seed: int = 8, stall_s: float = 5.0) -> None:
        self.upstream = upstream.rstrip("/")
        self.rate = rate
        self.faults = tuple(faults)
        self.stall_s = stall_s
        self.injected: Counter[Fault] = Counter()
        self.requests = 0
        self.url = ""
        self._random = random.Random(seed)
        self._deck: list[Fault] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._stack = ExitStack()

    def __enter__(self) -> FaultProxy:
        self.url = self._stack.enter_context(serving(_ProxyHandler, self))
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()  # ends the stalls still waiting
        self._stack.close()

    def _draw(self) -> tuple[Fault | None, str]:
        """The fault for the next request (None: forward it as it is) and, for a 429, its
        Retry-After."""
        with self._lock:  # requests draw in arrival order
            self.requests += 1
            if self._random.random() >= self.rate:
                return None, ""
            if not self._deck:
                self._deck = self._random.sample(self.faults, len(self.faults))
            return self._deck.pop(), self._random.choice(("0", "1"))

    def _count(self, fault: Fault) -> None:
        with self._lock:
            self.injected[fault] += 1

    def handle(self, handler: QuietHandler, verb: str) -> None:
        body = handler.body()
        fault, retry_after = self._draw()
        if fault is Fault.DROP:
            self._count(fault)
            return  # the connection closes with no answer
        if fault is Fault.STALL:
            self._count(fault)
            self._stop.wait(self.stall_s)
            return
        if fault is Fault.RATE_LIMIT:
            self._count(fault)
            handler.respond(429, b'{"message": "Too Many Requests"}',
                            {"Content-Type": "application/json", "Retry-After": retry_after})
            return
        if fault is Fault.BAD_GATEWAY:
            self._count(fault)
            handler.respond(502, b"<html><body>502 Bad Gateway</body></html>",
                            {"Content-Type": "text/html"})
            return
        answer = requests.request(verb, self.upstream + handler.path, data=body or None,
                                  headers={"Content-Type": "application/json"},
                                  timeout=UPSTREAM_TIMEOUT_S)
        payload = answer.content
        if fault is Fault.TRUNCATED:
            self._count(fault)
            payload = payload[: len(payload) // 2]
        elif fault is not None and answer.ok:
            payload = self._rewrite(fault, _methods(verb, handler.path, body), payload)
        handler.respond(answer.status_code, payload,
                        {"Content-Type": answer.headers.get("Content-Type", "application/json")})

    def _rewrite(self, fault: Fault, methods: dict[Any, str], payload: bytes) -> bytes:
        method, change = REWRITES[fault]
        try:
            answer = json.loads(payload)
        except ValueError:
            return payload
        items = answer if isinstance(answer, list) else [answer]
        changed = False
        for item in items:
            if not isinstance(item, dict) or item.get("result") is None:
                continue
            asked = methods.get(item.get("id")) if isinstance(answer, list) \
                else next(iter(methods.values()), None)
            if asked == method:
                item["result"] = change(item["result"])
                changed = True
        if not changed:
            return payload
        self._count(fault)
        return json.dumps(answer).encode()


def _methods(verb: str, path: str, body: bytes) -> dict[Any, str]:
    """The methods a request asks for, by JSON-RPC id (an explorer's proxy module: its
    action)."""
    if verb == "GET":
        query = dict(parse_qsl(urlsplit(path).query))
        return {None: query["action"]} if query.get("module") == "proxy" else {}
    calls = json.loads(body)
    return {call.get("id"): str(call.get("method"))
            for call in (calls if isinstance(calls, list) else [calls])}


class _ProxyHandler(QuietHandler):
    def do_GET(self) -> None:
        self.owner().handle(self, "GET")

    def do_POST(self) -> None:
        self.owner().handle(self, "POST")
