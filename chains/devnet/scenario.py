"""The dated demo scenario, played on a real anvil chain with the official artifacts.

Two tax years for one wallet: an ETH and a stablecoin deposit, Uniswap V2 swaps both
ways, an airdrop claimed from Uniswap's MerkleDistributor, a spam token pushed at the
wallet, and a sale that spans a long-term and a short-term lot.

A second wallet's DeFi events are played between them (chains.devnet.defi): a Uniswap V3
position and swap, ETH staked for rebasing stETH and wrapped, a StakingRewards farm, DAI lent
and WETH borrowed from a lending pool, and NFTs bought and sold.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.types import Wei

from chains.deployments import DEVNET_STETH
from chains.devnet import defi
from chains.devnet.anvil import node_modules
from chains.devnet.defi import Defi, Protocols
from chains.devnet.solidity import compiled
from chains.errors import DevnetError
from chains.registry import DEVNET_DAI, DEVNET_UNISWAP_V2_FACTORY, DEVNET_WETH

E18 = 10**18
DEADLINE = 2**32
GENESIS = datetime(2024, 1, 1, tzinfo=UTC)
AS_OF = datetime(2025, 6, 20, tzinfo=UTC)
AIRDROP = 500 * E18
# The wallet is a fresh address (no genesis balance): anvil signs for it by impersonation.
WALLET = to_checksum_address(keccak(text="taxscan demo wallet")[-20:])

ETH_PRICES = (  # (from, USD): the demo's price file for ETH
    (datetime(2024, 1, 1, tzinfo=UTC), Decimal("2300.00")),
    (datetime(2024, 7, 1, tzinfo=UTC), Decimal("3400.00")),
    (datetime(2025, 1, 1, tzinfo=UTC), Decimal("3300.00")),
    (datetime(2025, 6, 1, tzinfo=UTC), Decimal("2500.00")),
)


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Scenario:
    url: str
    wallet: str
    weth: str
    dai: str
    tkn: str
    spam: str
    pair: str
    router: str
    distributor: str
    defi: Defi  # the second wallet's DeFi events
    protocols: Protocols
    txs: dict[str, str] = field(default_factory=dict)  # label -> hash of the wallet's events
    tkn_prices: list[tuple[datetime, Decimal]] = field(default_factory=list)
    as_of: datetime = AS_OF

    def price_rows(self) -> list[tuple[datetime, str, Decimal]]:
        eth = "eip155:31337/slip44:60"
        tkn = f"eip155:31337/erc20:{self.tkn.lower()}"
        # WETH and stETH go for an ETH
        rows = [(when, asset, usd) for when, usd in ETH_PRICES
                for asset in (eth, f"eip155:31337/erc20:{DEVNET_WETH}",
                              f"eip155:31337/erc20:{DEVNET_STETH}")]
        rows += [(when, tkn, usd) for when, usd in self.tkn_prices]
        return sorted(rows)

    def write_prices(self, path: Path) -> Path:
        lines = ["timestamp,asset,usd"]
        lines += [f"{when.strftime('%Y-%m-%dT%H:%M:%SZ')},{asset},{usd}"
                  for when, asset, usd in self.price_rows()]
        path.write_text("\n".join(lines) + "\n")
        return path


def artifact(relative: str) -> tuple[list[Any], str]:
    path = node_modules() / relative
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DevnetError(f"cannot read artifact {path}: {exc}") from None
    bytecode = data.get("bytecode") or data["evm"]["bytecode"]["object"]
    if not bytecode.startswith("0x"):
        bytecode = "0x" + bytecode
    return data["abi"], bytecode


class _Chain:
    """Sends transactions at chosen block timestamps."""

    def __init__(self, url: str) -> None:
        self.w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 60}))
        accounts = list(self.w3.eth.accounts)
        if len(accounts) < 4:
            raise DevnetError("anvil offers fewer than four unlocked accounts")
        self.deployer, self.maker, self.spammer = accounts[0], accounts[1], accounts[2]
        self.protocol_deployer = accounts[3]
        self._clock = int(GENESIS.timestamp())

    def _tick(self, when: datetime | None) -> None:
        stamp = self._clock + 10 if when is None else int(when.timestamp())
        if stamp <= self._clock:
            raise DevnetError(f"scenario timestamps must increase: {when}")
        self._clock = stamp
        self.w3.provider.make_request("evm_setNextBlockTimestamp", [stamp])  # type: ignore[arg-type]

    def send(self, call: Any, sender: str, when: datetime | None = None, value: int = 0) -> str:
        self._tick(when)
        tx_hash = call.transact({"from": sender, "value": value})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1:
            raise DevnetError(f"scenario transaction failed: {tx_hash.hex()}")
        return "0x" + bytes(tx_hash).hex().removeprefix("0x")

    def pay(self, sender: str, to: str, value: int, when: datetime | None = None) -> str:
        self._tick(when)
        tx_hash = self.w3.eth.send_transaction(
            {"from": sender, "to": to, "value": Wei(value)})
        self.w3.eth.wait_for_transaction_receipt(tx_hash)
        return "0x" + bytes(tx_hash).hex().removeprefix("0x")

    def deploy(self, relative: str, *args: Any, sender: str | None = None) -> Contract:
        """A contract from an npm package's official artifact."""
        return self._deploy(*artifact(relative), args, sender)

    def deploy_compiled(self, name: str, *args: Any, sender: str | None = None) -> Contract:
        """One of the devnet's own contracts (fixtures/devnet/build/Protocols.json)."""
        return self._deploy(*compiled(name), args, sender)

    def _deploy(self, abi: list[Any], bytecode: str, args: tuple[Any, ...],
                sender: str | None) -> Contract:
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        self._tick(None)
        tx_hash = factory.constructor(*args).transact({"from": sender or self.deployer})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        return cast(Contract, self.w3.eth.contract(address=receipt["contractAddress"], abi=abi))

    def at_address(self, relative: str, address: str) -> Contract:
        abi, _ = artifact(relative)
        return self.w3.eth.contract(address=to_checksum_address(address), abi=abi)


