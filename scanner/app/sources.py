"""The sources a scan or a price lookup reads from, as the config and environment name them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chains.errors import UserInputError
from chains.evm.flavors import Flavor
from chains.evm.node import RpcSource
from chains.evm.pools import UniswapV2Reader
from chains.evm.rpc import RpcClient
from chains.evm.sourcing import SourceChoice, SourcePlan
from chains.registry import chain_by_id, chain_by_name
from chains.source import DEFAULT_CONCURRENCY
from scanner.app.config import Config
from scanner.prices.coingecko import CoinGecko
from scanner.prices.defillama import DefiLlama
from scanner.prices.names import (
    COINGECKO_KEY_ENV,
    COINGECKO_PRO_KEY_ENV,
    DEFILLAMA_KEY_ENV,
    PriceSourceName,
)
from scanner.prices.pools import PoolPrices
from scanner.prices.sources import PriceSource


def plan_for(config: Config, chain_key: str, environ: Mapping[str, str],
             offline: bool = False) -> SourcePlan:
    """The sources of one chain of a config file (the key comes from the environment)."""
    chain = chain_by_name(chain_key)
    settings = config.chains.get(chain.key)
    return SourcePlan(
        chain=chain,
        rpc_url=settings.rpc if settings else None,
        explorer_url=settings.explorer_url if settings else None,
        flavor=Flavor(settings.explorer) if settings and settings.explorer else None,
        api_key=config.api_key(chain.key, environ),
        choice=SourceChoice(settings.source) if settings and settings.source else None,
        offline=offline,
        concurrency=(settings.concurrency if settings and settings.concurrency
                     else DEFAULT_CONCURRENCY),
    )


def price_sources(names: Sequence[PriceSourceName], rpc_url: str | None,
                  environ: Mapping[str, str], *, defillama_url: str | None = None,
                  coingecko_url: str | None = None) -> list[PriceSource]:
    """The price sources named, in order. Keys come from the environment; `pool` reads
    the chain of the node at `rpc_url`."""
    sources: list[PriceSource] = []
    for name in names:
        if name is PriceSourceName.DEFILLAMA:
            sources.append(DefiLlama(defillama_url, environ.get(DEFILLAMA_KEY_ENV) or None))
        elif name is PriceSourceName.COINGECKO:
            pro = environ.get(COINGECKO_PRO_KEY_ENV) or None
            sources.append(CoinGecko(pro or environ.get(COINGECKO_KEY_ENV) or None,
                                     "pro" if pro else "demo", coingecko_url))
        elif name is PriceSourceName.POOL:
            if rpc_url is None:
                raise UserInputError("--source pool reads pools on a chain: give --rpc URL")
            client = RpcClient(rpc_url)
            chain = chain_by_id(RpcSource(client).chain_id())
            if chain.uniswap_v2_factory is None:
                raise UserInputError(f"no Uniswap V2 factory is known for {chain.name}")
            sources.append(PoolPrices(UniswapV2Reader(client, chain.uniswap_v2_factory), chain))
    return sources
