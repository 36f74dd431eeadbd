"""Chain metadata: ids, native assets, wrapped natives, USD stablecoins, explorers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from chains.addresses import erc20_asset, native_asset
from chains.deployments import DEVNET_ADAI, DEVNET_AWETH, DEVNET_STETH, DEVNET_WSTETH
from chains.errors import UnknownChainError

_TX_ID = re.compile(r"0x[0-9a-fA-F]+")  # a transaction hash, not a ledger id of another kind


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
    # blocks below the head a reorg may still replace: the next scan checks them again
    confirmations: int = 12
    aliases: tuple[str, ...] = field(default=())
    uniswap_v2_factory: str | None = None  # lowercase; pool prices read from its pairs
    etherscan_v2: bool = True  # served by https://api.etherscan.io/v2/api?chainid=...
    blockscout_api: str | None = None  # Etherscan-compatible Blockscout API, ending in /api
    # tokens whose balances grow with no Transfer event (lowercase): their growth is booked
    # as income from balance snapshots
    rebasing_tokens: tuple[str, ...] = ()
    snapshot_interval: int = 7200  # blocks between scheduled balance snapshots: about a day
    # a rollup whose receipts show an L1 data fee (`l1Fee`) paid beside gasUsed x
    # effectiveGasPrice (OP-stack chains, Scroll): a receipt without it is incomplete
    l1_data_fee: bool = False
    # well-known tokens of the chain (lowercase addresses), never judged spam: governance
    # tokens pushed to many wallets at once (airdrops) look like spam by every other mark
    known_tokens: tuple[str, ...] = ()
    # tokens of a group of substantially identical assets (IDENTICAL_GROUPS), or bridged
    # copies of such a token: (name, lowercase address); a bridged copy has the name of the
    # token it stands for on every chain
    identical_tokens: tuple[tuple[str, str], ...] = ()

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
        """The transaction's explorer page; None for ids that are no transaction hash (the
        ledger's booked rebasing growth, `rebase:...`)."""
        if not self.explorer_url or not _TX_ID.fullmatch(tx_hash):
            return None
        return f"{self.explorer_url}/tx/{tx_hash}"


# The devnet deploys WETH9 and its stablecoin first, from anvil's first account, so their
# addresses are fixed by (deployer, nonce) and known here.
DEVNET_WETH = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
DEVNET_DAI = "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512"
DEVNET_UNISWAP_V2_FACTORY = "0xcf7ed3acca5a467e9e704c703e8d87f634fb0fc9"  # the fourth contract

