"""Issue 18: a scan's new transactions extend their chain's ledger (scanner.app.extend)
without decoding the earlier ones again, and leave the tables a whole rebuild gives; where
a new transaction would change an earlier leg (a spam verdict that flips, a return from a
contract the wallet deposited in), the chain is built whole.

The real transactions are those of ../shared/realdata/explorer-recordings/decoder_receipts
on Ethereum (Curve, Balancer, Compound, Maker, Convex, aggregators, CoW, bridges, Safe,
NFT markets), each wallet its sender, stored in block order in two scans."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest

import scanner.app.extend as extend_module
import scanner.ledger.build as build_module
from chains.addresses import erc20_asset
from chains.evm.records import RawTx, TokenInfo
from chains.registry import chain_by_id
from scanner.app.rebuild import refresh_chains
from scanner.app.settings import asset_ranks
from scanner.app.spam import mark_spam
from scanner.ledger.build import ChainLedger, decode_context, decode_txs
from scanner.ledger.extend import Before, extend_ledger
from scanner.ledger.spam import SpamFacts
from scanner.prices.book import PriceBook
from scanner.store import Store
from tests.helpers import assert_as_rebuilt
from tests.unit.rawtx import ME, STRANGER, event, transfer, tx
from tests.unit.recordings import names, recording

TOKEN, POOL, BAIT = "0x" + "b2" * 20, "0x" + "c1" * 20, "0x" + "a1" * 20
TOKENS = [TokenInfo(1, TOKEN, "BTK", "B token", 18),
          TokenInfo(1, BAIT, "claim-reward.com", "Visit to claim", 18)]
SYNC = "0x" + "5c" * 32  # an event of the pool's own: it shows the pool is a contract


def _scan(store: Store, txs: Sequence[RawTx], tokens: Sequence[TokenInfo],
          wallet: str | None = None) -> None:
    """What a scan of `wallet` (else each transaction's sender) stores, then its rebuild."""
    with store.transaction():
        for raw in txs:
            store.add_wallet(1, wallet or raw.from_address)
            store.save_raw(wallet or raw.from_address, [raw])
        store.save_tokens(tokens)
    refresh_chains(store, {1})


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """How many transactions were decoded, by whole builds and by extensions."""
    seen: Counter[str] = Counter()
    whole, extension = build_module.decode_txs, extend_module.decode_txs

    def counted(kind: str, decode: Any) -> Any:
        def run(txs: Sequence[RawTx], *args: Any, **kwargs: Any) -> Any:
            seen[kind] += len(txs)
            return decode(txs, *args, **kwargs)
        return run

    monkeypatch.setattr(build_module, "decode_txs", counted("whole", whole))
    monkeypatch.setattr(extend_module, "decode_txs", counted("extension", extension))
    yield seen


def _recorded(realdata: Path) -> tuple[list[RawTx], list[TokenInfo]]:
    txs: dict[str, RawTx] = {}
    tokens: dict[str, TokenInfo] = {}
    for name in names(realdata):
        record = recording(realdata, name)
        if record.chain_id == 1 and record.receipt:
            raw = record.raw()
            txs[raw.tx_hash] = raw
            tokens |= record.tokens
    return sorted(txs.values(), key=lambda t: (t.block_number, t.tx_index)), \
        list(tokens.values())


@pytest.mark.parametrize("split", [0.25, 0.5, 0.75, 0.9])
def test_real_transactions_scanned_in_two_parts_equal_one_build(
        realdata: Path, tmp_path: Path, decoded: Counter[str], split: float) -> None:
    txs, tokens = _recorded(realdata)
    assert len(txs) > 40
    first = int(len(txs) * split)
    path = tmp_path / "taxscan.duckdb"
    with Store(path) as store:
        _scan(store, txs[:first], tokens)
        decoded.clear()
        _scan(store, txs[first:], tokens)
    # the later transactions come in wallets of their own: the wallets change, every
    # earlier transaction is decoded again for them
    assert decoded == {"whole": len(txs)}
    assert_as_rebuilt(path)


@pytest.mark.parametrize("split", [0.25, 0.5, 0.75, 0.9])
def test_real_transactions_of_known_wallets_decode_only_the_new(
        realdata: Path, tmp_path: Path, decoded: Counter[str], split: float) -> None:
    """The wallets are known before the first scan (as a config lists them): the second
    scan decodes its own transactions alone."""
    txs, tokens = _recorded(realdata)
    first = int(len(txs) * split)
    path = tmp_path / "taxscan.duckdb"
    with Store(path) as store:
        with store.transaction():
            for raw in txs:
                store.add_wallet(1, raw.from_address)
        _scan(store, txs[:first], tokens)
        decoded.clear()
        _scan(store, txs[first:], tokens)
    assert decoded == {"extension": len(txs) - first}
    assert_as_rebuilt(path)


def _fan_out(n: int, sender: str = STRANGER) -> RawTx:
    """BAIT dropped at the wallet and eleven other addresses at once."""
    return tx(*(transfer(i, BAIT, sender, ME if i == 0 else "0x" + f"{i:040x}", 10**18)
                for i in range(12)), sender=sender, n=n)


def _two_scans(tmp_path: Path, first: Sequence[RawTx], then: Sequence[RawTx]) -> Path:
    path = tmp_path / "taxscan.duckdb"
    with Store(path) as store:
        with store.transaction():
            store.add_wallet(1, ME)
        _scan(store, first, TOKENS, ME)
        _scan(store, then, TOKENS, ME)
    return path


def _kinds(path: Path) -> list[tuple[str, str, str]]:
    with duckdb.connect(str(path), read_only=True) as db:
        return [(str(h)[-1], str(k), str(p)) for h, k, p in db.execute(
            "SELECT tx_hash, kind, protocol FROM ledger WHERE kind <> 'fee' ORDER BY ALL")
            .fetchall()]


BUY = tx(transfer(0, TOKEN, STRANGER, ME, 5 * 10**18), value=10**17, n=1)
DEPOSIT = tx(transfer(0, TOKEN, ME, POOL, 2 * 10**18), event(1, POOL, SYNC, []), to=POOL, n=2)
SELL = tx(transfer(0, TOKEN, ME, STRANGER, 10**18), n=3)
RETURN = tx(transfer(0, TOKEN, POOL, ME, 21 * 10**17), sender=STRANGER, to=POOL, n=4)


def test_a_scan_of_later_trades_decodes_them_alone(tmp_path: Path,
                                                   decoded: Counter[str]) -> None:
    path = _two_scans(tmp_path, [BUY, DEPOSIT], [SELL])
    assert decoded == {"whole": 2, "extension": 1}
    assert _kinds(path) == [("1", "trade", "transfer"), ("1", "trade", "transfer"),
                            ("2", "transfer_out", "transfer"),
                            ("3", "transfer_out", "transfer")]
    assert_as_rebuilt(path)


def test_a_return_from_a_contract_deposited_in_builds_the_chain_whole(
        tmp_path: Path, decoded: Counter[str]) -> None:
    """The return joins the earlier deposit into a position: both change kind."""
    path = _two_scans(tmp_path, [BUY, DEPOSIT, SELL], [RETURN])
    assert decoded["whole"] == 3 + 4
    kinds = _kinds(path)
    assert ("2", "deposit", "position") in kinds and ("4", "withdraw", "position") in kinds
    assert_as_rebuilt(path)


def test_a_token_the_wallet_then_sends_away_is_judged_again_whole(
        tmp_path: Path, decoded: Counter[str]) -> None:
    """BAIT was pushed at the wallet (spam); sending it away solicits it: no longer spam,
    its earlier leg is no spam leg any more."""
    away = tx(transfer(0, BAIT, ME, STRANGER, 10**18), n=6)
    path = _two_scans(tmp_path, [_fan_out(5)], [away])
    assert decoded["whole"] == 1 + 2
    assert _kinds(path) == [("5", "transfer_in", "transfer"),
                            ("6", "transfer_out", "transfer")]
    assert_as_rebuilt(path)


def test_a_second_fan_out_as_wide_keeps_the_first_in_the_verdict(
        tmp_path: Path, decoded: Counter[str]) -> None:
    buy = tx(transfer(0, TOKEN, STRANGER, ME, 5 * 10**18), value=10**17, n=7)
    path = _two_scans(tmp_path, [_fan_out(5)], [_fan_out(6), buy])
    assert decoded == {"whole": 1, "extension": 2}
    with duckdb.connect(str(path), read_only=True) as db:
        (reasons,), = db.execute("SELECT reasons FROM spam WHERE is_spam").fetchall()
    assert "transaction 0x" + format(5, "064x") in reasons
    assert _kinds(path) == [("5", "spam", "transfer"), ("6", "spam", "transfer"),
                            ("7", "trade", "transfer"), ("7", "trade", "transfer")]
    assert_as_rebuilt(path)


def test_a_new_symbol_a_decoder_gives_an_asset_with_earlier_legs_is_no_extension() -> None:
    """A decoder's symbol is the last transaction's word for the asset: a new one would
    rename its earlier legs."""
    chain = chain_by_id(1)
    ranks = asset_ranks([chain], frozenset())
    own = frozenset({ME})
    tokens = {t.address: t for t in TOKENS}
    new = [SELL]
    decoded = decode_txs(new, own, tokens, decode_context(chain, own, tokens),
                         chain.native_asset)
    asset = erc20_asset(1, TOKEN)
    before = Before({asset: "BTK"}, {asset: SpamFacts(True)}, {asset: False}, frozenset(),
                    frozenset(), frozenset(), frozenset())
    book = PriceBook([], pegged=ranks.stablecoins)

    def extended(named: dict[str, str]) -> ChainLedger | None:
        return extend_ledger(chain, replace(decoded, named=named), new, own, tokens, book,
                             ranks, before, spam_marks={})

    assert extended({}) is not None
    assert extended({asset: "BTK"}) is not None
    assert extended({asset: "stkBTK"}) is None


def test_swaps_both_ways_through_one_pool_extend(tmp_path: Path,
                                                 decoded: Counter[str]) -> None:
    """A trade is no deposit: what a pool gives back in a later swap joins nothing."""
    usdc_in = tx(transfer(0, TOKEN, ME, POOL, 10**18), transfer(1, BAIT, POOL, ME, 10**18),
                 to=POOL, n=1)
    back = tx(transfer(0, BAIT, ME, POOL, 10**18), transfer(1, TOKEN, POOL, ME, 10**18),
              to=POOL, n=2)
    path = _two_scans(tmp_path, [usdc_in], [back])
    assert decoded == {"whole": 1, "extension": 1}
    assert _kinds(path) == [("1", "trade", "transfer")] * 2 + [("2", "trade", "transfer")] * 2
    assert_as_rebuilt(path)


def test_a_token_a_person_sends_back_extends(tmp_path: Path, decoded: Counter[str]) -> None:
    """Sent to an address that never showed itself a contract: no deposit, whatever comes
    back."""
    back = tx(transfer(0, TOKEN, STRANGER, ME, 10**18), sender=STRANGER, n=4)
    path = _two_scans(tmp_path, [BUY, SELL], [back])
    assert decoded == {"whole": 2, "extension": 1}
    assert_as_rebuilt(path)


def test_a_return_from_an_address_a_new_transaction_shows_a_contract_builds_whole(
        tmp_path: Path, decoded: Counter[str]) -> None:
    """The pool emitted no event before: its first, beside the return, makes the earlier
    transfer out a deposit."""
    quiet = tx(transfer(0, TOKEN, ME, POOL, 2 * 10**18), to=POOL, n=2)
    loud = tx(transfer(0, TOKEN, POOL, ME, 21 * 10**17), event(1, POOL, SYNC, []),
              sender=STRANGER, to=POOL, n=4)
    path = _two_scans(tmp_path, [BUY, quiet], [loud])
    assert decoded["whole"] == 2 + 3
    assert ("2", "deposit", "position") in _kinds(path)
    assert_as_rebuilt(path)


def test_the_digest_kept_after_extensions_is_that_of_the_records(
        tmp_path: Path, decoded: Counter[str]) -> None:
    """Each extension adds the new records' digest to the one kept; a change to an earlier
    record (an L1 fee read again) then builds the chain whole."""
    path = tmp_path / "taxscan.duckdb"
    with Store(path) as store:
        with store.transaction():
            store.add_wallet(1, ME)
        _scan(store, [BUY], TOKENS, ME)
        _scan(store, [DEPOSIT], TOKENS, ME)
        _scan(store, [SELL], TOKENS, ME)
        assert decoded == {"whole": 1, "extension": 2}
        kept = json.loads(store.meta("ledger_built:1") or "{}")
        end = store.records_end(1)
        assert end is not None and tuple(kept["through"]) == end
        assert kept["records"] == store.records_digest(1, end)
        with store.transaction():
            store.set_l1_fees(1, {BUY.tx_hash: 7})
        refresh_chains(store, {1})
        assert decoded == {"whole": 4, "extension": 2}
    assert_as_rebuilt(path)


def test_a_spam_mark_classifies_the_tokens_transactions_alone(
        tmp_path: Path, decoded: Counter[str]) -> None:
    """Marking a token reclassifies the transactions that move it, and nothing else: marked
    not spam, the pushed token's leg is a transfer in; marked spam again, spam; then the
    mark taken off, the score decides."""
    path = _two_scans(tmp_path, [BUY, _fan_out(5), SELL], [])
    bait = erc20_asset(1, BAIT)
    for mark, kind in ((False, "transfer_in"), (True, "spam"), (None, "spam")):
        decoded.clear()
        with Store(path) as store:
            mark_spam(store, [bait], mark)
        assert decoded == {"extension": 1}, mark
        assert ("5", kind, "transfer") in _kinds(path), mark
        assert_as_rebuilt(path)
    with Store(path) as store:  # marked, the chain still extends
        mark_spam(store, [bait], True)
        decoded.clear()
        _scan(store, [tx(transfer(0, TOKEN, ME, STRANGER, 10**17), n=9)], TOKENS, ME)
    assert decoded == {"extension": 1}
    assert_as_rebuilt(path)
