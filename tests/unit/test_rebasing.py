"""Rebasing tokens: growth without Transfer events, booked from balance snapshots."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from chains.evm.abi import TRANSFER, topic_for
from chains.evm.explorer import ExplorerClient, ExplorerConfig, ExplorerSource
from chains.evm.flavors import ETHERSCAN_V2, Flavor
from chains.evm.records import InternalTransfer, RawLog, RawTx, TokenInfo
from chains.registry import chain_by_id
from chains.source import Discovery
from scanner.app import queries, settings
from scanner.app import scan as scanning
from scanner.app.config import load_config
from scanner.app.export import tx_url
from scanner.app.readmodel import load
from scanner.app.scan import snapshot_plan
from scanner.errors import ConfigError
from scanner.ledger.classify import group_id
from scanner.ledger.rebasing import REBASE, BalanceSnapshot, rebase_legs
from scanner.ledger.records import Kind, LedgerEntry
from scanner.store import Store
from scanner.tax.lots import compute_lots

WALLET = "0x" + "aa" * 20
OTHER = "0x" + "bb" * 20
STETH = "0xae7ab96520de3a18e5e111b5eaab095312d7fe84"  # mainnet stETH: in the registry
ASSET = f"eip155:1/erc20:{STETH}"
START = datetime(2025, 1, 1, tzinfo=UTC)
E18 = 10**18


def at(block: int) -> datetime:
    return START + timedelta(seconds=12 * block)


def move(block: int, amount: int, kind: Kind = Kind.TRANSFER_IN, *, asset: str = ASSET,
         wallet: str = WALLET) -> LedgerEntry:
    tx_hash = "0x" + format(block, "064x")
    return LedgerEntry(chain_id=1, tx_hash=tx_hash, leg_key="log:0", log_index=0,
                       block_number=block, tx_index=0, timestamp=at(block), wallet=wallet,
                       kind=kind, protocol="transfer", asset=asset, symbol="stETH",
                       raw_amount=amount, decimals=18, counterparty=OTHER,
                       group_id=group_id(1, tx_hash, wallet))


def snap(block: int, balance: int, wallet: str = WALLET) -> BalanceSnapshot:
    return BalanceSnapshot(1, wallet, STETH, block, at(block), balance)


# ---- the pure derivation -------------------------------------------------------------


def test_growth_before_a_sale_is_booked_at_the_block_before_it() -> None:
    legs = [move(10, 100 * E18), move(20, -105 * E18, Kind.TRADE)]
    snaps = [snap(9, 0), snap(19, 105 * E18), snap(30, 2 * E18)]
    booked = rebase_legs(snaps, legs)
    assert [(b.block_number, b.raw_amount, b.kind) for b in booked] == [
        (19, 5 * E18, Kind.INCOME), (30, 2 * E18, Kind.INCOME)]
    first = booked[0]
    assert (first.protocol, first.leg_key, first.log_index, first.counterparty) == \
        (REBASE, REBASE, None, None)
    assert first.tx_hash == f"rebase:19:{STETH}:{WALLET}"
    assert first.timestamp == at(19) and (first.symbol, first.decimals) == ("stETH", 18)
    assert first.group_id == group_id(1, first.tx_hash, WALLET)
    assert len({b.tx_hash for b in booked}) == len({b.group_id for b in booked}) == 2
    # the growth sorts before the sale, and the sale draws on lots only: none uncovered
    ordered = sorted([*legs, *booked], key=lambda e: (e.timestamp, e.block_number, e.tx_index))
    assert ordered.index(first) < ordered.index(legs[1])
    book = compute_lots(ordered)
    assert all(d.lot_id is not None for d in book.disposals)
    assert sum(d.quantity for d in book.disposals) == 105
    assert [(i.quantity, i.tx_hash) for i in book.income] == [
        (Decimal(5), first.tx_hash), (Decimal(2), booked[1].tx_hash)]


def test_growth_lands_after_the_real_transactions_of_its_block() -> None:
    legs = [move(10, 100 * E18), move(30, -10 * E18, Kind.TRANSFER_OUT)]
    booked = rebase_legs([snap(9, 0), snap(30, 93 * E18)], legs)
    assert [(b.block_number, b.raw_amount) for b in booked] == [(30, 3 * E18)]
    assert booked[0].tx_index > 10**9  # after every transaction of block 30


def test_a_negative_step_leaves_the_books_as_a_transfer_out() -> None:
    legs = [move(10, 100 * E18)]
    booked = rebase_legs([snap(9, 0), snap(20, 104 * E18), snap(30, 101 * E18)], legs)
    assert [(b.block_number, b.raw_amount, b.kind) for b in booked] == [
        (20, 4 * E18, Kind.INCOME), (30, -3 * E18, Kind.TRANSFER_OUT)]
    assert {b.protocol for b in booked} == {REBASE}
    book = compute_lots([*legs, *booked])
    assert sum(lot.quantity for lot in book.open_lots) == 101
    assert len(book.income) == 1


def test_no_snapshots_no_legs() -> None:
    assert rebase_legs([], [move(10, 100 * E18)]) == []


def test_a_token_that_never_rebases_gets_no_legs() -> None:
    legs = [move(10, 100 * E18), move(20, -40 * E18, Kind.TRANSFER_OUT)]
    assert rebase_legs([snap(9, 0), snap(19, 100 * E18), snap(25, 60 * E18)], legs) == []


def test_a_snapshot_after_the_first_leg_counts_from_zero() -> None:
    booked = rebase_legs([snap(50, 110 * E18)], [move(10, 100 * E18)])
    assert [(b.block_number, b.raw_amount) for b in booked] == [(50, 10 * E18)]


def test_a_balance_held_before_the_first_leg_is_an_opening_balance_not_income() -> None:
    legs = [move(10, 100 * E18)]
    booked = rebase_legs([snap(9, 7 * E18), snap(20, 108 * E18)], legs)
    assert [(b.block_number, b.raw_amount) for b in booked] == [(20, 1 * E18)]


def test_each_wallet_gets_its_own_growth_and_ids() -> None:
    legs = [move(10, 100 * E18), move(10, 50 * E18, wallet=OTHER)]
    snaps = [snap(30, 110 * E18), snap(30, 55 * E18, wallet=OTHER)]
    booked = sorted(rebase_legs(snaps, legs), key=lambda e: e.wallet)
    assert [(b.wallet, b.raw_amount) for b in booked] == [(WALLET, 10 * E18), (OTHER, 5 * E18)]
    assert booked[0].tx_hash != booked[1].tx_hash  # and so the lots they open


def test_spam_and_debt_tokens_and_tokens_without_legs_are_left_alone() -> None:
    assert rebase_legs([snap(30, 110 * E18)], [move(10, 100 * E18, Kind.SPAM)]) == []
    assert rebase_legs([snap(30, 110 * E18)], [move(10, 100 * E18, Kind.DEBT)]) == []
    assert rebase_legs([snap(30, 110 * E18)], []) == []


def test_the_growth_id_has_no_explorer_link() -> None:
    booked = rebase_legs([snap(30, 110 * E18)], [move(10, 100 * E18)])
    assert chain_by_id(1).tx_url(booked[0].tx_hash) is None
    assert tx_url(1, booked[0].tx_hash) is None
    real = "0x" + "ab" * 32
    assert tx_url(1, real) == f"https://etherscan.io/tx/{real}"


def test_the_snapshot_plan() -> None:
    assert snapshot_plan({100, 250}, 1000, 300) == {99, 249, 400, 700, 1000}
    assert snapshot_plan({0}, 5, 7200) == {5}
    assert snapshot_plan({1000}, 1000, 10) == {999, 1000}


# ---- the scan, with sources that can and cannot read balances ------------------------


class FakeSource:
    """Mainnet, one stETH transfer to the wallet at block 50; balances from `balances`."""

    def __init__(self, head: int, balances: Mapping[int, int] | None) -> None:
        self.head_block = head
        self.balances = balances
        self.asked: list[list[int]] = []
        self.tx = RawTx(1, "0x" + "cd" * 32, 50, 0, at(50), OTHER, STETH, 0, 21000, 1, True,
                        (RawLog(0, STETH, (TRANSFER, topic_for(OTHER), topic_for(WALLET)),
                                "0x" + format(100 * E18, "064x")),))

    def chain_id(self) -> int:
        return 1

    def head(self) -> int:
        return self.head_block

    def discover(self, wallet: str, from_block: int, to_block: int) -> Discovery:
        found = frozenset({self.tx.tx_hash}) if from_block <= 50 <= to_block else frozenset()
        return Discovery(found, {}, "test")

    def fetch(self, chain_id: int, tx_hashes: Iterable[str],
              internal: Mapping[str, tuple[InternalTransfer, ...]]) -> list[RawTx]:
        return [self.tx] if self.tx.tx_hash in set(tx_hashes) else []

    def token_info(self, chain_id: int, tokens: Sequence[str]) -> list[TokenInfo]:
        return [TokenInfo(1, t, "stETH", "Liquid staked Ether", 18) for t in tokens]

    def block_hashes(self, blocks: Iterable[int]) -> dict[int, str]:
        return {b: "0x" + format(b, "064x") for b in blocks if b <= self.head_block}

    def balances_at(self, token: str, wallet: str,
                    blocks: Iterable[int]) -> dict[int, tuple[datetime, int]] | None:
        wanted = list(blocks)
        self.asked.append(wanted)
        if self.balances is None:
            return None
        return {b: (at(b), self.balances[b]) for b in wanted if b in self.balances}


def test_a_scan_reads_the_snapshots_and_books_the_growth_once(tmp_path: Path) -> None:
    final = 400  # a scan goes to the head
    source = FakeSource(400, {49: 0, final: 101 * E18})
    with Store(tmp_path / "db.duckdb") as store:
        first = scanning.scan(store, source, [WALLET], snapshot_interval=10_000)
        assert source.asked == [[49, final]] and first[0].notes == ()
        assert [(s.block_number, s.raw_balance) for s in store.balance_snapshots(1)] == [
            (49, 0), (final, 101 * E18)]
        grown = [e for e in queries.ledger(load(store)) if e.protocol == REBASE]
        assert [(e.kind, e.quantity, e.block_number) for e in grown] == [
            (Kind.INCOME, Decimal(1), final)]
        assert [i.quantity for i in queries.income(load(store), 2025)] == [Decimal(1)]
        scanning.scan(store, source, [WALLET], snapshot_interval=10_000)  # nothing new
        assert source.asked == [[49, final]]
        assert len(store.balance_snapshots(1)) == 2
        assert [e for e in queries.ledger(load(store)) if e.protocol == REBASE] == grown


def test_a_user_named_token_is_kept_and_blocks_the_node_cannot_read_are_noted(
    tmp_path: Path
) -> None:
    chain = chain_by_id(1)
    final = 400  # a scan goes to the head
    source = FakeSource(400, {final: 100 * E18})  # no archive state at block 49
    with Store(tmp_path / "db.duckdb") as store:
        with pytest.raises(ValueError, match="ERC-20"):
            scanning.scan(store, source, [WALLET], rebasing=["eip155:1/slip44:60"])
        scanning.scan(store, source, [WALLET], rebasing=[f"eip155:1/erc20:0x{'ee' * 20}"])
        assert settings.rebasing_tokens(store, chain) == sorted([STETH, "0x" + "ee" * 20])
        assert settings.rebasing_tokens(store, chain_by_id(10)) == []
        result = scanning.scan(store, source, [WALLET])  # only block 49 is still wanted
        assert source.asked[-1] == [49]
        assert any("could not read stETH balances at 1 of 1 block " in n
                   for n in result[0].notes)


def test_an_explorer_alone_notes_that_the_growth_is_not_booked(tmp_path: Path) -> None:
    source = FakeSource(400, None)
    with Store(tmp_path / "db.duckdb") as store:
        result = scanning.scan(store, source, [WALLET])
        assert "stETH grows without Transfer events: its income is not booked without an " \
               "RPC node" in result[0].notes
        assert store.balance_snapshots(1) == []
        assert [e.kind for e in queries.ledger(load(store))] == [Kind.TRANSFER_IN]


def test_the_explorer_source_reads_balances_only_through_a_node() -> None:
    client = ExplorerClient(ExplorerConfig(ETHERSCAN_V2, Flavor.ETHERSCAN, 1, None))
    assert ExplorerSource(client).balances_at(STETH, WALLET, [1, 2]) is None


# ---- the config ----------------------------------------------------------------------


def test_the_config_names_rebasing_tokens_and_snapshot_intervals(tmp_path: Path) -> None:
    path = tmp_path / "taxscan.toml"
    path.write_text(f'rebasing = ["EIP155:1/ERC20:0x{"EE" * 20}"]\n'
                    '[chains.base]\nsnapshot_interval = 100\n'
                    f'[[wallets]]\naddress = "{WALLET}"\nchains = ["base"]\n')
    config = load_config(path)
    assert config.rebasing == (f"eip155:1/erc20:0x{'ee' * 20}",)
    assert config.chains["base"].snapshot_interval == 100
    for bad, problem in (('rebasing = ["eip155:1/slip44:60"]', "rebasing\\[1\\]: a rebasing"),
                         ('[chains.base]\nsnapshot_interval = 0', "snapshot_interval: must"),
                         ('[chains.base]\nsnapshot_interval = "7200"', "snapshot_interval")):
        path.write_text(f'{bad}\n[[wallets]]\naddress = "{WALLET}"\nchains = ["base"]\n')
        with pytest.raises(ConfigError, match=problem):
            load_config(path)


def test_the_growth_leg_goes_through_exports_the_report_and_back_in(tmp_path: Path) -> None:
    from scanner.app import explain as explaining
    from scanner.app import export as exporting
    from scanner.formats.ledger_csv import read_ledger_csv

    final = 400  # a scan goes to the head
    with Store(tmp_path / "db.duckdb") as store:
        scanning.scan(store, FakeSource(400, {49: 0, final: 101 * E18}), [WALLET])
        (grown,) = [e for e in queries.ledger(load(store)) if e.protocol == REBASE]
        exporting.export(load(store), "ledger", tmp_path / "ledger.csv")
        for fmt in ("koinly", "cointracker", "coinledger"):
            exporting.export(load(store), fmt, tmp_path / f"{fmt}.csv")
            assert "rebase:" not in (tmp_path / f"{fmt}.csv").read_text()  # no fake hash
        exporting.report(store, load(store), tmp_path / "report.html", year=2025)
        assert grown.tx_hash not in {url for url in (tmp_path / "report.html").read_text()
                                     .split('"') if url.startswith("https://")}
        explained = explaining.explain(store, load(store), grown.tx_hash)
        assert explained.url is None
        assert [(r["kind"], r["protocol"], r["quantity"]) for r in explained.rows] == [
            ("income", REBASE, "1")]
        lot = f"{grown.tx_hash}:{REBASE}"
        assert [s.step for s in queries.trace(load(store), lot)] == ["acquired", "open"]
    again = [e for e in read_ledger_csv(tmp_path / "ledger.csv") if e.protocol == REBASE]
    assert [(e.tx_hash, e.kind, e.quantity, e.block_number, e.timestamp, e.group_id)
            for e in again] == [(grown.tx_hash, Kind.INCOME, Decimal(1), final, grown.timestamp,
                                 grown.group_id)]
