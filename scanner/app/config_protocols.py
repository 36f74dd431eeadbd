"""The config's `[[protocols]]` entries: a protocol's contracts on a chain that the registry
does not list (a fork's deployment, a chain the registry does not cover), named so its
decoder reads them as it reads the registry's. Kept in the database by the last config scan
and read whenever the ledger is rebuilt.

```toml
[[protocols]]
protocol = "uniswap-v3"
chain = "base"
contracts = { position_manager = "0x..." }
```
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from chains.registry import chain_by_name
from scanner.app.config_reader import TomlReader
from scanner.ledger.decode.protocols.compound_v3 import PROTOCOL as COMPOUND_V3
from scanner.ledger.decode.protocols.uniswap_v3 import POSITIONS_ROLE
from scanner.ledger.decode.protocols.uniswap_v3 import PROTOCOL as UNISWAP_V3
from scanner.store import Store

PROTOCOLS_KEY = "protocols"
_ENTRY_KEYS = ("protocol", "chain", "contracts")
# protocol -> the config's name of a contract -> the decoder's role; None: any name, a market
# of that protocol (role "<protocol>:<name>"). Only decoders that read every address of a
# role are listed: a named contract adds to the registry's, never replaces one.
CONTRACT_NAMES: dict[str, dict[str, str] | None] = {
    UNISWAP_V3: {"position_manager": POSITIONS_ROLE},
    COMPOUND_V3: None,
}


@dataclass(frozen=True)
class ProtocolContracts:
    protocol: str
    chain_id: int
    contracts: tuple[tuple[str, str], ...]  # (role, lowercase address)


def read_protocols(reader: TomlReader, value: object) -> tuple[ProtocolContracts, ...]:
    entries = []
    for n, item in enumerate(reader.tables(value, "protocols"), start=1):
        where = f"protocols[{n}]"
        table = reader.table(item, where, _ENTRY_KEYS)
        protocol = reader.choice(reader.required(table, "protocol", where),
                                 f"{where}.protocol", tuple(CONTRACT_NAMES))
        chain = chain_by_name(reader.chain_key(
            reader.string(reader.required(table, "chain", where), f"{where}.chain"),
            f"{where}.chain"))
        names = CONTRACT_NAMES[protocol]
        raw = reader.required(table, "contracts", where)
        allowed = tuple(names) if names is not None else \
            tuple(raw) if isinstance(raw, dict) else ()
        given = reader.table(raw, f"{where}.contracts", allowed)
        if not given:
            reader.fail(f"{where}.contracts", "names no contract")
        contracts = tuple(
            (names[key] if names is not None else f"{protocol}:{key}",
             reader.address(address, f"{where}.contracts.{key}"))
            for key, address in given.items())
        entries.append(ProtocolContracts(protocol, chain.chain_id, contracts))
    return tuple(entries)


def kept_protocols(entries: tuple[ProtocolContracts, ...]) -> str:
    """The config's `[[protocols]]` entries as the database keeps them for a rebuild."""
    return json.dumps([[e.chain_id, role, address]
                       for e in entries for role, address in e.contracts])


def named_contracts(store: Store, chain_id: int) -> tuple[tuple[str, str], ...]:
    """The (role, address) pairs the config names on the chain, kept by the last config scan."""
    kept: list[list[object]] = json.loads(store.meta(PROTOCOLS_KEY) or "[]")
    return tuple((str(role), str(address)) for cid, role, address in kept if cid == chain_id)
