"""Curve: pools (swaps, liquidity added and removed) and gauges (LP tokens deposited and
withdrawn, CRV minted for them).

Curve has thousands of pools and gauges on every chain, so both are recognized by their
events where the wallet took part, not by address; only the CRV minters are the registry's
(role `curve:minter` in chains.deployments: the Minter on Ethereum, the ChildGaugeFactory on
the other chains), or a config `[[protocols]]` entry's.

Pools (`CurvePoolDecoder`, protocol `curve`). Every pool event indexes its caller first
(provider or buyer); the wallet took part when it is the caller, or when the caller is the
contract the wallet's own transaction called (a zap, a router). Topics (one per signature;
N the number of coins, [] the dynamic arrays of the NG pools):

- TokenExchange(address,int128,uint256,int128,uint256)                      0x8b3e96f2...7140
- TokenExchangeUnderlying(address,int128,uint256,int128,uint256)             0xd013ca23...d90b
- TokenExchange(address,uint256,uint256,uint256,uint256) (crypto)            0xb2e76ae9...cc98
- TokenExchange(address,uint256,uint256,uint256,uint256,uint256,uint256) (NG crypto)
- AddLiquidity(address,uint256[N],uint256[N],uint256,uint256) (plain, meta, NG: [])
- AddLiquidity(address,uint256[N],uint256,uint256) (crypto), and with one more uint256
  (tricrypto-NG, twocrypto-NG)
- RemoveLiquidity(address,uint256[N],uint256[N],uint256) (plain, meta, NG: []),
  RemoveLiquidity(address,uint256[N],uint256) (crypto)
- RemoveLiquidityImbalance(address,uint256[N],uint256[N],uint256,uint256) (NG: [])
- RemoveLiquidityOne(address,uint256,uint256), (address,uint256,uint256,uint256) (plain with
  supply, crypto), (address,int128,uint256,uint256,uint256) (stableswap-NG),
  (address,uint256,uint256,uint256,uint256,uint256) (tricrypto-NG, twocrypto-NG)

Kinds, for every non-fee leg of the wallet, from its net flows:

- deposit:  liquidity added, every asset that came in minted in the transaction (the LP
  token) and the rest gone out: the coins into the LP token, basis carried
- withdraw: liquidity removed, every asset that went out burned in the transaction (the LP
  token) and the rest come in
- trade:    an exchange, one asset out and one in

Gauges (`CurveGaugeDecoder`, protocol `curve-gauge`). A gauge is a contract that emits,
beside its Deposit or Withdraw naming the wallet, UpdateLiquidityLimit for the wallet (every
LiquidityGauge version and the child gauges do: the wallet in the topic or the first word):

- Deposit(address indexed provider, uint256 value)                           0xe1fffcc4...109c
- Withdraw(address indexed provider, uint256 value)                          0x884edad9...4364
- UpdateLiquidityLimit(address,uint256,uint256,uint256,uint256)              0x7ecd8434...97a3
- Minted(address indexed recipient, address gauge, uint256 minted) (Ethereum), with the gauge
  indexed on the child chains                                                0x9d228d69...78f0

Kinds: deposit, the LP token into the gauge for its token (an old gauge mints none: the
receipt is added from the event, the gauge's own asset, `<LP>-gauge`); withdraw, the way
back; the coins of a zap that added the liquidity and staked it at once take the kind too.
Income: CRV of a Minted naming the wallet, from the registry's minter or from a minter whose
gauge checkpointed the wallet in the transaction (paid by the minter, or minted from 0x0), and
tokens the gauge itself paid the wallet beside its Deposit or Withdraw (pending rewards).
A gauge's claim_rewards emits no event of its own: left to the generic claim rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chains.addresses import erc20_asset
from chains.evm.abi import ZERO_ADDRESS, data_words, topic_address, word_address
from chains.evm.records import RawTx
from scanner.ledger.decode.executors import executors
from scanner.ledger.decode.protocols import (
    DecodeContext,
    Refinement,
    event_leg,
    receipt_symbol,
)
from scanner.ledger.decode.transfers import token_transfers
from scanner.ledger.records import Kind, Movement

POOL_PROTOCOL = "curve"
GAUGE_PROTOCOL = "curve-gauge"
MINTER_ROLE = "curve:minter"

TOKEN_EXCHANGE = "0x8b3e96f2b889fa771c53c981b40daf005f63f637f1869f707052d15a3dd97140"
TOKEN_EXCHANGE_UNDERLYING = "0xd013ca23e77a65003c2c659c5442c00c805371b7fc1ebd4c206c41d1536bd90b"
EXCHANGES = frozenset({
    TOKEN_EXCHANGE, TOKEN_EXCHANGE_UNDERLYING,
    "0xb2e76ae99761dc136e598d4a629bb347eccb9532a5f8bbd72e18467c3c34cc98",  # crypto
    "0x143f1f8e861fbdeddd5b46e844b7d3ac7b86a122f36e8c463859ee6811b1f29c",  # NG crypto
})
ADDS = frozenset({
    "0x26f55a85081d24974e85c6c00045d0f0453991e95873f52bff0d21af4079a768",  # plain, 2 coins
    "0x423f6495a08fc652425cf4ed0d1f9e37e571d9b9529b1c1c23cce780b2e7df0d",  # 3
    "0x3f1915775e0c9a38a57a7bb7f1f9005f486fb904e1f84aa215364d567319a58d",  # 4
    "0x189c623b666b1b45b83d7178f39b8c087cb09774317ca2f53c2d3c3726f222a2",  # stableswap-NG
    "0x540ab385f9b5d450a27404172caade516b3ba3f4be88239ac56a2ad1de2a1f5a",  # crypto, 2
    "0x96b486485420b963edd3fdec0b0195730035600feb7de6f544383d7950fa97ee",  # crypto, 3
    "0x7196cbf63df1f2ec20638e683ebe51d18260be510592ee1e2efe3f3cfd4c33e9",  # twocrypto-NG
    "0xe1b60455bd9e33720b547f60e4e0cfbf1252d0f2ee0147d53029945f39fe3c1a",  # tricrypto-NG
})
REMOVE_LIQUIDITY_ONE = "0x5ad056f2e28a8cec232015406b843668c1e36cda598127ec3b8c59b8c72773a0"
REMOVES = frozenset({
    "0x7c363854ccf79623411f8995b362bce5eddff18c927edc6f5dbbb5e05819a82c",  # plain, 2 coins
    "0xa49d4cf02656aebf8c771f5a8585638a2a15ee6c97cf7205d4208ed7c1df252d",  # 3
    "0x9878ca375e106f2a43c3b599fc624568131c4c9a4ba66a14563715763be9d59d",  # 4
    "0x347ad828e58cbe534d8f6b67985d791360756b18f0d95fd9f197a66cc46480ea",  # stableswap-NG
    "0xdd3c0336a16f1b64f172b7bb0dad5b2b3c7c76f91e8c4aafd6aae60dce800153",  # crypto, 2
    "0xd6cc314a0b1e3b2579f8e64248e82434072e8271290eef8ad0886709304195f5",  # crypto, 3
    "0x2b5508378d7e19e0d5fa338419034731416c4f5b219a10379956f764317fd47e",  # imbalance, 2
    "0x173599dbf9c6ca6f7c3b590df07ae98a45d74ff54065505141e7de6c46a624c2",  # imbalance, 3
    "0xb964b72f73f5ef5bf0fdc559b2fab9a7b12a39e47817a547f1f0aee47febd602",  # imbalance, 4
    "0x3631c28b1f9dd213e0319fb167b554d76b6c283a41143eb400a0d1adb1af1755",  # imbalance, NG
    "0x9e96dd3b997a2a257eec4df9bb6eaf626e206df5f543bd963682d143300be310",  # one coin
    REMOVE_LIQUIDITY_ONE,  # one coin: plain with the supply, crypto
    "0x6f48129db1f37ccb9cc5dd7e119cb32750cabdf75b48375d730d26ce3659bbe1",  # stableswap-NG
    "0xe200e24d4a4c7cd367dd9befe394dc8a14e6d58c88ff5e2f512d65a9e0aa9c5c",  # crypto-NG
})
_POOL_TOPICS = EXCHANGES | ADDS | REMOVES

GAUGE_DEPOSIT = "0xe1fffcc4923d04b559f4d29a8bfc6cda04eb5b0d3c460751c2402c5c5cc9109c"
GAUGE_WITHDRAW = "0x884edad9ce6fa2440d8a54cc123490eb96d2768479d49ff9c7366125a9424364"
UPDATE_LIQUIDITY_LIMIT = "0x7ecd84343f76a23d2227290e0288da3251b045541698e575a5515af4f04197a3"
MINTED = "0x9d228d69b5fdb8d273a2336f8fb8612d039631024ea9bf09c424a9503aa078f0"


def _took_part(tx: RawTx, wallet: str, caller: str | None) -> bool:
    """Whether a pool's caller is the wallet, or the contract its own transaction called."""
    return caller == wallet or (caller is not None and caller == tx.to_address
                                and wallet in executors(tx))


