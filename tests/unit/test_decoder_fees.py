"""The whole fee, from the receipt, on every chain of the recorded real transactions.

On OP-stack chains (Optimism, Base) and Scroll the sender pays gasUsed x
effectiveGasPrice and, on top, the L1 data fee the receipt shows as `l1Fee`; Arbitrum's
gasUsed already holds its L1 part (`gasUsedForL1` is a share of it), and Ethereum, Gnosis
and Polygon receipts have no other fee. The expected figures are computed here from the
receipt JSON, and checked against rotki's own gas event (its decoder tests assert the fee
the chain charged) where rotki tracks the sender.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from chains.errors import SourceInconsistent
from scanner.ledger.records import Kind
from tests.unit.recordings import Recording, ledger, names, recording

# the recordings whose receipt carries `l1Fee` (the README of the recordings counts 16)
L1_FEE = [
    "test_balancer_v2_join_with_gauge_deposit.json",  # Optimism
    "test_claim_scroll_airdop.json",  # Scroll
    "test_hop_eth_bridge_optimism.json",  # Optimism, sent by a Hop bonder
    "test_kyber_aggregator_swap_optimism.json",  # Optimism (Ecotone: blob fee scalars)
    "test_odos_v2__test_airdrop_claim.json",  # Base
    "test_optimism_airdrop_1_claim.json",  # Optimism, pre-Bedrock
    "test_optimism_supply_eth_with_wrapping.json",  # Optimism
    "test_simple_swap_no_fee_base.json",  # Base
    "test_superchain_bridge__test_withdraw_eth.json",  # Optimism, pre-Bedrock
    "test_swap_on_scroll.json",  # Scroll
    "test_swap_tokens_v2.json",  # Optimism (Bedrock)
    "test_swap_via_settler_on_base.json",  # Base
    "test_uniswapv3__test_add_liquidity_on_optimism.json",  # Optimism
    "test_uniswapv3__test_swap_on_base.json",  # Base
    "test_withdraw_eth_base_to_ethereum_bridge.json",  # Base
    "test_withdraw_eth_from_scroll_to_ethereum.json",  # Scroll
]
WEI = Decimal(10) ** 18


def rotki_fee(record: Recording, sender: str) -> int | None:
    """rotki's gas event of the sender, in wei; None when rotki tracks someone else."""
    fees = [e for e in record.data.get("rotki_expected") or []
            if (e["event_type"], e["event_subtype"], e["counterparty"]) == ("SPEND", "FEE", "gas")
            and e["location_label"].lower() == sender]
    if not fees:
        return None
    (fee,) = fees
    wei = Decimal(fee["amount"]) * WEI
    assert wei == wei.to_integral_value()
    return int(wei)


def test_the_recordings_with_an_l1_fee_are_the_sixteen_listed(realdata: Path) -> None:
    carrying = [n for n in names(realdata) if "l1Fee" in recording(realdata, n).receipt]
    assert carrying == L1_FEE


@pytest.mark.parametrize("name", L1_FEE)
def test_the_fee_leg_is_the_l2_gas_plus_the_l1_fee(realdata: Path, name: str) -> None:
    record = recording(realdata, name)
    receipt = record.receipt
    whole = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16) \
        + int(receipt["l1Fee"], 16)
    raw = record.raw()
    (gas,) = [e for e in ledger(record, raw, [raw.from_address]).entries if e.leg_key == "gas"]
    assert (gas.kind, gas.protocol, gas.raw_amount) == (Kind.FEE, "gas", -whole)
    assert rotki_fee(record, raw.from_address) in (whole, None)


def test_every_fee_rotki_books_is_the_fee_leg_on_every_chain(realdata: Path) -> None:
    """Ethereum, Arbitrum, Gnosis, Polygon, Optimism, Base, Scroll: wherever rotki tracks
    the sender, its gas event and the ledger's fee leg are the same number of wei."""
    chains: set[int] = set()
    for name in names(realdata):
        record = recording(realdata, name)
        raw = record.raw()
        expected = rotki_fee(record, raw.from_address)
        if expected is None:
            continue
        (gas,) = [e for e in ledger(record, raw, [raw.from_address]).entries
                  if e.kind is Kind.FEE]
        assert -gas.raw_amount == expected, name
        chains.add(record.chain_id)
    assert chains == {1, 10, 100, 137, 8453, 42161, 534352}


def legs(record: Recording) -> list[tuple[str, str, int, str, str]]:
    raw = record.raw()
    return sorted((e.leg_key, e.asset, e.raw_amount, e.kind.value, e.protocol)
                  for e in ledger(record, raw, [raw.from_address]).entries)


