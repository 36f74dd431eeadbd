"""The Seaport and Blur decoders on hand-built transactions whose logs carry the contracts'
real events (topic0 the keccak of the published signature, the data ABI-encoded as the
contracts emit it), through build_ledger and the lot engine.

The money of a sale, checked against the rules written out here, not the code's output:
- the buyer's cost basis is everything it paid, the fee and royalty sent to third parties
  included (IRC 1012, Treas. Reg. 1.263(a)-2(f): costs of acquiring property are capital);
- the seller's amount realized is the price less the fee and royalty that never reached it
  (IRC 1001(a), selling expenses reduce the amount realized);
- a bundle's price is shared by the items' count (nothing in the order prices them apart).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from chains.addresses import erc20_asset, nft_asset
from chains.deployments import contracts_on
from chains.evm.abi import TRANSFER, TRANSFER_SINGLE
from chains.evm.records import InternalTransfer, RawLog, RawTx, TokenInfo
from chains.registry import chain_by_id
from scanner.app.settings import asset_ranks
from scanner.ledger.build import build_ledger
from scanner.ledger.decode.protocols import DecodeContext
from scanner.ledger.decode.protocols.blur import ORDERS_MATCHED
from scanner.ledger.decode.protocols.seaport import ORDER_FULFILLED, SeaportDecoder
from scanner.ledger.decode.transfers import decode_movements
from scanner.ledger.records import Kind, LedgerEntry
from scanner.prices.book import PriceBook
from scanner.prices.records import PricePoint
from scanner.tax.lots import compute_lots
from scanner.tax.records import LotBook

BUYER = "0x" + "aa" * 20
SELLER = "0x" + "bb" * 20
OPENSEA = "0x" + "f0" * 20  # the marketplace fee's recipient
CREATOR = "0x" + "c7" * 20  # the royalty's recipient
PUNKS = "0x" + "d1" * 20  # an ERC-721 collection
ITEMS = "0x" + "e2" * 20  # an ERC-1155 collection
ZERO = "0x" + "00" * 20
SEAPORT = "0x0000000000000068f116a894984e2db1123eb395"  # Seaport 1.6
BLUR = "0x000000000000ad05ccc4f10045630fb830b95127"  # Blur Exchange
BLUR_POOL = "0x0000000000a39bb272e79075ade125fd351887ac"
WETH_ADDRESS = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
ETH = "eip155:1/slip44:60"
WETH, POOL = erc20_asset(1, WETH_ADDRESS), erc20_asset(1, BLUR_POOL)
PUNK_7, PUNK_8 = nft_asset(1, "erc721", PUNKS, 7), nft_asset(1, "erc721", PUNKS, 8)
ITEM_42 = nft_asset(1, "erc1155", ITEMS, 42)
CHAIN = chain_by_id(1)
TOKENS = {WETH_ADDRESS: TokenInfo(1, WETH_ADDRESS, "WETH", "Wrapped Ether", 18),
          BLUR_POOL: TokenInfo(1, BLUR_POOL, "BLUR POOL", "Blur Pool", 18)}
E18, GAS = 10**18, 21_000 * 10**9  # gas: 21,000 at 1 gwei
PRICE, FEE, ROYALTY = E18, E18 // 40, E18 // 40  # 1 ETH; 2.5% fee and 2.5% royalty
BOUGHT, SOLD = datetime(2024, 2, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC)

Leg = tuple[str, str, int, Kind, str]


def test_the_topics_are_the_published_signatures() -> None:
    spent = "(uint8,address,uint256,uint256)[]"
    received = "(uint8,address,uint256,uint256,address)[]"
    order = ("(address,uint8,address,address,uint256,uint256,address,uint256,uint256,uint256,"
             "(uint16,address)[],uint256,bytes)")
    published = {
        "0x" + keccak(text=f"OrderFulfilled(bytes32,address,address,address,{spent},"
                           f"{received})").hex(),
        "0x" + keccak(text=f"OrdersMatched(address,address,{order},bytes32,{order},"
                           "bytes32)").hex()}
    assert published == {ORDER_FULFILLED, ORDERS_MATCHED}


def topic(address: str) -> str:
    return "0x" + address[2:].rjust(64, "0")


def transfer(index: int, token: str, source: str, target: str, amount: int) -> RawLog:
    return RawLog(index, token, (TRANSFER, topic(source), topic(target)),
                  "0x" + format(amount, "064x"))


def erc721(index: int, source: str, target: str, token_id: int) -> RawLog:
    return RawLog(index, PUNKS, (TRANSFER, topic(source), topic(target),
                                 "0x" + format(token_id, "064x")), "0x")


def erc1155(index: int, source: str, target: str, token_id: int, amount: int) -> RawLog:
    return RawLog(index, ITEMS, (TRANSFER_SINGLE, topic(SEAPORT), topic(source),
                                 topic(target)),
                  "0x" + format(token_id, "064x") + format(amount, "064x"))


def fulfilled(index: int, offerer: str, recipient: str,
              offer: list[tuple[int, str, int, int]],
              consideration: list[tuple[int, str, int, int, str]],
              market: str = SEAPORT) -> RawLog:
    """Seaport's OrderFulfilled, as the contract emits it."""
    data = encode(["bytes32", "address", "(uint8,address,uint256,uint256)[]",
                   "(uint8,address,uint256,uint256,address)[]"],
                  [b"\x11" * 32, recipient, offer, consideration])
    return RawLog(index, market, (ORDER_FULFILLED, topic(offerer), topic(ZERO)),
                  "0x" + data.hex())


