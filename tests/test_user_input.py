"""What a new user trips over, run as a user would: the installed `taxscan`, in a subprocess.
Bad input ends with one line naming the problem and exit code 2, before any network or
database work, and creates or changes nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scanner.store import Store
from tests.faults.loopback import QuietHandler, serving

TAXSCAN = Path(sys.executable).with_name("taxscan")
ROOT = Path(__file__).resolve().parents[1]
WALLET = "0x6e15887E2CEC81434C16D587709f64603b39b545"
PRICES = "timestamp,asset,usd\n2024-01-01T00:00:00Z,eip155:1/slip44:60,2300\n"
NEXT_YEAR = datetime.now(UTC).year + 1


def taxscan(*args: str, cwd: Path, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(TAXSCAN), *args], capture_output=True, text=True, cwd=cwd,
                          env=_env(cwd, env), timeout=timeout, check=False)


def _env(home: Path, extra: dict[str, str] | None) -> dict[str, str]:
    """The user's environment, with no database or node configured and the default data
    folder inside `home`, where a test can see whether anything was made."""
    env = {k: v for k, v in os.environ.items() if k not in ("TAXSCAN_DB", "TAXSCAN_RPC")}
    return {**env, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"), **(extra or {})}


def one_line_error(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [f"error: {expected}"], result.stderr


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database holding one price."""
    (tmp_path / "prices.csv").write_text(PRICES)
    path = tmp_path / "t.duckdb"
    result = taxscan("prices", "import", "prices.csv", "--db", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return path


def contents(path: Path) -> dict[str, int]:
    with Store(path, read_only=True) as store:
        return store.counts()


READS = [
    ("ledger",), ("gains", "--year", "2025"), ("income", "--year", "2025"), ("lots",),
    ("trace", "lot-1"), ("balances", "--year", "2025"), ("harvest", "--as-of", "2025-06-01"),
    ("prices", "missing"), ("export", "--format", "ledger", "--out", "out.csv"),
    ("report", "--out", "out.html"), ("explain", "0x" + "ab" * 32), ("spam",),
    ("spam", "--all"), ("basis", "show"), ("reconcile", "--rpc", "http://127.0.0.1:9"),
]


@pytest.mark.parametrize("args", READS, ids=" ".join)
def test_a_read_command_on_a_mistyped_db_path_creates_nothing(tmp_path: Path,
                                                              args: Sequence[str]) -> None:
    missing = tmp_path / "nonexistent" / "dir" / "x.duckdb"
    result = taxscan(*args, "--db", str(missing), cwd=tmp_path)
    one_line_error(result, f"no database at {missing}: run `taxscan scan` first")
    assert result.stdout == ""
    assert tree(tmp_path) == []


def test_a_read_command_on_the_default_path_before_any_scan(tmp_path: Path) -> None:
    result = taxscan("gains", "--year", "2025", cwd=tmp_path)
    default = tmp_path / "data" / "taxscan" / "taxscan.duckdb"
    one_line_error(result, f"no database at {default}: run `taxscan scan` first")
    assert tree(tmp_path) == []


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_taxscan_db_is_named(tmp_path: Path, value: str) -> None:
    for args in (("ledger",), ("prices", "import", "p.csv")):
        result = taxscan(*args, cwd=tmp_path, env={"TAXSCAN_DB": value})
        one_line_error(result, "TAXSCAN_DB is set but empty: name the database file, or "
                               "unset it for the default")
    assert tree(tmp_path) == []


def test_a_command_that_writes_still_creates_the_database(tmp_path: Path) -> None:
    (tmp_path / "prices.csv").write_text(PRICES)
    new = tmp_path / "new" / "folder" / "t.duckdb"
    result = taxscan("prices", "import", "prices.csv", "--db", str(new), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert contents(new)["prices"] == 1
    listed = taxscan("ledger", "--format", "json", "--db", str(new), cwd=tmp_path)
    assert (listed.returncode, json.loads(listed.stdout)) == (0, [])


# ---- files written -------------------------------------------------------------------

def test_a_report_into_proc_is_one_line(db: Path, tmp_path: Path) -> None:
    before = contents(db)
    result = taxscan("report", "--out", "/proc/x.html", "--db", str(db), cwd=tmp_path)
    one_line_error(result, "cannot write /proc/x.html: No such file or directory")
    assert contents(db) == before


@pytest.mark.parametrize("fmt,name", [("ledger", "l.csv"), ("ledger", "l.parquet"),
                                      ("form8949", "f.pdf"), ("koinly", "k.csv")])
def test_an_export_into_a_missing_folder_is_one_line(db: Path, tmp_path: Path, fmt: str,
                                                     name: str) -> None:
    out = tmp_path / "no" / name
    result = taxscan("export", "--format", fmt, "--year", "2024", "--out", str(out),
                     "--db", str(db), cwd=tmp_path)
    one_line_error(result, f"cannot write {out}: the folder {out.parent} does not exist")
    assert not out.parent.exists()


def test_an_export_onto_a_folder_or_a_pipe_replaces_neither(db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    pipe = tmp_path / "a-pipe"
    os.mkfifo(pipe)
    before = tree(tmp_path)
    one_line_error(taxscan("report", "--out", str(folder), "--db", str(db), cwd=tmp_path),
                   f"cannot write {folder}: it is a folder")
    one_line_error(taxscan("export", "--format", "ledger", "--out", str(pipe), "--db", str(db),
                           cwd=tmp_path), f"cannot write {pipe}: not a regular file")
    assert tree(tmp_path) == before  # no temporary file left either
    assert not pipe.is_file()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any folder")
def test_an_export_into_a_folder_without_write_permission(db: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = taxscan("report", "--out", str(locked / "r.html"), "--db", str(db), cwd=tmp_path)
    one_line_error(result, f"cannot write {locked / 'r.html'}: Permission denied")
    assert tree(locked) == []


# ---- arguments checked before any work -----------------------------------------------

class _CountingNode(QuietHandler):
    def do_POST(self) -> None:
        self.owner().append(self.body())
        self.respond(200, b'{"jsonrpc": "2.0", "id": 0, "result": "0x1"}',
                     {"Content-Type": "application/json"})


@pytest.fixture
def node() -> Iterator[tuple[str, list[bytes]]]:
    """A node on loopback that counts the requests it is sent: (its URL, the requests)."""
    asked: list[bytes] = []
    with serving(_CountingNode, asked) as url:
        yield url, asked


@pytest.mark.parametrize("fresh", [True, False], ids=["new db", "existing db"])
def test_a_stablecoin_that_is_no_asset_id_fails_before_the_scan(
        tmp_path: Path, db: Path, node: tuple[str, list[bytes]], fresh: bool) -> None:
    url, asked = node
    path = tmp_path / "new.duckdb" if fresh else db
    before = None if fresh else contents(db)
    result = taxscan("scan", WALLET, "--rpc", url, "--stablecoin", "USDC", "--db", str(path),
                     cwd=tmp_path)
    one_line_error(result, "not a CAIP-19 asset id such as bip122:000000000019d6689c085ae165831e93"
                           "/slip44:0 or eip155:1/slip44:60: 'USDC'")
    assert asked == []
    assert path.exists() is not fresh
    assert before is None or contents(db) == before


@pytest.mark.parametrize("url", ["not a url", "ftp://node.example/key", "http://"])
def test_an_rpc_that_is_no_http_url_fails_at_once(tmp_path: Path, url: str) -> None:
    started = time.monotonic()
    result = taxscan("scan", WALLET, "--rpc", url, "--db", str(tmp_path / "x.duckdb"),
                     cwd=tmp_path)
    one_line_error(result, "--rpc must be a URL starting with http:// or https://")
    from_env = taxscan("scan", WALLET, "--db", str(tmp_path / "x.duckdb"), cwd=tmp_path,
                       env={"TAXSCAN_RPC": url})
    one_line_error(from_env, "$TAXSCAN_RPC must be a URL starting with http:// or https://")
    assert time.monotonic() - started < 30  # no retries of a "network fault"
    assert tree(tmp_path) == []


@pytest.mark.parametrize("args", [("prices", "fetch", "--rpc", "ftp://x"),
                                  ("prices", "fetch", "--defillama-url", "nope"),
                                  ("reconcile", "--rpc", "ftp://x"),
                                  ("scan", WALLET, "--explorer-url", "ftp://x")])
def test_every_url_option_is_checked(tmp_path: Path, args: Sequence[str]) -> None:
    result = taxscan(*args, "--db", str(tmp_path / "x.duckdb"), cwd=tmp_path)
    option = next(a for a in args if a.startswith("--"))
    one_line_error(result, f"{option} must be a URL starting with http:// or https://")
    assert tree(tmp_path) == []


def test_a_from_block_no_block_can_have_is_refused(tmp_path: Path,
                                                   node: tuple[str, list[bytes]]) -> None:
    url, asked = node
    for block in ("9" * 30, str(2**63), "-1"):
        result = taxscan("scan", WALLET, "--rpc", url, "--from-block", block,
                         "--db", str(tmp_path / "x.duckdb"), cwd=tmp_path)
        one_line_error(result, f"--from-block must be a block number from 0 to "
                               f"9223372036854775807, not {block}")
    assert asked == []
    assert tree(tmp_path) == []


YEAR_COMMANDS = [("gains",), ("income",), ("balances",), ("ledger",),
                 ("export", "--format", "ledger", "--out", "o.csv"), ("report", "--out", "o.html")]
BAD_YEARS = ["-5", "99999999999", "1969", "2201", "0", "-5"]  # one for each command


@pytest.mark.parametrize("args,year", list(zip(YEAR_COMMANDS, BAD_YEARS, strict=True)),
                         ids=lambda v: " ".join(v) if isinstance(v, tuple) else v)
def test_a_year_outside_1970_to_2200_is_refused(db: Path, tmp_path: Path,
                                                args: Sequence[str], year: str) -> None:
    result = taxscan(*args, "--year", year, "--db", str(db), cwd=tmp_path)
    one_line_error(result, f"--year must be a year from 1970 to 2200, not {year}")
    assert not (tmp_path / "o.csv").exists() and not (tmp_path / "o.html").exists()


def test_the_year_is_checked_before_the_database_is_looked_for(tmp_path: Path) -> None:
    result = taxscan("gains", "--year", "-5", "--db", str(tmp_path / "no.duckdb"),
                     cwd=tmp_path)
    one_line_error(result, "--year must be a year from 1970 to 2200, not -5")


def test_the_edge_years_are_accepted(db: Path, tmp_path: Path) -> None:
    for year in ("1970", "2200"):
        result = taxscan("gains", "--year", year, "--format", "json", "--db", str(db),
                         cwd=tmp_path)
        assert (result.returncode, json.loads(result.stdout)) == (0, []), result.stderr


def test_a_basis_allocation_in_the_future_is_refused(db: Path, tmp_path: Path) -> None:
    before = contents(db)
    for path in (db, tmp_path / "new.duckdb"):
        result = taxscan("basis", "allocate", "--as-of", f"{NEXT_YEAR}-01-01",
                         "--db", str(path), cwd=tmp_path)
        one_line_error(result, f"--as-of {NEXT_YEAR}-01-01 is in the future: the allocation "
                               "is made at the start of a year that has begun")
    assert contents(db) == before
    assert not (tmp_path / "new.duckdb").exists()


def test_version(tmp_path: Path) -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    result = taxscan("--version", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"taxscan {declared}\n", "")


# ---- two processes on one database ---------------------------------------------------

WAITING = "waiting for the database {}: another taxscan is using it"


def test_a_second_process_waits_for_the_database(db: Path, tmp_path: Path) -> None:
    holder = Store(db)  # this process holds the file for writing
    try:
        reader = subprocess.Popen([str(TAXSCAN), "gains", "--year", "2024", "--format", "json",
                                   "--db", str(db)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                                  env=_env(tmp_path, None))
        assert reader.stderr is not None
        assert reader.stderr.readline() == WAITING.format(db) + "\n"
    finally:
        holder.close()
    out, err = reader.communicate(timeout=60)
    assert (reader.returncode, json.loads(out), err) == (0, [], "")


def test_a_second_process_gives_up_after_ten_seconds(db: Path, tmp_path: Path) -> None:
    with Store(db):
        started = time.monotonic()
        result = taxscan("prices", "import", "prices.csv", "--db", str(db), cwd=tmp_path)
        waited = time.monotonic() - started
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        WAITING.format(db),
        f"error: the database {db} is still in use by another taxscan after 10 s: try again "
        "when it has finished"]
    assert waited >= 10


def test_readers_share_the_database(db: Path, tmp_path: Path) -> None:
    with Store(db, read_only=True):
        result = taxscan("gains", "--year", "2024", "--format", "json", "--db", str(db),
                         cwd=tmp_path, timeout=8)
    assert (result.returncode, json.loads(result.stdout), result.stderr) == (0, [], "")


# ---- Ctrl-C ----------------------------------------------------------------------------

STALL_ANSWERS = {"eth_chainId": "0x1", "eth_blockNumber": "0x64"}


class _StallingNode(QuietHandler):
    """Answers the chain id and head, then stalls every other call until released."""

    def do_POST(self) -> None:
        stalled, release = self.owner()
        body = json.loads(self.body())
        calls = body if isinstance(body, list) else [body]
        if all(call["method"] in STALL_ANSWERS for call in calls):
            answers = [{"jsonrpc": "2.0", "id": call["id"],
                        "result": STALL_ANSWERS[call["method"]]} for call in calls]
            payload = answers if isinstance(body, list) else answers[0]
            self.respond(200, json.dumps(payload).encode(), {"Content-Type": "application/json"})
            return
        stalled.set()
        release.wait(60)


@contextmanager
def _stalled_scan(db: Path, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """`taxscan scan` against a node that stalls, yielded once the scan waits on it."""
    stalled, release = threading.Event(), threading.Event()
    with serving(_StallingNode, (stalled, release)) as url:
        scan = subprocess.Popen([str(TAXSCAN), "scan", WALLET, "--rpc", url, "--db", str(db)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                cwd=tmp_path, env=_env(tmp_path, None))
        try:
            assert stalled.wait(60), "the scan never reached the node"
            yield scan
        finally:
            release.set()
            if scan.poll() is None:
                scan.kill()


def test_ctrl_c_during_a_scan_says_what_was_kept(db: Path, tmp_path: Path) -> None:
    before = contents(db)
    with _stalled_scan(db, tmp_path) as scan:
        scan.send_signal(signal.SIGINT)
        _, err = scan.communicate(timeout=60)
    assert scan.returncode == 130, err
    assert err.strip().splitlines() == [
        "interrupted: nothing half-written (each step commits whole or not at all); a scan "
        "keeps the batches it stored, with their cursor, and the next scan goes on from there"]
    assert contents(db) == before


def test_a_report_reads_the_database_while_a_scan_waits_on_the_node(db: Path,
                                                                     tmp_path: Path) -> None:
    with _stalled_scan(db, tmp_path) as scan:
        started = time.monotonic()
        report = taxscan("gains", "--year", "2024", "--format", "json", "--db", str(db),
                         cwd=tmp_path, timeout=30)
        waited = time.monotonic() - started
        scan.send_signal(signal.SIGINT)
        scan.communicate(timeout=60)
    assert (report.returncode, json.loads(report.stdout)) == (0, [])
    assert "waiting for the database" not in report.stderr
    assert waited < 8, f"the report waited {waited:.1f} s for the scan"
