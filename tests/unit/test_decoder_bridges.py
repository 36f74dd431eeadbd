"""The bridge decoder (scanner.ledger.decode.protocols.bridges) on the twelve recorded bridge
transactions, through build_ledger, and one bridged lot through pairing and the lot engine.

Each recording in ../shared/realdata/explorer-recordings/decoder_receipts/ is built as the
explorer source builds it (tests/unit/recordings.py); the wallet is the one rotki tracks
(its events' `location_label`). Every figure below was read from the JSON by hand, the
comment says where: the fee is the receipt's gasUsed x effectiveGasPrice (+ l1Fee on
OP-stack chains and Scroll); rotki's events (DEPOSIT/BRIDGE, WITHDRAWAL/BRIDGE) name the
same amounts.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from chains.bridges import OP_L2_STANDARD_BRIDGE
from chains.evm.abi import topic_for, word
from chains.evm.records import InternalTransfer, RawLog, RawTx
from chains.registry import chain_by_id
from scanner.app.settings import asset_ranks
from scanner.ledger.build import build_ledger
from scanner.ledger.decode.protocols.bridges import SIGNALS
from scanner.ledger.pairing import pair_own_transfers
from scanner.ledger.records import Kind
from scanner.prices.book import PriceBook
from scanner.tax.lots import compute_lots
from tests.unit.recordings import ledger, recording

ETH = "eip155:1/slip44:60"
USDC = "eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
Leg = tuple[str, str, int, str, str]  # leg_key, asset, raw amount, kind, protocol

CASES: dict[str, tuple[str, list[Leg]]] = {
    "test_deposit_eth_ethereum_to_base_bridge": (
        "0x6d376a5863324489bd65ab2cc8e24d6ce3775848", [
            ("gas", ETH, -140423 * 14205345592, "fee", "gas"),  # 0x22487 x 0x34eb2e738
            # transaction value 0x1bc16d674ec80000 to Base's L1StandardBridge 0x3154cf16,
            # which logs ETHDepositInitiated (log 634) from and to the wallet
            ("native", ETH, -2 * 10**18, "transfer_out", "bridge:base"),
        ]),
    "test_withdraw_eth_base_to_ethereum_bridge": (
        "0x6730b1df17e50217777eee475e34815964e3bfb2", [
            # gasUsed 0x1c95b x effectiveGasPrice 0x310974 + l1Fee 0xf5b1ef0e8
            ("gas", "eip155:8453/slip44:60", -(117083 * 3213812 + 0xF5B1EF0E8), "fee", "gas"),
            # value 0x735dcbd0245d66406 to the L2StandardBridge: WithdrawalInitiated (log 349)
            ("native", "eip155:8453/slip44:60", -133008393312312648710, "transfer_out",
             "bridge:base"),
        ]),
    "test_superchain_bridge__test_withdraw_eth": (
        "0xe232e72983e329757f02292322296f5b96dafc8f", [
            # gasUsed 0x1c2e2 x 0xf4240 + l1Fee 0x38e72475bc08
            ("gas", "eip155:10/slip44:60", -(115426 * 1000000 + 0x38E72475BC08), "fee", "gas"),
            # legacy OVM ETH (0xdeaddead...0000) burned, Transfer log 0: 0x060c42e7ad68d02d;
            # WithdrawalInitiated log 3 names the wallet
            ("log:0", "eip155:10/erc20:0xdeaddeaddeaddeaddeaddeaddeaddeaddead0000",
             -0x060C42E7AD68D02D, "transfer_out", "bridge:optimism"),
        ]),
    "test_deposit_erc20": (
        "0x4bba290826c253bd854121346c370a9886d1bc26", [
            ("gas", ETH, -189960 * 24530060247, "fee", "gas"),
            # USDC Transfer log 201 to OP's L1StandardBridge 0x99c9fc46, 0x989680;
            # ERC20DepositInitiated log 204
            ("log:201", USDC, -0x989680, "transfer_out", "bridge:optimism"),
        ]),
    "test_arbitrum_one_bridge__test_receive_eth_on_ethereum": (
        "0x5ea45c8e36704d7f4053bb0e23cdd96e4d8b80f7", [
            ("gas", ETH, -93863 * 17987352235, "fee", "gas"),
            # txlistinternal row 0: Arbitrum's Bridge 0x8315177a -> wallet; Outbox log 132
            # OutBoxTransactionExecuted(to = the wallet)
            ("trace:p0", ETH, 98347591230481410000, "transfer_in", "bridge:arbitrum"),
        ]),
    "test_deposit_eth_from_ethereum_to_arbitrum_one": (
        "0x4e7df0fda2d203f5dfbaa34b9fb64dde5133196e", [
            ("gas", ETH, -91261 * 13226723767, "fee", "gas"),
            # value 0x1dc07f6e8b7a67 to the Inbox 0x4dbd4fc5 (InboxMessageDelivered log 289)
            ("native", ETH, -8374552015335015, "transfer_out", "bridge:arbitrum"),
        ]),
    "test_deposit_usdc_from_ethereum_to_arbitrum_one": (
        "0xd0adc5d079cc486b58f1b9a28b973355c4ec9e6f", [
            ("gas", ETH, -102757 * 6319788116, "fee", "gas"),
            # USDC Transfer log 299, 0x6da80004; DepositForBurn log 303, depositor = wallet
            ("log:299", USDC, -0x6DA80004, "transfer_out", "bridge:cctp"),
        ]),
    "test_receive_usdc_on_arbitrum_one_from_ethereum": (
        "0xd0adc5d079cc486b58f1b9a28b973355c4ec9e6f", [
            ("gas", "eip155:42161/slip44:60", -196702 * 10000000, "fee", "gas"),
            # USDC minted (Transfer log 1, 0x0 -> wallet, 0x6da80004); MintAndWithdraw log 2
            ("log:1", "eip155:42161/erc20:0xaf88d065e77c8cc2239327c5edb3a432268e5831",
             0x6DA80004, "transfer_in", "bridge:cctp"),
        ]),
    "test_across_bridge_deposit_on_ethereum": (
        "0x6b21bb0d79c543b13dee153700788d2c008633e5", [
            ("gas", ETH, -69858 * 1119502667, "fee", "gas"),
            # USDT Transfer log 363 to the SpokePool, 0x19346f3f; FundsDeposited log 364
            ("log:363", "eip155:1/erc20:0xdac17f958d2ee523a2206206994597c13d831ec7",
             -0x19346F3F, "transfer_out", "bridge:across"),
        ]),
    "test_hop_eth_bridge_optimism": (
        # a bonder sent it: no fee of the wallet's
        "0xc37b40abdb939635068d3c5f13e7faf686f03b65", [
            # txlistinternal row 1: the AMM wrapper 0x86ca30be -> wallet, 103926722004783110
            # wei; WithdrawalBonded log 0 from Hop's L2 bridge 0x83f6244b
            ("trace:p1", "eip155:10/slip44:60", 103926722004783110, "transfer_in",
             "bridge:hop"),
        ]),
    "test_polygon_pos_bridge_l2_withdraw": (
        # the chain's state sync (from and to 0x0): StateCommitted logs 292, 294
        "0x07ae8551be970cb1cca11dd7a11f47ae82e70e67", [
            ("log:293", "eip155:137/erc20:0x2791bca1f2de4661ed88a30c99a7a9449aa84174",
             0xCFB036DE4A, "transfer_in", "bridge:polygon"),
        ]),
    "test_withdraw_eth_from_scroll_to_ethereum": (
        "0xea72f0d67045b2cffbfb18e56744799f9f860cb7", [
            # gasUsed 0x37fdb x 0x1b6b0b00 + l1Fee 0x612cf8f475d2
            ("gas", "eip155:534352/slip44:60", -(229339 * 460000000 + 0x612CF8F475D2), "fee",
             "gas"),
            # value 0x853a0d2313c0000 to the L2GatewayRouter; WithdrawETH log 25
            ("native", "eip155:534352/slip44:60", -6 * 10**17, "transfer_out",
             "bridge:scroll"),
        ]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_leg_of_a_bridge_transaction(realdata: Path, name: str) -> None:
    wallet, expected = CASES[name]
    record = recording(realdata, name + ".json")
    entries = ledger(record, record.raw(), [wallet]).entries
    assert sorted((e.leg_key, e.asset, e.raw_amount, e.kind.value, e.protocol)
                  for e in entries) == sorted(expected)
    # rotki's own reading: one bridge event of the same amount, never income
    (bridged,) = [e for e in record.data["rotki_expected"]
                  if e["event_subtype"] == "BRIDGE"]
    (leg,) = [e for e in entries if e.protocol.startswith("bridge:")]
    assert abs(leg.quantity) == Decimal(bridged["amount"])


def test_the_signals_are_the_events_they_name() -> None:
    from eth_hash.auto import keccak
    for topic, signal in SIGNALS.items():
        types = []
        for part in _params(signal.name):
            types.append(part.split()[0])
        text = signal.name.split("(")[0] + "(" + ",".join(types) + ")"
        assert "0x" + keccak(text.encode()).hex() == topic, text


def _params(name: str) -> list[str]:
    """The parameters of an event signature, a tuple kept whole."""
    inner = name[name.index("(") + 1:-1]
    out, depth, start = [], 0, 0
    for i, char in enumerate(inner):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            out.append(inner[start:i])
            start = i + 1
    out.append(inner[start:])
    return [p.strip() for p in out if p.strip()]


# ETH bought on Ethereum, bridged to Base by Base's standard bridge (the recording above),
# arriving on Base when the L2StandardBridge finalizes the deposit
BASE_ETH = "eip155:8453/slip44:60"
DEPOSIT_FINALIZED = "0xb0444523268717a02698be47d0803aa7468c00acbed2f8bd93a0459cde61dd89"
OVM_ETH = "0xdeaddeaddeaddeaddeaddeaddeaddeaddead0000"


def test_a_lot_bridged_to_base_keeps_its_date_and_basis(realdata: Path) -> None:
    wallet, _ = CASES["test_deposit_eth_ethereum_to_base_bridge"]
    record = recording(realdata, "test_deposit_eth_ethereum_to_base_bridge.json")
    departure = record.raw()
    on_ethereum = ledger(record, departure, [wallet]).entries
    arrival = RawTx(
        chain_id=8453, tx_hash="0x" + "ab" * 32, block_number=21_600_000, tx_index=0,
        timestamp=departure.timestamp + timedelta(minutes=3),
        from_address="0x" + "11" * 20, to_address="0x4200000000000000000000000000000000000007",
        value=0, gas_used=0, effective_gas_price=0, success=True,
        logs=(RawLog(0, OP_L2_STANDARD_BRIDGE,
                     (DEPOSIT_FINALIZED, topic_for("0x" + "00" * 20), topic_for(OVM_ETH),
                      topic_for(wallet)),
                     "0x" + word(wallet) + word(2 * 10**18) + word(0x60) + word(0)),),
        internal=(InternalTransfer("0", OP_L2_STANDARD_BRIDGE, wallet, 2 * 10**18),))
    base = chain_by_id(8453)
    on_base = build_ledger(base, [arrival], [wallet], {}, PriceBook([]),
                           asset_ranks([base], frozenset())).entries
    assert [(e.kind, e.protocol, e.asset, e.raw_amount) for e in on_base] == \
        [(Kind.TRANSFER_IN, "bridge:base", BASE_ETH, 2 * 10**18)]
    # bought 3 ETH for 6,000.00 USD a month before
    bought_at = departure.timestamp - timedelta(days=30)
    buy = replace(on_ethereum[0], tx_hash="0x" + "cd" * 32, leg_key="trace:0",
                  timestamp=bought_at, block_number=1, kind=Kind.TRADE, protocol="transfer",
                  raw_amount=3 * 10**18, usd_value=Decimal("6000.00"), group_id="buy")
    paired = pair_own_transfers([buy, *on_ethereum, *on_base])
    assert {e.kind for e in paired if e.asset in (ETH, BASE_ETH) and e.protocol != "gas"
            and e is not buy} == {Kind.SELF_TRANSFER}
    book = compute_lots(paired)
    (on_l2,) = [lot for lot in book.open_lots if lot.asset == BASE_ETH]
    # FIFO: the gas (0.001994757244065416 ETH) and the 2 ETH both come from the one lot at
    # 2,000.00 USD an ETH; 2 ETH of 3 carry 2/3 of 6,000.00 = 4,000.00 to Base
    assert (on_l2.quantity, on_l2.cost_basis_usd, on_l2.acquired) == \
        (Decimal(2), Decimal("4000.00"), bought_at)
    assert book.income == ()
    assert all(d.asset == ETH and d.quantity == Decimal("0.001994757244065416")
               for d in book.disposals)
