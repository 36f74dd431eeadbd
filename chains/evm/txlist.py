"""Explorer rows as records: a row's transaction hash, and the transactions whose
`txlist` row is the whole record, with no receipt to read.

A receipt adds to a transaction its status, gas used, the price paid and its logs. An
Etherscan txlist row carries the status, the gas used and, as `gasPrice`, the price paid:
for EIP-1559 transactions the effective price, as the recorded receipts of real type-2
transactions show (`tests/chains/test_txlist_records.py`). The logs it lacks are known to
be none in two cases:

- a failed transaction (status 0): a reverted transaction keeps no logs;
- a plain transfer: no calldata, to an address, exactly 21,000 gas used (the intrinsic gas
  of a call without data or access list). Since EIP-3529 (London) refunds are capped at a
  fifth of the gas and each SSTORE refund is at most what that SSTORE and its slot's access
  cost, so no refund can pay back a LOG (375 gas at least): 21,000 means no log. Before
  London an SSTORE clear refunded three times its cost, so the rule starts at London.

Only where gasUsed follows Ethereum's schedule and the fee is gasUsed x price alone:
Ethereum from London, and the devnet. Rollups charge an L1 data fee found only in the
receipt (OP-stack chains, Scroll) or count L1 gas in gasUsed (Arbitrum); other chains'
fork blocks are not recorded here, so their transactions keep their receipts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from chains.errors import SourceInconsistent
from chains.evm.flavors import Flavor
from chains.evm.mappers import BIGINT_MAX, INTEGER_MAX, LAST_BLOCK_TIME
from chains.evm.records import RawTx

PLAIN_TRANSFER_GAS = 21_000
# chain id -> the first block where EIP-3529's refund cap holds (Ethereum: London)
REFUND_CAP_FROM: Mapping[int, int] = {1: 12_965_000, 31337: 0}

_DECIMAL = re.compile(r"[0-9]{1,78}")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_HASH = re.compile(r"0x[0-9a-fA-F]{64}")


def _number(row: Mapping[str, Any], key: str, limit: int) -> int | None:
    value = row.get(key)
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
        return None
    number = int(value)
    return number if number <= limit else None


def _text(row: Mapping[str, Any], key: str, pattern: re.Pattern[str]) -> str | None:
    value = row.get(key)
    return value.lower() if isinstance(value, str) and pattern.fullmatch(value) else None


def row_hash(row: Mapping[str, Any]) -> str:
    """The transaction hash of an explorer row, lowercase."""
    value = row.get("hash") or row.get("transactionHash")
    if not isinstance(value, str) or not _HASH.fullmatch(value):
        raise SourceInconsistent("explorer sent a row without a transaction hash")
    return value.lower()


def whole_record(chain_id: int, flavor: Flavor, row: Mapping[str, Any]) -> RawTx | None:
    """The record a receipt would give of the transaction of `row`, when the row gives all
    of it (see the module's rules); None when the receipt is needed."""
    since = REFUND_CAP_FROM.get(chain_id)
    if since is None or flavor is not Flavor.ETHERSCAN:
        return None
    block = _number(row, "blockNumber", BIGINT_MAX)
    index = _number(row, "transactionIndex", INTEGER_MAX)
    stamp = _number(row, "timeStamp", LAST_BLOCK_TIME)
    gas = _number(row, "gasUsed", 2**64)
    price = _number(row, "gasPrice", 2**256 - 1)
    value = _number(row, "value", 2**256 - 1)
    tx_hash = _text(row, "hash", _HASH)
    block_hash = _text(row, "blockHash", _HASH)
    sender = _text(row, "from", _ADDRESS)
    to = _text(row, "to", _ADDRESS)
    status = row.get("txreceipt_status")  # empty before Byzantium: no status to read
    error = row.get("isError")
    if (block is None or index is None or stamp is None or gas is None or price is None
            or value is None or tx_hash is None or block_hash is None or sender is None
            or to is None or row.get("contractAddress") not in ("", None) or block < since
            or (status, error) not in (("1", "0"), ("0", "1"))):
        return None
    plain = row.get("input") == "0x" and gas == PLAIN_TRANSFER_GAS
    if status == "1" and not plain:
        return None
    return RawTx(chain_id=chain_id, tx_hash=tx_hash, block_number=block, tx_index=index,
                 timestamp=datetime.fromtimestamp(stamp, tz=UTC), from_address=sender,
                 to_address=to, value=value, gas_used=gas, effective_gas_price=price,
                 success=status == "1", block_hash=block_hash)
