"""A contract wallet's executed transactions are its own, whoever sent them (DESIGN.md).

Two real Safe executions (an owner sends execTransaction; the Safe emits ExecutionSuccess
from its own address), and claims built from the real UNI airdrop claim: paid to a Safe
that executed the claim, to an ERC-4337 account whose user operation ran it, or to either
with nothing of theirs in the transaction.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from chains.evm.abi import topic_for
from chains.evm.records import RawLog, RawTx
from scanner.ledger.decode.executors import (
    SAFE_EXECUTION_SUCCESS,
    USER_OPERATION_EVENT,
    executors,
)
from scanner.ledger.records import Kind
from tests.unit.recordings import ledger, recording

DAI = "eip155:1/erc20:0x6b175474e89094c44da98b954eedeac495271d0f"
UNI = "eip155:1/erc20:0x1f9840a85d5af5bf1d1762f925bdaddc4201f984"
ENTRY_POINT_V07 = "0x0000000071727de22e5e9d8baf0edac6f37da032"


def test_a_safe_execution_is_the_safes_and_the_owner_pays_its_gas(realdata: Path) -> None:
    # tx 0x7bfaa362...: the owner 0x2b888954 sends execTransaction (0x6a761202) to the Safe
    # 0xfeb4acf3, which emits ExecutionSuccess (log 193, topic 0x442e715f, the safeTxHash
    # 0xd273f3d3... in the data) and sends DAI (Transfer log 188, the Safe -> 0x69032235)
    record = recording(realdata, "test_execution_success.json")
    raw = record.raw()
    owner, safe = "0x2b888954421b424c5d3d9ce9bb67c9bd47537d12", \
        "0xfeb4acf3df3cdea7399794d0869ef76a6efaff52"
    assert raw.from_address == owner and executors(raw) == {owner, safe}
    built = ledger(record, raw, [owner, safe])
    assert sorted((e.wallet, e.leg_key, e.asset, e.raw_amount, e.kind.value)
                  for e in built.entries) == sorted([
        # receipt gasUsed 0x2ac86 x effectiveGasPrice 0x93d4d20fa; rotki: "Burn
        # 0.006953999441541852 ETH for gas"
        (owner, "gas", "eip155:1/slip44:60", -0x2AC86 * 0x93D4D20FA, "fee"),
        # DAI Transfer log 0xbc (188), 0x8d07eeae14c52c400000: the Safe's own payment
        (safe, "log:188", DAI, -0x8D07EEAE14C52C400000, "transfer_out"),
    ])
    assert 0x2AC86 * 0x93D4D20FA == 6953999441541852


def test_a_newer_safe_with_the_hash_in_its_topics_executes_too(realdata: Path) -> None:
    # the owner 0xc5d494aa sends execTransaction to the Safe 0x0bebd2fc, whose
    # ExecutionSuccess (log 480) carries the safeTxHash 0x9b0dd4dd... as topic 1; nothing
    # moves in or out of the Safe
    record = recording(realdata, "test_safe_execute_tx_with_hash_in_topics.json")
    raw = record.raw()
    safe = "0x0bebd2fca9854f657329324aa7dc90f656395189"
    (log,) = [g for g in raw.logs if g.address == safe]
    assert (log.log_index, len(log.topics), log.topics[0]) == (480, 2, SAFE_EXECUTION_SUCCESS)
    assert executors(raw) == {raw.from_address, safe}
    assert ledger(record, raw, [safe]).entries == ()


def claim_to(realdata: Path, account: str, *extra: RawLog) -> RawTx:
    """The real UNI airdrop claim (tx 0x0e50e737...: 0x3163bb27 claims 408.638074 UNI from the
    MerkleDistributor 0x090d4613, Transfer log 162 and Claimed log 163), paid to `account`
    instead, with `extra` logs after it."""
    raw = recording(realdata, "test_uniswapv2__test_claim_airdrop.json").raw()
    transfer, claimed = raw.logs
    paid = replace(transfer, topics=(*transfer.topics[:2], topic_for(account)))
    return replace(raw, logs=(paid, claimed, *extra))


def uni_kind(realdata: Path, raw: RawTx, wallet: str) -> Kind:
    record = recording(realdata, "test_uniswapv2__test_claim_airdrop.json")
    (leg,) = [e for e in ledger(record, raw, [wallet]).entries if e.asset == UNI]
    assert leg.raw_amount == 0x1626FE133EE5C9A000  # Transfer log 162's amount
    return leg.kind


def test_a_claim_a_safe_executed_is_its_income_not_a_transfer_in(realdata: Path) -> None:
    safe = "0xfeb4acf3df3cdea7399794d0869ef76a6efaff52"
    executed = RawLog(164, safe, (SAFE_EXECUTION_SUCCESS,), "0x" + "d2" * 32 + "00" * 32)
    assert uni_kind(realdata, claim_to(realdata, safe, executed), safe) is Kind.INCOME
    assert uni_kind(realdata, claim_to(realdata, safe), safe) is Kind.TRANSFER_IN


def test_a_claim_an_erc4337_account_ran_is_its_income(realdata: Path) -> None:
    account = "0x" + "4a" * 20
    # UserOperationEvent(userOpHash, sender = the account, paymaster = none)
    nobody = topic_for("0x" + "00" * 20)
    topics = (USER_OPERATION_EVENT, "0x" + "11" * 32, topic_for(account), nobody)
    ran = RawLog(164, ENTRY_POINT_V07, topics, "0x" + "00" * 128)
    assert uni_kind(realdata, claim_to(realdata, account, ran), account) is Kind.INCOME
    # the same event from any other contract says nothing
    forged = replace(ran, address="0x" + "66" * 20)
    assert uni_kind(realdata, claim_to(realdata, account, forged), account) is Kind.TRANSFER_IN
