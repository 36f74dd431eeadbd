"""What erodes trust, run as a user would: dust and rebasing growth never raise a wash-sale
flag, the lot book's notes reach the reader, and a price source that keeps failing hands
its requests to the next one."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import requests
import responses
from typer.testing import CliRunner

from chains.errors import SourceUnavailable
from scanner.cli.main import app
from scanner.ledger.rebasing import REBASE
from scanner.ledger.records import Kind, LedgerEntry
from scanner.prices import coingecko as coingecko_module
from scanner.prices import defillama as defillama_module
from scanner.prices.records import PricePoint
from scanner.store import Store
from tests.helpers import cli_json, fixed_rates, run_cli
from tests.unit.builders import ETH, day, leg

STETH = "eip155:1/erc20:0xae7ab96520de3a18e5e111b5eaab095312d7fe84"
WETH = "eip155:1/erc20:0xc02aaa39b223fe8d0a5e3c198b83d11cc2df2b44"


def rebase(when: datetime, quantity: str, usd: str) -> LedgerEntry:
    """Growth booked from a balance snapshot, as scanner.ledger.rebasing books it."""
    growth = leg(when, Kind.INCOME, STETH, quantity, usd, key=REBASE, counterparty=None,
                 tx=f"{REBASE}:{int(when.timestamp())}:{STETH}")
    return replace(growth, protocol=REBASE)


# 10 stETH bought at 3,000 USD; at the as-of price of 2,500 the lot is 5,000 USD under water
BUY = leg(day(2025, 3, 3), Kind.TRADE, STETH, "10", "30000")
BUY_LOT = f"{BUY.tx_hash}:{BUY.leg_key}"
AS_OF = "2025-06-20"
AS_OF_PRICE = PricePoint(STETH, day(2025, 6, 19), Decimal(2500), "csv")
IN_WINDOW = [
    rebase(day(2025, 6, 10), "0.000000000000000001", "0.0000000000000025"),  # 1 wei
    rebase(day(2025, 6, 12), "0.01", "25"),  # a real day of growth: not a purchase either
    leg(day(2025, 6, 14), Kind.TRADE, STETH, "0.0001", "0.25"),  # a dust buy, under 1 USD
]
# a real buy back of 1 stETH for 2,600 USD, 6 days before the as-of date
REPURCHASE = leg(day(2025, 6, 14, hour=15), Kind.TRADE, STETH, "1", "2600")


def _db(path: Path, legs: list[LedgerEntry], prices: list[PricePoint]) -> Path:
    with Store(path) as store:
        with store.transaction():
            store.replace_ledger(1, legs)
            store.save_prices(prices)
        fixed_rates(store, CAD="1.25")  # one USD buys 1.25 CAD: Canada's figures x 1.25
    return path


def _risk(rows: list[dict[str, object]], currency: str = "usd") -> dict[object, object]:
    return {row["lot_id"]: (row[f"unrealized_{currency}"], row["wash_sale_risk"])
            for row in rows}


POOL = f"pool:{STETH}"  # Canada's adjusted cost base: one pool per asset


@pytest.mark.parametrize(("jurisdiction", "lot"), [("us", BUY_LOT), ("ca", POOL)])
def test_rebasing_growth_and_dust_do_not_flag_the_lot(tmp_path: Path, jurisdiction: str,
                                                      lot: str) -> None:
    db = _db(tmp_path / "dust.duckdb", [BUY, *IN_WINDOW], [AS_OF_PRICE])
    rows = cli_json("harvest", "--as-of", AS_OF, "--jurisdiction", jurisdiction, db=db)
    # 10 x 2,500 - 30,000; Canada's pool holds the growth and dust too, at their own cost
    expected = {"us": ("usd", "-5000.00"), "ca": ("cad", "-6250.00")}  # CAD: x 1.25
    currency, loss = expected[jurisdiction]
    assert _risk(rows, currency) == {lot: (loss, False)}
    if jurisdiction == "us":
        table = run_cli("harvest", "--as-of", AS_OF, db=db)
        assert table.returncode == 0, table.stderr
        assert "wash-sale risk" not in table.stderr


def test_a_real_purchase_in_the_window_still_flags_the_lot(tmp_path: Path) -> None:
    db = _db(tmp_path / "buy.duckdb", [BUY, *IN_WINDOW, REPURCHASE], [AS_OF_PRICE])
    rows = cli_json("harvest", "--as-of", AS_OF, db=db)
    # the buy back itself is at a loss too (2,500 - 2,600), and nothing else was bought in
    # the 30 days before it: only dust and growth
    assert _risk(rows) == {BUY_LOT: ("-5000.00", True),
                           f"{REPURCHASE.tx_hash}:{REPURCHASE.leg_key}": ("-100.00", False)}
    table = run_cli("harvest", "--as-of", AS_OF, db=db)
    assert table.returncode == 0, table.stderr
    assert "wash-sale risk: the same or a substantially identical asset was bought" \
        in table.stderr
    (pool,) = cli_json("harvest", "--as-of", AS_OF, "--jurisdiction", "ca", db=db)
    assert (pool["lot_id"], pool["unrealized_cad"], pool["wash_sale_risk"]) == \
        (POOL, "-6375.00", True)  # (11 x 2,500 - (30,000 + 2,600)) x 1.25 CAD a USD


# ---- the lot book's notes --------------------------------------------------------------------

WRAP_TX = "0x" + "77" * 32
POOLED_NOTE = ("note: wraps and liquidity deposits are taken as trades under these rules: "
               "pooled cost does not carry over from one asset to another")


@pytest.fixture(scope="module")
def wrapped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1 ETH bought, wrapped into WETH, and the WETH sold: a wrap carries basis over in the
    US, and is a trade under the UK and Canadian pools."""
    legs = [leg(day(2025, 1, 5), Kind.TRADE, ETH, "1", "3000", key="native"),
            leg(day(2025, 2, 5), Kind.WRAP, ETH, "-1", "3200", tx=WRAP_TX, key="native"),
            leg(day(2025, 2, 5), Kind.WRAP, WETH, "1", "3200", tx=WRAP_TX, key="log:0"),
            leg(day(2025, 3, 5), Kind.TRADE, WETH, "-1", "3500")]
    return _db(tmp_path_factory.mktemp("notes") / "wrap.duckdb", legs, [])


