"""A big wallet on a fresh anvil chain: tens of thousands of transactions, built fast.

The tokens and the Uniswap V2 pools are deployed from the official artifacts the usual way
(chains.devnet.scenario); then automine goes off and each block's transactions go to the
node as one JSON-RPC batch of eth_sendTransaction (unlocked accounts, explicit nonces, gas
and gas price, so the node estimates nothing) before one evm_mine at a chosen timestamp.
A seeded random generator picks each transaction, so a seed always gives the same
transactions in the same blocks (in anvil's order within a block, not the order sent).

The wallet is a fresh address the node signs for by impersonation: everything it holds
arrived in a transaction, so its balances reconcile from its history alone.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from chains.devnet.scenario import OZ_TOKEN, _Chain
from chains.errors import DevnetError
from chains.evm.abi import SEL_DECIMALS, SEL_NAME, SEL_SYMBOL, TRANSFER
from chains.registry import DEVNET_DAI, DEVNET_UNISWAP_V2_FACTORY, DEVNET_WETH

E18 = 10**18
DEADLINE = 2**32
WALLET = to_checksum_address(keccak(text="taxscan big wallet")[-20:])
NATIVE = "native"
BULK_START = datetime(2024, 3, 1, tzinfo=UTC)
BLOCK_SPACING = timedelta(hours=6)
GAS_PRICE = 2 * 10**9  # legacy transactions: above the base fee, which only falls here
BLOCK_GAS_LIMIT = 1_000_000_000  # room for every batch; blocks stay under the fee target

# what a transaction does, as the builder sent it
TOKEN_IN = "token_in"  # a counterparty sends the wallet DAI or TKN
TOKEN_OUT = "token_out"  # the wallet sends DAI or TKN to a counterparty
NATIVE_IN = "native_in"  # a counterparty sends the wallet ETH
NATIVE_OUT = "native_out"  # the wallet sends ETH to a counterparty
SWAP = "swap"  # the wallet swaps on Uniswap V2 (DAI<->TKN, ETH<->DAI)
SETUP = "setup"  # funding, minting and approvals before the bulk
NOISE = "noise"  # counterparties paying each other: must not reach the wallet's ledger
WALLET_KINDS = (TOKEN_IN, TOKEN_OUT, NATIVE_IN, NATIVE_OUT, SWAP)
_WEIGHTS = (30, 25, 10, 10, 25)  # shares of WALLET_KINDS in the bulk
NOISE_EVERY = 20  # one counterparty-to-counterparty transaction per this many of the wallet's

_GAS = {TOKEN_IN: 90_000, TOKEN_OUT: 90_000, NATIVE_IN: 21_000, NATIVE_OUT: 21_000,
        SWAP: 250_000, NOISE: 90_000}


def _selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


_TRANSFER = _selector("transfer(address,uint256)")
_SWAP_ARGS = "(uint256,uint256,address[],address,uint256)"
_TOKENS_FOR_TOKENS = _selector("swapExactTokensForTokens" + _SWAP_ARGS)
_ETH_FOR_TOKENS = _selector("swapExactETHForTokens(uint256,address[],address,uint256)")
_TOKENS_FOR_ETH = _selector("swapExactTokensForETH" + _SWAP_ARGS)


@dataclass(frozen=True)
class Sent:
    """One transaction the builder sent."""

    kind: str
    tx_hash: str
    asset: str  # what moved (a swap: what the wallet gave): a token address, or NATIVE
    amount: int  # base units
    got: str | None = None  # a swap: what the wallet received
    sender: str = ""  # lowercase
    recipient: str = ""  # lowercase: the receiver of the value (a swap: the router)


@dataclass(frozen=True)
class BigWallet:
    url: str
    wallet: str  # lowercase
    dai: str  # lowercase token addresses
    tkn: str
    weth: str
    router: str
    sent: tuple[Sent, ...]
    first_block: int  # the bulk's blocks
    last_block: int

    def counts(self) -> dict[str, int]:
        return dict(Counter(s.kind for s in self.sent))

    def touching(self) -> frozenset[str]:
        """The hashes of every transaction that moved value to or from the wallet or was
        sent by it (noise left out)."""
        return frozenset(s.tx_hash for s in self.sent if s.kind != NOISE)

    def of_kind(self, kind: str) -> list[Sent]:
        return [s for s in self.sent if s.kind == kind]

    @property
    def wallet_txs(self) -> int:
        return sum(1 for s in self.sent if s.kind in WALLET_KINDS)


class _Rpc:
    """Raw JSON-RPC batches: web3 would build, check and decode each of 20,000 calls."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()

    def batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        body: list[dict[str, Any]] = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": p}
            for i, (m, p) in enumerate(calls)]
        answer = self.session.post(self.url, json=body, timeout=300)
        answer.raise_for_status()
        replies = sorted(answer.json(), key=lambda r: r["id"])
        for reply in replies:
            if "error" in reply:
                method = calls[reply["id"]][0]
                raise DevnetError(f"big wallet: {method} failed: {reply['error']}")
        return [r["result"] for r in replies]

    def call(self, method: str, params: list[Any]) -> Any:
        return self.batch([(method, params)])[0]