OZ_TOKEN = "@openzeppelin/contracts/build/contracts/ERC20PresetMinterPauser.json"


def play(url: str) -> Scenario:
    """Deploy everything and play the dated events; return addresses and the wallet's txs."""
    c = _Chain(url)
    weth = c.deploy("@uniswap/v2-periphery/build/WETH9.json")
    dai = c.deploy(OZ_TOKEN, "Dai Stablecoin", "DAI")
    if (weth.address.lower(), dai.address.lower()) != (DEVNET_WETH, DEVNET_DAI):
        raise DevnetError("devnet addresses moved: the chain registry expects WETH9 and DAI "
                          "as the deployer's first two contracts")
    tkn = c.deploy(OZ_TOKEN, "Tax Token", "TKN")
    factory = c.deploy("@uniswap/v2-core/build/UniswapV2Factory.json", c.deployer)
    if factory.address.lower() != DEVNET_UNISWAP_V2_FACTORY:
        raise DevnetError("devnet addresses moved: the registry expects the Uniswap V2 "
                          "factory as the deployer's fourth contract")
    router = c.deploy("@uniswap/v2-periphery/build/UniswapV2Router02.json",
                      factory.address, weth.address)
    for token, holder, amount in ((dai, c.deployer, 2_000_000), (tkn, c.deployer, 1_000_000),
                                  (dai, c.maker, 500_000), (tkn, c.maker, 500_000)):
        c.send(token.functions.mint(holder, amount * E18), c.deployer)
    for token in (dai, tkn):
        for holder in (c.deployer, c.maker):
            c.send(token.functions.approve(router.address, 2**256 - 1), holder)
    c.send(router.functions.addLiquidity(dai.address, tkn.address, 400_000 * E18,
                                         200_000 * E18, 0, 0, c.deployer, DEADLINE), c.deployer)
    c.send(router.functions.addLiquidityETH(dai.address, 230_000 * E18, 0, 0, c.deployer,
                                            DEADLINE), c.deployer, value=100 * E18)
    pair = c.at_address("@uniswap/v2-core/build/UniswapV2Pair.json",
                        factory.functions.getPair(dai.address, tkn.address).call())
    leaf = Web3.solidity_keccak(["uint256", "address", "uint256"], [0, WALLET, AIRDROP])
    distributor = c.deploy("@uniswap/merkle-distributor/build/MerkleDistributor.json",
                           tkn.address, leaf)
    c.send(tkn.functions.transfer(distributor.address, AIRDROP), c.deployer)
    spam = c.deploy(OZ_TOKEN, "Visit tkn-rewards.xyz to claim your bonus", "tkn-rewards.xyz",
                    sender=c.spammer)
    d = defi.deploy_uniswap_v3(c, weth, dai)
    p = defi.deploy_protocols(c, d, tkn)

    s = Scenario(url, WALLET, weth.address, dai.address, tkn.address, spam.address,
                 pair.address, router.address, distributor.address, d, p)

    def tkn_price(when: datetime) -> None:
        reserve0, reserve1, _ = pair.functions.getReserves().call()
        dai_first = int(dai.address, 16) < int(tkn.address, 16)
        dai_reserve, tkn_reserve = (reserve0, reserve1) if dai_first else (reserve1, reserve0)
        s.tkn_prices.append((when, (Decimal(dai_reserve) / Decimal(tkn_reserve))
                             .quantize(Decimal("0.000001"))))

    w = WALLET
    c.w3.provider.make_request("anvil_impersonateAccount", [w])  # type: ignore[arg-type]
    s.txs["fund_eth"] = c.pay(c.deployer, w, 5 * E18, at(2024, 1, 10))
    s.txs["deposit_dai"] = c.send(dai.functions.transfer(w, 10_000 * E18), c.deployer,
                                  at(2024, 1, 15))
    s.txs["approve_dai"] = c.send(dai.functions.approve(router.address, 2**256 - 1), w,
                                  at(2024, 2, 1, 15, 0))
    s.txs["buy_1"] = c.send(router.functions.swapExactTokensForTokens(
        4_000 * E18, 0, [dai.address, tkn.address], w, DEADLINE), w, at(2024, 2, 1, 15, 5))
    upto = _defi_timeline(c, d, p)
    upto(at(2024, 6, 15))
    tkn_price(at(2024, 6, 15, 10, 0))
    s.txs["claim"] = c.send(distributor.functions.claim(0, w, AIRDROP, []), w,
                            at(2024, 6, 15, 10, 0))
    c.send(router.functions.swapExactTokensForTokens(
        60_000 * E18, 0, [dai.address, tkn.address], c.maker, DEADLINE), c.maker,
        at(2024, 7, 1))
    upto(at(2024, 8, 1))
    s.txs["spam"] = c.send(spam.functions.mint(w, 1_000_000 * E18), c.spammer, at(2024, 8, 1))
    upto(at(2024, 11, 1))
    s.txs["buy_2"] = c.send(router.functions.swapExactTokensForTokens(
        2_000 * E18, 0, [dai.address, tkn.address], w, DEADLINE), w, at(2024, 11, 1))
    upto(at(2025, 2, 10))
    s.txs["approve_tkn"] = c.send(tkn.functions.approve(router.address, 2**256 - 1), w,
                                  at(2025, 2, 10, 14, 0))
    first_lot = _received(c, s.txs["buy_1"], tkn.address, w)
    s.txs["sell"] = c.send(router.functions.swapExactTokensForTokens(
        first_lot + 200 * E18, 0, [tkn.address, dai.address], w, DEADLINE), w,
        at(2025, 2, 10, 14, 5))
    upto(at(2025, 5, 1))
    c.send(router.functions.swapExactTokensForTokens(
        150_000 * E18, 0, [tkn.address, dai.address], c.maker, DEADLINE), c.maker,
        at(2025, 5, 1))
    upto(at(2025, 6, 5))
    s.txs["buy_3"] = c.send(router.functions.swapExactTokensForTokens(
        500 * E18, 0, [dai.address, tkn.address], w, DEADLINE), w, at(2025, 6, 5))
    upto(AS_OF)
    tkn_price(AS_OF)
    c.w3.provider.make_request("evm_setNextBlockTimestamp",  # type: ignore[arg-type]
                               [int(AS_OF.timestamp()) + 3600])
    c.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    return s


