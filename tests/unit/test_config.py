from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.app.config import ChainConfig, Config, TreatmentOverride, WalletConfig, load_config
from scanner.errors import ConfigError
from scanner.prices.records import PricePoint

CHECKSUMMED = "0x6e15887E2CEC81434C16D587709f64603b39b545"
LOWER = CHECKSUMMED.lower()
OTHER = "0x" + "ab" * 20
ETH = "eip155:1/slip44:60"
USDT = "eip155:1/erc20:0xdac17f958d2ee523a2206206994597c13d831ec7"
WALLET = f'[[wallets]]\naddress = "{LOWER}"\nchains = ["ethereum"]\n'
PASTED_KEY = "K7Q2M9XW4TB1ZP8RDJ3HV6NC5YF0GSAEL1"  # shaped like an Etherscan key
PRIVATE_KEY = "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"

FULL = f"""\
# taxscan config
method = "FIFO"
stablecoins = ["EIP155:1/ERC20:0xDAC17F958D2EE523A2206206994597C13D831EC7"]

[api_keys]
etherscan = "ETHERSCAN_API_KEY"
blockscout = "BLOCKSCOUT_KEY"

[chains.eth]
rpc = "https://eth.example/rpc"
explorer_url = "https://api.etherscan.io/v2/api"
explorer = "etherscan"
api_key_env = "MY_ETH_KEY"
source = "explorer"

[chains.anvil]
source = "rpc"
explorer = "blockscout"

[[wallets]]
address = "{CHECKSUMMED}"
label = "cold storage"
chains = ["mainnet", "devnet"]

[[wallets]]
address = "{OTHER.upper().replace("0X", "0x")}"
chains = ["local"]

[[prices]]
timestamp = "2024-01-01T00:00:00Z"
asset = "eip155:1/slip44:60"
usd = "2300.10"

[[prices]]
timestamp = 2024-01-02T02:00:00+02:00
asset = "{USDT}"
usd = 0.1

[[prices]]
timestamp = 2024-01-03
asset = "eip155:1/slip44:60"
usd = 2400

[[treatments]]
kind = "trade"
protocol = "weth"
treatment = "non_taxable"
"""


def write(tmp_path: Path, text: str, name: str = "cfg.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def floats_in(value: object) -> list[object]:
    """Every float reachable from a config value (there must be none)."""
    if isinstance(value, float):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [f for field in dataclasses.fields(value)
                for f in floats_in(getattr(value, field.name))]
    if isinstance(value, Mapping):
        return [f for item in value.items() for f in floats_in(item)]
    if isinstance(value, tuple | list):
        return [f for item in value for f in floats_in(item)]
    return []


def test_a_full_config_loads_into_exact_normalised_records(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    config = load_config(path)
    assert config == Config(
        path=path,
        method="fifo",
        stablecoins=(USDT,),
        api_keys={"etherscan": "ETHERSCAN_API_KEY", "blockscout": "BLOCKSCOUT_KEY"},
        chains={
            "ethereum": ChainConfig("ethereum", rpc="https://eth.example/rpc",
                                    explorer_url="https://api.etherscan.io/v2/api",
                                    explorer="etherscan", api_key_env="MY_ETH_KEY",
                                    source="explorer"),
            "devnet": ChainConfig("devnet", explorer="blockscout", source="rpc"),
        },
        wallets=(WalletConfig(LOWER, "cold storage", ("ethereum", "devnet")),
                 WalletConfig(OTHER, None, ("devnet",))),
        prices=(
            PricePoint(ETH, datetime(2024, 1, 1, tzinfo=UTC), Decimal("2300.10"), "config"),
            PricePoint(USDT, datetime(2024, 1, 2, tzinfo=UTC), Decimal("0.1"), "config"),
            PricePoint(ETH, datetime(2024, 1, 3, tzinfo=UTC), Decimal(2400), "config"),
        ),
        treatments=(TreatmentOverride("trade", "weth", "non_taxable"),),
    )
    for point in config.prices:
        assert isinstance(point.usd, Decimal)
        assert point.usd.as_tuple().exponent == -18  # quantized by money.price()
    # a TOML float 0.1 is exactly one tenth, never the binary float near it
    assert config.prices[1].usd.normalize() == Decimal("0.1")
    assert floats_in(config) == []


def test_defaults_of_a_minimal_config(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, WALLET))
    assert config.method == "fifo"
    assert (config.stablecoins, config.prices, config.treatments) == ((), (), ())
    assert dict(config.api_keys) == {} and dict(config.chains) == {}
    assert config.wallets == (WalletConfig(LOWER, None, ("ethereum",)),)


def test_wallets_on_a_chain_and_the_chains_in_first_seen_order(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL))
    assert config.wallets_on("ethereum") == (LOWER,)
    assert config.wallets_on("devnet") == (LOWER, OTHER)
    assert config.wallets_on("base") == ()
    assert config.chain_keys() == ("ethereum", "devnet")
    swapped = load_config(write(tmp_path, (
        f'[[wallets]]\naddress = "{OTHER}"\nchains = ["devnet"]\n'
        f'[[wallets]]\naddress = "{LOWER}"\nchains = ["eth", "devnet"]\n'), "swapped.toml"))
    assert swapped.chain_keys() == ("devnet", "ethereum")
    assert swapped.wallets_on("devnet") == (OTHER, LOWER)


