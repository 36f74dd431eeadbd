"""An ERC-4337 account's gas: what its user operation cost (UserOperationEvent's
actualGasCost) is its fee, taken from the prefund it sent the EntryPoint; the rest of the
prefund stays with the EntryPoint as the account's deposit (EntryPoint v0.7
`_validatePrefund` / `_postExecution`: the deposit is credited with the prefund and debited
with actualGasCost, no ether comes back in the transaction), a transfer to the EntryPoint
that the position model carries when it comes back. With a paymaster the account pays
nothing. A bundler sends the transaction and pays its gas."""

from __future__ import annotations

from datetime import UTC, datetime

from chains.evm.abi import topic_for, word
from chains.evm.records import InternalTransfer, RawLog, RawTx
from chains.registry import chain_by_id
from scanner.app.settings import asset_ranks
from scanner.ledger.build import build_ledger
from scanner.ledger.decode.executors import USER_OPERATION_EVENT, user_operation_costs
from scanner.prices.book import PriceBook

ENTRY_POINT = "0x0000000071727de22e5e9d8baf0edac6f37da032"  # v0.7
ACCOUNT = "0x" + "4a" * 20
BUNDLER = "0x" + "b0" * 20
PAYMASTER = "0x" + "9a" * 20
ETH = "eip155:1/slip44:60"
NOBODY = "0x" + "00" * 20
PREFUND = 1_000_000_000_000_000  # 0.001 ETH: the most the operation could cost
COST = 312_456_789_000_000  # actualGasCost


def operation(prefund: int, cost: int, paymaster: str = NOBODY) -> RawTx:
    """handleOps: the account sends the EntryPoint its prefund (an internal transfer), the
    EntryPoint emits UserOperationEvent(userOpHash, sender, paymaster; nonce, success,
    actualGasCost, actualGasUsed) and pays the bundler."""
    event = RawLog(7, ENTRY_POINT, (USER_OPERATION_EVENT, "0x" + "11" * 32,
                                    topic_for(ACCOUNT), topic_for(paymaster)),
                   "0x" + word(3) + word(1) + word(cost) + word(150_000))
    internal = [InternalTransfer("0_1", ACCOUNT, ENTRY_POINT, prefund)] if prefund else []
    return RawTx(chain_id=1, tx_hash="0x" + "ab" * 32, block_number=20_000_000, tx_index=4,
                 timestamp=datetime(2024, 6, 1, tzinfo=UTC), from_address=BUNDLER,
                 to_address=ENTRY_POINT, value=0, gas_used=180_000,
                 effective_gas_price=2_000_000_000, success=True, logs=(event,),
                 internal=(*internal, InternalTransfer("0_2", ENTRY_POINT, BUNDLER, cost)))


def legs(raw: RawTx) -> list[tuple[str, str, int, str, str]]:
    chain = chain_by_id(1)
    built = build_ledger(chain, [raw], [ACCOUNT], {}, PriceBook([]),
                         asset_ranks([chain], frozenset()))
    return sorted((e.leg_key, e.asset, e.raw_amount, e.kind.value, e.protocol)
                  for e in built.entries)


def test_the_operations_cost_is_the_fee_and_the_rest_stays_with_the_entry_point() -> None:
    assert user_operation_costs(operation(PREFUND, COST)) == {ACCOUNT: COST}
    assert legs(operation(PREFUND, COST)) == [
        ("trace:0_1", ETH, -(PREFUND - COST), "transfer_out", "transfer"),
        ("trace:0_1:fee", ETH, -COST, "fee", "gas"),
    ]


def test_a_prefund_short_of_the_cost_is_all_fee() -> None:
    # the deposit already held covered the rest of the cost: only what was sent is booked
    assert legs(operation(COST // 2, COST)) == [("trace:0_1", ETH, -(COST // 2), "fee", "gas")]


def test_a_paymaster_pays_and_an_account_with_a_deposit_sends_nothing() -> None:
    assert user_operation_costs(operation(0, COST, PAYMASTER)) == {}
    assert legs(operation(0, COST)) == []
