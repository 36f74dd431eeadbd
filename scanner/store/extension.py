"""What extending a chain's ledger reads and writes (scanner.ledger.extend): the records
after the point it was built to, a digest of those before it, and what the stored ledger
holds of what new transactions touch."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from chains.addresses import asset_contract
from chains.evm.abi import topic_for
from scanner.ledger.extend import Before, Touched
from scanner.ledger.positions import DEPOSITED, POSITION, RETURNING
from scanner.ledger.records import LedgerEntry
from scanner.ledger.spam import FanOut, SpamFacts, SpamVerdict
from scanner.store.plumbing import Plumbing
from scanner.store.rows import ledger_row

Point = tuple[int, int]  # block, index in it
REASON_SEPARATOR = "; "  # spam reasons in one text column

_UPTO = "(t.block_number < ? OR (t.block_number = ? AND t.tx_index <= ?))"
_TXS = ("FROM raw_txs t WHERE t.chain_id = ? AND t.tx_hash IN "
        "(SELECT tx_hash FROM wallet_txs WHERE chain_id = ?)")
_END = f"SELECT max((t.block_number, t.tx_index)) {_TXS}"
_AFTER = "NOT " + _UPTO


def _digest(where: str) -> str:
    """A digest of the chain's transactions that `where` (on `t`) picks, with their events
    and internal transfers: three texts `count:xor of the rows' hashes`."""
    return f"""
