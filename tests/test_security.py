"""Security: API keys stay out of every output and file, the database is its user's alone,
SQL takes values only as parameters, no private key is ever accepted, and token text from
the chain is inert wherever taxscan shows or writes it.

The end-to-end part plays the devnet scenario plus tokens with hostile names, puts the node
behind a URL carrying keys (path, query, user info) and an Etherscan-shaped explorer (served
through `responses`) behind an API key, then runs every command through the CLI.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import os
import re
import stat
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest
import responses
from pypdf import PdfReader
from rich.console import Console
from web3 import HTTPProvider, Web3

from chains.addresses import SECRET_REFUSAL, parse_address
from chains.devnet.anvil import Anvil
from chains.devnet.scenario import DEADLINE, GENESIS, OZ_TOKEN, Scenario, artifact, play
from chains.errors import AddressError
from chains.evm import explorer as explorer_module
from chains.evm import rpc as rpc_module
from chains.evm.mappers import MAX_TEXT, untrusted_text
from chains.evm.records import TokenInfo
from scanner.app.config import load_config
from scanner.app.explain import EXPLAIN
from scanner.cli import main as cli
from scanner.errors import ConfigError
from scanner.formats import rows as reports
from scanner.formats.cells import NUMERIC_FIELDS
from scanner.formats.coinledger import coinledger_csv
from scanner.formats.cointracker import cointracker_csv
from scanner.formats.koinly import koinly_csv
from scanner.formats.ledger_export import PARQUET_COLUMNS, parquet_rows
from scanner.formats.render import gains_to_csv, to_csv, to_json, to_table
from scanner.formats.rows import LEDGER, Shape
from scanner.formats.us.form8949 import form8949_csv, form8949_lines
from scanner.formats.us.turbotax import turbotax_csv
from scanner.formats.us.txf import txf_text
from scanner.ledger.records import Kind, LedgerEntry
from scanner.store import Store
from scanner.store.parquet import write_parquet
from scanner.tax.records import Disposal, Term
from scanner.writing import write_bytes, write_text
from tests.chains.fake_explorer import FakeExplorer
from tests.devnet.test_sources_agree import index_chain, rpc
from tests.helpers import run_cli
from tests.html_page import Parsed
from tests.unit.builders import ETH, TKN, WALLET, day, leg

ROOT = Path(__file__).resolve().parents[1]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
ESCAPES = ("\x1b", "\x07", "\x00", "\x7f", "\u202e")

# What a token may call itself: formulas, markup, escape codes, controls, bidi, HTML, length.
HOSTILE = ('=HYPERLINK("http://x","y")', "+1", "-1", "@SUM(A1)", "\t=cmd", "\r=cmd",
           "[bold red]x[/]", "\x1b[31mred\x1b[0m", "bell\x07nul\x00del\x7f", "\u202eevil",
           "<script>alert(1)</script>", "L" * 5000)
INJECTION = "'); DROP TABLE ledger; --"


def is_number(text: str) -> bool:
    return NUMBER.fullmatch(text) is not None


def csv_cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def assert_no_formula_cell(text: str) -> None:
    """OWASP: no cell a spreadsheet would run; a number (a loss, "-12.50") stays a number."""
    for row in csv_cells(text):
        for cell in row:
            assert not cell.startswith(FORMULA_START) or is_number(cell), (cell, row)


def guarded(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


# ---- private keys -----------------------------------------------------------------------

PRIVATE_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
MNEMONIC_12 = "legal winner thank year wave sausage worth useful legal winner thank yellow"
MNEMONIC_24 = " ".join(["abandon"] * 23 + ["art"])
XPRV = ("xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3"
        "TGtRBeJgk33yuGBxrMPHi")
SECRETS = {"hex key with 0x": PRIVATE_KEY, "hex key without 0x": PRIVATE_KEY[2:],
           "uppercase hex key": PRIVATE_KEY[2:].upper(), "12-word mnemonic": MNEMONIC_12,
           "24-word mnemonic": MNEMONIC_24,
           "comma-separated mnemonic": MNEMONIC_12.replace(" ", ","),
           "extended private key": XPRV}


def fragments(secret: str) -> list[str]:
    """Parts of a secret that must not be shown either: a hex run, any word of a mnemonic."""
    if " " in secret or "," in secret:
        return [w for w in re.split(r"[ ,]+", secret) if len(w) > 3]
    return [secret[-40:].lower(), secret[-40:].upper(), secret[:20]]


@pytest.mark.parametrize("secret", SECRETS.values(), ids=SECRETS.keys())
def test_a_private_key_is_never_taken_for_an_address_nor_repeated(secret: str) -> None:
    with pytest.raises(AddressError) as raised:
        parse_address(f" {secret}\n")
    assert str(raised.value) == SECRET_REFUSAL
    for part in fragments(secret):
        assert part not in str(raised.value)


def test_a_long_non_address_is_not_repeated_either() -> None:
    typo = PRIVATE_KEY[:-1]  # 63 hex digits: a key with a character missing
    with pytest.raises(AddressError, match="not an EVM address") as raised:
        parse_address(typo)
    assert typo[2:20] not in str(raised.value)


@pytest.mark.parametrize("secret", [PRIVATE_KEY, MNEMONIC_12, MNEMONIC_24],
                         ids=["hex key", "12 words", "24 words"])
def test_the_cli_refuses_a_private_key_in_one_line_exit_2_without_showing_it(
        tmp_path: Path, secret: str) -> None:
    db = tmp_path / "t.duckdb"
    config = tmp_path / "taxscan.toml"
    config.write_text(f'[[wallets]]\naddress = "{secret}"\nchains = ["devnet"]\n')
    runs = [run_cli("scan", secret, "--rpc", "http://127.0.0.1:9", db=db),
            run_cli("ledger", "--wallet", secret, db=db),
            run_cli("scan", "--config", str(config), db=db)]
    for result in runs:
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
        assert "looks like a private key" in result.stderr
        for part in fragments(secret):
            assert part not in result.stdout + result.stderr
    assert "wallets[1].address" in runs[-1].stderr  # the config error names the key


@pytest.mark.parametrize("secret", [PRIVATE_KEY, MNEMONIC_24], ids=["hex key", "mnemonic"])
def test_the_config_refuses_a_private_key_as_an_address(tmp_path: Path, secret: str) -> None:
    path = tmp_path / "cfg.toml"
    path.write_text(f'[[wallets]]\naddress = "{secret}"\nchains = ["ethereum"]\n')
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value) == f"{path}: wallets[1].address: {SECRET_REFUSAL}"


# ---- the database file and exports: their user's only ----------------------------------


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The loosest umask: whatever taxscan makes private, it makes private itself."""
    before = os.umask(0)
    try:
        yield
    finally:
        os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def current_umask() -> int:
    value = os.umask(0)
    os.umask(value)
    return value


