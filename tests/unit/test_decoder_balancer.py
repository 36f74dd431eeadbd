"""Balancer v2 against real transactions (an exit on Ethereum, a join staked in a gauge on OP
Mainnet, a swap to the native coin on Gnosis), then on hand-built transactions with the
Vault's events in their published layout: a join paid partly in the native coin, and what
the decoder leaves to the others.

Each recording in ../shared/realdata/explorer-recordings/decoder_receipts/ is read as the
explorer source reads it (tests/unit/recordings.py); the wallet is the transaction's sender.
Every figure below was read from the JSON by hand (receipt logs, rotki's expected events):
the comments say where.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from eth_utils.crypto import keccak

from chains.addresses import erc20_asset
from chains.evm.abi import topic_for
from chains.evm.records import RawLog
from tests.unit.rawtx import ME, STRANGER, ZERO, data, legs, transfer, tx
from tests.unit.recordings import recorded, recording

ETH = "eip155:1/slip44:60"
BALANCER = "balancer-v2"
VAULT = "0xba12222222228d8ba445958a75a0704d566bf2c8"  # the Vault on every chain


def on(chain: int, address: str) -> str:
    return erc20_asset(chain, address)


def rotki_amount(realdata: Path, name: str, asset: str, subtype: str | None = None) -> Decimal:
    """The amount of rotki's expected event of `asset` (as rotki spells it)."""
    events = recording(realdata, name).data["rotki_expected"]
    (amount,) = [Decimal(e["amount"]) for e in events if e["asset"] == asset
                 and subtype in (None, e["event_subtype"])]
    return amount


def test_an_exit_is_the_bpt_withdrawn_into_the_token(realdata: Path) -> None:
    # tx 0xcc163648...: 0x2e1336f7 calls the Vault's exitPool (0x8bdb3913); the Vault's
    # PoolBalanceChanged log 134 names the wallet (topic 2) and a delta of -0xcf853f3a16a69d84
    # for rswETH; the BPT Transfer log 132 burns 0xcf94db7e123d215b of the wallet's (wallet ->
    # 0x0), the rswETH Transfer log 133 pays it (Vault -> wallet)
    name = "test_balancer_v2_exit_ethereum.json"
    bpt = on(1, "0x848a5564158d84b8a8fb68ab5d004fae11619a54")
    rsweth = on(1, "0xfae103dc9cf190ed75350761e95403b7b8afa6c0")
    assert recorded(realdata, name) == sorted([
        ("gas", ETH, -0x40F41 * 0x371818AB1, "fee", "gas"),  # gasUsed x effectiveGasPrice
        ("log:132", bpt, -0xCF94DB7E123D215B, "withdraw", BALANCER),
        ("log:133", rsweth, 0xCF853F3A16A69D84, "withdraw", BALANCER),
    ])
    # rotki: Return 14.957821596922618203 BPT, Receive 14.953427656474271108 rswETH, gas
    # 0.003934656379000305 ETH
    assert Decimal(0xCF94DB7E123D215B).scaleb(-18) == rotki_amount(
        realdata, name, "eip155:1/erc20:0x848a5564158d84b8A8fb68ab5D004Fae11619A54")
    assert Decimal(0xCF853F3A16A69D84).scaleb(-18) == rotki_amount(
        realdata, name, "eip155:1/erc20:0xFAe103DC9cf190eD75350761e95403b7b8aFa6c0")
    assert Decimal(0x40F41 * 0x371818AB1).scaleb(-18) == rotki_amount(
        realdata, name, "ETH", "FEE")


def test_a_join_staked_in_a_gauge_is_a_deposit_into_the_gauges_token(realdata: Path) -> None:
    # tx 0x1e8d94f4... on OP Mainnet: 0x3ba6eb0e multicalls Balancer's relayer 0x03f1ab8b:
    # USDC.e (log 55) and USDT (log 57) into the Vault, whose PoolBalanceChanged log 58 names
    # the wallet with deltas 0x30479de3 and 0x3918449b; the BPT minted to the wallet (log 54,
    # 0x0 -> wallet, 0x5f153bd493ac0236e0) goes on to the relayer (log 59) and into the
    # gauge 0xcc2e1cb5, whose own token is minted to the wallet (log 66, the same amount)
    name = "test_balancer_v2_join_with_gauge_deposit.json"
    bpt = on(10, "0x9da11ff60bfc5af527f58fd61679c3ac98d040d9")
    assert recorded(realdata, name) == sorted([
        # gasUsed 0x91411 x effectiveGasPrice 0x46c468 + l1Fee 0xf5dedc46133d
        ("gas", "eip155:10/slip44:60", -(0x91411 * 0x46C468 + 0xF5DEDC46133D), "fee", "gas"),
        ("log:54", bpt, 0x5F153BD493AC0236E0, "deposit", BALANCER),
        ("log:55", on(10, "0x7f5c764cbc14f9669b88837ca1490cca17c31607"), -0x30479DE3,
         "deposit", BALANCER),
        ("log:57", on(10, "0x94b008aa00579c1307b0ef2c499ad98a8ce58e58"), -0x3918449B,
         "deposit", BALANCER),
        ("log:59", bpt, -0x5F153BD493AC0236E0, "deposit", BALANCER),
        ("log:66", on(10, "0xcc2e1cb5d8dea77f08d19f875f381f34f997d96c"), 0x5F153BD493AC0236E0,
         "deposit", BALANCER),
    ])
    # rotki: Deposit 809.999843 USDC.e and 957.891739 USDT, gas 0.000273096837250597 ETH
    assert Decimal(0x30479DE3).scaleb(-6) == Decimal("809.999843")
    assert Decimal(0x3918449B).scaleb(-6) == Decimal("957.891739")
    assert Decimal(0x91411 * 0x46C468 + 0xF5DEDC46133D).scaleb(-18) == rotki_amount(
        realdata, name, "ETH", "FEE")