class CurvePoolDecoder:
    name = "curve"

    def refine(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
               context: DecodeContext) -> Refinement | None:
        if not tx.success or not moves:
            return None
        pools: dict[str, set[str]] = defaultdict(set)  # topic -> the pools that emitted it
        for log in tx.logs:
            if log.topics and log.topics[0] in _POOL_TOPICS and len(log.topics) >= 2 \
                    and _took_part(tx, wallet, topic_address(log.topics[1])):
                pools[log.topics[0]].add(log.address)
        if not pools:
            return None
        net = _net(moves)
        ins = {a for a, v in net.items() if v > 0}
        outs = {a for a, v in net.items() if v < 0}
        if not ins or not outs:
            return None
        minted, burned = _supply_changes(tx, context.chain_id)
        if pools.keys() & ADDS and all(minted.get(a, 0) >= net[a] for a in ins):
            return self._all(moves, Kind.DEPOSIT, pools, ADDS, "liquidity added: the coins "
                             "into the LP token minted for them, basis carried")
        if pools.keys() & REMOVES and all(burned.get(a, 0) >= -net[a] for a in outs):
            return self._all(moves, Kind.WITHDRAW, pools, REMOVES, "liquidity removed: the "
                             "LP token burned for the coins, basis carried")
        if pools.keys() & EXCHANGES and len(ins) == len(outs) == 1:
            return self._all(moves, Kind.TRADE, pools, EXCHANGES, "exchange: one coin for "
                             "another")
        return None

    def _all(self, moves: Sequence[Movement], kind: Kind, pools: Mapping[str, set[str]],
             topics: frozenset[str], what: str) -> Refinement:
        named = sorted({p for t in topics & pools.keys() for p in pools[t]})
        return Refinement(decoder=self.name, kinds={m.leg_key: kind for m in moves},
                          protocol=POOL_PROTOCOL,
                          note=f"Curve pool {', '.join(named)}: {what}")


