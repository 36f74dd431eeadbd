"""Hand-built raw transactions for decoder tests: logs in their real layout, small distinct
amounts so a leg can only come from one place, and the ledger built from them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from chains.evm.abi import TRANSFER, ZERO_ADDRESS, topic_for, word
from chains.evm.records import InternalTransfer, RawLog, RawTx, TokenInfo
from chains.registry import chain_by_id
from scanner.app.settings import asset_ranks
from scanner.ledger.build import ChainLedger, build_ledger
from scanner.prices.book import PriceBook

ME = "0x" + "aa" * 20
STRANGER = "0x" + "dd" * 20
ZERO = ZERO_ADDRESS
START = datetime(2024, 3, 1, tzinfo=UTC)


def data(*values: int | str) -> str:
    return "0x" + "".join(word(v) for v in values)


def transfer(index: int, token: str, source: str, target: str, amount: int) -> RawLog:
    return RawLog(index, token, (TRANSFER, topic_for(source), topic_for(target)), data(amount))


def nft_mint(index: int, token: str, target: str, token_id: int) -> RawLog:
    """An ERC-721 Transfer minting `token_id` to `target`."""
    return RawLog(index, token, (TRANSFER, topic_for(ZERO), topic_for(target),
                                 "0x" + word(token_id)), "0x")


def event(index: int, contract: str, topic: str, indexed: Sequence[str],
          *words: int | str) -> RawLog:
    return RawLog(index, contract, (topic, *(topic_for(a) for a in indexed)), data(*words))


def tx(*logs: RawLog, to: str | None = STRANGER, value: int = 0, sender: str = ME, n: int = 1,
       internal: tuple[InternalTransfer, ...] = ()) -> RawTx:
    """The `n`th transaction of the test (a day apart, one block each)."""
    return RawTx(chain_id=1, tx_hash="0x" + format(n, "064x"), block_number=100 + n,
                 tx_index=0, timestamp=START + timedelta(days=n), from_address=sender,
                 to_address=to, value=value, gas_used=50_000, effective_gas_price=10**9,
                 success=True, logs=logs, internal=internal)


def built(txs: Sequence[RawTx], tokens: dict[str, TokenInfo] | None = None,
          prices: PriceBook | None = None) -> ChainLedger:
    chain = chain_by_id(1)
    ranks = asset_ranks([chain], frozenset())
    return build_ledger(chain, txs, [ME], tokens or {},
                        prices or PriceBook([], pegged=ranks.stablecoins), ranks)


Leg = tuple[str, str, int, str, str]  # leg_key, asset, raw amount, kind, protocol


def legs(txs: Sequence[RawTx], tokens: dict[str, TokenInfo] | None = None) -> list[Leg]:
    """The wallet's ledger legs, gas left out, in ledger order."""
    return [(e.leg_key, e.asset, e.raw_amount, e.kind.value, e.protocol)
            for e in built(txs, tokens).entries if e.leg_key != "gas"]
