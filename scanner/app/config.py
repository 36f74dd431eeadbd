"""The config file: wallets, chains, API key names, price and treatment overrides (TOML).

```toml
# taxscan config
method = "fifo"                      # cost-basis method (optional): "fifo", "lifo", "hifo" or "specific"
jurisdiction = "us"                  # tax rules (optional): "us", "uk", "ca" or "de"
stablecoins = ["eip155:1/erc20:0x..."]   # extra USD stablecoins (optional, CAIP-19 ids)
rebasing = ["eip155:1/erc20:0x..."]      # extra rebasing tokens: growth booked as income (optional)

[api_keys]                           # API keys by ENVIRONMENT VARIABLE NAME, never the key itself
etherscan = "ETHERSCAN_API_KEY"

[chains.ethereum]                    # per chain, keyed by registry name (optional)
rpc = "https://eth.example/rpc"      # JSON-RPC URL
explorer_url = "https://api.etherscan.io/v2/api"   # explorer API base URL (Etherscan V2 or Blockscout)
explorer = "etherscan"               # "etherscan" or "blockscout"
api_key_env = "ETHERSCAN_API_KEY"    # env var holding this explorer's key (default: api_keys.etherscan)
source = "explorer"                  # "rpc", "explorer" or "both" (optional)
snapshot_interval = 7200             # blocks between balance snapshots of rebasing tokens (optional)
concurrency = 4                      # JSON-RPC batches or explorer calls in flight at once (optional, 1-32)

[[wallets]]
address = "0x6e15887E2CEC81434C16D587709f64603b39b545"
label = "cold storage"               # optional
chains = ["ethereum", "base"]        # registry names; at least one

[[prices]]                           # price overrides (optional): same meaning as a price CSV row
timestamp = "2024-01-01T00:00:00Z"
asset = "eip155:1/slip44:60"
usd = "2300.00"

[scope]                              # lots per wallet or universal, per tax year (optional)
default = "per-wallet"               # unlisted years (default: universal before 2025, then per-wallet)
2024 = "universal"

[[assign]]                           # specific identification (method "specific"): lots by id
tx = "0x5e1f00000000000000000000000000000000000000000000000000000000aa01"
lots = ["0x9a3c00000000000000000000000000000000000000000000000000000000bb02:log:7"]

[identical]                          # substantially identical assets, for wash-sale warnings
ETH = ["eip155:1/slip44:60", "eip155:1/erc20:0xae7ab96520de3a18e5e111b5eaab095312d7fe84"]

[own_transfers]                      # a move between own wallets, less a fee (optional)
same_chain_minutes = 60              # the arrival at most this long after, on one chain
cross_chain_hours = 24               # or on another chain (a bridge)
tolerance = "0.01"                   # the most of what left that may not arrive (1%)

[[treatments]]                       # overrides of the treatment table (optional)
kind = "lp_deposit"                  # an exchange: trade, wrap, lp_deposit, stake, supply...
protocol = "uniswap-v2"              # a protocol name, as the ledger shows it
treatment = "taxable"                # "taxable", "non_taxable" or "carry_basis"

[taxpayer]                           # what the ledger cannot tell (optional; the options win)
filing_status = "single"             # "single", "joint", "separate" or "head"
carryover_short = "0"                # capital loss carried into the books' first tax year,
carryover_long = "1200.50"           # as positive amounts in cents (default 0)
ordinary_income = "95000"            # taxable income besides these gains, for a plan
state_rate = "0.05"                  # a flat state rate on what the gains add (default 0)

[targets]                            # weights a plan rebalances toward (optional; add up to 1)
ETH = "0.6"                          # a group of identical assets, by name
"eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48" = "0.4"   # or an asset

[[protocols]]                        # a protocol's contracts the registry does not list (optional)
protocol = "uniswap-v3"              # "uniswap-v3" (position_manager) or "compound-v3" (markets)
chain = "polygon"                    # a fork's deployment, say; this address is a placeholder
contracts = { position_manager = "0x1111111111111111111111111111111111111111" }
```

Every key is checked: an unknown key, a wrong type or a bad value stops the load with a
one-line ConfigError naming the file and the key (`cfg.toml: wallets[2].address: ...`;
`[[wallets]]`, `[[prices]]`, `[[assign]]` and `[[treatments]]` blocks are counted from 1), or the line
for a TOML syntax error (`cfg.toml:7: ...`). A price may be a string, an integer or a
float; floats are read as exact decimals. The key a chain's explorer uses is named by its
`api_key_env`, else by `api_keys[explorer]` (explorer "etherscan" when not given). Keys
themselves are read from the environment only when asked, and never kept in the Config.
"""  # noqa: E501 (the example is copied verbatim into the README)

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