def test_a_swap_at_the_vault_for_the_native_coin_is_a_trade(realdata: Path) -> None:
    # tx 0x014d174e... on Gnosis: 0x9531c059 calls the Vault's batchSwap (0x945bcec9): Swap
    # logs 500 (GIV -> 0x9c58bacc) and 501 (-> WXDAI); GIV Transfer log 502, wallet -> Vault,
    # 100e18; the Vault unwraps 0x1004bd028c8d881b WXDAI (Withdrawal log 503) and sends that
    # much xDAI to the wallet (txlistinternal row 1, trace p1)
    name = "test_balancer_v2_swap_token_to_native.json"
    assert recorded(realdata, name) == sorted([
        ("gas", "eip155:100/slip44:700", -0x23173 * 0x5C06C56B, "fee", "gas"),
        ("log:502", on(100, "0x4f4f9b8d5b4d0dc10506e5551b0513b61fd59e75"),
         -0x56BC75E2D63100000, "trade", BALANCER),
        ("trace:p1", "eip155:100/slip44:700", 0x1004BD028C8D881B, "trade", BALANCER),
    ])
    # rotki: Swap 100 GIV, Receive 1.154255223159359515 XDAI, gas 0.000221913136376337
    assert Decimal(0x56BC75E2D63100000).scaleb(-18) == 100
    assert Decimal(0x1004BD028C8D881B).scaleb(-18) == rotki_amount(
        realdata, name, "XDAI", "RECEIVE")
    assert Decimal(0x23173 * 0x5C06C56B).scaleb(-18) == rotki_amount(
        realdata, name, "XDAI", "FEE")


# PoolBalanceChanged(bytes32 indexed poolId, address indexed liquidityProvider,
# address[] tokens, int256[] deltas, uint256[] protocolFeeAmounts): Balancer's IVault
BALANCE_CHANGED = "0x" + keccak(
    text="PoolBalanceChanged(bytes32,address,address[],int256[],uint256[])").hex()
WETH = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
TOKEN, POOL = "0x" + "a1" * 20, "0x" + "c1" * 20


def balance_changed(index: int, provider: str, pool: str, tokens: list[str],
                    deltas: list[int]) -> RawLog:
    """The Vault's event, its arrays ABI-encoded after three offsets."""
    n = len(tokens)
    heads = [0x60, 0x60 + 32 * (n + 1), 0x60 + 64 * (n + 1)]
    body: list[int | str] = [n, *tokens, n, *(d % (1 << 256) for d in deltas), n, *([0] * n)]
    pool_id = "0x" + pool[2:] + "0001" + "00" * 10  # the pool, its specialization, a nonce
    return RawLog(index, VAULT, (BALANCE_CHANGED, pool_id, topic_for(provider)),
                  data(*heads, *body))


def test_a_join_paid_partly_in_the_coin_is_a_deposit_of_both() -> None:
    # 0.5 ETH (the Vault names WETH) and 700 units of a token into the pool; its BPT minted
    raw = tx(transfer(0, TOKEN, ME, VAULT, 700),
             balance_changed(1, ME, POOL, [WETH, TOKEN], [5 * 10**17, 700]),
             transfer(2, POOL, ZERO, ME, 33), to=VAULT, value=5 * 10**17)
    assert legs([raw]) == [("native", ETH, -5 * 10**17, "deposit", BALANCER),
                           ("log:0", on(1, TOKEN), -700, "deposit", BALANCER),
                           ("log:2", on(1, POOL), 33, "deposit", BALANCER)]


def test_a_join_for_another_provider_or_a_swap_through_a_router_is_not_balancers() -> None:
    # the Vault names someone else as the provider: not the wallet's join (the receipt shape
    # still reads a token minted to the wallet for what it put in)
    joined = tx(transfer(0, TOKEN, ME, VAULT, 700),
                balance_changed(1, STRANGER, POOL, [WETH, TOKEN], [0, 700]),
                transfer(2, POOL, ZERO, ME, 33), to=VAULT)
    assert {leg[3:] for leg in legs([joined])} == {("deposit", "receipt")}
    # Swap(poolId, tokenIn, tokenOut, amountIn, amountOut) at the Vault, but the wallet traded
    # with a router (an aggregator's): the generic trade
    swap = "0x" + keccak(text="Swap(bytes32,address,address,uint256,uint256)").hex()
    pool_id = "0x" + POOL[2:] + "0" * 24
    routed = tx(transfer(0, TOKEN, ME, STRANGER, 700),
                RawLog(1, VAULT, (swap, pool_id, topic_for(TOKEN), topic_for(WETH)), data(700, 9)),
                transfer(2, WETH, STRANGER, ME, 9), to=STRANGER, n=2)
    assert {leg[3:] for leg in legs([routed])} == {("trade", "transfer")}

