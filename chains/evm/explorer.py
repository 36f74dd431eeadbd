"""Etherscan V2 and Blockscout's Etherscan-compatible API: rows, paging, limits, errors.

Explorer rows mostly tell which transactions touch a wallet. The legs come from receipts
(explorer rows carry no log index, so two identical transfers in one transaction could
not be told apart): from the node when one is named, else in JSON-RPC batches from the
chain's public RPC while it answers, else from the explorer's proxy module (three calls
a transaction), where a transaction whose txlist row is the whole record
(chains.evm.txlist: failed ones and plain transfers, which have no logs) is not asked for.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
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
from chains.evm.public import Prefetch, PublicRpc
from chains.evm.records import EvmDiscovery, InternalTransfer, RawTx, TokenInfo
from chains.evm.txlist import row_hash, whole_record
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
    """Discovery through an explorer; receipts from the named node, else in batches from the
    chain's public RPC (`public`) while it answers, else through the explorer's proxy."""

    def __init__(self, client: ExplorerClient, rpc: RpcSource | None = None,
                 progress: Progress | None = None,
                 concurrency: int = DEFAULT_CONCURRENCY, *,
                 public: PublicRpc | None = None) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency is at least 1, not {concurrency}")
        self.client = client
        self.rpc = rpc
        self.public = None if rpc is not None else public
        self.progress: Progress = progress or NoProgress()
        self.concurrency = concurrency  # proxy calls in flight; the key's rate limit holds
        self._tokens: dict[str, TokenInfo] = {}
        self._whole: dict[str, RawTx] = {}  # transactions whose txlist row is the record
        self._ahead: Prefetch | None = None  # records read ahead for the last discovery
        self._explorer_checked = False

    def _read_ahead(self) -> Prefetch | None:
        node = self._node()
        if node is None:
            return None
        quiet = RpcSource(node.client, NoProgress(), node.concurrency)
        chain_id = self.client.config.chain_id
        return Prefetch(lambda tx_hashes: quiet.fetch(chain_id, tx_hashes, {}, self.receipt))

    def chain_id(self) -> int:
        expected = self.client.config.chain_id
        if self.rpc is not None:
            actual = self.rpc.chain_id()
            if actual != expected:
                raise SourceInconsistent(
                    f"the RPC node serves chain {actual}, the explorer chain {expected}")
        elif self.public is None or not self.public.usable:
            self._check_explorer_chain()
        return expected

    def _check_explorer_chain(self) -> None:
        """That the explorer's proxy serves the chain asked for, when it says (not every
        explorer answers eth_chainId), before its first answer is used. A node checks it
        otherwise: a transaction another chain's explorer listed is not on it."""
        if self._explorer_checked or self.rpc is not None:
            return
        self._explorer_checked = True
        try:
            said = self.client.proxy("eth_chainId")
            said = None if said is None else hex_int(said, "a chain id")
        except SourceInconsistent:
            return
        if said is not None and said != self.client.config.chain_id:
            raise SourceInconsistent(f"{self.client.where} serves chain {said}, not chain "
                                     f"{self.client.config.chain_id}")

    def _proxy(self, action: str, **params: Any) -> Any:
        self._check_explorer_chain()
        return self.client.proxy(action, **params)

    def head(self) -> int:
        if self.rpc is not None:
            return self.rpc.head()
        found = self.public.ask(lambda node: node.head()) \
            if self.public is not None and self.public.usable else None
        return found if found is not None else hex_int(self._proxy("eth_blockNumber"),
                                                       "a block number")

    def discover(self, wallet: str, from_block: int, to_block: int) -> EvmDiscovery:
        hashes: set[str] = set()
        internal: dict[str, dict[str, InternalTransfer]] = {}
        notes: list[str] = []
        blocks: dict[str, int] = {}
        complete = True
        listed: dict[str, dict[str, Any]] = {}  # txlist rows by hash
        busy: set[str] = set()  # hashes with token or internal rows: their receipts count
        self._ahead = self._read_ahead()
        for action in ACCOUNT_ACTIONS:
            self.progress.start(f"{action}: blocks {from_block:,}-{to_block:,}", None)
            page = self.client.account_rows(action, wallet, from_block, to_block, self.progress)
            if page.partial:
                complete = False
                notes.append(f"the explorer has not processed every {action} row of this "
                             "range yet: scan again later")
            for position, row in enumerate(page.rows):
                tx_hash = row_hash(row)
                hashes.add(tx_hash)
                if str(row.get("blockNumber", "")).isdecimal():  # "²" is a digit, no number
                    blocks[tx_hash] = int(str(row["blockNumber"]))
                if action == "txlistinternal":
                    busy.add(tx_hash)
                    transfer = internal_from_row(row, position)
                    if transfer is not None:
                        internal.setdefault(tx_hash, {})[transfer.trace_address] = transfer
                elif action == "txlist":
                    listed[tx_hash] = row
                else:
                    busy.add(tx_hash)
                    self._remember_token(row, action)
            if self._ahead is not None:
                self._ahead.add(hashes)
        config = self.client.config
        for tx_hash, row in listed.items():
            record = None if tx_hash in busy else whole_record(config.chain_id, config.flavor,
                                                               row)
            if record is not None and record.tx_hash == tx_hash:
                self._whole[tx_hash] = record
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

    def _node(self) -> RpcSource | None:
        """The node receipts come from: the named one, else the public RPC while it answers."""
        if self.rpc is not None:
            return self.rpc
        return self.public.node if self.public is not None and self.public.usable else None

    def fetch(self, chain_id: int, tx_hashes: Iterable[str],
              internal: Mapping[str, tuple[InternalTransfer, ...]]) -> list[RawTx]:
        """The records of `tx_hashes`: from receipts, in batches from a node (read ahead
        during discovery where it could); or, through the explorer's proxy, those the
        txlist rows do not give whole."""
        wanted = sorted(set(tx_hashes))
        records = []
        if self._ahead is not None:
            for tx_hash in wanted:
                found = self._ahead.take(tx_hash)
                if found is not None and found.chain_id == chain_id:
                    records.append(replace(found, internal=internal.get(tx_hash, ())))
        done = {tx.tx_hash for tx in records}
        records += self._fetch(chain_id, [h for h in wanted if h not in done], internal)
        return sorted(records, key=lambda r: (r.block_number, r.tx_index))

    def _fetch(self, chain_id: int, wanted: list[str],
               internal: Mapping[str, tuple[InternalTransfer, ...]]) -> list[RawTx]:
        if not wanted:
            return []
        if self.rpc is not None:
            return self.rpc.fetch(chain_id, wanted, internal, self.receipt)
        if self.public is not None and self.public.usable:
            found = self.public.ask(
                lambda node: node.fetch(chain_id, wanted, internal, self.receipt))
            if found is not None:
                return found
        whole = [self._whole[h] for h in wanted if h in self._whole and not internal.get(h)
                 and chain_id == self._whole[h].chain_id]
        known = {tx.tx_hash for tx in whole}
        return whole + self._through_proxy(chain_id, [h for h in wanted if h not in known],
                                           internal)

    def _through_proxy(self, chain_id: int, ordered: Sequence[str],
                       internal: Mapping[str, tuple[InternalTransfer, ...]]) -> list[RawTx]:
        if not ordered:
            return []
        self.progress.start("transactions and receipts (explorer proxy)", len(ordered))

        def pair(tx_hash: str) -> tuple[Any, Any]:
            return self._proxy("eth_getTransactionByHash", txhash=tx_hash), \
                self.receipt(tx_hash)

        pairs = in_order(pair, ordered, self.concurrency, lambda _: self.progress.advance())
        numbers = [hex_int(receipt.get("blockNumber"), "a block number") for _, receipt in pairs]
        blocks = sorted(set(numbers))
        stamps = dict(zip(blocks, in_order(
            lambda number: self._proxy("eth_getBlockByNumber", tag=hex(number),
                                       boolean="false"),
            blocks, self.concurrency), strict=True))
        return [raw_tx_from_json(chain_id, tx, receipt, block_timestamp(stamps[number], number),
                                 internal.get(tx_hash, ()))
                for tx_hash, (tx, receipt), number in zip(ordered, pairs, numbers, strict=True)]

    def receipt(self, tx_hash: str) -> Mapping[str, Any]:
        """A transaction's receipt through the explorer's proxy module."""
        receipt = self._proxy("eth_getTransactionReceipt", txhash=tx_hash)
        if not isinstance(receipt, Mapping):
            raise SourceInconsistent(f"explorer has no receipt for {tx_hash}")
        return receipt

    def block_hashes(self, blocks: Iterable[int]) -> dict[int, str]:
        if self.rpc is not None:
            return self.rpc.block_hashes(blocks)
        wanted = sorted(set(blocks))
        if self.public is not None and self.public.usable:
            found = self.public.ask(lambda node: node.block_hashes(wanted))
            if found is not None:
                return found
        hashes = {}
        for number in wanted:
            block = self._proxy("eth_getBlockByNumber", tag=hex(number), boolean="false")
            if block is not None:
                hashes[number] = block_hash(block, number)
        return hashes

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
