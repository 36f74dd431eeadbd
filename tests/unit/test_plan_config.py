"""The plan's profile and targets in the config: `[taxpayer]`'s ordinary_income and
state_rate, `[targets]`, kept by a config scan and read back under the command line."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest

from scanner.app.config import load_config
from scanner.app.settings import keep_rules
from scanner.app.targets import targets_of
from scanner.app.taxpayer import TaxpayerAsked, taxpayer_of
from scanner.errors import ConfigError
from scanner.store import Store
from scanner.tax.taxpayer import FilingStatus, Taxpayer

WALLET = '[[wallets]]\naddress = "0x' + "aa" * 20 + '"\nchains = ["ethereum"]\n\n'
USDC = "eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"


def test_the_profile_and_targets_are_read_kept_and_overridden(tmp_path: Path) -> None:
    path = tmp_path / "taxscan.toml"
    path.write_text(WALLET + '[taxpayer]\nfiling_status = "joint"\nordinary_income = 95000\n'
                    'state_rate = "0.05"\n\n[targets]\nETH = 0.6\n'
                    f'"{USDC.upper().replace("EIP155", "eip155")}" = "0.4"\n')
    config = load_config(path)
    assert config.taxpayer == Taxpayer(FilingStatus.JOINT, ordinary_income=D(95000),
                                       state_rate=D("0.05"))
    assert dict(config.targets) == {"ETH": D("0.6"), USDC: D("0.4")}
    with Store(tmp_path / "kept.duckdb") as store:
        keep_rules(store, config)
        assert taxpayer_of(store) == config.taxpayer
        assert targets_of(store) == {"ETH": D("0.6"), USDC: D("0.4")}
        asked = TaxpayerAsked(ordinary_income=D(1000), state_rate=D(0))
        assert taxpayer_of(store, asked) == Taxpayer(FilingStatus.JOINT,
                                                     ordinary_income=D(1000))
    path.write_text(WALLET)
    with Store(tmp_path / "none.duckdb") as store:
        keep_rules(store, load_config(path))
        assert (taxpayer_of(store), targets_of(store)) == (Taxpayer(), {})


@pytest.mark.parametrize(("table", "problem"), [
    ("[taxpayer]\nordinary_income = -1", "taxpayer.ordinary_income: an income is an amount "
                                         "from 0 to below 1e20, not -1"),
    ('[taxpayer]\nordinary_income = "1.001"', "taxpayer.ordinary_income: an income is in "
                                              "whole cents, not 1.001"),
    ("[taxpayer]\nstate_rate = 5", "taxpayer.state_rate: a rate is a fraction from 0 to 1 "
                                   "(0.05 for 5%), not 5"),
    ("[targets]\nETH = 0.6\nBTC = 0.3", "targets: the weights add up to 0.9, not 1"),
    ("[targets]\nETH = 0\nBTC = 1", "targets: the weight of ETH must be above 0 and at most "
                                    "1, not 0"),
    ('[targets]\n"eip155:1/erc20:0xzz" = 1', "targets.'eip155:1/erc20:0xzz': name an asset "
                                             "by its CAIP-19 id or a group by its name"),
    ("targets = 1", "targets: must be a table of name = weight, not an integer"),
])
def test_a_bad_profile_or_target_is_one_line_naming_the_key(
        tmp_path: Path, table: str, problem: str) -> None:
    path = tmp_path / "taxscan.toml"
    path.write_text(WALLET + table + "\n") if not table.startswith("targets =") \
        else path.write_text(table + "\n" + WALLET)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: {problem}"