# the sales of February and March 2025 are in the UK's tax year 2024 to 2025
@pytest.mark.parametrize(("jurisdiction", "year"), [("uk", "2024"), ("ca", "2025")])
def test_the_pooled_note_is_printed_under_gains_on_stderr(wrapped: Path, jurisdiction: str,
                                                          year: str) -> None:
    table = run_cli("gains", "--year", year, "--jurisdiction", jurisdiction, db=wrapped)
    assert table.returncode == 0, table.stderr
    assert POOLED_NOTE in table.stderr.splitlines()
    assert "note:" not in table.stdout
    as_json = run_cli("gains", "--year", year, "--jurisdiction", jurisdiction,
                      "--format", "json", db=wrapped)
    assert as_json.returncode == 0, as_json.stderr
    assert len(json.loads(as_json.stdout)) == 2  # the wrap's disposal of ETH, the WETH sale
    assert POOLED_NOTE in as_json.stderr.splitlines()


@pytest.mark.parametrize("command", [("income", "--year", "2025"), ("lots",),
                                     ("harvest", "--as-of", "2025-06-30")])
def test_every_command_that_computes_lots_prints_the_notes(wrapped: Path,
                                                           command: tuple[str, ...]) -> None:
    result = run_cli(*command, "--jurisdiction", "uk", db=wrapped)
    assert result.returncode == 0, result.stderr
    assert POOLED_NOTE in result.stderr.splitlines()


def test_us_rules_carry_the_basis_and_print_no_note(wrapped: Path) -> None:
    result = run_cli("gains", "--year", "2025", db=wrapped)
    assert result.returncode == 0, result.stderr
    assert "note:" not in result.stderr


