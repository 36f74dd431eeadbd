"""Raw records -> valued ledger, for one chain, from what the store holds (no network)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from chains.addresses import asset_contract, erc20_asset
from chains.deployments import contracts_on
from chains.evm.records import RawTx, TokenInfo
from chains.registry import Chain
from scanner.ledger.classify import classify
from scanner.ledger.decode.claims import claim_payouts
from scanner.ledger.decode.executors import executors
from scanner.ledger.decode.protocols import DecodeContext, ProtocolDecoder, Refinement, refine_all
from scanner.ledger.decode.registry import DECODERS
from scanner.ledger.decode.transfers import decode_movements
from scanner.ledger.positions import open_positions
from scanner.ledger.rebasing import BalanceSnapshot, rebase_legs
from scanner.ledger.records import LedgerEntry, Movement
from scanner.ledger.spam import SpamFacts, SpamVerdict, judge, widest_fan_outs
from scanner.ledger.valuation import AssetRanks, value_entries
from scanner.prices.book import PriceBook


@dataclass(frozen=True)
class ChainLedger:
    entries: tuple[LedgerEntry, ...]
    spam: tuple[SpamVerdict, ...]


def symbols_for(chain: Chain, movements: Iterable[Movement], tokens: Mapping[str, TokenInfo],
                named: Mapping[str, str | None] | None = None) -> dict[str, str | None]:
    """Each asset's symbol: the one its decoder gave (`named`: a farm's receipt, an open
    position), else the token's own, an NFT's with its token id."""
    symbols: dict[str, str | None] = {chain.native_asset: chain.native_symbol,
                                      **(named or {})}
    for move in movements:
        if move.asset in symbols:
            continue
        contract = asset_contract(move.asset) or ""
        info = tokens.get(contract)
        symbol = info.symbol if info else None
        token_id = move.asset.removeprefix(move.asset.rpartition("/")[0] + "/") \
            if move.asset.count("/") == 2 else None
        symbols[move.asset] = f"{symbol or 'NFT'}#{token_id}" if token_id else symbol
    return symbols


def decode_context(chain: Chain, wallets: frozenset[str], tokens: Mapping[str, TokenInfo],
                   named: Iterable[tuple[str, str]] = ()) -> DecodeContext:
    """`named`: the chain's protocol contracts the config names (role, address), beside
    the registry's deployments."""
    return DecodeContext(chain.chain_id, chain.native_asset, chain.wrapped_native, wallets,
                         tokens, contracts_on(chain.chain_id, named))


@dataclass(frozen=True)
class Decoded:
    """What each transaction says alone: its movements (as protocol decoders refine them),
    the refinements, who executed it, what distributors paid out in it with a claim event."""

    movements: tuple[Movement, ...]
    refinements: Mapping[tuple[str, str], Refinement]
    executed: Mapping[str, frozenset[str]]
    claims: Mapping[str, Mapping[str, str]]
    read: frozenset[str]  # receipts only a decoder's reading of an event books (a farm's)
    named: Mapping[str, str]  # the symbols decoders give, the last transaction's word

    @property
    def claimed(self) -> dict[str, str]:
        """Token contract -> the last claim a distributor paid it out for."""
        return {token: f"paid out by {payer}, which said it paid a claim, in {tx_hash}"
                for tx_hash, paid in self.claims.items() for token, payer in paid.items()}


def decode_txs(txs: Collection[RawTx], own: frozenset[str], tokens: Mapping[str, TokenInfo],
               context: DecodeContext, native_asset: str,
               decoders: Sequence[ProtocolDecoder] = DECODERS) -> Decoded:
    movements: list[Movement] = []
    refinements: dict[tuple[str, str], Refinement] = {}
    seen: set[str] = set()  # the assets some token event moved
    for tx in txs:
        moves = decode_movements(tx, own, native_asset, tokens)
        seen.update(m.asset for m in moves)
        for wallet, refined in refine_all(tx, moves, context, decoders).items():
            refinements[(tx.tx_hash, wallet)] = refined
            if refined.drop:
                moves = [m for m in moves
                         if m.wallet != wallet or m.leg_key not in refined.drop]
            moves.extend(refined.extra)
        movements.extend(moves)
    executed = {tx.tx_hash: executors(tx) for tx in txs}
    # what distributors paid out in the wallets' own transactions, with a claim event
    claims = {tx.tx_hash: paid for tx in txs if not own.isdisjoint(executed[tx.tx_hash])
              and (paid := claim_payouts(tx, own))}
    # a receipt only a decoder's reading of an event books (a farm's stake) is no token
    # anyone could push at the wallet
    read = {m.asset for refined in refinements.values() for m in refined.extra} - seen
    named = {asset: symbol for refined in refinements.values()
             for asset, symbol in refined.symbols.items()}
    return Decoded(tuple(movements), refinements, executed, claims, frozenset(read), named)


