"""Bridges: the wallet's assets leaving for another chain, or arriving from one.

Scope: the chain's bridge contracts (chains/bridges.py) and the events below, each read
from the contract's published source. A departure is the wallet's legs all leaving in a
transaction where a bridge's departure event names the wallet (or, for an event that names
nobody, the wallet sent the transaction); an arrival is its legs all arriving where an
arrival event names it (or, naming nobody, a relayer, bonder or the chain's system sent
it; a user's own finalizing names the wallet). Each leg is then a `transfer_out` or
`transfer_in` with protocol `bridge:<name>`: an own transfer to or from the other chain,
which `scanner.ledger.pairing` pairs with the other end when both chains are scanned (the
lots keep their dates and basis), never income, never a position with the bridge contract
(scanner.ledger.positions reads only the generic rules' transfers). A transaction with legs
both ways (a swap before the bridge, a refund) is left to the other decoders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chains.bridges import bridge_contracts
from chains.evm.abi import data_words, topic_address
from chains.evm.records import RawLog, RawTx
from scanner.ledger.decode.executors import executors
from scanner.ledger.decode.protocols import DecodeContext, Refinement
from scanner.ledger.records import Kind, Movement

PREFIX = "bridge:"  # the ledger's protocol of a bridge leg: bridge:<name>


@dataclass(frozen=True)
class Signal:
    """What a bridge event says: its direction, and where it names the wallet (indexed
    topics, data words). An event naming nobody stands for `own` (the wallet sent the
    transaction), `other` (someone else did) or either (None)."""

    name: str
    out: bool
    topics: tuple[int, ...] = ()
    words: tuple[int, ...] = ()
    own: bool | None = None


_OUT, _IN = True, False
SIGNALS: dict[str, Signal] = {
    # OP Stack L1StandardBridge, L2StandardBridge, OptimismPortal, L2ToL1MessagePasser
    "0x35d79ab81f2b2017e19afb5c5571778877782d7a8786f5907f93b0f4702f4f23": Signal(
        "ETHDepositInitiated(address indexed from,address indexed to,uint256,bytes)",
        _OUT, (1, 2)),
    "0x718594027abd4eaed59f95162563e0cc6d0e8d5b86b1c7be8b1b0ac3343d0396": Signal(
        "ERC20DepositInitiated(address indexed l1Token,address indexed l2Token,"
        "address indexed from,address to,uint256,bytes)", _OUT, (3,), (0,)),
    "0x2849b43074093a05396b6f2a937dee8565b15a48a7b3d4bffb732a5017380af5": Signal(
        "ETHBridgeInitiated(address indexed from,address indexed to,uint256,bytes)",
        _OUT, (1, 2)),
    "0x7ff126db8024424bbfd9826e8ab82ff59136289ea440b04b39a0df1b03b9cabf": Signal(
        "ERC20BridgeInitiated(address indexed localToken,address indexed remoteToken,"
        "address indexed from,address to,uint256,bytes)", _OUT, (3,), (0,)),
    "0x73d170910aba9e6d50b102db522b1dbcd796216f5128b445aa2135272886497e": Signal(
        "WithdrawalInitiated(address indexed l1Token,address indexed l2Token,"
        "address indexed from,address to,uint256,bytes)", _OUT, (3,), (0,)),
    "0x02a52367d10742d8032712c1bb8e0144ff1ec5ffda1ed7d70bb05a2744955054": Signal(
        "MessagePassed(uint256 indexed nonce,address indexed sender,address indexed target,"
        "uint256,uint256,bytes,bytes32)", _OUT, (2, 3)),
    "0xb3813568d9991fc951961fcb4c784893574240a28925604d09fc577c55bb7c32": Signal(
        "TransactionDeposited(address indexed from,address indexed to,uint256 indexed,bytes)",
        _OUT, (1, 2)),
    "0x2ac69ee804d9a7a0984249f508dfab7cb2534b465b6ce1580f99a38ba9c5e631": Signal(
        "ETHWithdrawalFinalized(address indexed from,address indexed to,uint256,bytes)",
        _IN, (1, 2)),
    "0x3ceee06c1e37648fcbb6ed52e17b3e1f275a1f8c7b22a84b2b84732431e046b3": Signal(
        "ERC20WithdrawalFinalized(address indexed l1Token,address indexed l2Token,"
        "address indexed from,address to,uint256,bytes)", _IN, (3,), (0,)),
    "0x31b2166ff604fc5672ea5df08a78081d2bc6d746cadce880747f3643d819e83d": Signal(
        "ETHBridgeFinalized(address indexed from,address indexed to,uint256,bytes)",
        _IN, (1, 2)),
    "0xd59c65b35445225835c83f50b6ede06a7be047d22e357073e250d9af537518cd": Signal(
        "ERC20BridgeFinalized(address indexed localToken,address indexed remoteToken,"
        "address indexed from,address to,uint256,bytes)", _IN, (3,), (0,)),
    "0xb0444523268717a02698be47d0803aa7468c00acbed2f8bd93a0459cde61dd89": Signal(
        "DepositFinalized(address indexed l1Token,address indexed l2Token,"
        "address indexed from,address to,uint256,bytes)", _IN, (3,), (0,)),
    "0xdb5c7652857aa163daadd670e116628fb42e869d8ac4251ef8971d9e5727df1b": Signal(
        "WithdrawalFinalized(bytes32 indexed withdrawalHash,bool success)", _IN),
    # Arbitrum: Inbox, Bridge, Outbox (Ethereum); ArbSys (Arbitrum)
    "0xff64905f73a67fb594e0f940a8075a860db489ad991e032f48c81123eb52d60b": Signal(
        "InboxMessageDelivered(uint256 indexed messageNum,bytes data)", _OUT, own=True),
    "0x20af7f3bbfe38132b8900ae295cd9c8d1914be7052d061a511f3f728dab18964": Signal(
        "OutBoxTransactionExecuted(address indexed to,address indexed l2Sender,"
        "uint256 indexed zero,uint256 transactionIndex)", _IN, (1, 2)),
    "0x2d9d115ef3e4a606d698913b1eae831a3cdfe20d9a83d48007b0526749c3d466": Signal(
        "BridgeCallTriggered(address indexed outbox,address indexed to,uint256,bytes)",
        _IN, (2,)),
    "0x3e7aafa77dbf186b7fd488006beff893744caa3c4f6f299e8a709fa2087374fc": Signal(
        "L2ToL1Tx(address caller,address indexed destination,uint256 indexed hash,"
        "uint256 indexed position,uint256,uint256,uint256,uint256 callvalue,bytes)",
        _OUT, (1,), (0,)),
    # Circle CCTP: TokenMessenger
    "0x2fa9ca894982930190727e75500a97d8dc500233a5065e0f3126c48fbe0343c0": Signal(
        "DepositForBurn(uint64 indexed nonce,address indexed burnToken,uint256 amount,"
        "address indexed depositor,bytes32,uint32,bytes32,bytes32)", _OUT, (3,)),
    "0x1b2a7ff080b8cb6ff436ce0372e399692bbfb6d4ae5766fd8d58a7b8cc6142e6": Signal(
        "MintAndWithdraw(address indexed mintRecipient,uint256 amount,"
        "address indexed mintToken)", _IN, (1,)),
    # Across SpokePool: a deposit, and a relayer's fill paying the recipient
    "0x32ed1a409ef04c7b0227189c3a103dc5ac10e775a15b785dcc510201f7c25ad3": Signal(
        "FundsDeposited(bytes32,bytes32,uint256,uint256,uint256 indexed destinationChainId,"
        "uint256 indexed depositId,uint32,uint32,uint32,bytes32 indexed depositor,bytes32,"
        "bytes32,bytes)", _OUT, (3,)),
    "0x44b559f101f8fbcc8a0ea43fa91a05a729a5ea6e14a7c75aa750374690137208": Signal(
        "FilledRelay(bytes32,bytes32,uint256,uint256,uint256,uint256 indexed originChainId,"
        "uint256 indexed depositId,uint32,uint32,bytes32,bytes32 indexed relayer,bytes32,"
        "bytes32,bytes32,(bytes32,bytes32,uint256,uint8))", _IN, own=False),
    # Hop: L2 bridge, L1 bridge
    "0xe35dddd4ea75d7e9b3fe93af4f4e40e778c3da4074c9d93e7c6536f1e803c1eb": Signal(
        "TransferSent(bytes32 indexed transferId,uint256 indexed chainId,"
        "address indexed recipient,uint256,bytes32,uint256,uint256,uint256,uint256)",
        _OUT, own=True),
    "0x0a0607688c86ec1775abcdbab7b33a3a35a6c9cde677c9be880150c231cc6b0b": Signal(
        "TransferSentToL2(uint256 indexed chainId,address indexed recipient,uint256,uint256,"
        "uint256,address indexed relayer,uint256)", _OUT, own=True),
    "0x0c3d250c7831051e78aa6a56679e590374c7c424415ffe4aa474491def2fe705": Signal(
        "WithdrawalBonded(bytes32 indexed transferId,uint256 amount)", _IN, own=False),
    "0x9475cdbde5fc71fe2ccd413c82878ee54d061b9f74f9e2e1a03ff1178821502c": Signal(
        "Withdrew(bytes32 indexed transferId,address indexed recipient,uint256,bytes32)",
        _IN, (2,)),
    "0x320958176930804eb66c2343c7343fc0367dc16249590c0f195783bee199d094": Signal(
        "TransferFromL1Completed(address indexed recipient,uint256,uint256,uint256,"
        "address indexed relayer,uint256)", _IN, (1,)),
    # Stargate v2 pools (LayerZero OFT events)
    "0x85496b760a4b7f8d66384b9df21b381f5d1b1e79f229a47aaf4c232edc2fe59a": Signal(
        "OFTSent(bytes32 indexed guid,uint32 dstEid,address indexed fromAddress,uint256,"
        "uint256)", _OUT, (2,)),
    "0xefed6d3500546b29533b128a29e3a94d70788727f0507505ac12eaf2e578fd9c": Signal(
        "OFTReceived(bytes32 indexed guid,uint32 srcEid,address indexed toAddress,uint256)",
        _IN, (2,)),
    # Scroll: ETH and ERC-20 gateways, both chains
    "0x6670de856ec8bf5cb2b7e957c5dc24759716056f79d97ea5e7c939ca0ba5a675": Signal(
        "DepositETH(address indexed from,address indexed to,uint256,bytes)", _OUT, (1, 2)),
    "0xd8ed6eaa9a7a8980d7901e911fde6686810b989d3082182d1d3a3df6306ce20e": Signal(
        "WithdrawETH(address indexed from,address indexed to,uint256,bytes)", _OUT, (1, 2)),
    "0x96db5d1cee1dd2760826bb56fabd9c9f6e978083e0a8b88559c741a29e9746e7": Signal(
        "FinalizeWithdrawETH(address indexed from,address indexed to,uint256,bytes)",
        _IN, (1, 2)),
    "0x9e86c356e14e24e26e3ce769bf8b87de38e0faa0ed0ca946fa09659aa606bd2d": Signal(
        "FinalizeDepositETH(address indexed from,address indexed to,uint256,bytes)",
        _IN, (1, 2)),
    "0x31cd3b976e4d654022bf95c68a2ce53f1d5d94afabe0454d2832208eeb40af25": Signal(
        "DepositERC20(address indexed l1Token,address indexed l2Token,address indexed from,"
        "address to,uint256,bytes)", _OUT, (3,), (0,)),
    "0xd8d3a3f4ab95694bef40475997598bcf8acd3ed9617a4c1013795429414c27e8": Signal(
        "WithdrawERC20(address indexed l1Token,address indexed l2Token,address indexed from,"
        "address to,uint256,bytes)", _OUT, (3,), (0,)),
    "0x165ba69f6ab40c50cade6f65431801e5f9c7d7830b7545391920db039133ba34": Signal(
        "FinalizeDepositERC20(address indexed l1Token,address indexed l2Token,"
        "address indexed from,address to,uint256,bytes)", _IN, (3,), (0,)),
    "0xc6f985873b37805705f6bce756dce3d1ff4b603e298d506288cce499926846a7": Signal(
        "FinalizeWithdrawERC20(address indexed l1Token,address indexed l2Token,"
        "address indexed from,address to,uint256,bytes)", _IN, (3,), (0,)),
    # Polygon PoS: the state receiver's commit, in the chain's system transaction that
    # mints what was deposited on Ethereum
    "0x5a22725590b0a51c923940223f7458512164b1113359a735e86e7f27f44791ee": Signal(
        "StateCommitted(uint256 indexed stateId,bool success)", _IN, own=False),
}


def names_wallet(log: RawLog, signal: Signal, wallet: str, own: bool) -> bool:
    """Whether the event is the wallet's: it names the wallet where it names a party, or,
    naming nobody, the transaction is (or is not) the wallet's own as the signal says."""
    if signal.topics or signal.words:
        words = data_words(log.data) or []
        named = [topic_address(log.topics[i]) for i in signal.topics if i < len(log.topics)]
        named += ["0x" + format(words[i], "064x")[24:] for i in signal.words
                  if i < len(words)]
        return wallet in named
    return signal.own is None or signal.own == own


class BridgeDecoder:
    name = "bridges"

    def refine(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
               context: DecodeContext) -> Refinement | None:
        if not tx.success or not moves:
            return None
        out = all(m.raw_amount < 0 for m in moves)
        if not out and not all(m.raw_amount > 0 for m in moves):
            return None
        contracts = bridge_contracts(context.chain_id)
        own = wallet in executors(tx)
        for log in tx.logs:
            bridge = contracts.get(log.address)
            signal = SIGNALS.get(log.topics[0]) if bridge and log.topics else None
            if signal is None or signal.out != out or not names_wallet(log, signal, wallet,
                                                                       own):
                continue
            kind = Kind.TRANSFER_OUT if out else Kind.TRANSFER_IN
            event = signal.name.split("(")[0]
            way = "sent to" if out else "arrived from"
            return Refinement(
                decoder=self.name, kinds={m.leg_key: kind for m in moves},
                protocol=PREFIX + str(bridge),
                note=f"{bridge} bridge {event}: {way} the other chain, an own transfer")
        return None
