"""Whose transaction it is: its sender's, and a contract wallet's that executed it.

A contract wallet never sends a transaction itself: an owner (Safe) or a bundler
(ERC-4337) does, and pays the gas. The wallet's executed call is still its own: a Safe
emits ExecutionSuccess from its own address when it executes one (ExecutionFromModuleSuccess
when a module has it execute), and an ERC-4337 EntryPoint emits UserOperationEvent naming
the account whose operation it ran. A log's emitter cannot be forged, so a Safe's events
count from any address; UserOperationEvent only from the EntryPoint contracts.

An ERC-4337 account that pays its own gas (no paymaster) sends the EntryPoint a prefund
during validation (what its deposit there lacks of the most the operation may cost); the
EntryPoint takes what the operation did cost (UserOperationEvent's actualGasCost) out of
the account's deposit and keeps the rest there for it, to spend on later operations or to
withdraw (no ether comes back in the transaction). So of the account's prefund, the part up
to that cost is its fee (`prefunds_as_fees`); the rest stays a transfer to the EntryPoint,
a balance the position model (scanner.ledger.positions) carries when it comes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from chains.evm.abi import ZERO_ADDRESS, data_words, topic_address
from chains.evm.records import RawTx
from scanner.ledger.records import Movement

# ExecutionSuccess(bytes32 txHash, uint256 payment): Safe up to 1.4 (hash in the data)
# and 1.5 (hash indexed) share the topic
SAFE_EXECUTION_SUCCESS = "0x442e715f626346e8c54381002da614f62bee8d27386535b2521ec8540898556e"
# ExecutionFromModuleSuccess(address indexed module)
SAFE_MODULE_SUCCESS = "0x6895c13664aa4f67288b25d7a21d7aaa34916e355fb9b6fae0a139a9085becb8"
# UserOperationEvent(bytes32 indexed userOpHash, address indexed sender, address indexed
# paymaster, uint256 nonce, bool success, uint256 actualGasCost, uint256 actualGasUsed)
USER_OPERATION_EVENT = "0x49628fd1471006c1482da88028e9ce4dbb080b815c9b0344d39e5a8e6ec1419f"
# the ERC-4337 EntryPoints, at one address on every chain
ENTRY_POINTS = frozenset({
    "0x5ff137d4b0fdcd49dca30c7cf57e578a026d2789",  # v0.6
    "0x0000000071727de22e5e9d8baf0edac6f37da032",  # v0.7
    "0x4337084d9e255ff0702461cf8895ce9e3b5ff108",  # v0.8
})
_SAFE_TOPICS = frozenset({SAFE_EXECUTION_SUCCESS, SAFE_MODULE_SUCCESS})


def executors(tx: RawTx) -> frozenset[str]:
    """The addresses whose own transaction `tx` is: its sender, every Safe that executed a
    call in it, every ERC-4337 account whose user operation it ran."""
    found = {tx.from_address}
    for log in tx.logs:
        topics = log.topics
        if not topics:
            continue
        if topics[0] in _SAFE_TOPICS:
            found.add(log.address)
        elif topics[0] == USER_OPERATION_EVENT and log.address in ENTRY_POINTS \
                and len(topics) == 4 and (sender := topic_address(topics[2])):
            found.add(sender)
    return frozenset(found)


def user_operation_costs(tx: RawTx) -> dict[str, int]:
    """account -> what its user operations in `tx` cost it: the actualGasCost of each
    UserOperationEvent an EntryPoint emitted for it without a paymaster (with one, the
    paymaster pays). The event's data: nonce, success, actualGasCost, actualGasUsed."""
    costs: dict[str, int] = {}
    for log in tx.logs:
        topics = log.topics
        if not topics or topics[0] != USER_OPERATION_EVENT or log.address not in ENTRY_POINTS \
                or len(topics) != 4 or topic_address(topics[3]) != ZERO_ADDRESS:
            continue
        sender, words = topic_address(topics[2]), data_words(log.data)
        if sender and words and len(words) == 4:
            costs[sender] = costs.get(sender, 0) + words[2]
    return costs


def prefunds_as_fees(tx: RawTx, moves: Sequence[Movement], native_asset: str
                     ) -> list[Movement]:
    """`moves` with each account's prefund to an EntryPoint (its native legs there) split:
    up to what its user operations cost, a fee leg (`<leg>:fee`, or the whole leg when it
    cost at least that); the rest, the deposit the EntryPoint keeps for the account, stays
    the leg it was."""
    costs = user_operation_costs(tx)
    if not costs:
        return list(moves)
    out: list[Movement] = []
    for move in moves:
        owed = costs.get(move.wallet, 0)
        if not owed or move.is_fee or move.asset != native_asset or move.raw_amount >= 0 \
                or move.counterparty not in ENTRY_POINTS:
            out.append(move)
            continue
        paid = min(owed, -move.raw_amount)
        costs[move.wallet] = owed - paid
        if paid == -move.raw_amount:
            out.append(replace(move, is_fee=True))
        else:
            out += [replace(move, leg_key=f"{move.leg_key}:fee", raw_amount=-paid, is_fee=True),
                    replace(move, raw_amount=move.raw_amount + paid)]
    return out
