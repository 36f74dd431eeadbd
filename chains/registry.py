"""Chain metadata: ids, native assets, wrapped natives, USD stablecoins, explorers."""

from __future__ import annotations

from dataclasses import dataclass, field

from scanner.addresses import erc20_asset, native_asset
from scanner.errors import UnknownChainError


@dataclass(frozen=True)
class Chain:
    chain_id: int
    key: str  # the name used with --chain
    name: str
    native_symbol: str
    slip44: int
    wrapped_native: str | None = None  # lowercase address
    stablecoins: tuple[str, ...] = ()  # lowercase addresses of USD stablecoins
    explorer_url: str | None = None
    default_rpc: str | None = None
    confirmations: int = 12  # blocks below the head that are final enough to store
    aliases: tuple[str, ...] = field(default=())

    @property
    def native_asset(self) -> str:
        return native_asset(self.chain_id, self.slip44)

    @property
    def wrapped_native_asset(self) -> str | None:
        return erc20_asset(self.chain_id, self.wrapped_native) if self.wrapped_native else None

    @property
    def stablecoin_assets(self) -> frozenset[str]:
        return frozenset(erc20_asset(self.chain_id, a) for a in self.stablecoins)

    def tx_url(self, tx_hash: str) -> str | None:
        return f"{self.explorer_url}/tx/{tx_hash}" if self.explorer_url else None


# The devnet deploys WETH9 and its stablecoin first, from anvil's first account, so their
# addresses are fixed by (deployer, nonce) and known here.
DEVNET_WETH = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
DEVNET_DAI = "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512"

CHAINS: tuple[Chain, ...] = (
    Chain(
        chain_id=1,
        key="ethereum",
        name="Ethereum",
        native_symbol="ETH",
        slip44=60,
        wrapped_native="0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2",
        stablecoins=(
            "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",  # USDC
            "0xdac17f958d2ee523a2206206994597c13d831ec7",  # USDT
            "0x6b175474e89094c44da98b954eedeac495271d0f",  # DAI
        ),
        explorer_url="https://etherscan.io",
        default_rpc="https://ethereum-rpc.publicnode.com",
        confirmations=12,
        aliases=("eth", "mainnet"),
    ),
    Chain(
        chain_id=31337,
        key="devnet",
        name="Local devnet (anvil)",
        native_symbol="ETH",
        slip44=60,
        wrapped_native=DEVNET_WETH,
        stablecoins=(DEVNET_DAI,),
        confirmations=0,
        aliases=("anvil", "local"),
    ),
)


def chain_by_id(chain_id: int) -> Chain:
    for chain in CHAINS:
        if chain.chain_id == chain_id:
            return chain
    return Chain(chain_id=chain_id, key=str(chain_id), name=f"chain {chain_id}",
                 native_symbol="NATIVE", slip44=60)


def is_known(chain_id: int) -> bool:
    return any(chain.chain_id == chain_id for chain in CHAINS)


def chain_by_name(name: str) -> Chain:
    wanted = name.strip().lower()
    for chain in CHAINS:
        if wanted == chain.key or wanted in chain.aliases or wanted == str(chain.chain_id):
            return chain
    known = ", ".join(chain.key for chain in CHAINS)
    raise UnknownChainError(f"unknown chain {name!r} (known: {known})")
