"""What a command works from, kept in the database: the user's named assets, the chains in use,
the tax rules (the config's, kept by a config scan, under the command line's)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from chains.addresses import parse_any_asset_id, parse_asset_id
from chains.errors import UserInputError
from chains.registry import Chain, asset_names, chain_by_id, identical_group, is_known
from scanner.app.config import Config
from scanner.app.config_protocols import PROTOCOLS_KEY, kept_protocols
from scanner.app.targets import TARGETS_KEY, kept_targets
from scanner.app.taxpayer import TAXPAYER_KEY, kept_taxpayer
from scanner.ledger.pairing import DEFAULT_RULES, PairingRules
from scanner.ledger.valuation import AssetRanks
from scanner.prices.book import PriceBook
from scanner.store import Store
from scanner.tax.jurisdictions import US, jurisdiction_of
from scanner.tax.policy import Policy, assignments_from
from scanner.tax.scope import ScopePlan, parse_scope
from scanner.tax.treatment import table_with

STABLECOINS_KEY = "extra_stablecoins"


REBASING_KEY = "extra_rebasing"


def _named_assets(store: Store, key: str) -> frozenset[str]:
    """Asset ids the user named, kept in the database under `key`."""
    raw = store.meta(key)
    return frozenset(json.loads(raw)) if raw else frozenset()


def _add_named_assets(store: Store, key: str, assets: set[str]) -> None:
    kept = _named_assets(store, key)
    if not assets <= kept:
        store.set_meta(key, json.dumps(sorted(kept | assets)))


def extra_stablecoins(store: Store) -> frozenset[str]:
    return _named_assets(store, STABLECOINS_KEY)


def add_stablecoins(store: Store, assets: Iterable[str]) -> None:
    _add_named_assets(store, STABLECOINS_KEY, {parse_any_asset_id(a) for a in assets})


def extra_rebasing(store: Store) -> frozenset[str]:
    """The rebasing tokens named by the user (asset ids), over the registry's."""
    return _named_assets(store, REBASING_KEY)


def add_rebasing(store: Store, assets: Iterable[str]) -> None:
    named = set()
    for text in assets:
        asset = parse_asset_id(text)
        if "/erc20:" not in asset:
            raise UserInputError(f"a rebasing token is an ERC-20 token (eip155:1/erc20:0x...), "
                                 f"not {asset}")
        named.add(asset)
    _add_named_assets(store, REBASING_KEY, named)


def rebasing_tokens(store: Store, chain: Chain) -> list[str]:
    """The chain's rebasing tokens (lowercase addresses): the registry's and the user's."""
    prefix = f"eip155:{chain.chain_id}/erc20:"
    named = {a.removeprefix(prefix) for a in extra_rebasing(store) if a.startswith(prefix)}
    return sorted(set(chain.rebasing_tokens) | named)


def asset_ranks(chains: Iterable[Chain], extra: frozenset[str]) -> AssetRanks:
    stables: set[str] = set(extra)
    natives: set[str] = set()
    for chain in chains:
        stables |= chain.stablecoin_assets
        natives.add(chain.native_asset)
        if chain.wrapped_native_asset:
            natives.add(chain.wrapped_native_asset)
    return AssetRanks(frozenset(stables), frozenset(natives))


def identity(chains: Iterable[Chain],
             identical: Mapping[str, Sequence[str]] | None = None) -> Callable[[str], str]:
    """Substantially identical assets share a group: by default the registry's
    (IDENTICAL_GROUPS: ETH with WETH, stETH, wstETH, cbETH and their bridged copies on
    every chain; BTC with WBTC), and any chain's native coin with its wrapped form;
    `identical` (the config's `[identical]`) puts each asset it lists in the group of that
    name: a default group's name (ETH, BTC, BNB...) adds to that group."""
    groups = {asset: identical_group(name) for asset, name in asset_names().items()}
    for chain in chains:  # a chain in use that the registry does not list
        native = chain.native_asset
        for asset in (native, chain.wrapped_native_asset):
            if asset is not None:
                groups.setdefault(asset, native)
    for name, assets in (identical or {}).items():
        for asset in assets:
            groups[asset] = name
    return lambda asset: groups.get(asset, asset)


def identical_groups(store: Store) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = json.loads(store.meta(IDENTICAL_KEY) or "{}")
    return groups


