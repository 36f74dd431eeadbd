"""The demo's DeFi wallet: a Uniswap V3 position and swap, played between the dated events of
the first wallet (chains.devnet.scenario), on the official Uniswap V3 artifacts.

The protocol contracts come from anvil's fourth account, first thing and in a fixed order,
so their addresses are the registry's (chains.registry DEVNET_*).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from math import isqrt
from typing import TYPE_CHECKING, Any

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3.contract import Contract

from chains.deployments import (
    DEVNET_ADAI,
    DEVNET_AWETH,
    DEVNET_DAI_DEBT,
    DEVNET_LENDING_POOL,
    DEVNET_PROTOCOL_DEPLOYER,
    DEVNET_STETH,
    DEVNET_UNISWAP_V3_FACTORY,
    DEVNET_UNISWAP_V3_POSITIONS,
    DEVNET_UNISWAP_V3_ROUTER,
    DEVNET_WETH_DEBT,
    DEVNET_WSTETH,
)
from chains.errors import DevnetError
from chains.evm.abi import ZERO_ADDRESS

if TYPE_CHECKING:
    from chains.devnet.scenario import _Chain

E18 = 10**18
DEADLINE = 2**32
DEFI_WALLET = to_checksum_address(keccak(text="taxscan defi wallet")[-20:])
V3_FEE = 3000  # the 0.3% pool, tick spacing 60
FULL_RANGE = (-887220, 887220)
ETH_IN_DAI = 3400  # the pool's opening price
_V3 = "@uniswap/v3-core/artifacts/contracts/"
_V3P = "@uniswap/v3-periphery/artifacts/contracts/"
FACTORY = _V3 + "UniswapV3Factory.sol/UniswapV3Factory.json"
POSITIONS = _V3P + "NonfungiblePositionManager.sol/NonfungiblePositionManager.json"
ROUTER = _V3P + "SwapRouter.sol/SwapRouter.json"


@dataclass
class Defi:
    """What the DeFi wallet's events need, and what they did."""

    wallet: str
    positions: Contract
    router: Contract
    weth: Contract
    dai: Contract
    txs: dict[str, str] = field(default_factory=dict)
    token_id: int = 0

    def _ordered(self) -> tuple[str, str]:
        """(token0, token1) of the WETH/DAI pool: the lower address first."""
        a, b = self.weth.address, self.dai.address
        return (a, b) if int(a, 16) < int(b, 16) else (b, a)

    def _amounts(self, eth: int, dai: int) -> tuple[int, int]:
        return (eth, dai) if self._ordered()[0] == self.weth.address else (dai, eth)


