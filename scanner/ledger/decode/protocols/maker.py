"""Maker and Sky on Ethereum: the DAI Savings Rate through the DsrManager, the savings vaults
sDAI and sUSDS, and the DAI-USDS and MKR-SKY converters. Scoped to the contracts of roles
`maker:*` and `sky:*` (chains.deployments); events sliced from the log's bytes.

- sDAI (`maker:sdai`) and sUSDS (`sky:susds`) are ERC-4626 vaults: read as
  decode/protocols/erc4626.py reads any vault (a deposit, a withdrawal, the share leg from
  the event when no Transfer carries it), named `maker` and `sky`.
- DSR (`maker:dsr-manager`): the DsrManager keeps the wallet's DAI in the Pot as `pie`, DAI
  divided by the Pot's rate accumulator; that is the wallet's balance there, whose DAI value
  grows with the rate. It is held in the ledger as the position's own asset, in pie
  (`dsr_asset`), so the DAI put in carries its basis into it and back out:
    Join(address indexed dst, uint256 wad)                              0xb4e09949...ca95
    Exit(address indexed dst, uint256 wad)                              0x22d32465...9631
  with the Pot's LogNote of join(uint256 pie) (0x049878f3) or exit(uint256 pie)
  (0x7f8661a1): topics (selector, caller, pie, ...), caller the DsrManager.
  deposit:  Join with dst the wallet, its one leg the DAI to the DsrManager; the pie in
  withdraw: Exit with dst the wallet, in its own transaction (the DsrManager takes the pie
            of whoever calls it), its one leg the DAI minted to it; the pie out
- converters: one token for its successor at a fixed rate, basis and dates carried (a
  migration: `wrap` to the new token, `unwrap` back to the old; both carry by default):
    DaiToUsds(address indexed caller, address indexed usr, uint256 wad) 0x23889db6...4235
    UsdsToDai(address indexed caller, address indexed usr, uint256 wad) 0x9c7bd3b6...6a9b
    MkrToSky(address indexed caller, address indexed usr, uint256 mkrAmt, uint256 skyAmt)
                                                  (`sky:mkr-sky-legacy`) 0x751bfeaa...ce1a
    MkrToSky(..., uint256 mkrAmt, uint256 skyAmt, uint256 skyFee) (`sky:mkr-sky`) 0x0a1dc0eb
    SkyToMkr(address indexed caller, address indexed usr, uint256 skyAmt, uint256 mkrAmt)
                                                                         0x0b1fb0d5...8566
  the wallet caller and usr, its legs the one token out and the other in, of the event's
  amounts. MKR moves by mint and burn without a Transfer (its Mint and Burn events): the MKR
  leg is then read from the event. Spark's MigrationActions (`sky:migration-actions`) says
  nothing of its own: DAI (USDS) to it and USDS (DAI) minted to the wallet, the same amount,
  is the same migration (DAI and USDS: roles `maker:dai`, `sky:usds`).

Anything else (an exit to another address, the Pot through a DSProxy, a vault migration from
sDAI to sUSDS, other assets moving) is left to other rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from chains.addresses import erc20_asset
from chains.evm.abi import ZERO_ADDRESS, data_words, topic_address
from chains.evm.records import RawLog, RawTx
from scanner.ledger.decode.executors import executors
from scanner.ledger.decode.protocols import DecodeContext, Refinement, event_leg
from scanner.ledger.decode.protocols.erc4626 import Erc4626Decoder, vault_event
from scanner.ledger.positions import position_asset
from scanner.ledger.records import Kind, Movement

MAKER, SKY = "maker", "sky"
DSR_JOIN = "0xb4e09949657f21548b58afe74e7b86cd2295da5ff1598ae1e5faecb1cf19ca95"
DSR_EXIT = "0x22d324652c93739755cf4581508b60875ebdd78c20c0cff5cf8e23452b299631"
POT_JOIN = "0x049878f3" + "0" * 56  # LogNote of join(uint256): the selector, left-aligned
POT_EXIT = "0x7f8661a1" + "0" * 56  # exit(uint256)
DAI_TO_USDS = "0x23889db6b244d239344deac88ec7781d810b3873fe323939d1ce0e8ac9564235"
USDS_TO_DAI = "0x9c7bd3b60b7e46fc1d7a38d88b7dd4be0e028b80b706848fc3c065eabc8e6a9b"
MKR_TO_SKY_LEGACY = "0x751bfeaa2bccc50ef150efeaf65ef79018f1dd61e4078d49943229e31eb8ce1a"
MKR_TO_SKY = "0x0a1dc0eb35e4f1de6bf0a2cbddfee6266b9326ddef41f1761763a0bf039660a8"
SKY_TO_MKR = "0x0b1fb0d52b80bbeb62e78812263b366050decf127155b6dc1c7d4879e39c8566"
# DSToken (MKR): Mint(address indexed guy, uint256 wad), Burn(address indexed guy, uint256 wad)
TOKEN_MINT = "0x0f6798a560793a54c3bcfe86a93cde1e73087d944c0ea20544137d4121396885"
TOKEN_BURN = "0xcc16f5dbb4873280815c1ee09dbd06736cffcc184412cf7a71a0fdb75d397ca5"
DSR_SYMBOL = "DSR-pie"
PIE_DECIMALS = 18  # pie is a wad: DAI (18 decimals) over a ray
_VAULTS = {"maker:sdai": MAKER, "sky:susds": SKY}
# converter event -> (data words, the wallet's way into the new token)
_CONVERSIONS = {DAI_TO_USDS: (1, True), USDS_TO_DAI: (1, False), MKR_TO_SKY_LEGACY: (2, True),
                MKR_TO_SKY: (3, True), SKY_TO_MKR: (2, False)}
_CONVERTERS = ("sky:dai-usds", "sky:mkr-sky", "sky:mkr-sky-legacy")


def dsr_asset(chain_id: int, manager: str, pot: str) -> str:
    """The asset a wallet's balance at the DsrManager is held as: its pie in the Pot."""
    return position_asset(chain_id, manager, erc20_asset(chain_id, pot))


