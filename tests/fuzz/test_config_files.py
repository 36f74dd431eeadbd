"""Config files: any bytes, and valid configs with one field made hostile, load or raise a
one-line ConfigError naming the file and the key."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from scanner.app.config import Config, load_config
from scanner.errors import ConfigError
from scanner.money import price
from tests.fuzz.common import HUGE_INTS, TRICKY_TEXT, UNICODE_TEXT, fuzz, one_line, scratch
from tests.helpers import run_cli

CHECKSUMMED = "0x6e15887E2CEC81434C16D587709f64603b39b545"
ETH = "eip155:1/slip44:60"
USDT = "eip155:1/erc20:0xdac17f958d2ee523a2206206994597c13d831ec7"
STETH = "eip155:1/erc20:0xae7ab96520de3a18e5e111b5eaab095312d7fe84"
TX = "0x" + "5e1f" * 16

BASE: dict[str, Any] = {
    "method": "fifo",
    "jurisdiction": "us",
    "stablecoins": [USDT],
    "rebasing": [STETH],
    "api_keys": {"etherscan": "ETHERSCAN_API_KEY"},
    "chains": {"ethereum": {"rpc": "https://eth.example/rpc", "explorer": "etherscan",
                            "api_key_env": "MY_KEY", "source": "rpc",
                            "snapshot_interval": 7200}},
    "wallets": [{"address": CHECKSUMMED, "label": "cold storage", "chains": ["ethereum"]}],
    "prices": [{"timestamp": "2024-01-01T00:00:00Z", "asset": ETH, "usd": "2300.00"}],
    "scope": {"default": "per-wallet", "2024": "universal"},
    "assign": [{"tx": TX, "lots": [f"{TX}:log:7"]}],
    "identical": {"ETH": [ETH, STETH]},
    "treatments": [{"kind": "lp_deposit", "protocol": "uniswap-v2", "treatment": "taxable"}],
}


# ---- a small TOML writer: every document is `key = value` lines of inline values ---------

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def toml_key(key: str) -> str:
    return key if _BARE.fullmatch(key) else toml_string(key)


def toml_string(text: str) -> str:
    # JSON escapes are TOML escapes; DEL is the one control character JSON leaves raw
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if value.is_nan():
            return "nan"
        if value.is_infinite():
            return "-inf" if value < 0 else "inf"
        text = str(value)
        return text if any(c in text for c in ".eE") else f"{text}.0"
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) \
            + "}"
    raise TypeError(type(value))


def toml_document(document: dict[str, Any]) -> str:
    return "".join(f"{toml_key(k)} = {toml_value(v)}\n" for k, v in document.items())


# ---- where each field is, as the errors name it ----------------------------------------

Path_ = tuple[str | int, ...]


def leaf_paths(value: Any, path: Path_ = ()) -> list[Path_]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in leaf_paths(v, (*path, k))] or [path]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in leaf_paths(v, (*path, i))] or [path]
    return [path]


def table_paths(value: Any, path: Path_ = ()) -> list[Path_]:
    found = [path] if isinstance(value, dict) else []
    items = value.items() if isinstance(value, dict) else \
        enumerate(value) if isinstance(value, list) else []
    return found + [p for k, v in items for p in table_paths(v, (*path, k))]


def where(path: Path_) -> str:
    """`wallets[1].address`, `chains.ethereum.rpc`: how the config errors name a key."""
    text = ""
    for step in path:
        text += f"[{step + 1}]" if isinstance(step, int) else f".{step}" if text else step
    return text


def named_places(path: Path_) -> list[str]:
    """The key and every table above it: an error may name any of them."""
    return [where(path[:n]) for n in range(len(path), 0, -1)] or ["top level"]


def put(document: dict[str, Any], path: Path_, value: Any) -> None:
    target: Any = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


hostile_values = st.one_of(
    st.sampled_from(HUGE_INTS), st.sampled_from([-x for x in HUGE_INTS]),
    st.integers(-10, 10),
    st.sampled_from([Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"),
                     Decimal("1e400"), Decimal("-0.0"), Decimal("0.1"), Decimal("2300.5")]),
    st.booleans(), UNICODE_TEXT, TRICKY_TEXT,
    st.sampled_from(["fifo", " HIFO ", "ethereum", "base", "ETHERSCAN_API_KEY", "0" * 64,
                     CHECKSUMMED.lower(), CHECKSUMMED.swapcase(), "https://x.example",
                     "2024-02-30T00:00:00Z", "0001-01-01T00:00:00+01:00", "1e400", "NaN",
                     "-5", "2300", ETH, "eip155:01/slip44:60", "taxable", "universal"]),
    st.sampled_from([date(2024, 1, 1), datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
                     datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-1))),
                     datetime(2024, 1, 1, 12, 0)]),
    st.lists(st.one_of(UNICODE_TEXT, st.integers(), st.sampled_from([ETH, "ethereum"])),
             max_size=3),
    st.dictionaries(UNICODE_TEXT, st.integers(), max_size=2),
)


def load_or_config_error(text: str) -> tuple[Config | None, str, Path]:
    with scratch() as directory:
        path = Path(directory) / "cfg.toml"
        path.write_text(text, encoding="utf-8")
        try:
            return load_config(path), "", path
        except ConfigError as exc:
            message = one_line(exc)
            assert message.startswith(f"{path}:"), message
            return None, message.removeprefix(f"{path}:"), path


def test_the_base_document_loads() -> None:
    config, error, _ = load_or_config_error(toml_document(BASE))
    assert config is not None, error
    assert config.wallets[0].label == "cold storage"
    assert config.prices[0].usd == Decimal("2300")


@fuzz(400)
@given(st.sampled_from(leaf_paths(BASE)), hostile_values)
@example(("prices", 0, "timestamp"), datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))))
@example(("prices", 0, "usd"), Decimal("1e400"))
@example(("chains", "ethereum", "snapshot_interval"), 2**256 - 1)
@example(("wallets", 0, "label"), "\u202e\U0001f680 cold \x00")
def test_one_hostile_field_loads_or_names_its_key(path: Path_, value: Any) -> None:
    document = copy.deepcopy(BASE)
    put(document, path, value)
    config, error, _ = load_or_config_error(toml_document(document))
    if config is None:
        if not re.match(r"\d+: TOML syntax error", error.lstrip()):
            assert any(error.startswith(f" {place}") for place in named_places(path)), \
                (where(path), error)
        return
    if path == ("wallets", 0, "label"):
        assert config.wallets[0].label == (value.strip() or None)
    if path == ("prices", 0, "usd"):
        written = Decimal(value.strip() if isinstance(value, str) else value)
        assert config.prices[0].usd == price(written) and 0 <= written < Decimal(10) ** 20
    if path == ("chains", "ethereum", "snapshot_interval"):
        assert config.chains["ethereum"].snapshot_interval == value and value >= 1
    if path == ("prices", 0, "timestamp"):
        assert config.prices[0].timestamp.tzinfo == UTC


@fuzz(200)
@given(st.sampled_from(table_paths(BASE)), st.one_of(UNICODE_TEXT, TRICKY_TEXT,
                                                      st.sampled_from(["2024", "\u00b2",
                                                                       "\uff12\uff10\uff12\uff14",
                                                                       "9" * 30, "-1"])),
       hostile_values)
@example(("scope",), "\u00b2", "universal")  # a superscript two is a digit to str.isdigit
def test_an_unknown_key_is_named(path: Path_, key: str, value: Any) -> None:
    document = copy.deepcopy(BASE)
    table: Any = document
    for step in path:
        table = table[step]
    if key in table:
        return
    table[key] = value
    config, error, _ = load_or_config_error(toml_document(document))
    if config is None:
        assert any(error.startswith(f" {place}") for place in named_places(path)) \
            or re.match(r"\d+: TOML syntax error", error.lstrip()), (where(path), error)


@fuzz(150)
@given(st.sampled_from([p for p in leaf_paths(BASE) if p and isinstance(p[-1], str)]))
def test_a_missing_key_is_named_or_has_a_default(path: Path_) -> None:
    document = copy.deepcopy(BASE)
    table: Any = document
    for step in path[:-1]:
        table = table[step]
    del table[path[-1]]
    config, error, _ = load_or_config_error(toml_document(document))
    if config is None:
        assert f"missing key {path[-1]}" in error and error.startswith(f" {where(path[:-1])}")


@fuzz(150)
@given(st.binary(max_size=300), st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe"]))
def test_any_bytes_load_or_raise_config_error(data: bytes, prefix: bytes) -> None:
    with scratch() as directory:
        path = Path(directory) / "cfg.toml"
        path.write_bytes(prefix + data)
        try:
            load_config(path)
        except ConfigError as exc:
            assert one_line(exc).startswith(f"{path}")


def test_the_cli_ends_a_hostile_config_with_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    document = {**BASE, "chains": {"ethereum": {"snapshot_interval": -(2**256)}}}
    path.write_text(toml_document(document), encoding="utf-8")
    result = run_cli("scan", "--config", str(path), "--offline", db=tmp_path / "t.duckdb")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith(f"error: {path}: chains.ethereum.snapshot_interval: must be "
                               "a whole number of blocks from 1"), lines[0]
    assert not (tmp_path / "t.duckdb").exists()  # refused before the database was opened
