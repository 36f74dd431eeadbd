"""Pure mappings from JSON-RPC answers to chain records. No I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from scanner.errors import SourceInconsistent
from scanner.types import InternalTransfer, RawLog, RawTx

_VALUE_CALL_TYPES = {"call", "callcode"}
MAX_TEXT = 128


def untrusted_text(value: Any) -> str | None:
    """A token's name or symbol as the chain gave it: printable characters only, bounded."""
    if not isinstance(value, str):
        return None
    return "".join(ch for ch in value if ch.isprintable())[:MAX_TEXT] or None


def hex_int(value: Any, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value, 16) if value.lower().startswith("0x") else int(value)
        except ValueError:
            pass
    raise SourceInconsistent(f"node sent {what} that is not a number: {value!r}")


def _address(value: Any, what: str) -> str:
    if not isinstance(value, str) or len(value) != 42 or not value.startswith("0x"):
        raise SourceInconsistent(f"node sent {what} that is not an address: {value!r}")
    return value.lower()


def _hex(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise SourceInconsistent(f"node sent {what} that is not hex: {value!r}")
    return value.lower()


def log_from_json(obj: Mapping[str, Any]) -> RawLog:
    topics = obj.get("topics")
    if not isinstance(topics, list):
        raise SourceInconsistent("node sent a log without topics")
    return RawLog(
        log_index=hex_int(obj.get("logIndex"), "a log index"),
        address=_address(obj.get("address"), "a log address"),
        topics=tuple(_hex(t, "a topic") for t in topics),
        data=_hex(obj.get("data", "0x"), "log data"),
    )


def block_timestamp(block: Mapping[str, Any] | None, number: int) -> datetime:
    if not isinstance(block, Mapping):
        raise SourceInconsistent(f"node does not know block {number}")
    return datetime.fromtimestamp(hex_int(block.get("timestamp"), "a block timestamp"), tz=UTC)


def internal_from_trace(trace: Mapping[str, Any]) -> InternalTransfer | None:
    """A value-moving subcall from a Parity-style trace (trace_filter), else None."""
    if trace.get("error"):
        return None
    address = trace.get("traceAddress")
    if not isinstance(address, list) or not address:
        return None  # the top-level call: its value is the transaction's own
    action = trace.get("action")
    if not isinstance(action, Mapping):
        return None
    kind = trace.get("type")
    position = "_".join(str(int(i)) for i in address)
    if kind == "call" and action.get("callType", "call") in _VALUE_CALL_TYPES:
        value = hex_int(action.get("value", "0x0"), "a trace value")
        source, target = action.get("from"), action.get("to")
    elif kind == "create":
        value = hex_int(action.get("value", "0x0"), "a trace value")
        result = trace.get("result")
        source = action.get("from")
        target = result.get("address") if isinstance(result, Mapping) else None
    elif kind == "suicide":
        value = hex_int(action.get("balance", "0x0"), "a trace balance")
        source, target = action.get("address"), action.get("refundAddress")
    else:
        return None
    if value == 0 or target is None:
        return None
    return InternalTransfer(position, _address(source, "a trace sender"),
                            _address(target, "a trace recipient"), value)


def internal_from_ots(tx_hash: str, ops: Sequence[Mapping[str, Any]]) -> list[InternalTransfer]:
    """Value transfers from ots_getInternalOperations (0 transfer, 1 selfdestruct, 2-3 create)."""
    transfers = []
    for position, op in enumerate(ops):
        value = hex_int(op.get("value", "0x0"), "an internal value")
        if value == 0:
            continue
        transfers.append(InternalTransfer(
            f"ots{position}", _address(op.get("from"), "an internal sender"),
            _address(op.get("to"), "an internal recipient"), value,
        ))
    return transfers


def raw_tx_from_json(
    chain_id: int,
    tx: Mapping[str, Any] | None,
    receipt: Mapping[str, Any] | None,
    timestamp: datetime,
    internal: Sequence[InternalTransfer],
) -> RawTx:
    if not isinstance(tx, Mapping) or not isinstance(receipt, Mapping):
        raise SourceInconsistent("node lost a transaction it listed (no transaction or receipt)")
    tx_hash = _hex(tx.get("hash"), "a transaction hash")
    if _hex(receipt.get("transactionHash"), "a receipt hash") != tx_hash:
        raise SourceInconsistent(f"node sent the receipt of another transaction for {tx_hash}")
    block = hex_int(receipt.get("blockNumber"), "a block number")
    if hex_int(tx.get("blockNumber"), "a block number") != block:
        raise SourceInconsistent(f"transaction {tx_hash} and its receipt disagree on the block")
    to = receipt.get("contractAddress") if tx.get("to") is None else tx.get("to")
    gas_price = receipt.get("effectiveGasPrice", tx.get("gasPrice"))
    logs = receipt.get("logs") or []
    if not isinstance(logs, list):
        raise SourceInconsistent(f"receipt of {tx_hash} has no log list")
    return RawTx(
        chain_id=chain_id,
        tx_hash=tx_hash,
        block_number=block,
        tx_index=hex_int(receipt.get("transactionIndex"), "a transaction index"),
        timestamp=timestamp,
        from_address=_address(tx.get("from"), "a sender"),
        to_address=_address(to, "a recipient") if to else None,
        value=hex_int(tx.get("value", "0x0"), "a value"),
        gas_used=hex_int(receipt.get("gasUsed"), "gas used"),
        effective_gas_price=hex_int(gas_price, "a gas price"),
        success=hex_int(receipt.get("status", "0x1"), "a status") == 1,
        logs=tuple(log_from_json(log) for log in logs),
        internal=tuple(internal),
    )