def _net(moves: Sequence[Movement]) -> dict[str, int]:
    net: dict[str, int] = defaultdict(int)
    for move in moves:
        net[move.asset] += move.raw_amount
    return {asset: amount for asset, amount in net.items() if amount}


def _supply_changes(tx: RawTx, chain_id: int) -> tuple[dict[str, int], dict[str, int]]:
    """asset -> base units minted (from 0x0), and burned (to 0x0), in the transaction."""
    minted: dict[str, int] = defaultdict(int)
    burned: dict[str, int] = defaultdict(int)
    for log in tx.logs:
        for item in token_transfers(log):
            if item.asset_kind == "erc20" and item.sender != item.recipient:
                if item.sender == ZERO_ADDRESS:
                    minted[erc20_asset(chain_id, item.token)] += item.amount
                elif item.recipient == ZERO_ADDRESS:
                    burned[erc20_asset(chain_id, item.token)] += item.amount
    return minted, burned


@dataclass(frozen=True)
class GaugeEvent:
    log_index: int
    gauge: str
    deposit: bool  # Deposit; else Withdraw
    value: int


def checkpointed(tx: RawTx, wallet: str) -> frozenset[str]:
    """The contracts that emitted UpdateLiquidityLimit for `wallet` in `tx`: its gauges."""
    found = set()
    for log in tx.logs:
        if not log.topics or log.topics[0] != UPDATE_LIQUIDITY_LIMIT:
            continue
        words = data_words(log.data) or []
        user = topic_address(log.topics[1]) if len(log.topics) == 2 else \
            word_address(words[0]) if len(log.topics) == 1 and words else None
        if user == wallet:
            found.add(log.address)
    return frozenset(found)


def gauge_events(tx: RawTx, wallet: str) -> list[GaugeEvent]:
    """The Deposits and Withdraws naming `wallet` of the contracts that checkpointed it."""
    gauges = checkpointed(tx, wallet)
    found = []
    for log in tx.logs:
        if log.address not in gauges or len(log.topics) != 2 \
                or log.topics[0] not in (GAUGE_DEPOSIT, GAUGE_WITHDRAW) \
                or topic_address(log.topics[1]) != wallet:
            continue
        words = data_words(log.data)
        if words is not None and len(words) == 1 and words[0]:
            found.append(GaugeEvent(log.log_index, log.address,
                                    log.topics[0] == GAUGE_DEPOSIT, words[0]))
    return found