def test_the_database_its_wal_and_new_folders_are_private_whatever_the_umask(
        tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "new" / "deeper" / "taxscan.duckdb"
    with Store(path) as store:
        store.add_wallet(1, WALLET, "hot")
        wal = path.with_name(path.name + ".wal")
        assert wal.exists()
        assert mode(wal) == 0o600
        assert mode(path) == 0o600
    assert (mode(tmp_path / "new"), mode(tmp_path / "new" / "deeper")) == (0o700, 0o700)
    assert current_umask() == 0  # the process's umask is given back on close
    with Store(path) as store:  # a WAL made anew later is private as well
        store.add_wallet(1, "0x" + "cd" * 20, None)
        assert mode(path.with_name(path.name + ".wal")) == 0o600


def test_the_cli_creates_a_private_database_whatever_the_umask(tmp_path: Path,
                                                               open_umask: None) -> None:
    prices = tmp_path / "prices.csv"
    prices.write_text("timestamp,asset,usd\n2024-01-01T00:00:00Z,eip155:1/slip44:60,2300\n")
    db = tmp_path / "data" / "taxscan.duckdb"
    result = run_cli("prices", "import", str(prices), db=db)  # the child keeps umask 0
    assert result.returncode == 0, result.stderr
    assert (mode(db), mode(db.parent)) == (0o600, 0o700)


def test_every_kind_of_export_file_is_private_whatever_the_umask(tmp_path: Path,
                                                                 open_umask: None) -> None:
    write_text(tmp_path / "f.csv", "a,b\r\n")
    write_bytes(tmp_path / "f.pdf", b"%PDF-1.4")
    write_parquet(tmp_path / "f.parquet", PARQUET_COLUMNS, parquet_rows([], []))
    for name in ("f.csv", "f.pdf", "f.parquet"):
        assert mode(tmp_path / name) == 0o600, name


# ---- SQL takes values as parameters ------------------------------------------------------


def _sql_calls() -> Iterator[tuple[Path, ast.Call]]:
    for folder in ("scanner", "chains"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                        and node.func.attr in ("execute", "executemany", "sql", "query") \
                        and node.args:
                    yield path, node


def test_no_sql_is_built_from_values() -> None:
    """Every SQL text handed to DuckDB is a constant or a named query, never an f-string,
    a `%` or `+` of strings, or `.format()`: values travel as parameters."""
    calls = list(_sql_calls())
    assert len(calls) >= 5  # the store's and the Parquet export's
    for path, call in calls:
        sql = call.args[0]
        built = isinstance(sql, ast.JoinedStr | ast.BinOp) or (
            isinstance(sql, ast.Call) and isinstance(sql.func, ast.Attribute)
            and sql.func.attr == "format")
        assert not built, f"{path.relative_to(ROOT)}:{call.lineno} builds SQL from values"


def schema_tables() -> set[str]:
    schema = (ROOT / "scanner" / "store" / "schema.sql").read_text()
    return set(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", schema))


def db_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {str(r[0]) for r in con.execute(
        "SELECT table_name FROM information_schema.tables").fetchall()}


def test_hostile_text_round_trips_through_the_store(tmp_path: Path) -> None:
    path = tmp_path / "t.duckdb"
    token = TokenInfo(1, "0x" + "ee" * 20, INJECTION + '"', "x'); DELETE FROM meta; --", 18)
    with Store(path) as store:
        store.add_wallet(1, WALLET, INJECTION)
        store.save_tokens([token])
        store.set_meta("method", INJECTION)
    with Store(path) as store:
        assert store.meta("method") == INJECTION
        assert store.tokens(1) == {token.address: token}
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT label FROM wallets").fetchall() == [(INJECTION,)]
        assert db_tables(con) == schema_tables()


# ---- untrusted token text, unit by unit --------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_chain_text_is_kept_printable_and_bounded(text: str) -> None:
    kept = untrusted_text(text)
    assert kept is not None
    assert kept.isprintable() and len(kept) <= MAX_TEXT
    assert kept == "".join(ch for ch in text if ch.isprintable())[:MAX_TEXT]


def hostile_rows(shape: Shape, text: str) -> list[dict[str, Any]]:
    return [{f: "-12.50" if f in NUMERIC_FIELDS else text for f in shape.fields}]


SHAPES = {name: value for name, value in vars(reports).items() if isinstance(value, Shape)}
SHAPES["EXPLAIN"] = EXPLAIN


@pytest.mark.parametrize("text", HOSTILE)
def test_every_report_csv_guards_text_and_keeps_numbers(text: str) -> None:
    for name, shape in SHAPES.items():
        written = to_csv(hostile_rows(shape, text), shape.fields)
        assert_no_formula_cell(written)
        (header, row) = csv_cells(written)
        for column, cell in zip(header, row, strict=True):
            expected = "-12.50" if column in NUMERIC_FIELDS else guarded(text)
            assert cell == expected, (name, column)


def test_numbers_in_any_column_stay_numbers() -> None:
    written = to_csv([{"chain_id": -1, "symbol": Decimal("-3.5"), "log_index": "-1"}],
                     ("chain_id", "symbol", "log_index"))
    assert csv_cells(written)[1] == ["-1", "-3.5", "'-1"]  # a text cell is guarded all the same


def hostile_disposal(symbol: str) -> Disposal:
    return Disposal(WALLET, TKN, symbol, Decimal(5), day(2025, 1, 2), day(2025, 3, 4),
                    Decimal("87.50"), Decimal("100.00"), Term.SHORT, "0x" + "ab" * 32,
                    "0x" + "ab" * 32 + ":log:1", Kind.TRADE)


@pytest.mark.parametrize("text", HOSTILE)
def test_gains_and_form_csvs_guard_the_symbol_and_keep_a_loss_a_number(text: str) -> None:
    sold = hostile_disposal(text)
    gains = gains_to_csv([sold])
    assert_no_formula_cell(gains)
    header, row = csv_cells(gains)
    cells = dict(zip(header, row, strict=True))
    assert (cells["symbol"], cells["gain_usd"]) == (guarded(text), "-12.50")
    form = form8949_csv(form8949_lines([sold], 2025))
    assert_no_formula_cell(form)
    assert csv_cells(form)[1][9] == "-12.50"
    turbo = turbotax_csv([sold], 2025)
    assert_no_formula_cell(turbo)
    (_, line) = csv_cells(turbo)
    assert line[0].removeprefix("'").isprintable()  # one line, no control characters
    txf = txf_text(form8949_lines([sold], 2025), today=day(2026, 1, 1).date())
    assert all(line.isprintable() for line in txf.split("\r\n"))


def hostile_trade(symbol: str) -> list[LedgerEntry]:
    when = day(2024, 3, 1)
    sent = leg(when, Kind.TRADE, TKN, "-5", "100", key="log:1")
    got = leg(when, Kind.TRADE, ETH, "0.05", "100", key="log:2", counterparty=None)
    fee = leg(when, Kind.FEE, ETH, "-0.001", "2", key="gas")
    return [replace(sent, symbol=symbol), replace(got, symbol=symbol), fee,
            replace(leg(day(2024, 4, 1), Kind.INCOME, TKN, "3", "9"), symbol=symbol)]


@pytest.mark.parametrize("text", HOSTILE)
def test_transaction_csvs_guard_the_currency(text: str) -> None:
    entries = hostile_trade(text)
    for writer in (koinly_csv, cointracker_csv, coinledger_csv):
        written = writer(entries)
        assert_no_formula_cell(written)
        assert guarded(text) in {cell for row in csv_cells(written) for cell in row}


@pytest.mark.parametrize("text", HOSTILE)
def test_json_keeps_the_text_exact(text: str) -> None:
    rows = hostile_rows(LEDGER, text)
    written = to_json(rows)
    assert json.loads(written) == rows
    assert "\x1b" not in written and "\x00" not in written  # escaped as \\u001b, not raw


def test_a_terminal_table_shows_hostile_text_inert() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, color_system="truecolor", width=6000)
    rows = [{"symbol": text, "asset": text, "wallet": WALLET, "quantity": "1"}
            for text in HOSTILE]
    console.print(to_table(rows, ("symbol", "asset", "wallet", "quantity"), "[bold]Title\x1b[2J"))
    shown = screen.getvalue()
    assert "[bold red]x[/]" in shown and "[bold]Title" in shown  # markup shown, not applied
    assert "\x1b[31m" not in shown and "\x1b[1;31m" not in shown and "\x1b[2J" not in shown
    for char in ("\x07", "\x00", "\x7f", "\u202e", "\r", "\t"):
        assert char not in shown
    assert "\ufffd[31mred\ufffd[0m" in shown and "\ufffdevil" in shown  # replaced, visibly


# ---- end to end: keys, files, the database, hostile tokens, through the CLI ---------------

EXPLORER_URL = "https://explorer.example/api"
EXPLORER_KEY = "EXPLORERKEY7Q2W9E4R1T6Y8U3I5O0P"
PATH_KEY = "pathkey0a1b2c3d4e5f60718293a4b5c6d7e8f9"
QUERY_KEY = "querykey9f8e7d6c5b4a3210"
NODE_PASSWORD = "nodepassword5s6d7f8g"
ALL_KEYS = (EXPLORER_KEY, PATH_KEY, QUERY_KEY, NODE_PASSWORD)
CONFIG_KEY_ENV = "TEST_EXPLORER_API_KEY"

# (name, symbol) as deployed: the scan must store them printable and bounded
HOSTILE_TOKENS = (
    (INJECTION, '=HYPERLINK("http://x","y")'),
    ("\u202e<script>alert(1)</script>" + "N" * 300,
     "\t@SUM(A1)\x1b[31m[bold red]x[/]\u202e<script>alert(1)</script>"),
    ("+1", "-1"),
)


class KeyedNode:
    """anvil behind a URL that carries keys the way hosted nodes' do (a path segment, a
    query parameter, a password), answering only there. `mode` makes it fail: "down" 503s,
    "refuse" 401s, "echo" answers JSON-RPC errors that repeat the URL it was asked at."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.mode = "ok"
        self.seen: list[tuple[str, str]] = []  # (path, Authorization header)
        node = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                node.seen.append((self.path, self.headers.get("Authorization", "")))
                status, answer = node.answer(self.path, body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return (f"http://taxscan:{NODE_PASSWORD}@127.0.0.1:{self.port}/v3/{PATH_KEY}"
                f"?key={QUERY_KEY}")

    def answer(self, path: str, body: bytes) -> tuple[int, bytes]:
        if path != f"/v3/{PATH_KEY}?key={QUERY_KEY}":
            return 404, b"{}"
        if self.mode == "down":
            return 503, f"upstream for {path} is down".encode()
        if self.mode == "refuse":
            return 401, f'{{"error": "key {PATH_KEY} is not allowed"}}'.encode()
        if self.mode == "echo":
            calls = json.loads(body)
            errors = [{"jsonrpc": "2.0", "id": c["id"], "error": {
                "code": -32000, "message": f"project {PATH_KEY} ({path}) is over its limit"}}
                for c in (calls if isinstance(calls, list) else [calls])]
            return 200, json.dumps(errors if isinstance(calls, list) else errors[0]).encode()
        request = urllib.request.Request(self.upstream, data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as forwarded:
            return 200, forwarded.read()

    def __enter__(self) -> KeyedNode:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Ran:
    args: tuple[str, ...]
    code: int
    out: str
    err: str


@dataclass
class World:
    node: Anvil
    scenario: Scenario
    keyed: KeyedNode
    tokens: dict[str, tuple[str, str]]  # address -> (name, symbol) as deployed
    folder: Path
    home: Path
    db: Path
    runs: list[Ran] = field(default_factory=list)
    explorer_queries: list[dict[str, str]] = field(default_factory=list)


def deploy_hostile_tokens(url: str, scenario: Scenario) -> dict[str, tuple[str, str]]:
    """Tokens with hostile names, each given a DAI pool, bought and half sold again by the
    scenario's wallet in July and August 2025 (after the scenario's last block)."""
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 60}))
    deployer = w3.eth.accounts[0]
    token_abi, token_code = artifact(OZ_TOKEN)
    router = w3.eth.contract(address=Web3.to_checksum_address(scenario.router),
                             abi=artifact("@uniswap/v2-periphery/build/UniswapV2Router02.json")[0])
    dai = Web3.to_checksum_address(scenario.dai)
    wallet = scenario.wallet
    clock = [int(datetime(2025, 7, 1, tzinfo=UTC).timestamp())]

    def send(call: Any, sender: str) -> Any:
        clock[0] += 3600
        w3.provider.make_request("evm_setNextBlockTimestamp", [clock[0]])  # type: ignore[arg-type]
        receipt = w3.eth.wait_for_transaction_receipt(call.transact({"from": sender}))
        assert receipt["status"] == 1
        return receipt

    deployed: dict[str, tuple[str, str]] = {}
    for name, symbol in HOSTILE_TOKENS:
        created = send(w3.eth.contract(abi=token_abi, bytecode=token_code).constructor(
            name, symbol), deployer)
        token = w3.eth.contract(address=created["contractAddress"], abi=token_abi)
        send(token.functions.mint(deployer, 10**24), deployer)
        send(token.functions.approve(router.address, 2**256 - 1), deployer)
        send(router.functions.addLiquidity(dai, token.address, 10**23, 10**23, 0, 0, deployer,
                                           DEADLINE), deployer)
        send(token.functions.approve(router.address, 2**256 - 1), wallet)
        send(router.functions.swapExactTokensForTokens(
            500 * 10**18, 0, [dai, token.address], wallet, DEADLINE), wallet)
        held = token.functions.balanceOf(wallet).call()
        send(router.functions.swapExactTokensForTokens(
            held // 2, 0, [token.address, dai], wallet, DEADLINE), wallet)
        deployed[token.address.lower()] = (name, symbol)
    return deployed


def taxscan(world: World, *args: str) -> Ran:
    """The CLI in this process (so `responses` serves the explorer), as `taxscan ARGS`."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.argv
    sys.argv = ["taxscan", *args]
    code = 0
    try:
        with redirect_stdout(out), redirect_stderr(err):
            cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = saved
    ran = Ran(args, code, out.getvalue(), err.getvalue())
    world.runs.append(ran)
    return ran


def run_ok(world: World, *args: str) -> Ran:
    ran = taxscan(world, *args, "--db", str(world.db))
    assert ran.code == 0, (args, ran.err)
    return ran


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("security")
    home = folder / "home"
    home.mkdir()
    with Anvil(genesis_timestamp=int(GENESIS.timestamp())) as node, \
            pytest.MonkeyPatch.context() as patch:
        scenario = play(node.url)
        tokens = deploy_hostile_tokens(node.url, scenario)
        for name in ("HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME",
                     "XDG_CONFIG_HOME"):
            patch.setenv(name, str(home / name.lower()))
        patch.setenv("ETHERSCAN_API_KEY", EXPLORER_KEY)
        patch.setenv(CONFIG_KEY_ENV, EXPLORER_KEY)
        patch.delenv("TAXSCAN_DB", raising=False)
        patch.delenv("TAXSCAN_RPC", raising=False)
        patch.setattr(explorer_module, "RETRY", replace(explorer_module.RETRY, backoff_s=0.001))
        patch.setattr(rpc_module, "RETRY", replace(rpc_module.RETRY, backoff_s=0.001))
        with KeyedNode(node.url) as keyed:
            yield World(node, scenario, keyed, tokens, folder, home, folder / "taxscan.duckdb")


def explorer_rows(world: World) -> dict[str, list[dict[str, Any]]]:
    """An indexer's rows of the chain, the hostile tokens named as deployed (raw)."""
    rows = index_chain(world.node.url)
    for row in rows["tokentx"]:
        if row["contractAddress"] in world.tokens:
            row["tokenName"], row["tokenSymbol"] = world.tokens[row["contractAddress"]]
    return rows


@pytest.fixture(scope="module")
def scanned(world: World) -> World:
    """Every command of the CLI run once against the keyed node and explorer: failures
    first (into their own database), then scans, reports and every export."""
    node_url = world.node.url
    site = FakeExplorer(explorer_rows(world),
                        lambda method, params: rpc(node_url, method, params), url=EXPLORER_URL)
    keyed = world.keyed
    wallet = world.scenario.wallet
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(node_url)
        mock.add_passthru(re.compile(rf"http://[^/]*127\.0\.0\.1:{keyed.port}/"))
        site.install(mock)
        _failures(world, site)
        site.faults.clear()
        keyed.mode = "ok"
        run_ok(world, "scan", wallet, "--chain", "devnet", "--rpc", keyed.url,
               "--explorer-url", EXPLORER_URL, "--source", "explorer")
        config = _config(world, "both")
        run_ok(world, "scan", "--config", str(config))
        run_ok(world, "prices", "import", str(world.scenario.write_prices(
            world.folder / "prices.csv")))
        run_ok(world, "reconcile", "--rpc", keyed.url)
        world.explorer_queries = list(site.requests)
    # its URL makes the formula token spam; marked not spam, it reaches every report
    (formula,) = [a for a, (_, symbol) in world.tokens.items() if "HYPERLINK" in symbol]
    unmarked = run_ok(world, "spam", "unmark", f"eip155:31337/erc20:{formula}")
    assert "HYPERLINK" in unmarked.err
    _reports(world)
    _exports(world)
    return world


def _config(world: World, source: str) -> Path:
    path = world.folder / f"taxscan-{source}.toml"
    path.write_text(f"""
[[treatments]]
kind = "lp_deposit"
protocol = "{INJECTION}"
treatment = "taxable"

[chains.devnet]
rpc = "{world.keyed.url}"
explorer_url = "{EXPLORER_URL}"
api_key_env = "{CONFIG_KEY_ENV}"
source = "{source}"

[[wallets]]
address = "{world.scenario.defi.wallet}"
label = "{INJECTION} [bold red]x[/] [/]"
chains = ["devnet"]
""")
    return path


def _failures(world: World, site: FakeExplorer) -> None:
    failed = str(world.folder / "failed.duckdb")
    wallet = world.scenario.wallet
    explorer = ("scan", wallet, "--chain", "devnet", "--rpc", world.keyed.url,
                "--explorer-url", EXPLORER_URL, "--source", "explorer", "--db", failed)
    node = ("scan", wallet, "--chain", "devnet", "--rpc", world.keyed.url, "--db", failed)
    expected = []
    site.faults[:] = [(401, f"Unauthorized: {EXPLORER_KEY}")]
    expected.append((taxscan(world, *explorer), "HTTP 401 (check the API key)"))
    site.faults[:] = [(200, {"status": "0", "message": "NOTOK",
                             "result": f"Invalid API Key {EXPLORER_KEY}"})]
    expected.append((taxscan(world, *explorer), "refused"))
    site.faults[:] = [(503, f"busy {EXPLORER_KEY}")] * explorer_module.RETRY.attempts
    expected.append((taxscan(world, *explorer), "kept failing"))
    site.faults.clear()
    for mode, says in (("down", "kept failing"), ("refuse", "HTTP 401"), ("echo", "failed")):
        world.keyed.mode = mode
        expected.append((taxscan(world, *node), says))
        expected.append((taxscan(world, "reconcile", "--rpc", world.keyed.url, "--db", failed),
                         says))
    world.keyed.mode = "down"
    expected.append((taxscan(world, "scan", "--config", str(_config(world, "rpc")),
                             "--db", failed), "kept failing"))
    for ran, says in expected:
        assert ran.code == 2, (ran.args, ran.err)
        (line,) = ran.err.strip().splitlines()
        assert line.startswith("error: ") and says in line, (ran.args, ran.err)


REPORTS = (("ledger",), ("gains", "--year", "2024"), ("gains", "--year", "2025"),
           ("income", "--year", "2024"), ("income", "--year", "2025"),
           ("harvest", "--as-of", "2025-09-01", "--all"), ("lots",),
           ("balances", "--year", "2025"), ("prices", "missing"), ("spam", "--all"),
           ("basis", "show"))


def _reports(world: World) -> None:
    for args in REPORTS:
        for fmt in ("table", "json", "csv"):
            run_ok(world, *args, "--format", fmt)
    gains = json.loads(run_ok(world, "gains", "--year", "2025", "--format", "json").out)
    lot = json.loads(run_ok(world, "lots", "--format", "json").out)[0]["lot_id"]
    for fmt in ("table", "json", "csv"):
        run_ok(world, "trace", lot, "--format", fmt)
        run_ok(world, "explain", gains[-1]["tx_hash"], "--format", fmt)


EXPORTS = (("ledger", "ledger.csv"), ("ledger", "ledger.parquet"),
           ("form8949", "form8949.csv"), ("form8949", "form8949.pdf"),
           ("schedule-d", "schedule-d.csv"), ("turbotax", "turbotax.csv"), ("txf", "f.txf"),
           ("koinly", "koinly.csv"), ("cointracker", "cointracker.csv"),
           ("coinledger", "coinledger.csv"))


def _exports(world: World) -> None:
    out = world.folder / "exports"
    out.mkdir()
    for fmt, name in EXPORTS:
        run_ok(world, "export", "--format", fmt, "--out", str(out / name), "--year", "2025")
    run_ok(world, "report", "--out", str(out / "report.html"), "--year", "2025")


def assert_no_key(where: str, text: str) -> None:
    for key in ALL_KEYS:
        assert key not in text, f"{key} leaked into {where}"
        assert key.lower() not in text.lower(), f"{key} leaked into {where} (other case)"


@pytest.mark.devnet
def test_the_keys_were_really_sent(scanned: World) -> None:
    assert any(q.get("apikey") == EXPLORER_KEY for q in scanned.explorer_queries)
    good = [auth for path, auth in scanned.keyed.seen
            if path == f"/v3/{PATH_KEY}?key={QUERY_KEY}"]
    assert good and all(auth.startswith("Basic ") for auth in good)


@pytest.mark.devnet
def test_no_command_prints_a_key_even_when_it_fails(scanned: World) -> None:
    commands = {ran.args[0] for ran in scanned.runs}
    assert {"scan", "reconcile", "export", "report", "ledger", "gains", "trace"} <= commands
    assert sum(ran.code == 2 for ran in scanned.runs) >= 10  # the failure paths ran
    for ran in scanned.runs:
        assert_no_key(f"the output of {' '.join(ran.args[:2])}", ran.out + ran.err)


def _file_texts(path: Path) -> Iterator[tuple[str, str]]:
    """The text a file holds, as its bytes say and as a reader of its format sees it."""
    data = path.read_bytes()
    yield str(path), data.decode("latin-1")
    if path.suffix == ".pdf":
        for n, page in enumerate(PdfReader(path).pages):
            contents = page.get_contents()  # the page's drawing, uncompressed
            raw = contents.get_data().decode("latin-1") if contents is not None else ""
            yield f"{path} page {n}", page.extract_text() + raw
    elif path.suffix == ".parquet":
        with duckdb.connect() as con:
            yield f"{path} (parquet)", repr(con.execute(
                "SELECT CAST(COLUMNS(*) AS VARCHAR) FROM read_parquet(?)", [str(path)]).fetchall())


@pytest.mark.devnet
def test_no_file_taxscan_wrote_holds_a_key(scanned: World) -> None:
    written = [p for p in scanned.folder.rglob("*") if p.is_file()
               and not p.name.startswith("taxscan-")]  # the configs are the user's, key names
    names = {p.name for p in written}
    assert {name for _, name in EXPORTS} | {"report.html", "taxscan.duckdb",
                                           "failed.duckdb"} <= names
    for path in written:
        for where, text in _file_texts(path):
            assert_no_key(where, text)


@pytest.mark.devnet
def test_no_table_of_the_database_holds_a_key(scanned: World) -> None:
    for db in (scanned.db, scanned.folder / "failed.duckdb"):
        with duckdb.connect(str(db), read_only=True) as con:
            names = [str(r[0]) for r in con.execute(
                "SELECT table_name FROM information_schema.tables").fetchall()]
            assert "ledger" in names
            for name in names:
                cells = con.table(name).project("CAST(COLUMNS(*) AS VARCHAR)").fetchall()
                assert_no_key(f"{db.name}:{name}", repr(cells))


@pytest.mark.devnet
def test_hostile_text_round_trips_and_every_table_survives(scanned: World) -> None:
    with duckdb.connect(str(scanned.db), read_only=True) as con:
        assert db_tables(con) == schema_tables()
        assert con.execute("SELECT count(*) FROM ledger").fetchone()[0] > 0  # type: ignore[index]
        labels = con.execute("SELECT label FROM wallets WHERE address = ?",
                             [scanned.scenario.defi.wallet.lower()]).fetchall()
        assert labels == [(f"{INJECTION} [bold red]x[/] [/]",)]
        stored = {str(a): (n, s) for a, s, n in con.execute(
            "SELECT address, symbol, name FROM tokens").fetchall()}
        treatments = con.execute("SELECT value FROM meta WHERE key LIKE '%treatment%'") \
            .fetchall()
    assert INJECTION in json.dumps(json.loads(treatments[0][0]))
    for address, (name, symbol) in scanned.tokens.items():
        assert stored[address] == (untrusted_text(name), untrusted_text(symbol))
    assert stored[next(iter(scanned.tokens))][0] == INJECTION


def hostile_symbols(world: World) -> list[str]:
    return [str(untrusted_text(symbol)) for _, symbol in world.tokens.values()]


def _csvs(world: World) -> dict[str, str]:
    texts = {f"{' '.join(r.args[:3])}": r.out for r in world.runs
             if r.code == 0 and "csv" in r.args and r.args[0] != "export"}
    for _, name in EXPORTS:
        if name.endswith(".csv"):
            texts[name] = (world.folder / "exports" / name).read_text(encoding="utf-8")
    return texts


@pytest.mark.devnet
def test_every_csv_the_cli_writes_guards_hostile_symbols_and_keeps_numbers(
        scanned: World) -> None:
    texts = _csvs(scanned)
    assert len(texts) >= len(REPORTS) + 7
    for where, text in texts.items():
        assert_no_formula_cell(text)
        assert all(cell.isprintable() for row in csv_cells(text) for cell in row), where
    symbols = hostile_symbols(scanned)
    for where in ("ledger --format csv", "gains --year 2025", "ledger.csv", "turbotax.csv",
                  "koinly.csv", "cointracker.csv", "coinledger.csv"):
        cells = {cell for row in csv_cells(texts[where]) for cell in row}
        for symbol in symbols:
            assert guarded(symbol) in cells, (where, symbol)
    gains = list(csv.DictReader(io.StringIO(texts["gains --year 2025"], newline="")))
    losses = [g["gain_usd"] for g in gains if g["gain_usd"].startswith("-")]
    assert losses and all(Decimal(g) < 0 for g in losses)  # a loss is a number, unguarded


@pytest.mark.devnet
def test_json_reports_keep_the_stored_symbols_exactly(scanned: World) -> None:
    ledger = next(json.loads(r.out) for r in scanned.runs
                  if r.args[:3] == ("ledger", "--format", "json"))
    shown = {row["symbol"] for row in ledger}
    assert set(hostile_symbols(scanned)) <= shown


@pytest.mark.devnet
def test_the_html_report_shows_hostile_symbols_as_text(scanned: World) -> None:
    html = (scanned.folder / "exports" / "report.html").read_text(encoding="utf-8")
    page = Parsed(html)
    assert "script" not in page.tags
    assert "<script>" not in html.lower()
    text = " ".join(page.text)
    for symbol in hostile_symbols(scanned):
        assert symbol in text


@pytest.mark.devnet
def test_terminal_tables_show_hostile_symbols_inert(scanned: World) -> None:
    shown = run_cli("gains", "--year", "2025", db=scanned.db,
                    env={"FORCE_COLOR": "1", "COLUMNS": "3000"})
    assert shown.returncode == 0, shown.stderr
    assert "\x1b[1m" in shown.stdout  # a terminal: rich styles its own text
    assert "[bold red]x[/]" in shown.stdout and "\x1b[31m" not in shown.stdout
    for char in ESCAPES[1:]:
        assert char not in shown.stdout
    for symbol in hostile_symbols(scanned):
        assert symbol in shown.stdout


@pytest.mark.devnet
def test_a_config_label_with_markup_scans_on_a_terminal(scanned: World) -> None:
    """The progress line reads rich markup: a label saying `[/]` must not break the scan."""
    shown = run_cli("scan", "--config", str(_config(scanned, "rpc")), db=scanned.db,
                    env={"FORCE_COLOR": "1", "COLUMNS": "200"})
    assert shown.returncode == 0, shown.stderr
    assert_no_key("a scan on a terminal", shown.stdout + shown.stderr)