from chains.addresses import parse_any_asset_id, parse_asset_id
from chains.errors import AddressError, UserInputError
from chains.evm.flavors import Flavor
from chains.evm.sourcing import SourceChoice
from scanner.app.config_profile import read_targets, read_taxpayer
from scanner.app.config_protocols import ProtocolContracts, read_protocols
from scanner.app.config_reader import TomlReader, read_toml, show_key, toml_type
from scanner.ledger.pairing import DEFAULT_RULES, MAX_TOLERANCE, PairingRules
from scanner.prices.records import PricePoint
from scanner.tax.jurisdictions import CODES, US
from scanner.tax.jurisdictions.lotwise import METHODS
from scanner.tax.scope import ScopePlan
from scanner.tax.taxpayer import Taxpayer
from scanner.tax.treatment import NON_TAXABLE, TREATABLE_KINDS, Treatment

SOURCES = tuple(choice.value for choice in SourceChoice)
EXPLORERS = tuple(flavor.value for flavor in Flavor)
TREATMENTS = (Treatment.TRADE.value, NON_TAXABLE, Treatment.CARRY.value)
PRICE_SOURCE = "config"
DEFAULT_EXPLORER = Flavor.ETHERSCAN.value

_TOP_KEYS = ("method", "jurisdiction", "stablecoins", "api_keys", "chains", "wallets", "prices",
             "scope", "assign", "identical", "treatments", "rebasing", "taxpayer",
             "own_transfers", "targets", "protocols")
_ASSIGN_KEYS = ("tx", "lots")
_TX_HASH = re.compile(r"^0x[0-9a-f]{64}$")
_CHAIN_KEYS = ("rpc", "explorer_url", "explorer", "api_key_env", "source", "snapshot_interval",
               "concurrency")
MAX_CONCURRENCY = 32
_WALLET_KEYS = ("address", "label", "chains")
_PRICE_KEYS = ("timestamp", "asset", "usd")
_TREATMENT_KEYS = ("kind", "protocol", "treatment")
_OWN_TRANSFER_KEYS = ("same_chain_minutes", "cross_chain_hours", "tolerance")
MAX_WINDOW = timedelta(days=30)  # of an own transfer's arrival after its departure


@dataclass(frozen=True)
class WalletConfig:
    address: str  # lowercase 0x hex
    label: str | None
    chains: tuple[str, ...]  # registry keys, in file order


@dataclass(frozen=True)
class ChainConfig:
    key: str  # registry key
    rpc: str | None = None
    explorer_url: str | None = None
    explorer: str | None = None  # "etherscan" or "blockscout"
    api_key_env: str | None = None  # the NAME of an environment variable
    source: str | None = None  # "rpc", "explorer" or "both"
    snapshot_interval: int | None = None  # blocks between rebasing tokens' balance snapshots
    concurrency: int | None = None  # requests in flight at once (None: the sources' default)


@dataclass(frozen=True)
class TreatmentOverride:
    kind: str  # a Kind value
    protocol: str
    treatment: str  # "taxable", "non_taxable" or "carry_basis"