def test_a_kyberswap_on_optimism_leg_by_leg(realdata: Path) -> None:
    # tx 0xc50282f4...: 0x1961425e calls the KyberSwap router 0x6131b5fa (0xe21fd0e9),
    # wstETH for ETH through its executor 0x11ddd59c and Balancer's vault
    record = recording(realdata, "test_kyber_aggregator_swap_optimism.json")
    assert record.tx["hash"] == \
        "0xc50282f437bacfbeef00baf4dae0785a259f87294089b96f7a6363ad4928570e"
    wsteth = "eip155:10/erc20:0x1f32b1c2345538c0c6f582fcb022739c4a194ebb"
    eth = "eip155:10/slip44:60"
    assert legs(record) == sorted([
        # receipt gasUsed 0x477f4 x effectiveGasPrice 0x3b46650, plus l1Fee 0x4b1946c536
        ("gas", eth, -(0x477F4 * 0x3B46650 + 0x4B1946C536), "fee", "gas"),
        # wstETH Transfer log 0x2d (45), the wallet -> the executor, 0x137cfcb534917471
        ("log:45", wsteth, -0x137CFCB534917471, "trade", "transfer"),
        # txlistinternal row 1 (p1): the executor -> the wallet, 1633943151167508706 wei
        # (row 0 is WETH -> the executor: the unwrap)
        ("trace:p1", eth, 1633943151167508706, "trade", "transfer"),
    ])


def test_a_uniswap_v3_swap_on_base_leg_by_leg(realdata: Path) -> None:
    # tx 0x2125ff35...: 0x3a4e1e52 calls the universal router 0x3fc91a3a (0x3593564c) with
    # 0.005 ETH, wrapped by the router (Deposit log 14, dst = the router), swapped in the
    # WETH/NESSY pool 0xebf57167 (V3 Swap log 17, recipient the wallet)
    record = recording(realdata, "test_uniswapv3__test_swap_on_base.json")
    assert record.tx["hash"] == \
        "0x2125ff35709009b9782f8351db3cb5a44a0bf088c3f38de08d92eb3906394635"
    nessy = "eip155:8453/erc20:0x7299cd731d0712db09e7df43fd670d75db3319bc"
    eth = "eip155:8453/slip44:60"
    fee = 0x1FDB2 * 0x1012F7 + 0xAC6F6605DBB2  # gasUsed x effectiveGasPrice + l1Fee
    assert fee == 189731906791024  # rotki: "Burn 0.000189731906791024 ETH for gas"
    l2_gas = 0x1FDB2 * 0x1012F7
    assert l2_gas < fee // 1000  # the L2 gas alone: under a thousandth of the fee
    assert legs(record) == sorted([
        ("gas", eth, -fee, "fee", "gas"),
        # NESSY Transfer log 0xf (15), the pool -> the wallet, 0x8575aa3f092f232119ccf
        ("log:15", nessy, 0x8575AA3F092F232119CCF, "trade", "uniswap-v3"),
        # transaction value 0x11c37937e08000 (0.005 ETH) sent to the router
        ("native", eth, -0x11C37937E08000, "trade", "uniswap-v3"),
    ])


def base_swap(realdata: Path, **receipt: object) -> Recording:
    """The Base swap's recording with fields of its receipt replaced (None: left out)."""
    record = recording(realdata, "test_uniswapv3__test_swap_on_base.json")
    changed = {k: v for k, v in {**record.receipt, **receipt}.items() if v is not None}
    return replace(record, receipt=changed)


def test_a_receipt_of_an_l1_fee_chain_without_it_is_refused(realdata: Path) -> None:
    record = base_swap(realdata, l1Fee=None)
    with pytest.raises(SourceInconsistent, match=r"on Base shows no L1 data fee \(l1Fee\)"):
        record.raw()
    # an OP-stack deposit (type 0x7e) is paid for on L1: it has none, and needs none
    deposit = replace(record, tx={**record.tx, "type": "0x7e"})
    assert deposit.raw().fee_wei == 0x1FDB2 * 0x1012F7
    # a chain that charges no L1 fee reads the same receipt as the whole fee
    ethereum = replace(record, data={**record.data, "chain_id": 1})
    assert ethereum.raw().fee_wei == 0x1FDB2 * 0x1012F7


def test_an_op_stack_operator_fee_is_refused_unless_it_is_zero(realdata: Path) -> None:
    none = base_swap(realdata, operatorFeeScalar="0x0", operatorFeeConstant="0x0")
    assert none.raw().fee_wei == 0x1FDB2 * 0x1012F7 + 0xAC6F6605DBB2
    charged = base_swap(realdata, operatorFeeScalar="0x0", operatorFeeConstant="0x5")
    with pytest.raises(SourceInconsistent, match="operator fee"):
        charged.raw()
