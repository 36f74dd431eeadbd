"""A reorg within the confirmation margin: the next scan follows the new chain."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from web3 import HTTPProvider, Web3

from chains.addresses import parse_address
from chains.errors import SourceInconsistent
from chains.evm.node import RpcSource
from chains.evm.rpc import RpcClient
from chains.registry import chain_by_id
from scanner.app import reconcile as reconciling
from scanner.app import scan as scanning
from scanner.ledger.reconcile import Status
from scanner.store import Store
from tests.devnet.conftest import Played

pytestmark = pytest.mark.devnet

DEVNET = 31337


def rpc(w3: Web3, method: str, params: list[Any]) -> Any:
    answer = w3.provider.make_request(method, params)  # type: ignore[arg-type]
    assert "error" not in answer, answer
    return answer["result"]


def pay(w3: Web3, wallet: str, wei: int, sender: int = 0) -> str:
    sent = w3.eth.send_transaction({"from": w3.eth.accounts[sender],
                                    "to": Web3.to_checksum_address(wallet), "value": wei})
    w3.eth.wait_for_transaction_receipt(sent)
    return "0x" + bytes(sent).hex().removeprefix("0x")


def scan(played: Played, store: Store, wallet: str) -> scanning.WalletScan:
    (result,) = scanning.scan(store, RpcSource(RpcClient(played.node.url)), [wallet])
    return result


def ledger_hashes(store: Store) -> set[str]:
    return {e.tx_hash for e in store.ledger()}


def native_check(store: Store, played: Played, wallet: str) -> Any:
    (check,) = [c for c in reconciling.reconcile_chain(store, played.node.url, wallet=wallet)
                if c.holding.asset == f"eip155:{DEVNET}/slip44:60"]
    return check


def test_a_rewound_chain_with_other_blocks_replaces_what_was_scanned(
    fresh_chain: Played,
) -> None:
    w3 = Web3(HTTPProvider(fresh_chain.node.url))
    wallet = parse_address(fresh_chain.scenario.wallet)
    rpc(w3, "evm_setNextBlockTimestamp", [int(datetime(2025, 7, 1, tzinfo=UTC).timestamp())])
    fork = rpc(w3, "evm_snapshot", [])
    old = pay(w3, wallet, 10**18)
    old_block = w3.eth.block_number
    with Store(fresh_chain.db_path) as store:
        before = ledger_hashes(store)
        scan(fresh_chain, store, wallet)
        assert ledger_hashes(store) == before | {old}

        assert rpc(w3, "evm_revert", [fork]) is True
        rpc(w3, "evm_setNextBlockTimestamp",
            [int(datetime(2025, 7, 2, tzinfo=UTC).timestamp())])
        new = pay(w3, wallet, 3 * 10**18, sender=1)  # another sender: another hash
        rpc(w3, "anvil_mine", ["0x2"])  # the new chain is longer than the old one
        assert w3.eth.get_block(old_block)["transactions"] != [bytes.fromhex(old[2:])]
        result = scan(fresh_chain, store, wallet)

        assert ledger_hashes(store) == before | {new}
        assert old not in {tx.tx_hash for tx in store.raw_txs(DEVNET)}
        assert any("reorganized" in note for note in result.notes)
        assert native_check(store, fresh_chain, wallet).status is Status.OK
        again = scan(fresh_chain, store, wallet)  # no reorg since: nothing changes
        assert again.new_txs == 0 and not any("reorganized" in n for n in again.notes)
        assert ledger_hashes(store) == before | {new}


def test_a_chain_rewound_below_the_scanned_block_is_followed_too(fresh_chain: Played) -> None:
    w3 = Web3(HTTPProvider(fresh_chain.node.url))
    wallet = parse_address(fresh_chain.scenario.wallet)
    fork = rpc(w3, "evm_snapshot", [])
    old = pay(w3, wallet, 10**18)
    rpc(w3, "anvil_mine", ["0x3"])
    with Store(fresh_chain.db_path) as store:
        scan(fresh_chain, store, wallet)
        scanned_to = store.cursor(DEVNET, wallet, "rpc")
        assert old in ledger_hashes(store)
        rpc(w3, "evm_revert", [fork])  # back below the cursor, nothing new mined
        assert scanned_to is not None and w3.eth.block_number < scanned_to
        scan(fresh_chain, store, wallet)
        assert old not in ledger_hashes(store)
        assert store.cursor(DEVNET, wallet, "rpc") == w3.eth.block_number
        assert native_check(store, fresh_chain, wallet).status is Status.OK


def test_a_reorg_deeper_than_the_margin_stops_and_keeps_the_database(
    fresh_chain: Played,
) -> None:
    w3 = Web3(HTTPProvider(fresh_chain.node.url))
    wallet = parse_address(fresh_chain.scenario.wallet)
    margin = chain_by_id(DEVNET).confirmations
    fork = rpc(w3, "evm_snapshot", [])
    pay(w3, wallet, 10**18)
    rpc(w3, "anvil_mine", [hex(margin + 5)])
    with Store(fresh_chain.db_path) as store:
        scan(fresh_chain, store, wallet)
        kept = (store.counts(), store.ledger(), store.cursor(DEVNET, wallet, "rpc"))
        rpc(w3, "evm_revert", [fork])
        rpc(w3, "anvil_mine", [hex(margin + 10)])
        with pytest.raises(SourceInconsistent, match="deeper than the margin"):
            scan(fresh_chain, store, wallet)
        assert (store.counts(), store.ledger(), store.cursor(DEVNET, wallet, "rpc")) == kept