@dataclass
class _Plan:
    """The bulk's state while it is generated: nonces, and what each transaction does."""

    rng: random.Random
    wallet: str
    others: list[str]
    dai: str
    tkn: str
    weth: str
    router: str
    nonces: dict[str, int]

    def tx(self, sender: str, to: str, kind: str, data: bytes = b"",
           value: int = 0) -> dict[str, Any]:
        nonce = self.nonces[sender]
        self.nonces[sender] = nonce + 1
        return {"from": sender, "to": to, "data": "0x" + data.hex(), "value": hex(value),
                "gas": hex(_GAS[kind]), "gasPrice": hex(GAS_PRICE), "nonce": hex(nonce)}

    def next(self) -> tuple[dict[str, Any], Sent]:
        kind = self.rng.choices(WALLET_KINDS, _WEIGHTS)[0]
        other = self.rng.choice(self.others)
        token = self.rng.choice((self.dai, self.tkn))
        amount = self.rng.randint(1, 1_000) * E18 // 100
        if kind == TOKEN_IN:
            return (self.tx(other, token, kind, _transfer(self.wallet, amount)),
                    Sent(kind, "", token, amount, None, other, self.wallet))
        if kind == TOKEN_OUT:
            return (self.tx(self.wallet, token, kind, _transfer(other, amount)),
                    Sent(kind, "", token, amount, None, self.wallet, other))
        if kind in (NATIVE_IN, NATIVE_OUT):
            value = self.rng.randint(1, 1_000) * E18 // 100_000
            sender, to = (other, self.wallet) if kind == NATIVE_IN else (self.wallet, other)
            return (self.tx(sender, to, kind, value=value),
                    Sent(kind, "", NATIVE, value, None, sender, to))
        return self._swap()

    def _swap(self) -> tuple[dict[str, Any], Sent]:
        way = self.rng.randrange(4)
        me = self.wallet
        if way in (0, 1):  # DAI for TKN or TKN for DAI
            given, got = (self.dai, self.tkn) if way == 0 else (self.tkn, self.dai)
            amount = self.rng.randint(1, 1_000) * E18 // 10
            data = _TOKENS_FOR_TOKENS + abi_encode(
                ["uint256", "uint256", "address[]", "address", "uint256"],
                [amount, 0, [given, got], me, DEADLINE])
            return (self.tx(me, self.router, SWAP, data),
                    Sent(SWAP, "", given, amount, got, me, self.router))
        if way == 2:  # ETH for DAI
            value = self.rng.randint(1, 1_000) * E18 // 10_000
            data = _ETH_FOR_TOKENS + abi_encode(["uint256", "address[]", "address", "uint256"],
                                                [0, [self.weth, self.dai], me, DEADLINE])
            return (self.tx(me, self.router, SWAP, data, value),
                    Sent(SWAP, "", NATIVE, value, self.dai, me, self.router))
        amount = self.rng.randint(1, 1_000) * E18 // 10  # DAI for ETH
        data = _TOKENS_FOR_ETH + abi_encode(
            ["uint256", "uint256", "address[]", "address", "uint256"],
            [amount, 0, [self.dai, self.weth], me, DEADLINE])
        return (self.tx(me, self.router, SWAP, data),
                Sent(SWAP, "", self.dai, amount, NATIVE, me, self.router))

    def noise(self) -> tuple[dict[str, Any], Sent]:
        sender, to = self.rng.sample(self.others, 2)
        amount = self.rng.randint(1, 1_000) * E18 // 100
        return (self.tx(sender, self.dai, NOISE, _transfer(to, amount)),
                Sent(NOISE, "", self.dai, amount, None, sender, to))


def _transfer(to: str, amount: int) -> bytes:
    return _TRANSFER + abi_encode(["address", "uint256"], [to, amount])


