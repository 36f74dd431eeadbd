"""Compound v2 and its forks (the cToken interface): supplying a token for cTokens, redeeming
them, borrowing and repaying, and the COMP the Comptroller pays along.

Scope: any contract emitting a cToken's events for the wallet (fixed layout, sliced from the
log's bytes; none of their fields is indexed, so the wallet is read from the data):

- Mint(address minter, uint mintAmount, uint mintTokens)                    0x4c209b5f...1c4f
  (Uniswap V2's Mint has the same topic with the sender indexed: two topics, not one)
- Redeem(address redeemer, uint redeemAmount, uint redeemTokens)            0xe5b754fb...a929
- Borrow(address borrower, uint borrowAmount, uint accountBorrows, uint totalBorrows)
                                                                            0x13ed6866...ab80
- RepayBorrow(address payer, address borrower, uint repayAmount, uint accountBorrows,
              uint totalBorrows)                                            0x1a2a22cb...62a1

and the Comptroller's reward events naming the wallet:

- DistributedSupplierComp(address indexed cToken, address indexed supplier, uint compDelta,
                          uint compSupplyIndex)                             0x2caecd17...ea7a
- DistributedBorrowerComp(address indexed cToken, address indexed borrower, uint compDelta,
                          uint compBorrowIndex)                             0x1fc3ecc0...99a6

The cToken is the event's emitter. Kinds, for every non-fee leg of the wallet, when its legs
(the COMP set aside) are exactly what the event says:

- supply:   Mint, minter = the wallet: mintAmount of one asset out, mintTokens cTokens in
- withdraw: Redeem, redeemer = the wallet: redeemTokens cTokens out, redeemAmount of one
  asset in
- borrow:   Borrow, borrower = the wallet: borrowAmount of one asset in, nothing out: a loan
  received, a liability, not income
- repay:    RepayBorrow, payer = borrower = the wallet: repayAmount of one asset out
- income:   what came in from a contract that emitted a Distributed...Comp for the wallet in
  the transaction (COMP, a `reward` in the income report)

The interest a supplier earns is in the cToken's exchange rate: it comes out at the
redemption, whose treatment carries the basis over by default. Anything else (two actions
at once, a repayment on someone else's behalf, amounts that differ) is left to other rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from chains.addresses import erc20_asset
from chains.evm.abi import data_words, topic_address, word_address
from chains.evm.records import RawLog, RawTx
from scanner.ledger.decode.protocols import DecodeContext, Refinement
from scanner.ledger.records import Kind, Movement

MINT = "0x4c209b5fc8ad50758f13e2e1088ba56a560dff690a1c6fef26394f4c03821c4f"
REDEEM = "0xe5b754fb1abb7f01b499791d0b820ae3b6af3424ac1c59768edb53f4ec31a929"
BORROW = "0x13ed6866d4e1ee6da46f845c46d7e54120883d75c5ea9a2dacc1c4ca8984ab80"
REPAY_BORROW = "0x1a2a22cb034d26d1854bdc6666a5b91fe25efbbb5dcad3b0355478d6f5c362a1"
SUPPLIER_COMP = "0x2caecd17d02f56fa897705dcc740da2d237c373f70686f4e0d9bd3bf0400ea7a"
BORROWER_COMP = "0x1fc3ecc087d8d2d15e23d0032af5a47059c3892d003d8e139fdcb6bb327c99a6"
PROTOCOL = "compound-v2"
_WORDS = {MINT: 3, REDEEM: 3, BORROW: 4, REPAY_BORROW: 5}  # data words; one topic each
_KINDS = {MINT: Kind.SUPPLY, REDEEM: Kind.WITHDRAW, BORROW: Kind.BORROW,
          REPAY_BORROW: Kind.REPAY}
_NOTES = {
    MINT: "Compound Mint: the token supplied for cTokens",
    REDEEM: "Compound Redeem: cTokens given back for the token and its interest",
    BORROW: "Compound Borrow: a loan received, a liability, not income",
    REPAY_BORROW: "Compound RepayBorrow: a loan paid back, not a sale",
}


@dataclass(frozen=True)
class CTokenEvent:
    log_index: int
    ctoken: str
    topic: str
    account: str  # minter, redeemer or borrower (RepayBorrow: the borrower)
    payer: str  # RepayBorrow's payer; the account for the others
    amount: int  # of the underlying
    tokens: int  # cTokens minted or redeemed; 0 for Borrow and RepayBorrow


def ctoken_event(log: RawLog) -> CTokenEvent | None:
    """A cToken's Mint, Redeem, Borrow or RepayBorrow, or None."""
    if len(log.topics) != 1 or log.topics[0] not in _WORDS:
        return None
    topic = log.topics[0]
    words = data_words(log.data)
    if words is None or len(words) != _WORDS[topic]:
        return None
    if topic == REPAY_BORROW:
        payer, account, amount, tokens = words[0], words[1], words[2], 0
    else:
        payer = account = words[0]
        amount, tokens = words[1], (words[2] if topic in (MINT, REDEEM) else 0)
    account_address, payer_address = word_address(account), word_address(payer)
    if account_address is None or payer_address is None:
        return None
    return CTokenEvent(log.log_index, log.address, topic, account_address, payer_address,
                       amount, tokens)


def reward_payers(tx: RawTx, wallet: str) -> set[str]:
    """The Comptrollers that said, in `tx`, they distributed COMP to `wallet`."""
    return {log.address for log in tx.logs
            if len(log.topics) == 3 and log.topics[0] in (SUPPLIER_COMP, BORROWER_COMP)
            and topic_address(log.topics[2]) == wallet}


class CompoundV2Decoder:
    name = "compound-v2"

    def refine(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
               context: DecodeContext) -> Refinement | None:
        if not tx.success or not moves:
            return None
        events = [e for e in map(ctoken_event, tx.logs) if e is not None and e.account == wallet]
        if len(events) != 1:
            return None  # not the wallet's, or two actions at once
        event = events[0]
        if event.payer != wallet:
            return None  # repaid by someone else: nothing of the wallet's moved for it
        payers = reward_payers(tx, wallet)
        rewards = [m for m in moves if m.raw_amount > 0 and m.counterparty in payers]
        rest = [m for m in moves if m not in rewards]
        if not _is_the_pattern(event, rest, erc20_asset(context.chain_id, event.ctoken)):
            return None
        kinds = {m.leg_key: _KINDS[event.topic] for m in rest}
        kinds.update({m.leg_key: Kind.INCOME for m in rewards})
        note = _NOTES[event.topic] + ("; COMP paid by the Comptroller: income" if rewards
                                      else "")
        return Refinement(decoder=self.name, kinds=kinds, protocol=PROTOCOL, note=note)


def _is_the_pattern(event: CTokenEvent, legs: Sequence[Movement], ctoken: str) -> bool:
    """Whether the legs are exactly the event's amounts: the cTokens (for a Mint or a
    Redeem) and one other asset, the ways the event says."""
    net: dict[str, int] = defaultdict(int)
    for leg in legs:
        net[leg.asset] += leg.raw_amount
    underlying = [(asset, amount) for asset, amount in net.items() if asset != ctoken]
    if len(underlying) != 1:
        return False
    (_, amount), = underlying
    expected = {MINT: (-event.amount, event.tokens), REDEEM: (event.amount, -event.tokens),
                BORROW: (event.amount, 0), REPAY_BORROW: (-event.amount, 0)}[event.topic]
    return (amount, net.get(ctoken, 0)) == expected