def blur_order(trader: str, side: int, token_id: int, payment: str, price: int,
               fees: list[tuple[int, str]]) -> tuple[object, ...]:
    return (trader, side, "0x" + "9a" * 20, PUNKS, token_id, 1, payment, price, 1_700_000_000,
            1_800_000_000, fees, 12345, b"")


def matched(index: int, token_id: int, payment: str, price: int,
            fees: list[tuple[int, str]]) -> RawLog:
    """Blur's OrdersMatched, the sell order the maker's, as the exchange emits it."""
    order = ("(address,uint8,address,address,uint256,uint256,address,uint256,uint256,"
             "uint256,(uint16,address)[],uint256,bytes)")
    sell = blur_order(SELLER, 1, token_id, payment, price, fees)
    buy = blur_order(BUYER, 0, token_id, payment, price, [])
    data = encode([order, "bytes32", order, "bytes32"], [sell, b"\x01" * 32, buy, b"\x02" * 32])
    return RawLog(index, BLUR, (ORDERS_MATCHED, topic(SELLER), topic(BUYER)), "0x" + data.hex())


def tx(n: int, when: datetime, sender: str, to: str, *logs: RawLog, value: int = 0,
       internal: tuple[InternalTransfer, ...] = ()) -> RawTx:
    return RawTx(chain_id=1, tx_hash="0x" + format(n, "064x"), block_number=n, tx_index=0,
                 timestamp=when, from_address=sender, to_address=to, value=value,
                 gas_used=21_000, effective_gas_price=10**9, success=True, logs=logs,
                 internal=internal)


def paid_out(market: str, *payees: tuple[str, int]) -> tuple[InternalTransfer, ...]:
    return tuple(InternalTransfer(f"0_{n}", market, to, amount)
                 for n, (to, amount) in enumerate(payees))


SPLIT = ((SELLER, PRICE - FEE - ROYALTY), (OPENSEA, FEE), (CREATOR, ROYALTY))
NATIVE_DUE = [(0, ZERO, 0, amount, to) for to, amount in SPLIT]
# a listing of punk 7 for 1 ETH, the buyer fulfilling it (fulfillBasicOrder)
BUY_WITH_ETH = tx(1, BOUGHT, BUYER, SEAPORT, erc721(0, SELLER, BUYER, 7),
                  fulfilled(1, SELLER, BUYER, [(2, PUNKS, 7, 1)], NATIVE_DUE),
                  value=PRICE, internal=paid_out(SEAPORT, *SPLIT))


def books(wallet: str, *txs: RawTx) -> tuple[list[Leg], LotBook]:
    ranks = asset_ranks([CHAIN], frozenset())
    prices = PriceBook([PricePoint(ETH, datetime(2024, 1, 1, tzinfo=UTC), Decimal(2000), "csv"),
                        PricePoint(ETH, datetime(2025, 1, 1, tzinfo=UTC), Decimal(3000), "csv"),
                        PricePoint(WETH, datetime(2024, 1, 1, tzinfo=UTC), Decimal(2000),
                                   "csv")],
                       pegged=ranks.stablecoins)
    built = build_ledger(CHAIN, list(txs), [wallet], TOKENS, prices, ranks)
    return _legs(built.entries), compute_lots(built.entries,
                                              purchase_currencies=ranks.stablecoins)


