"""Wrapping, unwrapping, adding and removing Uniswap V2 liquidity on a real anvil chain.

The demo scenario deploys the official WETH9, Router02, factory and pairs (DAI/TKN and
DAI/WETH with liquidity); a wallet of this module's own then wraps ETH, unwraps part,
adds liquidity with the coin (refunded in part) and with two tokens, and removes half of
each. The command line scans it; the ledger must name every step, and every balance,
WETH's and the LP tokens' included, must match the chain.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import HTTPProvider, Web3

from chains.devnet.anvil import Anvil
from chains.devnet.scenario import DEADLINE, E18, GENESIS, _Chain, at, play
from scanner.ledger.decode.protocols.weth import DEPOSIT
from tests.helpers import cli_json, run_cli

pytestmark = pytest.mark.devnet

WALLET = to_checksum_address(keccak(text="taxscan liquidity wallet")[-20:])
PAIR_ABI = "@uniswap/v2-core/build/UniswapV2Pair.json"
WETH_ABI = "@uniswap/v2-periphery/build/WETH9.json"
ROUTER_ABI = "@uniswap/v2-periphery/build/UniswapV2Router02.json"
TOKEN_ABI = "@openzeppelin/contracts/build/contracts/ERC20PresetMinterPauser.json"
ADD_ETH_VALUE = 2 * E18  # more than 1,000 DAI's worth at the pool's 2,300 DAI/ETH: refunded


@dataclass(frozen=True)
class Liquidity:
    url: str
    db: Path
    weth: str
    dai: str
    tkn: str
    dai_tkn: str  # pair addresses, lowercase
    dai_weth: str
    txs: dict[str, str]  # label -> tx hash
    ledger: list[dict[str, Any]]

    def legs(self, label: str) -> list[dict[str, Any]]:
        return [r for r in self.ledger if r["tx_hash"] == self.txs[label]]

    def asset(self, address: str) -> str:
        return f"eip155:31337/erc20:{address}"


def _wad_wrapped_by(w3: Web3, tx_hash: str) -> int:
    """The wad of the WETH9 Deposit in a transaction (the router's, in addLiquidityETH)."""
    receipt = w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
    (wad,) = [int.from_bytes(bytes(log["data"]), "big") for log in receipt["logs"]
              if "0x" + bytes(log["topics"][0]).hex() == DEPOSIT]
    return wad


@pytest.fixture(scope="module")
def liquidity(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Liquidity]:
    db = tmp_path_factory.mktemp("liquidity") / "taxscan.duckdb"
    with Anvil(genesis_timestamp=int(GENESIS.timestamp())) as node:
        s = play(node.url)
        c = _Chain(node.url)
        weth, router = c.at_address(WETH_ABI, s.weth), c.at_address(ROUTER_ABI, s.router)
        dai, tkn = c.at_address(TOKEN_ABI, s.dai), c.at_address(TOKEN_ABI, s.tkn)
        factory = c.w3.eth.contract(address=router.functions.factory().call(), abi=[{
            "name": "getPair", "type": "function", "stateMutability": "view",
            "inputs": [{"name": "", "type": "address"}, {"name": "", "type": "address"}],
            "outputs": [{"name": "", "type": "address"}]}])
        dai_tkn = c.at_address(PAIR_ABI, factory.functions.getPair(s.dai, s.tkn).call())
        dai_weth = c.at_address(PAIR_ABI, factory.functions.getPair(s.dai, s.weth).call())
        c.w3.provider.make_request("anvil_impersonateAccount", [WALLET])  # type: ignore[arg-type]
        w, txs = WALLET, {}
        txs["fund_eth"] = c.pay(c.deployer, w, 10 * E18, at(2025, 7, 1))
        txs["fund_dai"] = c.send(dai.functions.transfer(w, 5_000 * E18), c.deployer,
                                 at(2025, 7, 1, 13))
        txs["fund_tkn"] = c.send(tkn.functions.transfer(w, 2_000 * E18), c.deployer,
                                 at(2025, 7, 1, 14))
        txs["wrap"] = c.send(weth.functions.deposit(), w, at(2025, 7, 2), value=3 * E18)
        txs["unwrap"] = c.send(weth.functions.withdraw(E18 // 2), w, at(2025, 7, 3))
        for hour, token in enumerate((dai, tkn, dai_tkn, dai_weth)):
            txs[f"approve_{hour}"] = c.send(token.functions.approve(s.router, 2**256 - 1), w,
                                            at(2025, 7, 4, 10 + hour))
        txs["add_eth"] = c.send(router.functions.addLiquidityETH(
            s.dai, 1_000 * E18, 0, 0, w, DEADLINE), w, at(2025, 7, 5), value=ADD_ETH_VALUE)
        txs["add_tokens"] = c.send(router.functions.addLiquidity(
            s.dai, s.tkn, 1_000 * E18, 1_000 * E18, 0, 0, w, DEADLINE), w, at(2025, 7, 6))
        half_tkn = dai_tkn.functions.balanceOf(w).call() // 2
        txs["remove_tokens"] = c.send(router.functions.removeLiquidity(
            s.dai, s.tkn, half_tkn, 0, 0, w, DEADLINE), w, at(2025, 7, 7))
        half_eth = dai_weth.functions.balanceOf(w).call() // 2
        txs["remove_eth"] = c.send(router.functions.removeLiquidityETH(
            s.dai, half_eth, 0, 0, w, DEADLINE), w, at(2025, 7, 8))

        scanned = run_cli("scan", w, "--rpc", node.url, db=db)
        assert scanned.returncode == 0, scanned.stderr
        yield Liquidity(node.url, db, s.weth.lower(), s.dai.lower(), s.tkn.lower(),
                        dai_tkn.address.lower(), dai_weth.address.lower(), txs,
                        cli_json("ledger", db=db))


def moves(legs: list[dict[str, Any]]) -> list[tuple[str, str, str, Decimal]]:
    """(kind, protocol, asset, quantity) of the legs other than gas, sorted."""
    return sorted((r["kind"], r["protocol"], r["asset"], Decimal(r["quantity"]))
                  for r in legs if r["kind"] != "fee")


def test_a_wrap_shows_the_weth_that_arrived(liquidity: Liquidity) -> None:
    legs = liquidity.legs("wrap")
    assert moves(legs) == sorted([("wrap", "weth", "eip155:31337/slip44:60", Decimal(-3)),
                                  ("wrap", "weth", liquidity.asset(liquidity.weth), Decimal(3))])
    (weth,) = [r for r in legs if r["asset"] == liquidity.asset(liquidity.weth)]
    assert weth["symbol"] == "WETH" and weth["log_index"] is not None
    assert [r["protocol"] for r in legs if r["kind"] == "fee"] == ["gas"]


def test_an_unwrap_shows_the_weth_that_left(liquidity: Liquidity) -> None:
    assert moves(liquidity.legs("unwrap")) == sorted([
        ("unwrap", "weth", "eip155:31337/slip44:60", Decimal("0.5")),
        ("unwrap", "weth", liquidity.asset(liquidity.weth), Decimal("-0.5"))])


def test_adding_liquidity_with_the_coin_and_its_refund(liquidity: Liquidity) -> None:
    legs = moves(liquidity.legs("add_eth"))
    assert {(kind, protocol) for kind, protocol, _, _ in legs} == {("lp_deposit", "uniswap-v2")}
    by_asset: dict[str, list[Decimal]] = {}
    for _, _, asset, quantity in legs:
        by_asset.setdefault(asset, []).append(quantity)
    eth = sorted(by_asset.pop("eip155:31337/slip44:60"))
    used = Decimal(_wad_wrapped_by(Web3(HTTPProvider(liquidity.url)),
                                   liquidity.txs["add_eth"])).scaleb(-18)
    assert eth == [Decimal(-2), 2 - used]  # sent, then refunded what the pool did not take
    assert by_asset.pop(liquidity.asset(liquidity.dai)) == [Decimal(-1_000)]
    (lp,) = by_asset.pop(liquidity.asset(liquidity.dai_weth))
    assert lp > 0 and by_asset == {}
    assert not [r for r in liquidity.ledger if r["asset"] == liquidity.asset(liquidity.weth)
                and r["tx_hash"] == liquidity.txs["add_eth"]]  # the router's WETH, not ours


def test_adding_and_removing_liquidity_with_two_tokens(liquidity: Liquidity) -> None:
    lp = liquidity.asset(liquidity.dai_tkn)
    added = moves(liquidity.legs("add_tokens"))
    assert [(k, p, a) for k, p, a, q in added] == sorted([
        ("lp_deposit", "uniswap-v2", liquidity.asset(liquidity.dai)),
        ("lp_deposit", "uniswap-v2", liquidity.asset(liquidity.tkn)),
        ("lp_deposit", "uniswap-v2", lp)])
    minted = next(q for _, _, a, q in added if a == lp)
    removed = moves(liquidity.legs("remove_tokens"))
    assert [(k, p, a) for k, p, a, q in removed] == sorted([
        ("lp_withdraw", "uniswap-v2", liquidity.asset(liquidity.dai)),
        ("lp_withdraw", "uniswap-v2", liquidity.asset(liquidity.tkn)),
        ("lp_withdraw", "uniswap-v2", lp)])
    (burned,) = [q for _, _, a, q in removed if a == lp]
    assert burned == -(minted * 10**18 // 2) / Decimal(10**18)  # half, rounded down in wei
    assert all(q > 0 for _, _, a, q in removed if a != lp)


def test_removing_liquidity_for_the_coin(liquidity: Liquidity) -> None:
    legs = moves(liquidity.legs("remove_eth"))
    assert [(k, p, a) for k, p, a, q in legs] == sorted([
        ("lp_withdraw", "uniswap-v2", "eip155:31337/slip44:60"),
        ("lp_withdraw", "uniswap-v2", liquidity.asset(liquidity.dai)),
        ("lp_withdraw", "uniswap-v2", liquidity.asset(liquidity.dai_weth))])
    eth = next(r for r in liquidity.legs("remove_eth") if r["kind"] != "fee"
               and r["asset"] == "eip155:31337/slip44:60")
    assert eth["log_index"] is None and Decimal(eth["quantity"]) > 0  # paid back internally


def test_funding_and_approvals_keep_their_generic_kinds(liquidity: Liquidity) -> None:
    assert {r["kind"] for label in ("fund_eth", "fund_dai", "fund_tkn")
            for r in liquidity.legs(label)} == {"transfer_in"}
    for label in [k for k in liquidity.txs if k.startswith("approve_")]:
        assert [(r["kind"], r["protocol"]) for r in liquidity.legs(label)] == [("fee", "gas")]


def test_every_balance_reconciles_weth_and_lp_tokens_included(liquidity: Liquidity) -> None:
    rows = cli_json("reconcile", "--rpc", liquidity.url, db=liquidity.db)
    by_asset = {r["asset"]: r for r in rows}
    assert set(by_asset) == {"eip155:31337/slip44:60"} | {
        liquidity.asset(a) for a in (liquidity.weth, liquidity.dai, liquidity.tkn,
                                     liquidity.dai_tkn, liquidity.dai_weth)}
    assert [(r["asset"], r["status"], r["difference"]) for r in rows] == [
        (r["asset"], "ok", "0") for r in rows]
    assert by_asset[liquidity.asset(liquidity.weth)]["chain_balance"] == "2.5"


def priced_copy(liquidity: Liquidity, tmp_path: Path) -> Path:
    db = tmp_path / "priced.duckdb"
    shutil.copy(liquidity.db, db)
    fetched = run_cli("prices", "fetch", "--source", "pool", "--rpc", liquidity.url, db=db)
    assert fetched.returncode == 0, fetched.stderr
    return db


def test_wraps_and_deposits_carry_the_basis_and_the_withdrawals_realize_it(
        liquidity: Liquidity, tmp_path: Path) -> None:
    db = priced_copy(liquidity, tmp_path)
    gains = cli_json("gains", "--year", "2025", db=db)
    assert {g["kind"] for g in gains} == {"fee", "lp_withdraw"}  # nothing else realized
    withdrawn = [g for g in gains if g["kind"] == "lp_withdraw"]
    assert {g["asset"] for g in withdrawn} == {liquidity.asset(liquidity.dai_tkn),
                                               liquidity.asset(liquidity.dai_weth)}
    lots = cli_json("lots", db=db)
    weth = [lot for lot in lots if lot["asset"] == liquidity.asset(liquidity.weth)]
    # the WETH keeps the date of the ETH it was wrapped from (the funding), not the wrap's
    assert weth and {lot["acquired"][:10] for lot in weth} == {"2025-07-01"}
    for pair, label in ((liquidity.dai_tkn, "add_tokens"), (liquidity.dai_weth, "add_eth")):
        (lp,) = [lot for lot in lots if lot["asset"] == liquidity.asset(pair)]
        opened = next(r for r in liquidity.legs(label) if r["asset"] == liquidity.asset(pair))
        assert lp["lot_id"] == f"{opened['tx_hash']}:log:{opened['log_index']}"
        sold = next(g for g in withdrawn if g["asset"] == liquidity.asset(pair))
        # half the LP tokens left, half the basis went with them (to the cent)
        assert abs(Decimal(sold["cost_basis_usd"]) - Decimal(lp["cost_basis_usd"])) <= \
            Decimal("0.01")


def test_a_treatment_row_in_the_config_makes_deposits_disposals(liquidity: Liquidity,
                                                                tmp_path: Path) -> None:
    db = priced_copy(liquidity, tmp_path)
    config = tmp_path / "taxscan.toml"
    config.write_text(f"""
[chains.devnet]
rpc = "{liquidity.url}"

[[wallets]]
address = "{WALLET}"
chains = ["devnet"]

[[treatments]]
kind = "lp_deposit"
protocol = "uniswap-v2"
treatment = "taxable"
""")
    scanned = run_cli("scan", "--config", str(config), db=db)
    assert scanned.returncode == 0, scanned.stderr
    kinds = {g["kind"] for g in cli_json("gains", "--year", "2025", db=db)}
    assert "lp_deposit" in kinds and "wrap" not in kinds
    explained = cli_json("explain", liquidity.txs["add_tokens"], db=db)
    assert {r["decoder"] for r in explained if r["kind"] != "fee"} == {"uniswap-v2"}
    assert all(r["treatment"].startswith("taxable") for r in explained
               if r["kind"] == "lp_deposit")
    wrap = cli_json("explain", liquidity.txs["wrap"], db=db)
    assert {(r["decoder"], r["treatment"].split(":")[0]) for r in wrap if r["kind"] == "wrap"} \
        == {("weth", "carry_basis")}