def test_the_html_report_has_the_notes(wrapped: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    result = run_cli("report", "--out", str(page), "--year", "2025", "--jurisdiction", "uk",
                     db=wrapped)
    assert result.returncode == 0, result.stderr
    section = re.search(r'<section id="notes">(.*?)</section>', page.read_text(), re.S)
    assert section is not None
    assert re.findall(r"<li>(.*?)</li>", section.group(1)) == [
        POOLED_NOTE.removeprefix("note: ")]
    us_page = tmp_path / "us.html"
    assert run_cli("report", "--out", str(us_page), "--year", "2025",
                   db=wrapped).returncode == 0
    assert 'id="notes"' not in us_page.read_text()


# ---- a price source that keeps failing -------------------------------------------------------

INCOME_AT = datetime(2024, 5, 1, 12, tzinfo=UTC)
SAMPLE_AT = INCOME_AT - timedelta(minutes=20)  # the last CoinGecko sample before it


@pytest.fixture
def unpriced(tmp_path: Path) -> Path:
    """2 ETH received with no price: `prices fetch` has one price to find."""
    return _db(tmp_path / "unpriced.duckdb",
               [leg(INCOME_AT, Kind.INCOME, ETH, "2", None, key="native")], [])


@pytest.fixture
def quick_price_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (defillama_module, coingecko_module):
        monkeypatch.setattr(module, "RETRY",
                            replace(module.RETRY, backoff_s=0.001, max_wait_s=0.002))
    monkeypatch.setitem(coingecko_module.CALLS_PER_MINUTE, "public", 100_000.0)
    for key in ("DEFILLAMA_API_KEY", "COINGECKO_API_KEY", "COINGECKO_PRO_API_KEY"):
        monkeypatch.delenv(key, raising=False)


def test_a_failing_defillama_hands_its_requests_to_coingecko(
        unpriced: Path, quick_price_retries: None) -> None:
    llama_calls: list[str] = []

    def llama_down(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str] | \
            Exception:
        llama_calls.append(str(request.url))
        if len(llama_calls) % 2:
            return requests.ConnectionError("connection refused")
        return 502, {}, "<html>502 Bad Gateway</html>"

    ms = int(SAMPLE_AT.timestamp()) * 1000
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, re.compile(r"https://coins\.llama\.fi/.*"),
                          callback=llama_down)
        mock.get(re.compile(r"https://api\.coingecko\.com/api/v3/coins/ethereum/"
                            r"market_chart/range.*"),
                 body=f'{{"prices":[[{ms},3012.4567]],"market_caps":[],"total_volumes":[]}}')
        result = CliRunner().invoke(app, ["prices", "fetch", "--db", str(unpriced)])
    assert result.exit_code == 0, result.output
    assert len(llama_calls) > 1  # retried, then given up
    failed = [line for line in result.stderr.splitlines() if "failed" in line]
    assert len(failed) == 1
    assert failed[0].startswith("price source defillama failed, asked coingecko instead: "
                                "DefiLlama")
    assert "1 found (1 from coingecko)" in result.stderr
    with Store(unpriced) as store:
        (point,) = store.prices()
        assert (point.asset, point.source, point.usd) == (ETH, "coingecko",
                                                          Decimal("3012.4567"))
        assert store.price_misses() == set()  # DefiLlama's failure is no "no answer"


def test_when_every_source_fails_that_is_the_error(unpriced: Path,
                                                    quick_price_retries: None) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(re.compile(r"https://coins\.llama\.fi/.*"), status=502)
        mock.get(re.compile(r"https://api\.coingecko\.com/.*"), status=503)
        result = CliRunner().invoke(app, ["prices", "fetch", "--db", str(unpriced)])
    # a SourceError: `taxscan` (scanner.cli.main.main) prints it as `error: ...`, exit 2
    assert isinstance(result.exception, SourceUnavailable), result.output
    message = str(result.exception)
    assert message.startswith("every price source failed: DefiLlama kept failing")
    assert "; CoinGecko (public) kept failing" in message
    with Store(unpriced) as store:
        assert store.prices() == [] and store.price_misses() == set()
