"""Transactions whose Etherscan txlist row is the whole record (chains.evm.txlist), checked
against the recorded receipts of real mainnet transactions: the record built from the row
alone equals the one built from the transaction and its receipt, field by field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import responses

from chains.evm.explorer import ExplorerSource
from chains.evm.flavors import Flavor
from chains.evm.mappers import raw_tx_from_json
from chains.evm.node import RpcSource
from chains.evm.rpc import RpcClient
from chains.evm.txlist import whole_record
from tests.chains.fake_node import URL
from tests.chains.test_explorer import WALLET, client, fake, ledger_of

HISTORIES = "explorer-recordings/wallet_histories"
FIXTURES = ("eth_0x6e15887E_upto_14051557_fixture.json",
            "eth_0xb8553D9e_upto_16295684_fixture.json")


Row = dict[str, Any]


def recorded_pairs(realdata: Path) -> list[tuple[Row, Row | None, Row]]:
    """(txlist row, transaction if recorded, receipt) of each recorded transaction with a
    receipt."""
    found = []
    for name in FIXTURES:
        data = json.loads((realdata / HISTORIES / name).read_text())
        for row in data["account"]["txlist"]["response"]["result"]:
            if row["hash"] in data["receipts"]:
                found.append((row, data["transactions"].get(row["hash"]),
                              data["receipts"][row["hash"]]))
    return found


def test_the_txlist_gas_price_is_the_price_paid_even_for_type_2(realdata: Path) -> None:
    pairs = recorded_pairs(realdata)
    type_2 = [(row, receipt) for row, tx, receipt in pairs if tx and tx.get("type") == "0x2"]
    assert len(type_2) >= 5
    for row, receipt in type_2:
        assert int(row["gasPrice"]) == int(receipt["effectiveGasPrice"], 16)
        assert int(row["gasUsed"]) == int(receipt["gasUsed"], 16)


def test_a_row_gives_what_the_receipt_says_or_nothing(realdata: Path) -> None:
    whole = 0
    for row, tx, receipt in recorded_pairs(realdata):
        record = whole_record(1, Flavor.ETHERSCAN, row)
        if record is None:
            continue
        whole += 1
        assert receipt["logs"] == []
        assert (record.tx_hash, record.block_number, record.tx_index, record.block_hash,
                record.from_address, record.to_address, record.gas_used,
                record.effective_gas_price, record.success, record.logs) == (
            receipt["transactionHash"], int(receipt["blockNumber"], 16),
            int(receipt["transactionIndex"], 16), receipt["blockHash"], receipt["from"],
            receipt["to"], int(receipt["gasUsed"], 16), int(receipt["effectiveGasPrice"], 16),
            receipt["status"] == "0x1", ())
        if tx is not None:
            stamp = datetime.fromtimestamp(int(row["timeStamp"]), tz=UTC)
            assert record == raw_tx_from_json(1, tx, receipt, stamp, ())
    assert whole == 2  # the two plain ETH transfers of 0x6e15887e; the rest have logs


def plain(**changes: str) -> dict[str, str]:
    row = {"blockNumber": "14000000", "timeStamp": "1641000000", "transactionIndex": "7",
           "hash": "0x" + "ab" * 32, "blockHash": "0x" + "cd" * 32, "from": "0x" + "11" * 20,
           "to": "0x" + "22" * 20, "value": "5", "gas": "21000", "gasPrice": "3",
           "gasUsed": "21000", "input": "0x", "contractAddress": "", "isError": "0",
           "txreceipt_status": "1"}
    return {**row, **changes}


def test_a_plain_transfer_is_whole_with_its_exact_fee() -> None:
    record = whole_record(1, Flavor.ETHERSCAN, plain())
    assert record is not None and record.logs == () and record.success
    assert record.fee_wei == 21_000 * 3 and record.value == 5 and record.tx_index == 7


@pytest.mark.parametrize("changes", [
    {"gasUsed": "21001"},  # code ran: it may have logged
    {"input": "0xd0e30db0"},  # a call with data (WETH's deposit())
    {"blockNumber": "12964999"},  # before London, a refund could pay a log back
    {"txreceipt_status": ""},  # before Byzantium: no status
    {"isError": "1"},  # the row contradicts itself
    {"to": "", "contractAddress": "0x" + "33" * 20},  # a contract creation
    {"gasPrice": ""}, {"blockHash": "0x12"}, {"transactionIndex": "x"},
])
def test_anything_less_than_certain_keeps_its_receipt(changes: dict[str, str]) -> None:
    assert whole_record(1, Flavor.ETHERSCAN, plain(**changes)) is None


def test_only_etherscan_rows_on_chains_whose_fee_is_gas_times_price() -> None:
    assert whole_record(1, Flavor.BLOCKSCOUT, plain()) is None  # its price is not checked
    for chain in (10, 8453, 534352, 42161, 324, 137):  # L1 fees, L1 gas, other schedules
        assert whole_record(chain, Flavor.ETHERSCAN, plain()) is None


def test_a_failed_transaction_is_whole_whatever_it_called() -> None:
    record = whole_record(1, Flavor.ETHERSCAN, plain(
        input="0xa9059cbb", gasUsed="45000", isError="1", txreceipt_status="0"))
    assert record is not None and not record.success and record.fee_wei == 45_000 * 3


def test_through_the_proxy_only_receipts_with_logs_are_read(
    realdata: Path, mock: responses.RequestsMock, tmp_path: Path
) -> None:
    node, site = fake(realdata, mock)
    node.install(mock)
    by_explorer = ledger_of(ExplorerSource(client()), tmp_path, "explorer")
    with_logs = {h for h, receipt in node.receipts.items() if receipt["logs"]}
    assert len(with_logs) == 2 < len(node.receipts)
    asked = {q["txhash"] for q in site.requests if q.get("action") == "eth_getTransactionReceipt"}
    assert asked == with_logs
    assert by_explorer == ledger_of(RpcSource(RpcClient(URL)), tmp_path, "rpc")
    assert {e.wallet for e in by_explorer} == {WALLET}
