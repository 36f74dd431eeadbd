"""What the NFT marketplace decoders (Seaport, Blur) share: an NFT trade in the wallet's net
flows, and the native coin a marketplace paid the wallet by an internal transfer that the
transaction's record may not hold.

How a sale's money is booked (IRC 1012 for the buyer, 1001 for the seller):

- the buyer's legs are what it paid, every one of them a trade leg: the seller's share and
  the marketplace fee and creator royalty the order sends to third parties alike. So the
  whole price is the NFT's cost (the fees are added to its basis) and the disposal of the
  coin paid realizes that whole price, fees included.
- the seller's legs are the NFT given and what arrived: the fee and royalty never reach its
  wallet (the buyer's payment goes straight to their recipients), so its proceeds are the
  price less them: the fees reduce the proceeds.

No fee leg is made up for either: a leg the wallet never had would break its net flows
(Kind.FEE is the gas the wallet itself paid). The note names the third parties' share.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from chains.evm.records import RawTx
from scanner.ledger.decode.protocols import DecodeContext, Refinement, event_leg
from scanner.ledger.decode.transfers import NATIVE_DECIMALS
from scanner.ledger.records import Kind, Movement


def is_item(asset: str) -> bool:
    """Whether `asset` is an NFT (an ERC-721 or ERC-1155 token id)."""
    return "/erc721:" in asset or "/erc1155:" in asset


def net_flows(legs: Iterable[Movement]) -> dict[str, int]:
    net: dict[str, int] = defaultdict(int)
    for leg in legs:
        net[leg.asset] += leg.raw_amount
    return {asset: amount for asset, amount in net.items() if amount}


def trade_side(legs: Sequence[Movement], items: frozenset[str]) -> str | None:
    """"bought" or "sold" when the wallet's net flows are an NFT trade of the marketplace's
    orders: NFTs (each among `items`, the orders' own) on one side and something on the
    other; "swapped" for NFTs both ways; None for any other shape."""
    net = net_flows(legs)
    nfts = {asset: amount for asset, amount in net.items() if is_item(asset)}
    if not nfts or not set(nfts) <= items:
        return None
    if not any(amount < 0 for amount in net.values()) or \
            not any(amount > 0 for amount in net.values()):
        return None
    if all(amount > 0 for amount in nfts.values()):
        return "bought"
    if all(amount < 0 for amount in nfts.values()):
        return "sold"
    return "swapped"


def unseen_native_pay(tx: RawTx, wallet: str, moves: Sequence[Movement], market: str,
                      paid: Sequence[tuple[int, int]],
                      context: DecodeContext) -> list[Movement]:
    """Legs for the native coin `market` paid the wallet, one per (log index of the event
    that says so, amount), when no internal transfer of the record shows it (a node without
    traces): none when one does, whose amounts stand."""
    native = context.native_asset
    if any(m.asset == native and m.raw_amount > 0 and m.counterparty == market for m in moves):
        return []
    return [event_leg(tx, wallet, index, native, amount, NATIVE_DECIMALS, market)
            for index, amount in paid if amount > 0]


def with_unseen_pay(tx: RawTx, wallet: str, moves: Sequence[Movement],
                    paid: Mapping[str, Sequence[tuple[int, int]]], items: frozenset[str],
                    context: DecodeContext) -> tuple[list[Movement], list[Movement], str] | None:
    """The wallet's legs with the native coin each market paid it unseen (`paid`: market ->
    (log index, amount)), those added legs, and the trade's side; None when the legs are
    not a trade of `items`."""
    extra = [leg for market, amounts in sorted(paid.items())
             for leg in unseen_native_pay(tx, wallet, moves, market, amounts, context)]
    legs = [*moves, *extra]
    side = trade_side(legs, items)
    return None if side is None else (legs, extra, side)


def trade_refinement(decoder: str, protocol: str, legs: Sequence[Movement],
                     extra: Sequence[Movement], note: str) -> Refinement:
    return Refinement(decoder=decoder, kinds={leg.leg_key: Kind.TRADE for leg in legs},
                      protocol=protocol, extra=tuple(extra), note=note)


def amounts_text(amounts: Mapping[str, int], context: DecodeContext) -> str:
    """`{asset: base units}` as "0.025 ETH, 10 USDC", in the tokens' own units."""
    parts = []
    for asset, amount in sorted(amounts.items()):
        symbol, decimals = _unit(asset, context)
        parts.append(f"{Decimal(amount).scaleb(-decimals).normalize():f} {symbol}")
    return ", ".join(parts)


def fees_note(side: str, fees: Mapping[str, int], context: DecodeContext) -> str:
    """What the note says of the fees and royalties the orders sent to third parties."""
    if not fees:
        return "no fee or royalty to third parties"
    where = "in the cost" if side == "bought" else "out of the proceeds"
    return f"fees and royalties to third parties {amounts_text(fees, context)}, {where}"


def _unit(asset: str, context: DecodeContext) -> tuple[str, int]:
    if asset == context.native_asset:
        return "native coin", NATIVE_DECIMALS
    token = asset.rpartition(":")[2]
    info = context.tokens.get(token)
    if info is None or info.decimals is None:
        return token, 0
    return info.symbol or token, info.decimals
