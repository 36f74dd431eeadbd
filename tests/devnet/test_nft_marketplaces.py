"""Seaport 1.6 on the devnet, the real contract: OpenSea's compiled Seaport and its
LocalConduitController, from the factories their npm package @opensea/seaport-js ships,
deployed on anvil and the Seaport runtime placed at Seaport 1.6's address (its immutables,
the EIP-712 domain among them, travel with the code). The seller signs a listing of an
OpenZeppelin ERC-721 for 1 ETH, 2.5% of it to the marketplace and 2.5% as a royalty; the
buyer fulfils it with fulfillBasicOrder. Each wallet is scanned with taxscan alone, and its
legs are checked against the chain's own balances."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eth_abi.abi import decode, encode
from eth_account import Account
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import HTTPProvider, Web3

from chains.addresses import nft_asset, parse_address
from chains.deployments import SEAPORT
from chains.devnet.anvil import Anvil, node_modules
from chains.devnet.scenario import artifact
from chains.evm.node import RpcSource
from chains.evm.rpc import RpcClient
from scanner.app import imports as importing
from scanner.app import queries
from scanner.app import scan as scanning
from scanner.app.readmodel import load
from scanner.ledger.decode.protocols.seaport import ORDER_FULFILLED
from scanner.ledger.records import Kind, LedgerEntry
from scanner.store import Store
from scanner.tax.records import LotBook

pytestmark = pytest.mark.devnet

E18 = 10**18
PRICE, FEE, ROYALTY = E18, E18 // 40, E18 // 40
GENESIS = datetime(2024, 1, 1, tzinfo=UTC)
SOLD_AT = datetime(2024, 3, 1, 12, tzinfo=UTC)
ETH = "eip155:31337/slip44:60"
ETH_USD = Decimal(2000)
SEAPORT_16 = to_checksum_address(dict(SEAPORT)["seaport:1.6"])
FACTORIES = "@opensea/seaport-js/lib/typechain-types/factories/seaport/contracts/"
OZ_721 = "@openzeppelin/contracts/build/contracts/ERC721PresetMinterPauserAutoId.json"
SELLER_KEY = keccak(text="taxscan seaport seller")
SELLER = Account.from_key(SELLER_KEY).address
BUYER = to_checksum_address(keccak(text="taxscan seaport buyer")[-20:])
MARKET_FEE = to_checksum_address("0x" + "f0" * 20)
CREATOR = to_checksum_address("0x" + "c7" * 20)
ZERO = "0x" + "00" * 20
NO_KEY = b"\x00" * 32
SPENT = "(uint8,address,uint256,uint256,uint256)[]"
DUE = "(uint8,address,uint256,uint256,uint256,address)[]"
COMPONENTS = f"(address,address,{SPENT},{DUE},uint8,uint256,uint256,bytes32,uint256,bytes32," \
             "uint256)"
BASIC = "(address,uint256,uint256,address,address,address,uint256,uint256,uint8,uint256," \
        "uint256,bytes32,uint256,bytes32,bytes32,uint256,(uint256,address)[],bytes)"


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def factory_bytecode(relative: str) -> str:
    """The creation code a typechain factory of @opensea/seaport-js holds."""
    source = (node_modules() / FACTORIES / relative).read_text()
    found = re.search(r'const _bytecode = "(0x[0-9a-f]+)"', source)
    assert found, relative
    return found.group(1)


@dataclass
class Sale:
    node_url: str
    w3: Web3
    punks: str
    tx_hash: str
    block: int


class Chain:
    def __init__(self, url: str) -> None:
        self.w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 60}))
        self.deployer = self.w3.eth.accounts[0]

    def rpc(self, method: str, *params: Any) -> Any:
        return self.w3.provider.make_request(method, list(params))

    def send(self, sender: str, to: str | None, data: bytes = b"", value: int = 0,
             when: datetime | None = None) -> Any:
        if when is not None:
            self.rpc("evm_setNextBlockTimestamp", int(when.timestamp()))
        tx: dict[str, Any] = {"from": sender, "value": value, "data": data}
        if to is not None:
            tx["to"] = to
        receipt = self.w3.eth.wait_for_transaction_receipt(self.w3.eth.send_transaction(tx))
        assert receipt["status"] == 1
        return receipt

    def call(self, to: str, data: bytes) -> bytes:
        return bytes(self.w3.eth.call({"to": to, "data": data}))


def deploy_seaport(c: Chain) -> None:
    controller = c.send(c.deployer, None, bytes.fromhex(factory_bytecode(
        "conduit/ConduitController.sol/LocalConduitController__factory.js")[2:]))
    creation = bytes.fromhex(factory_bytecode("Seaport__factory.js")[2:])
    seaport = c.send(c.deployer, None,
                     creation + encode(["address"], [controller["contractAddress"]]))
    c.rpc("anvil_setCode", SEAPORT_16, c.w3.eth.get_code(seaport["contractAddress"]).hex())


def sign_listing(c: Chain, punks: str, token_id: int) -> tuple[bytes, list[Any]]:
    """The seller's listing signed as Seaport checks it (the order hash and the domain from
    the contract itself), and the fulfillBasicOrder parameters that fill it."""
    start, end, salt = int(GENESIS.timestamp()), 2**32, 7
    offer = [(2, punks, token_id, 1, 1)]
    due = [(0, ZERO, 0, PRICE - FEE - ROYALTY, PRICE - FEE - ROYALTY, SELLER),
           (0, ZERO, 0, FEE, FEE, MARKET_FEE), (0, ZERO, 0, ROYALTY, ROYALTY, CREATOR)]
    components = (SELLER, ZERO, offer, due, 0, start, end, NO_KEY, salt, NO_KEY, 0)
    (order_hash,) = decode(["bytes32"], c.call(SEAPORT_16, selector(
        f"getOrderHash({COMPONENTS})") + encode([COMPONENTS], [components])))
    _, domain, _ = decode(["string", "bytes32", "address"],
                          c.call(SEAPORT_16, selector("information()")))
    digest = keccak(b"\x19\x01" + domain + order_hash)
    signed = Account.unsafe_sign_hash(digest, SELLER_KEY)
    signature = signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + \
        bytes([signed.v])
    basic = [ZERO, 0, PRICE - FEE - ROYALTY, SELLER, ZERO, punks, token_id, 1, 0, start, end,
             NO_KEY, salt, NO_KEY, NO_KEY, 2, [(FEE, MARKET_FEE), (ROYALTY, CREATOR)],
             signature]
    return order_hash, basic


def play(url: str) -> Sale:
    c = Chain(url)
    deploy_seaport(c)
    for day, wallet in ((10, SELLER), (11, BUYER)):
        c.rpc("anvil_impersonateAccount", wallet)
        c.send(c.deployer, wallet, value=2 * E18, when=GENESIS.replace(day=day))
    _, bytecode = artifact(OZ_721)
    punks = c.send(c.deployer, None, bytes.fromhex(bytecode[2:]) + encode(
        ["string", "string", "string"], ["Devnet Punks", "DPUNK", "ipfs://punks/"]))
    nft = to_checksum_address(punks["contractAddress"])
    c.send(c.deployer, nft, selector("mint(address)") + encode(["address"], [SELLER]))  # id 0
    c.send(SELLER, nft, selector("setApprovalForAll(address,bool)") +
           encode(["address", "bool"], [SEAPORT_16, True]))
    order_hash, basic = sign_listing(c, nft, 0)
    sale = c.send(BUYER, SEAPORT_16, selector(f"fulfillBasicOrder({BASIC})") +
                  encode([BASIC], [basic]), value=PRICE, when=SOLD_AT)
    # the real contract emitted the event the decoder reads, for the order signed
    (event,) = [log for log in sale["logs"] if bytes(log["topics"][0]) == bytes.fromhex(
        ORDER_FULFILLED[2:])]
    assert event["address"] == SEAPORT_16 and bytes(event["data"])[:32] == order_hash
    (owner,) = decode(["address"], c.call(nft, selector("ownerOf(uint256)") +
                                          encode(["uint256"], [0])))
    assert owner == BUYER.lower()
    return Sale(url, c.w3, nft.lower(), "0x" + bytes(sale["transactionHash"]).hex(),
                sale["blockNumber"])


@dataclass
class Scanned:
    legs: list[LedgerEntry]
    book: LotBook


def scan(sale: Sale, wallet: str, db: Path) -> Scanned:
    prices = db.with_suffix(".csv")
    prices.write_text(f"timestamp,asset,usd\n2024-01-01T00:00:00Z,{ETH},{ETH_USD}\n")
    with Store(db) as store:
        scanning.scan(store, RpcSource(RpcClient(sale.node_url)), [parse_address(wallet)])
        importing.import_prices(store, prices)
        books = load(store)
        return Scanned(queries.ledger(books), books.lots)


@pytest.fixture(scope="module")
def sold(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sale, Scanned, Scanned]]:
    tmp = tmp_path_factory.mktemp("seaport")
    with Anvil(genesis_timestamp=int(GENESIS.timestamp())) as node:
        sale = play(node.url)
        yield sale, scan(sale, BUYER, tmp / "buyer.duckdb"), scan(sale, SELLER,
                                                                  tmp / "seller.duckdb")


def _sale_legs(sale: Sale, scanned: Scanned) -> list[tuple[str, int, Kind, str]]:
    return sorted((leg.asset, leg.raw_amount, leg.kind, leg.protocol)
                  for leg in scanned.legs if leg.tx_hash == sale.tx_hash)


def _net(scanned: Scanned, asset: str) -> int:
    return sum(leg.raw_amount for leg in scanned.legs if leg.asset == asset)


def test_the_buyer_trades_the_whole_price_for_the_nft(
        sold: tuple[Sale, Scanned, Scanned]) -> None:
    sale, buyer, _ = sold
    receipt = sale.w3.eth.get_transaction_receipt(sale.tx_hash)
    gas = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    punk = nft_asset(31337, "erc721", sale.punks, 0)
    assert _sale_legs(sale, buyer) == sorted([(ETH, -gas, Kind.FEE, "gas"),
                                              (ETH, -PRICE, Kind.TRADE, "seaport"),
                                              (punk, 1, Kind.TRADE, "seaport")])
    # against the chain: the buyer's balance is what its legs leave, to the wei
    assert _net(buyer, ETH) == sale.w3.eth.get_balance(BUYER)
    assert _net(buyer, punk) == 1
    # IRC 1012: the cost is all that was paid, fee and royalty included: 1 ETH at $2,000
    (lot,) = [lot for lot in buyer.book.open_lots if lot.asset == punk]
    assert lot.cost_basis_usd == ETH_USD


def test_the_seller_gets_the_price_less_fee_and_royalty_as_proceeds(
        sold: tuple[Sale, Scanned, Scanned]) -> None:
    sale, _, seller = sold
    punk = nft_asset(31337, "erc721", sale.punks, 0)
    arrived = sale.w3.eth.get_balance(SELLER, sale.block) - \
        sale.w3.eth.get_balance(SELLER, sale.block - 1)
    assert arrived == PRICE - FEE - ROYALTY
    assert _sale_legs(sale, seller) == sorted([(ETH, arrived, Kind.TRADE, "seaport"),
                                               (punk, -1, Kind.TRADE, "seaport")])
    assert _net(seller, ETH) == sale.w3.eth.get_balance(SELLER)
    assert _net(seller, punk) == 0
    # IRC 1001: amount realized, 0.95 ETH at $2,000; the fee and royalty never reached it
    (sold_punk,) = [d for d in seller.book.disposals if d.asset == punk]
    assert sold_punk.proceeds_usd == Decimal("0.95") * ETH_USD
