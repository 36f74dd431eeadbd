"""Bridge deployments per chain: the contracts whose events say that the wallet's assets left
for another chain or arrived from one (scanner/ledger/decode/protocols/bridges.py reads them).

Each address comes from a recorded real transaction under ../shared/realdata
(explorer-recordings/decoder_receipts: the file is named beside it), from a chain's fixed
predeploy (OP Stack 0x4200..., Polygon's state receiver, Arbitrum's ArbSys), or, with no
recording yet, from the project's own deployment lists as public code that calls them
quotes them (Across SpokePools, CCTP TokenMessenger/MessageTransmitter, Stargate v2 pools):
those are unchecked by a test here.
"""

from __future__ import annotations

# OP Stack predeploys, the same address on every OP Stack chain
OP_L2_STANDARD_BRIDGE = "0x4200000000000000000000000000000000000010"
OP_L2_TO_L1_MESSAGE_PASSER = "0x4200000000000000000000000000000000000016"
POLYGON_STATE_RECEIVER = "0x0000000000000000000000000000000000001001"

# chain id -> (bridge name, lowercase address): the name is the ledger's `bridge:<name>`
BRIDGES: dict[int, tuple[tuple[str, str], ...]] = {
    1: (
        # test_deposit_erc20: L1StandardBridge of OP Mainnet
        ("optimism", "0x99c9fc46f92e8a1c0dec1b1747d010903e884be1"),
        # test_deposit_eth_ethereum_to_base_bridge: Base's L1StandardBridge, OptimismPortal
        ("base", "0x3154cf16ccdb4c6d922629664174b904d80f2c35"),
        ("base", "0x49048044d57e1c92a77f79988d21fa8faf74e97e"),
        # test_deposit_eth_from_ethereum_to_arbitrum_one: Inbox; Bridge (it pays withdrawals)
        ("arbitrum", "0x4dbd4fc535ac27206064b68ffcf827b0a60bab3f"),
        ("arbitrum", "0x8315177ab297ba92a06054ce80a67ed4dbd7ed3a"),
        # test_arbitrum_one_bridge__test_receive_eth_on_ethereum: Outbox
        ("arbitrum", "0x0b9857ae2d4a3dbe74ffe1d7df045bb7f96e4840"),
        # test_across_bridge_deposit_on_ethereum: SpokePool
        ("across", "0x5c7bcd6e7de5423a257d81b442095a1a6ced35c5"),
        # test_deposit_usdc_from_ethereum_to_arbitrum_one: TokenMessenger, MessageTransmitter
        ("cctp", "0xbd3fa81b58ba92a82136038b25adec7066af3155"),
        ("cctp", "0x0a992d191deec32afe36203ad87d7d289a738f81"),
        # Stargate v2 pools: native ETH, USDC, USDT
        ("stargate", "0x77b2043768d28e9c9ab44e1abfc95944bce57931"),
        ("stargate", "0xc026395860db2d07ee33e05fe50ed7bd583189c7"),
        ("stargate", "0x933597a323eb81cae705c5bc29985172fd5a3973"),
    ),
    10: (
        ("optimism", OP_L2_STANDARD_BRIDGE),  # test_superchain_bridge__test_withdraw_eth
        ("optimism", OP_L2_TO_L1_MESSAGE_PASSER),
        # test_hop_eth_bridge_optimism: Hop's L2 ETH bridge and its AMM wrapper
        ("hop", "0x83f6244bd87662118d96d9a6d44f09dfff14b30e"),
        ("hop", "0x86ca30bef97fb651b8d866d45503684b90cb3312"),
        ("across", "0x6f26bf09b1c792e3228e5467807a900a503c0281"),
        ("cctp", "0x2b4069517957735be00cee0fadae88a26365528f"),
        ("cctp", "0x4d41f22c5a0e5c74090899e5a8fb597a8842b3e8"),
        ("stargate", "0xce8cca271ebc0533920c83d39f417ed6a0abb7d0"),
        ("stargate", "0x19cfce47ed54a88614648dc3f19a5980097007dd"),
        ("stargate", "0xe8cdf27acd73a434d661c84887215f7598e7d0d3"),
    ),
    137: (
        ("polygon", POLYGON_STATE_RECEIVER),  # test_polygon_pos_bridge_l2_withdraw
        ("across", "0x9295ee1d8c5b022be115a2ad3c30c72e34e7f096"),
    ),
    8453: (
        ("base", OP_L2_STANDARD_BRIDGE),  # test_withdraw_eth_base_to_ethereum_bridge
        ("base", OP_L2_TO_L1_MESSAGE_PASSER),
        ("across", "0x09aea4b2242abc8bb4bb78d537a67a245a7bec64"),
        ("cctp", "0x1682ae6375c4e4a97e4b583bc394c861a46d8962"),
        ("cctp", "0xad09780d193884d503182ad4588450c416d6f9d4"),
        ("stargate", "0xdc181bd607330aeebef6ea62e03e5e1fb4b6f7c7"),
        ("stargate", "0x27a16dc786820b16e5c9028b75b99f6f604b5d26"),
    ),
    42161: (
        # test_receive_usdc_on_arbitrum_one_from_ethereum: TokenMessenger, MessageTransmitter
        ("cctp", "0x19330d10d9cc8751218eaf51e8885d058642e08a"),
        ("cctp", "0xc30362313fbba5cf9163f0bb16a0e01f01a896ca"),
        ("arbitrum", "0x0000000000000000000000000000000000000064"),  # ArbSys precompile
        ("across", "0xe35e9842fceaca96570b734083f4a58e8f7c5f2a"),
        ("stargate", "0xa45b5130f36cdca45667738e2a258ab09f4a5f7f"),
    ),
    534352: (
        # test_withdraw_eth_from_scroll_to_ethereum: L2GatewayRouter, L2ETHGateway,
        # L2ScrollMessenger
        ("scroll", "0x4c0926ff5252a435fd19e10ed15e5a249ba19d79"),
        ("scroll", "0x6ea73e05adc79974b931123675ea8f78ffdacdf0"),
        ("scroll", "0x781e90f1c8fc4611c9b7497c3b47f99ef6969cbc"),
        ("across", "0x3bad7ad0728f9917d1bf08af5782dcbd516cdd96"),
    ),
}


def bridge_contracts(chain_id: int) -> dict[str, str]:
    """Lowercase address -> bridge name, of the chain's bridge contracts."""
    return {address: name for name, address in BRIDGES.get(chain_id, ())}