def test_a_wallet_listing_one_chain_twice_keeps_it_once(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, (
        f'[[wallets]]\naddress = "{LOWER}"\nchains = ["eth", "ethereum", "mainnet"]\n')))
    assert config.wallets[0].chains == ("ethereum",)


def test_api_keys_are_resolved_from_the_given_environment_only_when_asked(
        tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL))
    environ = {"MY_ETH_KEY": " eth-secret ", "BLOCKSCOUT_KEY": "bs-secret",
               "ETHERSCAN_API_KEY": "shared-secret"}
    assert config.api_key_env("ethereum") == "MY_ETH_KEY"  # the chain's own
    assert config.api_key("ethereum", environ) == "eth-secret"
    assert config.api_key_env("devnet") == "BLOCKSCOUT_KEY"  # api_keys[its explorer]
    assert config.api_key("devnet", environ) == "bs-secret"
    assert config.api_key("ethereum", {}) is None
    assert config.api_key("ethereum", {"MY_ETH_KEY": "  "}) is None
    # a chain with no settings uses api_keys.etherscan
    plain = load_config(write(tmp_path, '[api_keys]\netherscan = "ETHERSCAN_API_KEY"\n'
                              + WALLET, "plain.toml"))
    assert plain.api_key_env("ethereum") == "ETHERSCAN_API_KEY"
    assert plain.api_key("ethereum", environ) == "shared-secret"
    assert load_config(write(tmp_path, WALLET, "nokeys.toml")).api_key("ethereum", environ) \
        is None
    # the values never enter the config
    assert "secret" not in repr(config) and "secret" not in repr(plain)


def assert_one_line_error(path: Path, *fragments: str, absent: str | None = None) -> str:
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert len(message.splitlines()) == 1, message
    assert message.startswith(str(path)), message
    assert path.name in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    if absent is not None:
        assert absent not in message, message
    return message


def test_a_missing_or_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    assert_one_line_error(tmp_path / "missing.toml", "cannot read")
    (tmp_path / "dir.toml").mkdir()
    assert_one_line_error(tmp_path / "dir.toml", "cannot read")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'[[wallets]]\nlabel = "caf\xe9"\n')
    assert_one_line_error(bad, "not UTF-8")


def test_a_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + WALLET.encode())
    assert load_config(path).wallets[0].address == LOWER


