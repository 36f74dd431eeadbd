"""Etherscan V2 and Blockscout's Etherscan-compatible API: rows, paging, limits, errors.

Explorer rows only tell which transactions touch a wallet. The legs come from receipts
(explorer rows carry no log index, so two identical transfers in one transaction could
not be told apart): from the chain's RPC when one is configured, else from the
explorer's proxy module.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

from chains.errors import SourceInconsistent, SourceRefused, SourceUnavailable
from chains.evm.flavors import Flavor
from chains.evm.mappers import (
    address_of,
    block_hash,
    block_timestamp,
    hex_int,
    raw_tx_from_json,
    untrusted_text,
)
from chains.evm.node import RpcSource
from chains.evm.records import EvmDiscovery, InternalTransfer, RawTx, TokenInfo
from chains.ratelimit import shared_bucket
from chains.retry import RetryPolicy, Transient, raise_if_busy, safe_url, transport_faults
from chains.source import DEFAULT_CONCURRENCY, Discovery, NoProgress, Progress, in_order

FREE_PAGE_SIZE = 1000
FREE_CALLS_PER_SECOND = 3.0
DEFAULT_TIMEOUT_S = 30.0
RETRY = RetryPolicy(backoff_s=0.5, max_wait_s=20.0)
RESULT_WINDOW = 10_000  # Etherscan answers page x offset <= 10,000 rows of one query
ACCOUNT_ACTIONS = ("txlist", "txlistinternal", "tokentx", "tokennfttx", "token1155tx")

# Texts explorers answer instead of an empty list (status "0").
_EMPTY = ("no transactions found", "no internal transactions found",
          "no token transfers found", "no records found", "no data found")
# Texts that mean "wait and ask again".
_TRANSIENT = ("max rate limit", "rate limit reached", "query timeout", "too many requests",
              "timeout", "try again", "temporarily unavailable")
# Texts that mean "this will not work until the user changes something".
_REFUSED = ("invalid api key", "missing/invalid api key", "api key", "not supported",
            "upgrade your api plan", "invalid chain", "chain not supported", "unknown chain")


_TX_HASH = re.compile(r"0x[0-9a-fA-F]{64}")
_TRACE_ID = re.compile(r"[-_.:0-9A-Za-z]{1,64}")  # Etherscan "0_1_1", Blockscout "i4", "p2"


@dataclass(frozen=True)
class ExplorerConfig:
    base_url: str
    flavor: Flavor
    chain_id: int
    api_key: str | None = field(default=None, repr=False)
    calls_per_second: float = FREE_CALLS_PER_SECOND
    page_size: int = FREE_PAGE_SIZE


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    partial: bool  # Blockscout's status "2": some of the range is not processed yet


class ExplorerClient:
    def __init__(self, config: ExplorerConfig, session: requests.Session | None = None, *,
                 timeout_s: float | None = None, attempts: int | None = None,
                 max_wait_s: float | None = None) -> None:
        self.config = config
        self.session = session or requests.Session()
        self.requests_sent = 0
        self._count_lock = threading.Lock()  # calls may come from several threads
        self.timeout_s = timeout_s or DEFAULT_TIMEOUT_S
        self._bucket = shared_bucket(config.base_url, config.api_key, config.calls_per_second)
        self.retry = RETRY.but(attempts=attempts, max_wait_s=max_wait_s)

    @property
    def where(self) -> str:
        return f"explorer at {safe_url(self.config.base_url)}"

    def _redact(self, text: str) -> str:
        key = self.config.api_key
        return text.replace(key, "***") if key else text

    def _params(self, module: str, action: str, params: Mapping[str, Any]) -> dict[str, Any]:
        query: dict[str, Any] = {"module": module, "action": action, **params}
        if self.config.flavor is Flavor.ETHERSCAN:
            query["chainid"] = self.config.chain_id
        if self.config.api_key:
            query["apikey"] = self.config.api_key
        return query

    def _get(self, query: Mapping[str, Any]) -> Any:
        self._bucket.take()
        with self._count_lock:
            self.requests_sent += 1
        with transport_faults():
            answer = self.session.get(self.config.base_url, params=dict(query),
                                      timeout=self.timeout_s)
        raise_if_busy(answer.status_code, answer.headers)
        if answer.status_code in (401, 403):
            raise SourceRefused(f"{self.where} refused the request: HTTP {answer.status_code}"
                                " (check the API key)")
        if answer.status_code >= 400:
            raise SourceUnavailable(f"{self.where} answered HTTP {answer.status_code}")
        try:
            return answer.json()
        except ValueError as exc:
            raise Transient("malformed JSON") from exc

    def _call(self, module: str, action: str, params: Mapping[str, Any]) -> Any:
        query = self._params(module, action, params)
        return self.retry.run(
            lambda: self._interpret(action, self._get(query)),
            lambda cause: f"{self.where} kept failing on {action}: {self._redact(str(cause))}")

    def _said(self, words: Any) -> str:
        """An explorer's own words as our errors quote them: no key, one line, bounded."""
        return " ".join(self._redact(str(words)).split())[:200]

    def _interpret(self, action: str, body: Any) -> Any:
        if not isinstance(body, dict):
            raise SourceInconsistent(f"{self.where} answered {action} with no JSON object")
        if "jsonrpc" in body:  # the proxy module answers with a bare JSON-RPC envelope
            error = body.get("error")
            if error is not None:
                message = self._said(error.get("message", "") if isinstance(error, dict)
                                     else error)
                if any(word in message.lower() for word in _TRANSIENT):
                    raise Transient(message)
                raise SourceInconsistent(f"{self.where}: {action} failed: {message}")
            return body.get("result")
        status = str(body.get("status", ""))
        message = str(body.get("message", ""))
        result = body.get("result")
        if status == "1" or (status == "" and message.upper() == "OK"):
            return Page(list(result or []), False) if isinstance(result, list) else result
        if status == "2" and isinstance(result, list):
            return Page(list(result), True)
        text = self._said(f"{message} {result if isinstance(result, str) else ''}")
        lowered = text.lower()
        if any(word in lowered for word in _EMPTY) or (result == [] and "notok" not in lowered):
            return Page([], False)
        if any(word in lowered for word in _TRANSIENT):
            raise Transient(text)
        if any(word in lowered for word in _REFUSED):
            raise SourceRefused(f"{self.where} refused {action}: {self._redact(text)}")
        raise SourceInconsistent(f"{self.where} answered {action}: {self._redact(text)}")

    # ---- account rows ---------------------------------------------------------------

    def account_rows(self, action: str, address: str, start: int, end: int,
                     progress: Progress | None = None) -> Page:
        """Every row of `action` in [start, end]: page by page up to the explorer's result
        window, then again from the last block seen (its rows read again, deduplicated)."""
        rows: dict[str, dict[str, Any]] = {}
        partial = False
        size = self.config.page_size
        window = max(1, RESULT_WINDOW // size)  # pages of one query the explorer serves
        number = 1
        while True:
            page = self._call("account", action, {
                "address": address, "startblock": start, "endblock": end, "page": number,
                "offset": size, "sort": "asc"})
            if not isinstance(page, Page):
                raise SourceInconsistent(f"{self.where} answered {action} with no row list")
            partial = partial or page.partial
            for row in page.rows:
                if not isinstance(row, dict):
                    raise SourceInconsistent(f"{self.where} sent a {action} row that is no "
                                             "object")
                rows[json.dumps(row, sort_keys=True)] = row
            if progress:
                progress.advance(len(page.rows))
            if len(page.rows) < size:
                return Page(list(rows.values()), partial)
            if number < window:
                number += 1
                continue
            last = hex_int(page.rows[-1].get("blockNumber"), "a block number")
            if last == start:
                raise SourceInconsistent(
                    f"{self.where} has more than {size * window} {action} rows in block "
                    f"{start}: its result window cannot walk past them")
            start, number = last, 1

    # ---- the proxy module (JSON-RPC through the explorer) -------------------------------

    def proxy(self, action: str, **params: Any) -> Any:
        return self._call("proxy", action, params)


def _row_hash(row: Mapping[str, Any]) -> str:
    value = row.get("hash") or row.get("transactionHash")
    if not isinstance(value, str) or not _TX_HASH.fullmatch(value):
        raise SourceInconsistent("explorer sent a row without a transaction hash")
    return value.lower()


def internal_from_row(row: Mapping[str, Any], position: int) -> InternalTransfer | None:
    """A value transfer from a txlistinternal row (Etherscan traceId, Blockscout index)."""
    if str(row.get("isError", "0")) != "0":
        return None
    value = hex_int(row.get("value", "0"), "an internal value")
    target = row.get("to") or row.get("contractAddress")
    source = row.get("from")
    if value == 0 or not target or not source:
        return None
    trace = str(row.get("traceId") or (f"i{row['index']}" if row.get("index") not in (None, "")
                                       else f"p{position}"))
    if not _TRACE_ID.fullmatch(trace):
        raise SourceInconsistent(f"explorer sent an internal transaction whose trace id is "
                                 f"none: {trace[:80]!r}")
    return InternalTransfer(trace, address_of(source, "an internal sender"),
                            address_of(target, "an internal recipient"), value)


class ExplorerSource:
    """Discovery through an explorer; receipts through RPC when given, else its proxy."""

    def __init__(self, client: ExplorerClient, rpc: RpcSource | None = None,
                 progress: Progress | None = None,
                 concurrency: int = DEFAULT_CONCURRENCY) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency is at least 1, not {concurrency}")
        self.client = client
        self.rpc = rpc
        self.progress: Progress = progress or NoProgress()
        self.concurrency = concurrency  # proxy calls in flight; the key's rate limit holds
        self._tokens: dict[str, TokenInfo] = {}

    def chain_id(self) -> int:
        expected = self.client.config.chain_id
        if self.rpc is not None:
            actual = self.rpc.chain_id()
            if actual != expected:
                raise SourceInconsistent(
                    f"the RPC node serves chain {actual}, the explorer chain {expected}")
        elif (said := self._explorer_chain()) is not None and said != expected:
            raise SourceInconsistent(f"{self.client.where} serves chain {said}, not chain "
                                     f"{expected}")
        return expected

    def _explorer_chain(self) -> int | None:
        """The chain the explorer's proxy module says it serves; None when it does not say
        (not every explorer answers eth_chainId)."""
        try:
            said = self.client.proxy("eth_chainId")
            return None if said is None else hex_int(said, "a chain id")
        except SourceInconsistent:
            return None

    def head(self) -> int:
        if self.rpc is not None:
            return self.rpc.head()
        return hex_int(self.client.proxy("eth_blockNumber"), "a block number")

    def discover(self, wallet: str, from_block: int, to_block: int) -> EvmDiscovery:
        hashes: set[str] = set()
        internal: dict[str, dict[str, InternalTransfer]] = {}
        notes: list[str] = []
        blocks: dict[str, int] = {}
        complete = True
        for action in ACCOUNT_ACTIONS:
            self.progress.start(f"{action}: blocks {from_block:,}-{to_block:,}", None)
            page = self.client.account_rows(action, wallet, from_block, to_block, self.progress)
            if page.partial:
                complete = False
                notes.append(f"the explorer has not processed every {action} row of this "
                             "range yet: scan again later")
            for position, row in enumerate(page.rows):
                tx_hash = _row_hash(row)
                hashes.add(tx_hash)
                if str(row.get("blockNumber", "")).isdecimal():  # "²" is a digit, no number
                    blocks[tx_hash] = int(str(row["blockNumber"]))
                if action == "txlistinternal":
                    transfer = internal_from_row(row, position)
                    if transfer is not None:
                        internal.setdefault(tx_hash, {})[transfer.trace_address] = transfer
                elif action != "txlist":
                    self._remember_token(row, action)
        return Discovery(frozenset(hashes),
                         {h: tuple(t.values()) for h, t in internal.items()},
                         "explorer", tuple(notes), complete, blocks)

    def _remember_token(self, row: Mapping[str, Any], action: str) -> None:
        token = row.get("contractAddress")
        if not isinstance(token, str) or len(token) != 42:
            return
        decimals_text = row.get("tokenDecimal")
        decimals = None
        if action == "tokentx" and isinstance(decimals_text, str) \
                and decimals_text.isdecimal() and len(decimals_text) < 4:
            decimals = int(decimals_text) if int(decimals_text) <= 77 else None
        self._tokens[token.lower()] = TokenInfo(
            self.client.config.chain_id, token.lower(), untrusted_text(row.get("tokenSymbol")),
            untrusted_text(row.get("tokenName")), decimals)

    def fetch(self, chain_id: int, tx_hashes: Iterable[str],
              internal: Mapping[str, tuple[InternalTransfer, ...]]) -> list[RawTx]:
        if self.rpc is not None:
            return self.rpc.fetch(chain_id, tx_hashes, internal, self.receipt)
        ordered = sorted(tx_hashes)
        self.progress.start("transactions and receipts (explorer proxy)", len(ordered))

        def pair(tx_hash: str) -> tuple[Any, Any]:
            return self.client.proxy("eth_getTransactionByHash", txhash=tx_hash), \
                self.receipt(tx_hash)

        pairs = in_order(pair, ordered, self.concurrency, lambda _: self.progress.advance())
        numbers = [hex_int(receipt.get("blockNumber"), "a block number") for _, receipt in pairs]
        blocks = sorted(set(numbers))
        stamps = dict(zip(blocks, in_order(
            lambda number: self.client.proxy("eth_getBlockByNumber", tag=hex(number),
                                             boolean="false"),
            blocks, self.concurrency), strict=True))
        records = [raw_tx_from_json(chain_id, tx, receipt,
                                    block_timestamp(stamps[number], number),
                                    internal.get(tx_hash, ()))
                   for tx_hash, (tx, receipt), number in zip(ordered, pairs, numbers,
                                                             strict=True)]
        return sorted(records, key=lambda r: (r.block_number, r.tx_index))

    def receipt(self, tx_hash: str) -> Mapping[str, Any]:
        """A transaction's receipt through the explorer's proxy module."""
        receipt = self.client.proxy("eth_getTransactionReceipt", txhash=tx_hash)
        if not isinstance(receipt, Mapping):
            raise SourceInconsistent(f"explorer has no receipt for {tx_hash}")
        return receipt

    def block_hashes(self, blocks: Iterable[int]) -> dict[int, str]:
        if self.rpc is not None:
            return self.rpc.block_hashes(blocks)
        found = {}
        for number in sorted(set(blocks)):
            block = self.client.proxy("eth_getBlockByNumber", tag=hex(number), boolean="false")
            if block is not None:
                found[number] = block_hash(block, number)
        return found

    def balances_at(self, token: str, wallet: str,
                    blocks: Iterable[int]) -> dict[int, tuple[datetime, int]] | None:
        """Through the node when one is named; an explorer alone cannot read past balances."""
        return self.rpc.balances_at(token, wallet, blocks) if self.rpc is not None else None

    def token_info(self, chain_id: int, tokens: Sequence[str]) -> list[TokenInfo]:
        missing = [t for t in tokens if t.lower() not in self._tokens
                   or self._tokens[t.lower()].decimals is None]
        found = {t.lower(): self._tokens[t.lower()] for t in tokens
                 if t.lower() in self._tokens and t not in missing}
        if missing and self.rpc is not None:
            found.update({i.address: i for i in self.rpc.token_info(chain_id, missing)})
        elif missing:
            found.update({t.lower(): self._tokens.get(t.lower(),
                                                      TokenInfo(chain_id, t.lower(), None, None,
                                                                None)) for t in missing})
        return [found[t.lower()] for t in tokens]
