"""ERC-4626 tokenized vaults (sDAI, sUSDS, Yearn v3, and every vault of the standard):
assets deposited for shares, shares redeemed for assets.

Scope: any contract emitting the standard's events for the wallet (fixed layout, sliced from
the log's bytes); the vault is the emitter and its shares are its own ERC-20:

- Deposit(address indexed sender, address indexed owner, uint256 assets, uint256 shares)
                                                                            0xdcbc1c05...09d7
- Withdraw(address indexed sender, address indexed receiver, address indexed owner,
           uint256 assets, uint256 shares)                                  0xfbde797d...c8db

Kinds, for every non-fee leg of the wallet:

- deposit:  Deposit with owner = the wallet, the wallet's legs the assets out and the shares
  in: the assets into the vault's receipt, basis carried (treatment `deposit`)
- withdraw: Withdraw with owner = receiver = the wallet, the shares out and the assets in

A vault that mints or burns its shares without a Transfer event leaves the share leg out of
the generic decoder's view: it is added from the event's `shares` (keyed by the event's log),
unless a Transfer of the shares to (from) the wallet is there. Anything else (shares owned by
another address, two vaults at once, other assets moving) is left to other rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from chains.addresses import erc20_asset
from chains.evm.abi import data_words, topic_address
from chains.evm.records import RawLog, RawTx
from scanner.ledger.decode.protocols import DecodeContext, Refinement, event_leg
from scanner.ledger.records import Kind, Movement

DEPOSIT = "0xdcbc1c05240f31ff3ad067ef1ee35ce4997762752e3a095284754544f4c709d7"
WITHDRAW = "0xfbde797d201c681b91056529119e0b02407c7bb96a4a2c75c01fc9667232c8db"
PROTOCOL = "erc4626"
# topic0 -> topics including topic0 of a well-formed log; both carry two data words
_SHAPES = {DEPOSIT: 3, WITHDRAW: 4}


@dataclass(frozen=True)
class VaultEvent:
    log_index: int
    vault: str
    deposit: bool  # True: Deposit; False: Withdraw
    owner: str
    receiver: str  # Withdraw's receiver; for a Deposit, the owner
    assets: int
    shares: int


def vault_event(log: RawLog) -> VaultEvent | None:
    """An ERC-4626 Deposit or Withdraw, or None (another event, or malformed)."""
    if not log.topics or log.topics[0] not in _SHAPES or len(log.topics) != _SHAPES[
            log.topics[0]]:
        return None
    words = data_words(log.data)
    parties = tuple(a for a in map(topic_address, log.topics[1:]) if a is not None)
    if words is None or len(words) != 2 or len(parties) != len(log.topics) - 1:
        return None
    deposit = log.topics[0] == DEPOSIT
    owner = parties[1] if deposit else parties[2]
    receiver = owner if deposit else parties[1]
    return VaultEvent(log.log_index, log.address, deposit, owner, receiver, words[0], words[1])


class Erc4626Decoder:
    name = "erc4626"

    def refine(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
               context: DecodeContext) -> Refinement | None:
        if not tx.success or not moves:
            return None
        events = [e for e in map(vault_event, tx.logs)
                  if e is not None and e.owner == wallet and e.shares]
        if not events or len({(e.vault, e.deposit) for e in events}) != 1:
            return None  # not the wallet's, or two vaults (or ways) at once
        if any(e.receiver != wallet for e in events):
            return None  # redeemed for someone else
        vault, deposit = events[0].vault, events[0].deposit
        shares = erc20_asset(context.chain_id, vault)
        extra = _missing_shares(tx, wallet, moves, events, shares, context)
        legs = [*moves, *extra]
        if not _is_the_exchange(legs, shares, deposit):
            return None
        info = context.tokens.get(vault)
        named = f"{info.symbol} ({vault})" if info and info.symbol else vault
        note = (f"ERC-4626 Deposit into vault {named}: the assets for its shares, the receipt"
                if deposit else
                f"ERC-4626 Withdraw from vault {named}: the shares redeemed for the assets")
        return Refinement(decoder=self.name,
                          kinds={m.leg_key: Kind.DEPOSIT if deposit else Kind.WITHDRAW
                                 for m in legs},
                          protocol=PROTOCOL, extra=tuple(extra), note=note)


def _missing_shares(tx: RawTx, wallet: str, moves: Sequence[Movement],
                    events: Sequence[VaultEvent], shares: str,
                    context: DecodeContext) -> list[Movement]:
    """A share leg per event when no Transfer of the shares moved them for the wallet."""
    if any(m.asset == shares for m in moves):
        return []
    info = context.tokens.get(events[0].vault)
    # as the generic decoder does: without decimals() the amount stays in base units
    decimals = info.decimals if info and info.decimals is not None else 0
    return [event_leg(tx, wallet, e.log_index, shares, e.shares if e.deposit else -e.shares,
                      decimals, e.vault) for e in events]


def _is_the_exchange(legs: Sequence[Movement], shares: str, deposit: bool) -> bool:
    """The shares one way and only the assets (at least one) the other way."""
    net: dict[str, int] = defaultdict(int)
    for leg in legs:
        net[leg.asset] += leg.raw_amount
    sign = 1 if deposit else -1
    others = [amount for asset, amount in net.items() if asset != shares and amount]
    return net[shares] * sign > 0 and bool(others) and all(a * sign < 0 for a in others)
