"""Maker and Sky: sUSDS deposits and redemptions and the DAI to USDS migration on real
transactions; the DSR through the DsrManager, sDAI, and the MKR-SKY and DAI-USDS converters
on hand-built transactions with the contracts' events in their published layout.

Each recording in ../shared/realdata/explorer-recordings/decoder_receipts/ is read as the
explorer source reads it (tests/unit/recordings.py); the wallet is the transaction's sender.
Every figure below was read from the JSON by hand, or is worked out in the test from the
contracts' published code (DsrManager, MkrSky): the comments say where.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from eth_utils.crypto import keccak

from chains.addresses import erc20_asset
from chains.evm.abi import topic_for, word
from chains.evm.records import RawLog, TokenInfo
from tests.unit.rawtx import ME, STRANGER, ZERO, built, event, legs, transfer, tx
from tests.unit.recordings import recorded

ETH = "eip155:1/slip44:60"
DAI = "0x6b175474e89094c44da98b954eedeac495271d0f"
USDS = "0xdc035d45d973e3ec169d2276ddab16f1e407384f"
SUSDS = "0xa3931d71877c0e7a3148cb7eb4463524fec27fbd"
SDAI = "0x83f20f44975d03b1b09e64809b757c47f942beea"
MKR = "0x9f8f72aa9304c8b593d555f12ef6589cc3a579a2"
SKY = "0x56072c95faa701256059aa122697b133aded9279"
DSR_MANAGER = "0x373238337bfe1146fb49989fc222523f83081ddb"
POT = "0x197e90f9fad81970ba7976f33cbd77088e5d7cf7"
MKR_SKY = "0xa1ea1ba18e88c381c724a75f23a130420c403f9a"
DAI_USDS = "0x3225737a9bbb6473cb4a45b7244aca2befdb276a"
RAY = 10**27
TOKENS = {a: TokenInfo(1, a, s, s, 18) for a, s in
          ((DAI, "DAI"), (USDS, "USDS"), (SDAI, "sDAI"), (MKR, "MKR"), (SKY, "SKY"))}


def topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


def asset(address: str) -> str:
    return erc20_asset(1, address)


def test_a_deposit_into_susds_is_skys(realdata: Path) -> None:
    # tx 0xe9ca86a0...: 0x2618d807 calls sUSDS.deposit (0x9b8d6d38): USDS Transfer log 308,
    # wallet -> sUSDS, 0x1154471994392ec0000 (rotki: 5114.68); sUSDS Transfer log 310 mints
    # 0x1152bed0467ae193bf6 to the wallet (rotki: 5112.913299374006156278)
    assert recorded(realdata, "test_deposit_susds.json") == sorted([
        ("gas", ETH, -0x23A6C * 0x5FAAE971A, "fee", "gas"),  # gasUsed x effectiveGasPrice
        ("log:308", asset(USDS), -0x1154471994392EC0000, "deposit", "sky"),
        ("log:310", asset(SUSDS), 0x1152BED0467AE193BF6, "deposit", "sky"),
    ])
    assert Decimal(0x1154471994392EC0000).scaleb(-18) == Decimal("5114.68")
    assert Decimal(0x23A6C * 0x5FAAE971A).scaleb(-18) == Decimal("0.003750084090503928")


def test_a_redemption_from_susds_is_skys(realdata: Path) -> None:
    # tx 0x2e5bac2c...: 0xae6396d2 calls sUSDS.withdraw (0xb460af94): USDS Transfer log 368,
    # sUSDS -> wallet, 0x102ef594fcb6226b0000 (rotki: 76424.11); sUSDS Transfer log 369
    # burns 0x102daaf1438f9e4c1ec2 (rotki: 76400.28490997120343213)
    assert recorded(realdata, "test_redeem_susds.json") == sorted([
        ("gas", ETH, -0x1FE88 * 0x48CA1B534, "fee", "gas"),
        ("log:368", asset(USDS), 0x102EF594FCB6226B0000, "withdraw", "sky"),
        ("log:369", asset(SUSDS), -0x102DAAF1438F9E4C1EC2, "withdraw", "sky"),
    ])
    assert Decimal(0x102DAAF1438F9E4C1EC2).scaleb(-18) == Decimal("76400.28490997120343213")
    assert Decimal(0x1FE88 * 0x48CA1B534).scaleb(-18) == Decimal("0.002553705360907168")


def test_dai_migrated_to_usds_is_a_wrap_carrying_its_basis(realdata: Path) -> None:
    # tx 0xeafdd978...: 0x11703130 calls Spark's MigrationActions 0xf86141a5
    # migrateDAIToUSDS (0xb9f8aeb2): DAI Transfer log 59, wallet -> MigrationActions,
    # 0xad78ebc5ac6200000 (rotki: Migrate 200 DAI); USDS Transfer log 64, 0x0 -> wallet, the
    # same (rotki: Receive 200 USDS); UsdsJoin's Exit log 65 names the wallet as usr
    assert recorded(realdata, "test_migrate_dai_usds.json") == sorted([
        ("gas", ETH, -0x230F9 * 0x62824519, "fee", "gas"),
        ("log:59", asset(DAI), -0xAD78EBC5AC6200000, "wrap", "sky"),
        ("log:64", asset(USDS), 0xAD78EBC5AC6200000, "wrap", "sky"),
    ])
    assert Decimal(0xAD78EBC5AC6200000).scaleb(-18) == 200
    assert Decimal(0x230F9 * 0x62824519).scaleb(-18) == Decimal("0.000237343245854033")


def pot_note(index: int, selector: str, pie: int) -> RawLog:
    """The Pot's LogNote (LibNote): topics selector (left-aligned), caller, arg1 = pie and
    arg2; data 0x20, 0xe0 and the call's first 224 bytes."""
    calldata = selector + word(pie)
    return RawLog(index, POT, ("0x" + selector + "0" * 56, topic_for(DSR_MANAGER),
                               "0x" + word(pie), "0x" + word(0)),
                  "0x" + word(0x20) + word(0xE0) + calldata.ljust(448, "0"))


