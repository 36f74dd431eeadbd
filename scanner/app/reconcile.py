"""Reconciliation: the balances the ledger implies against the chain's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from chains.addresses import asset_contract, erc20_asset
from chains.deployments import contracts_on
from chains.errors import UserInputError
from chains.evm.balances import POSITION, BalanceQuery, BalanceReader
from chains.evm.blocks import block_at
from chains.evm.node import RpcSource
from chains.evm.rpc import RpcClient
from chains.registry import chain_by_id
from scanner.app.readmodel import all_legs
from scanner.app.scan import WalletScan
from scanner.ledger.decode.protocols.uniswap_v3 import POSITIONS_ROLE
from scanner.ledger.decode.transfers import NATIVE_DECIMALS
from scanner.ledger.reconcile import BalanceCheck, Holding, holdings_of, reconcile
from scanner.store import Store


def _balance_query(holding: Holding) -> BalanceQuery:
    contract = asset_contract(holding.asset)
    if contract is None:
        return BalanceQuery(holding.wallet, "native")
    standard = holding.asset.split("/", 1)[1].split(":", 1)[0]
    token_id = int(holding.asset.rsplit("/", 1)[1]) if standard != "erc20" else None
    if (POSITIONS_ROLE, contract) in contracts_on(holding.chain_id).items():
        standard = POSITION
    return BalanceQuery(holding.wallet, standard, contract, token_id)


def reconcile_chain(store: Store, rpc_url: str, *, wallet: str | None = None,
                    at: int | datetime | None = None) -> list[BalanceCheck]:
    """Every (wallet, asset) balance the ledger implies on the node's chain, against the
    chain's balance at one block: `at`, else the block every wallet is scanned to."""
    client = RpcClient(rpc_url)
    chain_id = RpcSource(client).chain_id()
    wallets = [w for w in store.wallets(chain_id) if wallet is None or w == wallet]
    if isinstance(at, datetime):
        found = block_at(client, at)
        if found is None:
            raise UserInputError(f"the chain has no block before {at:%Y-%m-%d %H:%M:%S} UTC")
        block: int | None = found
    else:
        cursors = [store.scanned_to(chain_id, w) for w in wallets]
        block = at if at is not None else min((c for c in cursors if c is not None),
                                              default=None)
    if block is None or not wallets:
        return []
    entries = [e for e in all_legs(store) if e.chain_id == chain_id and e.wallet in wallets]
    reader = BalanceReader(client)

    def probe(holdings: Sequence[Holding], number: int) -> list[int | None]:
        return reader.at([_balance_query(h) for h in holdings], number)

    def announced(holding: Holding, number: int) -> int:
        token = asset_contract(holding.asset)
        return 1 if token is None else reader.transfer_events(token, holding.wallet, number)

    spam = {asset for asset, _, _ in store.spam()}
    known = holdings_of(entries)
    # tokens seen in the wallets' transactions that the ledger never moved for a wallet
    seen = {(h.wallet, h.asset) for h in known}
    unseen = [Holding(chain_id, w, erc20_asset(chain_id, t.address), t.symbol, t.decimals)
              for t in store.tokens(chain_id).values() if t.decimals is not None
              for w in wallets if (w, erc20_asset(chain_id, t.address)) not in seen]
    held = [h for h, raw in zip(unseen, probe(unseen, block), strict=True) if raw]
    # the native coin of every wallet, moved in the ledger or not: a genesis allocation or
    # coins from before the scanned range show here
    chain = chain_by_id(chain_id)
    natives = [Holding(chain_id, w, chain.native_asset, chain.native_symbol, NATIVE_DECIMALS)
               for w in wallets if (w, chain.native_asset) not in seen]
    return reconcile(entries, known + held + natives, block, probe, spam, announced)


def reconcile_scanned(store: Store, results: Sequence[WalletScan]) -> list[BalanceCheck]:
    """The reconciliation of every wallet a scan read through a node."""
    return [check for result in results if result.node is not None
            for check in reconcile_chain(store, result.node, wallet=result.wallet)]
