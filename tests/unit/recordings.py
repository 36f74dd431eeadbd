"""The recorded single transactions of ../shared/realdata/explorer-recordings/decoder_receipts:
each as the explorer source builds it (raw_tx_from_json, internal_from_row) on its own chain,
with its answers kept for the tests to read expected values from."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from chains.evm.explorer import internal_from_row
from chains.evm.mappers import raw_tx_from_json
from chains.evm.records import RawTx, TokenInfo
from chains.registry import chain_by_id
from scanner.app.settings import asset_ranks
from scanner.ledger.build import ChainLedger, build_ledger
from scanner.ledger.decode.protocols import ProtocolDecoder
from scanner.ledger.decode.registry import DECODERS
from scanner.prices.book import PriceBook

FOLDER = ("explorer-recordings", "decoder_receipts")


@dataclass(frozen=True)
class Recording:
    data: dict[str, Any]
    tx: dict[str, Any]  # eth_getTransactionByHash's answer
    receipt: dict[str, Any]  # eth_getTransactionReceipt's answer

    @property
    def chain_id(self) -> int:
        return int(self.data.get("chain_id") or 1)

    @property
    def tokens(self) -> dict[str, TokenInfo]:
        return {a.lower(): TokenInfo(self.chain_id, a.lower(), t.get("symbol"), t.get("name"),
                                     t.get("decimals"))
                for a, t in self.data.get("tokens", {}).items()}

    def raw(self) -> RawTx:
        """The transaction as the explorer source would build it."""
        block = int(self.receipt["blockNumber"], 16)
        stamp = datetime.fromtimestamp(self.data["block_timestamps"][str(block)], tz=UTC)
        rows = self.answer("txlistinternal") or []
        internal = [t for t in (internal_from_row(r, i) for i, r in enumerate(rows)) if t]
        return raw_tx_from_json(self.chain_id, self.tx, self.receipt, stamp, internal)

    def answer(self, action: str) -> Any:
        for interaction in self.data["interactions"]:
            query = parse_qs(urlparse(interaction["uri"]).query)
            if query.get("action") == [action] and "response" in interaction:
                return interaction["response"]["result"]
        return None


def recording(realdata: Path, name: str) -> Recording:
    data = json.loads(realdata.joinpath(*FOLDER, name).read_text())
    found = Recording(data, {}, {})
    return Recording(data, found.answer("eth_getTransactionByHash"),
                     found.answer("eth_getTransactionReceipt"))


def names(realdata: Path) -> list[str]:
    return sorted(p.name for p in realdata.joinpath(*FOLDER).glob("*.json"))


def ledger(record: Recording, raw: RawTx, wallets: list[str],
           price_misses: frozenset[str] = frozenset(),
           decoders: Sequence[ProtocolDecoder] = DECODERS) -> ChainLedger:
    """build_ledger on the one transaction, offline (no prices)."""
    chain = chain_by_id(record.chain_id)
    return build_ledger(chain, [raw], wallets, record.tokens, PriceBook([]),
                        asset_ranks([chain], frozenset()), price_misses=price_misses,
                        decoders=decoders)


Leg = tuple[str, str, int, str, str]  # leg_key, asset, raw amount, kind, protocol


def recorded(realdata: Path, name: str) -> list[Leg]:
    """The sorted legs of a recording, its sender the only wallet."""
    record = recording(realdata, name)
    raw = record.raw()
    return sorted((e.leg_key, e.asset, e.raw_amount, e.kind.value, e.protocol)
                  for e in ledger(record, raw, [raw.from_address]).entries)
