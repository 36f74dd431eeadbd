"""Bad input ends with one line naming the problem, exit code 2, and nothing half-written."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from scanner.store import Store
from tests.helpers import run_cli

GOOD_PRICES = "timestamp,asset,usd\n2024-01-01T00:00:00Z,eip155:1/slip44:60,2300\n"


def one_line_error(result: object, *words: str) -> None:
    assert result.returncode == 2, result.stderr  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1, result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in result.stderr  # type: ignore[attr-defined]
    for word in words:
        assert word in lines[0]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "t.duckdb"
    prices = tmp_path / "good.csv"
    prices.write_text(GOOD_PRICES)
    assert run_cli("prices", "import", str(prices), db=path).returncode == 0
    return path


def counts(path: Path) -> dict[str, int]:
    with Store(path) as store:
        return store.counts()


def test_a_malformed_address(db: Path) -> None:
    one_line_error(run_cli("scan", "0x12345", "--rpc", "http://127.0.0.1:9", db=db),
                   "not an EVM address")


def test_a_wrongly_checksummed_address(db: Path) -> None:
    result = run_cli("scan", "0x6e15887e2CEC81434C16D587709f64603b39b545",
                     "--rpc", "http://127.0.0.1:9", db=db)
    one_line_error(result, "checksum", "0x6e15887E2CEC81434C16D587709f64603b39b545")


def test_an_unreachable_rpc_leaves_the_database_as_it_was(db: Path) -> None:
    before = counts(db)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_cli("scan", "0x6e15887E2CEC81434C16D587709f64603b39b545",
                     "--rpc", f"http://127.0.0.1:{port}/secret-key", db=db)
    one_line_error(result, "error:", f"127.0.0.1:{port}")
    assert "secret-key" not in result.stderr
    assert counts(db) == before


def test_a_malformed_price_file_names_the_line_and_imports_nothing(
    db: Path, tmp_path: Path
) -> None:
    before = counts(db)
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD_PRICES.replace("2024-01-01", "2024-02-01")
                   + "2024-02-02T00:00:00Z,eip155:1/slip44:60,twelve\n")
    one_line_error(run_cli("prices", "import", str(bad), db=db), "bad.csv:3", "twelve")
    assert counts(db) == before


def test_an_unknown_chain(db: Path) -> None:
    one_line_error(run_cli("scan", "0x6e15887E2CEC81434C16D587709f64603b39b545",
                           "--chain", "atlantis", db=db), "unknown chain", "atlantis")


def test_an_unknown_format_is_a_usage_error(db: Path) -> None:
    result = run_cli("gains", "--year", "2024", "--format", "xml", db=db)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_a_bad_as_of_date(db: Path) -> None:
    one_line_error(run_cli("harvest", "--as-of", "June 20", db=db), "--as-of")


def test_a_broken_config_file_names_the_key(db: Path, tmp_path: Path) -> None:
    config = tmp_path / "taxscan.toml"
    config.write_text('[[wallets]]\naddress = "0x6e15887E2CEC81434C16D587709f64603b39b545"\n'
                      'chains = ["ethereum"]\nlabell = "typo"\n')
    before = counts(db)
    one_line_error(run_cli("scan", "--config", str(config), db=db), "taxscan.toml", "labell")
    assert counts(db) == before


def test_an_explorer_without_a_chain(db: Path) -> None:
    one_line_error(run_cli("scan", "0x6e15887E2CEC81434C16D587709f64603b39b545",
                           "--source", "explorer", "--explorer-url", "https://example.org/api",
                           db=db), "--chain")