def pairing_rules(store: Store) -> PairingRules:
    """How moves between own accounts are paired: the config's `[own_transfers]`, kept by
    the last config scan, else the defaults."""
    kept = json.loads(store.meta(OWN_TRANSFERS_KEY) or "{}")
    if not kept:
        return DEFAULT_RULES
    return PairingRules(timedelta(seconds=kept["same_chain_seconds"]),
                        timedelta(seconds=kept["cross_chain_seconds"]),
                        Decimal(kept["tolerance"]))


def chains_of(store: Store) -> list[Chain]:
    """The chains of the scanned wallets and of the imported legs."""
    ids = {cid for cid, _ in store.all_wallets()} | {
        cid for cid in store.imported_chain_ids() if cid and is_known(cid)}
    return [chain_by_id(cid) for cid in sorted(ids)]


def price_book(store: Store, chains: Iterable[Chain]) -> PriceBook:
    ranks = asset_ranks(chains, extra_stablecoins(store))
    return PriceBook(store.prices(), pegged=ranks.stablecoins)


METHOD_KEY = "method"


JURISDICTION_KEY = "jurisdiction"


SCOPE_KEY = "scope"


ASSIGN_KEY = "assignments"


IDENTICAL_KEY = "identical"


OWN_TRANSFERS_KEY = "own_transfers"


TREATMENTS_KEY = "treatments"


@dataclass(frozen=True)
class Rules:
    """What the command line asks for; what it leaves out comes from the config (kept by
    the last config scan), else the defaults: US, FIFO, universal lots before 2025."""

    method: str | None = None
    jurisdiction: str | None = None
    scope: str | None = None  # one scope for every year
    assign: tuple[str, ...] = ()  # TX=LOT[,LOT...]
    config: Config | None = None  # a config read for this command: its rules over the kept


def kept_rules(config: Config) -> dict[str, str]:
    """The config's rules as the database keeps them (meta key -> text) for the reports."""
    pairing = config.own_transfers
    return {
        METHOD_KEY: config.method,
        JURISDICTION_KEY: config.jurisdiction,
        SCOPE_KEY: json.dumps(dict(config.scope)),
        ASSIGN_KEY: json.dumps({tx: list(ids) for tx, ids in config.assignments.items()}),
        IDENTICAL_KEY: json.dumps({name: list(assets)
                                   for name, assets in config.identical.items()}),
        OWN_TRANSFERS_KEY: json.dumps({
            "same_chain_seconds": pairing.same_chain // timedelta(seconds=1),
            "cross_chain_seconds": pairing.cross_chain // timedelta(seconds=1),
            "tolerance": str(pairing.tolerance)}),
        TREATMENTS_KEY: json.dumps([[t.kind, t.protocol, t.treatment]
                                    for t in config.treatments]),
        TAXPAYER_KEY: kept_taxpayer(config.taxpayer),
        TARGETS_KEY: kept_targets(config.targets),
        PROTOCOLS_KEY: kept_protocols(config.protocols),
    }


def keep_rules(store: Store, config: Config) -> None:
    """A config scan keeps the config's tax rules for the reports that follow."""
    for key, value in kept_rules(config).items():
        store.set_meta(key, value)


def policy_of(store: Store, rules: Rules | None = None) -> Policy:
    rules = rules or Rules()
    jurisdiction = jurisdiction_of(rules.jurisdiction or store.meta(JURISDICTION_KEY)
                                   or US.code)
    method = jurisdiction.method_in_force(rules.method, store.meta(METHOD_KEY))
    scopes = ScopePlan.everywhere(parse_scope(rules.scope)) if rules.scope else \
        ScopePlan.from_mapping(json.loads(store.meta(SCOPE_KEY) or "{}"))
    if rules.assign:
        assignments = assignments_from(list(rules.assign))
    elif method == "specific":
        assignments = assignments_from(json.loads(store.meta(ASSIGN_KEY) or "{}"))
    else:
        assignments = {}
    rows = json.loads(store.meta(TREATMENTS_KEY) or "[]")
    return Policy(jurisdiction, method, scopes, assignments,
                  tuple(store.basis_allocations()),
                  table_with((str(k), str(p), str(t)) for k, p, t in rows))


def describe(policy: Policy) -> str:
    """`fifo`, or `uk` and the like: what a report's figures were computed by."""
    return policy.jurisdiction.describe(policy.method)
