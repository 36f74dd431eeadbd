"""What a scan learns again from its sources: the L1 data fee of transactions an older taxscan
stored without it, and the receipts a supply gave that grow with interest (Aave v3 aTokens),
whose balances it then reads as a rebasing token's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from chains.errors import SourceInconsistent
from chains.evm.abi import TRANSFER
from chains.evm.records import InternalTransfer, RawTx, TokenInfo
from chains.registry import chain_by_id
from chains.source import Discovery
from scanner.app import scan as scanning
from scanner.app import settings
from scanner.store import Store
from tests.unit.recordings import FOLDER, recording

WALLET = "0x" + "aa" * 20
STAMP = datetime(2024, 5, 1, tzinfo=UTC)


class Source:
    """A chain's source holding `txs` (each discovered for the wallet), its head above them;
    `fails` makes every fetch refuse, as a node without the L1 fee does."""

    def __init__(self, chain_id: int, txs: Sequence[RawTx], fails: bool = False) -> None:
        self.chain = chain_id
        self.txs = {tx.tx_hash: tx for tx in txs}
        self.top = max(tx.block_number for tx in txs) + 100
        self.fails = fails
        self.fetched: list[list[str]] = []
        self.balances_asked: list[tuple[str, list[int]]] = []

    def chain_id(self) -> int:
        return self.chain

    def head(self) -> int:
        return self.top

    def discover(self, wallet: str, from_block: int,
                 to_block: int) -> Discovery[InternalTransfer]:
        return Discovery(frozenset(h for h, tx in self.txs.items()
                                   if from_block <= tx.block_number <= to_block), {}, "test")

    def fetch(self, chain_id: int, tx_hashes: Iterable[str],
              internal: Mapping[str, tuple[InternalTransfer, ...]]) -> list[RawTx]:
        wanted = sorted(tx_hashes)
        self.fetched.append(wanted)
        if self.fails and wanted:
            raise SourceInconsistent("the receipt shows no L1 data fee (l1Fee)")
        return [self.txs[h] for h in wanted if h in self.txs]

    def token_info(self, chain_id: int, tokens: Sequence[str]) -> list[TokenInfo]:
        return [TokenInfo(chain_id, t, "TKN", "Token", 18) for t in tokens]

    def block_hashes(self, blocks: Iterable[int]) -> dict[int, str]:
        return {b: "0x" + format(b, "064x") for b in blocks}

    def balances_at(self, token: str, wallet: str,
                    blocks: Iterable[int]) -> dict[int, tuple[datetime, int]] | None:
        wanted = sorted(blocks)
        self.balances_asked.append((token, wanted))
        return {}


def stored_without_l1_fee(path: Path, tx: RawTx) -> None:
    """The transaction as an older taxscan kept it: its L1 fee column empty."""
    with Store(path) as store, store.transaction():
        store.add_wallet(tx.chain_id, WALLET)
        store.save_raw(WALLET, [tx])
        store.set_cursor(tx.chain_id, WALLET, "rpc", tx.block_number, None)
    with duckdb.connect(str(path)) as old:
        old.execute("UPDATE raw_txs SET l1_fee = NULL")


def fee_legs(store: Store) -> list[int]:
    return [e.raw_amount for e in store.ledger() if e.kind.value == "fee"]


OP_TX = RawTx(10, "0x" + "01" * 32, 120_000_000, 0, STAMP, WALLET, "0x" + "bb" * 20, 0,
              21_000, 10**6, True, l1_fee=3_360_000_000_000)


def test_a_scan_reads_again_the_l1_fee_an_older_taxscan_left_out(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    stored_without_l1_fee(path, OP_TX)
    source = Source(10, [OP_TX])
    with Store(path) as store:
        assert store.raw_txs_without_l1_fee(10) == [OP_TX.tx_hash]
        (result,) = scanning.scan(store, source, [WALLET])
        assert store.raw_txs_without_l1_fee(10) == []
        # the fee is gasUsed x effectiveGasPrice + l1Fee, as OP Stack receipts charge it
        assert fee_legs(store) == [-(21_000 * 10**6 + 3_360_000_000_000)]
    assert source.fetched[0] == [OP_TX.tx_hash]
    assert any("was read again" in note for note in result.notes)


def test_a_source_that_cannot_give_the_fee_leaves_a_note_and_the_rest_scans(
        tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    stored_without_l1_fee(path, OP_TX)
    with Store(path) as store:
        (result,) = scanning.scan(store, Source(10, [OP_TX], fails=True), [WALLET])
        assert store.raw_txs_without_l1_fee(10) == [OP_TX.tx_hash]  # asked again next scan
        assert fee_legs(store) == [-21_000 * 10**6]
    assert any("could not be read again" in note and "stay short" in note
               for note in result.notes)


def test_a_chain_without_an_l1_fee_asks_nothing_again(tmp_path: Path) -> None:
    mainnet = replace(OP_TX, chain_id=1, l1_fee=0)
    path = tmp_path / "old.duckdb"
    stored_without_l1_fee(path, mainnet)
    source = Source(1, [mainnet])
    with Store(path) as store:
        scanning.scan(store, source, [WALLET])
    assert not any(source.fetched)  # the stored transaction is not asked for again


def test_an_aave_supply_makes_its_atoken_a_rebasing_token(realdata: Path,
                                                          tmp_path: Path) -> None:
    name = "test_aave_v3_deposit.json"
    if not realdata.joinpath(*FOLDER, name).exists():
        pytest.skip(f"{name} is not recorded here")
    raw = recording(realdata, name).raw()
    # read from the receipt: the aToken is the contract that minted to the supplier
    minted = {log.address for log in raw.logs
              if log.topics[0] == TRANSFER and log.topics[1] == "0x" + "00" * 32}
    source = Source(1, [raw])
    with Store(tmp_path / "db.duckdb") as store:
        scanning.scan(store, source, [raw.from_address])
        growing = set(settings.rebasing_tokens(store, chain_by_id(1)))
    assert minted and minted <= growing
    assert {token for token, _ in source.balances_asked} >= minted
    (blocks,) = [b for token, b in source.balances_asked if token in minted]
    assert raw.block_number - 1 in blocks  # the balance before the supply, and after