SELECT (SELECT count(*)::VARCHAR || ':' || coalesce(bit_xor(hash(t.tx_hash, t.block_number,
        t.tx_index, t.timestamp, t.from_address, t.to_address, t.value, t.gas_used,
        t.effective_gas_price, t.success, t.l1_fee)), 0)::VARCHAR {_TXS} AND {where}),
       (SELECT count(*)::VARCHAR || ':' || coalesce(bit_xor(hash(l.tx_hash, l.log_index,
        l.address, l.topics, l.data)), 0)::VARCHAR
        FROM raw_logs l JOIN raw_txs t USING (chain_id, tx_hash)
        WHERE t.chain_id = ? AND {where}),
       (SELECT count(*)::VARCHAR || ':' || coalesce(bit_xor(hash(i.tx_hash, i.trace_address,
        i.from_address, i.to_address, i.value)), 0)::VARCHAR
        FROM raw_internal i JOIN raw_txs t USING (chain_id, tx_hash)
        WHERE t.chain_id = ? AND {where})"""


_DIGEST = _digest(_UPTO)
_DIGEST_AFTER = _digest(f"{_AFTER} AND {_UPTO}")
_SYMBOLS = "SELECT DISTINCT asset, symbol FROM ledger WHERE chain_id = ? AND asset IN ?"
_FACTS = ("SELECT asset, is_spam, solicited, fan_out_tx, fan_out_recipients, claimed "
          "FROM spam WHERE starts_with(asset, ?)")
# the events of the transactions other than the new ones
_EMITTERS = """
SELECT l.address FROM raw_logs l WHERE l.chain_id = ? AND l.address IN ?
  AND l.tx_hash NOT IN (SELECT unnest(?)) GROUP BY l.address"""
_REACHED = """
SELECT l.address FROM raw_logs l WHERE l.chain_id = ? AND l.address IN ?
  AND l.tx_hash NOT IN (SELECT unnest(?)) AND list_has_any(l.topics, ?) GROUP BY l.address"""
_OUTFLOWS = """
SELECT DISTINCT wallet, coalesce(counterparty, ''), asset, protocol FROM ledger
WHERE chain_id = ? AND starts_with(raw_amount, '-') AND wallet IN ? AND asset IN ?
  AND coalesce(counterparty, '') IN ? AND (kind, protocol) IN (SELECT (unnest(?), unnest(?)))"""
_CONTRACTS = """
SELECT address FROM raw_logs WHERE chain_id = ? AND address IN ?
UNION SELECT from_address FROM raw_internal WHERE chain_id = ? AND from_address IN ?"""
# the (kind, protocol) pairs of scanner.ledger.positions as two columns of parameters
_DEPOSITS = ([k.value for k, _ in DEPOSITED], [p for _, p in DEPOSITED])
_RETURN_KINDS = ([k.value for k, _ in RETURNING], [p for _, p in RETURNING])
_MOVING = "SELECT DISTINCT tx_hash FROM ledger WHERE chain_id = ? AND asset IN ?"
_LEGS_OF_TXS = """SELECT chain_id, tx_hash, leg_key, wallet, protocol FROM ledger
WHERE chain_id = ? AND tx_hash IN (SELECT unnest(?))"""
_CLEAR_TXS = "DELETE FROM ledger WHERE chain_id = ? AND tx_hash IN (SELECT unnest(?))"
# legs scanner.ledger.positions may read as returns, of the flows $2-$4, outside the txs $5
_RETURNS = """
SELECT DISTINCT wallet, coalesce(counterparty, ''), asset FROM ledger
WHERE chain_id = ? AND NOT starts_with(raw_amount, '-') AND raw_amount <> '0'
  AND wallet IN ? AND coalesce(counterparty, '') IN ? AND asset IN ?
  AND tx_hash NOT IN (SELECT unnest(?))
  AND (kind, protocol) IN (SELECT (unnest(?), unnest(?)))"""
_CLEAR_VERDICTS = "DELETE FROM spam WHERE asset IN ?"


def _joined(one: str, two: str) -> str:
    """The digest of two sets of rows from theirs."""
    (count, xor), (more, other) = (one.split(":"), two.split(":"))
    return f"{int(count) + int(more)}:{int(xor) ^ int(other)}"


def upto(point: Point) -> list[int]:
    return [point[0], point[0], point[1]]


class ExtensionTables(Plumbing):
    def records_end(self, chain_id: int) -> Point | None:
        """The block and index of the chain's last stored transaction."""
        end = self._sql(_END, [chain_id, chain_id])[0][0]
        return None if end is None else (int(end[0]), int(end[1]))

    def records_digest(self, chain_id: int, through: Point,
                       since: tuple[Point, list[str]] | None = None) -> list[str]:
        """What the chain's transactions up to `through` hold, with their events and
        internal transfers, in three short texts: any change to them changes these.
        `since`: a point before `through` and the digest up to it, which these add to."""
        if since is None:
            return [str(cell) for cell in self._sql(_DIGEST, [
                chain_id, chain_id, *upto(through), chain_id, *upto(through),
                chain_id, *upto(through)])[0]]
        point, before = since
        params = [*upto(point), *upto(through)]
        after = self._sql(_DIGEST_AFTER, [chain_id, chain_id, *params, chain_id, *params,
                                          chain_id, *params])[0]
        return [_joined(one, str(two)) for one, two in zip(before, after, strict=True)]

    def emitted_before(self, chain_id: int, contracts: Collection[str],
                       new: Collection[str]) -> set[str]:
        """Those of `contracts` that emitted an event in a transaction other than the `new`
        ones (their hashes)."""
        return {str(r[0]) for r in self._sql(_EMITTERS,
                                             [chain_id, sorted(contracts), sorted(new)])} \
            if contracts else set()

    def ledger_before(self, chain_id: int, touched: Touched, new: Collection[str],
                      wallets: Collection[str]) -> Before | None:
        """What the ledger and the records of the transactions before the `new` ones hold
        of what these touch; None when a verdict was kept by an older taxscan, without its
        facts."""
        assets = sorted(touched.assets)
        symbols = {str(a): s for a, s in self._sql(_SYMBOLS, [chain_id, assets])}
        facts: dict[str, SpamFacts] = {}
        spam: dict[str, bool] = {}
        for asset, is_spam, solicited, fan_tx, fan_n, claimed in self._sql(
                _FACTS, [f"eip155:{chain_id}/"]):
            if asset_contract(asset) not in touched.contracts:
                continue
            if solicited is None:
                return None
            facts[asset] = SpamFacts(bool(solicited), None if fan_tx is None else
                                     FanOut(str(fan_tx), int(fan_n)), claimed)
            spam[asset] = bool(is_spam)
        parties = sorted(touched.counterparties)
        flows = touched.inflows
        outflows = [(tuple(str(c) for c in row[:3]), row[3] == POSITION) for row in self._sql(
            _OUTFLOWS, [chain_id, sorted({w for w, _, _ in flows}),
                        sorted({a for _, _, a in flows}), sorted({c for _, c, _ in flows}),
                        *_DEPOSITS])]
        return Before(
            symbols, facts, spam,
            frozenset(str(r[0]) for r in self._sql(_REACHED, [
                chain_id, sorted(touched.contracts), sorted(new),
                [topic_for(w) for w in sorted(wallets)]])),
            frozenset(f for f, deposit in outflows if deposit and f in flows),
            frozenset(f for f, deposit in outflows if not deposit and f in flows),
            frozenset(str(r[0]) for r in self._sql(_CONTRACTS,
                                                   [chain_id, parties, chain_id, parties])))

    def txs_moving(self, chain_id: int, assets: Collection[str]) -> list[str]:
        """The transactions of the chain's legs of `assets`."""
        return sorted(str(r[0]) for r in self._sql(_MOVING, [chain_id, sorted(assets)]))

    def legs_of_txs(self, chain_id: int, tx_hashes: Collection[str]) \
            -> list[tuple[tuple[int, str, str, str], str]]:
        """The keys (chain, transaction, leg, wallet) of the legs of those transactions, with
        their protocols."""
        return [((int(c), str(t), str(k), str(w)), str(p)) for c, t, k, w, p in self._sql(
            _LEGS_OF_TXS, [chain_id, sorted(tx_hashes)])]

    def returns_elsewhere(self, chain_id: int, flows: Collection[tuple[str, str, str]],
                          tx_hashes: Collection[str]) -> bool:
        """Whether a leg outside those transactions may bring back what went out by one of
        `flows` (wallet, counterparty, asset): a return of scanner.ledger.positions."""
        if not flows:
            return False
        found = self._sql(_RETURNS, [
            chain_id, sorted({w for w, _, _ in flows}), sorted({c for _, c, _ in flows}),
            sorted({a for _, _, a in flows}), sorted(tx_hashes), *_RETURN_KINDS])
        return any(tuple(str(c) for c in row) in flows for row in found)

    def replace_ledger_of(self, chain_id: int, tx_hashes: Collection[str],
                          entries: Iterable[LedgerEntry]) -> None:
        """The chain's legs of those transactions in place of those kept."""
        self._sql(_CLEAR_TXS, [chain_id, sorted(tx_hashes)])
        self.add_ledger(entries)

    def add_ledger(self, entries: Iterable[LedgerEntry]) -> None:
        self._copy("ledger", (ledger_row(e) for e in entries))

    def save_verdicts(self, verdicts: Iterable[SpamVerdict]) -> None:
        """These verdicts in place of those kept of their assets."""
        rows = [verdict_row(v) for v in verdicts]
        if rows:
            self._sql(_CLEAR_VERDICTS, [[row[0] for row in rows]])
            self._many("insert_spam", rows)


def verdict_row(v: SpamVerdict) -> list[Any]:
    facts = v.facts
    fan_out = facts.fan_out if facts else None
    return [v.asset, v.score, REASON_SEPARATOR.join(v.reasons), v.is_spam,
            None if facts is None else facts.solicited,
            None if fan_out is None else fan_out.tx_hash,
            None if fan_out is None else fan_out.recipients,
            None if facts is None else facts.claimed]
