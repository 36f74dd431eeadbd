"""Protocol deployments per chain: the contracts the protocol decoders are scoped to, by role
("uniswap-v3:positions", "aave-v3:pool"...), and the devnet's protocol contracts.

Each address comes from a source in this repository: the recorded real transactions under
../shared/realdata (rotki names the contract in its expected events), the official npm
artifacts the devnet deploys, or the deployment order of chains/devnet. Uniswap V3's
NonfungiblePositionManager is confirmed by recordings on Ethereum and OP Mainnet; the same
address stands on Arbitrum and Polygon, and Base's own is Uniswap's published deployment
(docs.uniswap.org, contracts/v3/reference/deployments). On other chains its deployment is
recognized by its interface where the wallet took part (decode/protocols/uniswap_v3.py), and a
config `[[protocols]]` entry can name it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# The devnet's protocols come from anvil's fourth account, in this order, first thing.
DEVNET_PROTOCOL_DEPLOYER = "0x90f79bf6eb2c4f870365e785982e1f101e93b906"
DEVNET_UNISWAP_V3_FACTORY = "0x057ef64e23666f000b34ae31332854acbd1c8544"  # its nonce 0
DEVNET_UNISWAP_V3_POSITIONS = "0x261d8c5e9742e6f7f1076fa1f560894524e19cad"  # 1
DEVNET_UNISWAP_V3_ROUTER = "0xce3478a9e0167a6bc5716dc39dbbbfac38f27623"  # 2
# then the devnet's own contracts (fixtures/devnet/contracts/Protocols.sol), nonces 3 to 9
DEVNET_STETH = "0xcba6b9a951749b8735c603e7ffc5151849248772"
DEVNET_WSTETH = "0xe4eb561155afce723bb1ff8606fbfe9b28d5d38d"
DEVNET_LENDING_POOL = "0xcf27f781841484d5cf7e155b44954d7224caf1dd"
DEVNET_ADAI = "0x673cd70fa883394a1f3deb3221937ceb7c2618d7"
DEVNET_DAI_DEBT = "0x6179fbb91b239b574a4565e2c55a6fd38c3372d3"
DEVNET_AWETH = "0x71f043a9072b5ec430c0a1dd766e1c8c613edc5d"
DEVNET_WETH_DEBT = "0xe7cfcccb38ce07ba9d8d13431afe8cf6172de031"

# Uniswap V3's NonfungiblePositionManager on Ethereum, OP Mainnet, Arbitrum and Polygon
UNISWAP_V3_POSITIONS = "0xc36442b4a4522e871399cd717abdd847ab11fe88"
UNISWAP_V3_POSITIONS_BASE = "0x03a520b32c04bf3beef7beb72e919cf822ed34f1"

# Seaport, at the same address on every chain (ProjectOpenSea's published deployments)
SEAPORT: tuple[tuple[str, str], ...] = (
    ("seaport:1.1", "0x00000000006c3852cbef3e08e8df289169ede581"),
    ("seaport:1.2", "0x00000000000006c7676171937c444f6bde3d6282"),
    ("seaport:1.3", "0x0000000000000ad24e80fd803c6ac37206a45f15"),
    ("seaport:1.4", "0x00000000000001ad428e4906ae43d8f9852d0dd6"),
    ("seaport:1.5", "0x00000000000000adc04c56bf30ac9d3c0aaf14dc"),
    ("seaport:1.6", "0x0000000000000068f116a894984e2db1123eb395"))

# Curve's ChildGaugeFactory, the CRV minter of the child gauges, at one address on every
# chain but Ethereum (curvefi/curve-xchain-factory deploys it so; a recording on Arbitrum)
CURVE_CHILD_MINTER = "0xabc000d88f23bb45525e447528dbf656a9d55bf5"

# Balancer v2's Vault: one address on every chain it is on (balancer/balancer-deployments,
# v2/tasks/20210418-vault outputs; recorded on Ethereum, OP Mainnet and Gnosis)
BALANCER_V2_VAULT = ("balancer-v2:vault", "0xba12222222228d8ba445958a75a0704d566bf2c8")
# Maker and Sky on Ethereum: DAI and USDS (recorded), the DsrManager and the Pot (the
# chainlog's DSR_MANAGER and MCD_POT), sDAI, sUSDS (recorded), the DAI-USDS and MKR-SKY
# converters (the chainlog's DAI_USDS, MKR_SKY and MKR_SKY_LEGACY) and Spark's
# MigrationActions (recorded)
MAKER_SKY: tuple[tuple[str, str], ...] = (
    ("maker:dai", "0x6b175474e89094c44da98b954eedeac495271d0f"),
    ("sky:usds", "0xdc035d45d973e3ec169d2276ddab16f1e407384f"),
    ("maker:dsr-manager", "0x373238337bfe1146fb49989fc222523f83081ddb"),
    ("maker:pot", "0x197e90f9fad81970ba7976f33cbd77088e5d7cf7"),
    ("maker:sdai", "0x83f20f44975d03b1b09e64809b757c47f942beea"),
    ("sky:susds", "0xa3931d71877c0e7a3148cb7eb4463524fec27fbd"),
    ("sky:dai-usds", "0x3225737a9bbb6473cb4a45b7244aca2befdb276a"),
    ("sky:mkr-sky", "0xa1ea1ba18e88c381c724a75f23a130420c403f9a"),
    ("sky:mkr-sky-legacy", "0xbdcfca946b6cdd965f99a839e4435bcdc1bc470b"),
    ("sky:migration-actions", "0xf86141a5657cf52aeb3e30ebcca5ad3a8f714b89"))

# chain id -> (role, lowercase address)
DEPLOYMENTS: Mapping[int, tuple[tuple[str, str], ...]] = {
    1: (("uniswap-v3:positions", UNISWAP_V3_POSITIONS),
        ("lido:steth", "0xae7ab96520de3a18e5e111b5eaab095312d7fe84"),
        ("lido:wsteth", "0x7f39c581f595b53c5cb19bd0b3f8da6c935e2ca0"),
        ("aave-v3:pool", "0x87870bca3f3fd6335c3f4ce8392d69350b4fa4e2"),
        # Compound v3 markets (Comets)
        ("compound-v3:cusdcv3", "0xc3d688b66703497daa19211eedff47f25384cdc3"),
        ("compound-v3:cwethv3", "0xa17581a9e3356d9a858b789d68b4d866e593ae94"),
        ("compound-v3:cusdtv3", "0x3afdc9bca9213a35503b077a6072f3d0d5ab0840"),
        # Blur Exchange (v1 proxy) and the Blur Pool, its ETH wrapper
        ("blur:exchange", "0x000000000000ad05ccc4f10045630fb830b95127"),
        ("blur:pool", "0x0000000000a39bb272e79075ade125fd351887ac"),
        # Curve's CRV Minter; Convex's Booster, CVX, and the cvxCRV and CVX staking pools
        ("curve:minter", "0xd061d61a4d941c39e5453435b6345dc261c2fce0"),
        ("convex:booster", "0xf403c135812408bfbe8713b5a23a04b3d48aae31"),
        ("convex:cvx", "0x4e3fbd56cd56c3e72c1403e103b45db9da5b9d2b"),
        ("convex:cvxcrv-rewards", "0x3fe65692bfcd0e6cf84cb1e7d24108e434a7587e"),
        ("convex:cvx-rewards", "0xcf50b810e57ac33b91dcf525c6ddd9881b139332"),
        BALANCER_V2_VAULT, *MAKER_SKY,
        ("airdrop:uniswap", "0x090d4613473dee047c3f2706764f49e0821d256e")),  # recorded
    10: (("uniswap-v3:positions", UNISWAP_V3_POSITIONS),
         ("compound-v3:cusdcv3", "0x2e44e174f7d53f0212823acc11c01a11d58c5bcb"),
         ("compound-v3:cwethv3", "0xe36a30d249f7761327fd973001a32010b521b6fd"),
         ("curve:minter", CURVE_CHILD_MINTER), BALANCER_V2_VAULT,
         ("airdrop:optimism", "0xfedfaf1a10335448b7fa0268f56d2b44dbd357de")),  # recorded
    56: (BALANCER_V2_VAULT,),
    100: (("curve:minter", CURVE_CHILD_MINTER), BALANCER_V2_VAULT),
    137: (("uniswap-v3:positions", UNISWAP_V3_POSITIONS),
          ("compound-v3:cusdcv3", "0xf25212e676d1f7f89cd72ffee66158f541246445"),
          ("curve:minter", CURVE_CHILD_MINTER), BALANCER_V2_VAULT),
    8453: (("uniswap-v3:positions", UNISWAP_V3_POSITIONS_BASE),
           ("compound-v3:cusdcv3", "0xb125e6687d4313864e53df431d5425969c15eb2f"),
           ("compound-v3:cwethv3", "0x46e6b214b524310239732d51387075e0e70970bf"),
           ("curve:minter", CURVE_CHILD_MINTER), BALANCER_V2_VAULT,
           ("airdrop:odos", "0x4c8f8055d88705f52c9994969dde61ab574895a3")),  # recorded
    42161: (("uniswap-v3:positions", UNISWAP_V3_POSITIONS),
            ("compound-v3:cusdcev3", "0xa5edbdd9646f8dff606d7448e414884c7d905dca"),
            ("compound-v3:cusdcv3", "0x9c4ec768c28520b50860ea7a15bd7213a9ff58bf"),
            ("compound-v3:cwethv3", "0x6f7d514bbd4aff3bcd1140b7344b32f063dee486"),
            ("curve:minter", CURVE_CHILD_MINTER), BALANCER_V2_VAULT,
            # the ARB airdrop's TokenDistributor: a recorded wallet's claimAndDelegate
            ("airdrop:arbitrum", "0x67a24ce4321ab3af51c2d0a4801c3e111d88c9d9")),
    43114: (BALANCER_V2_VAULT,),
    534352: (("airdrop:scroll", "0xe8be8eb940c0ca3bd19d911cd3bebc97bea0ed62"),),  # recorded
    31337: (("uniswap-v3:positions", DEVNET_UNISWAP_V3_POSITIONS),
            ("lido:steth", DEVNET_STETH), ("lido:wsteth", DEVNET_WSTETH),
            ("aave-v3:pool", DEVNET_LENDING_POOL)),
}


def contracts_on(chain_id: int, named: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """Role -> address of the protocol contracts on a chain: the registry's, then `named`
    (the config's `[[protocols]]` entries for the chain, (role, address)). A named contract
    whose role is already filled by another address is kept beside it, under
    `<role>@<address>`: a decoder that reads a role's every address (`addresses_of`) finds
    both."""
    found = dict(SEAPORT) | dict(DEPLOYMENTS.get(chain_id, ()))
    for role, address in named:
        if found.get(role, address) == address:
            found[role] = address
        else:
            found[f"{role}@{address}"] = address
    return found


def addresses_of(contracts: Mapping[str, str], role: str) -> frozenset[str]:
    """Every address `contracts` holds for `role` (the registry's and the config's)."""
    return frozenset(address for name, address in contracts.items()
                     if name == role or name.startswith(role + "@"))