# DsrManager (makerdao/dsr-manager): join(dst, wad) credits pie = rdiv(wad, chi) = wad x RAY
# / chi (rounded down) to dst; exitAll(dst) pays dst amt = rmul(chi, pie) = chi x pie / RAY
WAD = 2_500 * 10**18
CHI_IN, CHI_OUT = 1_053_212_345_678_901_234_567_890_123, 1_061_000_000_000_000_000_000_000_000
PIE = WAD * RAY // CHI_IN
AMT = CHI_OUT * PIE // RAY
# the wallet's pie at the DsrManager: a position of the DsrManager's, id the Pot's address
DSR = f"eip155:1/erc1155:{DSR_MANAGER}/{int(POT, 16)}"


def dsr_join(n: int = 1, sender: str = ME) -> list[RawLog]:
    return [transfer(0, DAI, sender, DSR_MANAGER, WAD),  # dai.transferFrom(msg.sender, ...)
            transfer(1, DAI, DSR_MANAGER, ZERO, WAD),  # daiJoin.join burns it
            pot_note(2, "049878f3", PIE),  # pot.join(pie)
            event(3, DSR_MANAGER, topic("Join(address,uint256)"), [ME], WAD)]


def dsr_exit() -> list[RawLog]:
    return [pot_note(0, "7f8661a1", PIE),  # pot.exit(pie)
            transfer(1, DAI, ZERO, ME, AMT),  # daiJoin.exit(dst, amt) mints it
            event(2, DSR_MANAGER, topic("Exit(address,uint256)"), [ME], AMT)]


