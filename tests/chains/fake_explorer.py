"""An Etherscan-compatible explorer, in the real answer shapes: served through `responses`,
or over loopback HTTP by tests.faults.replay (both answer with `FakeExplorer.answer`).

Account rows come from a recording or are built from a chain; the proxy module answers
as a bare JSON-RPC envelope from a node's handlers. Paging follows Etherscan: `offset`
rows at most, `page` x `offset` <= 10,000, sorted by block.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import responses

ETHERSCAN = "https://api.etherscan.io/v2/api"
NOT_FOUND = {"status": "0", "message": "No transactions found", "result": []}
Proxy = Callable[[str, list[Any]], Any]


class FakeExplorer:
    def __init__(self, rows: Mapping[str, list[dict[str, Any]]], proxy: Proxy, *,
                 url: str = ETHERSCAN, empty: Mapping[str, dict[str, Any]] | None = None,
                 address_keys: tuple[str, ...] = ("from", "to")) -> None:
        self.url = url
        self.rows = rows
        self.proxy = proxy
        self.empty = empty or {}
        self.address_keys = address_keys
        self.requests: list[dict[str, str]] = []
        self.faults: list[tuple[int, Any]] = []  # answered first, in order: (status, body)

    def install(self, mock: responses.RequestsMock) -> None:
        mock.add_callback(responses.GET, self.url, callback=self._serve)

    def _serve(self, request: Any) -> tuple[int, dict[str, str], str]:
        status, body = self.answer(dict(parse_qsl(urlsplit(request.url).query)))
        return status, {}, body

    def answer(self, query: Mapping[str, str]) -> tuple[int, str]:
        """The HTTP status and body answering `query`, whatever serves it (`responses` or
        a loopback server)."""
        asked = dict(query)
        self.requests.append(asked)
        if self.faults:
            status, body = self.faults.pop(0)
            return status, body if isinstance(body, str) else json.dumps(body)
        if asked.get("module") == "proxy":
            return 200, json.dumps(self._proxy(asked))
        return 200, json.dumps(self._account(asked))

    def _account(self, query: dict[str, str]) -> dict[str, Any]:
        action = query["action"]
        address = query["address"].lower()
        start, end = int(query.get("startblock", 0)), int(query.get("endblock", 99999999999))
        offset, page = int(query.get("offset", 10_000)), int(query.get("page", 1))
        if page * offset > 10_000:
            return {"status": "0", "message": "NOTOK",
                    "result": "Result window is too large, PageNo x Offset size must be less "
                              "than or equal to 10000"}
        matching = [row for row in self.rows.get(action, [])
                    if start <= int(row["blockNumber"]) <= end
                    and address in {str(row.get(k, "")).lower() for k in self.address_keys}]
        matching.sort(key=lambda row: int(row["blockNumber"]))
        window = matching[(page - 1) * offset: page * offset]
        if not window:
            return dict(self.empty.get(action, NOT_FOUND))
        return {"status": "1", "message": "OK", "result": window}

    def _proxy(self, query: dict[str, str]) -> dict[str, Any]:
        action = query["action"]
        if action in ("eth_getTransactionByHash", "eth_getTransactionReceipt"):
            params: list[Any] = [query["txhash"]]
        elif action == "eth_getBlockByNumber":
            params = [query["tag"], query.get("boolean") == "true"]
        elif action == "eth_call":
            params = [{"to": query["to"], "data": query["data"]}, query.get("tag", "latest")]
        else:
            params = []
        return {"jsonrpc": "2.0", "id": 1, "result": self.proxy(action, params)}

    def count(self, module: str, action: str | None = None) -> int:
        return sum(1 for q in self.requests
                   if q.get("module") == module and (action is None or q.get("action") == action))