@pytest.mark.parametrize(("text", "where"), [
    ('method = "fifo"\nmethod = "fifo"\n' + WALLET, "cfg.toml:2: TOML syntax error"),
    (f'[[wallets]]\naddress = "{LOWER}"\nchains = ["ethereum"\nlabel = "x"\n',
     "cfg.toml:4: TOML syntax error"),
    ('method = "fifo"\n\n\n\nstablecoins = 1 2\n' + WALLET, "cfg.toml:5: TOML syntax error"),
    ('method = "fifo"\nlabel = "unterminated', "cfg.toml:2: TOML syntax error"),
    ("a = " + "[" * 5000, "TOML syntax error"),
])
def test_a_toml_syntax_error_names_its_line(tmp_path: Path, text: str, where: str) -> None:
    assert_one_line_error(write(tmp_path, text), where)


def wallet(**fields: str) -> str:
    body = {"address": f'"{LOWER}"', "chains": '["ethereum"]'} | fields
    return "[[wallets]]\n" + "".join(f"{k} = {v}\n" for k, v in body.items() if v)


# (config text, fragments the one-line message must contain)
BAD_CONFIGS: dict[str, tuple[str, tuple[str, ...]]] = {
    # typos are refused, naming the key and what is allowed
    "unknown top-level key": (
        "wallet = []\n" + WALLET, ("top level", "wallet", "did you mean wallets?", "allowed:")),
    "unknown wallet key": (
        wallet(adress=f'"{LOWER}"'), ("wallets[1]", "adress", "allowed: address, label")),
    "unknown chain setting": (
        '[chains.ethereum]\nrpc_url = "https://x.example"\n' + WALLET,
        ("chains.ethereum", "rpc_url", "allowed: rpc, explorer_url")),
    "unknown api_keys name": (
        '[api_keys]\netherscna = "ETHERSCAN_API_KEY"\n' + WALLET,
        ("api_keys", "etherscna", "allowed: etherscan, blockscout")),
    "unknown price key": (
        WALLET + '[[prices]]\ntimestamp = "2024-01-01"\nasset = "eip155:1/slip44:60"\n'
                 'price = "1"\n', ("prices[1]", "price", "allowed: timestamp, asset, usd")),
    "unknown treatment key": (
        WALLET + '[[treatments]]\nkind = "trade"\nprotocol = "weth"\ntreatment = "taxable"\n'
                 'note = "x"\n', ("treatments[1]", "note")),
    # wrong types
    "wallet chains not an array": (wallet(chains='"ethereum"'), ("wallets[1].chains", "array")),
    "wallet chains not strings": (wallet(chains="[1]"), ("wallets[1].chains[1]", "string")),
    "label not a string": (wallet(label="7"), ("wallets[1].label", "string", "integer")),
    "address not a string": (wallet(address="1"), ("wallets[1].address", "string")),
    "method not a string": ("method = 1\n" + WALLET, ("method", "string")),
    "stablecoins not an array": ('stablecoins = "x"\n' + WALLET, ("stablecoins", "array")),
    "wallets not an array of tables": (
        f'[wallets]\naddress = "{LOWER}"\n', ("wallets", "array of tables")),
    "api_keys not a table": ('api_keys = "ETHERSCAN_API_KEY"\n' + WALLET, ("api_keys", "table")),
    "chains not a table": ('chains = ["ethereum"]\n' + WALLET, ("chains", "table")),
    "chain settings not a table": ('chains = {ethereum = 1}\n' + WALLET,
                                   ("chains.ethereum", "table")),
    "rpc not a string": ('[chains.ethereum]\nrpc = 1\n' + WALLET, ("chains.ethereum.rpc",)),
    "usd a boolean": (WALLET + '[[prices]]\ntimestamp = "2024-01-01"\n'
                               'asset = "eip155:1/slip44:60"\nusd = true\n',
                      ("prices[1].usd", "boolean")),
    "timestamp a number": (WALLET + '[[prices]]\ntimestamp = 20240101\n'
                                    'asset = "eip155:1/slip44:60"\nusd = 1\n',
                           ("prices[1].timestamp",)),
    # addresses
    "malformed address": (wallet(address='"0x1234"'), ("wallets[1].address", "not an EVM address")),
    "wrong checksum": (wallet(address=f'"{CHECKSUMMED.replace("E", "e", 1)}"'),
                       ("wallets[1].address", "checksum")),
    "missing address": (wallet(address=""), ("wallets[1]", "missing key address")),
    "the same address twice": (
        WALLET + f'[[wallets]]\naddress = "{CHECKSUMMED}"\nchains = ["devnet"]\n',
        ("wallets[2].address", "already wallets[1]")),
    # chains
    "unknown chain of a wallet": (
        wallet(chains='["ethereum", "bsae"]'), ("wallets[1].chains[2]", "unknown chain 'bsae'")),
    "unknown chain table": ('[chains.bsae]\nsource = "rpc"\n' + WALLET,
                            ("chains.bsae", "unknown chain 'bsae'")),
    "one chain configured twice": ('[chains.eth]\n[chains.ethereum]\n' + WALLET,
                                   ("chains.ethereum", "same chain as chains.eth")),
    "no wallets at all": ('method = "fifo"\n', ("wallets", "no wallets")),
    "an empty wallets array": ("wallets = []\n", ("wallets", "no wallets")),
    "a wallet with no chains": (wallet(chains="[]"), ("wallets[1].chains", "at least one")),
    "a wallet without chains": (wallet(chains=""), ("wallets[1]", "missing key chains")),
    # choices
    "unknown method": ('method = "average"\n' + WALLET, ("method", "fifo", "'average'")),
    "unknown source": ('[chains.ethereum]\nsource = "ws"\n' + WALLET,
                       ("chains.ethereum.source", "rpc, explorer, both")),
    "unknown explorer": ('[chains.ethereum]\nexplorer = "etherscan2"\n' + WALLET,
                         ("chains.ethereum.explorer", "etherscan, blockscout")),
    "unknown treatment": (
        WALLET + '[[treatments]]\nkind = "trade"\nprotocol = "weth"\ntreatment = "exempt"\n',
        ("treatments[1].treatment", "taxable, non_taxable, carry_basis")),
    "unknown kind": (
        WALLET + '[[treatments]]\nkind = "swap"\nprotocol = "weth"\ntreatment = "taxable"\n',
        ("treatments[1].kind", "trade", "'swap'")),
    "empty protocol": (
        WALLET + '[[treatments]]\nkind = "trade"\nprotocol = " "\ntreatment = "taxable"\n',
        ("treatments[1].protocol",)),
    "the same treatment twice": (
        WALLET + '[[treatments]]\nkind = "trade"\nprotocol = "weth"\ntreatment = "taxable"\n'
                 '[[treatments]]\nkind = "trade"\nprotocol = "weth"\ntreatment = "carry_basis"\n',
        ("treatments[2]", "already treatments[1]")),
    # URLs
    "rpc without a scheme": ('[chains.ethereum]\nrpc = "eth.example/rpc"\n' + WALLET,
                             ("chains.ethereum.rpc", "http://", "https://")),
    "explorer_url not http": ('[chains.ethereum]\nexplorer_url = "ftp://x.example"\n' + WALLET,
                              ("chains.ethereum.explorer_url", "http://")),
    # prices and stablecoins
    "bad stablecoin": ('stablecoins = ["USDC"]\n' + WALLET, ("stablecoins[1]", "CAIP-19")),
    "bad price asset": (WALLET + '[[prices]]\ntimestamp = "2024-01-01"\nasset = "ETH"\n'
                                 'usd = "1"\n', ("prices[1].asset", "CAIP-19")),
    "bad price timestamp": (WALLET + '[[prices]]\ntimestamp = "yesterday"\n'
                                     'asset = "eip155:1/slip44:60"\nusd = "1"\n',
                            ("prices[1].timestamp", "ISO 8601")),
    "timestamp before year 1 in UTC": (
        WALLET + '[[prices]]\ntimestamp = "0001-01-01T00:00:00+01:00"\n'
                 'asset = "eip155:1/slip44:60"\nusd = "1"\n', ("prices[1].timestamp", "ISO 8601")),
    "TOML date-time before year 1 in UTC": (
        WALLET + '[[prices]]\ntimestamp = 0001-01-01T00:00:00+01:00\n'
                 'asset = "eip155:1/slip44:60"\nusd = "1"\n', ("prices[1].timestamp", "ISO 8601")),
    "price not a number": (WALLET + '[[prices]]\ntimestamp = "2024-01-01"\n'
                                    'asset = "eip155:1/slip44:60"\nusd = "abc"\n',
                           ("prices[1].usd", "decimal")),
    "negative price": (WALLET + '[[prices]]\ntimestamp = "2024-01-01"\n'
                                'asset = "eip155:1/slip44:60"\nusd = -5\n',
                       ("prices[1].usd", "from 0")),
    "NaN price": (WALLET + '[[prices]]\ntimestamp = "2024-01-01"\n'
                           'asset = "eip155:1/slip44:60"\nusd = "NaN"\n',
                  ("prices[1].usd", "from 0")),
    "infinite price": (WALLET + '[[prices]]\ntimestamp = "2024-01-01"\n'
                                'asset = "eip155:1/slip44:60"\nusd = inf\n',
                       ("prices[1].usd", "from 0")),
    "price too large": (WALLET + '[[prices]]\ntimestamp = "2024-01-01"\n'
                                 'asset = "eip155:1/slip44:60"\nusd = 1e20\n',
                        ("prices[1].usd", "below 1e20")),
    "missing usd": (WALLET + '[[prices]]\ntimestamp = "2024-01-01"\n'
                             'asset = "eip155:1/slip44:60"\n', ("prices[1]", "missing key usd")),
    "the same price twice": (
        WALLET + '[[prices]]\ntimestamp = "2024-01-01"\nasset = "eip155:1/slip44:60"\nusd = 1\n'
                 '[[prices]]\ntimestamp = 2024-01-01T00:00:00Z\nasset = "eip155:1/slip44:60"\n'
                 'usd = 2\n', ("prices[2]", "prices[1]")),
    "unknown jurisdiction": ('jurisdiction = "fr"\n' + WALLET, ("jurisdiction", "us, uk")),
    "a scope that is no scope": ('[scope]\n2024 = "pooled"\n' + WALLET,
                                 ("scope", "unknown lot scope")),
    "a scope key that is no year": ('[scope]\nlater = "universal"\n' + WALLET,
                                    ("scope", "neither a year")),
    "an assignment without a hash": (WALLET + '[[assign]]\ntx = "0x12"\nlots = ["a:log:1"]\n',
                                     ("assign[1].tx", "transaction hash")),
    "an assignment naming no lot": (WALLET + '[[assign]]\ntx = "0x' + "ab" * 32 + '"\nlots = []\n',
                                    ("assign[1].lots", "at least one lot")),
    "an identical group of one": ('[identical]\nETH = ["eip155:1/slip44:60"]\n' + WALLET,
                                  ("identical.ETH", "at least two")),
}