class MakerDecoder:
    name = "maker"

    def refine(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
               context: DecodeContext) -> Refinement | None:
        if not tx.success or not moves:
            return None
        return (self._vault(tx, wallet, moves, context)
                or self._dsr(tx, wallet, moves, context)
                or self._conversion(tx, wallet, moves, context)
                or self._migration(wallet, moves, context))

    def _vault(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
               context: DecodeContext) -> Refinement | None:
        vaults = {e.vault for e in map(vault_event, tx.logs) if e and e.owner == wallet}
        named = [protocol for role, protocol in _VAULTS.items()
                 if vaults and vaults <= context.addresses(role)]
        found = Erc4626Decoder().refine(tx, wallet, moves, context) if named else None
        if found is None:
            return None
        return replace(found, decoder=named[0], protocol=named[0],
                       note=found.note.replace("ERC-4626", named[0].capitalize()))

    def _dsr(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
             context: DecodeContext) -> Refinement | None:
        managers = context.addresses("maker:dsr-manager")
        pots = context.addresses("maker:pot")
        events = [(log, _one_word(log, wallet)) for log in tx.logs if log.address in managers
                  and log.topics and log.topics[0] in (DSR_JOIN, DSR_EXIT)]
        mine = [(log, amount) for log, amount in events if amount is not None]
        if len(mine) != 1 or len(moves) != 1 or len(pots) != 1:
            return None
        (log, amount), = mine
        (move,) = moves
        join = log.topics[0] == DSR_JOIN
        if join and (move.raw_amount != -amount or move.counterparty != log.address):
            return None
        if not join and (move.raw_amount != amount or move.counterparty != ZERO_ADDRESS
                         or wallet not in executors(tx)):
            return None
        pies = [(data_words(g.topics[2]) or [0])[0] for g in tx.logs if g.address in pots
                and len(g.topics) >= 3 and g.topics[0] == (POT_JOIN if join else POT_EXIT)
                and topic_address(g.topics[1]) == log.address]
        if len(pies) != 1 or not pies[0]:
            return None
        asset = dsr_asset(context.chain_id, log.address, next(iter(pots)))
        leg = event_leg(tx, wallet, log.log_index, asset, pies[0] if join else -pies[0],
                        PIE_DECIMALS, log.address)
        kind = Kind.DEPOSIT if join else Kind.WITHDRAW
        note = (f"DSR Join at the DsrManager {log.address}: the DAI into the savings rate, "
                f"held as its pie, basis carried" if join else
                f"DSR Exit at the DsrManager {log.address}: the pie back into DAI, basis "
                f"carried")
        return Refinement(decoder=MAKER, kinds={m.leg_key: kind for m in [move, leg]},
                          protocol=MAKER, extra=(leg,), note=note, symbols={asset: DSR_SYMBOL})

    def _conversion(self, tx: RawTx, wallet: str, moves: Sequence[Movement],
                    context: DecodeContext) -> Refinement | None:
        converters = {a for role in _CONVERTERS for a in context.addresses(role)}
        found = [(log, words) for log in tx.logs if log.address in converters
                 and (words := _conversion_words(log, wallet)) is not None]
        if len(found) != 1:
            return None
        (log, words), = found
        upgrade = _CONVERSIONS[log.topics[0]][1]
        given, got = (words[0], words[0]) if len(words) == 1 else (words[0], words[1])
        extra = _unseen_mkr(tx, wallet, moves, log, given, got, upgrade, context)
        legs = [*moves, *extra]
        net = _net(legs)
        outs = [a for a in net.values() if a < 0]
        ins = [a for a in net.values() if a > 0]
        if outs != [-given] or ins != [got]:
            return None
        return _migrated(legs, upgrade, f"converted at {log.address}", tuple(extra))

    def _migration(self, wallet: str, moves: Sequence[Movement],
                   context: DecodeContext) -> Refinement | None:
        actions = context.addresses("sky:migration-actions")
        out = [m for m in moves if m.raw_amount < 0]
        into = [m for m in moves if m.raw_amount > 0]
        if len(out) != 1 or len(into) != 1 or out[0].counterparty not in actions \
                or into[0].counterparty != ZERO_ADDRESS \
                or into[0].raw_amount != -out[0].raw_amount:
            return None
        dai, usds = (erc20_asset(context.chain_id, context.contracts.get(role, ""))
                     for role in ("maker:dai", "sky:usds"))
        if {out[0].asset, into[0].asset} != {dai, usds}:
            return None
        return _migrated(moves, into[0].asset == usds,
                         f"through Spark's MigrationActions {out[0].counterparty}", ())


