"""Pure mappings from JSON-RPC answers to chain records. No I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from chains.errors import SourceInconsistent
from chains.evm.records import InternalTransfer, RawLog, RawTx
from chains.registry import chain_by_id

_VALUE_CALL_TYPES = {"call", "callcode"}
MAX_TEXT = 128
UINT256_MAX = 2**256 - 1
BIGINT_MAX = 2**63 - 1  # block numbers as stored
INTEGER_MAX = 2**31 - 1  # transaction and log indexes as stored
# blocks are timed up to the end of 2200, the last year the tax rules compute (a lot's
# holding period steps a year past it); no chain is near it
LAST_BLOCK_TIME = int(datetime(2201, 1, 1, tzinfo=UTC).timestamp()) - 1
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]+|[0-9]+")  # hex as JSON-RPC writes it, decimal as explorers
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_HEX = re.compile(r"0x[0-9a-fA-F]*")
DEPOSIT_TX_TYPE = "0x7e"  # an OP-stack deposit or a Scroll L1 message: paid for on L1


def untrusted_text(value: Any) -> str | None:
    """A token's name or symbol as the chain gave it: printable characters only, bounded."""
    if not isinstance(value, str):
        return None
    return "".join(ch for ch in value if ch.isprintable())[:MAX_TEXT] or None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def hex_int(value: Any, what: str, limit: int = UINT256_MAX) -> int:
    """An unsigned number from 0 to `limit`, as a JSON number, 0x hex or decimal digits: a
    negative one, or one no uint256 (or the column it goes to) holds, cannot be right."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _NUMBER.fullmatch(value):
        try:
            number = int(value, 16) if value[:2] in ("0x", "0X") else int(value)
        except ValueError:  # more decimal digits than int() reads
            number = -1
    else:
        raise SourceInconsistent(f"node sent {what} that is not a number: {_shown(value)}")
    if not 0 <= number <= limit:
        most = {UINT256_MAX: "2^256-1", BIGINT_MAX: "2^63-1", INTEGER_MAX: "2^31-1"}
        raise SourceInconsistent(f"node sent {what} out of range (0 to {most.get(limit, limit)}"
                                 f"): {_shown(value)}")
    return number


def _block_hash_text(value: Any) -> str | None:
    if isinstance(value, str) and len(value) == 66 and value.startswith("0x"):
        return value.lower()
    return None


def address_of(value: Any, what: str) -> str:
    """A 0x address (40 hex digits), lowercase, or SourceInconsistent."""
    if not isinstance(value, str) or not _ADDRESS.fullmatch(value):
        raise SourceInconsistent(f"node sent {what} that is not an address: {_shown(value)}")
    return value.lower()


def _hex(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise SourceInconsistent(f"node sent {what} that is not hex: {_shown(value)}")
    return value.lower()


def log_from_json(obj: Mapping[str, Any]) -> RawLog:
    if not isinstance(obj, Mapping):
        raise SourceInconsistent(f"node sent a log that is no object: {_shown(obj)}")
    topics = obj.get("topics")
    if not isinstance(topics, list):
        raise SourceInconsistent("node sent a log without topics")
    return RawLog(
        log_index=hex_int(obj.get("logIndex"), "a log index", INTEGER_MAX),
        address=address_of(obj.get("address"), "a log address"),
        topics=tuple(_hex(t, "a topic") for t in topics),
        data=_hex(obj.get("data", "0x"), "log data"),
    )


def block_timestamp(block: Mapping[str, Any] | None, number: int) -> datetime:
    if not isinstance(block, Mapping):
        raise SourceInconsistent(f"node does not know block {number}")
    stamp = hex_int(block.get("timestamp"), "a block timestamp", LAST_BLOCK_TIME)
    return datetime.fromtimestamp(stamp, tz=UTC)


def block_hash(block: Any, number: int) -> str:
    """The hash of a block object a node returned for block `number`."""
    if not isinstance(block, Mapping):
        raise SourceInconsistent(f"block {number}: the node's answer is not a block")
    value = block.get("hash")
    if not isinstance(value, str) or len(value) != 66 or not value.startswith("0x"):
        raise SourceInconsistent(f"block {number} has no hash")
    try:
        int(value, 16)
    except ValueError:
        raise SourceInconsistent(f"block {number} has no hash") from None
    if "number" in block and hex_int(block.get("number"), "a block number") != number:
        raise SourceInconsistent(f"asked for block {number}, the node answered another")
    return value.lower()


def internal_from_trace(trace: Mapping[str, Any]) -> InternalTransfer | None:
    """A value-moving subcall from a Parity-style trace (trace_filter), else None."""
    if not isinstance(trace, Mapping) or trace.get("error"):
        return None
    address = trace.get("traceAddress")
    if not isinstance(address, list) or not address:
        return None  # the top-level call: its value is the transaction's own
    action = trace.get("action")
    if not isinstance(action, Mapping):
        return None
    if not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in address):
        raise SourceInconsistent(f"node sent a trace address that is not a list of "
                                 f"positions: {_shown(address)}")
    kind = trace.get("type")
    position = "_".join(str(i) for i in address)
    call_type = action.get("callType", "call")
    if kind == "call" and isinstance(call_type, str) and call_type in _VALUE_CALL_TYPES:
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
    return InternalTransfer(position, address_of(source, "a trace sender"),
                            address_of(target, "a trace recipient"), value)


def internal_from_ots(tx_hash: str, ops: Sequence[Mapping[str, Any]]) -> list[InternalTransfer]:
    """Value transfers from ots_getInternalOperations (0 transfer, 1 selfdestruct, 2-3 create)."""
    if not isinstance(ops, list):
        raise SourceInconsistent(f"node sent internal operations of {tx_hash} that are no list")
    transfers = []
    for position, op in enumerate(ops):
        if not isinstance(op, Mapping):
            raise SourceInconsistent(f"node sent an internal operation of {tx_hash} that is no "
                                     "object")
        value = hex_int(op.get("value", "0x0"), "an internal value")
        if value == 0:
            continue
        transfers.append(InternalTransfer(
            f"ots{position}", address_of(op.get("from"), "an internal sender"),
            address_of(op.get("to"), "an internal recipient"), value,
        ))
    return transfers


def lacks_l1_fee(chain_id: int, tx: Mapping[str, Any], receipt: Mapping[str, Any]) -> bool:
    """Whether the receipt of a rollup that charges an L1 data fee does not show it: the fee
    it gives would be short (op-geth nodes answer `l1Fee: null` for pre-Bedrock Optimism)."""
    if receipt.get("l1Fee") is not None or not chain_by_id(chain_id).l1_data_fee:
        return False
    kind = tx.get("type") if isinstance(tx, Mapping) else None
    return not (isinstance(kind, str) and kind.lower() == DEPOSIT_TX_TYPE)


def l1_fee_of(chain_id: int, tx_hash: str, tx: Mapping[str, Any],
              receipt: Mapping[str, Any]) -> int:
    """The L1 data fee the receipt shows (OP-stack chains, Scroll), else 0. A receipt of a
    chain that charges one and does not show it, or one that shows an OP-stack operator fee
    (Isthmus), cannot give the whole fee: SourceInconsistent."""
    for field in ("operatorFeeScalar", "operatorFeeConstant"):
        if receipt.get(field) is not None and hex_int(receipt[field], f"an {field}"):
            raise SourceInconsistent(
                f"the receipt of {tx_hash} shows an operator fee ({field}), which taxscan does "
                "not add to the fee yet")
    if lacks_l1_fee(chain_id, tx, receipt):
        raise SourceInconsistent(
            f"the receipt of {tx_hash} on {chain_by_id(chain_id).name} shows no L1 data fee "
            "(l1Fee), part of what the sender paid (op-geth nodes leave it out of pre-Bedrock "
            "history): scan with an explorer whose receipts carry it (Etherscan: set "
            "ETHERSCAN_API_KEY)")
    value = receipt.get("l1Fee")
    return 0 if value is None else hex_int(value, "an L1 fee")


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
    if len(tx_hash) != 66:
        raise SourceInconsistent(f"node sent a transaction hash that is not 32 bytes: "
                                 f"{_shown(tx_hash)}")
    if _hex(receipt.get("transactionHash"), "a receipt hash") != tx_hash:
        raise SourceInconsistent(f"node sent the receipt of another transaction for {tx_hash}")
    block = hex_int(receipt.get("blockNumber"), "a block number", BIGINT_MAX)
    tx_block_hash = _block_hash_text(tx.get("blockHash"))
    receipt_block_hash = _block_hash_text(receipt.get("blockHash"))
    if hex_int(tx.get("blockNumber"), "a block number") != block or (
            tx_block_hash and receipt_block_hash and tx_block_hash != receipt_block_hash):
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
        tx_index=hex_int(receipt.get("transactionIndex"), "a transaction index", INTEGER_MAX),
        timestamp=timestamp,
        from_address=address_of(tx.get("from"), "a sender"),
        to_address=address_of(to, "a recipient") if to else None,
        value=hex_int(tx.get("value", "0x0"), "a value"),
        gas_used=hex_int(receipt.get("gasUsed"), "gas used"),
        effective_gas_price=hex_int(gas_price, "a gas price"),
        success=hex_int(receipt.get("status", "0x1"), "a status", 1) == 1,
        logs=tuple(log_from_json(log) for log in logs),
        internal=tuple(internal),
        block_hash=_block_hash_text(receipt.get("blockHash")),
        l1_fee=l1_fee_of(chain_id, tx_hash, tx, receipt),
    )
