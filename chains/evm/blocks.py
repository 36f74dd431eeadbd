"""The last block at or before a moment, by bisection over block timestamps."""

from __future__ import annotations

from datetime import datetime

from chains.evm.mappers import block_timestamp, hex_int
from chains.evm.rpc import RpcClient


def block_at(client: RpcClient, moment: datetime) -> int | None:
    """The last block whose timestamp is at or before `moment`; None if none is."""

    def stamp(number: int) -> datetime:
        return block_timestamp(client.call("eth_getBlockByNumber", [hex(number), False]), number)

    hi = hex_int(client.call("eth_blockNumber", []), "a block number")
    if stamp(0) > moment:
        return None
    if stamp(hi) <= moment:
        return hi
    lo = 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if stamp(mid) <= moment:
            lo = mid
        else:
            hi = mid
    return lo