def _defi_timeline(c: _Chain, d: Defi, p: Protocols) -> Callable[[datetime], None]:
    """The DeFi wallet's dated events; the returned function plays those before a time."""
    steps: list[tuple[datetime, Callable[[datetime], None]]] = [
        (at(2024, 3, 1), lambda when: defi.fund(c, d, when)),
        (at(2024, 4, 1), lambda when: defi.stake_eth(c, d, p, when)),
        (at(2024, 5, 1), lambda when: defi.rebase(c, p, when, 4)),
        (at(2024, 5, 15), lambda when: defi.wrap_steth(c, d, p, when)),
        (at(2024, 6, 1), lambda when: defi.buy_punk(c, d, p, when)),
        (at(2024, 7, 5), lambda when: defi.open_position(c, d, when)),
        (at(2024, 7, 6), lambda when: defi.others_trade(c, d, when)),
        (at(2024, 7, 10), lambda when: defi.farm_stake(c, d, p, when)),
        (at(2024, 8, 20), lambda when: defi.lend(c, d, p, when)),
        (at(2024, 8, 25), lambda when: defi.rebase(c, p, when, 3)),
        (at(2024, 9, 1), lambda when: defi.swap_eth_for_dai(c, d, when)),
        (at(2024, 9, 10), lambda when: defi.borrow(c, d, p, when)),
        (at(2024, 9, 20), lambda when: defi.buy_items(c, d, p, when)),
        (at(2024, 10, 1), lambda when: defi.add_to_position(c, d, when)),
        (at(2024, 10, 2), lambda when: defi.others_trade(c, d, when)),
        (at(2024, 12, 1), lambda when: defi.unwrap_steth(c, d, p, when)),
        (at(2024, 12, 15), lambda when: defi.farm_claim(c, d, p, when)),
        (at(2025, 1, 10), lambda when: defi.accrue(c, d, p, when)),
        (at(2025, 1, 20), lambda when: defi.repay(c, d, p, when)),
        (at(2025, 2, 1), lambda when: defi.withdraw(c, d, p, when)),
        (at(2025, 3, 1), lambda when: defi.take_half_out(c, d, when)),
        (at(2025, 3, 5), lambda when: defi.others_trade(c, d, when)),
        (at(2025, 4, 1), lambda when: defi.collect_fees(c, d, when)),
        (at(2025, 4, 15), lambda when: defi.farm_exit(c, d, p, when)),
        (at(2025, 5, 20), lambda when: defi.sell_punk(c, d, p, when)),
    ]

    def upto(limit: datetime) -> None:
        while steps and steps[0][0] < limit:
            when, step = steps.pop(0)
            step(when)

    return upto


def _received(c: _Chain, tx_hash: str, token: str, wallet: str) -> int:
    """How much of `token` the wallet received in a transaction, read from its receipt."""
    receipt = c.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
    transfer = keccak(text="Transfer(address,address,uint256)")
    total = 0
    for log in receipt["logs"]:
        if (log["address"].lower() == token.lower() and bytes(log["topics"][0]) == transfer
                and bytes(log["topics"][2])[-20:] == bytes.fromhex(wallet[2:])):
            total += int.from_bytes(bytes(log["data"]), "big")
    return total
