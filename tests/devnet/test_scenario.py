"""The dated scenario on a real chain: every figure checked against what the chain says.

Expected values are computed here from receipts read with web3 and from the price file
the test imported, independently of taxscan's engine, then compared to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from web3 import HTTPProvider, Web3

from tests.devnet.conftest import Played
from tests.helpers import cli_json, run_cli

pytestmark = pytest.mark.devnet

TRANSFER = Web3.keccak(text="Transfer(address,address,uint256)")
E18 = Decimal(10) ** 18
CENT = Decimal("0.01")


def cents(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class TxFacts:
    when: datetime
    fee_eth: Decimal
    received: dict[str, Decimal]  # token address (lower) -> quantity the wallet got
    sent: dict[str, Decimal]


def facts(played: Played, label: str) -> TxFacts:
    w3 = Web3(HTTPProvider(played.node.url))
    tx_hash = played.scenario.txs[label]
    receipt = w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
    block = w3.eth.get_block(receipt["blockNumber"])
    wallet = bytes.fromhex(played.scenario.wallet[2:].lower())
    received: dict[str, Decimal] = {}
    sent: dict[str, Decimal] = {}
    for log in receipt["logs"]:
        if bytes(log["topics"][0]) != TRANSFER or len(log["topics"]) != 3:
            continue
        amount = Decimal(int.from_bytes(bytes(log["data"]), "big")) / E18
        token = log["address"].lower()
        if bytes(log["topics"][2])[-20:] == wallet:
            received[token] = received.get(token, Decimal(0)) + amount
        if bytes(log["topics"][1])[-20:] == wallet:
            sent[token] = sent.get(token, Decimal(0)) + amount
    tx = w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
    paid = tx["from"].lower() == played.scenario.wallet.lower()
    fee = Decimal(receipt["gasUsed"] * receipt["effectiveGasPrice"]) / E18 if paid else Decimal(0)
    return TxFacts(datetime.fromtimestamp(block["timestamp"], tz=UTC), fee, received, sent)


def price(played: Played, asset_suffix: str, when: datetime) -> Decimal:
    rows = [(t, usd) for t, asset, usd in played.scenario.price_rows()
            if asset.endswith(asset_suffix) and t <= when]
    return max(rows)[1]


def eth_price(played: Played, when: datetime) -> Decimal:
    return price(played, "slip44:60", when)


def tkn(played: Played) -> str:
    return played.scenario.tkn.lower()


def dai(played: Played) -> str:
    return played.scenario.dai.lower()


def fee_usd(played: Played, f: TxFacts) -> Decimal:
    return f.fee_eth * eth_price(played, f.when)


def shared(amounts: list[Decimal]) -> list[str]:
    """A sale's figure rounded to the cent once, its rows sharing it by the largest
    remainder (as Form 8949 lines add up to a 1099-DA's sale): each row rounded down, the
    cents left over one each to the rows with the largest remainders, ties to the first."""
    floors = [a.quantize(Decimal("0.01"), rounding=ROUND_FLOOR) for a in amounts]
    left = int((Decimal(cents(sum(amounts, Decimal(0)))) - sum(floors, Decimal(0))) * 100)
    for i in sorted(range(len(amounts)), key=lambda i: floors[i] - amounts[i])[:left]:
        floors[i] += Decimal("0.01")
    return [str(f) for f in floors]


def test_sale_spans_a_long_and_a_short_lot_to_the_cent(played: Played) -> None:
    buy = facts(played, "buy_1")
    claim = facts(played, "claim")
    sell = facts(played, "sell")
    lot1_qty = buy.received[tkn(played)]
    lot1_basis = buy.sent[dai(played)] + fee_usd(played, buy)  # a stablecoin purchase: gas in basis
    lot2_basis = Decimal(500) * price(played, tkn(played), claim.when) + fee_usd(played, claim)
    sold = sell.sent[tkn(played)]
    assert sold == lot1_qty + 200
    proceeds = sell.received[dai(played)] - fee_usd(played, sell)  # a sale: gas off proceeds

    rows = cli_json("gains", "--year", "2025", db=played.db_path)
    tkn_rows = [r for r in rows if r["asset"].endswith(tkn(played))]
    assert len(tkn_rows) == 2
    long_row = next(r for r in tkn_rows if r["term"] == "long")
    short_row = next(r for r in tkn_rows if r["term"] == "short")

    assert Decimal(long_row["quantity"]) == lot1_qty
    assert long_row["acquired"] == buy.when.strftime("%Y-%m-%dT%H:%M:%SZ")
    long_proceeds, short_proceeds = shared([proceeds * lot1_qty / sold, proceeds * 200 / sold])
    long_basis, short_basis = shared([lot1_basis, lot2_basis * 200 / 500])
    assert long_row["cost_basis_usd"] == long_basis
    assert long_row["proceeds_usd"] == long_proceeds
    assert Decimal(long_row["gain_usd"]) == Decimal(long_row["proceeds_usd"]) - Decimal(
        long_row["cost_basis_usd"])

    assert Decimal(short_row["quantity"]) == 200
    assert short_row["acquired"] == claim.when.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert short_row["cost_basis_usd"] == short_basis
    assert short_row["proceeds_usd"] == short_proceeds
    assert long_row["tx_hash"] == short_row["tx_hash"] == played.scenario.txs["sell"]


def test_gas_is_a_disposal_of_eth_at_its_price(played: Played) -> None:
    fund = facts(played, "fund_eth")
    rows = cli_json("gains", "--year", "2024", db=played.db_path)
    fees = {r["tx_hash"]: r for r in rows if r["kind"] == "fee"}
    labels_2024 = ["approve_dai", "buy_1", "claim", "buy_2"]
    assert set(fees) == {played.scenario.txs[label] for label in labels_2024}
    for label in labels_2024:
        f = facts(played, label)
        row = fees[played.scenario.txs[label]]
        assert Decimal(row["quantity"]) == f.fee_eth
        assert row["proceeds_usd"] == cents(f.fee_eth * eth_price(played, f.when))
        assert row["cost_basis_usd"] == cents(f.fee_eth * eth_price(played, fund.when))
        assert row["term"] == "short"


def test_stablecoin_spent_is_disposed_at_cost(played: Played) -> None:
    rows = cli_json("gains", "--year", "2024", db=played.db_path)
    dai_rows = [r for r in rows if r["asset"].endswith(dai(played))]
    assert sorted(Decimal(r["quantity"]) for r in dai_rows) == [2000, 4000]
    assert all(r["gain_usd"] == "0.00" for r in dai_rows)


def test_airdrop_claim_is_income_at_fair_value(played: Played) -> None:
    claim = facts(played, "claim")
    rows = cli_json("income", "--year", "2024", db=played.db_path)
    assert len(rows) == 1
    (row,) = rows
    assert Decimal(row["quantity"]) == claim.received[tkn(played)] == 500
    assert row["usd_value"] == cents(500 * price(played, tkn(played), claim.when))
    assert row["tx_hash"] == played.scenario.txs["claim"]
    assert cli_json("income", "--year", "2025", db=played.db_path) == []


def test_spam_is_kept_in_the_ledger_and_out_of_every_figure(played: Played) -> None:
    spam = played.scenario.spam.lower()
    ledger = cli_json("ledger", db=played.db_path)
    spam_legs = [r for r in ledger if r["asset"].endswith(spam)]
    assert len(spam_legs) == 1
    assert spam_legs[0]["kind"] == "spam"
    assert spam_legs[0]["usd_value"] is None
    for year in ("2024", "2025"):
        for report in ("gains", "income"):
            assert not [r for r in cli_json(report, "--year", year, db=played.db_path)
                        if r["asset"].endswith(spam)]
    harvest = cli_json("harvest", "--as-of", "2025-06-20", "--all", db=played.db_path)
    assert not [r for r in harvest if r["asset"].endswith(spam)]


def test_harvest_lists_loss_lots_with_wash_sale_risk(played: Played) -> None:
    claim, buy_2, buy_3 = (facts(played, label) for label in ("claim", "buy_2", "buy_3"))
    as_of = played.scenario.as_of
    p = price(played, tkn(played), as_of)
    lot2_basis = (Decimal(500) * price(played, tkn(played), claim.when)
                  + fee_usd(played, claim)) * 300 / 500
    lot3_qty = buy_2.received[tkn(played)]
    lot3_basis = buy_2.sent[dai(played)] + fee_usd(played, buy_2)
    lot4_qty = buy_3.received[tkn(played)]
    lot4_basis = buy_3.sent[dai(played)] + fee_usd(played, buy_3)

    rows = cli_json("harvest", "--as-of", as_of.date().isoformat(), db=played.db_path)
    by_acquired = {r["acquired"][:10]: r for r in rows if r["asset"].endswith(tkn(played))}
    expected = {
        claim.when.date().isoformat(): (Decimal(300), lot2_basis, "long", True),
        buy_2.when.date().isoformat(): (lot3_qty, lot3_basis, "short", True),
        buy_3.when.date().isoformat(): (lot4_qty, lot4_basis, "short", False),
    }
    losses = {day for day, (q, basis, _, _) in expected.items()
              if Decimal(cents(q * p)) - Decimal(cents(basis)) < 0}
    assert set(by_acquired) == losses
    assert claim.when.date().isoformat() in losses and buy_2.when.date().isoformat() in losses
    for day in losses:
        quantity, basis, term, risk = expected[day]
        row = by_acquired[day]
        assert Decimal(row["quantity"]) == quantity
        assert row["cost_basis_usd"] == cents(basis)
        assert Decimal(row["price_usd"]) == p
        assert row["value_usd"] == cents(quantity * p)
        assert row["unrealized_usd"] == str(Decimal(cents(quantity * p)) - Decimal(cents(basis)))
        assert row["term"] == term
        assert row["wash_sale_risk"] is risk
    assert [Decimal(r["unrealized_usd"]) for r in rows] == sorted(
        Decimal(r["unrealized_usd"]) for r in rows)


def test_ledger_legs_match_the_receipts(played: Played) -> None:
    ledger = cli_json("ledger", db=played.db_path)
    wallet = played.scenario.wallet.lower()
    assert {r["wallet"] for r in ledger} == {wallet}
    for label in played.scenario.txs:
        f = facts(played, label)
        legs = [r for r in ledger if r["tx_hash"] == played.scenario.txs[label]]
        tokens = {r["asset"].rsplit(":", 1)[1]: Decimal(r["quantity"]) for r in legs
                  if "/erc20:" in r["asset"]}
        expected = {t: q for t, q in f.received.items()}
        expected.update({t: -q for t, q in f.sent.items()})
        assert tokens == expected, label
        gas = [Decimal(r["quantity"]) for r in legs if r["kind"] == "fee"]
        assert gas == ([-f.fee_eth] if f.fee_eth else []), label
    fund = [r for r in ledger if r["tx_hash"] == played.scenario.txs["fund_eth"]]
    assert [(r["kind"], r["quantity"]) for r in fund] == [("transfer_in", "5")]
    kinds = {r["tx_hash"]: r["kind"] for r in ledger if r["kind"] != "fee"}
    assert kinds[played.scenario.txs["deposit_dai"]] == "transfer_in"
    assert kinds[played.scenario.txs["claim"]] == "income"
    assert kinds[played.scenario.txs["buy_1"]] == "trade"
    assert kinds[played.scenario.txs["sell"]] == "trade"


def test_the_command_line_scan_lists_what_needs_review(played: Played, tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    scanned = run_cli("scan", played.scenario.wallet, "--rpc", played.node.url, db=db)
    assert scanned.returncode == 0, scanned.stderr
    assert "10 new transactions (address index: trace_filter)" in scanned.stderr
    assert "ledger legs have no USD value" in scanned.stderr  # no prices imported yet
    assert "1 spam token is kept" in scanned.stderr
    missing = {r["symbol"]: r for r in cli_json("prices", "missing", db=db)}
    assert set(missing) == {"ETH", "TKN"}  # DAI is a pegged stablecoin; spam is not asked for
    gas = sum(facts(played, label).fee_eth for label in played.scenario.txs)
    eth = missing["ETH"]
    assert eth["legs"] == 1 + sum(1 for label in played.scenario.txs
                                  if facts(played, label).fee_eth)
    assert Decimal(eth["disposed_unknown_proceeds"]) == gas
    assert Decimal(eth["held_unknown_basis"]) == 5 - gas
    tkn_row = missing["TKN"]
    assert (tkn_row["legs"], tkn_row["income_unknown"]) == (1, "500")  # the airdrop
    assert Decimal(tkn_row["disposed_unknown_basis"]) == 200  # the airdrop lot, part sold
    assert Decimal(tkn_row["held_unknown_basis"]) == 300
    imported = run_cli("prices", "import", str(played.prices_path), db=db)
    assert imported.returncode == 0, imported.stderr
    assert "no USD value" not in imported.stderr
    assert cli_json("prices", "missing", db=db) == []
    again = run_cli("scan", played.scenario.wallet, "--rpc", played.node.url, db=db)
    assert "no new blocks, 0 new transactions" in again.stderr
    assert cli_json("ledger", db=db) == cli_json("ledger", db=played.db_path)


def test_lots_and_their_lineage_can_be_traced(played: Played) -> None:
    lots = cli_json("lots", "--as-of", "2025-06-20", db=played.db_path)
    claim_lot = next(r for r in lots if r["symbol"] == "TKN"
                     and r["origin_tx"] == played.scenario.txs["claim"])
    assert Decimal(claim_lot["quantity"]) == 300 and claim_lot["origin_kind"] == "income"

    steps = cli_json("trace", claim_lot["lot_id"], db=played.db_path)
    assert [s["step"] for s in steps] == ["acquired", "disposed", "open"]
    acquired, disposed, still = steps
    assert acquired["tx_hash"] == played.scenario.txs["claim"]
    assert "priced by csv" in acquired["detail"]
    assert disposed["tx_hash"] == played.scenario.txs["sell"] and disposed["quantity"] == "200"
    assert Decimal(disposed["quantity"]) + Decimal(still["quantity"]) == 500

    by_sale = cli_json("trace", played.scenario.txs["sell"], db=played.db_path)
    sold_from = {s["lot_id"] for s in by_sale if s["step"] == "disposed"}
    assert claim_lot["lot_id"] in sold_from and len(sold_from) >= 2  # the two TKN lots (+ gas)
    unknown = run_cli("trace", "0x" + "ab" * 32, db=played.db_path)
    assert unknown.returncode == 2 and "no lot and no disposal" in unknown.stderr


def test_the_harvest_planner_picks_lots_to_reach_a_target(played: Played) -> None:
    rows = cli_json("harvest", "--as-of", "2025-06-20", "--target-loss", "1000",
                    "--short-rate", "0.35", db=played.db_path)
    chosen = [r for r in rows if r["suggested"]]
    loss = -sum(Decimal(r["unrealized_usd"]) for r in chosen)
    assert loss >= 1000
    # lots without wash-sale risk go first, then the biggest losses
    safe = [r for r in rows if not r["wash_sale_risk"]]
    assert all(r["suggested"] for r in safe)
    last = sorted(chosen, key=lambda r: (r["wash_sale_risk"], Decimal(r["unrealized_usd"])))[-1]
    assert loss + Decimal(last["unrealized_usd"]) < 1000  # no lot more than needed
    for row in rows:
        rate = Decimal("0.35") if row["term"] == "short" else Decimal("0.20")
        saved = -Decimal(row["unrealized_usd"]) * rate
        assert abs(Decimal(row["tax_saved_usd"]) - saved) <= Decimal("0.01")
        assert Decimal(row["gas_usd_estimate"]) > 0

    realized = sum(Decimal(r["gain_usd"]) for r in cli_json("gains", "--year", "2025",
                                                              db=played.db_path))
    offset = cli_json("harvest", "--as-of", "2025-06-20", "--offset-gains", db=played.db_path)
    offset_loss = -sum(Decimal(r["unrealized_usd"]) for r in offset if r["suggested"])
    assert offset_loss >= realized > 0
    both = run_cli("harvest", "--as-of", "2025-06-20", "--offset-gains", "--target-loss", "5",
                   db=played.db_path)
    assert both.returncode == 2 and "not both" in both.stderr


def test_the_exported_ledger_imports_to_the_same_figures(played: Played, tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    exported = run_cli("export", "--format", "ledger", "--out", str(path), db=played.db_path)
    assert exported.returncode == 0, exported.stderr
    fresh = tmp_path / "fresh.duckdb"
    imported = run_cli("import", str(path), "--format", "ledger", db=fresh)
    assert imported.returncode == 0, imported.stderr
    assert cli_json("ledger", db=fresh) == cli_json("ledger", db=played.db_path)
    for year in ("2024", "2025"):
        for report in ("gains", "income"):
            assert cli_json(report, "--year", year, db=fresh) == \
                cli_json(report, "--year", year, db=played.db_path)