def _legs(entries: tuple[LedgerEntry, ...]) -> list[Leg]:
    return [(e.leg_key, e.asset, e.raw_amount, e.kind, e.protocol) for e in entries]


def basis(book: LotBook) -> dict[str, tuple[Decimal, Decimal | None]]:
    return {lot.asset: (lot.quantity, lot.cost_basis_usd) for lot in book.open_lots
            if "/erc" in lot.asset and lot.asset != WETH}


def test_a_buyer_paying_eth_trades_the_whole_price_fees_included_for_the_nft() -> None:
    legs, book = books(BUYER, BUY_WITH_ETH)
    assert legs == [("gas", ETH, -GAS, Kind.FEE, "gas"),
                    ("native", ETH, -PRICE, Kind.TRADE, "seaport"),
                    ("log:0", PUNK_7, 1, Kind.TRADE, "seaport")]
    # 1 ETH at $2,000: the 2.5% fee and the 2.5% royalty are part of the cost
    assert basis(book) == {PUNK_7: (Decimal(1), Decimal(2000))}


def test_a_buyer_paying_weth_on_an_accepted_offer_pays_each_recipient_as_the_cost() -> None:
    # the buyer's offer of 1 WETH, accepted by the seller: WETH goes straight from the
    # buyer to the seller, the marketplace and the creator
    due = [(2, PUNKS, 7, 1, BUYER), (1, WETH_ADDRESS, 0, FEE, OPENSEA),
           (1, WETH_ADDRESS, 0, ROYALTY, CREATOR)]
    accepted = tx(2, BOUGHT, SELLER, SEAPORT, erc721(0, SELLER, BUYER, 7),
                  transfer(1, WETH_ADDRESS, BUYER, OPENSEA, FEE),
                  transfer(2, WETH_ADDRESS, BUYER, CREATOR, ROYALTY),
                  transfer(3, WETH_ADDRESS, BUYER, SELLER, PRICE - FEE - ROYALTY),
                  fulfilled(4, BUYER, SELLER, [(1, WETH_ADDRESS, 0, PRICE)], due))
    legs, book = books(BUYER, accepted)
    assert legs == [("log:0", PUNK_7, 1, Kind.TRADE, "seaport"),
                    ("log:1", WETH, -FEE, Kind.TRADE, "seaport"),
                    ("log:2", WETH, -ROYALTY, Kind.TRADE, "seaport"),
                    ("log:3", WETH, -(PRICE - FEE - ROYALTY), Kind.TRADE, "seaport")]
    assert basis(book) == {PUNK_7: (Decimal(1), Decimal(2000))}
    # the seller, who sent the transaction, got the WETH less the fee and royalty
    seller_legs, _ = books(SELLER, accepted)
    assert seller_legs == [("gas", ETH, -GAS, Kind.FEE, "gas"),
                           ("log:0", PUNK_7, -1, Kind.TRADE, "seaport"),
                           ("log:3", WETH, PRICE - FEE - ROYALTY, Kind.TRADE, "seaport")]


def test_a_seller_paid_eth_internally_realizes_the_price_less_fee_and_royalty() -> None:
    bought = tx(3, BOUGHT, SELLER, SEAPORT, erc721(0, BUYER, SELLER, 7),
                fulfilled(1, BUYER, SELLER, [(2, PUNKS, 7, 1)], [(0, ZERO, 0, PRICE, BUYER)]),
                value=PRICE, internal=paid_out(SEAPORT, (BUYER, PRICE)))
    sale = tx(4, SOLD, BUYER, SEAPORT, erc721(0, SELLER, BUYER, 7),
              fulfilled(1, SELLER, BUYER, [(2, PUNKS, 7, 1)], NATIVE_DUE),
              value=PRICE, internal=paid_out(SEAPORT, *SPLIT))
    legs, book = books(SELLER, bought, sale)
    assert legs[3:] == [("trace:0_0", ETH, PRICE - FEE - ROYALTY, Kind.TRADE, "seaport"),
                        ("log:0", PUNK_7, -1, Kind.TRADE, "seaport")]
    (sold,) = [d for d in book.disposals if d.asset == PUNK_7]
    # amount realized: 0.95 ETH at $3,000 (the $150 of fee and royalty never arrived);
    # basis: 1 ETH at $2,000
    assert (sold.proceeds_usd, sold.cost_basis_usd, sold.gain_usd) == \
        (Decimal(2850), Decimal(2000), Decimal(850))


