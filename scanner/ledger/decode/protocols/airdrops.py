"""Airdrops paid by their known distributors: the Merkle (or list) distributors of roles
`airdrop:<name>` in chains.deployments (the UNI, OP, ARB, ODOS and SCR airdrops), booked as
income of protocol `airdrop:<name>`.

Scope: a distributor of the chain that emitted a claim event (decode/claims.py's
CLAIM_TOPICS: Claimed, HasClaimed, RewardClaimed...) in the wallet's own transaction
(`executors`: a Safe's or an ERC-4337 account's too) and paid the wallet. Kinds, for every
non-fee leg of the wallet:

- income: every leg a token coming in from that one distributor

A claim whose payout comes with anything else (a fee, a stake, several distributors), or
that someone else's transaction made for the wallet, is left to other rules (as the generic
claim rule does, a transfer in at fair value, listed for review), and an unknown
distributor to the generic claim rule (decode/claims.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from chains.evm.records import RawTx
from scanner.ledger.decode.claims import CLAIM_TOPICS
from scanner.ledger.decode.executors import executors
from scanner.ledger.decode.protocols import DecodeContext, Refinement
from scanner.ledger.records import Kind, Movement

ROLE = "airdrop:"  # roles "airdrop:<name>", the name the protocol keeps


class AirdropDecoder:
    name = "airdrop"

    def refine(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
               context: DecodeContext) -> Refinement | None:
        if not tx.success or not moves or wallet not in executors(tx):
            return None
        distributors = {address: role.partition("@")[0]
                        for role, address in context.contracts.items() if role.startswith(ROLE)}
        claimed = {log.address for log in tx.logs if log.address in distributors
                   and log.topics and log.topics[0] in CLAIM_TOPICS}
        payers = {m.counterparty for m in moves}
        if len(payers) != 1 or not payers <= claimed:
            return None
        if any(m.raw_amount < 0 or m.asset.count("/") != 1 for m in moves):
            return None  # something went out, or no fungible token came in
        payer = next(iter(claimed & payers))
        protocol = distributors[payer]
        return Refinement(decoder=self.name, kinds={m.leg_key: Kind.INCOME for m in moves},
                          protocol=protocol,
                          note=f"claimed from {protocol.removeprefix(ROLE)}'s distributor "
                               f"{payer}: an airdrop, income at its value on receipt")
