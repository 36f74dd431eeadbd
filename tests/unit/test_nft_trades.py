"""NFTs bought and sold in one transaction with a stablecoin or the native coin: each token id
is an asset of its own, the trade is valued by the priced leg, and the sale realizes a gain
against what was paid. Through the real pipeline (decode, classify, value) and the engine."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from chains.addresses import erc20_asset, nft_asset
from chains.evm.abi import TRANSFER, TRANSFER_SINGLE
from chains.evm.records import InternalTransfer, RawLog, RawTx, TokenInfo
from chains.registry import chain_by_id
from scanner.app.settings import asset_ranks
from scanner.ledger.build import build_ledger
from scanner.ledger.records import Kind, LedgerEntry
from scanner.prices.book import PriceBook
from scanner.prices.records import PricePoint
from scanner.tax.lots import compute_lots
from scanner.tax.records import LotBook

ME = "0x" + "aa" * 20
SELLER = "0x" + "bb" * 20
MARKET = "0x" + "cc" * 20
PUNKS = "0x" + "d1" * 20  # an ERC-721 collection
ITEMS = "0x" + "e2" * 20  # an ERC-1155 collection
USDC = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"  # the registry's mainnet USDC
ETH = "eip155:1/slip44:60"
CHAIN = chain_by_id(1)
TOKENS = {USDC: TokenInfo(1, USDC, "USDC", "USD Coin", 6)}


def word(value: int) -> str:
    return format(value, "064x")


def topic(address: str) -> str:
    return "0x" + address[2:].rjust(64, "0")


def tx(n: int, when: datetime, *logs: RawLog, value: int = 0,
       internal: tuple[InternalTransfer, ...] = ()) -> RawTx:
    return RawTx(chain_id=1, tx_hash="0x" + format(n, "064x"), block_number=n, tx_index=0,
                 timestamp=when, from_address=ME, to_address=MARKET, value=value,
                 gas_used=0, effective_gas_price=0, success=True, logs=logs,
                 internal=internal)


def erc721(index: int, source: str, target: str, token_id: int) -> RawLog:
    return RawLog(index, PUNKS, (TRANSFER, topic(source), topic(target), "0x" + word(token_id)),
                  "0x")


def erc1155(index: int, source: str, target: str, token_id: int, amount: int) -> RawLog:
    return RawLog(index, ITEMS, (TRANSFER_SINGLE, topic(MARKET), topic(source), topic(target)),
                  "0x" + word(token_id) + word(amount))


def usdc(index: int, source: str, target: str, amount: int) -> RawLog:
    return RawLog(index, USDC, (TRANSFER, topic(source), topic(target)), "0x" + word(amount))


BUY_721 = tx(1, datetime(2024, 2, 1, tzinfo=UTC), usdc(0, ME, SELLER, 1_500 * 10**6),
             erc721(1, SELLER, ME, 7))
BUY_1155 = tx(2, datetime(2024, 3, 1, tzinfo=UTC), erc1155(0, SELLER, ME, 42, 3),
              value=3 * 10**17)
SELL_721 = tx(3, datetime(2025, 4, 1, tzinfo=UTC), erc721(0, ME, SELLER, 7),
              internal=(InternalTransfer("0", MARKET, ME, 10**18),))


def books(*txs: RawTx) -> tuple[tuple[LedgerEntry, ...], LotBook]:
    ranks = asset_ranks([CHAIN], frozenset())
    prices = PriceBook([PricePoint(ETH, datetime(2024, 1, 1, tzinfo=UTC), Decimal(2000), "csv"),
                        PricePoint(ETH, datetime(2025, 1, 1, tzinfo=UTC), Decimal(3000), "csv")],
                       pegged=ranks.stablecoins)
    built = build_ledger(CHAIN, list(txs), [ME], TOKENS, prices, ranks)
    return built.entries, compute_lots(built.entries, purchase_currencies=ranks.stablecoins)


def test_each_token_id_is_an_asset_of_its_own_bought_in_a_trade() -> None:
    entries, book = books(BUY_721, BUY_1155)
    nfts = {e.asset: e for e in entries if e.asset.startswith("eip155:1/erc")
            and e.asset != erc20_asset(1, USDC)}
    assert set(nfts) == {nft_asset(1, "erc721", PUNKS, 7), nft_asset(1, "erc1155", ITEMS, 42)}
    assert {e.kind for e in entries} == {Kind.TRADE}
    basis = {lot.asset: (lot.quantity, lot.cost_basis_usd) for lot in book.open_lots}
    assert basis[nft_asset(1, "erc721", PUNKS, 7)] == (Decimal(1), Decimal(1500))
    # three items for 0.3 ETH at $2,000
    assert basis[nft_asset(1, "erc1155", ITEMS, 42)] == (Decimal(3), Decimal(600))


def test_selling_the_nft_realizes_the_gain_against_what_was_paid() -> None:
    _, book = books(BUY_721, SELL_721)
    sold = [d for d in book.disposals if d.asset == nft_asset(1, "erc721", PUNKS, 7)]
    assert [(d.quantity, d.proceeds_usd, d.cost_basis_usd, d.gain_usd) for d in sold] == \
        [(Decimal(1), Decimal(3000), Decimal(1500), Decimal(1500))]
