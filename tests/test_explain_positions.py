"""`taxscan explain` names the position or the receipt behind each leg: a ledger with a
deposit into an open position and its return (100 in, 104 back) and a deposit into a
vault's shares, imported from a ledger CSV into a real DuckDB file and explained through
the installed command line."""

from __future__ import annotations

from pathlib import Path

from scanner.ledger.positions import position_asset
from tests.helpers import cli_json, run_cli

ME = "0x" + "a1" * 20
VAULT = "0x" + "c7" * 20
USDC = "eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
HELD = position_asset(1, VAULT, USDC)
SHARES = "eip155:1/erc20:0x" + "5e" * 20
HEADER = ("timestamp,chain_id,block_number,tx_hash,log_index,wallet,kind,protocol,asset,"
          "symbol,quantity,usd_value,price_source,counterparty,group_id")


def tx(n: int) -> str:
    return "0x" + format(n, "064x")


def row(n: int, kind: str, protocol: str, asset: str, symbol: str, quantity: str,
        usd: str, counterparty: str = VAULT) -> str:
    return (f"2024-0{n}-01T12:00:00Z,1,{19_000_000 + n},{tx(n)},{n},{ME},{kind},{protocol},"
            f"{asset},{symbol},{quantity},{usd},csv,{counterparty},1:{tx(n)}:{ME}")


ROWS = [
    row(1, "transfer_in", "transfer", USDC, "USDC", "100", "100", "0x" + "ee" * 20),
    row(2, "deposit", "position", USDC, "USDC", "-100", "100"),
    row(2, "deposit", "position", HELD, "USDC-position", "100", "100"),
    row(3, "withdraw", "position", USDC, "USDC", "100", "100"),
    row(3, "withdraw", "position", HELD, "USDC-position", "-100", "100"),
    row(3, "income", "position", USDC, "USDC", "4", "4"),
    # a deposit into a vault for its shares, the receipt
    row(4, "deposit", "erc4626", USDC, "USDC", "-50", "50"),
    row(4, "deposit", "erc4626", SHARES, "vUSDC", "48.5", "50", "0x" + "00" * 20),
]


def test_explain_names_the_position_of_each_leg(tmp_path: Path) -> None:
    source, db = tmp_path / "ledger.csv", tmp_path / "books.duckdb"
    source.write_text("\n".join([HEADER, *ROWS]) + "\n")
    done = run_cli("import", str(source), "--format", "ledger", db=db)
    assert done.returncode == 0, done.stderr
    rows = cli_json("explain", tx(3), db=db)
    assert {(r["kind"], r["decoder"]) for r in rows} == {("withdraw", "position"),
                                                          ("income", "position")}
    held = (f"position in USDC with {VAULT}: 100 put in and 0 taken out before this "
            "transaction")
    assert {(r["kind"], r["position"]) for r in rows} == {
        ("withdraw", f"{held}; this is principal coming back, basis carried"),
        ("income", f"{held}; this is what came back beyond the principal: income (interest)")}
    (interest,) = [r for r in rows if r["kind"] == "income"]
    assert interest["quantity"] == "4" and interest["rule"]
    deposit = cli_json("explain", tx(2), db=db)
    assert {r["position"] for r in deposit} == {
        f"position in USDC with {VAULT}: 0 put in and 0 taken out before this transaction; "
        "this deposit adds to it"}


def test_explain_names_the_receipt_of_a_deposit(tmp_path: Path) -> None:
    source, db = tmp_path / "ledger.csv", tmp_path / "books.duckdb"
    source.write_text("\n".join([HEADER, *ROWS]) + "\n")
    assert run_cli("import", str(source), "--format", "ledger", db=db).returncode == 0
    rows = cli_json("explain", tx(4), db=db)
    assert [(r["kind"], r["position"]) for r in rows] == \
        [("deposit", f"receipt: vUSDC ({SHARES})")] * 2
    assert {r["treatment"] for r in rows} == {
        "carry_basis: no gain, the basis and dates carry over"}
