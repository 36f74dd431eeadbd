"""Payouts of a distributor: tokens a contract paid out in a transaction in which it also
said it paid a claim (a Merkle airdrop's Claimed, a reward contract's RewardPaid...)."""

from __future__ import annotations

from collections.abc import Collection

from chains.evm.records import RawTx
from scanner.ledger.decode.protocols.compound_v2 import BORROWER_COMP, SUPPLIER_COMP
from scanner.ledger.decode.protocols.staking_rewards import REWARD_PAID
from scanner.ledger.decode.transfers import token_transfers

CLAIM_TOPICS = frozenset({
    # Claimed(uint256 index, address account, uint256 amount): Uniswap's MerkleDistributor
    # and its copies (the UNI and OP airdrops)
    "0x4ec90e965519d92681267467f775ada5bd214aa92c0dc93d90a5e880ce9ed026",
    # Claimed(address indexed account, uint256 amount): the SCR airdrop
    "0xd8138f8a3f377c5259ca548e70e4c2de94f129f5a11036a15b69513cba2b426a",
    # RewardClaimed(address,address,address,uint256,uint256): the ODOS airdrop
    "0x6ec685171a9028d19dc155a48e7824e3c68b03bc8995410e006abe3cbbeb3e2d",
    # Minted(address indexed recipient, address gauge, uint256 minted): Curve's Minter
    "0x9d228d69b5fdb8d273a2336f8fb8612d039631024ea9bf09c424a9503aa078f0",
    REWARD_PAID,  # RewardPaid(address indexed user, uint256 reward): StakingRewards
    # RewardPaid(address indexed user, address indexed rewardToken, uint256 reward): the
    # multi-reward farms (Curve, Convex, Velodrome-style gauges)
    "0x540798df468d7b23d11f156fdb954cb19ad414d150722a7b6d55ba369dea792e",
    SUPPLIER_COMP, BORROWER_COMP,  # Compound's Comptroller paying COMP
    # RewardClaimed(address indexed src, address indexed recipient, address indexed token,
    # uint256 amount): Compound v3's CometRewards
    "0x2422cac5e23c46c890fdcf42d0c64757409df6832174df639337558f09d99c68",
    # RewardsClaimed(address indexed user, address indexed reward, address indexed to,
    # address claimer, uint256 amount): Aave v3's RewardsController
    "0xc052130bc4ef84580db505783484b067ea8b71b3bca78a7e12db7aea8658f004",
    # Claimed(address indexed user, address indexed token, uint256 amount): Merkl
    "0xf7a40077ff7a04c7e61f6f26fb13774259ddf1b6bce9ecf26a8276cdd3992683",
    # HasClaimed(address indexed recipient, uint256 amount): the ARB airdrop
    "0x8629b200ebe43db58ad688b85131d53251f3f3be4c14933b4641aeebacf1c08c",
    # Claim(address indexed claimant, uint256 amount): the ENS airdrop and its copies
    "0x47cee97cb7acd717b3c0aa1435d004cd5b3c8c57d70dbceb4e4458bbd60e39d4",
    # ClaimRewards(address indexed from, uint256 amount): Velodrome and Aerodrome gauges
    "0x1f89f96333d3133000ee447473151fa9606543368f02271c9d95ae14f13bcc67",
})


def claim_payouts(tx: RawTx, wallets: Collection[str]) -> dict[str, str]:
    """Token contract -> the contract that paid it to one of `wallets` in `tx` and emitted a
    claim event there (the event's emitter is the payer: no one else can speak for it)."""
    claimers = {log.address for log in tx.logs if log.topics and log.topics[0] in CLAIM_TOPICS}
    if not claimers:
        return {}
    found: dict[str, str] = {}
    for log in tx.logs:
        for item in token_transfers(log):
            if item.recipient in wallets and item.sender in claimers:
                found.setdefault(item.token, item.sender)
    return found
