"""Movements -> ledger entries, by the generic net-flow rules of DESIGN.md."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping

from chains.addresses import asset_contract
from scanner.ledger.decode.protocols import Refinement
from scanner.ledger.records import Kind, LedgerEntry, Movement

PROTOCOL_GENERIC = "transfer"
PROTOCOL_GAS = "gas"
# an inflow in the wallet's own transaction that no claim explains: a transfer in at fair
# value, listed for review (scanner.ledger.positions may find it coming back from a position)
UNEXPLAINED = "unexplained"


def group_id(chain_id: int, tx_hash: str, wallet: str) -> str:
    return f"{chain_id}:{tx_hash}:{wallet}"


def classify(
    movements: Iterable[Movement],
    *,
    executed_by: Mapping[str, Collection[str]],
    own_wallets: Collection[str],
    spam_assets: Collection[str],
    symbols: Mapping[str, str | None],
    refinements: Mapping[tuple[str, str], Refinement] | None = None,
    claims: Mapping[str, Mapping[str, str]] | None = None,
) -> list[LedgerEntry]:
    """Kinds per (transaction, wallet): a protocol decoder's refinement when there is one
    (keyed by (tx_hash, wallet)), else the generic rules on net flows; spam legs stay in,
    marked as spam. `executed_by`: tx_hash -> the addresses whose own transaction it is
    (its sender, a contract wallet that executed it: `executors`). `claims`: tx_hash ->
    token contract -> the distributor that paid it out with a claim event
    (`claim_payouts`): of the inflows in the wallet's own transaction, those are income;
    the others are transfers in, `UNEXPLAINED`."""
    groups: dict[tuple[str, str], list[Movement]] = defaultdict(list)
    for move in movements:
        groups[(move.tx_hash, move.wallet)].append(move)
    entries: list[LedgerEntry] = []
    for (tx_hash, wallet), moves in groups.items():
        refined = (refinements or {}).get((tx_hash, wallet))
        # a spam token in the group (marked by the user, or dropped into the transaction)
        # leaves it to the generic rules, which keep spam out of the net flows
        if refined is not None and all(m.leg_key in refined.kinds and
                                       m.asset not in spam_assets
                                       for m in moves if not m.is_fee):
            kinds = [Kind.FEE if m.is_fee else refined.kinds[m.leg_key] for m in moves]
            protocols = [refined.protocol] * len(moves)
        else:
            own = wallet in executed_by.get(tx_hash, ())
            paid = (claims or {}).get(tx_hash, {})
            kinds = _group_kinds(moves, own, own_wallets, spam_assets, paid)
            protocols = [UNEXPLAINED if own and kind is Kind.TRANSFER_IN else PROTOCOL_GENERIC
                         for kind in kinds]
        for move, kind, protocol in zip(moves, kinds, protocols, strict=True):
            entries.append(LedgerEntry(
                chain_id=move.chain_id, tx_hash=move.tx_hash, leg_key=move.leg_key,
                log_index=move.log_index, block_number=move.block_number,
                tx_index=move.tx_index, timestamp=move.timestamp, wallet=move.wallet,
                kind=kind, protocol=PROTOCOL_GAS if move.is_fee else protocol,
                asset=move.asset, symbol=symbols.get(move.asset), raw_amount=move.raw_amount,
                decimals=move.decimals, counterparty=move.counterparty,
                group_id=group_id(move.chain_id, tx_hash, wallet),
            ))
    return entries


def _group_kinds(
    moves: list[Movement], sent_by_wallet: bool, own_wallets: Collection[str],
    spam_assets: Collection[str], claimed: Mapping[str, str],
) -> list[Kind]:
    net: dict[str, int] = defaultdict(int)
    for move in moves:
        if not move.is_fee and move.asset not in spam_assets:
            net[move.asset] += move.raw_amount
    has_out = any(amount < 0 for amount in net.values())
    has_in = any(amount > 0 for amount in net.values())
    kinds = []
    for move in moves:
        if move.is_fee:
            kinds.append(Kind.FEE)
        elif move.asset in spam_assets:
            kinds.append(Kind.SPAM)
        elif has_out and has_in:
            kinds.append(Kind.TRADE)
        elif move.counterparty is not None and move.counterparty in own_wallets:
            kinds.append(Kind.SELF_TRANSFER)
        elif move.raw_amount > 0:
            payer = claimed.get(asset_contract(move.asset) or "")
            claim = sent_by_wallet and payer is not None and payer == move.counterparty
            kinds.append(Kind.INCOME if claim else Kind.TRANSFER_IN)
        else:
            kinds.append(Kind.TRANSFER_OUT)
    return kinds
