"""Uniswap V3 beyond the registry's addresses, on real recorded transactions: an L2 position
opened through the NonfungiblePositionManager, a pool and a position manager recognized by
their interface (QuickSwap V3, a V3 fork on Polygon; a manager no registry lists), and a
manager named by the config's `[[protocols]]` reaching the decoder."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from chains.addresses import erc20_asset, nft_asset
from chains.deployments import UNISWAP_V3_POSITIONS, addresses_of, contracts_on
from chains.evm.records import RawTx
from chains.registry import chain_by_id
from scanner.app.config import load_config
from scanner.app.config_protocols import named_contracts
from scanner.app.settings import keep_rules
from scanner.errors import ConfigError
from scanner.ledger.build import decode_context
from scanner.ledger.decode.protocols import Refinement
from scanner.ledger.decode.protocols.uniswap_v3 import POSITIONS_ROLE, UniswapV3Decoder
from scanner.ledger.decode.transfers import decode_movements
from scanner.ledger.records import Kind
from scanner.store import Store
from tests.unit.recordings import Recording, ledger, recording

OP_ADD = "test_uniswapv3__test_add_liquidity_on_optimism.json"
QUICKSWAP = "test_quickswapv3__test_swap.json"
BASE_SWAP = "test_uniswapv3__test_swap_on_base.json"
POOL_MINT_LOG = 47  # the OP/USDC pool's Mint in the Optimism recording


def legs(record: Recording, raw: RawTx) -> list[tuple[str, str, int, str, str]]:
    return sorted((e.leg_key, e.asset, e.raw_amount, e.kind.value, e.protocol)
                  for e in ledger(record, raw, [raw.from_address]).entries)


def refined(record: Recording, raw: RawTx, contracts: dict[str, str]) -> Refinement | None:
    """The Uniswap V3 decoder's reading of the sender's legs, with only `contracts` known."""
    chain = chain_by_id(record.chain_id)
    context = replace(decode_context(chain, frozenset({raw.from_address}), record.tokens),
                      contracts=contracts)
    moves = [m for m in decode_movements(raw, frozenset({raw.from_address}),
                                         chain.native_asset, record.tokens) if not m.is_fee]
    return UniswapV3Decoder().refine(raw, raw.from_address, moves, context)


def test_an_add_liquidity_on_optimism_leg_by_leg(realdata: Path) -> None:
    # tx 0x96bd0e37...: 0x9a539f69 calls the position manager 0xc36442b4 (mint), paying
    # USDC (log 44) and OP (log 46) to the pool 0xb533c12f, which answers with its Mint (log
    # 47); the manager mints NFT 0x86735 = 550709 (log 48), IncreaseLiquidity (log 49)
    record = recording(realdata, OP_ADD)
    assert record.tx["hash"] == \
        "0x96bd0e37e1734b5e73f9abdf30b39c4e4a6879667c2d01a7be2d95a85cc0b0cc"
    eth = "eip155:10/slip44:60"
    usdc = erc20_asset(10, "0x0b2c639c533813f4aa9d7837caf62653d097ff85")
    op = erc20_asset(10, "0x4200000000000000000000000000000000000042")
    position = nft_asset(10, "erc721", UNISWAP_V3_POSITIONS, 550709)
    fee = 0x6CE7E * 0x3A536D8 + 0x10BD552A13  # gasUsed x effectiveGasPrice + l1Fee
    assert fee == 27353637451875  # rotki: "Burn 0.000027353637451875 ETH for gas"
    assert legs(record, record.raw()) == sorted([
        ("gas", eth, -fee, "fee", "gas"),
        # USDC Transfer log 44: 0x1eb86ff = 32.212735 USDC, rotki's "Deposit 32.212735 USDC"
        ("log:44", usdc, -0x1EB86FF, "lp_deposit", "uniswap-v3"),
        # OP Transfer log 46: rotki's "Deposit 10975.908530657738737186 OP"
        ("log:46", op, -0x25301545FC70A2DC622, "lp_deposit", "uniswap-v3"),
        # IncreaseLiquidity log 49: liquidity 0xc50e0fa7504491 units of the position
        ("log:49", position, 0xC50E0FA7504491, "lp_deposit", "uniswap-v3"),
    ])
    assert 0x1EB86FF == 32212735 and 0xC50E0FA7504491 == 55466030806353041


def test_a_manager_no_registry_lists_is_known_by_its_pools_mint(realdata: Path) -> None:
    record = recording(realdata, OP_ADD)
    raw = record.raw()
    found = refined(record, raw, {})  # no deployment known on the chain
    assert found is not None and found.protocol == "uniswap-v3"
    assert set(found.kinds.values()) == {Kind.LP_DEPOSIT}
    position = nft_asset(10, "erc721", UNISWAP_V3_POSITIONS, 550709)
    assert [(m.asset, m.raw_amount) for m in found.extra] == [(position, 55466030806353041)]
    # without the pool's answer, an IncreaseLiquidity-shaped event alone proves nothing
    unanswered = replace(raw, logs=tuple(log for log in raw.logs
                                         if log.log_index != POOL_MINT_LOG))
    assert refined(record, unanswered, {}) is None
    # the pool's Mint must move the liquidity the manager reports
    changed = tuple(replace(log, data=log.data.replace("c50e0fa7504491", "c50e0fa7504492"))
                    if log.log_index == POOL_MINT_LOG else log for log in raw.logs)
    assert refined(record, replace(raw, logs=changed), {}) is None


def test_a_manager_the_config_names_reaches_the_decoder(realdata: Path,
                                                        tmp_path: Path) -> None:
    config = tmp_path / "taxscan.toml"
    config.write_text(
        '[[wallets]]\naddress = "0x9a539f692cde873d6b882fc326c8d62d4cea8048"\n'
        'chains = ["optimism"]\n\n'
        '[[protocols]]\nprotocol = "uniswap-v3"\nchain = "op"\n'
        f'contracts = {{ position_manager = "{UNISWAP_V3_POSITIONS}" }}\n')
    with Store(tmp_path / "db.duckdb") as store:
        keep_rules(store, load_config(config))
        named = named_contracts(store, 10)
        assert named_contracts(store, 8453) == ()
    assert named == ((POSITIONS_ROLE, UNISWAP_V3_POSITIONS),)
    record = recording(realdata, OP_ADD)
    raw = record.raw()
    unanswered = replace(raw, logs=tuple(log for log in raw.logs
                                         if log.log_index != POOL_MINT_LOG))
    found = refined(record, unanswered, dict(named))
    assert found is not None and set(found.kinds.values()) == {Kind.LP_DEPOSIT}
    assert refined(record, unanswered, {}) is None


def test_a_named_manager_is_kept_beside_the_registrys() -> None:
    fork = "0x" + "11" * 20
    contracts = contracts_on(137, [(POSITIONS_ROLE, fork), (POSITIONS_ROLE, UNISWAP_V3_POSITIONS)])
    assert addresses_of(contracts, POSITIONS_ROLE) == {UNISWAP_V3_POSITIONS, fork}
    assert contracts[POSITIONS_ROLE] == UNISWAP_V3_POSITIONS  # the registry's stays
    assert addresses_of(contracts_on(324, [(POSITIONS_ROLE, fork)]), POSITIONS_ROLE) == {fork}


@pytest.mark.parametrize(("body", "problem"), [
    ('protocol = "sushi-v3"\nchain = "base"\ncontracts = { position_manager = "0x%s" }',
     "protocols[1].protocol: must be one of uniswap-v3, compound-v3"),
    ('protocol = "uniswap-v3"\nchain = "base"\ncontracts = { factory = "0x%s" }',
     "protocols[1].contracts: unknown key factory"),
    ('protocol = "uniswap-v3"\nchain = "base"\ncontracts = { position_manager = "0x12" }',
     "protocols[1].contracts.position_manager:"),
    ('protocol = "uniswap-v3"\nchain = "moon"\ncontracts = { position_manager = "0x%s" }',
     "protocols[1].chain: unknown chain 'moon'"),
    ('protocol = "uniswap-v3"\nchain = "base"\ncontracts = {}',
     "protocols[1].contracts: names no contract"),
])
def test_a_bad_protocols_entry_is_one_line_naming_its_key(tmp_path: Path, body: str,
                                                         problem: str) -> None:
    config = tmp_path / "taxscan.toml"
    config.write_text('[[wallets]]\naddress = "0x9a539f692cde873d6b882fc326c8d62d4cea8048"\n'
                      'chains = ["base"]\n\n[[protocols]]\n' + body.replace("%s", "11" * 20))
    with pytest.raises(ConfigError) as raised:
        load_config(config)
    assert problem in str(raised.value) and "\n" not in str(raised.value)


def test_a_quickswap_v3_swap_is_known_by_the_v3_swap_of_its_pool(realdata: Path) -> None:
    # tx 0x50c55589...: 0x1834e499 sells 6 LGNS (log 53, to the pool 0xb135aa99) for DAI
    # (log 52, from the pool) through QuickSwap V3's router 0xf5b509bb; the pool's Swap (log
    # 55) has Uniswap V3's signature; QuickSwap is in no registry
    record = recording(realdata, QUICKSWAP)
    assert record.tx["hash"] == \
        "0x50c55589a2a7b97bdb0c46815783993133c8bd099d9fcc8b91e2e465f00f4687"
    raw = record.raw()
    pol = "eip155:137/slip44:966"
    dai = erc20_asset(137, "0x8f3cf7ad23cd3cadbd9735aff958023239c6a063")
    lgns = erc20_asset(137, "0xeb51d9a39ad5eef215dc0bf39a8821ff804a0f01")
    fee = 0x449E6 * 0x927F3E1A1  # no L1 fee on Polygon
    assert fee == 11052763177263014  # rotki: "Burn 0.011052763177263014 POL for gas"
    assert legs(record, raw) == sorted([
        ("gas", pol, -fee, "fee", "gas"),
        # rotki: "Receive 60.81850271428595855 DAI"
        ("log:52", dai, 0x34C06B9FD08252596, "trade", "uniswap-v3"),
        ("log:53", lgns, -0x165A0BC00, "trade", "uniswap-v3"),  # 6 LGNS, 9 decimals
    ])
    assert 0x34C06B9FD08252596 == 60818502714285958550 and 0x165A0BC00 == 6 * 10**9
    found = refined(record, raw, {})
    assert found is not None
    assert "0xb135aa990d02e0a31ce953af2bd7ed0ef6587403" in found.note


def test_a_v3_swap_that_moved_none_of_the_wallets_tokens_is_not_its_trade(
        realdata: Path) -> None:
    # the same transaction with the Swap emitted by an address the wallet's tokens never
    # passed through: a V3 Swap elsewhere in the transaction says nothing of the wallet's
    record = recording(realdata, QUICKSWAP)
    raw = record.raw()
    elsewhere = tuple(replace(log, address="0x" + "22" * 20) if log.log_index == 55 else log
                      for log in raw.logs)
    assert refined(record, replace(raw, logs=elsewhere), {}) is None


def test_a_uniswap_v3_swap_on_base_names_its_pool(realdata: Path) -> None:
    # the legs, fee included, are asserted one by one in test_decoder_fees.py; here: a swap
    # names no position manager, and is known by its pool 0xebf57167 (V3 Swap log 17),
    # which paid the wallet its NESSY (Transfer log 15)
    record = recording(realdata, BASE_SWAP)
    assert contracts_on(8453).get(POSITIONS_ROLE) == "0x03a520b32c04bf3beef7beb72e919cf822ed34f1"
    raw = record.raw()
    found = refined(record, raw, {})
    assert found is not None and set(found.kinds.values()) == {Kind.TRADE}
    assert found.protocol == "uniswap-v3"
    assert "0xebf5716709d380af33e3a3e66ea78ebeac2f7017" in found.note
