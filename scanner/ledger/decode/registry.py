"""The protocol decoders, in the order they are asked: the first that claims a wallet's legs
in a transaction refines them."""

from __future__ import annotations

from scanner.ledger.decode.protocols import ProtocolDecoder
from scanner.ledger.decode.protocols.aave_v3 import AaveV3Decoder
from scanner.ledger.decode.protocols.airdrops import AirdropDecoder
from scanner.ledger.decode.protocols.balancer_v2 import BalancerV2Decoder
from scanner.ledger.decode.protocols.blur import BlurDecoder
from scanner.ledger.decode.protocols.bridges import BridgeDecoder
from scanner.ledger.decode.protocols.compound_v2 import CompoundV2Decoder
from scanner.ledger.decode.protocols.compound_v3 import CompoundV3Decoder
from scanner.ledger.decode.protocols.convex import ConvexDecoder
from scanner.ledger.decode.protocols.curve import CurveGaugeDecoder, CurvePoolDecoder
from scanner.ledger.decode.protocols.erc4626 import Erc4626Decoder
from scanner.ledger.decode.protocols.lido import LidoDecoder
from scanner.ledger.decode.protocols.maker import MakerDecoder
from scanner.ledger.decode.protocols.receipts import ReceiptDecoder
from scanner.ledger.decode.protocols.seaport import SeaportDecoder
from scanner.ledger.decode.protocols.staking_rewards import StakingRewardsDecoder
from scanner.ledger.decode.protocols.uniswap_v2 import UniswapV2Decoder
from scanner.ledger.decode.protocols.uniswap_v3 import UniswapV3Decoder
from scanner.ledger.decode.protocols.weth import WethDecoder

# Bridges first: their contracts take deposits and pay withdrawals from one address, which
# the position shape would read as a position. It claims only legs all one way, so a wrap
# still reaches WETH, the narrowest reading of the rest; Lido and Aave v3
# are scoped to their own mainnet contracts, so their place after the others changes nothing.
# The receipt shape knows no protocol: it comes last, under every decoder that does
DECODERS: tuple[ProtocolDecoder, ...] = (
    BridgeDecoder(), WethDecoder(), UniswapV2Decoder(), UniswapV3Decoder(), LidoDecoder(),
    SeaportDecoder(), BlurDecoder(),  # scoped to their own contracts' order events
    AaveV3Decoder(),
    BalancerV2Decoder(),  # its Vault's joins for the wallet: before a gauge's shape
    # Convex before Curve (its deposits move Curve LP tokens), Curve's gauges before its
    # pools (a zap adds liquidity and stakes it at once), all before the farms they look like
    ConvexDecoder(), CurveGaugeDecoder(), CurvePoolDecoder(),
    StakingRewardsDecoder(), CompoundV2Decoder(), CompoundV3Decoder(), AirdropDecoder(),
    MakerDecoder(),  # sDAI and sUSDS by name: before the standard reads any vault
    Erc4626Decoder(), ReceiptDecoder())