def _migrated(legs: Sequence[Movement], upgrade: bool, how: str,
              extra: tuple[Movement, ...]) -> Refinement:
    kind = Kind.WRAP if upgrade else Kind.UNWRAP
    what = "to its successor" if upgrade else "back to the old token"
    return Refinement(decoder=SKY, kinds={m.leg_key: kind for m in legs}, protocol=SKY,
                      extra=extra, note=f"Sky migration {what}, {how}: one token for the "
                                        f"other at a fixed rate, basis and dates carried")


def _one_word(log: RawLog, wallet: str) -> int | None:
    """The amount of an event (address indexed, uint256) naming `wallet`, or None."""
    words = data_words(log.data)
    if len(log.topics) != 2 or topic_address(log.topics[1]) != wallet or words is None \
            or len(words) != 1 or not words[0]:
        return None
    return words[0]


def _conversion_words(log: RawLog, wallet: str) -> list[int] | None:
    """The amounts of a converter's event with `wallet` its caller and usr, or None."""
    shape = _CONVERSIONS.get(log.topics[0]) if log.topics else None
    words = data_words(log.data)
    if shape is None or len(log.topics) != 3 or words is None or len(words) != shape[0] \
            or topic_address(log.topics[1]) != wallet or topic_address(log.topics[2]) != wallet:
        return None
    return words[:2] if all(words[:2]) else None


def _unseen_mkr(tx: RawTx, wallet: str, moves: Sequence[Movement], converter: RawLog,
                given: int, got: int, upgrade: bool, context: DecodeContext) -> list[Movement]:
    """The MKR leg of a MKR-SKY conversion that no Transfer carries: from the DSToken's Burn
    (MKR given) or Mint (MKR got) of the wallet, of the converter event's amount."""
    if converter.topics[0] == DAI_TO_USDS or converter.topics[0] == USDS_TO_DAI:
        return []
    amount, topic = (given, TOKEN_BURN) if upgrade else (got, TOKEN_MINT)
    tokens = [log.address for log in tx.logs if log.topics and log.topics[0] == topic
              and _one_word(log, wallet) == amount]
    if len(tokens) != 1:
        return []
    mkr = erc20_asset(context.chain_id, tokens[0])
    if any(m.asset == mkr for m in moves):
        return []
    info = context.tokens.get(tokens[0])
    # as the generic decoder does: without decimals() the amount stays in base units
    decimals = info.decimals if info and info.decimals is not None else 0
    return [event_leg(tx, wallet, converter.log_index, mkr, -amount if upgrade else amount,
                      decimals, ZERO_ADDRESS)]


def _net(moves: Sequence[Movement]) -> dict[str, int]:
    net: dict[str, int] = defaultdict(int)
    for move in moves:
        net[move.asset] += move.raw_amount
    return {asset: amount for asset, amount in net.items() if amount}