# How many blocks below the head count as final enough to store. Ethereum: 12 (below the
# usual reorg depth; true finality is ~64). Sidechains follow their own consensus: BNB 15,
# Gnosis 12, Polygon PoS 128 (it has seen deep reorgs), Avalanche 1 (Snowman finality is
# immediate). Rollups: never 0, since a sequencer's unsafe head can still be replaced; keep
# roughly a minute or two of blocks back (60, or 240 on Arbitrum's ~0.25 s blocks).
# Rebasing tokens' balances are read about once a day (snapshot_interval): 7200 of
# Ethereum's 12 s blocks, 43200 of 2 s blocks (OP, Base, Polygon, Linea, Avalanche), 28800
# of 3 s (Scroll; BNB, whose 0.75 s blocks since 2025 make that a quarter day), 17280 of
# Gnosis's 5 s, 86400 of zkSync's ~1 s, 345600 of Arbitrum's 0.25 s.
CHAINS: tuple[Chain, ...] = (
    Chain(
        chain_id=1,
        identical_tokens=(("stETH", "0xae7ab96520de3a18e5e111b5eaab095312d7fe84"),
                          ("wstETH", "0x7f39c581f595b53c5cb19bd0b3f8da6c935e2ca0"),
                          ("WBTC", "0x2260fac5e5542a773aa44fbcfedf7c193bc2c599"),
                          ("rETH", "0xae78736cd615f374d3085123a210448e74fc6393"),
                          ("cbETH", "0xbe9895146f7af43049ca1c1ae358b0541ea49704"),
                          ("cbBTC", "0xcbb7c0000ab88b473b1f5afd9ef808440eed33bf"),
                          ("tBTC", "0x18084fba666a33d37592fa2633fd49a74dd93a88"),
                          ("USDC", "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48")),
        uniswap_v2_factory="0x5c69bee701ef814a2b6a3edd4b1652cb9cc5aa6f",
        key="ethereum",
        name="Ethereum",
        native_symbol="ETH",
        slip44=60,
        wrapped_native="0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2",  # WETH
        stablecoins=(
            "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",  # USDC
            "0xdac17f958d2ee523a2206206994597c13d831ec7",  # USDT
            "0x6b175474e89094c44da98b954eedeac495271d0f",  # DAI
        ),
        explorer_url="https://etherscan.io",
        default_rpc="https://ethereum-rpc.publicnode.com",
        confirmations=12,
        aliases=("eth", "mainnet"),
        blockscout_api="https://eth.blockscout.com/api",
        rebasing_tokens=("0xae7ab96520de3a18e5e111b5eaab095312d7fe84",),  # Lido stETH
        known_tokens=(
            "0x2260fac5e5542a773aa44fbcfedf7c193bc2c599",  # WBTC
            "0xae7ab96520de3a18e5e111b5eaab095312d7fe84",  # stETH
            "0x7f39c581f595b53c5cb19bd0b3f8da6c935e2ca0",  # wstETH
            "0x1f9840a85d5af5bf1d1762f925bdaddc4201f984",  # UNI
            "0x5a98fcbea516cf06857215779fd812ca3bef1b32",  # LDO
            "0xd533a949740bb3306d119cc777fa900ba034cd52",  # CRV
            "0xc00e94cb662c3520282e6f5717214004a7f26888",  # COMP
        ),
    ),
    Chain(
        chain_id=10,
        identical_tokens=(("wstETH", "0x1f32b1c2345538c0c6f582fcb022739c4a194ebb"),
                          # the ERC-20 face of OP's ether before Bedrock
                          ("ETH", "0xdeaddeaddeaddeaddeaddeaddeaddeaddead0000"),
                          ("USDC", "0x0b2c639c533813f4aa9d7837caf62653d097ff85"),
                          ("USDC", "0x7f5c764cbc14f9669b88837ca1490cca17c31607")),  # USDC.e
        key="optimism",
        name="Optimism",
        native_symbol="ETH",
        slip44=60,
        wrapped_native="0x4200000000000000000000000000000000000006",  # WETH
        stablecoins=(
            "0x0b2c639c533813f4aa9d7837caf62653d097ff85",  # USDC
            "0x7f5c764cbc14f9669b88837ca1490cca17c31607",  # USDC.e (bridged)
            "0x94b008aa00579c1307b0ef2c499ad98a8ce58e58",  # USDT
            "0xda10009cbd5d07dd0cecc66161fc93d7c9000da1",  # DAI
        ),
        explorer_url="https://optimistic.etherscan.io",
        default_rpc="https://optimism-rpc.publicnode.com",
        confirmations=60,
        aliases=("op", "op-mainnet"),
        blockscout_api="https://optimism.blockscout.com/api",
        snapshot_interval=43200,
        l1_data_fee=True,
        known_tokens=(
            "0x4200000000000000000000000000000000000042",  # OP
            "0x1f32b1c2345538c0c6f582fcb022739c4a194ebb",  # wstETH
        ),
    ),
    Chain(
        chain_id=56,
        key="bnb",
        name="BNB Chain",
        native_symbol="BNB",
        slip44=714,
        wrapped_native="0xbb4cdb9cbd36b01bd1cbaebf2de08d9173bc095c",  # WBNB
        stablecoins=(
            "0x8ac76a51cc950d9822d68b83fe1ad97b32cd580d",  # USDC (Binance-Peg, 18 decimals)
            "0x55d398326f99059ff775485246999027b3197955",  # USDT (Binance-Peg, 18 decimals)
            "0x1af3f329e8be154074d8769d1ffa4ee058b1dbc3",  # DAI (Binance-Peg)
        ),
        explorer_url="https://bscscan.com",
        default_rpc="https://bsc-rpc.publicnode.com",
        confirmations=15,
        aliases=("bsc", "binance", "bnb-chain"),
        snapshot_interval=28800,
    ),
    Chain(
        chain_id=100,
        key="gnosis",
        name="Gnosis",
        native_symbol="xDAI",
        slip44=700,
        wrapped_native="0xe91d153e0b41518a2ce8dd3d7944fa863463a97d",  # WXDAI
        stablecoins=(
            "0xddafbb505ad214d7b80b1f830fccc89b60fb7a83",  # USDC (Omnibridge)
            "0x2a22f9c3b484c3629090feed35f17ff8f88f76f0",  # USDC.e (bridged USDC standard)
            "0x4ecaba5870353805a9f068101a40e0f32ed605c6",  # USDT
        ),
        explorer_url="https://gnosisscan.io",
        default_rpc="https://gnosis-rpc.publicnode.com",
        confirmations=12,
        aliases=("xdai", "gnosis-chain"),
        blockscout_api="https://gnosis.blockscout.com/api",
        snapshot_interval=17280,
    ),
    Chain(
        chain_id=137,
        # ether bridged by the PoS bridge
        identical_tokens=(("WETH", "0x7ceb23fd6bc0add59e62ac25578270cff1b9f619"),
                          ("USDC", "0x3c499c542cef5e3811e1192ce70d8cc03d5c3359"),
                          ("USDC", "0x2791bca1f2de4661ed88a30c99a7a9449aa84174")),  # USDC.e
        key="polygon",
        name="Polygon PoS",
        native_symbol="POL",
        slip44=966,
        wrapped_native="0x0d500b1d8e8ef31e21c99d1db9a6444d3adf1270",  # WPOL (was WMATIC)
        stablecoins=(
            "0x3c499c542cef5e3811e1192ce70d8cc03d5c3359",  # USDC
            "0x2791bca1f2de4661ed88a30c99a7a9449aa84174",  # USDC.e (PoS bridge)
            "0xc2132d05d31c914a87c6611c10748aeb04b58e8f",  # USDT
            "0x8f3cf7ad23cd3cadbd9735aff958023239c6a063",  # DAI
        ),
        explorer_url="https://polygonscan.com",
        default_rpc="https://polygon-bor-rpc.publicnode.com",
        confirmations=128,
        aliases=("matic", "pol", "polygon-pos"),
        blockscout_api="https://polygon.blockscout.com/api",
        snapshot_interval=43200,
    ),
    Chain(
        chain_id=324,
        identical_tokens=(("USDC", "0x1d17cbcf0d6d143135ae902365d2e5e2a16538d4"),
                          ("USDC", "0x3355df6d4c9c3035724fd0e3914de96a5a83aaf4")),  # USDC.e
        key="zksync",
        name="zkSync Era",
        native_symbol="ETH",
        slip44=60,
        wrapped_native="0x5aea5775959fbc2557cc8789bc1bf90a239d9a91",  # WETH
        stablecoins=(
            "0x1d17cbcf0d6d143135ae902365d2e5e2a16538d4",  # USDC
            "0x3355df6d4c9c3035724fd0e3914de96a5a83aaf4",  # USDC.e (bridged)
            "0x493257fd37edb34451f62edf8d2a0c418852ba4c",  # USDT
            "0x4b9eb6c0b6ea15176bbf62841c6b2a8a398cb656",  # DAI
        ),
        explorer_url="https://era.zksync.network",
        default_rpc="https://mainnet.era.zksync.io",
        confirmations=60,
        aliases=("zksync-era", "era"),
        blockscout_api="https://zksync.blockscout.com/api",
        snapshot_interval=86400,
    ),
    Chain(
        chain_id=8453,
        identical_tokens=(("cbETH", "0x2ae3f1ec7f1f5012cfeab0185bfc7aa3cf0dec22"),
                          ("cbBTC", "0xcbb7c0000ab88b473b1f5afd9ef808440eed33bf"),
                          ("USDC", "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913"),
                          ("USDC", "0xd9aaec86b65d86f6a7b5b1b0c42ffa531710b6ca")),  # USDbC
        key="base",
        name="Base",
        native_symbol="ETH",
        slip44=60,
        wrapped_native="0x4200000000000000000000000000000000000006",  # WETH
        stablecoins=(
            "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913",  # USDC
            "0xd9aaec86b65d86f6a7b5b1b0c42ffa531710b6ca",  # USDbC (bridged USDC)
            "0xfde4c96c8593536e31f229ea8f37b2ada2699bb2",  # USDT (bridged)
            "0x50c5725949a6f0c72e6c4a641f24049a917db0cb",  # DAI
        ),
        explorer_url="https://basescan.org",
        default_rpc="https://base-rpc.publicnode.com",
        confirmations=60,
        blockscout_api="https://base.blockscout.com/api",
        snapshot_interval=43200,
        l1_data_fee=True,
        known_tokens=("0x2ae3f1ec7f1f5012cfeab0185bfc7aa3cf0dec22",),  # cbETH
    ),
    Chain(
        chain_id=42161,
        identical_tokens=(("USDC", "0xaf88d065e77c8cc2239327c5edb3a432268e5831"),
                          ("USDC", "0xff970a61a04b1ca14834a43f5de4533ebddb5cc8")),  # USDC.e
        key="arbitrum",
        name="Arbitrum One",
        native_symbol="ETH",
        slip44=60,
        wrapped_native="0x82af49447d8a07e3bd95bd0d56f35241523fbab1",  # WETH
        stablecoins=(
            "0xaf88d065e77c8cc2239327c5edb3a432268e5831",  # USDC
            "0xff970a61a04b1ca14834a43f5de4533ebddb5cc8",  # USDC.e (bridged)
            "0xfd086bc7cd5c481dcc9c85ebe478a1c0b69fcbb9",  # USDT
            "0xda10009cbd5d07dd0cecc66161fc93d7c9000da1",  # DAI
        ),
        explorer_url="https://arbiscan.io",
        default_rpc="https://arbitrum-one-rpc.publicnode.com",
        confirmations=240,
        aliases=("arb", "arbitrum-one", "arb1"),
        blockscout_api="https://arbitrum.blockscout.com/api",
        snapshot_interval=345600,
        known_tokens=(
            "0x912ce59144191c1204e64559fe8253a0e49e6548",  # ARB
            "0x11cdb42b0eb46d95f990bedd4695a6e3fa034978",  # CRV
        ),
    ),
    Chain(
        chain_id=43114,
        identical_tokens=(("USDC", "0xb97ef9ef8734c71904d8002f8b6bc66dd9c48a6e"),),
        key="avalanche",
        name="Avalanche C-Chain",
        native_symbol="AVAX",
        slip44=9000,
        wrapped_native="0xb31f66aa3c1e785363f0875a1b74e27b85fd66c7",  # WAVAX
        stablecoins=(
            "0xb97ef9ef8734c71904d8002f8b6bc66dd9c48a6e",  # USDC
            "0xa7d7079b0fead91f3e65f86e8915cb59c1a4c664",  # USDC.e (bridged)
            "0x9702230a8ea53601f5cd2dc00fdbc13d4df4a8c7",  # USDt
            "0xc7198437980c041c805a1edcba50c1ce5db95118",  # USDT.e (bridged)
            "0xd586e7f844cea2f87f50152665bcbc2c279d8d70",  # DAI.e (bridged)
        ),
        explorer_url="https://snowtrace.io",
        default_rpc="https://avalanche-c-chain-rpc.publicnode.com",
        confirmations=1,
        aliases=("avax", "avalanche-c", "avalanche-c-chain"),
        snapshot_interval=43200,
    ),
    Chain(
        chain_id=59144,
        identical_tokens=(("USDC", "0x176211869ca2b568f2a7d4ee941e073a821ee1ff"),),
        key="linea",
        name="Linea",
        native_symbol="ETH",
        slip44=60,
        wrapped_native="0xe5d7c2a44ffddf6b295a15c148167daaaf5cf34f",  # WETH
        stablecoins=(
            "0x176211869ca2b568f2a7d4ee941e073a821ee1ff",  # USDC
            "0xa219439258ca9da29e9cc4ce5596924745e12b93",  # USDT
            "0x4af15ec2a0bd43db75dd04e62faa3b8ef36b00d5",  # DAI
        ),
        explorer_url="https://lineascan.build",
        default_rpc="https://rpc.linea.build",
        confirmations=60,
        snapshot_interval=43200,
    ),
    Chain(
        chain_id=534352,
        identical_tokens=(("wstETH", "0xf610a9dfb7c89644979b4a0f27063e9e7d7cda32"),),
        key="scroll",
        name="Scroll",
        native_symbol="ETH",
        slip44=60,
        wrapped_native="0x5300000000000000000000000000000000000004",  # WETH
        stablecoins=(
            "0x06efdbff2a14a7c8e15944d1f4a48f9f95f663a4",  # USDC
            "0xf55bec9cafdbe8730f096aa55dad6d22d44099df",  # USDT
            "0xca77eb3fefe3725dc33bccb54edefc3d9f764f97",  # DAI
        ),
        explorer_url="https://scrollscan.com",
        default_rpc="https://rpc.scroll.io",
        confirmations=60,
        blockscout_api="https://scroll.blockscout.com/api",
        snapshot_interval=28800,
        l1_data_fee=True,
        known_tokens=(
            "0xd29687c813d741e2f938f4ac377128810e217b1b",  # SCR
            "0xf610a9dfb7c89644979b4a0f27063e9e7d7cda32",  # wstETH
        ),
    ),
    Chain(
        chain_id=31337,
        identical_tokens=(("stETH", DEVNET_STETH), ("wstETH", DEVNET_WSTETH)),
        rebasing_tokens=(DEVNET_STETH, DEVNET_ADAI, DEVNET_AWETH),
        uniswap_v2_factory=DEVNET_UNISWAP_V2_FACTORY,
        key="devnet",
        name="Local devnet (anvil)",
        native_symbol="ETH",
        slip44=60,
        wrapped_native=DEVNET_WETH,
        stablecoins=(DEVNET_DAI, DEVNET_ADAI),  # aDAI: a DAI lent, redeemable one for one
        confirmations=16,  # anvil reorgs only when told to (evm_revert): tests rewind less
        aliases=("anvil", "local"),
        etherscan_v2=False,
    ),
)


