"""Seaport (OpenSea's marketplace protocol, 1.1 to 1.6): NFTs bought and sold.

Scope: the Seaport contracts of the chain (roles "seaport:<version>" in DEPLOYMENTS, the
same addresses on every chain), and one event, ABI-encoded with dynamic arrays (eth_abi):

  OrderFulfilled(bytes32 orderHash, address indexed offerer, address indexed zone,
                 address recipient, SpentItem[] offer, ReceivedItem[] consideration)
  0x9d9af8e3...cb6f31; SpentItem (uint8 itemType, address token, uint256 identifier,
  uint256 amount); ReceivedItem (the same, then address recipient)

The offerer gave the offer items to the recipient (the fulfiller), and the consideration
items went to their recipients: the offerer's due, the marketplace fee and the creator
royalty. Item types: 0 native coin, 1 ERC-20, 2 ERC-721, 3 ERC-1155 (4 and 5, their
criteria-based forms, read as 2 and 3).

Kinds, for every non-fee leg of a wallet that is the offerer, the recipient or a
consideration recipient of an order in the transaction: trade, when its net flows are NFTs
of those orders one way and what paid for them the other (the buyer's payment, fees and
royalty included, and the seller's proceeds: see marketplace.py). A seller's native coin
paid by an internal transfer that the record does not hold is added from the event. Left to
the generic rules: any other shape (a royalty received alone, an NFT moved that no order
names).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError

from chains.addresses import erc20_asset, nft_asset
from chains.evm.abi import topic_address
from chains.evm.records import RawLog, RawTx
from scanner.ledger.decode.protocols import DecodeContext, Refinement
from scanner.ledger.decode.protocols.marketplace import (
    fees_note,
    trade_refinement,
    with_unseen_pay,
)
from scanner.ledger.records import Movement

ORDER_FULFILLED = "0x9d9af8e38d66c62e2c12f0225249fd9d721c54b83f48d9352c97c6cacdcb6f31"
PROTOCOL = "seaport"
ROLE = "seaport:"  # "seaport:1.6"...
NATIVE, ERC20, ERC721, ERC1155, ERC721_CRITERIA, ERC1155_CRITERIA = range(6)
_STANDARDS = {ERC721: "erc721", ERC1155: "erc1155", ERC721_CRITERIA: "erc721",
              ERC1155_CRITERIA: "erc1155"}
_DATA = ("bytes32", "address", "(uint8,address,uint256,uint256)[]",
         "(uint8,address,uint256,uint256,address)[]")


@dataclass(frozen=True)
class Item:
    item_type: int
    token: str
    identifier: int
    amount: int
    recipient: str | None  # a consideration item's; None for an offer item

    def asset(self, context: DecodeContext) -> str | None:
        if self.item_type == NATIVE:
            return context.native_asset
        if self.item_type == ERC20:
            return erc20_asset(context.chain_id, self.token)
        standard = _STANDARDS.get(self.item_type)
        return None if standard is None else \
            nft_asset(context.chain_id, standard, self.token, self.identifier)


@dataclass(frozen=True)
class Fulfilment:
    log_index: int
    market: str
    order_hash: str
    offerer: str
    recipient: str
    offer: tuple[Item, ...]
    consideration: tuple[Item, ...]

    @property
    def parties(self) -> frozenset[str]:
        payees = {item.recipient for item in self.consideration if item.recipient}
        return frozenset({self.offerer, self.recipient, *payees})

    def native_to(self, wallet: str) -> int:
        return sum(i.amount for i in self.consideration
                   if i.item_type == NATIVE and i.recipient == wallet)

    def third_parties(self) -> list[Item]:
        """The payments to neither side of the order: the marketplace fee, the royalty."""
        return [i for i in self.consideration if i.item_type in (NATIVE, ERC20)
                and i.recipient not in (self.offerer, self.recipient)]


def fulfilment(log: RawLog) -> Fulfilment | None:
    """A Seaport OrderFulfilled, or None (another event, or malformed)."""
    if len(log.topics) != 3 or log.topics[0] != ORDER_FULFILLED:
        return None
    offerer = topic_address(log.topics[1])
    if offerer is None:
        return None
    try:
        order_hash, recipient, offer, consideration = decode(
            _DATA, bytes.fromhex(log.data.removeprefix("0x")))
    except (DecodingError, ValueError, OverflowError):
        return None
    return Fulfilment(
        log.log_index, log.address, "0x" + bytes(order_hash).hex(), offerer,
        str(recipient).lower(),
        tuple(Item(kind, str(token).lower(), identifier, amount, None)
              for kind, token, identifier, amount in offer),
        tuple(Item(kind, str(token).lower(), identifier, amount, str(to).lower())
              for kind, token, identifier, amount, to in consideration))


class SeaportDecoder:
    name = "seaport"

    def refine(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
               context: DecodeContext) -> Refinement | None:
        if not tx.success or not any(log.topics and log.topics[0] == ORDER_FULFILLED
                                     for log in tx.logs):
            return None
        markets = {address for role, address in context.contracts.items()
                   if role.startswith(ROLE)}
        if not markets:
            return None
        orders = [f for log in tx.logs if log.address in markets
                  and (f := fulfilment(log)) is not None and wallet in f.parties]
        if not orders:
            return None
        items = frozenset(asset for order in orders
                          for item in (*order.offer, *order.consideration)
                          if item.item_type in _STANDARDS
                          and (asset := item.asset(context)) is not None)
        paid: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for order in orders:
            paid[order.market].append((order.log_index, order.native_to(wallet)))
        found = with_unseen_pay(tx, wallet, moves, paid, items, context)
        if found is None:
            return None
        legs, extra, side = found
        fees: dict[str, int] = defaultdict(int)
        for order in orders:
            for item in order.third_parties():
                fees[item.asset(context) or ""] += item.amount
        label = "order" if len(orders) == 1 else "orders"
        note = (f"Seaport OrderFulfilled ({len(orders)} {label}): {side}; "
                f"{fees_note(side, fees, context)}")
        return trade_refinement(self.name, PROTOCOL, legs, extra, note)