def test_a_sellers_eth_the_record_holds_no_trace_of_is_read_from_the_order() -> None:
    untraced = tx(5, SOLD, BUYER, SEAPORT, erc721(0, SELLER, BUYER, 7),
                  fulfilled(1, SELLER, BUYER, [(2, PUNKS, 7, 1)], NATIVE_DUE), value=PRICE)
    legs, _ = books(SELLER, untraced)
    assert legs == [("log:0", PUNK_7, -1, Kind.TRADE, "seaport"),
                    ("log:1", ETH, PRICE - FEE - ROYALTY, Kind.TRADE, "seaport")]


def test_an_erc1155_item_bought_for_eth() -> None:
    due = [(0, ZERO, 0, 3 * E18 // 10, SELLER)]
    bought = tx(6, BOUGHT, BUYER, SEAPORT, erc1155(0, SELLER, BUYER, 42, 3),
                fulfilled(1, SELLER, BUYER, [(3, ITEMS, 42, 3)], due), value=3 * E18 // 10,
                internal=paid_out(SEAPORT, (SELLER, 3 * E18 // 10)))
    legs, book = books(BUYER, bought)
    assert legs == [("gas", ETH, -GAS, Kind.FEE, "gas"),
                    ("native", ETH, -3 * E18 // 10, Kind.TRADE, "seaport"),
                    ("log:0", ITEM_42, 3, Kind.TRADE, "seaport")]
    assert basis(book) == {ITEM_42: (Decimal(3), Decimal(600))}  # 0.3 ETH at $2,000


def test_a_bundle_of_two_for_one_price_shares_the_price_by_count() -> None:
    bundle = tx(7, BOUGHT, BUYER, SEAPORT, erc721(0, SELLER, BUYER, 7),
                erc721(1, SELLER, BUYER, 8),
                fulfilled(2, SELLER, BUYER, [(2, PUNKS, 7, 1), (2, PUNKS, 8, 1)], NATIVE_DUE),
                value=PRICE, internal=paid_out(SEAPORT, *SPLIT))
    legs, book = books(BUYER, bundle)
    assert legs == [("gas", ETH, -GAS, Kind.FEE, "gas"),
                    ("native", ETH, -PRICE, Kind.TRADE, "seaport"),
                    ("log:0", PUNK_7, 1, Kind.TRADE, "seaport"),
                    ("log:1", PUNK_8, 1, Kind.TRADE, "seaport")]
    # $2,000 for two items the order does not price apart: $1,000 each
    assert basis(book) == {PUNK_7: (Decimal(1), Decimal(1000)),
                           PUNK_8: (Decimal(1), Decimal(1000))}


def test_an_order_event_from_another_contract_is_left_to_the_generic_rules() -> None:
    fake = "0x" + "66" * 20
    copied = tx(8, BOUGHT, BUYER, fake, erc721(0, SELLER, BUYER, 7),
                fulfilled(1, SELLER, BUYER, [(2, PUNKS, 7, 1)], NATIVE_DUE, market=fake),
                value=PRICE)
    legs, _ = books(BUYER, copied)
    assert {(kind, protocol) for _, _, _, kind, protocol in legs[1:]} == \
        {(Kind.TRADE, "transfer")}


def test_blur_buyer_paying_eth_and_seller_paid_less_the_royalty() -> None:
    royalty = [(50, CREATOR)]  # 0.5% of the price
    due = PRICE - PRICE * 50 // 10_000
    sale = tx(9, BOUGHT, BUYER, BLUR, erc721(0, SELLER, BUYER, 7),
              matched(1, 7, ZERO, PRICE, royalty), value=PRICE,
              internal=paid_out(BLUR, (CREATOR, PRICE * 50 // 10_000), (SELLER, due)))
    legs, book = books(BUYER, sale)
    assert legs == [("gas", ETH, -GAS, Kind.FEE, "gas"),
                    ("native", ETH, -PRICE, Kind.TRADE, "blur"),
                    ("log:0", PUNK_7, 1, Kind.TRADE, "blur")]
    assert basis(book) == {PUNK_7: (Decimal(1), Decimal(2000))}
    seller_legs, _ = books(SELLER, sale)
    assert seller_legs == [("trace:0_1", ETH, due, Kind.TRADE, "blur"),
                           ("log:0", PUNK_7, -1, Kind.TRADE, "blur")]
    untraced = tx(10, BOUGHT, BUYER, BLUR, erc721(0, SELLER, BUYER, 7),
                  matched(1, 7, ZERO, PRICE, royalty), value=PRICE)
    seller_legs, _ = books(SELLER, untraced)
    assert seller_legs == [("log:0", PUNK_7, -1, Kind.TRADE, "blur"),
                           ("log:1", ETH, due, Kind.TRADE, "blur")]


def test_blur_pool_deposit_is_a_wrap_and_pays_for_a_bid() -> None:
    deposit = tx(11, BOUGHT, BUYER, BLUR_POOL, transfer(0, BLUR_POOL, ZERO, BUYER, PRICE),
                 value=PRICE)
    # the seller takes the buyer's bid, paid in the Blur Pool's ETH
    bid = tx(12, BOUGHT, SELLER, BLUR, erc721(0, SELLER, BUYER, 7),
             transfer(1, BLUR_POOL, BUYER, SELLER, PRICE), matched(2, 7, BLUR_POOL, PRICE, []))
    legs, _ = books(BUYER, deposit, bid)
    assert legs == [("gas", ETH, -GAS, Kind.FEE, "gas"),
                    ("native", ETH, -PRICE, Kind.WRAP, "blur"),
                    ("log:0", POOL, PRICE, Kind.WRAP, "blur"),
                    ("log:0", PUNK_7, 1, Kind.TRADE, "blur"),
                    ("log:1", POOL, -PRICE, Kind.TRADE, "blur")]


def test_blur_pool_withdrawal_is_an_unwrap() -> None:
    withdrawal = tx(13, BOUGHT, BUYER, BLUR_POOL, transfer(0, BLUR_POOL, BUYER, ZERO, PRICE),
                    internal=paid_out(BLUR_POOL, (BUYER, PRICE)))
    legs, _ = books(BUYER, withdrawal)
    assert legs == [("gas", ETH, -GAS, Kind.FEE, "gas"),
                    ("trace:0_0", ETH, PRICE, Kind.UNWRAP, "blur"),
                    ("log:0", POOL, -PRICE, Kind.UNWRAP, "blur")]


def test_a_malformed_order_event_is_not_read() -> None:
    good = fulfilled(1, SELLER, BUYER, [(2, PUNKS, 7, 1)], NATIVE_DUE)
    cut = RawLog(1, SEAPORT, good.topics, good.data[:200])
    broken = tx(14, BOUGHT, BUYER, SEAPORT, erc721(0, SELLER, BUYER, 7), cut, value=PRICE)
    legs, _ = books(BUYER, broken)
    assert {protocol for _, _, _, _, protocol in legs[1:]} == {"transfer"}


def test_explain_names_the_fee_and_royalty_taken_from_the_proceeds() -> None:
    context = DecodeContext(1, ETH, WETH_ADDRESS, frozenset({SELLER}), TOKENS, contracts_on(1))
    sale = tx(15, SOLD, BUYER, SEAPORT, erc721(0, SELLER, BUYER, 7),
              fulfilled(1, SELLER, BUYER, [(2, PUNKS, 7, 1)], NATIVE_DUE), value=PRICE)
    moves = [m for m in decode_movements(sale, frozenset({SELLER}), ETH, TOKENS)
             if not m.is_fee]
    found = SeaportDecoder().refine(sale, SELLER, moves, context)
    assert found is not None
    assert found.note == ("Seaport OrderFulfilled (1 order): sold; fees and royalties to "
                          "third parties 0.05 native coin, out of the proceeds")
