"""Node and explorer JSON into chain records: a record that holds only what the chain can
hold, or a SourceInconsistent; never another exception."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import responses
from hypothesis import example, given
from hypothesis import strategies as st

from chains.errors import SourceError, SourceInconsistent
from chains.evm import explorer as explorer_module
from chains.evm.explorer import ExplorerClient, ExplorerConfig, internal_from_row
from chains.evm.flavors import Flavor
from chains.evm.mappers import (
    block_timestamp,
    hex_int,
    internal_from_ots,
    internal_from_trace,
    log_from_json,
    raw_tx_from_json,
)
from chains.evm.records import InternalTransfer, RawTx
from chains.evm.rpc import RpcClient
from tests.fuzz.chain_world import (
    NODE_FIELDS,
    PLAIN,
    STAMP,
    World,
    amounts,
    hostile,
    json_values,
    missing_or_hostile,
    spoil,
    world,
)
from tests.fuzz.common import UINT256_MAX, fuzz, one_line

ADDRESS = re.compile(r"0x[0-9a-f]{40}")
HASH = re.compile(r"0x[0-9a-f]{64}")
HEX = re.compile(r"0x[0-9a-f]*")
WHEN = datetime.fromtimestamp(STAMP, tz=UTC)


def check_internal(transfer: InternalTransfer) -> None:
    assert ADDRESS.fullmatch(transfer.from_address) and ADDRESS.fullmatch(transfer.to_address)
    assert 0 < transfer.value <= UINT256_MAX
    assert transfer.trace_address.isprintable()


def check_raw_tx(tx: RawTx) -> None:
    """Only what a chain can hold, in the forms the store and the decoders expect."""
    assert HASH.fullmatch(tx.tx_hash), tx.tx_hash
    assert 0 <= tx.block_number < 2**63 and 0 <= tx.tx_index < 2**31
    assert ADDRESS.fullmatch(tx.from_address)
    assert tx.to_address is None or ADDRESS.fullmatch(tx.to_address)
    for number in (tx.value, tx.gas_used, tx.effective_gas_price):
        assert type(number) is int and 0 <= number <= UINT256_MAX
    for log in tx.logs:
        assert 0 <= log.log_index < 2**31 and ADDRESS.fullmatch(log.address)
        assert all(HEX.fullmatch(t) for t in log.topics) and HEX.fullmatch(log.data)
    for transfer in tx.internal:
        check_internal(transfer)


def mapped(w: World) -> RawTx | None:
    try:
        internal = [t for t in (internal_from_trace(trace) for trace in w.traces
                                if isinstance(trace, dict)) if t is not None]
        tx = raw_tx_from_json(1, w.tx, w.receipt, WHEN, internal)
    except SourceInconsistent as exc:
        one_line(exc)
        return None
    check_raw_tx(tx)
    return tx


@fuzz(150)
@given(amounts)
def test_valid_answers_map_exactly(a: Any) -> None:
    tx = mapped(world(a))
    assert tx is not None
    assert (tx.value, tx.gas_used, tx.effective_gas_price) == (a.value, a.gas_used, a.gas_price)
    assert tx.logs[0].data == "0x" + a.token_amount.to_bytes(32, "big").hex()
    assert [t.value for t in tx.internal] == ([a.internal_value] if a.internal_value else [])


@fuzz(700)
@given(amounts, st.sampled_from(NODE_FIELDS), missing_or_hostile)
@example(PLAIN, ("tx", ("value",)), -1)  # a negative value was kept
@example(PLAIN, ("receipt", ("gasUsed",)), -5)  # a negative fee: a refund
@example(PLAIN, ("receipt", ("logs", 0)), "a log")  # was an AttributeError
@example(PLAIN, ("traces", (1, "traceAddress", 0)), "x")  # was a ValueError
@example(PLAIN, ("traces", (1, "action", "callType")), [])  # was a TypeError
@example(PLAIN, ("receipt", ("transactionIndex",)), 2**31)  # no INTEGER holds it
@example(PLAIN, ("tx", ("from",)), "0x" + "g" * 40)  # not hex
@example(PLAIN, ("tx", ("value",)), 2**256)  # above any uint256
def test_a_hostile_field_maps_or_is_source_inconsistent(
        a: Any, where: tuple[str, tuple[str | int, ...]], value: Any) -> None:
    w = world(a)
    try:
        spoil(w, where[0], where[1], value)
    except (KeyError, IndexError, TypeError):
        return  # the path runs through a value the spoil replaced: nothing to put there
    mapped(w)


@fuzz(300)
@given(st.one_of(json_values, hostile))
@example(2**40 * 10**6)  # no calendar holds it: was an OverflowError
@example(253402300799)  # 9999-12-31: the lots step a year past it
@example(-(10**20))
def test_a_block_timestamp_is_a_utc_time_or_source_inconsistent(value: Any) -> None:
    try:
        when = block_timestamp({"timestamp": value}, 5)
    except SourceInconsistent as exc:
        one_line(exc)
        return
    assert when.tzinfo is UTC and 1970 <= when.year <= 2200


@fuzz(300)
@given(st.one_of(json_values, hostile))
def test_hex_int_reads_unsigned_numbers_only(value: Any) -> None:
    try:
        number = hex_int(value, "a number")
    except SourceInconsistent as exc:
        one_line(exc)
        return
    assert type(number) is int and 0 <= number <= UINT256_MAX
    text = value if isinstance(value, str) else hex(value)
    assert re.fullmatch(r"0[xX][0-9a-fA-F]+|[0-9]+", text), value


@fuzz(300)
@given(st.one_of(json_values, st.lists(json_values, max_size=3)))
def test_any_json_as_a_log_trace_or_ots_ops(value: Any) -> None:
    for parse in (log_from_json, internal_from_trace,
                  lambda v: internal_from_ots("0x" + "44" * 32, v)):
        try:
            result = parse(value)
        except SourceInconsistent as exc:
            one_line(exc)
            continue
        for item in result if isinstance(result, list) else [result]:
            if isinstance(item, InternalTransfer):
                check_internal(item)


@fuzz(300)
@given(st.dictionaries(st.sampled_from(["value", "to", "from", "contractAddress", "isError",
                                        "traceId", "index"]),
                       st.one_of(hostile, st.sampled_from(["0x" + "ab" * 20, "0", "1", "7"])),
                       max_size=7))
@example({"value": "5", "from": "not an address", "to": "0x" + "ab" * 20})  # was kept
def test_an_explorer_internal_row_maps_or_is_source_inconsistent(row: dict[str, Any]) -> None:
    try:
        transfer = internal_from_row(row, 3)
    except SourceInconsistent as exc:
        one_line(exc)
        return
    if transfer is not None:
        check_internal(transfer)


# ---- whole answers ---------------------------------------------------------------------

envelopes = st.one_of(
    json_values,
    st.fixed_dictionaries({}, optional={"status": st.one_of(st.sampled_from(["0", "1", "2"]),
                                                            hostile),
                                        "message": st.one_of(st.sampled_from(
                                            ["OK", "NOTOK", "No transactions found",
                                             "Max rate limit reached", "Invalid API Key"]),
                                            hostile),
                                        "result": st.one_of(st.lists(json_values, max_size=2),
                                                            hostile)}),
    st.fixed_dictionaries({"jsonrpc": st.just("2.0")},
                          optional={"result": hostile,
                                    "error": st.one_of(hostile, st.fixed_dictionaries(
                                        {}, optional={"message": hostile, "code": hostile}))}),
)


@pytest.fixture(scope="module", autouse=True)
def quick_retries() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(explorer_module, "RETRY",
                      replace(explorer_module.RETRY, backoff_s=0.0001, max_wait_s=0.0001))
        yield


@fuzz(150)
@given(envelopes, st.booleans())
@example({"jsonrpc": "2.0", "error": {"message": 5}}, True)  # was an AttributeError
@example({"status": "0", "message": "NOTOK\nline two", "result": "x" * 500}, False)
@example({"jsonrpc": "2.0", "error": {"message": "bad\r\nthing"}}, True)
def test_any_explorer_answer_is_a_result_or_a_source_error(body: Any, proxy: bool) -> None:
    client = ExplorerClient(ExplorerConfig("https://explorer.fuzz/api", Flavor.ETHERSCAN, 1,
                                           None, calls_per_second=100_000))
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, "https://explorer.fuzz/api", body=json.dumps(body))
        try:
            if proxy:
                client.proxy("eth_blockNumber")
            else:
                page = client.account_rows("txlist", "0x" + "11" * 20, 0, 10)
                assert all(isinstance(row, dict) for row in page.rows)
        except SourceError as exc:
            one_line(exc)


@pytest.mark.parametrize("body", ["[1, 2]", '[{"jsonrpc": "2.0", "id": "a", "result": 1}, '
                                            '{"jsonrpc": "2.0", "id": 2, "result": 2}]'])
def test_a_batch_answer_of_no_json_rpc_objects_is_source_inconsistent(body: str) -> None:
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, "http://node.fuzz/rpc", body=body)
        with pytest.raises(SourceInconsistent):
            RpcClient("http://node.fuzz/rpc", attempts=1).batch(
                [("eth_chainId", []), ("eth_blockNumber", [])])
