"""The generic decoder against real mainnet logs and hand-made edge cases."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from chains.evm.abi import TRANSFER_BATCH
from chains.evm.records import InternalTransfer, RawLog, RawTx, TokenInfo
from scanner.ledger.decode.transfers import decode_movements, token_transfers

ETL = "ethereum-etl-blocks/blocks_17173049_17173050_expected_"
ME = "0x" + "aa" * 20
YOU = "0x" + "bb" * 20
TOKEN = "0x" + "cc" * 20
ETH = "eip155:1/slip44:60"


def word(value: int) -> str:
    return format(value, "064x")


def topic(address: str) -> str:
    return "0x" + address[2:].rjust(64, "0")


def test_transfers_match_ethereum_etl_on_two_mainnet_blocks(realdata: Path) -> None:
    logs = [json.loads(line) for line in (realdata / f"{ETL}logs.json").read_text().splitlines()]
    expected = {(t["transaction_hash"], t["log_index"], t["token_address"], t["from_address"],
                 t["to_address"], int(t["value"]))
                for t in map(json.loads,
                             (realdata / f"{ETL}token_transfers.json").read_text().splitlines())}
    decoded = set()
    for log in logs:
        raw = RawLog(log["log_index"], log["address"], tuple(log["topics"]), log["data"])
        for item in token_transfers(raw):
            if item.asset_kind == "erc1155":
                continue  # ethereum-etl's token_transfers cover ERC-20 and ERC-721 only
            value = item.token_id if item.asset_kind == "erc721" else item.amount
            decoded.add((log["transaction_hash"], item.log_index, item.token, item.sender,
                         item.recipient, value))
    assert decoded == expected
    assert len(expected) == 291


def test_malformed_transfer_logs_are_skipped() -> None:
    transfer = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
    bad = [
        RawLog(0, TOKEN, (transfer, topic(ME)), "0x" + word(1)),  # too few topics
        RawLog(1, TOKEN, (transfer, topic(ME), topic(YOU)), "0x" + word(1)[:10]),  # short data
        RawLog(2, TOKEN, (transfer, "0x" + "ff" * 32, topic(YOU)), "0x" + word(1)),  # no address
        RawLog(3, TOKEN, (), "0x"),
        RawLog(4, TOKEN, (transfer, topic(ME), topic(YOU)), "0x" + "zz" * 32),  # not hex
        RawLog(5, TOKEN, (transfer, topic(ME), topic(YOU), "0xnot-an-id"), "0x"),  # ERC-721
    ]
    assert [list(token_transfers(log)) for log in bad] == [[]] * len(bad)


def test_erc1155_batches_give_one_movement_per_id() -> None:
    data = "0x" + word(64) + word(160) + word(2) + word(7) + word(8) + word(2) + word(5) + word(6)
    log = RawLog(4, TOKEN, (TRANSFER_BATCH, topic(YOU), topic(YOU), topic(ME)), data)
    items = list(token_transfers(log))
    assert [(i.token_id, i.amount, i.sub_index) for i in items] == [(7, 5, 0), (8, 6, 1)]


def tx(**changes: object) -> RawTx:
    base = dict(chain_id=1, tx_hash="0x" + "01" * 32, block_number=5, tx_index=0,
                timestamp=datetime(2024, 1, 1, tzinfo=UTC), from_address=ME, to_address=YOU,
                value=0, gas_used=21000, effective_gas_price=10**9, success=True)
    base.update(changes)
    return RawTx(**base)  # type: ignore[arg-type]


def test_native_value_internal_value_and_gas_become_movements() -> None:
    raw = tx(value=3, internal=(InternalTransfer("0_1", YOU, ME, 2),
                                 InternalTransfer("0_2", YOU, "0x" + "dd" * 20, 9)))
    moves = decode_movements(raw, {ME}, ETH, {})
    assert [(m.leg_key, m.raw_amount, m.is_fee) for m in moves] == [
        ("gas", -21000 * 10**9, True), ("native", -3, False), ("trace:0_1", 2, False)]


def test_a_failed_transaction_only_pays_gas() -> None:
    transfer = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
    raw = tx(value=5, success=False,
             logs=(RawLog(0, TOKEN, (transfer, topic(YOU), topic(ME)), "0x" + word(7)),))
    assert [m.leg_key for m in decode_movements(raw, {ME}, ETH, {})] == ["gas"]


def test_token_amounts_use_the_tokens_decimals() -> None:
    transfer = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
    raw = tx(from_address=YOU, logs=(RawLog(0, TOKEN, (transfer, topic(YOU), topic(ME)),
                                            "0x" + word(1_500_000)),))
    tokens = {TOKEN: TokenInfo(1, TOKEN, "USDT", "Tether", 6)}
    (move,) = decode_movements(raw, {ME}, ETH, tokens)
    assert str(move.quantity) == "1.500000" and move.counterparty == YOU
    assert move.asset == f"eip155:1/erc20:{TOKEN}"


def test_two_identical_transfers_in_one_transaction_stay_two_legs() -> None:
    transfer = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
    same = (transfer, topic(YOU), topic(ME))
    raw = tx(from_address=YOU, logs=(RawLog(3, TOKEN, same, "0x" + word(5)),
                                     RawLog(4, TOKEN, same, "0x" + word(5))))
    moves = decode_movements(raw, {ME}, ETH, {TOKEN: TokenInfo(1, TOKEN, "T", "T", 0)})
    assert [(m.leg_key, m.log_index, m.raw_amount) for m in moves] == [
        ("log:3", 3, 5), ("log:4", 4, 5)]
