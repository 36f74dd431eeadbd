"""Blur: NFTs bought and sold on the Blur Exchange (v1), and the Blur Pool, its ETH wrapper.

Scope: the chain's "blur:exchange" and "blur:pool" contracts (DEPLOYMENTS), and:

- OrdersMatched(address indexed maker, address indexed taker, Order sell, bytes32 sellHash,
  Order buy, bytes32 buyHash)                                               0x61cbb2a3...2f64
  Order (address trader, uint8 side, address matchingPolicy, address collection,
  uint256 tokenId, uint256 amount, address paymentToken, uint256 price, uint256 listingTime,
  uint256 expirationTime, (uint16 rate, address recipient)[] fees, uint256 salt,
  bytes extraParams), ABI-encoded with dynamic parts (eth_abi)
- the Blur Pool's Transfer from the zero address (ETH deposited) and to it (withdrawn)

The sell order's trader gave `amount` of `collection`'s `tokenId` to the buy order's trader
for `price` of `paymentToken` (the zero address: the native coin; else WETH or the Blur
Pool), of which the sell order's fees (rate in basis points of the price) went to their
recipients and the rest to the seller.

Kinds, for every non-fee leg of the wallet:

- trade: the wallet is a side of a match and its net flows are those NFTs one way and the
  payment the other (the buyer's payment, fees included, and the seller's proceeds: see
  marketplace.py); a seller's native coin paid by an internal transfer that the record does
  not hold is added from the event
- wrap / unwrap: the wallet's own legs are exactly the native coin into the Blur Pool's
  token, or back, in equal amounts

Left to the generic rules: any other shape.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError

from chains.addresses import erc20_asset, nft_asset
from chains.evm.abi import ZERO_ADDRESS, topic_address
from chains.evm.records import RawLog, RawTx
from scanner.ledger.decode.protocols import DecodeContext, Refinement
from scanner.ledger.decode.protocols.marketplace import (
    fees_note,
    net_flows,
    trade_refinement,
    with_unseen_pay,
)
from scanner.ledger.records import Kind, Movement

ORDERS_MATCHED = "0x61cbb2a3dee0b6064c2e681aadd61677fb4ef319f0b547508d495626f5a62f64"
PROTOCOL = "blur"
EXCHANGE_ROLE, POOL_ROLE = "blur:exchange", "blur:pool"
BASIS_POINTS = 10_000
_ORDER = ("(address,uint8,address,address,uint256,uint256,address,uint256,uint256,uint256,"
          "(uint16,address)[],uint256,bytes)")
_DATA = (_ORDER, "bytes32", _ORDER, "bytes32")


@dataclass(frozen=True)
class Match:
    log_index: int
    market: str
    seller: str
    buyer: str
    collection: str
    token_id: int
    payment_token: str  # the zero address for the native coin
    price: int
    fees: tuple[tuple[int, str], ...]  # the sell order's (rate in basis points, recipient)

    def fee_amounts(self) -> list[tuple[int, str]]:
        """(amount, recipient) of each fee, as the exchange works it out from the price."""
        return [(self.price * rate // BASIS_POINTS, to) for rate, to in self.fees]

    def proceeds(self) -> int:
        return self.price - sum(amount for amount, _ in self.fee_amounts())

    def payment(self, context: DecodeContext) -> str:
        if self.payment_token == ZERO_ADDRESS:
            return context.native_asset
        return erc20_asset(context.chain_id, self.payment_token)

    def items(self, chain_id: int) -> tuple[str, str]:
        """The NFT as either standard: the event does not say which."""
        return (nft_asset(chain_id, "erc721", self.collection, self.token_id),
                nft_asset(chain_id, "erc1155", self.collection, self.token_id))


def orders_matched(log: RawLog) -> Match | None:
    """A Blur Exchange OrdersMatched, or None (another event, or malformed)."""
    if len(log.topics) != 3 or log.topics[0] != ORDERS_MATCHED:
        return None
    if topic_address(log.topics[1]) is None or topic_address(log.topics[2]) is None:
        return None
    try:
        sell, _, buy, _ = decode(_DATA, bytes.fromhex(log.data.removeprefix("0x")))
    except (DecodingError, ValueError, OverflowError):
        return None
    fees = tuple((int(rate), str(to).lower()) for rate, to in sell[10])
    return Match(log.log_index, log.address, str(sell[0]).lower(), str(buy[0]).lower(),
                 str(sell[3]).lower(), sell[4], str(sell[6]).lower(), sell[7], fees)


class BlurDecoder:
    name = "blur"

    def refine(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
               context: DecodeContext) -> Refinement | None:
        if not tx.success:
            return None
        exchanges = context.addresses(EXCHANGE_ROLE)
        matches = [m for log in tx.logs if log.address in exchanges
                   and (m := orders_matched(log)) is not None and wallet in (m.seller,
                                                                             m.buyer)]
        if matches:
            return self._trade(tx, wallet, moves, matches, context)
        for pool in context.addresses(POOL_ROLE):
            found = self._pool(wallet, moves, pool, context)
            if found is not None:
                return found
        return None

    def _trade(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
               matches: Sequence[Match], context: DecodeContext) -> Refinement | None:
        items = frozenset(a for m in matches for a in m.items(context.chain_id))
        paid: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for m in matches:
            native = m.payment_token == ZERO_ADDRESS and m.seller == wallet
            paid[m.market].append((m.log_index, m.proceeds() if native else 0))
        found = with_unseen_pay(tx, wallet, moves, paid, items, context)
        if found is None:
            return None
        legs, extra, side = found
        fees: dict[str, int] = defaultdict(int)
        for m in matches:
            for amount, to in m.fee_amounts():
                if to not in (m.seller, m.buyer):
                    fees[m.payment(context)] += amount
        label = "match" if len(matches) == 1 else "matches"
        note = f"Blur OrdersMatched ({len(matches)} {label}): {side}; " \
               f"{fees_note(side, fees, context)}"
        return trade_refinement(self.name, PROTOCOL, legs, extra, note)

    def _pool(self, wallet: str, moves: Sequence[Movement], pool: str,
              context: DecodeContext) -> Refinement | None:
        """The native coin into the Blur Pool (minted to the wallet) or back (burned)."""
        token = erc20_asset(context.chain_id, pool)
        pooled = [m for m in moves if m.asset == token]
        if not pooled or any(m.counterparty != ZERO_ADDRESS for m in pooled):
            return None  # not minted or burned for the wallet: a payment in the pool's ETH
        net = net_flows(moves)
        if set(net) != {token, context.native_asset} or \
                net[token] != -net[context.native_asset]:
            return None
        wrap = net[token] > 0
        note = "Blur Pool deposit: the native coin wrapped" if wrap else \
            "Blur Pool withdrawal: the native coin unwrapped"
        kind = Kind.WRAP if wrap else Kind.UNWRAP
        return Refinement(decoder=self.name, kinds={m.leg_key: kind for m in moves},
                          protocol=PROTOCOL, note=note)
