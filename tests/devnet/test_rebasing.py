"""A rebasing token on a real chain: its growth (no Transfer event) booked as income from
balance snapshots, exactly as balanceOf says, once."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import HTTPProvider, Web3

from chains.addresses import erc20_asset, parse_address
from chains.devnet.anvil import devnet_dir
from chains.devnet.solidity import compile_contracts
from chains.evm.node import RpcSource
from chains.evm.rpc import RpcClient
from scanner.app import queries
from scanner.app import reconcile as reconciling
from scanner.app import scan as scanning
from scanner.app.readmodel import load
from scanner.ledger.rebasing import REBASE
from scanner.ledger.records import Kind
from scanner.store import Store
from tests.devnet.conftest import Played

pytestmark = pytest.mark.devnet

E18 = 10**18


class Chain:
    """The played devnet, with blocks mined an hour apart after its last one."""

    def __init__(self, played: Played) -> None:
        self.w3 = Web3(HTTPProvider(played.node.url))
        self.deployer = self.w3.eth.accounts[0]
        self.wallet = Web3.to_checksum_address(played.scenario.wallet)
        self.clock = int(self.w3.eth.get_block("latest")["timestamp"]) + 86_400

    def _next(self) -> None:
        self.clock += 3600
        self.w3.provider.make_request("evm_setNextBlockTimestamp",  # type: ignore[arg-type]
                                      [self.clock])

    def mined(self, call: Any, sender: str | None = None) -> Any:
        self._next()
        receipt = self.w3.eth.wait_for_transaction_receipt(
            call.transact({"from": sender or self.deployer}))
        assert receipt["status"] == 1
        return receipt

    def empty_blocks(self, count: int) -> None:
        for _ in range(count):
            self._next()
            self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    def head(self) -> int:
        return int(self.w3.eth.block_number)


def test_rebasing_growth_is_income_equal_to_what_balanceof_says(fresh_chain: Played) -> None:
    chain = Chain(fresh_chain)
    abi, bytecode = compile_contracts(devnet_dir() / "contracts" / "OddTokens.sol")["RebaseToken"]
    deployed = chain.mined(chain.w3.eth.contract(abi=abi, bytecode=bytecode).constructor(10**24))
    reb = chain.w3.eth.contract(address=deployed["contractAddress"], abi=abi)
    asset = erc20_asset(31337, str(reb.address))
    wallet = parse_address(fresh_chain.scenario.wallet)

    def balance(block: int | str = "latest") -> int:
        return int(reb.functions.balanceOf(chain.wallet).call(block_identifier=block))

    received = chain.mined(reb.functions.transfer(chain.wallet, 1000 * E18))["blockNumber"]
    chain.empty_blocks(2)
    chain.mined(reb.functions.rebase(105 * E18 // 100))  # +5%
    chain.empty_blocks(3)
    chain.mined(reb.functions.rebase(110 * E18 // 100))  # +10% in all
    chain.empty_blocks(2)
    # 110 REB are exactly 100 shares at index 1.1: the send itself rounds nothing
    sent = chain.mined(reb.functions.transfer(chain.deployer, 110 * E18), chain.wallet)
    sent_block = int(sent["blockNumber"])
    chain.empty_blocks(2)
    chain.mined(reb.functions.rebase(120 * E18 // 100))
    chain.empty_blocks(1)
    head = chain.head()

    with Store(fresh_chain.db_path) as store:
        source = RpcSource(RpcClient(fresh_chain.node.url))
        scanning.scan(store, source, [wallet], rebasing=[asset])
        legs = [e for e in queries.ledger(load(store), wallet=wallet) if e.asset == asset]
        grown = [e for e in legs if e.protocol == REBASE]
        moved = [e for e in legs if e.protocol != REBASE]

        # the Transfer events: 1000 in, 110 out; the growth: what balanceOf adds to them
        assert sorted(e.raw_amount for e in moved) == [-110 * E18, 1000 * E18]
        before_sale = balance(sent_block - 1)
        assert before_sale == 1100 * E18
        assert [(e.block_number, e.raw_amount, e.kind) for e in grown] == [
            (sent_block - 1, before_sale - 1000 * E18, Kind.INCOME),
            (head, balance(head) - (before_sale - 110 * E18), Kind.INCOME)]
        assert [e.raw_amount for e in grown] == [100 * E18, 90 * E18]
        assert sum(e.raw_amount for e in legs) == balance(head) == 1080 * E18
        assert all(e.tx_hash.startswith("rebase:") and e.log_index is None for e in grown)

        # income for its year, the growth before the sale ahead of the sale
        year = grown[0].timestamp.year
        income = [i for i in queries.income(load(store), year) if i.asset == asset]
        assert [i.quantity for i in income if i.tx_hash.startswith("rebase:")] == \
            [e.quantity for e in grown if e.timestamp.year == year]
        assert all(d.lot_id is not None for d in queries.gains(load(store), year)
                   if d.asset == asset)

        # the chain agrees at the block scanned to
        checks = {c.holding.asset: c for c in reconciling.reconcile_chain(store,
                                                                      fresh_chain.node.url)}
        assert checks[asset].status.value == "ok"
        assert checks[asset].chain_raw == checks[asset].ledger_raw == balance(head)

        # snapshots: before the receipt and the sale, and at the head
        snapshots = [s for s in store.balance_snapshots(31337) if s.wallet == wallet]
        assert {s.block_number for s in snapshots} == {received - 1, sent_block - 1, head}
        assert all(s.raw_balance == balance(s.block_number) for s in snapshots)

        # a second scan of the same chain adds nothing
        scanning.scan(store, source, [wallet])
        assert store.balance_snapshots(31337) == snapshots
        assert [e for e in queries.ledger(load(store), wallet=wallet)
                if e.protocol == REBASE] == grown

        # another rebase, then a scan: one new snapshot, one new leg, none twice
        chain.mined(reb.functions.rebase(125 * E18 // 100))
        scanning.scan(store, source, [wallet])
        later = [e for e in queries.ledger(load(store), wallet=wallet) if e.protocol == REBASE]
        assert later[:2] == grown and len(later) == 3
        assert later[2].raw_amount == balance() - 1080 * E18 == 45 * E18
        assert len(store.balance_snapshots(31337)) == len(snapshots) + 1
        assert sum(e.raw_amount for e in queries.ledger(load(store), wallet=wallet)
                   if e.asset == asset) == balance()
