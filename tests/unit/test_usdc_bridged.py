"""USDC across chains: Circle's native USDC is one asset, USDC, on every chain of the
registry, so a CCTP move (burned on one chain, minted on the other) pairs as an own
transfer and the lot keeps its date and basis; the copy a rollup's own bridge mints for
USDC locked on Ethereum (USDC.e, USDbC) carries the name too. Binance-Peg USDC on BNB
Chain, a custodian's IOU, is another token.

The addresses below are Circle's published USDC contract addresses
(developers.circle.com, "USDC Contract Addresses") and the bridges' token pages; the two
CCTP transactions are recorded (../shared/realdata, skipped when absent)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from chains.addresses import erc20_asset
from chains.registry import asset_names, identical_group
from scanner.ledger.pairing import pair_own_transfers
from scanner.ledger.records import Kind, LedgerEntry
from scanner.tax.lots import compute_lots
from tests.unit.recordings import ledger, recording

CIRCLE_USDC = {
    1: "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
    10: "0x0b2c639c533813f4aa9d7837caf62653d097ff85",
    137: "0x3c499c542cef5e3811e1192ce70d8cc03d5c3359",
    324: "0x1d17cbcf0d6d143135ae902365d2e5e2a16538d4",
    8453: "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913",
    42161: "0xaf88d065e77c8cc2239327c5edb3a432268e5831",
    43114: "0xb97ef9ef8734c71904d8002f8b6bc66dd9c48a6e",
    59144: "0x176211869ca2b568f2a7d4ee941e073a821ee1ff",
}
ROLLUP_BRIDGED = {
    10: "0x7f5c764cbc14f9669b88837ca1490cca17c31607",  # USDC.e, Optimism's standard bridge
    137: "0x2791bca1f2de4661ed88a30c99a7a9449aa84174",  # USDC (PoS), Polygon's PoS bridge
    324: "0x3355df6d4c9c3035724fd0e3914de96a5a83aaf4",  # USDC.e, zkSync's bridge
    8453: "0xd9aaec86b65d86f6a7b5b1b0c42ffa531710b6ca",  # USDbC, Base's standard bridge
    42161: "0xff970a61a04b1ca14834a43f5de4533ebddb5cc8",  # USDC.e, Arbitrum's gateway
}
BINANCE_PEG_USDC = erc20_asset(56, "0x8ac76a51cc950d9822d68b83fe1ad97b32cd580d")
WALLET = "0xd0adc5d079cc486b58f1b9a28b973355c4ec9e6f"  # the recordings' sender
SENT = 0x6DA80004  # 1,839.726596 USDC: Ethereum's Transfer log 299, Arbitrum's log 1
BASIS = Decimal("2000.00") * Decimal("1839.726596") / 2000  # the lot's share, unrounded


def test_native_usdc_and_rollup_bridged_usdc_are_one_asset_on_every_chain() -> None:
    names = asset_names()
    for chain_id, address in [*CIRCLE_USDC.items(), *ROLLUP_BRIDGED.items()]:
        assert names[erc20_asset(chain_id, address)] == "USDC", chain_id
    assert identical_group("USDC") == "USDC"
    assert BINANCE_PEG_USDC not in names


def _bridged(realdata: Path) -> tuple[list[LedgerEntry], list[LedgerEntry]]:
    """The wallet's USDC legs of the two recorded CCTP ends, and a buy of 2,000 USDC for
    2,000.00 USD a month before the burn."""
    ends = []
    for name in ("test_deposit_usdc_from_ethereum_to_arbitrum_one.json",
                 "test_receive_usdc_on_arbitrum_one_from_ethereum.json"):
        record = recording(realdata, name)
        ends += [e for e in ledger(record, record.raw(), [WALLET]).entries
                 if e.protocol == "bridge:cctp"]
    burn, mint = ends
    assert (burn.kind, burn.raw_amount, mint.kind, mint.raw_amount) == \
        (Kind.TRANSFER_OUT, -SENT, Kind.TRANSFER_IN, SENT)
    buy = replace(burn, tx_hash="0x" + "cd" * 32, leg_key="log:0", kind=Kind.TRADE,
                  protocol="transfer", timestamp=burn.timestamp - timedelta(days=30),
                  block_number=1, raw_amount=2000 * 10**6, usd_value=Decimal("2000.00"),
                  group_id="buy")
    return [buy], [burn, mint]


def _carried(entries: list[LedgerEntry], asset: str) -> tuple[Decimal, Decimal | None, object]:
    paired = pair_own_transfers(entries)
    assert [e.kind for e in paired[1:]] == [Kind.SELF_TRANSFER] * 2
    book = compute_lots(paired)
    (lot,) = [lot for lot in book.open_lots if lot.asset == asset]
    assert book.income == () and book.disposals == ()
    return lot.quantity, lot.cost_basis_usd, lot.acquired


def test_usdc_burned_on_ethereum_and_minted_on_arbitrum_keeps_its_date_and_basis(
        realdata: Path) -> None:
    (buy,), (burn, mint) = _bridged(realdata)
    # 1,839.726596 of the 2,000 USDC bought for 2,000.00 USD carry 1839.726596/2000 of it
    assert _carried([buy, burn, mint], mint.asset) == \
        (Decimal("1839.726596"), BASIS, buy.timestamp)


def test_usdc_minted_on_base_pairs_with_the_ethereum_burn(realdata: Path) -> None:
    (buy,), (burn, mint) = _bridged(realdata)
    on_base = replace(mint, chain_id=8453, asset=erc20_asset(8453, CIRCLE_USDC[8453]))
    assert _carried([buy, burn, on_base], on_base.asset) == \
        (Decimal("1839.726596"), BASIS, buy.timestamp)


def test_usdc_e_from_a_rollup_bridge_pairs_and_binance_peg_usdc_does_not(
        realdata: Path) -> None:
    (buy,), (burn, mint) = _bridged(realdata)
    usdc_e = replace(mint, chain_id=10, asset=erc20_asset(10, ROLLUP_BRIDGED[10]))
    assert _carried([buy, burn, usdc_e], usdc_e.asset)[1] == BASIS
    pegged = replace(mint, chain_id=56, asset=BINANCE_PEG_USDC)
    assert [e.kind for e in pair_own_transfers([buy, burn, pegged])[1:]] == \
        [Kind.TRANSFER_OUT, Kind.TRANSFER_IN]
