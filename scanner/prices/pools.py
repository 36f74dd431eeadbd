"""Prices from the chain itself: a Uniswap V2 pool against a USD stablecoin or the
wrapped native, at the block before the moment (so a trade does not price itself), with
the pool's liquidity in USD as the quote's confidence."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from chains.addresses import asset_chain_id, asset_contract
from chains.evm.pools import UniswapV2Reader
from chains.registry import Chain
from scanner.prices.sources import PriceRequest, Quote

SOURCE = "uniswap-v2"


class PoolPrices:
    name = SOURCE

    def __init__(self, reader: UniswapV2Reader, chain: Chain) -> None:
        self.reader = reader
        self.chain = chain

    def quotes(self, requests: Sequence[PriceRequest]) -> list[Quote]:
        quotes = []
        for request in requests:
            if request.block is None or asset_chain_id(request.asset) != self.chain.chain_id:
                continue
            found = self._price(request.asset, max(request.block - 1, 0))
            if found is not None:
                usd, liquidity = found
                quotes.append(Quote(request.asset, request.timestamp, request.timestamp, usd,
                                    SOURCE, liquidity))
        return quotes

    def _price(self, asset: str, block: int) -> tuple[Decimal, Decimal] | None:
        """USD price and pool liquidity in USD, from the deepest pool that has one."""
        wrapped = self.chain.wrapped_native
        if asset == self.chain.native_asset:
            token = wrapped
        else:
            token = asset_contract(asset) if "/erc20:" in asset else None
        if token is None or token in self.chain.stablecoins:
            return None
        best: tuple[Decimal, Decimal] | None = None
        for stable in self.chain.stablecoins:
            candidate = self._against(token, stable, block, Decimal(1))
            best = _deeper(best, candidate)
        if wrapped and token != wrapped:
            native = self._price(self.chain.native_asset, block)
            if native is not None:
                best = _deeper(best, self._against(token, wrapped, block, native[0]))
        return best

    def _against(self, token: str, quote: str, block: int,
                 quote_usd: Decimal) -> tuple[Decimal, Decimal] | None:
        pair = self.reader.pair(token, quote)
        token_decimals, quote_decimals = self.reader.decimals(token), self.reader.decimals(quote)
        if pair is None or token_decimals is None or quote_decimals is None:
            return None
        state = self.reader.state(pair, token, quote, block)
        if state is None or not state.reserves[token] or not state.reserves[quote]:
            return None
        token_amount = Decimal(state.reserves[token]).scaleb(-token_decimals)
        quote_amount = Decimal(state.reserves[quote]).scaleb(-quote_decimals)
        return quote_amount / token_amount * quote_usd, 2 * quote_amount * quote_usd


def _deeper(a: tuple[Decimal, Decimal] | None,
            b: tuple[Decimal, Decimal] | None) -> tuple[Decimal, Decimal] | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if a[1] >= b[1] else b
