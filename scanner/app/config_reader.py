"""Reading a TOML config file: its text, and its values checked one key at a time. Any
problem stops the load with a one-line ConfigError naming the file and the key
(`cfg.toml: wallets[2].address: ...`), or the line for a TOML syntax error
(`cfg.toml:7: ...`)."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NoReturn

from chains.addresses import parse_address
from chains.errors import AddressError, UnknownChainError
from chains.registry import chain_by_name
from chains.retry import is_http_url
from scanner.errors import ConfigError
from scanner.money import PRICE_LIMIT, price
from scanner.prices.csvfile import parse_timestamp

_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
# Etherscan keys are 34 capitals and digits, which can look like a name: a long run of
# them with digits and no underscore is taken for a pasted key.
_KEY_LIKE = re.compile(r"^(?=[A-Z0-9]*[0-9])[A-Z0-9]{24,}$")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_SYNTAX_AT = re.compile(r"^(?P<msg>.*) \(at line (?P<line>\d+), column (?P<col>\d+)\)$", re.S)


def read_toml(path: Path) -> dict[str, object]:
    """The file's TOML document (floats as exact decimals)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: config file is not UTF-8 text (bad byte at offset "
                          f"{exc.start})") from None
    except OSError as exc:
        raise ConfigError(_one_line(
            f"{path}: cannot read config file ({exc.strerror or type(exc).__name__})")) from None
    try:
        document = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_syntax_error(path, text, exc)) from None
    except RecursionError:
        raise ConfigError(f"{path}: TOML syntax error: values nested too deeply") from None
    return document


def _syntax_error(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> str:
    message = str(exc)
    found = _SYNTAX_AT.match(message)
    if found:
        return _one_line(f"{path}:{found['line']}: TOML syntax error: {found['msg']} "
                         f"(column {found['col']})")
    message = message.removesuffix(" (at end of document)")
    return _one_line(f"{path}:{text.count(chr(10)) + 1}: TOML syntax error: {message} "
                     "(at the end of the file)")


def _one_line(message: str) -> str:
    return " ".join(message.splitlines())


def show_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else repr(key)


def toml_type(value: object) -> str:
    kinds: tuple[tuple[type, str], ...] = (
        (bool, "a boolean"), (int, "an integer"), (Decimal, "a float"), (str, "a string"),
        (list, "an array"), (dict, "a table"), (datetime, "a date-time"), (date, "a date"),
        (time, "a time"))
    return next((name for kind, name in kinds if isinstance(value, kind)), "a value")


class TomlReader:
    """Checks of a TOML document's values; each returns the value or fails naming the file
    and the key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> NoReturn:
        raise ConfigError(_one_line(f"{self.path}: {where}: {problem}"))

    def table(self, value: object, where: str, allowed: tuple[str, ...]) -> dict[str, object]:
        if not isinstance(value, dict):
            self.fail(where, f"must be a table, not {toml_type(value)}")
        for key in value:
            if key not in allowed:
                self.unknown(key, where, allowed)
        return value

    def unknown(self, key: str, where: str, allowed: Iterable[str]) -> NoReturn:
        options = list(allowed)
        close = difflib.get_close_matches(key, options, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        self.fail(where, f"unknown key {show_key(key)} ({hint}allowed: {', '.join(options)})")

    def required(self, table: Mapping[str, object], key: str, where: str) -> object:
        if key not in table:
            self.fail(where, f"missing key {key}")
        return table[key]

    def string(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            self.fail(where, f"must be a string, not {toml_type(value)}")
        return value

    def strings(self, value: object, where: str) -> list[str]:
        if not isinstance(value, list):
            self.fail(where, f"must be an array of strings, not {toml_type(value)}")
        return [self.string(item, f"{where}[{n}]") for n, item in enumerate(value, start=1)]

    def tables(self, value: object, where: str) -> list[object]:
        if not isinstance(value, list):
            self.fail(where, f"must be an array of tables ([[{where}]]), not {toml_type(value)}")
        return value

    def choice(self, value: object, where: str, allowed: tuple[str, ...]) -> str:
        chosen = self.string(value, where).strip().lower()
        if chosen not in allowed:
            self.fail(where, f"must be one of {', '.join(allowed)}, not {value!r}")
        return chosen

    def env_name(self, value: object, where: str) -> str:
        # Never echo the value: someone may have pasted the key itself here.
        if not isinstance(value, str) or not _ENV_NAME.match(value) or _KEY_LIKE.match(value):
            self.fail(where, "must name an environment variable (like ETHERSCAN_API_KEY), "
                             "not hold a key")
        return value

    def url(self, value: object, where: str) -> str:
        # Never echo the value: node URLs often carry a key in their path.
        url = self.string(value, where).strip()
        if not is_http_url(url):
            self.fail(where, "must be a URL starting with http:// or https://")
        return url

    def optional(self, table: Mapping[str, object], key: str, where: str,
                 check: Callable[[object, str], str]) -> str | None:
        return check(table[key], f"{where}.{key}") if key in table else None

    def chain_key(self, name: str, where: str) -> str:
        try:
            return chain_by_name(name).key
        except UnknownChainError as exc:
            self.fail(where, str(exc))

    def address(self, value: object, where: str) -> str:
        text = self.string(value, where)
        try:
            return parse_address(text)  # refuses a private key without echoing it
        except AddressError as exc:
            self.fail(where, str(exc))

    def timestamp(self, value: object, where: str) -> datetime:
        try:
            if isinstance(value, datetime):  # an unquoted TOML date-time
                return value.replace(tzinfo=UTC) if value.tzinfo is None \
                    else value.astimezone(UTC)
            if isinstance(value, date):  # an unquoted TOML date: its midnight UTC
                return datetime(value.year, value.month, value.day, tzinfo=UTC)
            return parse_timestamp(self.string(value, where))
        except (ValueError, OverflowError):
            self.fail(where, f"not an ISO 8601 time such as 2024-01-01T00:00:00Z: {value!r}")

    def decimal(self, value: object, where: str) -> Decimal:
        """A number, or a string holding one, as an exact decimal."""
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            self.fail(where, f"must be a number or a string holding one, not {toml_type(value)}")
        try:
            return Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
        except InvalidOperation:
            self.fail(where, f"not a decimal number: {value!r}")

    def usd(self, value: object, where: str) -> Decimal:
        amount = self.decimal(value, where)
        if not amount.is_finite() or amount < 0 or amount >= PRICE_LIMIT:
            self.fail(where, f"must be a number from 0 to below 1e20, not {value!r}")
        return price(amount)
