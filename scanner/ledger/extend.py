"""A chain's ledger extended by transactions that all come after those it was built from,
without decoding those again: the legs `build_ledger` would give the new transactions,
when it would give the earlier ones the same legs as before, else None (build it whole).

What crosses transactions, and what makes an earlier leg change:
- spam verdicts, judged on facts that add up (`SpamFacts.then`): a verdict that flips for
  an asset with earlier legs reclassifies them;
- the symbols decoders give (the last transaction's word): a new one for an asset with
  earlier legs renames them;
- positions (scanner.ledger.positions): a new transfer in from a contract the wallet
  deposited that asset in before, or sent it to by a transfer out (a deposit once something
  comes back), may be a return that joins those deposits;
- receipts only a decoder's reading books are never judged, unless a token event moved
  them somewhere: such an asset with an earlier leg or verdict may change sides.
Rebasing tokens' growth reads across transactions too: a chain with balance snapshots is
not extended (the caller's check)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from chains.addresses import asset_contract
from chains.evm.records import RawTx, TokenInfo
from chains.registry import Chain
from scanner.ledger.build import (
    ChainLedger,
    Decoded,
    contracts_of,
    judge_all,
    never_spam,
    spam_facts,
    spam_of,
    symbols_for,
)
from scanner.ledger.classify import classify
from scanner.ledger.positions import may_deposit, may_return, open_positions
from scanner.ledger.records import LedgerEntry
from scanner.ledger.spam import SpamFacts, SpamVerdict
from scanner.ledger.valuation import AssetRanks, value_entries
from scanner.prices.book import PriceBook

Flow = tuple[str, str, str]  # wallet, counterparty, asset


@dataclass(frozen=True)
class Touched:
    """What the new transactions touch, to ask the stored ledger about."""

    assets: frozenset[str]  # moved other than in a fee, with the receipts decoders read
    contracts: frozenset[str]  # the token contracts of those
    inflows: frozenset[Flow]  # what came in, from whom
    counterparties: frozenset[str]


@dataclass(frozen=True)
class Before:
    """What the chain's ledger and records held before the new transactions, of what they
    touch."""

    symbols: Mapping[str, str | None]  # asset -> its legs' symbol, for those with legs
    facts: Mapping[str, SpamFacts]  # asset -> its verdict's facts, for the touched contracts
    spam: Mapping[str, bool]  # asset -> whether its legs were treated as spam (the same keys)
    reached: frozenset[str]  # touched contracts with an earlier event naming a wallet
    deposits: frozenset[Flow]  # touched inflows' flows that earlier position deposits took
    sent: frozenset[Flow]  # those earlier transfers out took (a deposit, to a contract)
    contracts: frozenset[str]  # counterparties an earlier transaction showed to be contracts


def touched(decoded: Decoded) -> Touched:
    assets = {m.asset for m in decoded.movements if not m.is_fee} | set(decoded.read)
    inflows = {(m.wallet, m.counterparty or "", m.asset) for m in decoded.movements
               if m.raw_amount > 0}
    return Touched(frozenset(assets),
                   frozenset(c for a in assets if (c := asset_contract(a)) is not None),
                   frozenset(inflows),
                   frozenset(m.counterparty for m in decoded.movements if m.counterparty))


def extend_ledger(chain: Chain, decoded: Decoded, txs: Collection[RawTx],
                  own: frozenset[str], tokens: Mapping[str, TokenInfo], prices: PriceBook,
                  ranks: AssetRanks, before: Before, *, spam_marks: Mapping[str, bool],
                  price_misses: Collection[str] = ()) -> ChainLedger | None:
    """The legs of `txs` (decoded as `decoded`) and the verdicts they change, as a whole
    build would give them; None when it would change an earlier leg too."""
    if any(a in before.symbols or a in before.facts for a in decoded.read):
        return None
    static = never_spam(chain, ranks)
    facts = _facts(spam_facts(decoded, txs, own, static | decoded.read), before)
    if facts is None:
        return None
    verdicts = judge_all(chain, facts, tokens, prices, spam_marks, frozenset(price_misses))
    if any(before.spam.get(v.asset, v.is_spam) != v.is_spam for v in verdicts
           if v.asset in before.symbols):
        return None
    symbols = symbols_for(chain, decoded.movements, tokens,
                          {**before.symbols, **decoded.named})
    if any(symbols[a] != symbol for a, symbol in before.symbols.items() if a in symbols):
        return None
    entries = classify(decoded.movements, executed_by=decoded.executed, own_wallets=own,
                       spam_assets=spam_of(verdicts, spam_marks), symbols=symbols,
                       refinements=decoded.refinements, claims=decoded.claims)
    contracts = contracts_of(txs) | before.contracts
    if any((key := _key(e)) in before.deposits or (key in before.sent and key[1] in contracts)
           for e in entries if may_return(e)):
        return None
    entries = open_positions(entries, executed_by=decoded.executed, contracts=contracts,
                             own_wallets=own)
    return ChainLedger(tuple(value_entries(entries, prices, ranks)), tuple(verdicts))


def _key(leg: LedgerEntry) -> Flow:
    return (leg.wallet, leg.counterparty or "", leg.asset)


def _facts(new: Mapping[str, SpamFacts], before: Before) -> dict[str, SpamFacts] | None:
    """The facts of every verdict the new transactions change: their assets' (with the
    earlier facts) and the earlier verdicts of the same contracts (a fan-out and a claim are
    the contract's). None when an asset with earlier legs was never judged, or a contract
    that no verdict kept the facts of had an event naming a wallet before (a fan-out or a
    claim may have brought it)."""
    by_contract: dict[str, SpamFacts] = {}
    for asset, fact in before.facts.items():
        by_contract.setdefault(asset_contract(asset) or "", fact)
    latest = {asset_contract(a) or "": fact for a, fact in new.items()}
    merged: dict[str, SpamFacts] = {}
    for asset, fact in new.items():
        contract = asset_contract(asset) or ""
        if asset in before.facts:
            merged[asset] = before.facts[asset].then(fact)
        elif asset in before.symbols:
            return None
        elif contract in by_contract:
            sibling = by_contract[contract]
            merged[asset] = SpamFacts(False, sibling.fan_out, sibling.claimed).then(fact)
        elif contract in before.reached:
            return None
        else:
            merged[asset] = fact
    for asset, fact in before.facts.items():
        contract = asset_contract(asset) or ""
        if asset not in merged and contract in latest:
            later = latest[contract]
            merged[asset] = fact.then(SpamFacts(False, later.fan_out, later.claimed))
    return merged


def relabel_ledger(chain: Chain, decoded: Decoded, own: frozenset[str],
                   tokens: Mapping[str, TokenInfo], prices: PriceBook, before: Before,
                   remarked: Collection[str], *, spam_marks: Mapping[str, bool],
                   price_misses: Collection[str] = ()) -> \
        tuple[list[LedgerEntry], list[SpamVerdict]] | None:
    """After the user's marks on `remarked` changed: the legs of the transactions that move
    them (decoded as `decoded`), classified as a whole build would (positions aside: the
    caller's), and those assets' verdicts judged again on their kept facts; None when one
    of them was never judged."""
    if any(asset not in before.facts for asset in remarked):
        return None
    verdicts = judge_all(chain, {a: before.facts[a] for a in remarked}, tokens, prices,
                         spam_marks, frozenset(price_misses))
    spam = spam_of(verdicts, spam_marks) | {
        a for a, is_spam in before.spam.items()
        if is_spam and a not in remarked and spam_marks.get(a, True)}
    entries = classify(decoded.movements, executed_by=decoded.executed, own_wallets=own,
                       spam_assets=spam, symbols=symbols_for(
                           chain, decoded.movements, tokens,
                           {**before.symbols, **decoded.named}),
                       refinements=decoded.refinements, claims=decoded.claims)
    if any(_key(e) in before.deposits or _key(e) in before.sent
           for e in entries if may_return(e)):
        return None
    return entries, verdicts


def deposit_flows(entries: Iterable[LedgerEntry]) -> set[Flow]:
    """The flows of the legs that would be deposits if something came back (the generic
    transfers out): a return elsewhere would join them."""
    return {_key(e) for e in entries if may_deposit(e)}


def positioned(entries: Sequence[LedgerEntry], decoded: Decoded, txs: Collection[RawTx],
               own: frozenset[str], before: Before, prices: PriceBook,
               ranks: AssetRanks) -> list[LedgerEntry]:
    """Classified legs with their positions (among themselves) and values."""
    return value_entries(open_positions(entries, executed_by=decoded.executed,
                                        contracts=contracts_of(txs) | before.contracts,
                                        own_wallets=own), prices, ranks)