def build_ledger(
    chain: Chain,
    txs: Collection[RawTx],
    wallets: Collection[str],
    tokens: Mapping[str, TokenInfo],
    prices: PriceBook,
    ranks: AssetRanks,
    *,
    spam_marks: Mapping[str, bool] | None = None,
    decoders: Sequence[ProtocolDecoder] = DECODERS,
    snapshots: Iterable[BalanceSnapshot] = (),
    price_misses: Collection[str] = (),
    named_contracts: Iterable[tuple[str, str]] = (),
) -> ChainLedger:
    """The chain's ledger. `spam_marks`: asset -> True (the user says spam) or False (the
    user says not spam), over the score's verdict. `snapshots`: balances of rebasing tokens,
    whose growth between them is booked (`rebase_legs`). `price_misses`: assets a price
    source was asked about and had no price for (only they count as unpriced for spam).
    `named_contracts`: the protocol contracts the config names on the chain (role, address)."""
    own = frozenset(wallets)
    context = decode_context(chain, own, tokens, named_contracts)
    decoded = decode_txs(txs, own, tokens, context, chain.native_asset, decoders)
    marks = spam_marks or {}
    facts = spam_facts(decoded, txs, own, never_spam(chain, ranks) | decoded.read)
    verdicts = judge_all(chain, facts, tokens, prices, marks, frozenset(price_misses))
    entries = classify(decoded.movements, executed_by=decoded.executed, own_wallets=own,
                       spam_assets=spam_of(verdicts, marks),
                       symbols=symbols_for(chain, decoded.movements, tokens, decoded.named),
                       refinements=decoded.refinements, claims=decoded.claims)
    entries = open_positions(entries, executed_by=decoded.executed,
                             contracts=contracts_of(txs), own_wallets=own)
    entries += rebase_legs(snapshots, entries)
    valued = value_entries(entries, prices, ranks)
    return ChainLedger(tuple(valued), tuple(verdicts))


def contracts_of(txs: Iterable[RawTx]) -> frozenset[str]:
    """The addresses the transactions show to be contracts: those that emitted an event or
    sent value from inside a call."""
    return frozenset({log.address for tx in txs for log in tx.logs}
                     | {move.from_address for tx in txs for move in tx.internal})


def never_spam(chain: Chain, ranks: AssetRanks) -> frozenset[str]:
    return frozenset(ranks.stablecoins | ranks.natives | {chain.native_asset})


def spam_of(verdicts: Iterable[SpamVerdict], marks: Mapping[str, bool]) -> set[str]:
    """The assets treated as spam: the user's marks, else the verdicts."""
    return {v.asset for v in verdicts if v.is_spam and marks.get(v.asset, True)} | {
        asset for asset, spam in marks.items() if spam}


def spam_facts(decoded: Decoded, txs: Collection[RawTx], own: frozenset[str],
               unjudged: frozenset[str]) -> dict[str, SpamFacts]:
    """The facts of each asset the transactions move, other than in a fee and `unjudged`."""
    solicited: dict[str, bool] = {}
    for move in decoded.movements:
        if move.is_fee or move.asset in unjudged:
            continue
        asked = not own.isdisjoint(decoded.executed.get(move.tx_hash, ())) or \
            move.raw_amount < 0
        solicited[move.asset] = solicited.get(move.asset, False) or asked
    fan_outs = widest_fan_outs(txs, own)
    claimed = decoded.claimed
    facts = {}
    for asset, asked in sorted(solicited.items()):
        contract = asset_contract(asset) or ""
        facts[asset] = SpamFacts(asked, fan_outs.get(contract), claimed.get(contract))
    return facts


def judge_all(chain: Chain, facts: Mapping[str, SpamFacts], tokens: Mapping[str, TokenInfo],
              prices: PriceBook, marks: Mapping[str, bool],
              price_misses: frozenset[str]) -> list[SpamVerdict]:
    known = {erc20_asset(chain.chain_id, token) for token in chain.known_tokens}
    verdicts = []
    for asset, fact in sorted(facts.items()):
        contract = asset_contract(asset) or ""
        # unpriced only once a source was asked: offline, no price says nothing
        priced = True if prices.has_any(asset) else False if asset in price_misses else None
        vouched = (f"a known token of {chain.name}" if asset in known
                   else fact.claimed or ("it has a price" if priced else None))
        verdict = judge(asset, tokens.get(contract), solicited=fact.solicited, priced=priced,
                        fan_out=fact.fan_out, marked=marks.get(asset), vouched=vouched)
        verdicts.append(replace(verdict, facts=fact))
    return verdicts
