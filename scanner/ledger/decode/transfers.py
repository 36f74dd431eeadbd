"""The generic decoder: token transfers, native value, internal value, and gas.

Fixed-layout events are decoded by slicing the log's bytes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import NamedTuple

from chains.addresses import erc20_asset, nft_asset
from chains.evm.abi import (
    ADDRESS_PAD,
    TRANSFER,
    TRANSFER_BATCH,
    TRANSFER_SINGLE,
    data_words,
    topic_address,
)
from chains.evm.records import RawLog, RawTx, TokenInfo
from scanner.ledger.decode.executors import prefunds_as_fees
from scanner.ledger.records import Movement

NATIVE_DECIMALS = 18


_TRANSFER_TOPICS = frozenset({TRANSFER, TRANSFER_SINGLE, TRANSFER_BATCH})
_NONE: tuple[()] = ()


class TokenTransfer(NamedTuple):
    """A decoded Transfer/TransferSingle/TransferBatch item (one per id for batches)."""

    log_index: int
    sub_index: int  # position inside a TransferBatch, else 0
    token: str
    sender: str
    recipient: str
    amount: int
    asset_kind: str  # "erc20", "erc721" or "erc1155"
    token_id: int | None


def token_transfers(log: RawLog) -> tuple[TokenTransfer, ...] | list[TokenTransfer]:
    """Transfers in one log; malformed logs (spam contracts emit them) give none."""
    topics = log.topics
    if not topics or topics[0] not in _TRANSFER_TOPICS:
        return _NONE  # most logs: decided by one set lookup
    if topics[0] == TRANSFER and len(topics) == 3:  # ERC-20, the common case: sliced
        data, sender, recipient = log.data, topics[1], topics[2]
        if len(data) == 66 and len(sender) == 66 and len(recipient) == 66 \
                and sender[2:26] == ADDRESS_PAD and recipient[2:26] == ADDRESS_PAD \
                and data[:2] == "0x":
            try:
                amount = int(data[2:], 16)
            except ValueError:
                return _NONE
            return (TokenTransfer(log.log_index, 0, log.address, "0x" + sender[26:],
                                  "0x" + recipient[26:], amount, "erc20", None),)
    return _checked_transfers(log)


def _checked_transfers(log: RawLog) -> list[TokenTransfer]:
    """Every transfer standard, each word checked."""
    topics = log.topics
    topic0, count = topics[0], len(topics)
    if topic0 == TRANSFER and count == 3:
        sender, recipient = topic_address(topics[1]), topic_address(topics[2])
        words = data_words(log.data) or []
        if sender and recipient and len(words) == 1:
            return [TokenTransfer(log.log_index, 0, log.address, sender, recipient, words[0],
                                  "erc20", None)]
    elif topic0 == TRANSFER and count == 4 and log.data in ("0x", ""):
        sender, recipient = topic_address(topics[1]), topic_address(topics[2])
        token_id = data_words(topics[3])
        if sender and recipient and token_id and len(token_id) == 1:
            return [TokenTransfer(log.log_index, 0, log.address, sender, recipient, 1,
                                  "erc721", token_id[0])]
    elif topic0 == TRANSFER_SINGLE and count == 4:
        sender, recipient = topic_address(topics[2]), topic_address(topics[3])
        words = data_words(log.data) or []
        if sender and recipient and len(words) == 2:
            return [TokenTransfer(log.log_index, 0, log.address, sender, recipient, words[1],
                                  "erc1155", words[0])]
    elif topic0 == TRANSFER_BATCH and count == 4:
        sender, recipient = topic_address(topics[2]), topic_address(topics[3])
        if sender and recipient:
            return _batch_items(log, sender, recipient)
    return []


def _batch_items(log: RawLog, sender: str, recipient: str) -> list[TokenTransfer]:
    words = data_words(log.data) or []
    try:
        ids_at, values_at = words[0] // 32, words[1] // 32
        count = words[ids_at]
        if words[values_at] != count or count > len(words):
            return []
        ids = words[ids_at + 1 : ids_at + 1 + count]
        values = words[values_at + 1 : values_at + 1 + count]
    except IndexError:
        return []
    if len(ids) != count or len(values) != count:
        return []
    return [TokenTransfer(log.log_index, position, log.address, sender, recipient, value,
                          "erc1155", token_id)
            for position, (token_id, value) in enumerate(zip(ids, values, strict=True))]


def decode_movements(
    tx: RawTx,
    wallets: Collection[str],
    native_asset: str,
    tokens: Mapping[str, TokenInfo],
) -> list[Movement]:
    """Every movement of value into or out of any of `wallets` in one transaction."""
    moves: list[Movement] = []

    def add(wallet: str, key: str, log_index: int | None, asset: str, amount: int,
            decimals: int, counterparty: str | None, fee: bool = False) -> None:
        moves.append(Movement(
            chain_id=tx.chain_id, tx_hash=tx.tx_hash, leg_key=key, log_index=log_index,
            block_number=tx.block_number, tx_index=tx.tx_index, timestamp=tx.timestamp,
            wallet=wallet, asset=asset, raw_amount=amount, decimals=decimals,
            counterparty=counterparty, is_fee=fee,
        ))

    def flows(key: str, log_index: int | None, asset: str, sender: str, recipient: str,
              amount: int, decimals: int) -> None:
        if amount == 0 or sender == recipient:
            return
        if sender in wallets:
            add(sender, key, log_index, asset, -amount, decimals, recipient)
        if recipient in wallets:
            add(recipient, key, log_index, asset, amount, decimals, sender)

    if tx.from_address in wallets and tx.fee_wei:
        add(tx.from_address, "gas", None, native_asset, -tx.fee_wei, NATIVE_DECIMALS, None,
            fee=True)
    if not tx.success:
        return moves
    if tx.to_address is not None:
        flows("native", None, native_asset, tx.from_address, tx.to_address, tx.value,
              NATIVE_DECIMALS)
    for internal in tx.internal:
        flows(f"trace:{internal.trace_address}", None, native_asset, internal.from_address,
              internal.to_address, internal.value, NATIVE_DECIMALS)
    for log in tx.logs:
        for item in token_transfers(log):
            if item.sender not in wallets and item.recipient not in wallets:
                continue
            key = f"log:{item.log_index}" + (f".{item.sub_index}" if item.sub_index else "")
            if item.asset_kind == "erc20":
                info = tokens.get(item.token)
                # without decimals() the amount stays in base units (the token is flagged)
                decimals = info.decimals if info and info.decimals is not None else 0
                asset = erc20_asset(tx.chain_id, item.token)
            else:
                decimals = 0
                asset = nft_asset(tx.chain_id, item.asset_kind, item.token, item.token_id or 0)
            flows(key, item.log_index, asset, item.sender, item.recipient, item.amount,
                  decimals)
    return prefunds_as_fees(tx, moves, native_asset)