_BY_ID = {chain.chain_id: chain for chain in CHAINS}


def chain_by_id(chain_id: int) -> Chain:
    chain = _BY_ID.get(chain_id)
    if chain is not None:
        return chain
    return Chain(chain_id=chain_id, key=str(chain_id), name=f"chain {chain_id}",
                 native_symbol="NATIVE", slip44=60)


def is_known(chain_id: int) -> bool:
    return chain_id in _BY_ID


def chain_by_name(name: str) -> Chain:
    wanted = name.strip().lower()
    for chain in CHAINS:
        if wanted == chain.key or wanted in chain.aliases or wanted == str(chain.chain_id):
            return chain
    known = ", ".join(chain.key for chain in CHAINS)
    raise UnknownChainError(f"unknown chain {name!r} (known: {known})")


# Substantially identical assets (wash sales), by name: a chain's native coin is named by
# its symbol, its wrapped native by "W" and the symbol, a token by `identical_tokens`.
# Addresses come from this repository's recorded data, or (rETH, cbETH on Ethereum, cbBTC,
# tBTC, USDC) from the issuers' deployments as public code quotes them. USDC is Circle's
# native USDC on each chain (CCTP burns it on one and mints it on another) and the copy a
# rollup's own bridge (Optimism's, Arbitrum's, Base's, zkSync's, Polygon's PoS bridge) mints
# for USDC locked on Ethereum (USDC.e, USDbC): the wallet's own USDC crossing, as a bridged
# wstETH is wstETH. Copies no bridge of the wallet's own makes (Binance-Peg USDC on BNB
# Chain, a custodian's IOU; other bridges' tokens) are not named: they are other tokens.
IDENTICAL_GROUPS: dict[str, tuple[str, ...]] = {
    "ETH": ("ETH", "WETH", "stETH", "wstETH", "rETH", "cbETH"),
    "BTC": ("BTC", "WBTC", "cbBTC", "tBTC"),
}
BITCOIN = "bip122:000000000019d6689c085ae165831e93/slip44:0"  # CAIP-19: Bitcoin's BTC
_OFF_REGISTRY: tuple[tuple[str, str], ...] = (("BTC", BITCOIN),)  # (name, asset id)


def asset_names() -> dict[str, str]:
    """Asset id -> its name on every chain, for the assets the registry names: each chain's
    native coin and wrapped native, its `identical_tokens`, and Bitcoin. One name on two
    chains is one asset on both (ETH on Ethereum and on Base, wstETH and its bridged copy)."""
    names = dict((asset, name) for name, asset in _OFF_REGISTRY)
    for chain in CHAINS:
        names[chain.native_asset] = chain.native_symbol
        if chain.wrapped_native_asset:
            names[chain.wrapped_native_asset] = "W" + chain.native_symbol
        for name, address in chain.identical_tokens:
            names[erc20_asset(chain.chain_id, address)] = name
    return names


def identical_group(name: str) -> str:
    """The group of substantially identical assets an asset name belongs to: its group in
    IDENTICAL_GROUPS, else a native coin's own (its wrapped form joins it: WBNB is BNB)."""
    for group, members in IDENTICAL_GROUPS.items():
        if name in members:
            return group
    for chain in CHAINS:
        if name == "W" + chain.native_symbol:
            return identical_group(chain.native_symbol)
    return name
