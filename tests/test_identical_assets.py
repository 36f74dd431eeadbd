"""Substantially identical assets for the wash-sale flag: by default ETH with WETH, stETH,
wstETH, rETH, cbETH and their bridged copies, BTC with WBTC, cbBTC and tBTC (the registry's
groups, every address confirmed by recorded chain data or the issuer's deployment); the
config's `[identical]` adds to them and reaches every report through the database, as the
config's other tax rules do.

The flag's rule (DESIGN "Harvestable", after IRC 1091(a)): a lot at a loss is at risk when
another lot of its group was acquired in the 30 days up to the as-of date."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chains.addresses import erc20_asset
from chains.deployments import contracts_on
from chains.registry import BITCOIN, CHAINS, asset_names, identical_group
from scanner.app.config import load_config
from scanner.app.settings import identity, keep_rules
from scanner.store import Store
from tests.helpers import cli_json, run_cli

A = "0x" + "a1" * 20
ETH = "eip155:1/slip44:60"
STETH = "eip155:1/erc20:0xae7ab96520de3a18e5e111b5eaab095312d7fe84"
WBTC = "eip155:1/erc20:0x2260fac5e5542a773aa44fbcfedf7c193bc2c599"
TKN = "eip155:1/erc20:0x" + "11" * 20
HEADER = ("timestamp,chain_id,block_number,tx_hash,log_index,wallet,kind,protocol,asset,"
          "symbol,quantity,usd_value,price_source,counterparty,group_id")
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
RECEIPTS = REALDATA / "explorer-recordings" / "decoder_receipts"


def buy(n: int, when: str, asset: str, symbol: str, quantity: str, usd: str) -> str:
    chain = 0 if asset.startswith("bip122:") else 1
    tx = "0x" + format(n, "064x")
    return (f"{when}T12:00:00Z,{chain},{100 + n},{tx},,{A},trade,transfer,{asset},{symbol},"
            f"{quantity},{usd},csv,,{chain}:{tx}:{A}")


def database(tmp_path: Path, *rows: str) -> Path:
    ledger, prices = tmp_path / "ledger.csv", tmp_path / "prices.csv"
    ledger.write_text("\n".join([HEADER, *rows]) + "\n")
    prices.write_text("timestamp,asset,usd\n" + "".join(
        f"2024-06-09T00:00:00Z,{asset},{usd}\n"
        for asset, usd in ((ETH, 2500), (STETH, 2490), (BITCOIN, 40000), (WBTC, 39900),
                           (TKN, 1))))
    db = tmp_path / "harvest.duckdb"
    for args in (("import", str(ledger), "--format", "ledger"),
                 ("prices", "import", str(prices))):
        done = run_cli(*args, db=db)
        assert done.returncode == 0, done.stderr
    return db


def flags(db: Path) -> dict[str, bool]:
    rows = cli_json("harvest", "--as-of", "2024-06-09", "--jurisdiction", "us", db=db)
    return {r["symbol"]: r["wash_sale_risk"] for r in rows}


def test_steth_bought_20_days_before_flags_an_eth_loss(tmp_path: Path) -> None:
    db = database(tmp_path,
                  buy(1, "2024-01-10", ETH, "ETH", "1", "3000"),
                  buy(2, "2024-01-10", BITCOIN, "BTC", "1", "45000"),
                  buy(3, "2024-05-20", STETH, "stETH", "1", "3100"),
                  buy(4, "2024-05-25", WBTC, "WBTC", "0.1", "4200"))
    # ETH: 3,000 -> 2,500, a loss; stETH (its group) bought 2024-05-20, 20 days before
    # 2024-06-09: at risk. BTC: 45,000 -> 40,000; WBTC bought 15 days before: at risk.
    # stETH (3,100 -> 2,490) and WBTC (4,200 -> 3,990) are losses too, but nothing of
    # their groups but themselves was bought in the 30 days: not at risk.
    assert flags(db) == {"ETH": True, "BTC": True, "stETH": False, "WBTC": False}


def test_the_configs_identical_groups_reach_the_harvest(tmp_path: Path) -> None:
    db = database(tmp_path, buy(1, "2024-01-10", ETH, "ETH", "1", "3000"),
                  buy(2, "2024-05-28", TKN, "TKN", "100", "200"))
    assert flags(db)["ETH"] is False  # TKN is nothing like ETH by default
    path = tmp_path / "taxscan.toml"
    path.write_text(f'[identical]\nETH = ["{TKN}", "{ETH}"]\n\n'
                    f'[[wallets]]\naddress = "{A}"\nchains = ["ethereum"]\n')
    with Store(db) as store:
        keep_rules(store, load_config(path))  # what `scan --config` keeps for every report
    assert flags(db)["ETH"] is True  # TKN joined the ETH group, bought 12 days before


def test_default_groups_span_chains_and_a_configs_group_adds_to_them() -> None:
    base_cbeth = erc20_asset(8453, "0x2ae3f1ec7f1f5012cfeab0185bfc7aa3cf0dec22")
    op_wsteth = erc20_asset(10, "0x1f32b1c2345538c0c6f582fcb022739c4a194ebb")
    group = identity(CHAINS)
    assert {group(a) for a in (ETH, "eip155:8453/slip44:60", base_cbeth, op_wsteth, STETH,
                               erc20_asset(1, "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"))} \
        == {"ETH"}
    assert group(WBTC) == group(BITCOIN) == "BTC"
    assert group("eip155:56/slip44:714") == group(
        erc20_asset(56, "0xbb4cdb9cbd36b01bd1cbaebf2de08d9173bc095c")) != "ETH"  # BNB, WBNB
    assert group(TKN) == TKN
    added = identity(CHAINS, {"ETH": [TKN, ETH]})
    assert added(TKN) == added(STETH) == "ETH"  # the ETH group grew: stETH stays in it


def _recorded_tokens() -> dict[tuple[int, str], str]:
    found: dict[tuple[int, str], str] = {}
    for path in RECEIPTS.glob("*.json"):
        recording = json.loads(path.read_text())
        for address, token in (recording.get("tokens") or {}).items():
            if token.get("symbol"):
                found[(recording["chain_id"], address.lower())] = token["symbol"]
    return found


# Addresses no recording holds, as the issuers deploy them: Rocket Pool's rETH, Coinbase's
# cbETH on Ethereum and cbBTC (one address on Ethereum and Base), Threshold's tBTC v2
PUBLISHED = {
    (1, "0xae78736cd615f374d3085123a210448e74fc6393"): "rETH",
    (1, "0xbe9895146f7af43049ca1c1ae358b0541ea49704"): "cbETH",
    (1, "0xcbb7c0000ab88b473b1f5afd9ef808440eed33bf"): "cbBTC",
    (8453, "0xcbb7c0000ab88b473b1f5afd9ef808440eed33bf"): "cbBTC",
    (1, "0x18084fba666a33d37592fa2633fd49a74dd93a88"): "tBTC",
    # Circle's native USDC no recording holds (ZKsync Era, Avalanche, Linea), and the
    # rollup bridges' USDC copies by the name they stand for (tests/unit/test_usdc_bridged.py)
    (324, "0x1d17cbcf0d6d143135ae902365d2e5e2a16538d4"): "USDC",
    (43114, "0xb97ef9ef8734c71904d8002f8b6bc66dd9c48a6e"): "USDC",
    (59144, "0x176211869ca2b568f2a7d4ee941e073a821ee1ff"): "USDC",
    (10, "0x7f5c764cbc14f9669b88837ca1490cca17c31607"): "USDC",
    (42161, "0xff970a61a04b1ca14834a43f5de4533ebddb5cc8"): "USDC",
    (8453, "0xd9aaec86b65d86f6a7b5b1b0c42ffa531710b6ca"): "USDC",
    (324, "0x3355df6d4c9c3035724fd0e3914de96a5a83aaf4"): "USDC",
}


@pytest.mark.skipif(not RECEIPTS.is_dir(), reason="../shared/realdata is absent")
def test_every_identical_token_address_is_one_recorded_chain_data_names_so() -> None:
    recorded = {**_recorded_tokens(), **PUBLISHED}
    for chain in CHAINS:
        if chain.chain_id == 31337:
            continue
        lido = contracts_on(chain.chain_id).get("lido:wsteth")
        for name, address in chain.identical_tokens:
            if (name, address) == ("wstETH", lido):
                continue  # Lido's wstETH: the registry's decoder contract, a recorded wrap
            assert recorded.get((chain.chain_id, address)) == name, (chain.key, name)
            assert asset_names()[erc20_asset(chain.chain_id, address)] == name
            assert identical_group(name) in ("ETH", "BTC", "USDC")
