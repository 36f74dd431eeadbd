"""Receipts, by their shape alone: assets put into a contract that mints the wallet a token
for them in the same transaction, or that token given back and burned for assets.

This is the generic floor under the protocol decoders: it knows no address and no event of
a protocol, so it reads LP tokens of any AMM, vault shares, gauge and Convex deposit tokens
alike. Read from the transaction's token Transfer events only:

- minted for the wallet: a token the wallet received, each leg of it minted (Transfer from
  the zero address) to the wallet, or to the address that passed it on, which was minted at
  least that much of it in the transaction (a zap, a router)
- burned by the wallet: a token the wallet gave, each leg of it burned (Transfer to the zero
  address) by the wallet, or by the address it went to, which burned at least that much of
  it in the transaction (a zap, a pool that burns its LP token)

Kinds, for every non-fee leg of the wallet, in its own transaction (`executors`):

- deposit:  some token minted for the wallet, nothing burned by it, and every other asset
  it moved went out (net), each leg to a contract of the transaction (its `to`, or an
  address that emitted one of its events): the assets into the receipt
- withdraw: some token burned by the wallet, nothing minted for it, and every other asset
  it moved came in (net): the receipt back into its assets

Assets that net to nothing (an LP token minted to the wallet and staked at once in a gauge,
whose own token is the receipt) take the kind of the rest. Left to other rules: a receipt
minted and another burned at once (a migration, a zap from one vault to another), an NFT
moving, the wallet's assets going to an address that took no part, or anything coming back
that was not minted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence

from chains.addresses import asset_contract, erc20_asset
from chains.evm.abi import ZERO_ADDRESS
from chains.evm.records import RawTx
from scanner.ledger.decode.executors import executors
from scanner.ledger.decode.protocols import DecodeContext, Refinement
from scanner.ledger.decode.transfers import token_transfers
from scanner.ledger.records import Kind, Movement

PROTOCOL = "receipt"


class ReceiptDecoder:
    name = "receipt"

    def refine(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
               context: DecodeContext) -> Refinement | None:
        if not tx.success or not moves or wallet not in executors(tx):
            return None
        if any(m.asset.count("/") == 2 for m in moves):
            return None  # an NFT moved: a mint of one is a purchase, not a receipt
        net: dict[str, int] = defaultdict(int)
        for move in moves:
            net[move.asset] += move.raw_amount
        ins = {asset for asset, amount in net.items() if amount > 0}
        outs = {asset for asset, amount in net.items() if amount < 0}
        if not ins or not outs:
            return None
        minted, burned = _supply_changes(tx, context.chain_id)
        made = {a for a in ins if _all_legs(moves, a, 1, minted)}
        unmade = {a for a in outs if _all_legs(moves, a, -1, burned)}
        if made and not unmade and made == ins:
            if not _to_participants(tx, moves, outs):
                return None
            return self._all(moves, Kind.DEPOSIT, made, context, "minted to the wallet for "
                             "the assets it put in: a deposit into the receipt, basis carried")
        if unmade and not made and unmade == outs:
            return self._all(moves, Kind.WITHDRAW, unmade, context, "given back and burned "
                             "for the assets: the receipt withdrawn, basis carried")
        return None

    def _all(self, moves: Sequence[Movement], kind: Kind, receipts: Collection[str],
             context: DecodeContext, what: str) -> Refinement:
        named = ", ".join(f"{_symbol(context, a)} ({asset_contract(a)})" for a in sorted(receipts))
        return Refinement(decoder=self.name, kinds={m.leg_key: kind for m in moves},
                          protocol=PROTOCOL, note=f"receipt {named} {what}")


# (chain asset, holder) -> base units minted to it (or burned by it) in the transaction
Changes = dict[tuple[str, str], int]


def _supply_changes(tx: RawTx, chain_id: int) -> tuple[Changes, Changes]:
    minted: Changes = defaultdict(int)
    burned: Changes = defaultdict(int)
    for log in tx.logs:
        for item in token_transfers(log):
            if item.asset_kind != "erc20" or item.sender == item.recipient:
                continue
            asset = erc20_asset(chain_id, item.token)
            if item.sender == ZERO_ADDRESS:
                minted[(asset, item.recipient)] += item.amount
            elif item.recipient == ZERO_ADDRESS:
                burned[(asset, item.sender)] += item.amount
    return minted, burned


def _all_legs(moves: Sequence[Movement], asset: str, sign: int, changed: Changes) -> bool:
    """Whether every leg of `asset` the way `sign` says was minted (1) or burned (-1): with
    the zero address, or by the counterparty, which was minted (burned) at least as much."""
    legs = [m for m in moves if m.asset == asset and m.raw_amount * sign > 0]
    passed: dict[str, int] = defaultdict(int)
    for leg in legs:
        if leg.counterparty != ZERO_ADDRESS:
            passed[leg.counterparty or ""] += abs(leg.raw_amount)
    return bool(legs) and all(changed.get((asset, holder), 0) >= amount
                              for holder, amount in passed.items())


def _to_participants(tx: RawTx, moves: Sequence[Movement], outs: set[str]) -> bool:
    """Whether every leg of the assets put in went to a contract of the transaction."""
    present = {log.address for log in tx.logs}
    if tx.to_address is not None:
        present.add(tx.to_address)
    return all(m.counterparty in present for m in moves
               if m.asset in outs and m.raw_amount < 0)


def _symbol(context: DecodeContext, asset: str) -> str:
    info = context.tokens.get(asset_contract(asset) or "")
    return info.symbol if info and info.symbol else "token"
