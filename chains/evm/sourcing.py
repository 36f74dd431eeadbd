"""Choose where a scan reads from: a node, an explorer, or both, by DESIGN's defaults.

By default the explorer when a key or URL is configured, else the node. Receipts come
from the node when one is named; else, beside an explorer, in batches from the chain's
public RPC (the registry's `default_rpc`, unless offline) while it answers, and through
the explorer's proxy module when it does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from chains.errors import SourceInconsistent, UserInputError
from chains.evm.flavors import ETHERSCAN_V2, Flavor
from chains.source import DEFAULT_CONCURRENCY, Progress

if TYPE_CHECKING:  # the sources import web3 and requests: only a scan that opens one needs them
    from chains.evm.records import EvmSource
    from chains.registry import Chain

API_KEY_ENV = "ETHERSCAN_API_KEY"


class SourceChoice(StrEnum):
    RPC = "rpc"
    EXPLORER = "explorer"
    BOTH = "both"


@dataclass(frozen=True)
class SourcePlan:
    chain: Chain | None  # known from --chain or config; else the node says
    rpc_url: str | None = None
    explorer_url: str | None = None
    flavor: Flavor | None = None
    api_key: str | None = field(default=None, repr=False)
    choice: SourceChoice | None = None
    offline: bool = False
    concurrency: int = DEFAULT_CONCURRENCY  # requests in flight at once, per source


@dataclass(frozen=True)
class OpenedSource:
    source: EvmSource
    name: SourceChoice
    description: str
    rpc_url: str | None = None  # the node, when one is used (reconciliation reads it)


def _flavor(plan: SourcePlan, url: str) -> Flavor:
    if plan.flavor is not None:
        return plan.flavor
    return Flavor.BLOCKSCOUT if Flavor.BLOCKSCOUT.value in url.lower() else Flavor.ETHERSCAN


def _explorer_url(plan: SourcePlan) -> str | None:
    if plan.explorer_url:
        return plan.explorer_url
    if plan.api_key and plan.chain is not None and plan.chain.etherscan_v2:
        return ETHERSCAN_V2
    return None


def _rpc_url(plan: SourcePlan) -> str | None:
    if plan.rpc_url:
        return plan.rpc_url
    if plan.chain is not None and plan.chain.default_rpc and not plan.offline:
        return plan.chain.default_rpc
    return None


def open_source(plan: SourcePlan, progress: Progress) -> OpenedSource:
    from chains.evm.both import BothSource
    from chains.evm.explorer import ExplorerClient, ExplorerConfig, ExplorerSource
    from chains.evm.node import RpcSource
    from chains.evm.public import PUBLIC_ATTEMPTS, PUBLIC_MAX_WAIT_S, PublicRpc
    from chains.evm.rpc import RpcClient
    from chains.retry import safe_url

    explorer_url = _explorer_url(plan)
    choice = plan.choice or (SourceChoice.EXPLORER if explorer_url else SourceChoice.RPC)
    rpc_url = _rpc_url(plan)
    chain_name = plan.chain.name if plan.chain else "this chain"

    if choice is SourceChoice.RPC:
        if rpc_url is None:
            raise UserInputError(_no_rpc(plan))
        rpc = RpcSource(RpcClient(rpc_url), progress, plan.concurrency)
        _check_chain(rpc, plan, f"node at {safe_url(rpc_url)}")
        return OpenedSource(rpc, choice, f"node at {safe_url(rpc_url)}", rpc_url)

    if explorer_url is None:
        raise UserInputError(f"no explorer for {chain_name}: give --explorer-url, or set "
                             f"{API_KEY_ENV} for Etherscan's multichain API")
    # receipts from a node when one was named; else the public RPC, then the explorer's proxy
    named_rpc = plan.rpc_url
    if choice is SourceChoice.BOTH:
        if rpc_url is None:
            raise UserInputError(_no_rpc(plan) + " (--source both needs a node)")
        named_rpc = rpc_url
    receipts = RpcSource(RpcClient(named_rpc), progress, plan.concurrency) \
        if named_rpc else None
    chain_id = plan.chain.chain_id if plan.chain else (receipts.chain_id() if receipts else None)
    if chain_id is None:
        raise UserInputError("an explorer serves many chains: give --chain NAME (or --rpc)")
    client = ExplorerClient(ExplorerConfig(explorer_url, _flavor(plan, explorer_url), chain_id,
                                           plan.api_key))
    public_url = rpc_url if receipts is None else None
    public = PublicRpc(RpcSource(RpcClient(public_url, attempts=PUBLIC_ATTEMPTS,
                                           max_wait_s=PUBLIC_MAX_WAIT_S),
                                 progress, plan.concurrency), chain_id, progress) \
        if public_url else None
    explorer = ExplorerSource(client, receipts, progress, plan.concurrency, public=public)
    where = f"explorer at {safe_url(explorer_url)}"
    if choice is SourceChoice.BOTH and receipts is not None:
        return OpenedSource(BothSource(receipts, explorer), choice,
                            f"{where} and node at {safe_url(rpc_url or '')}", named_rpc)
    if public_url:
        where += f", receipts from {safe_url(public_url)} while it answers"
    return OpenedSource(explorer, choice, where, named_rpc)


def _no_rpc(plan: SourcePlan) -> str:
    if plan.chain is None:
        return "give --rpc URL (or --chain NAME to use its default RPC)"
    if plan.offline and plan.chain.default_rpc:
        return f"no RPC for {plan.chain.name}: give --rpc URL (--offline forbids the default one)"
    return f"no RPC for {plan.chain.name}: give --rpc URL"


def _check_chain(source: EvmSource, plan: SourcePlan, where: str) -> None:
    if plan.chain is None:
        return
    actual = source.chain_id()
    if actual != plan.chain.chain_id:
        raise SourceInconsistent(f"{where} serves chain {actual}, not {plan.chain.name} "
                                 f"({plan.chain.chain_id})")