@dataclass(frozen=True)
class Config:
    path: Path
    method: str
    stablecoins: tuple[str, ...]
    api_keys: Mapping[str, str]  # explorer name -> environment variable name
    chains: Mapping[str, ChainConfig]  # registry key -> settings
    wallets: tuple[WalletConfig, ...]
    prices: tuple[PricePoint, ...]
    treatments: tuple[TreatmentOverride, ...]
    jurisdiction: str = US.code
    scope: Mapping[str, str] = field(default_factory=dict)  # "default" or a year -> scope
    assignments: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # tx -> lots
    identical: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # group -> assets
    rebasing: tuple[str, ...] = ()  # extra rebasing tokens (CAIP-19 erc20 ids)
    taxpayer: Taxpayer = field(default_factory=Taxpayer)  # the [taxpayer] table
    own_transfers: PairingRules = DEFAULT_RULES  # the [own_transfers] table
    targets: Mapping[str, Decimal] = field(default_factory=dict)  # [targets]: key -> weight
    protocols: tuple[ProtocolContracts, ...] = ()  # [[protocols]]: contracts named

    def wallets_on(self, chain_key: str) -> tuple[str, ...]:
        """The addresses configured for a chain, in file order."""
        return tuple(w.address for w in self.wallets if chain_key in w.chains)

    def chain_keys(self) -> tuple[str, ...]:
        """Every chain some wallet lives on, in first-seen order."""
        return tuple(dict.fromkeys(key for w in self.wallets for key in w.chains))

    def api_key_env(self, chain_key: str) -> str | None:
        """The name of the environment variable holding the explorer key for a chain."""
        chain = self.chains.get(chain_key)
        if chain is not None and chain.api_key_env is not None:
            return chain.api_key_env
        explorer = chain.explorer if chain is not None and chain.explorer else DEFAULT_EXPLORER
        return self.api_keys.get(explorer)

    def api_key(self, chain_key: str, environ: Mapping[str, str]) -> str | None:
        """The explorer key for a chain, read from `environ` now; None when unset or blank."""
        name = self.api_key_env(chain_key)
        return resolve_api_key(name, environ) if name is not None else None


def resolve_api_key(env_var_name: str, environ: Mapping[str, str]) -> str | None:
    """The value of an API key's environment variable; None when unset or blank."""
    value = environ.get(env_var_name, "").strip()
    return value or None


def load_config(path: Path) -> Config:
    """Read and check a config file; any problem is one ConfigError naming file and key."""
    return _Reader(path).config(read_toml(path))