@pytest.mark.parametrize(("text", "fragments"), BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
def test_a_bad_config_is_one_line_naming_file_and_key(
        tmp_path: Path, text: str, fragments: tuple[str, ...]) -> None:
    assert_one_line_error(write(tmp_path, text), *fragments)


# Each holds a secret where the config wants something else: the message must not echo it.
SECRETS: dict[str, tuple[str, str, str]] = {
    "a key pasted into api_keys": (
        f'[api_keys]\netherscan = "{PASTED_KEY}"\n' + WALLET, "api_keys.etherscan", PASTED_KEY),
    "a lowercase key pasted into api_keys": (
        '[api_keys]\netherscan = "sk-live-abc123"\n' + WALLET, "api_keys.etherscan",
        "sk-live-abc123"),
    "a key pasted into api_key_env": (
        f'[chains.ethereum]\napi_key_env = "{PASTED_KEY}"\n' + WALLET,
        "chains.ethereum.api_key_env", PASTED_KEY),
    "a private key pasted as an address": (
        wallet(address=f'"{PRIVATE_KEY}"'), "wallets[1].address", PRIVATE_KEY[2:]),
    "a node URL carrying a key, without a scheme": (
        '[chains.ethereum]\nrpc = "mainnet.example/v3/abcdef0123456789"\n' + WALLET,
        "chains.ethereum.rpc", "abcdef0123456789"),
}


@pytest.mark.parametrize(("text", "where", "secret"), SECRETS.values(), ids=SECRETS.keys())
def test_a_secret_in_the_wrong_place_is_refused_without_echoing_it(
        tmp_path: Path, text: str, where: str, secret: str) -> None:
    assert_one_line_error(write(tmp_path, text), where, absent=secret)


def test_the_pasted_key_message_says_to_name_a_variable(tmp_path: Path) -> None:
    assert_one_line_error(write(tmp_path, f'[api_keys]\netherscan = "{PASTED_KEY}"\n' + WALLET),
                          "must name an environment variable (like ETHERSCAN_API_KEY)")


# ---- properties --------------------------------------------------------------------------


def load_text_or_config_error(directory: str, data: bytes) -> None:
    path = Path(directory) / "cfg.toml"
    path.write_bytes(data)
    try:
        load_config(path)
    except ConfigError as exc:
        assert len(str(exc).splitlines()) == 1
        assert str(exc).startswith(str(path))


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_raises_nothing_but_config_error(text: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        load_text_or_config_error(directory, text.encode("utf-8"))


@settings(max_examples=100, deadline=None)
@given(st.binary())
def test_arbitrary_bytes_raise_nothing_but_config_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        load_text_or_config_error(directory, data)


# TOML values of every type, some valid somewhere, so the checks behind the parser run too
VALUES = st.sampled_from([
    '"fifo"', '"FIFO"', '"ethereum"', '"eth"', '"bsae"', '""', '" "', "1", "-5", "0.1", "1e20",
    "inf", "nan", "true", "[]", "[1]", '["ethereum"]', '["devnet", "eth"]', "{}",
    "2024-01-01", "2024-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "00:00:00",
    f'"{CHECKSUMMED}"', f'"{CHECKSUMMED.lower()}"', '"0x1234"', f'"{PRIVATE_KEY}"',
    '"ETHERSCAN_API_KEY"', f'"{PASTED_KEY}"', '"https://x.example"', '"ftp://x"',
    '"eip155:1/slip44:60"', '"ETH"', '"2300.50"', '"abc"', '"trade"', '"taxable"', '"rpc"',
    '"etherscan"', '"2024-13-01"', '"\\n"',
])
KEYS = st.sampled_from([
    "method", "stablecoins", "address", "label", "chains", "rpc", "explorer_url", "explorer",
    "api_key_env", "source", "etherscan", "blockscout", "timestamp", "asset", "usd", "kind",
    "protocol", "treatment", "wallets", "prices", "typo", '"a\\nb"',
])
HEADERS = st.sampled_from([
    "", "[api_keys]", "[chains.ethereum]", "[chains.eth]", "[chains.bsae]", "[[wallets]]",
    "[[prices]]", "[[treatments]]", "[wallets]", "[chains]",
])


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(HEADERS, st.lists(st.tuples(KEYS, VALUES), max_size=4,
                                            unique_by=lambda kv: kv[0])), max_size=6))
def test_near_valid_configs_raise_nothing_but_config_error(
        blocks: list[tuple[str, list[tuple[str, str]]]]) -> None:
    text = "".join(header + "\n" + "".join(f"{k} = {v}\n" for k, v in body)
                   for header, body in blocks)
    with tempfile.TemporaryDirectory() as directory:
        load_text_or_config_error(directory, text.encode("utf-8"))
