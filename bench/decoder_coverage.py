"""How many real recorded transactions taxscan books as rotki's own decoder tests do.

Input: ../shared/realdata/explorer-recordings/decoder_receipts/*.json, single real
transactions (Etherscan V2 proxy and account answers) with the events rotki's decoder test
asserts for them (`rotki_expected`). Each becomes a RawTx the way the explorer source
builds one (raw_tx_from_json, internal_from_row) and goes through build_ledger with one own
wallet: the address rotki tracks (its events' `location_label`: the transaction's sender,
or the receiving wallet where a solver, keeper or bonder sent it). No prices, offline.

Compared per recording: the wallet's net flow of each asset, fee included, in token units
(a receipt no Transfer carries, the balance a contract keeps of a stake, which taxscan books
as the contract's own asset and rotki leaves out, is not compared).
taxscan's is the sum of its ledger legs; rotki's the sum of its events, signed by their
type (SPEND, DEPOSIT, TRADE/SPEND, TRADE/FEE, MIGRATE/SPEND out; RECEIVE, WITHDRAWAL,
TRADE/RECEIVE, MIGRATE/RECEIVE in); INFORMATIONAL events (approvals, zero-amount notes)
carry no flow. Then the kinds: for every rotki event, taxscan's legs of that asset in the
same direction should carry a kind that means the same (`ACCEPTED`); the misses are
tallied as "<taxscan kind> where rotki says <TYPE/SUBTYPE>".

The two flow mismatches (the CoW ETH-flow swap, the GMX decrease) are rotki booking ether
the wallet paid in an earlier transaction (the order's ETH, the execution fee): a solver or
keeper sent these, and the chain shows no ether of the wallet's moving here, as taxscan
books it (tests/unit/test_recordings_chain_truth.py checks every recording against the
receipt itself, to the wei).

    python bench/decoder_coverage.py [--verbose]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from chains.errors import TaxscanError
from chains.evm.abi import TRANSFER
from chains.evm.explorer import internal_from_row
from chains.evm.mappers import raw_tx_from_json
from chains.evm.records import RawTx, TokenInfo
from chains.registry import chain_by_id
from scanner.app.settings import asset_ranks
from scanner.ledger.build import build_ledger
from scanner.ledger.records import LedgerEntry
from scanner.prices.book import PriceBook

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
RECORDINGS = REALDATA / "explorer-recordings" / "decoder_receipts"
POLYGON_POL = "0x0000000000000000000000000000000000001010"  # rotki's name for POL

OUT = {("SPEND", None), ("DEPOSIT", None), ("TRADE", "SPEND"), ("TRADE", "FEE"),
       ("MIGRATE", "SPEND")}
IN = {("RECEIVE", None), ("WITHDRAWAL", None), ("TRADE", "RECEIVE"), ("MIGRATE", "RECEIVE")}

_INTO_POSITION = frozenset({"lp_deposit", "supply", "deposit", "stake", "wrap"})
_OUT_OF_POSITION = frozenset({"lp_withdraw", "withdraw", "unstake", "unwrap"})
# rotki (type, subtype) -> taxscan kinds that mean the same
ACCEPTED: dict[tuple[str, str], frozenset[str]] = {
    ("SPEND", "FEE"): frozenset({"fee"}),
    ("TRADE", "SPEND"): frozenset({"trade"}),
    ("TRADE", "RECEIVE"): frozenset({"trade"}),
    ("TRADE", "FEE"): frozenset({"trade", "fee"}),
    ("RECEIVE", "AIRDROP"): frozenset({"income"}),
    ("RECEIVE", "REWARD"): frozenset({"income"}),
    ("RECEIVE", "INTEREST"): frozenset({"income"}),
    ("RECEIVE", "GENERATE_DEBT"): frozenset({"borrow"}),
    ("SPEND", "PAYBACK_DEBT"): frozenset({"repay"}),
    ("DEPOSIT", "BRIDGE"): frozenset({"self_transfer", "transfer_out"}),
    ("WITHDRAWAL", "BRIDGE"): frozenset({"self_transfer", "transfer_in"}),
    ("DEPOSIT", "DEPOSIT_FOR_WRAPPED"): _INTO_POSITION,
    ("RECEIVE", "RECEIVE_WRAPPED"): _INTO_POSITION,
    ("DEPOSIT", "DEPOSIT_TO_PROTOCOL"): _INTO_POSITION,
    ("WITHDRAWAL", "REDEEM_WRAPPED"): _OUT_OF_POSITION,
    ("SPEND", "RETURN_WRAPPED"): _OUT_OF_POSITION,
    ("WITHDRAWAL", "WITHDRAW_FROM_PROTOCOL"): _OUT_OF_POSITION,
    ("MIGRATE", "SPEND"): frozenset({"trade", "wrap", "unwrap"}),
    ("MIGRATE", "RECEIVE"): frozenset({"trade", "wrap", "unwrap"}),
}


@dataclass(frozen=True)
class Expected:
    asset: str
    amount: Decimal  # signed: negative left the wallet
    what: str  # "TYPE/SUBTYPE"


@dataclass(frozen=True)
class Outcome:
    name: str
    chain_id: int
    flows_match: bool
    differences: tuple[str, ...]
    kind_problems: tuple[str, ...]
    legs: tuple[str, ...] = ()  # taxscan's legs of the wallet, for --verbose
    error: str | None = None


def recorded(path: Path) -> tuple[dict[str, Any], RawTx]:
    data = json.loads(path.read_text())
    chain_id = int(data.get("chain_id") or 1)
    answers: dict[str, Any] = {}
    for interaction in data["interactions"]:
        action = parse_qs(urlparse(interaction["uri"]).query).get("action", [""])[0]
        if action and "response" in interaction:  # not CoW's order API
            answers.setdefault(action, interaction["response"]["result"])
    receipt = answers["eth_getTransactionReceipt"]
    block = int(receipt["blockNumber"], 16)
    stamp = datetime.fromtimestamp(data["block_timestamps"][str(block)], tz=UTC)
    rows = answers.get("txlistinternal") or []
    internal = [t for t in (internal_from_row(r, i) for i, r in enumerate(rows)) if t]
    return data, raw_tx_from_json(chain_id, answers["eth_getTransactionByHash"], receipt,
                                  stamp, internal)


def rotki_asset(chain_id: int, name: str) -> str:
    chain = chain_by_id(chain_id)
    if name in ("ETH", "XDAI") or name.lower() == f"eip155:137/erc20:{POLYGON_POL}":
        return chain.native_asset
    return name.lower()


def expected_events(data: dict[str, Any], chain_id: int) -> list[Expected]:
    found = []
    for event in data["rotki_expected"]:
        kind, sub = event["event_type"], event["event_subtype"]
        if kind == "INFORMATIONAL":
            continue
        amount = Decimal(event["amount"])
        if (kind, sub) in OUT or (kind, None) in OUT:
            amount = -amount
        elif not ((kind, sub) in IN or (kind, None) in IN):
            raise ValueError(f"unknown rotki event {kind}/{sub}")
        found.append(Expected(rotki_asset(chain_id, event["asset"]), amount, f"{kind}/{sub}"))
    return found


def tracked_wallet(data: dict[str, Any]) -> str:
    labels = {str(e["location_label"]).lower() for e in data["rotki_expected"]}
    if len(labels) != 1:
        raise ValueError(f"rotki tracks {len(labels)} wallets here")
    return labels.pop()


def tokens_of(data: dict[str, Any], chain_id: int) -> dict[str, TokenInfo]:
    return {address.lower(): TokenInfo(chain_id, address.lower(), t.get("symbol"),
                                       t.get("name"), t.get("decimals"))
            for address, t in data.get("tokens", {}).items()}


def net(flows: list[tuple[str, Decimal]]) -> dict[str, Decimal]:
    """Net amount per asset, zeros left out. A position NFT counts by direction alone:
    taxscan books a Uniswap V3 position in its liquidity units, rotki as the one NFT."""
    total: dict[str, Decimal] = defaultdict(Decimal)
    for asset, amount in flows:
        total[asset] += amount
    return {asset: (Decimal(1).copy_sign(amount) if "/erc721:" in asset else amount)
            for asset, amount in total.items() if amount}


def kept_by_contract(legs: list[LedgerEntry], raw: RawTx) -> set[str]:
    """Receipts no Transfer carries: a contract's own asset, read from its event (a stake
    the contract keeps as a balance, booked by taxscan, which rotki leaves out)."""
    emitters = {log.log_index: log.address for log in raw.logs
                if not log.topics or log.topics[0] != TRANSFER}
    return {e.asset for e in legs if e.log_index in emitters
            and e.asset.endswith(f"/erc20:{emitters[e.log_index]}")}


def compare(name: str, path: Path) -> Outcome:
    data, raw = recorded(path)
    chain_id = raw.chain_id
    wallet = tracked_wallet(data)
    chain = chain_by_id(chain_id)
    built = build_ledger(chain, [raw], [wallet], tokens_of(data, chain_id), PriceBook([]),
                         asset_ranks([chain], frozenset()))
    legs: list[LedgerEntry] = [e for e in built.entries if e.wallet == wallet]
    ours = net([(e.asset, e.quantity) for e in legs])
    events = expected_events(data, chain_id)
    theirs = net([(e.asset, e.amount) for e in events])
    for asset in kept_by_contract(legs, raw) - set(theirs):
        ours.pop(asset, None)  # a stake the contract keeps: booked as its receipt
    differences = tuple(
        f"{asset}: taxscan {ours.get(asset, 0)} rotki {theirs.get(asset, 0)}"
        for asset in sorted(set(ours) | set(theirs)) if ours.get(asset) != theirs.get(asset))
    problems = []
    for event in events:
        kinds = {e.kind.value for e in legs
                 if e.asset == event.asset and (e.quantity < 0) == (event.amount < 0)}
        accepted = ACCEPTED[tuple(event.what.split("/"))]  # type: ignore[index]
        if not kinds & accepted:
            said = "/".join(sorted(kinds)) or "nothing"
            problems.append(f"{said} where rotki says {event.what}")
    shown = tuple(f"{e.leg_key} {e.kind.value} {e.quantity} {e.asset}" for e in legs)
    return Outcome(name, chain_id, not differences, differences, tuple(problems), shown)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="every recording's legs")
    verbose = parser.parse_args().verbose
    if not RECORDINGS.is_dir():
        print(f"no recordings at {RECORDINGS}", file=sys.stderr)
        return 2
    outcomes: list[Outcome] = []
    skipped = 0
    for path in sorted(RECORDINGS.glob("*.json")):
        if not json.loads(path.read_text()).get("rotki_expected"):
            skipped += 1
            continue
        try:
            outcome = compare(path.stem, path)
        except (TaxscanError, ValueError, KeyError) as exc:
            outcome = Outcome(path.stem, 0, False, (), (), error=f"{type(exc).__name__}: {exc}")
        outcomes.append(outcome)
        if outcome.error:
            verdict = f"error ({outcome.error})"
        else:
            verdict = "match" if outcome.flows_match else "mismatch"
            if outcome.kind_problems:
                verdict += "; kinds: " + "; ".join(outcome.kind_problems)
        print(f"{outcome.name} [{outcome.chain_id}]: {verdict}")
        for line in outcome.differences:
            print(f"    {line}")
        for line in outcome.legs if verbose else ():
            print(f"    leg {line}")
    matched = sum(1 for o in outcomes if o.flows_match)
    kinds_ok = sum(1 for o in outcomes if o.flows_match and not o.kind_problems)
    tally = Counter(p for o in outcomes for p in o.kind_problems)
    print()
    print(f"net flows (fee included) match rotki: {matched} of {len(outcomes)} recordings "
          f"({skipped} without rotki's events left out)")
    print(f"flows and kinds both match: {kinds_ok} of {len(outcomes)}")
    print("kind problems, by count:")
    for problem, count in tally.most_common():
        print(f"  {count:3}  {problem}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
