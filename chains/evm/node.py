"""An EVM node as a chain source: every transaction touching a wallet, found and fetched
with JSON-RPC alone."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError

from chains.errors import SourceError, SourceInconsistent, SourceUnavailable
from chains.evm.abi import (
    SEL_DECIMALS,
    SEL_NAME,
    SEL_SYMBOL,
    TRANSFER,
    TRANSFER_BATCH,
    TRANSFER_SINGLE,
    topic_for,
)
from chains.evm.balances import BalanceQuery, balance_call
from chains.evm.mappers import (
    block_hash,
    block_timestamp,
    hex_int,
    internal_from_ots,
    internal_from_trace,
    lacks_l1_fee,
    raw_tx_from_json,
    untrusted_text,
)
from chains.evm.records import EvmDiscovery, InternalTransfer, RawTx, TokenInfo
from chains.evm.rpc import RpcCallError, RpcClient
from chains.retry import safe_url
from chains.source import DEFAULT_CONCURRENCY, Discovery, NoProgress, Progress, in_order

_T = TypeVar("_T")
_R = TypeVar("_R")


class RpcSource:
    def __init__(self, client: RpcClient, progress: Progress | None = None,
                 concurrency: int = DEFAULT_CONCURRENCY) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency is at least 1, not {concurrency}")
        self.client = client
        self.progress: Progress = progress or NoProgress()
        self.concurrency = concurrency
        self._chain_id: int | None = None  # the first answer: a later one must agree

    def chain_id(self) -> int:
        said = hex_int(self.client.call("eth_chainId", []), "a chain id")
        if self._chain_id is not None and said != self._chain_id:
            raise SourceInconsistent(f"node at {safe_url(self.client.url)} said it serves chain "
                                     f"{self._chain_id}, then chain {said}")
        self._chain_id = said
        return said

    def head(self) -> int:
        return hex_int(self.client.call("eth_blockNumber", []), "a block number")

    # ---- discovery ------------------------------------------------------------------

    def discover(self, wallet: str, from_block: int, to_block: int) -> EvmDiscovery:
        hashes: set[str] = set()
        notes: list[str] = []
        blocks: dict[str, int] = {}
        for log in self._logs(wallet, from_block, to_block):
            tx_hash = str(log["transactionHash"]).lower()
            hashes.add(tx_hash)
            _note_block(blocks, tx_hash, log)
        index, internal = self._address_index(wallet, from_block, to_block, hashes, blocks)
        if index is None:
            notes.append(
                "this node has no address index (trace_filter or ots_searchTransactions): "
                "native transfers, internal transfers and transactions without a token "
                "transfer (approvals, failed transactions and their gas) are not seen"
            )
        return Discovery(frozenset(hashes), internal, index, tuple(notes), blocks=blocks)

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
        self, wallet: str, lo: int, hi: int, hashes: set[str], blocks: dict[str, int]
    ) -> tuple[str | None, dict[str, tuple[InternalTransfer, ...]]]:
        try:
            return "trace_filter", self._traces(wallet, lo, hi, hashes, blocks)
        except RpcCallError as exc:
            if not exc.method_missing:
                raise
        try:
            return "ots", self._ots(wallet, lo, hi, hashes, blocks)
        except RpcCallError as exc:
            if not exc.method_missing:
                raise
        return None, {}

    def _traces(
        self, wallet: str, lo: int, hi: int, hashes: set[str], blocks: dict[str, int]
    ) -> dict[str, tuple[InternalTransfer, ...]]:
        filters = [{"fromAddress": [wallet]}, {"toAddress": [wallet]}]
        traces = self._ranged("trace_filter", filters, lo, hi, "native and internal transfers")
        internal: dict[str, dict[str, InternalTransfer]] = {}
        for trace in traces:
            if not isinstance(trace, Mapping) or not isinstance(trace.get("transactionHash"), str):
                continue  # block rewards and the like carry no transaction
            tx_hash = str(trace["transactionHash"]).lower()
            hashes.add(tx_hash)
            _note_block(blocks, tx_hash, trace)
            transfer = internal_from_trace(trace)
            if transfer is not None:
                internal.setdefault(tx_hash, {})[transfer.trace_address] = transfer
        return {h: tuple(t.values()) for h, t in internal.items()}

    def _ots(
        self, wallet: str, lo: int, hi: int, hashes: set[str], blocks: dict[str, int]
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
                if not isinstance(tx, Mapping):
                    raise SourceInconsistent("ots_searchTransactionsAfter listed a "
                                             "transaction that is not an object")
                block = hex_int(tx.get("blockNumber"), "a block number")
                newest = max(newest, block)
                if lo <= block <= hi:
                    found.append(str(tx.get("hash")).lower())
                    blocks[found[-1]] = block
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
        receipt_elsewhere: Callable[[str], Any] | None = None,
    ) -> list[RawTx]:
        """The transactions with their receipts. `receipt_elsewhere(tx_hash)` (an explorer's
        proxy) is asked for the receipts in which the node leaves out the L1 data fee."""
        ordered = sorted(tx_hashes)
        if not ordered:
            return []
        self.progress.start("transactions and receipts", len(ordered))
        step = max(1, self.client.batch_size // 2)

        def pairs_of(chunk: Sequence[str]) -> list[Any]:
            return self.client.batch([(method, [tx_hash]) for tx_hash in chunk for method in
                                      ("eth_getTransactionByHash", "eth_getTransactionReceipt")])

        pairs = [answer for answers in self._in_batches(pairs_of, ordered, step)
                 for answer in answers]
        txs, receipts = pairs[0::2], pairs[1::2]
        blocks = sorted({hex_int(r.get("blockNumber"), "a block number")
                         for r in receipts if isinstance(r, Mapping)})

        def blocks_of(chunk: Sequence[int]) -> list[Any]:
            return self.client.batch([("eth_getBlockByNumber", [hex(b), False]) for b in chunk])

        read = in_order(blocks_of, _chunks(blocks, self.client.batch_size), self.concurrency)
        stamps = dict(zip(blocks, [block for chunk in read for block in chunk], strict=True))
        records = []
        for tx_hash, tx, receipt in zip(ordered, txs, receipts, strict=True):
            if not isinstance(receipt, Mapping):
                raise SourceInconsistent(f"node has no receipt for {tx_hash}")
            number = hex_int(receipt.get("blockNumber"), "a block number")
            if receipt_elsewhere is not None and isinstance(tx, Mapping) \
                    and lacks_l1_fee(chain_id, tx, receipt):
                receipt = receipt_elsewhere(tx_hash)
                if not isinstance(receipt, Mapping) or \
                        hex_int(receipt.get("blockNumber"), "a block number") != number:
                    raise SourceInconsistent(f"node and explorer disagree on the block of "
                                             f"{tx_hash}")
            records.append(raw_tx_from_json(
                chain_id, tx, receipt, block_timestamp(stamps.get(number), number),
                internal.get(tx_hash, ()),
            ))
        return sorted(records, key=lambda r: (r.block_number, r.tx_index))

    def block_hashes(self, blocks: Iterable[int]) -> dict[int, str]:
        wanted = sorted(set(blocks))
        answers = self.client.batch([("eth_getBlockByNumber", [hex(n), False])
                                     for n in wanted]) if wanted else []
        return {n: block_hash(answer, n) for n, answer in zip(wanted, answers, strict=True)
                if answer is not None}

    def balances_at(self, token: str, wallet: str,
                    blocks: Iterable[int]) -> dict[int, tuple[datetime, int]]:
        wanted = sorted(set(blocks))
        if not wanted:
            return {}
        query = BalanceQuery(wallet, "erc20", token)
        self.progress.start(f"balances of {token}", len(wanted))
        step = max(1, self.client.batch_size // 2)

        def read(chunk: Sequence[int]) -> list[Any]:
            return self.client.batch_lenient([call for number in chunk for call in (
                balance_call(query, hex(number)), ("eth_getBlockByNumber", [hex(number), False]))])

        answers = [answer for found in self._in_batches(read, wanted, step) for answer in found]
        found: dict[int, tuple[datetime, int]] = {}
        for number, balance, block in zip(wanted, answers[0::2], answers[1::2], strict=True):
            value = _uint(balance)
            if value is not None and not isinstance(block, RpcCallError):
                found[number] = (block_timestamp(block, number), value)
        return found

    def _in_batches(self, work: Callable[[Sequence[_T]], _R], items: Sequence[_T],
                    step: int) -> list[_R]:
        """`work` on each chunk of `step` items, `concurrency` chunks at a time, results in
        order; progress advances on this thread as each chunk is done."""
        return in_order(work, _chunks(items, step), self.concurrency,
                        lambda chunk: self.progress.advance(len(chunk)))

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


def _chunks(items: Sequence[_T], size: int) -> list[Sequence[_T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _note_block(blocks: dict[str, int], tx_hash: str, item: Mapping[str, Any]) -> None:
    """Remember the block a log or trace names for its transaction; the receipt, fetched
    later, is what counts, so an item without one is no error here."""
    if item.get("blockNumber") is not None:
        blocks[tx_hash] = hex_int(item.get("blockNumber"), "a block number")


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
