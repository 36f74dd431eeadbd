"""OP Mainnet's ether before Bedrock moved as an ERC-20, OVM ETH at
0xdeaddeaddeaddeaddeaddeaddeaddeaddead0000 (Optimism's predeploy, LegacyERC20ETH since
Bedrock). The registry names it ETH, the native asset: a legacy-era leg is the coin itself,
in ETH's wash-sale group, and a withdrawal of it pairs with the ether it becomes on
Ethereum, keeping the lot's date and basis.

The departure is recorded: test_superchain_bridge__test_withdraw_eth, OVM ETH burned
(Transfer log 0, 0x060c42e7ad68d02d wei) by OP's L2StandardBridge on 2023-01-09. The
arrival is built: finalized on Ethereum after the seven-day challenge period, so paired
with a cross-chain window of eight days (the config's `[own_transfers]`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from chains.registry import asset_names
from scanner.app.settings import identity
from scanner.ledger.pairing import PairingRules, pair_own_transfers
from scanner.ledger.records import Kind
from scanner.tax.lots import compute_lots
from tests.unit.recordings import ledger, recording

OVM_ETH = "eip155:10/erc20:0xdeaddeaddeaddeaddeaddeaddeaddeaddead0000"
ETH = "eip155:1/slip44:60"
WALLET = "0xe232e72983e329757f02292322296f5b96dafc8f"
BURNED = 0x060C42E7AD68D02D  # 0.435796826762301485 ETH


def test_legacy_ovm_eth_is_named_eth_and_shares_eths_group() -> None:
    assert asset_names()[OVM_ETH] == asset_names()["eip155:10/slip44:60"] == "ETH"
    assert identity([])(OVM_ETH) == identity([])(ETH) == "ETH"


def test_a_legacy_era_withdrawal_pairs_with_the_ether_on_ethereum(realdata: Path) -> None:
    record = recording(realdata, "test_superchain_bridge__test_withdraw_eth.json")
    (burn,) = [e for e in ledger(record, record.raw(), [WALLET]).entries
               if e.asset == OVM_ETH]
    assert (burn.kind, burn.protocol, burn.raw_amount) == \
        (Kind.TRANSFER_OUT, "bridge:optimism", -BURNED)
    bought = replace(burn, tx_hash="0x" + "cd" * 32, leg_key="log:0", kind=Kind.TRADE,
                     protocol="transfer", timestamp=burn.timestamp - timedelta(days=40),
                     block_number=1, raw_amount=10**18, usd_value=Decimal("1200.00"),
                     group_id="buy")
    finalized = replace(burn, chain_id=1, tx_hash="0x" + "ef" * 32, leg_key="trace:0",
                        timestamp=burn.timestamp + timedelta(days=7, hours=1),
                        block_number=16_400_000, kind=Kind.TRANSFER_IN, asset=ETH,
                        raw_amount=BURNED, group_id="finalized")
    paired = pair_own_transfers([bought, burn, finalized],
                                PairingRules(cross_chain=timedelta(days=8)))
    assert [e.kind for e in paired[1:]] == [Kind.SELF_TRANSFER] * 2
    book = compute_lots(paired)
    (on_l1,) = [lot for lot in book.open_lots if lot.asset == ETH]
    # 0.435796826762301485 of the 1 OVM ETH bought for 1,200.00 USD carry that share of it,
    # 522.956192114761782, kept to the 1e-10 USD the ledger stores
    assert (on_l1.quantity, on_l1.cost_basis_usd, on_l1.acquired) == \
        (Decimal("0.435796826762301485"), Decimal("522.9561921148"), bought.timestamp)
    assert book.income == () and book.disposals == ()