def minters(tx: RawTx, wallet: str, context: DecodeContext) -> frozenset[str]:
    """The contracts whose Minted names `wallet`: the registry's minters, and those whose
    gauge checkpointed the wallet in the transaction."""
    known = context.addresses(MINTER_ROLE)
    gauges = checkpointed(tx, wallet)
    found = set()
    for log in tx.logs:
        if not log.topics or log.topics[0] != MINTED or len(log.topics) not in (2, 3) \
                or topic_address(log.topics[1]) != wallet:
            continue
        words = data_words(log.data) or []
        gauge = topic_address(log.topics[2]) if len(log.topics) == 3 else \
            word_address(words[0]) if words else None
        if log.address in known or gauge in gauges:
            found.add(log.address)
    return frozenset(found)


class CurveGaugeDecoder:
    name = "curve-gauge"

    def refine(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
               context: DecodeContext) -> Refinement | None:
        if not tx.success or not moves:
            return None
        events = gauge_events(tx, wallet)
        paying = minters(tx, wallet, context)
        if not events and not paying:
            return None
        left = list(moves)
        kinds: dict[str, Kind] = {}
        extra: list[Movement] = []
        symbols: dict[str, str] = {}
        read: list[GaugeEvent] = []
        for event in events:
            found = _gauge_legs(tx, wallet, event, left, context)
            if found is None:
                continue
            read.append(event)
            claimed, added = found
            kind = Kind.DEPOSIT if event.deposit else Kind.WITHDRAW
            for leg in claimed:
                left.remove(leg)
                kinds[leg.leg_key] = kind
            if added is not None:
                extra.append(added)
                kinds[added.leg_key] = kind
                symbols[added.asset] = receipt_symbol(event.gauge, claimed[0].asset, context,
                                                         "gauge", "curve-gauge")
        gauges = {e.gauge for e in read}
        receipts = {erc20_asset(context.chain_id, g) for g in gauges}
        for leg in list(left):
            if leg.raw_amount > 0 and leg.asset not in receipts and (
                    leg.counterparty in paying or leg.counterparty in gauges
                    or (paying and leg.counterparty == ZERO_ADDRESS)):
                left.remove(leg)  # CRV minted for the gauge, or a reward the gauge paid
                kinds[leg.leg_key] = Kind.INCOME
        if left and read and len({e.deposit for e in read}) == 1:
            sign = -1 if read[0].deposit else 1
            if all(m.raw_amount * sign > 0 for m in left):  # a zap's coins
                kinds.update({m.leg_key: Kind.DEPOSIT if sign < 0 else Kind.WITHDRAW
                              for m in left})
                left = []
        if left or not kinds:
            return None
        notes = [f"{'deposit into' if e.deposit else 'withdrawal from'} gauge {e.gauge}"
                 for e in read]
        if any(k is Kind.INCOME for k in kinds.values()):
            notes.append("CRV minted and rewards paid for the gauges: income")
        return Refinement(decoder=self.name, kinds=kinds, protocol=GAUGE_PROTOCOL,
                          extra=tuple(extra), note="Curve " + "; ".join(notes),
                          symbols=symbols)


def _gauge_legs(tx: RawTx, wallet: str, event: GaugeEvent, left: Sequence[Movement],
                context: DecodeContext) -> tuple[list[Movement], Movement | None] | None:
    """The wallet's legs an event announces (the LP token, the gauge's token), and the
    receipt added from the event when the gauge minted none; None when no leg is its."""
    sign = -1 if event.deposit else 1
    receipt_asset = erc20_asset(context.chain_id, event.gauge)
    lp = next((m for m in left if m.counterparty == event.gauge and m.asset != receipt_asset
               and m.raw_amount == sign * event.value), None)
    receipt = next((m for m in left if m.asset == receipt_asset
                    and m.raw_amount == -sign * event.value), None)
    if receipt is not None:
        return [m for m in (lp, receipt) if m is not None], None
    if lp is None:
        return None
    return [lp], event_leg(tx, wallet, event.log_index, receipt_asset, -lp.raw_amount,
                           lp.decimals, event.gauge)
