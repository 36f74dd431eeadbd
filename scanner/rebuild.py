"""Raw records -> valued ledger, for one chain, from what the store holds (no network)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from chains.registry import Chain
from scanner.addresses import asset_contract, erc20_asset
from scanner.classify import classify, group_id
from scanner.decode.protocols import DecodeContext, ProtocolDecoder, Refinement, refine_all
from scanner.decode.registry import DECODERS
from scanner.decode.transfers import decode_movements
from scanner.prices.book import PriceBook
from scanner.spam import SpamVerdict, judge, widest_fan_outs
from scanner.types import NOT_HOLDINGS, Kind, LedgerEntry, Movement, RawTx, TokenInfo
from scanner.valuation import AssetRanks, value_entries


@dataclass(frozen=True)
class ChainLedger:
    entries: tuple[LedgerEntry, ...]
    spam: tuple[SpamVerdict, ...]


def symbols_for(chain: Chain, movements: Iterable[Movement],
                tokens: Mapping[str, TokenInfo]) -> dict[str, str | None]:
    symbols: dict[str, str | None] = {chain.native_asset: chain.native_symbol}
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
    spam_assets = {v.asset for v in verdicts if v.is_spam and marks.get(v.asset, True)} | {
        asset for asset, spam in marks.items() if spam}
    entries = classify(movements, tx_senders=senders, own_wallets=own, spam_assets=spam_assets,
                       symbols=symbols_for(chain, movements, tokens), refinements=refinements)
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


# ---- rebasing tokens: growth without Transfer events -------------------------------------

REBASE = "rebase"  # the protocol and leg key of booked growth
REBASE_TX_INDEX = 2**31 - 1  # after every transaction of its block


@dataclass(frozen=True)
class BalanceSnapshot:
    """What balanceOf(wallet) of a rebasing token said at the end of a block."""

    chain_id: int
    wallet: str
    token: str  # lowercase address
    block_number: int
    timestamp: datetime
    raw_balance: int


def rebase_id(block_number: int, token: str, wallet: str) -> str:
    """The ledger's transaction id of growth booked at a snapshot: stable, unique per wallet
    (so is the lot it opens), and never mistaken for a transaction hash."""
    return f"{REBASE}:{block_number}:{token}:{wallet}"


def rebase_legs(snapshots: Iterable[BalanceSnapshot],
                entries: Iterable[LedgerEntry]) -> list[LedgerEntry]:
    """The growth (or shrinkage) of each (wallet, token) between its snapshots that no leg
    of the ledger explains: at each snapshot S, the balance expected is the previous
    snapshot's (0 before the first) plus the legs in the blocks after it up to S's; what the
    chain holds beyond that is income at S (protocol `rebase`), and what it holds short of
    it leaves the books as a transfer out (a negative rebase, or a token's rounding).

    Snapshots before the wallet's first leg of the token only set the opening balance:
    what was held before the ledger knew of it is not growth (reconcile reports it as an
    unexplained opening balance). Tokens whose legs are spam or debt are left alone."""
    held: dict[tuple[str, str], list[LedgerEntry]] = defaultdict(list)
    for entry in entries:
        held[(entry.wallet, entry.asset)].append(entry)
    series: dict[tuple[str, str], list[BalanceSnapshot]] = defaultdict(list)
    for snap in snapshots:
        series[(snap.wallet, erc20_asset(snap.chain_id, snap.token))].append(snap)
    out: list[LedgerEntry] = []
    for (wallet, asset), snaps in sorted(series.items()):
        legs = sorted(held.get((wallet, asset), ()), key=lambda e: e.block_number)
        if not legs or any(leg.kind in NOT_HOLDINGS for leg in legs):
            continue
        model = legs[0]
        previous: int | None = None  # the last snapshot's balance
        moved = 0  # the legs since the last snapshot
        cursor = 0
        for snap in sorted(snaps, key=lambda s: s.block_number):
            while cursor < len(legs) and legs[cursor].block_number <= snap.block_number:
                moved += legs[cursor].raw_amount
                cursor += 1
            if cursor == 0:
                previous = snap.raw_balance  # before the ledger's first leg: the opening
                continue
            growth = snap.raw_balance - ((previous or 0) + moved)
            previous, moved = snap.raw_balance, 0
            if growth == 0:
                continue
            tx_hash = rebase_id(snap.block_number, snap.token, wallet)
            out.append(LedgerEntry(
                chain_id=snap.chain_id, tx_hash=tx_hash, leg_key=REBASE, log_index=None,
                block_number=snap.block_number, tx_index=REBASE_TX_INDEX,
                timestamp=snap.timestamp, wallet=wallet,
                kind=Kind.INCOME if growth > 0 else Kind.TRANSFER_OUT, protocol=REBASE,
                asset=asset, symbol=model.symbol, raw_amount=growth, decimals=model.decimals,
                counterparty=None, group_id=group_id(snap.chain_id, tx_hash, wallet)))
    return out
