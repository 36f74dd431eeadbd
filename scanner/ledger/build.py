"""Raw records -> valued ledger, for one chain, from what the store holds (no network)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from chains.addresses import asset_contract
from chains.evm.records import RawTx, TokenInfo
from chains.registry import Chain
from scanner.ledger.classify import classify
from scanner.ledger.decode.protocols import DecodeContext, ProtocolDecoder, Refinement, refine_all
from scanner.ledger.decode.registry import DECODERS
from scanner.ledger.decode.transfers import decode_movements
from scanner.ledger.rebasing import BalanceSnapshot, rebase_legs
from scanner.ledger.records import LedgerEntry, Movement
from scanner.ledger.spam import SpamVerdict, judge, widest_fan_outs
from scanner.ledger.valuation import AssetRanks, value_entries
from scanner.prices.book import PriceBook


@dataclass(frozen=True)
class ChainLedger:
    entries: tuple[LedgerEntry, ...]
    spam: tuple[SpamVerdict, ...]


def symbols_for(chain: Chain, movements: Iterable[Movement], tokens: Mapping[str, TokenInfo],
                named: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """Each asset's symbol: the token's own, else the one its decoder gave (`named`: a
    farm's receipt), an NFT's with its token id."""
    symbols: dict[str, str | None] = {chain.native_asset: chain.native_symbol}
    for move in movements:
        if move.asset in symbols:
            continue
        contract = asset_contract(move.asset) or ""
        info = tokens.get(contract)
        symbol = (info.symbol if info else None) or (named or {}).get(move.asset)
        token_id = move.asset.removeprefix(move.asset.rpartition("/")[0] + "/") \
            if move.asset.count("/") == 2 else None
        symbols[move.asset] = f"{symbol or 'NFT'}#{token_id}" if token_id else symbol
    return symbols


def decode_context(chain: Chain, wallets: frozenset[str],
                   tokens: Mapping[str, TokenInfo]) -> DecodeContext:
    return DecodeContext(chain.chain_id, chain.native_asset, chain.wrapped_native, wallets,
                         tokens, dict(chain.contracts))


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
) -> ChainLedger:
    """The chain's ledger. `spam_marks`: asset -> True (the user says spam) or False (the
    user says not spam), over the score's verdict. `snapshots`: balances of rebasing tokens,
    whose growth between them is booked (`rebase_legs`)."""
    own = frozenset(wallets)
    context = decode_context(chain, own, tokens)
    movements: list[Movement] = []
    refinements: dict[tuple[str, str], Refinement] = {}
    for tx in txs:
        moves = decode_movements(tx, own, chain.native_asset, tokens)
        for wallet, refined in refine_all(tx, moves, context, decoders).items():
            refinements[(tx.tx_hash, wallet)] = refined
            if refined.drop:
                moves = [m for m in moves
                         if m.wallet != wallet or m.leg_key not in refined.drop]
            moves.extend(refined.extra)
        movements.extend(moves)
    senders = {tx.tx_hash: tx.from_address for tx in txs}
    never_spam = ranks.stablecoins | ranks.natives | {chain.native_asset}
    verdicts = _judge_assets(movements, txs, senders, own, tokens, prices,
                             frozenset(never_spam), spam_marks or {})
    marks = spam_marks or {}
    named = {asset: symbol for refined in refinements.values()
             for asset, symbol in refined.symbols.items()}
    spam_assets = {v.asset for v in verdicts if v.is_spam and marks.get(v.asset, True)} | {
        asset for asset, spam in marks.items() if spam}
    entries = classify(movements, tx_senders=senders, own_wallets=own, spam_assets=spam_assets,
                       symbols=symbols_for(chain, movements, tokens, named),
                       refinements=refinements)
    entries += rebase_legs(snapshots, entries)
    valued = value_entries(entries, prices, ranks)
    return ChainLedger(tuple(valued), tuple(verdicts))


def _judge_assets(
    movements: list[Movement], txs: Iterable[RawTx], senders: Mapping[str, str],
    own: frozenset[str], tokens: Mapping[str, TokenInfo], prices: PriceBook,
    never_spam: frozenset[str], marks: Mapping[str, bool],
) -> list[SpamVerdict]:
    solicited: dict[str, bool] = {}
    for move in movements:
        if move.is_fee or move.asset in never_spam:
            continue
        asked = senders.get(move.tx_hash) in own or move.raw_amount < 0
        solicited[move.asset] = solicited.get(move.asset, False) or asked
    fan_outs = widest_fan_outs(txs, own)
    verdicts = []
    for asset, asked in sorted(solicited.items()):
        contract = asset_contract(asset) or ""
        verdicts.append(judge(asset, tokens.get(contract), solicited=asked,
                              priced=prices.has_any(asset), fan_out=fan_outs.get(contract),
                              marked=marks.get(asset)))
    return verdicts
