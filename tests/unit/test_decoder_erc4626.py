"""ERC-4626 vaults against real transactions: Sky's sUSDS (a deposit and a redemption) and a
Yearn v3 vault, through build_ledger; and the same transactions with the share Transfer
taken out, as a vault that mints or burns its shares without one (sDAI's kind) records
them: the share leg then comes from the Deposit (Withdraw) event's `shares`.

sUSDS is named by the Maker/Sky decoder (protocol `sky`, decode/protocols/maker.py), which
reads it through the standard's decoder.

Each recording in ../shared/realdata/explorer-recordings/decoder_receipts/ is read as the
explorer source reads it (tests/unit/recordings.py); the wallet is the transaction's sender.
Every figure below was read from the JSON by hand: the comments say where.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from scanner.ledger.decode.protocols.erc4626 import DEPOSIT, WITHDRAW
from tests.unit.recordings import ledger, recording

ETH = "eip155:1/slip44:60"
USDS = "eip155:1/erc20:0xdc035d45d973e3ec169d2276ddab16f1e407384f"
SUSDS = "eip155:1/erc20:0xa3931d71877c0e7a3148cb7eb4463524fec27fbd"  # the vault itself
CRVUSD = "eip155:1/erc20:0xf939e0a03fb07f59a73314e73794be0e57ac1b4e"
YVCRVUSD = "eip155:1/erc20:0xbf319ddc2edc1eb6fdf9910e39b37be221c8805f"
SKY = "sky"  # the protocol of sUSDS's legs

Leg = tuple[str, str, int, str, str]  # leg_key, asset, raw amount, kind, protocol


def legs(realdata: Path, name: str, drop_log: int | None = None) -> list[Leg]:
    record = recording(realdata, name)
    raw = record.raw()
    if drop_log is not None:
        raw = replace(raw, logs=tuple(g for g in raw.logs if g.log_index != drop_log))
    built = ledger(record, raw, [raw.from_address])
    return sorted((e.leg_key, e.asset, e.raw_amount, e.kind.value, e.protocol)
                  for e in built.entries)


# tx 0xe9ca86a0...: 0x2618d807 calls sUSDS.deposit(assets, receiver, referral) (0x9b8d6d38)
SUSDS_DEPOSIT_GAS = ("gas", ETH, -0x23A6C * 0x5FAAE971A, "fee", "gas")  # gasUsed x price
# USDS Transfer log 308, wallet -> sUSDS, 0x1154471994392ec0000 (5114.68 USDS); Deposit log
# 309 (topic 0xdcbc1c05, sender = owner = the wallet) says the same assets, and shares
# 0x1152bed0467ae193bf6, which sUSDS Transfer log 310 mints (0x0 -> the wallet)
SUSDS_IN = ("log:308", USDS, -0x1154471994392EC0000, "deposit", SKY)
SUSDS_SHARES = 0x1152BED0467AE193BF6


def test_a_deposit_into_susds_is_a_deposit_for_its_shares(realdata: Path) -> None:
    assert legs(realdata, "test_deposit_susds.json") == sorted([
        SUSDS_DEPOSIT_GAS, SUSDS_IN, ("log:310", SUSDS, SUSDS_SHARES, "deposit", SKY)])
    assert SUSDS_SHARES == 5112913299374006156278  # rotki: Receive 5112.913299374006156278


def test_shares_minted_without_a_transfer_come_from_the_deposit_event(realdata: Path) -> None:
    # the same transaction without log 310: the share leg is Deposit log 309's `shares`
    assert legs(realdata, "test_deposit_susds.json", drop_log=310) == sorted([
        SUSDS_DEPOSIT_GAS, SUSDS_IN, ("log:309", SUSDS, SUSDS_SHARES, "deposit", SKY)])


# tx 0x2e5bac2c...: 0xae6396d2 calls sUSDS.withdraw(assets, receiver, owner) (0xb460af94)
SUSDS_REDEEM_GAS = ("gas", ETH, -0x1FE88 * 0x48CA1B534, "fee", "gas")
# USDS Transfer log 368, sUSDS -> the wallet, 0x102ef594fcb6226b0000 (76424.11 USDS); the
# Withdraw log 370 (topic 0xfbde797d, sender = receiver = owner = the wallet) burns shares
# 0x102daaf1438f9e4c1ec2, as sUSDS Transfer log 369 (the wallet -> 0x0) does
SUSDS_OUT = ("log:368", USDS, 0x102EF594FCB6226B0000, "withdraw", SKY)
SUSDS_BURNED = 0x102DAAF1438F9E4C1EC2


def test_a_redemption_from_susds_is_a_withdrawal_of_its_shares(realdata: Path) -> None:
    assert legs(realdata, "test_redeem_susds.json") == sorted([
        SUSDS_REDEEM_GAS, SUSDS_OUT, ("log:369", SUSDS, -SUSDS_BURNED, "withdraw", SKY)])
    assert SUSDS_BURNED == 76400284909971203432130  # rotki: Return 76400.28490997120343213


def test_shares_burned_without_a_transfer_come_from_the_withdraw_event(realdata: Path) -> None:
    assert legs(realdata, "test_redeem_susds.json", drop_log=369) == sorted([
        SUSDS_REDEEM_GAS, SUSDS_OUT, ("log:370", SUSDS, -SUSDS_BURNED, "withdraw", SKY)])


def test_a_yearn_v3_vault_is_read_by_the_standard_alone(realdata: Path) -> None:
    # tx 0xa622b53f...: 0xd0002c64 calls the yvcrvUSD-2 vault's deposit(assets, receiver)
    # (0x6e553f65); no registry names the vault
    assert legs(realdata, "test_deposit_yearn_v3.json") == sorted([
        ("gas", ETH, -0x21E31 * 0x995B88E8, "fee", "gas"),
        # crvUSD Transfer log 213, wallet -> vault, 0x193982156b30f340000 (7445 crvUSD)
        ("log:213", CRVUSD, -0x193982156B30F340000, "deposit", "erc4626"),
        # the vault's Transfer log 214, 0x0 -> wallet, 0x18dbcfa395d87a83519; Deposit log 215
        # says assets 0x193982156b30f340000 and the same shares
        ("log:214", YVCRVUSD, 0x18DBCFA395D87A83519, "deposit", "erc4626"),
    ])


def test_the_events_are_the_standards(realdata: Path) -> None:
    record = recording(realdata, "test_deposit_susds.json")
    (deposit,) = [g for g in record.raw().logs if g.log_index == 309]
    (withdraw,) = [g for g in recording(realdata, "test_redeem_susds.json").raw().logs
                   if g.log_index == 370]
    assert (deposit.topics[0], withdraw.topics[0]) == (DEPOSIT, WITHDRAW)