def deploy_uniswap_v3(c: _Chain, weth: Contract, dai: Contract) -> Defi:
    """The V3 factory, position manager and router from the protocol deployer, and a WETH/DAI
    pool opened at ETH_IN_DAI with the deployer's full-range liquidity."""
    deployer = c.protocol_deployer
    if deployer.lower() != DEVNET_PROTOCOL_DEPLOYER:
        raise DevnetError("anvil's fourth account is not the registry's protocol deployer")
    factory = c.deploy(FACTORY, sender=deployer)
    positions = c.deploy(POSITIONS, factory.address, weth.address,
                         ZERO_ADDRESS, sender=deployer)
    router = c.deploy(ROUTER, factory.address, weth.address, sender=deployer)
    found = (factory.address.lower(), positions.address.lower(), router.address.lower())
    if found != (DEVNET_UNISWAP_V3_FACTORY, DEVNET_UNISWAP_V3_POSITIONS,
                 DEVNET_UNISWAP_V3_ROUTER):
        raise DevnetError("devnet addresses moved: the registry expects Uniswap V3 as the "
                          "protocol deployer's first three contracts")
    d = Defi(DEFI_WALLET, positions, router, weth, dai)
    token0, token1 = d._ordered()
    # sqrt(token1 per token0) in Q64.96
    sqrt_price = isqrt(ETH_IN_DAI << 192) if token0 == weth.address \
        else isqrt((1 << 192) // ETH_IN_DAI)
    c.send(positions.functions.createAndInitializePoolIfNecessary(
        token0, token1, V3_FEE, sqrt_price), c.deployer)
    c.send(dai.functions.approve(positions.address, 2**256 - 1), c.deployer)
    c.send(dai.functions.approve(router.address, 2**256 - 1), c.maker)
    amount0, amount1 = d._amounts(30 * E18, 30 * ETH_IN_DAI * E18)
    _mint(c, d, c.deployer, amount0, amount1, value=30 * E18, when=None)
    return d


def _mint(c: _Chain, d: Defi, owner: str, amount0: int, amount1: int, value: int,
          when: datetime | None) -> str:
    token0, token1 = d._ordered()
    params = (token0, token1, V3_FEE, *FULL_RANGE, amount0, amount1, 0, 0, owner, DEADLINE)
    calls = [d.positions.encode_abi("mint", args=[params]),
             d.positions.encode_abi("refundETH", args=[])]
    return c.send(d.positions.functions.multicall(calls), owner, when, value=value)


def fund(c: _Chain, d: Defi, when: datetime) -> None:
    c.w3.provider.make_request("anvil_impersonateAccount", [d.wallet])  # type: ignore[arg-type]
    d.txs["fund_eth"] = c.pay(c.deployer, d.wallet, 10 * E18, when)
    d.txs["fund_dai"] = c.send(d.dai.functions.transfer(d.wallet, 20_000 * E18), c.deployer)
    d.txs["approve_positions"] = c.send(
        d.dai.functions.approve(d.positions.address, 2**256 - 1), d.wallet)


def open_position(c: _Chain, d: Defi, when: datetime) -> None:
    """1 ETH and its worth in DAI into a full-range position (the ETH sent in, the unused
    part refunded)."""
    amount0, amount1 = d._amounts(E18, ETH_IN_DAI * E18)
    d.txs["v3_mint"] = _mint(c, d, d.wallet, amount0, amount1, value=E18, when=when)
    d.token_id = _minted_id(c, d.txs["v3_mint"], d.positions.address)


def others_trade(c: _Chain, d: Defi, when: datetime) -> None:
    """Another account swaps both ways through the pool: fees accrue to the positions."""
    c.send(_swap(d, d.weth.address, d.dai.address, 5 * E18, c.maker), c.maker, when,
           value=5 * E18)
    c.send(_swap(d, d.dai.address, d.weth.address, 15_000 * E18, c.maker), c.maker)


def swap_eth_for_dai(c: _Chain, d: Defi, when: datetime) -> None:
    d.txs["v3_swap"] = c.send(_swap(d, d.weth.address, d.dai.address, E18 // 2, d.wallet),
                              d.wallet, when, value=E18 // 2)


def _swap(d: Defi, given: str, got: str, amount: int, recipient: str) -> Any:
    params = (given, got, V3_FEE, recipient, DEADLINE, amount, 0, 0)
    return d.router.functions.exactInputSingle(params)


def add_to_position(c: _Chain, d: Defi, when: datetime) -> None:
    amount0, amount1 = d._amounts(E18 // 2, ETH_IN_DAI * E18 // 2)
    params = (d.token_id, amount0, amount1, 0, 0, DEADLINE)
    calls = [d.positions.encode_abi("increaseLiquidity", args=[params]),
             d.positions.encode_abi("refundETH", args=[])]
    d.txs["v3_increase"] = c.send(d.positions.functions.multicall(calls), d.wallet, when,
                                  value=E18 // 2)


def take_half_out(c: _Chain, d: Defi, when: datetime) -> None:
    """Half the liquidity out and everything owed collected, as the interface does it: the
    WETH unwrapped to the wallet, the DAI swept to it."""
    liquidity = d.positions.functions.positions(d.token_id).call()[7]
    decrease = d.positions.encode_abi(
        "decreaseLiquidity", args=[(d.token_id, liquidity // 2, 0, 0, DEADLINE)])
    d.txs["v3_decrease"] = c.send(d.positions.functions.multicall(
        [decrease, *_collect_everything(d)]), d.wallet, when)


def collect_fees(c: _Chain, d: Defi, when: datetime) -> None:
    """The fees earned since, collected alone (unwrapped and swept to the wallet)."""
    d.txs["v3_collect"] = c.send(d.positions.functions.multicall(_collect_everything(d)),
                                 d.wallet, when)


def _collect_everything(d: Defi) -> list[Any]:
    """Everything the position is owed, to the manager, then its WETH unwrapped to the
    wallet and its DAI swept to it."""
    max128 = 2**128 - 1
    return [
        d.positions.encode_abi("collect",
                               args=[(d.token_id, d.positions.address, max128, max128)]),
        d.positions.encode_abi("unwrapWETH9", args=[0, d.wallet]),
        d.positions.encode_abi("sweepToken", args=[d.dai.address, 0, d.wallet]),
    ]


def _minted_id(c: _Chain, tx_hash: str, positions: str) -> int:
    """The position NFT's id, read from its mint Transfer in the receipt."""
    receipt = c.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
    transfer = keccak(text="Transfer(address,address,uint256)")
    for log in receipt["logs"]:
        if log["address"].lower() == positions.lower() and bytes(log["topics"][0]) == transfer:
            return int.from_bytes(bytes(log["topics"][3]), "big")
    raise DevnetError(f"no position minted in {tx_hash}")


# ---- the devnet's own contracts: Lido-like staking, an Aave-like pool, a farm, NFTs ---------

RAY = 10**27
YEAR = 365 * 24 * 3600
FARM_REWARD = 1_000 * E18
OZ = "@openzeppelin/contracts/build/contracts/"


@dataclass
class Protocols:
    steth: Contract
    wsteth: Contract
    pool: Contract
    adai: Contract
    weth_debt: Contract
    farm: Contract
    market: Contract
    punks: Contract  # ERC-721
    items: Contract  # ERC-1155


def deploy_protocols(c: _Chain, d: Defi, tkn: Contract) -> Protocols:
    """The protocol deployer's contracts 3 to 9, then a farm paying TKN for staked DAI over
    a year, a WETH reserve to borrow from, and NFTs listed by another account."""
    pd = c.protocol_deployer
    steth = c.deploy_compiled("StakedEther", sender=pd)
    wsteth = c.deploy_compiled("WrappedStakedEther", steth.address, sender=pd)
    pool = c.deploy_compiled("LendingPool", sender=pd)
    adai = c.deploy_compiled("AToken", pool.address, d.dai.address, "Aave DAI", "aDAI",
                             sender=pd)
    dai_debt = c.deploy_compiled("VariableDebtToken", pool.address, d.dai.address,
                                 "Variable Debt DAI", "variableDebtDAI", sender=pd)
    aweth = c.deploy_compiled("AToken", pool.address, d.weth.address, "Aave WETH", "aWETH",
                              sender=pd)
    weth_debt = c.deploy_compiled("VariableDebtToken", pool.address, d.weth.address,
                                  "Variable Debt WETH", "variableDebtWETH", sender=pd)
    found = tuple(x.address.lower() for x in (steth, wsteth, pool, adai, dai_debt, aweth,
                                              weth_debt))
    if found != (DEVNET_STETH, DEVNET_WSTETH, DEVNET_LENDING_POOL, DEVNET_ADAI,
                 DEVNET_DAI_DEBT, DEVNET_AWETH, DEVNET_WETH_DEBT):
        raise DevnetError("devnet addresses moved: the registry expects stETH, wstETH and "
                          "the lending pool's contracts as the protocol deployer's 4th to 10th")
    c.send(pool.functions.initReserve(d.dai.address, adai.address, dai_debt.address), pd)
    c.send(pool.functions.initReserve(d.weth.address, aweth.address, weth_debt.address), pd)
    c.send(d.weth.functions.deposit(), c.deployer, value=60 * E18)
    c.send(d.weth.functions.approve(pool.address, 2**256 - 1), c.deployer)
    c.send(pool.functions.supply(d.weth.address, 50 * E18, c.deployer, 0), c.deployer)
    farm = c.deploy_compiled("StakingRewards", tkn.address, d.dai.address)
    c.send(farm.functions.setRewardsDuration(YEAR), c.deployer)
    c.send(tkn.functions.transfer(farm.address, FARM_REWARD), c.deployer)
    c.send(farm.functions.notifyRewardAmount(FARM_REWARD), c.deployer)
    market = c.deploy_compiled("NftMarket")
    punks = c.deploy(OZ + "ERC721PresetMinterPauserAutoId.json", "Devnet Punks", "DPUNK",
                     "ipfs://punks/")
    items = c.deploy(OZ + "ERC1155PresetMinterPauser.json", "ipfs://items/{id}")
    c.send(punks.functions.mint(c.maker), c.deployer)  # token 0
    c.send(items.functions.mint(c.maker, 7, 10, b""), c.deployer)
    for nft in (punks, items):
        c.send(nft.functions.setApprovalForAll(market.address, True), c.maker)
    c.send(market.functions.list721(punks.address, 0, ZERO_ADDRESS, E18 // 5), c.maker)
    c.send(market.functions.list1155(items.address, 7, 3, d.dai.address, 300 * E18), c.maker)
    c.send(d.dai.functions.approve(market.address, 2**256 - 1), c.maker)
    return Protocols(steth, wsteth, pool, adai, weth_debt, farm, market, punks, items)


def stake_eth(c: _Chain, d: Defi, p: Protocols, when: datetime) -> None:
    d.txs["lido_stake"] = c.send(p.steth.functions.submit(ZERO_ADDRESS), d.wallet, when,
                                 value=2 * E18)


def rebase(c: _Chain, p: Protocols, when: datetime, percent: int) -> None:
    """Staking rewards land: stETH balances grow, with no event."""
    total = p.steth.functions.getTotalPooledEther().call()
    c.send(p.steth.functions.rebase(total * (100 + percent) // 100), c.protocol_deployer,
           when)


def wrap_steth(c: _Chain, d: Defi, p: Protocols, when: datetime) -> None:
    c.send(p.steth.functions.approve(p.wsteth.address, 2**256 - 1), d.wallet, when)
    d.txs["lido_wrap"] = c.send(p.wsteth.functions.wrap(E18), d.wallet)


def unwrap_steth(c: _Chain, d: Defi, p: Protocols, when: datetime) -> None:
    held = p.wsteth.functions.balanceOf(d.wallet).call()
    d.txs["lido_unwrap"] = c.send(p.wsteth.functions.unwrap(held), d.wallet, when)


def buy_punk(c: _Chain, d: Defi, p: Protocols, when: datetime) -> None:
    d.txs["nft_buy_721"] = c.send(p.market.functions.buy(1), d.wallet, when, value=E18 // 5)


def buy_items(c: _Chain, d: Defi, p: Protocols, when: datetime) -> None:
    c.send(d.dai.functions.approve(p.market.address, 2**256 - 1), d.wallet, when)
    d.txs["nft_buy_1155"] = c.send(p.market.functions.buy(2), d.wallet)


def sell_punk(c: _Chain, d: Defi, p: Protocols, when: datetime) -> None:
    c.send(p.punks.functions.setApprovalForAll(p.market.address, True), d.wallet, when)
    c.send(p.market.functions.list721(p.punks.address, 0, d.dai.address, 1_000 * E18),
           d.wallet)
    d.txs["nft_sell_721"] = c.send(p.market.functions.buy(3), c.maker)


def farm_stake(c: _Chain, d: Defi, p: Protocols, when: datetime) -> None:
    c.send(d.dai.functions.approve(p.farm.address, 2**256 - 1), d.wallet, when)
    d.txs["farm_stake"] = c.send(p.farm.functions.stake(5_000 * E18), d.wallet)


def farm_claim(c: _Chain, d: Defi, p: Protocols, when: datetime) -> None:
    d.txs["farm_claim"] = c.send(p.farm.functions.getReward(), d.wallet, when)


def farm_exit(c: _Chain, d: Defi, p: Protocols, when: datetime) -> None:
    d.txs["farm_exit"] = c.send(p.farm.functions.exit(), d.wallet, when)


def lend(c: _Chain, d: Defi, p: Protocols, when: datetime) -> None:
    c.send(d.dai.functions.approve(p.pool.address, 2**256 - 1), d.wallet, when)
    d.txs["lend_supply"] = c.send(p.pool.functions.supply(d.dai.address, 4_000 * E18,
                                                          d.wallet, 0), d.wallet)


def borrow(c: _Chain, d: Defi, p: Protocols, when: datetime) -> None:
    d.txs["lend_borrow"] = c.send(p.pool.functions.borrow(d.weth.address, E18 // 2, 2, 0,
                                                          d.wallet), d.wallet, when)


def accrue(c: _Chain, d: Defi, p: Protocols, when: datetime) -> None:
    """A year's interest at once: 3% to lenders, 5% on loans, the interest funded."""
    pd = c.protocol_deployer
    c.send(d.dai.functions.transfer(p.adai.address, 500 * E18), c.deployer, when)
    c.send(d.weth.functions.transfer(to_checksum_address(DEVNET_AWETH), 2 * E18), c.deployer)
    for token in (d.dai, d.weth):
        c.send(p.pool.functions.accrue(token.address, RAY * 103 // 100, RAY * 105 // 100), pd)


def repay(c: _Chain, d: Defi, p: Protocols, when: datetime) -> None:
    """The WETH loan and its interest paid back, topped up by wrapping ETH first."""
    d.txs["wrap_for_repay"] = c.send(d.weth.functions.deposit(), d.wallet, when,
                                     value=E18 // 10)
    c.send(d.weth.functions.approve(p.pool.address, 2**256 - 1), d.wallet)
    d.txs["lend_repay"] = c.send(p.pool.functions.repay(d.weth.address, 2**256 - 1, 2,
                                                        d.wallet), d.wallet)


def withdraw(c: _Chain, d: Defi, p: Protocols, when: datetime) -> None:
    d.txs["lend_withdraw"] = c.send(p.pool.functions.withdraw(d.dai.address, 2**256 - 1,
                                                              d.wallet), d.wallet, when)