class _Reader(TomlReader):
    """Turns a parsed TOML document into a Config, or fails naming the file and the key."""

    def config(self, document: dict[str, object]) -> Config:
        for key in document:
            if key not in _TOP_KEYS:
                self.unknown(key, "top level", _TOP_KEYS)
        method = self.choice(document.get("method", US.default_method), "method", tuple(METHODS))
        jurisdiction = self.choice(document.get("jurisdiction", US.code), "jurisdiction", CODES)
        stablecoins = self.stablecoins(document.get("stablecoins", []))
        api_keys = self.api_keys(document.get("api_keys", {}))
        chains = self.chains(document.get("chains", {}))
        wallets = self.wallets(document.get("wallets"))
        prices = self.prices(document.get("prices", []))
        treatments = self.treatments(document.get("treatments", []))
        return Config(self.path, method, stablecoins, MappingProxyType(api_keys),
                      MappingProxyType(chains), wallets, prices, treatments, jurisdiction,
                      MappingProxyType(self.scope(document.get("scope", {}))),
                      MappingProxyType(self.assignments(document.get("assign", []))),
                      MappingProxyType(self.identical(document.get("identical", {}))),
                      self.rebasing(document.get("rebasing", [])),
                      taxpayer=read_taxpayer(self, document.get("taxpayer", {})),
                      own_transfers=self.own_transfers(document.get("own_transfers", {})),
                      targets=MappingProxyType(read_targets(self, document.get("targets", {}))),
                      protocols=read_protocols(self, document.get("protocols", [])))

    def scope(self, value: object) -> dict[str, str]:
        if not isinstance(value, dict):
            self.fail("scope", f"must be a table, not {toml_type(value)}")
        raw = {str(key): self.string(item, f"scope.{key}") for key, item in value.items()}
        for key in raw:  # "²" and "２０２４" are digits to str.isdigit, not to int()
            if key != "default" and not (key.isascii() and key.isdigit()):
                self.fail("scope", f"{key!r} is neither a year nor 'default'")
        try:
            return ScopePlan.from_mapping(raw).as_mapping()
        except UserInputError as exc:
            self.fail("scope", str(exc))

    def assignments(self, value: object) -> dict[str, tuple[str, ...]]:
        out: dict[str, tuple[str, ...]] = {}
        for n, item in enumerate(self.tables(value, "assign"), start=1):
            where = f"assign[{n}]"
            table = self.table(item, where, _ASSIGN_KEYS)
            tx = self.string(self.required(table, "tx", where), f"{where}.tx").strip().lower()
            if not _TX_HASH.match(tx):
                self.fail(f"{where}.tx", f"not a transaction hash (0x and 64 hex digits): {tx!r}")
            lots = [lot.strip().lower() for lot in
                    self.strings(self.required(table, "lots", where), f"{where}.lots")]
            if not lots or not all(lots):
                self.fail(f"{where}.lots", "must name at least one lot id (from `taxscan lots`)")
            out[tx] = out.get(tx, ()) + tuple(lots)
        return out

    def identical(self, value: object) -> dict[str, tuple[str, ...]]:
        if not isinstance(value, dict):
            self.fail("identical", f"must be a table of name = [asset ids], not "
                                   f"{toml_type(value)}")
        groups: dict[str, tuple[str, ...]] = {}
        owner: dict[str, str] = {}
        for name, items in value.items():
            where = f"identical.{name}"
            assets = []
            for n, text in enumerate(self.strings(items, where), start=1):
                try:
                    asset = parse_any_asset_id(text)
                except AddressError as exc:
                    self.fail(f"{where}[{n}]", str(exc))
                if asset in owner:
                    self.fail(f"{where}[{n}]", f"{asset} is already in group {owner[asset]!r}")
                owner[asset] = str(name)
                assets.append(asset)
            if len(assets) < 2:
                self.fail(where, "a group of identical assets needs at least two")
            groups[str(name)] = tuple(assets)
        return groups

    def stablecoins(self, value: object) -> tuple[str, ...]:
        assets = []
        for n, text in enumerate(self.strings(value, "stablecoins"), start=1):
            try:
                assets.append(parse_any_asset_id(text))
            except AddressError as exc:
                self.fail(f"stablecoins[{n}]", str(exc))
        return tuple(dict.fromkeys(assets))

    def rebasing(self, value: object) -> tuple[str, ...]:
        assets = []
        for n, text in enumerate(self.strings(value, "rebasing"), start=1):
            try:
                asset = parse_asset_id(text)
            except AddressError as exc:
                self.fail(f"rebasing[{n}]", str(exc))
            if "/erc20:" not in asset:
                self.fail(f"rebasing[{n}]", f"a rebasing token is an ERC-20 token "
                                            f"(eip155:1/erc20:0x...), not {asset}")
            assets.append(asset)
        return tuple(dict.fromkeys(assets))

    def blocks(self, value: object, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.fail(where, f"must be a whole number of blocks from 1, not {value!r}")
        return value

    def concurrency(self, value: object, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) \
                or not 1 <= value <= MAX_CONCURRENCY:
            self.fail(where, f"must be a whole number of requests from 1 to {MAX_CONCURRENCY}, "
                             f"not {value!r}")
        return value

    def api_keys(self, value: object) -> dict[str, str]:
        table = self.table(value, "api_keys", EXPLORERS)
        return {name: self.env_name(env, f"api_keys.{name}") for name, env in table.items()}

    def chains(self, value: object) -> dict[str, ChainConfig]:
        if not isinstance(value, dict):
            self.fail("chains", f"must be a table of [chains.NAME] tables, not {toml_type(value)}")
        chains: dict[str, ChainConfig] = {}
        written: dict[str, str] = {}
        for name, settings in value.items():
            where = f"chains.{show_key(name)}"
            key = self.chain_key(name, where)
            if key in written:
                self.fail(where, f"the same chain as chains.{show_key(written[key])}; "
                                 "give each chain one table")
            written[key] = name
            table = self.table(settings, where, _CHAIN_KEYS)
            chains[key] = ChainConfig(
                key=key,
                rpc=self.optional(table, "rpc", where, self.url),
                explorer_url=self.optional(table, "explorer_url", where, self.url),
                explorer=self.optional(table, "explorer", where,
                                       lambda v, at: self.choice(v, at, EXPLORERS)),
                api_key_env=self.optional(table, "api_key_env", where, self.env_name),
                source=self.optional(table, "source", where,
                                     lambda v, at: self.choice(v, at, SOURCES)),
                snapshot_interval=self.blocks(table["snapshot_interval"],
                                              f"{where}.snapshot_interval")
                if "snapshot_interval" in table else None,
                concurrency=self.concurrency(table["concurrency"], f"{where}.concurrency")
                if "concurrency" in table else None)
        return chains

    def wallets(self, value: object) -> tuple[WalletConfig, ...]:
        if value is None or value == []:
            self.fail("wallets", "no wallets: add a [[wallets]] table with an address and "
                                 "its chains")
        wallets: list[WalletConfig] = []
        seen: dict[str, int] = {}
        for n, item in enumerate(self.tables(value, "wallets"), start=1):
            where = f"wallets[{n}]"
            table = self.table(item, where, _WALLET_KEYS)
            address = self.address(self.required(table, "address", where), f"{where}.address")
            if address in seen:
                self.fail(f"{where}.address", f"{address} is already wallets[{seen[address]}]; "
                                              "list each address once, with all its chains")
            seen[address] = n
            label = None
            if "label" in table:
                label = self.string(table["label"], f"{where}.label").strip() or None
            names = self.strings(self.required(table, "chains", where), f"{where}.chains")
            if not names:
                self.fail(f"{where}.chains", "a wallet needs at least one chain")
            keys = [self.chain_key(name, f"{where}.chains[{k}]")
                    for k, name in enumerate(names, start=1)]
            wallets.append(WalletConfig(address, label, tuple(dict.fromkeys(keys))))
        return tuple(wallets)

    def prices(self, value: object) -> tuple[PricePoint, ...]:
        points: list[PricePoint] = []
        seen: dict[tuple[str, datetime], int] = {}
        for n, item in enumerate(self.tables(value, "prices"), start=1):
            where = f"prices[{n}]"
            table = self.table(item, where, _PRICE_KEYS)
            stamp = self.timestamp(self.required(table, "timestamp", where), f"{where}.timestamp")
            asset_text = self.string(self.required(table, "asset", where), f"{where}.asset")
            try:
                asset = parse_any_asset_id(asset_text)
            except AddressError as exc:
                self.fail(f"{where}.asset", str(exc))
            usd = self.usd(self.required(table, "usd", where), f"{where}.usd")
            if (asset, stamp) in seen:
                self.fail(where, f"the same asset and timestamp as prices[{seen[asset, stamp]}]")
            seen[asset, stamp] = n
            points.append(PricePoint(asset, stamp, usd, PRICE_SOURCE))
        return tuple(points)

    def own_transfers(self, value: object) -> PairingRules:
        table = self.table(value, "own_transfers", _OWN_TRANSFER_KEYS)
        same = self.window(table, "same_chain_minutes", timedelta(minutes=1))
        cross = self.window(table, "cross_chain_hours", timedelta(hours=1))
        where = "own_transfers.tolerance"
        tolerance = self.decimal(table.get("tolerance", DEFAULT_RULES.tolerance), where)
        if not (tolerance.is_finite() and 0 <= tolerance <= MAX_TOLERANCE):
            self.fail(where, f"must be a fraction from 0 to {MAX_TOLERANCE}, not {tolerance}")
        return PairingRules(DEFAULT_RULES.same_chain if same is None else same,
                            DEFAULT_RULES.cross_chain if cross is None else cross, tolerance)

    def window(self, table: dict[str, object], key: str, unit: timedelta) -> timedelta | None:
        if key not in table:
            return None
        amount, most = table[key], MAX_WINDOW // unit
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= most:
            self.fail(f"own_transfers.{key}", f"must be a whole number from 0 to {most}, not "
                                              f"{amount!r}")
        return amount * unit

    def treatments(self, value: object) -> tuple[TreatmentOverride, ...]:
        overrides: list[TreatmentOverride] = []
        seen: dict[tuple[str, str], int] = {}
        for n, item in enumerate(self.tables(value, "treatments"), start=1):
            where = f"treatments[{n}]"
            table = self.table(item, where, _TREATMENT_KEYS)
            kind = self.choice(self.required(table, "kind", where), f"{where}.kind",
                               TREATABLE_KINDS)
            protocol = self.string(self.required(table, "protocol", where),
                                   f"{where}.protocol").strip()
            if not protocol:
                self.fail(f"{where}.protocol", "must name a protocol, not be empty")
            treatment = self.choice(self.required(table, "treatment", where),
                                    f"{where}.treatment", TREATMENTS)
            if (kind, protocol) in seen:
                self.fail(where, f"kind {kind} with protocol {protocol!r} is already "
                                 f"treatments[{seen[kind, protocol]}]")
            seen[kind, protocol] = n
            overrides.append(TreatmentOverride(kind, protocol, treatment))
        return tuple(overrides)
