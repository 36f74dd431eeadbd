"""Find and fetch every transaction touching a wallet with JSON-RPC alone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError

from chains.evm.balances import BalanceQuery, balance_call
from chains.evm.mappers import (
    block_timestamp,
    hex_int,
    internal_from_ots,
    internal_from_trace,
    raw_tx_from_json,
    untrusted_text,
)
from chains.evm.rpc import RpcCallError, RpcClient
from scanner.errors import SourceError, SourceInconsistent, SourceUnavailable
from scanner.types import InternalTransfer, RawTx, TokenInfo

TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
TRANSFER_SINGLE = "0xc3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62"
TRANSFER_BATCH = "0x4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb"

SEL_DECIMALS = "0x313ce567"
SEL_SYMBOL = "0x95d89b41"
SEL_NAME = "0x06fdde03"


class Progress(Protocol):
    def start(self, label: str, total: int | None) -> None: ...
    def advance(self, amount: int = 1) -> None: ...


class NoProgress:
    def start(self, label: str, total: int | None) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass


@dataclass(frozen=True)
class Discovery:
    tx_hashes: frozenset[str]
    internal: Mapping[str, tuple[InternalTransfer, ...]]
    address_index: str | None  # "trace_filter", "ots", or None when the node has neither
    notes: tuple[str, ...] = field(default=())
    complete: bool = True  # False: the source has not indexed all of the range yet


class ChainSource(Protocol):
    """Where a scan gets its records: a node, an explorer, or both."""

    def chain_id(self) -> int: ...
    def head(self) -> int: ...
    def discover(self, wallet: str, from_block: int, to_block: int) -> Discovery: ...
    def fetch(self, chain_id: int, tx_hashes: Iterable[str],
              internal: Mapping[str, tuple[InternalTransfer, ...]]) -> list[RawTx]: ...
    def token_info(self, chain_id: int, tokens: Sequence[str]) -> list[TokenInfo]: ...
    def balances_at(self, token: str, wallet: str,
                    blocks: Iterable[int]) -> dict[int, tuple[datetime, int]] | None:
        """`wallet`'s balance of the ERC-20 `token` at the end of each block, with the
        block's time; blocks the source could not read (pruned state) are left out. None:
        this source cannot read past balances at all (an explorer without a node)."""
        ...


def topic_for(address: str) -> str:
    return "0x" + address.lower().removeprefix("0x").rjust(64, "0")


class RpcSource:
    def __init__(self, client: RpcClient, progress: Progress | None = None) -> None:
        self.client = client
        self.progress: Progress = progress or NoProgress()

    def chain_id(self) -> int:
        return hex_int(self.client.call("eth_chainId", []), "a chain id")

    def head(self) -> int:
        return hex_int(self.client.call("eth_blockNumber", []), "a block number")

    # ---- discovery ------------------------------------------------------------------

    def discover(self, wallet: str, from_block: int, to_block: int) -> Discovery:
        hashes: set[str] = set()
        notes: list[str] = []
        for log in self._logs(wallet, from_block, to_block):
            hashes.add(str(log["transactionHash"]).lower())
        index, internal = self._address_index(wallet, from_block, to_block, hashes)
        if index is None:
            notes.append(
                "this node has no address index (trace_filter or ots_searchTransactions): "
                "native transfers, internal transfers and transactions without a token "
                "transfer (approvals, failed transactions and their gas) are not seen"
            )
        return Discovery(frozenset(hashes), internal, index, tuple(notes))

    def _logs(self, wallet: str, lo: int, hi: int) -> list[dict[str, Any]]:
        me = topic_for(wallet)
        filters: list[dict[str, Any]] = [
            {"topics": [TRANSFER, me]},
            {"topics": [TRANSFER, None, me]},
            {"topics": [[TRANSFER_SINGLE, TRANSFER_BATCH], None, me]},
            {"topics": [[TRANSFER_SINGLE, TRANSFER_BATCH], None, None, me]},
        ]
        results = self._ranged("eth_getLogs", filters, lo, hi, "token transfers")
        for log in results:
            if not isinstance(log, Mapping) or not isinstance(log.get("transactionHash"), str):
                raise SourceInconsistent("node sent a log without a transaction hash")
        return results

    def _ranged(
        self, method: str, filters: Sequence[Mapping[str, Any]], lo: int, hi: int, label: str
    ) -> list[Any]:
        """Run each filter over [lo, hi], halving the block span whenever the node refuses."""
        out: list[Any] = []
        if hi < lo:
            return out
        self.progress.start(f"{label}: blocks {lo:,}-{hi:,}", hi - lo + 1)
        span = hi - lo + 1
        start = lo
        while start <= hi:
            end = min(hi, start + span - 1)
            calls = [(method, [{**f, "fromBlock": hex(start), "toBlock": hex(end)}])
                     for f in filters]
            try:
                results = self.client.batch_lenient(calls)
            except SourceUnavailable:
                if end == start:
                    raise
                span = max(1, (end - start + 1) // 2)
                continue
            failed = [r for r in results if isinstance(r, RpcCallError)]
            if failed:
                if end == start or failed[0].method_missing:
                    raise failed[0]
                span = max(1, (end - start + 1) // 2)
                continue
            for result in results:
                if not isinstance(result, list):
                    raise SourceInconsistent(f"{method} did not answer with a list")
                out.extend(result)
            self.progress.advance(end - start + 1)
            start = end + 1
        return out

    def _address_index(
        self, wallet: str, lo: int, hi: int, hashes: set[str]
    ) -> tuple[str | None, dict[str, tuple[InternalTransfer, ...]]]:
        try:
            return "trace_filter", self._traces(wallet, lo, hi, hashes)
        except RpcCallError as exc:
            if not exc.method_missing:
                raise
        try:
            return "ots", self._ots(wallet, lo, hi, hashes)
        except RpcCallError as exc:
            if not exc.method_missing:
                raise
        return None, {}

    def _traces(
        self, wallet: str, lo: int, hi: int, hashes: set[str]
    ) -> dict[str, tuple[InternalTransfer, ...]]:
        filters = [{"fromAddress": [wallet]}, {"toAddress": [wallet]}]
        traces = self._ranged("trace_filter", filters, lo, hi, "native and internal transfers")
        internal: dict[str, dict[str, InternalTransfer]] = {}
        for trace in traces:
            if not isinstance(trace, Mapping) or not isinstance(trace.get("transactionHash"), str):
                continue  # block rewards and the like carry no transaction
            tx_hash = str(trace["transactionHash"]).lower()
            hashes.add(tx_hash)
            transfer = internal_from_trace(trace)
            if transfer is not None:
                internal.setdefault(tx_hash, {})[transfer.trace_address] = transfer
        return {h: tuple(t.values()) for h, t in internal.items()}

    def _ots(
        self, wallet: str, lo: int, hi: int, hashes: set[str]
    ) -> dict[str, tuple[InternalTransfer, ...]]:
        found: list[str] = []
        cursor = max(lo - 1, 0)
        self.progress.start("native and internal transfers (ots)", None)
        while True:
            page = self.client.call("ots_searchTransactionsAfter", [wallet, cursor, 100])
            txs = page.get("txs") if isinstance(page, Mapping) else None
            if not isinstance(txs, list):
                raise SourceInconsistent("ots_searchTransactionsAfter did not list transactions")
            newest = cursor
            for tx in txs:
                block = hex_int(tx.get("blockNumber"), "a block number")
                newest = max(newest, block)
                if lo <= block <= hi:
                    found.append(str(tx.get("hash")).lower())
            self.progress.advance(len(txs))
            if not txs or page.get("lastPage") or newest > hi or newest == cursor:
                break
            cursor = newest
        hashes.update(found)
        ops = self.client.batch([("ots_getInternalOperations", [h]) for h in found])
        return {h: tuple(internal_from_ots(h, o or [])) for h, o in zip(found, ops, strict=True)}

    # ---- fetching -------------------------------------------------------------------

    def fetch(
        self, chain_id: int, tx_hashes: Iterable[str],
        internal: Mapping[str, tuple[InternalTransfer, ...]],
    ) -> list[RawTx]:
        ordered = sorted(tx_hashes)
        if not ordered:
            return []
        self.progress.start("transactions and receipts", len(ordered))
        pairs: list[Any] = []
        step = max(1, self.client.batch_size // 2)
        for start in range(0, len(ordered), step):
            chunk = ordered[start : start + step]
            calls: list[tuple[str, list[Any]]] = []
            for tx_hash in chunk:
                calls.append(("eth_getTransactionByHash", [tx_hash]))
                calls.append(("eth_getTransactionReceipt", [tx_hash]))
            pairs.extend(self.client.batch(calls))
            self.progress.advance(len(chunk))
        txs, receipts = pairs[0::2], pairs[1::2]
        blocks = sorted({hex_int(r.get("blockNumber"), "a block number")
                         for r in receipts if isinstance(r, Mapping)})
        stamps = dict(zip(blocks, self.client.batch(
            [("eth_getBlockByNumber", [hex(b), False]) for b in blocks]), strict=True))
        records = []
        for tx_hash, tx, receipt in zip(ordered, txs, receipts, strict=True):
            if not isinstance(receipt, Mapping):
                raise SourceInconsistent(f"node has no receipt for {tx_hash}")
            number = hex_int(receipt.get("blockNumber"), "a block number")
            records.append(raw_tx_from_json(
                chain_id, tx, receipt, block_timestamp(stamps.get(number), number),
                internal.get(tx_hash, ()),
            ))
        return sorted(records, key=lambda r: (r.block_number, r.tx_index))

    def balances_at(self, token: str, wallet: str,
                    blocks: Iterable[int]) -> dict[int, tuple[datetime, int]]:
        wanted = sorted(set(blocks))
        if not wanted:
            return {}
        query = BalanceQuery(wallet, "erc20", token)
        self.progress.start(f"balances of {token}", len(wanted))
        found: dict[int, tuple[datetime, int]] = {}
        step = max(1, self.client.batch_size // 2)
        for start in range(0, len(wanted), step):
            chunk = wanted[start : start + step]
            calls: list[tuple[str, list[Any]]] = []
            for number in chunk:
                calls.append(balance_call(query, hex(number)))
                calls.append(("eth_getBlockByNumber", [hex(number), False]))
            answers = self.client.batch_lenient(calls)
            for number, balance, block in zip(chunk, answers[0::2], answers[1::2],
                                              strict=True):
                value = _uint(balance)
                if value is not None and not isinstance(block, RpcCallError):
                    found[number] = (block_timestamp(block, number), value)
            self.progress.advance(len(chunk))
        return found

    def token_info(self, chain_id: int, tokens: Sequence[str]) -> list[TokenInfo]:
        calls = [("eth_call", [{"to": token, "data": selector}, "latest"])
                 for token in tokens for selector in (SEL_DECIMALS, SEL_SYMBOL, SEL_NAME)]
        answers = self.client.batch_lenient(calls) if calls else []
        infos = []
        for i, token in enumerate(tokens):
            decimals, symbol, name = answers[3 * i : 3 * i + 3]
            infos.append(TokenInfo(chain_id, token.lower(), _text(symbol), _text(name),
                                   _decimals(decimals)))
        return infos


def _uint(answer: Any) -> int | None:
    """A uint256 an eth_call returned; "0x" (no contract at that block yet) is 0; None when
    the node could not answer (an error: often state it no longer keeps)."""
    if not isinstance(answer, str) or not answer.startswith("0x"):
        return None
    try:
        return int(answer[2:66] or "0", 16)
    except ValueError:
        return None


def _decimals(answer: Any) -> int | None:
    if isinstance(answer, SourceError) or not isinstance(answer, str) or len(answer) < 3:
        return None
    try:
        value = int(answer, 16)
    except ValueError:
        return None
    return value if 0 <= value <= 77 else None


def _text(answer: Any) -> str | None:
    """An ERC-20 name or symbol: an ABI string, or a bytes32 from older tokens."""
    if isinstance(answer, SourceError) or not isinstance(answer, str) or len(answer) < 3:
        return None
    try:
        raw = bytes.fromhex(answer[2:])
    except ValueError:
        return None
    text: str | None = None
    try:
        (text,) = abi_decode(["string"], raw)
    except (DecodingError, OverflowError, ValueError, UnicodeDecodeError):
        if len(raw) == 32:
            text = raw.rstrip(b"\0").decode("utf-8", errors="replace")
    return untrusted_text(text)