def build(url: str, txs: int = 20_000, *, seed: int = 20_000, per_block: int = 500) -> BigWallet:
    """Fill the fresh anvil chain at `url` (started at scenario.GENESIS) with a wallet of
    `txs` bulk transactions (and a few setup ones) and return what was sent."""
    if txs < 1 or per_block < 1:
        raise DevnetError("a big wallet has at least one transaction, one per block or more")
    c = _Chain(url)
    accounts = [a.lower() for a in c.w3.eth.accounts]
    if len(accounts) < 10:
        raise DevnetError("anvil offers fewer than ten unlocked accounts")
    wallet = WALLET.lower()
    others = accounts[4:10]
    setup, contracts = _deploy(c, wallet, others)
    rpc = _Rpc(url)
    rpc.call("evm_setAutomine", [False])
    rpc.call("evm_setBlockGasLimit", [hex(BLOCK_GAS_LIMIT)])
    senders = [wallet, *others]
    counts = rpc.batch([("eth_getTransactionCount", [a, "latest"]) for a in senders])
    plan = _Plan(random.Random(seed), wallet, others, *contracts,
                 nonces={a: int(n, 16) for a, n in zip(senders, counts, strict=True)})
    first = int(rpc.call("eth_blockNumber", []), 16) + 1
    sent: list[Sent] = list(setup)
    stamp = int(BULK_START.timestamp())
    for block, chunk in enumerate(_chunks(plan, txs, per_block), start=first):
        hashes = rpc.batch([("eth_sendTransaction", [tx]) for tx, _ in chunk])
        sent += [replace(s, tx_hash=h.lower()) for (_, s), h in zip(chunk, hashes, strict=True)]
        rpc.call("evm_mine", [stamp])
        stamp += int(BLOCK_SPACING.total_seconds())
        mined = rpc.call("eth_getBlockByNumber", [hex(block), False])
        if {h.lower() for h in mined["transactions"]} != {h.lower() for h in hashes}:
            raise DevnetError(f"big wallet: block {block} did not take its "
                              f"{len(hashes)} transactions")
    rpc.call("evm_setAutomine", [True])
    last = int(rpc.call("eth_blockNumber", []), 16)
    _check_receipts(rpc, [s.tx_hash for s in sent[len(setup):]])
    return BigWallet(url, wallet, *contracts, tuple(sent), first, last)


def _chunks(plan: _Plan, txs: int,
            per_block: int) -> Iterator[list[tuple[dict[str, Any], Sent]]]:
    chunk: list[tuple[dict[str, Any], Sent]] = []
    for n in range(txs):
        chunk.append(plan.next())
        if n % NOISE_EVERY == NOISE_EVERY - 1:
            chunk.append(plan.noise())
        if len(chunk) >= per_block:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _check_receipts(rpc: _Rpc, hashes: Sequence[str], step: int = 500) -> None:
    for start in range(0, len(hashes), step):
        chunk = hashes[start:start + step]
        receipts = rpc.batch([("eth_getTransactionReceipt", [h]) for h in chunk])
        failed = [h for h, r in zip(chunk, receipts, strict=True)
                  if not r or r.get("status") != "0x1"]
        if failed:
            raise DevnetError(f"big wallet: {len(failed)} transactions failed, first {failed[0]}")


def _deploy(c: _Chain, wallet: str,
            others: Sequence[str]) -> tuple[list[Sent], tuple[str, str, str, str]]:
    """The tokens, the pools and the wallet's funding, one transaction a block."""
    weth = c.deploy("@uniswap/v2-periphery/build/WETH9.json")
    dai = c.deploy(OZ_TOKEN, "Dai Stablecoin", "DAI")
    tkn = c.deploy(OZ_TOKEN, "Tax Token", "TKN")
    factory = c.deploy("@uniswap/v2-core/build/UniswapV2Factory.json", c.deployer)
    if (weth.address.lower(), dai.address.lower(), factory.address.lower()) != \
            (DEVNET_WETH, DEVNET_DAI, DEVNET_UNISWAP_V2_FACTORY):
        raise DevnetError("devnet addresses moved: the registry expects WETH9, DAI and the "
                          "Uniswap V2 factory as the deployer's contracts 1, 2 and 4")
    router = c.deploy("@uniswap/v2-periphery/build/UniswapV2Router02.json",
                      factory.address, weth.address)
    for token in (dai, tkn):
        c.send(token.functions.mint(c.deployer, 50_000_000 * E18), c.deployer)
        c.send(token.functions.approve(router.address, 2**256 - 1), c.deployer)
        for other in others:
            c.send(token.functions.mint(to_checksum_address(other), 10_000_000 * E18),
                   c.deployer)
    c.send(router.functions.addLiquidity(dai.address, tkn.address, 20_000_000 * E18,
                                         10_000_000 * E18, 0, 0, c.deployer, DEADLINE),
           c.deployer)
    c.send(router.functions.addLiquidityETH(dai.address, 6_800_000 * E18, 0, 0, c.deployer,
                                            DEADLINE), c.deployer, value=2_000 * E18)
    me = to_checksum_address(wallet)
    c.w3.provider.make_request("anvil_impersonateAccount", [me])  # type: ignore[arg-type]
    deployer = c.deployer.lower()
    setup = [Sent(SETUP, c.pay(c.deployer, me, 1_000 * E18), NATIVE, 1_000 * E18, None,
                  deployer, wallet)]
    for token in (dai, tkn):
        address = token.address.lower()
        setup.append(Sent(SETUP, c.send(token.functions.mint(me, 5_000_000 * E18), c.deployer),
                          address, 5_000_000 * E18, None, deployer, wallet))
        setup.append(Sent(SETUP, c.send(token.functions.approve(router.address, 2**256 - 1), me),
                          address, 0, None, wallet, router.address.lower()))
    return setup, (dai.address.lower(), tkn.address.lower(), weth.address.lower(),
                   router.address.lower())