def test_dai_in_the_dsr_is_a_deposit_into_its_pie_and_back() -> None:
    joined = tx(*dsr_join(), to=DSR_MANAGER)
    exited = tx(*dsr_exit(), to=DSR_MANAGER, n=2)
    assert sorted(legs([joined, exited], TOKENS)) == sorted([
        ("log:0", asset(DAI), -WAD, "deposit", "maker"),
        ("log:3", DSR, PIE, "deposit", "maker"),
        ("log:1", asset(DAI), AMT, "withdraw", "maker"),
        ("log:2", DSR, -PIE, "withdraw", "maker"),
    ])
    assert AMT > WAD  # the rate paid: it stays in the DAI that comes back, basis carried
    symbols = {e.symbol for e in built([joined, exited], TOKENS).entries if e.asset == DSR}
    assert symbols == {"DSR-pie"}


def test_a_dsr_exit_someone_else_made_to_the_wallet_is_not_its_pie() -> None:
    # the DsrManager took the pie of its caller, a stranger, and paid the wallet
    exited = tx(*dsr_exit(), to=DSR_MANAGER, sender=STRANGER)
    assert {leg[3:] for leg in legs([exited], TOKENS)} == {("transfer_in", "transfer")}


def test_an_sdai_deposit_is_makers() -> None:
    # ERC-4626 Deposit(sender, owner, assets, shares) at sDAI, its shares minted to the wallet
    deposit = topic("Deposit(address,address,uint256,uint256)")
    raw = tx(transfer(0, DAI, ME, SDAI, 1_000), transfer(1, SDAI, ZERO, ME, 950),
             event(2, SDAI, deposit, [ME, ME], 1_000, 950), to=SDAI)
    assert legs([raw], TOKENS) == [("log:0", asset(DAI), -1_000, "deposit", "maker"),
                                   ("log:1", asset(SDAI), 950, "deposit", "maker")]


def test_mkr_to_sky_is_a_wrap_with_the_mkr_leg_from_its_burn() -> None:
    # MkrSky.mkrToSky(usr, mkrAmt): skyAmt = mkrAmt x rate (24,000), less fee x skyAmt / WAD;
    # MKR burned (its DSToken emits Burn, no Transfer), SKY sent from the converter
    mkr_amt, fee = 3 * 10**18, 2 * 10**16  # a 2% fee
    gross = mkr_amt * 24_000
    sky_fee = gross * fee // 10**18
    sky_amt = gross - sky_fee
    raw = tx(event(0, MKR, topic("Burn(address,uint256)"), [ME], mkr_amt),
             transfer(1, SKY, MKR_SKY, ME, sky_amt),
             event(2, MKR_SKY, topic("MkrToSky(address,address,uint256,uint256,uint256)"),
                   [ME, ME], mkr_amt, sky_amt, sky_fee), to=MKR_SKY)
    assert sorted(legs([raw], TOKENS)) == [("log:1", asset(SKY), sky_amt, "wrap", "sky"),
                                           ("log:2", asset(MKR), -mkr_amt, "wrap", "sky")]
    assert sky_amt == 70_560 * 10**18


def test_usds_back_to_dai_is_an_unwrap() -> None:
    # DaiUsds.usdsToDai(usr, wad): USDS taken and burned, DAI minted to usr, UsdsToDai
    raw = tx(transfer(0, USDS, ME, DAI_USDS, 40), transfer(1, USDS, DAI_USDS, ZERO, 40),
             transfer(2, DAI, ZERO, ME, 40),
             event(3, DAI_USDS, topic("UsdsToDai(address,address,uint256)"), [ME, ME], 40),
             to=DAI_USDS)
    assert legs([raw], TOKENS) == [("log:0", asset(USDS), -40, "unwrap", "sky"),
                                   ("log:2", asset(DAI), 40, "unwrap", "sky")]


def test_a_conversion_of_other_amounts_is_left_to_the_generic_rules() -> None:
    # 39 DAI for 40 USDS: not the converter's one for one
    raw = tx(transfer(0, USDS, ME, DAI_USDS, 40), transfer(1, USDS, DAI_USDS, ZERO, 40),
             transfer(2, DAI, ZERO, ME, 39),
             event(3, DAI_USDS, topic("UsdsToDai(address,address,uint256)"), [ME, ME], 40),
             to=DAI_USDS, n=2)
    assert {leg[3:] for leg in legs([raw], TOKENS)} == {("trade", "transfer")}
