"""One wallet's transaction as a node and an explorer tell it, in their real JSON shapes,
with any field replaceable by a hostile value; served through `responses`.

The wallet sends a transaction to a token contract (native value and gas), receives an
ERC-20 Transfer from the contract's sender and native value from the contract (a trace).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import responses
from eth_abi.abi import encode
from hypothesis import strategies as st

from tests.fuzz.common import UINT256_MAX, UNICODE_TEXT

NODE = "http://node.fuzz/rpc"
EXPLORER = "https://explorer.fuzz/api"
WALLET = "0x" + "11" * 20
SENDER = "0x" + "22" * 20
TOKEN = "0x" + "33" * 20
TX = "0x" + "44" * 32
BLOCK = 100
HEAD = 130
STAMP = 1_700_000_000  # 2023-11-14, after the seeded ETH price
TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
Path_ = tuple[str | int, ...]


def block_hash(number: int) -> str:
    return "0x" + f"{number:064x}"[::-1]


def topic(address: str) -> str:
    return "0x" + address[2:].rjust(64, "0")


@dataclass(frozen=True)
class Amounts:
    """The valid figures of the world: native value, gas, the token transfer, the trace."""

    value: int
    gas_used: int
    gas_price: int
    token_amount: int
    internal_value: int
    decimals: int
    symbol: str
    name: str


# A native coin with a price: amounts a chain could hold (below 1e27 wei). The unpriced
# token takes any uint256.
amounts = st.builds(
    Amounts,
    value=st.integers(0, 10**27),
    gas_used=st.integers(0, 2**32),
    gas_price=st.integers(0, 10**16),
    token_amount=st.one_of(st.integers(0, UINT256_MAX), st.just(UINT256_MAX)),
    internal_value=st.integers(0, 10**27),
    decimals=st.one_of(st.integers(0, 255), st.just(18)),
    symbol=st.one_of(UNICODE_TEXT, st.sampled_from(["USDT\u202e", "\x00", "a" * 300, "ΞTH"])),
    name=UNICODE_TEXT,
)


PLAIN = Amounts(value=10**18, gas_used=21_000, gas_price=10**9, token_amount=UINT256_MAX,
               internal_value=5, decimals=18, symbol="TKN", name="Token")


@dataclass
class World:
    """The answers, as JSON-ready values; `faults` replace some whole HTTP answers."""

    amounts: Amounts
    tx: dict[str, Any] = field(default_factory=dict)
    receipt: dict[str, Any] = field(default_factory=dict)
    traces: list[dict[str, Any]] = field(default_factory=list)
    rows: dict[str, list[Any]] = field(default_factory=dict)
    envelope: dict[str, Any] = field(default_factory=dict)  # explorer answer overrides
    torn: set[str] = field(default_factory=set)  # methods answered with torn JSON
    erroring: set[str] = field(default_factory=set)  # methods answered with an RPC error

    def block(self, number: int) -> dict[str, Any]:
        return {"number": hex(number), "hash": block_hash(number),
                "parentHash": block_hash(number - 1),
                "timestamp": hex(STAMP + 12 * (number - BLOCK))}


def world(a: Amounts) -> World:
    log = {"address": TOKEN, "topics": [TRANSFER, topic(SENDER), topic(WALLET)],
           "data": "0x" + a.token_amount.to_bytes(32, "big").hex(), "logIndex": "0x0",
           "blockNumber": hex(BLOCK), "blockHash": block_hash(BLOCK), "transactionHash": TX,
           "transactionIndex": "0x0", "removed": False}
    tx = {"hash": TX, "blockNumber": hex(BLOCK), "blockHash": block_hash(BLOCK),
          "from": WALLET, "to": TOKEN, "value": hex(a.value), "gasPrice": hex(a.gas_price),
          "gas": "0x5208", "input": "0x", "nonce": "0x0", "transactionIndex": "0x0",
          "type": "0x0"}
    receipt = {"transactionHash": TX, "blockNumber": hex(BLOCK), "blockHash": block_hash(BLOCK),
               "transactionIndex": "0x0", "from": WALLET, "to": TOKEN,
               "gasUsed": hex(a.gas_used), "effectiveGasPrice": hex(a.gas_price),
               "status": "0x1", "contractAddress": None, "logs": [log]}
    top: dict[str, Any] = {
        "action": {"callType": "call", "from": WALLET, "to": TOKEN, "value": hex(a.value),
                   "gas": "0x5208", "input": "0x"},
        "blockHash": block_hash(BLOCK), "blockNumber": BLOCK,
        "result": {"gasUsed": "0x0", "output": "0x"}, "subtraces": 1, "traceAddress": [],
        "transactionHash": TX, "transactionPosition": 0, "type": "call"}
    inner = copy.deepcopy(top)
    inner["action"].update({"from": TOKEN, "to": WALLET, "value": hex(a.internal_value)})
    inner.update({"traceAddress": [0], "subtraces": 0})
    common = {"blockNumber": str(BLOCK), "timeStamp": str(STAMP), "hash": TX,
              "transactionIndex": "0", "blockHash": block_hash(BLOCK)}
    rows: dict[str, list[Any]] = {
        "txlist": [{**common, "from": WALLET, "to": TOKEN, "value": str(a.value),
                    "gas": "21000", "gasPrice": str(a.gas_price), "gasUsed": str(a.gas_used),
                    "isError": "0", "txreceipt_status": "1", "input": "0x",
                    "contractAddress": "", "nonce": "0"}],
        "txlistinternal": [{**common, "from": TOKEN, "to": WALLET,
                            "value": str(a.internal_value), "contractAddress": "",
                            "type": "call", "traceId": "0", "isError": "0", "errCode": ""}],
        "tokentx": [{**common, "from": SENDER, "to": WALLET, "contractAddress": TOKEN,
                     "value": str(a.token_amount), "tokenName": a.name,
                     "tokenSymbol": a.symbol, "tokenDecimal": str(a.decimals)}],
    }
    return World(a, tx, receipt, [top, inner], rows)


# ---- hostile values and where they go ---------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=6)
hostile = st.one_of(
    st.sampled_from([None, -1, 2**256, 2**256 - 1, -(2**255), 2**63, 2**31, 1.5, True, [], {},
                     "", "0x", "-0x1", "0x-1", "zz", "0xzz", "0x" + "f" * 65, "1e3", " 5",
                     "5_0", "\u0661\u0662", "\u00b2", "0x" + "g" * 40, "0X" + "AB" * 20,
                     "0x" + "ab" * 20 + "\x00", TX.upper(), "0x" + "44" * 31, 10**30]),
    json_values, UNICODE_TEXT,
)

# (target, path): fields of the node's and the explorer's answers
NODE_FIELDS: list[tuple[str, Path_]] = [
    *[("tx", (k,)) for k in ("hash", "blockNumber", "from", "to", "value", "gasPrice")],
    *[("receipt", (k,)) for k in ("transactionHash", "blockNumber", "transactionIndex",
                                  "gasUsed", "effectiveGasPrice", "status", "logs",
                                  "contractAddress", "blockHash")],
    *[("receipt", ("logs", 0, k)) for k in ("address", "topics", "data", "logIndex")],
    ("receipt", ("logs", 0)), ("receipt", ("logs", 0, "topics", 1)),
    ("receipt", ("logs", 0, "topics", 2)),
    *[("traces", (1, k)) for k in ("traceAddress", "action", "type", "error",
                                   "transactionHash", "blockNumber")],
    *[("traces", (1, "action", k)) for k in ("value", "from", "to", "callType")],
    ("traces", (1, "traceAddress", 0)), ("traces", (1,)),
    ("tx", ()), ("receipt", ()),
]
EXPLORER_FIELDS: list[tuple[str, Path_]] = [
    *[("rows", ("txlist", 0, k)) for k in ("hash", "blockNumber", "from", "to", "value")],
    *[("rows", ("txlistinternal", 0, k)) for k in ("hash", "from", "to", "value", "traceId",
                                                    "isError", "blockNumber")],
    *[("rows", ("tokentx", 0, k)) for k in ("hash", "contractAddress", "tokenDecimal",
                                             "tokenSymbol", "tokenName", "blockNumber")],
    ("rows", ("tokentx", 0)), ("rows", ("txlist",)),
    *[("envelope", (k,)) for k in ("status", "message", "result")],
]
NODE_METHODS = ("eth_chainId", "eth_blockNumber", "eth_getLogs", "trace_filter",
                "eth_getTransactionByHash", "eth_getTransactionReceipt", "eth_getBlockByNumber",
                "eth_call")
_MISSING = object()


def spoil(w: World, target: str, path: Path_, value: Any) -> None:
    """Put `value` at `path` of an answer, or take the item away when `value` is _MISSING
    (a whole answer taken away is null)."""
    if value is not _MISSING:
        value = copy.deepcopy(value)  # hypothesis may hand the same list to another example
    if not path:
        setattr(w, target, None if value is _MISSING else value)
        return
    holder: Any = getattr(w, target)
    for step in path[:-1]:
        holder = holder[step]
    if value is _MISSING:
        del holder[path[-1]]
    else:
        holder[path[-1]] = value


missing_or_hostile = st.one_of(st.just(_MISSING), hostile, hostile, hostile)


# ---- serving it --------------------------------------------------------------------------

def _abi(kind: str, value: Any) -> str:
    return "0x" + encode([kind], [value]).hex()


class Node:
    def __init__(self, w: World) -> None:
        self.w = w

    def answer(self, method: str, params: list[Any]) -> Any:
        w = self.w
        if method == "eth_chainId":
            return "0x1"
        if method == "eth_blockNumber":
            return hex(HEAD)
        if method == "eth_getLogs":
            topics = params[0].get("topics", [])
            mine = len(topics) > 2 and topics[2] == topic(WALLET) and topics[0] == TRANSFER
            logs = w.receipt.get("logs") if isinstance(w.receipt, Mapping) else None
            return copy.deepcopy(logs) if mine and isinstance(logs, list) else []
        if method == "trace_filter":
            return copy.deepcopy(w.traces)
        if method == "eth_getTransactionByHash":
            return copy.deepcopy(w.tx) if params[0] == TX else None
        if method == "eth_getTransactionReceipt":
            return copy.deepcopy(w.receipt) if params[0] == TX else None
        if method == "eth_getBlockByNumber":
            number = int(params[0], 16)
            return w.block(number) if number <= HEAD else None
        if method == "eth_call":
            selector = params[0]["data"][:10]
            a = w.amounts
            return {"0x313ce567": _abi("uint256", a.decimals),
                    "0x95d89b41": _abi("string", a.symbol),
                    "0x06fdde03": _abi("string", a.name)}.get(selector, "0x")
        raise KeyError(method)

    def reply(self, call: dict[str, Any]) -> dict[str, Any]:
        method = call["method"]
        if method in self.w.erroring:
            return {"jsonrpc": "2.0", "id": call["id"],
                    "error": {"code": -32000, "message": "header not found"}}
        if method in ("ots_searchTransactionsAfter", "ots_getInternalOperations"):
            return {"jsonrpc": "2.0", "id": call["id"],
                    "error": {"code": -32601, "message": "the method does not exist"}}
        return {"jsonrpc": "2.0", "id": call["id"],
                "result": self.answer(method, call.get("params", []))}

    def serve(self, request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        calls = body if isinstance(body, list) else [body]
        text = json.dumps([self.reply(c) for c in calls] if isinstance(body, list)
                          else self.reply(body))
        if any(c["method"] in self.w.torn for c in calls):
            text = text[: len(text) // 2]
        return 200, {}, text


class Explorer:
    """Etherscan's account module from the rows, its proxy module from the node."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.node = Node(w)

    def serve(self, request: Any) -> tuple[int, dict[str, str], str]:
        query = dict(parse_qsl(urlsplit(request.url).query))
        if query.get("module") == "proxy":
            action = query["action"]
            params: list[Any] = [query.get("txhash") or query.get("tag")]
            body: Any = {"jsonrpc": "2.0", "id": 1, "result": self.node.answer(action, params)}
        else:
            rows = self.w.rows.get(query["action"], [])
            body = {"status": "1", "message": "OK", "result": copy.deepcopy(rows)} if rows \
                else {"status": "0", "message": "No transactions found", "result": []}
            if query["action"] == "tokentx":
                body.update(self.w.envelope)
        text = json.dumps(body)
        if query.get("action") in self.w.torn:
            text = text[: len(text) // 2]
        return 200, {}, text


def install(mock: responses.RequestsMock, w: World) -> None:
    mock.add_callback(responses.POST, NODE, callback=Node(w).serve)
    mock.add_callback(responses.GET, re.compile(re.escape(EXPLORER) + r".*"),
                      callback=Explorer(w).serve)