_TOKEN_META = {SEL_DECIMALS: "tokenDecimal", SEL_SYMBOL: "tokenSymbol", SEL_NAME: "tokenName"}


def explorer_rows(url: str, step: int = 20) -> dict[str, list[dict[str, Any]]]:
    """What an Etherscan-compatible explorer's indexer would hold for the whole chain at
    `url`: every transaction (txlist: from its top-level trace), ERC-20 transfer (tokentx:
    from the Transfer logs) and internal transfer of value (txlistinternal), in the
    account API's row shapes. Read in a few JSON-RPC batches: anvil serves 20,000 receipts
    or full blocks several times slower than the traces and logs."""
    rpc = _Rpc(url)
    head = int(rpc.call("eth_blockNumber", []), 16)
    stamps: dict[int, str] = {}
    traces: list[dict[str, Any]] = []
    for first in range(0, head + 1, step):
        numbers = range(first, min(head, first + step - 1) + 1)
        answers = rpc.batch([call for n in numbers for call in (
            ("eth_getBlockByNumber", [hex(n), False]), ("trace_block", [hex(n)]))])
        for n, block, found in zip(numbers, answers[0::2], answers[1::2], strict=True):
            stamps[n] = str(int(block["timestamp"], 16))
            traces += found

    def base(item: dict[str, Any]) -> dict[str, str]:
        number = item["blockNumber"]
        number = int(number, 16) if isinstance(number, str) else int(number)
        return {"blockNumber": str(number), "timeStamp": stamps[number],
                "hash": item["transactionHash"]}

    rows: dict[str, list[dict[str, Any]]] = {"txlist": [], "tokentx": [], "txlistinternal": []}
    for trace in traces:
        action = trace.get("action", {})
        value = int(action.get("value", "0x0"), 16)
        if not trace.get("traceAddress"):  # the transaction itself
            created = trace.get("type") == "create"
            rows["txlist"].append({
                **base(trace), "from": action["from"],
                "to": "" if created else action["to"], "value": str(value),
                "contractAddress": (trace.get("result") or {}).get("address", "") if created
                else "", "isError": "1" if trace.get("error") else "0"})
        elif value and trace.get("type") == "call":
            rows["txlistinternal"].append({
                **base(trace), "from": action["from"], "to": action["to"], "value": str(value),
                "isError": "0", "type": "call",
                "traceId": "_".join(str(i) for i in trace["traceAddress"])})
    logs = rpc.call("eth_getLogs", [{"fromBlock": "0x0", "toBlock": hex(head),
                                     "topics": [TRANSFER]}])
    rows["tokentx"] = [{
        **base(log), "from": "0x" + log["topics"][1][26:], "to": "0x" + log["topics"][2][26:],
        "value": str(int(log["data"], 16)), "contractAddress": log["address"].lower()}
        for log in logs if len(log["topics"]) == 3]
    _add_token_meta(rpc, rows["tokentx"])
    return rows


def _add_token_meta(rpc: _Rpc, rows: list[dict[str, Any]]) -> None:
    tokens = sorted({row["contractAddress"] for row in rows})
    answers = rpc.batch([("eth_call", [{"to": t, "data": s}, "latest"])
                         for t in tokens for s in _TOKEN_META])
    meta: dict[str, dict[str, str]] = {}
    for n, token in enumerate(tokens):
        found = answers[n * len(_TOKEN_META):(n + 1) * len(_TOKEN_META)]
        meta[token] = {key: _meta_text(key, answer)
                       for key, answer in zip(_TOKEN_META.values(), found, strict=True)}
    for row in rows:
        row.update(meta[row["contractAddress"]])


def _meta_text(key: str, answer: str) -> str:
    raw = bytes.fromhex(answer.removeprefix("0x"))
    if key == "tokenDecimal":
        return str(int.from_bytes(raw, "big"))
    (text,) = abi_decode(["string"], raw)
    return str(text)
