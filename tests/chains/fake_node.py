"""A JSON-RPC node served through `responses`, built from a real recorded wallet history.

Receipts and transactions are the recorded `module=proxy` answers; transactions the
recording lacks are rebuilt from the explorer's `txlist` rows, and `trace_filter`
answers from those rows' top-level calls, in Parity's trace shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import responses
from eth_abi.abi import encode

URL = "http://node.test/rpc"
Handler = Callable[[list[Any]], Any]


class RpcFault(Exception):
    def __init__(self, code: int, message: str) -> None:
        self.code, self.message = code, message


class FakeNode:
    def __init__(self, recording: Path, *, head: int, log_range_limit: int | None = None,
                 traces: bool = True) -> None:
        data = json.loads(recording.read_text())
        self.address = data["address"].lower()
        self.receipts: dict[str, Any] = data["receipts"]
        self.transactions: dict[str, Any] = dict(data["transactions"])
        self.txlist = data["account"]["txlist"]["response"]["result"]
        self.tokentx = data["account"]["tokentx"]["response"]["result"]
        for row in self.txlist:
            self.transactions.setdefault(row["hash"], _tx_from_txlist(row))
        self.head = head
        self.log_range_limit = log_range_limit
        self.traces = traces
        self.requests: list[tuple[str, list[Any]]] = []
        self.fail_methods: set[str] = set()
        self.blocks = {int(r["blockNumber"]): int(r["timeStamp"])
                       for r in self.txlist + self.tokentx}
        self.handlers: dict[str, Handler] = {
            "eth_chainId": lambda p: "0x1",
            "eth_blockNumber": lambda p: hex(self.head),
            "eth_getLogs": self._logs,
            "trace_filter": self._trace_filter,
            "ots_searchTransactionsAfter": self._no_method,
            "eth_getTransactionByHash": lambda p: self.transactions.get(p[0]),
            "eth_getTransactionReceipt": lambda p: self.receipts.get(p[0]),
            "eth_getBlockByNumber": self._block,
            "eth_call": self._call,
        }

    def install(self, mock: responses.RequestsMock) -> None:
        mock.add_callback(responses.POST, URL, callback=self._serve)

    def _serve(self, request: Any) -> tuple[int, dict[str, str], str]:
        if "http" in self.fail_methods:
            return 500, {}, "internal error"
        body = json.loads(request.body)
        if isinstance(body, list):
            return 200, {}, json.dumps([self._answer(item) for item in body])
        return 200, {}, json.dumps(self._answer(body))

    def _answer(self, call: dict[str, Any]) -> dict[str, Any]:
        method, params = call["method"], call.get("params", [])
        self.requests.append((method, params))
        try:
            if method in self.fail_methods:
                raise RpcFault(-32000, "internal error")
            handler = self.handlers.get(method, self._no_method)
            return {"jsonrpc": "2.0", "id": call["id"], "result": handler(params)}
        except RpcFault as fault:
            return {"jsonrpc": "2.0", "id": call["id"],
                    "error": {"code": fault.code, "message": fault.message}}

    def _no_method(self, params: list[Any]) -> Any:
        raise RpcFault(-32601, "the method does not exist/is not available")

    def _range(self, query: dict[str, Any]) -> tuple[int, int]:
        lo, hi = int(query["fromBlock"], 16), int(query["toBlock"], 16)
        if self.log_range_limit is not None and hi - lo + 1 > self.log_range_limit:
            raise RpcFault(-32005, "query returned more than 10000 results")
        return lo, hi

    def _logs(self, params: list[Any]) -> list[Any]:
        query = params[0]
        lo, hi = self._range(query)
        wanted = query.get("topics", [])
        found = []
        for receipt in self.receipts.values():
            for log in receipt["logs"]:
                if lo <= int(log["blockNumber"], 16) <= hi and _topics_match(wanted,
                                                                             log["topics"]):
                    found.append(log)
        return found

    def _trace_filter(self, params: list[Any]) -> list[Any]:
        if not self.traces:
            return self._no_method(params)  # type: ignore[no-any-return]
        query = params[0]
        lo, hi = self._range(query)
        sources = {a.lower() for a in query.get("fromAddress", [])}
        targets = {a.lower() for a in query.get("toAddress", [])}
        traces = []
        for row in self.txlist:
            block = int(row["blockNumber"])
            if not lo <= block <= hi:
                continue
            if (sources and row["from"] in sources) or (targets and row["to"] in targets):
                traces.append({
                    "action": {"callType": "call", "from": row["from"], "to": row["to"],
                               "gas": hex(int(row["gas"])), "input": row["input"],
                               "value": hex(int(row["value"]))},
                    "blockHash": row["blockHash"], "blockNumber": block,
                    "result": {"gasUsed": hex(int(row["gasUsed"])), "output": "0x"},
                    "subtraces": 0, "traceAddress": [], "transactionHash": row["hash"],
                    "transactionPosition": int(row["transactionIndex"]), "type": "call",
                })
        return traces

    def _block(self, params: list[Any]) -> Any:
        number = int(params[0], 16)
        stamp = self.blocks.get(number)
        if stamp is None:
            for receipt in self.receipts.values():
                for log in receipt["logs"]:
                    if int(log["blockNumber"], 16) == number:
                        stamp = int(log["blockTimestamp"], 16)
        return None if stamp is None else {"number": hex(number), "timestamp": hex(stamp)}

    def _call(self, params: list[Any]) -> str:
        selector = params[0]["data"][:10]
        if selector == "0x313ce567":
            return "0x" + encode(["uint8"], [6]).hex()
        if selector == "0x95d89b41":
            return "0x" + encode(["string"], ["USDT"]).hex()
        if selector == "0x06fdde03":
            return "0x" + encode(["string"], ["Tether USD"]).hex()
        raise RpcFault(3, "execution reverted")

    def count(self, method: str) -> int:
        return sum(1 for m, _ in self.requests if m == method)


def _topics_match(wanted: list[Any], topics: list[str]) -> bool:
    for position, want in enumerate(wanted):
        if want is None:
            continue
        if position >= len(topics):
            return False
        options = want if isinstance(want, list) else [want]
        if topics[position].lower() not in [o.lower() for o in options]:
            return False
    return True


def _tx_from_txlist(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "blockHash": row["blockHash"], "blockNumber": hex(int(row["blockNumber"])),
        "from": row["from"], "gas": hex(int(row["gas"])),
        "gasPrice": hex(int(row["gasPrice"])), "hash": row["hash"], "input": row["input"],
        "nonce": hex(int(row["nonce"])), "to": row["to"] or None,
        "transactionIndex": hex(int(row["transactionIndex"])),
        "value": hex(int(row["value"])), "type": "0x0",
    }
