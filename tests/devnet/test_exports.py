"""Every export format from the scanned scenario, checked field by field against the
reports it comes from."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from pypdf import PdfReader

from scanner.money import cents
from tests.chromium import rendered_dom
from tests.devnet.conftest import Played
from tests.helpers import cli_json, run_cli
from tests.html_page import Parsed

pytestmark = pytest.mark.devnet


def export(played: Played, tmp_path: Path, fmt: str, name: str, *args: str) -> Path:
    out = tmp_path / name
    result = run_cli("export", "--format", fmt, "--out", str(out), *args, db=played.db_path)
    assert result.returncode == 0, result.stderr
    return out


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def us_date(iso: str) -> str:
    return datetime.strptime(iso[:10], "%Y-%m-%d").strftime("%m/%d/%Y")


def test_form_8949_schedule_d_turbotax_and_txf_match_the_gains(played: Played,
                                                               tmp_path: Path) -> None:
    gains = cli_json("gains", "--year", "2025", db=played.db_path)
    lines = [r for r in rows(export(played, tmp_path, "form8949", "f.csv", "--year", "2025"))
             if r["description"] != "TOTAL"]
    assert len(lines) == len(gains)
    by_lot = {(g["tx_hash"], g["lot_id"]): g for g in gains}
    sales: dict[tuple[str, str, str], list[tuple[dict[str, str], dict[str, str]]]] = {}
    for line in lines:
        gain = by_lot[(line["tx_hash"], line["lot_id"])]
        assert (line["part"], line["box"]) == (("II", "L") if gain["term"] == "long"
                                               else ("I", "I"))
        assert (line["date_acquired"], line["date_sold"]) == \
            (us_date(gain["acquired"]), us_date(gain["disposed"]))
        assert Decimal(line["gain"]) == Decimal(line["proceeds"]) - Decimal(line["cost_basis"])
        sales.setdefault((gain["tx_hash"], gain["asset"], gain["wallet"]), []).append(
            (line, gain))
    # A gains row rounds its own figures half up; Form 8949 rounds a sale's total once and
    # its lines share it (each rounded down or up): one line of a sale is the row itself, and
    # the lines of a sale of several are each within a cent of their rows, and in all within
    # half a cent per row and half a cent for the sale of the rows' sum.
    for members in sales.values():
        for mine, theirs in (("proceeds", "proceeds_usd"), ("cost_basis", "cost_basis_usd")):
            form = [Decimal(line[mine]) for line, _ in members]
            report = [Decimal(gain[theirs]) for _, gain in members]
            if len(members) == 1:
                assert form == report
            assert all(abs(a - b) <= Decimal("0.01") for a, b in zip(form, report, strict=True))
            assert abs(sum(form, Decimal(0)) - sum(report, Decimal(0))) \
                <= Decimal("0.005") * (len(members) + 1)
    assert any(len(members) > 1 for members in sales.values())  # the rule has work to do
    schedule = {r["line"]: r for r in rows(export(played, tmp_path, "schedule-d", "d.csv",
                                                  "--year", "2025"))}
    for part, total, carried in (("I", "7", "6"), ("II", "15", "14")):
        assert Decimal(schedule[total]["gain"]) == Decimal(schedule[carried]["gain"]) + sum(
            Decimal(line["gain"]) for line in lines if line["part"] == part)
    assert Decimal(schedule["16"]["gain"]) == \
        Decimal(schedule["7"]["gain"]) + Decimal(schedule["15"]["gain"])
    turbo = rows(export(played, tmp_path, "turbotax", "t.csv", "--year", "2025"))
    assert sorted((r["Purchase Date"], r["Cost Basis"], r["Proceeds"]) for r in turbo) == \
        sorted((x["date_acquired"], x["cost_basis"], x["proceeds"]) for x in lines)
    pdf = PdfReader(export(played, tmp_path, "form8949", "f.pdf", "--year", "2025"))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    for part, box in (("I", "I"), ("II", "L")):
        figures = [sum(Decimal(x[f]) for x in lines if x["part"] == part)
                   for f in ("proceeds", "cost_basis", "gain")]
        assert f"Totals for box {box} (add columns (d), (e), (g) and (h)) " \
            f"{figures[0]:.2f} {figures[1]:.2f} 0.00 {figures[2]:.2f}" in text
    txf = export(played, tmp_path, "txf", "g.txf", "--year", "2025").read_bytes().decode()
    assert txf.startswith("V042\r\nAtaxscan\r\n") and txf.count("\r\nTD\r\n") == len(gains)
    records = [record.split("\r\n") for record in txf.split("\r\nTD\r\n")[1:]]
    assert sorted([f[1:] for f in fields if f.startswith("$")] for fields in records) == \
        sorted([x["cost_basis"], x["proceeds"]] for x in lines)


def test_the_ledger_exports_as_csv_and_parquet_and_imports_back(played: Played,
                                                                tmp_path: Path) -> None:
    ledger = cli_json("ledger", db=played.db_path)
    path = export(played, tmp_path, "ledger", "ledger.csv")
    fresh = tmp_path / "fresh.duckdb"
    assert run_cli("import", str(path), "--format", "ledger", db=fresh).returncode == 0
    assert cli_json("ledger", db=fresh) == ledger
    for year in ("2024", "2025"):
        assert cli_json("gains", "--year", year, db=fresh) == \
            cli_json("gains", "--year", year, db=played.db_path)
    exported = rows(path)
    # the report's fields, its usd_value exact where the report shows cents
    assert [{k: str(cents(Decimal(v))) if k == "usd_value" and v else v
             for k, v in r.items() if k in ledger[0]} for r in exported] == \
        [{k: "" if v is None else str(v) for k, v in r.items()} for r in ledger]
    gains = cli_json("gains", "--year", "2025", db=played.db_path)
    this_year = [r for r in exported if r["timestamp"].startswith("2025") and r["draws_on"]]
    assert sum(Decimal(r["gain_usd"]) for r in this_year) == \
        sum(Decimal(g["gain_usd"]) for g in gains)
    lots = {r["opens_lot"] for r in exported if r["opens_lot"]}
    assert {g["lot_id"] for g in gains} <= lots  # every lot sold was opened by a leg
    assert {r["explorer_url"] for r in exported} == {""}  # the devnet has no explorer
    parquet = export(played, tmp_path, "ledger", "ledger.parquet")
    back = duckdb.sql(f"SELECT tx_hash, quantity, usd_value FROM '{parquet}' "
                      "ORDER BY timestamp, chain_id, block_number").fetchall()
    assert [(tx, Decimal(q).normalize(), None if v is None else str(cents(v)))
            for tx, q, v in back] == \
        [(r["tx_hash"], Decimal(r["quantity"]).normalize(), r["usd_value"]) for r in ledger]


def test_other_tools_csvs_carry_every_non_spam_transaction(played: Played,
                                                           tmp_path: Path) -> None:
    ledger = [r for r in cli_json("ledger", db=played.db_path) if r["kind"] != "spam"]
    hashes = {r["tx_hash"] for r in ledger}
    koinly = rows(export(played, tmp_path, "koinly", "k.csv"))
    assert {r["TxHash"] for r in koinly} == hashes
    rewards = [r for r in koinly if r["Label"] == "reward"]
    (claim,) = [r for r in ledger if r["kind"] == "income"]
    assert [(r["Received Amount"], f"{Decimal(r['Net Worth Amount']):.2f}") for r in rewards] \
        == [(claim["quantity"], claim["usd_value"])]  # Koinly gets the exact value
    tracker = rows(export(played, tmp_path, "cointracker", "c.csv"))
    ledger_csv = rows(export(played, tmp_path, "coinledger", "l.csv"))
    # Koinly takes no fee on a receipt: the claim's gas is a `cost` row of its own
    claim_rows = [r for r in koinly if r["TxHash"] == claim["tx_hash"]]
    assert [r["Label"] for r in claim_rows] == ["reward", "cost"]
    assert claim_rows[1]["Sent Currency"] and not claim_rows[1]["Received Amount"]
    assert len(koinly) == len(tracker) + 1  # CoinTracker keeps the claim's fee on its row
    assert {r["TxHash (Optional)"] for r in ledger_csv} == hashes
    received = sorted(Decimal(r["Received Quantity"]) for r in tracker
                      if r["Received Quantity"])
    assert received == sorted(Decimal(r["Received Amount"]) for r in koinly
                              if r["Received Amount"])


def test_a_form_for_a_year_with_unknown_basis_is_refused(played: Played, tmp_path: Path) -> None:
    bare = tmp_path / "bare.duckdb"
    scanned = run_cli("scan", played.scenario.wallet, "--rpc", played.node.url, db=bare)
    assert scanned.returncode == 0, scanned.stderr
    out = tmp_path / "f.csv"
    result = run_cli("export", "--format", "form8949", "--year", "2025", "--out", str(out),
                     db=bare)
    assert result.returncode == 2 and "unknown basis or proceeds" in result.stderr
    assert not out.exists()  # nothing half-written


def test_the_html_report_renders_in_chromium_with_the_reports_figures(played: Played,
                                                                       tmp_path: Path) -> None:
    gains = cli_json("gains", "--year", "2025", db=played.db_path)
    income = cli_json("income", "--year", "2024", db=played.db_path)
    page = tmp_path / "report.html"
    for year, out in (("2025", page), ("2024", tmp_path / "r2024.html")):
        result = run_cli("report", "--year", year, "--out", str(out), db=played.db_path)
        assert result.returncode == 0, result.stderr
    shown = Parsed(rendered_dom(page)).figures
    for term in ("short", "long"):
        part = [g for g in gains if g["term"] == term]
        assert shown[f"gains.{term}.count"] == str(len(part))
        assert shown[f"gains.{term}.gain"] == \
            f"{sum(Decimal(g['gain_usd']) for g in part):.2f}"
    assert shown["gains.total.gain"] == f"{sum(Decimal(g['gain_usd']) for g in gains):.2f}"
    for n, gain in enumerate(gains):
        assert (shown[f"lineage.{n}.proceeds"], shown[f"lineage.{n}.basis"]) == \
            (gain["proceeds_usd"], gain["cost_basis_usd"])
    harvest = cli_json("harvest", "--as-of", "2025-12-31", db=played.db_path)
    assert shown["harvest.unrealized"] == \
        f"{sum(Decimal(h['unrealized_usd']) for h in harvest):.2f}"
    earlier = Parsed(rendered_dom(tmp_path / "r2024.html")).figures
    assert earlier["income.usd"] == f"{sum(Decimal(i['usd_value']) for i in income):.2f}"
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html and 'src="http' not in html
