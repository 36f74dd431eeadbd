"""Open positions across transactions (DESIGN "position model"), on hand-built transactions
through build_ledger and the lot engine: what a wallet put into a contract that gave nothing
back, and what later came back from it: up to the principal a withdrawal carrying the
deposit's basis and date, beyond it income.

The figures are worked out by hand beside each assertion. USDC is valued at 1 USD (a
stablecoin of the registry); a lot's basis is its cost (IRC §1012), interest is income at
its fair value when received (IRC §61(a)(4)).
"""

from __future__ import annotations

from decimal import Decimal

from chains.evm.records import RawTx, TokenInfo
from scanner.app.queries import Review
from scanner.ledger.decode.protocols.staking_rewards import REWARD_PAID
from scanner.ledger.positions import position_asset, position_story
from scanner.ledger.records import Kind
from scanner.tax.lots import compute_lots
from tests.unit.rawtx import ME, START, STRANGER, built, event, legs, transfer, tx

USDC_TOKEN = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
USDC = f"eip155:1/erc20:{USDC_TOKEN}"
TOKENS = {USDC_TOKEN: TokenInfo(1, USDC_TOKEN, "USDC", "USD Coin", 6)}
VAULT = "0x" + "c7" * 20  # a contract that keeps deposits without a receipt token
EXCHANGE = "0x" + "ee" * 20
NOTE = "0x" + "12" * 32  # an event of the vault's own: it shows the vault is a contract
HELD = position_asset(1, VAULT, USDC)
UNIT = 10**6  # USDC base units


def bought(amount: int, n: int = 0) -> RawTx:
    """USDC arriving from an exchange's withdrawal (its transaction): a lot at 1 USD."""
    return tx(transfer(0, USDC_TOKEN, EXCHANGE, ME, amount), sender=EXCHANGE, n=n)


def put(amount: int, n: int) -> RawTx:
    return tx(transfer(0, USDC_TOKEN, ME, VAULT, amount), event(1, VAULT, NOTE, (ME,), amount),
              to=VAULT, n=n)


def taken(amount: int, n: int, sender: str = ME) -> RawTx:
    return tx(transfer(0, USDC_TOKEN, VAULT, ME, amount), event(1, VAULT, NOTE, (ME,), amount),
              to=VAULT, n=n, sender=sender)


def test_deposit_100_withdraw_104_is_100_principal_back_and_4_interest() -> None:
    txs = [bought(100 * UNIT), put(100 * UNIT, 1), taken(104 * UNIT, 2)]
    assert legs(txs, TOKENS) == [
        ("log:0", USDC, 100 * UNIT, "transfer_in", "transfer"),
        ("log:0", USDC, -100 * UNIT, "deposit", "position"),
        ("log:0:position", HELD, 100 * UNIT, "deposit", "position"),
        ("log:0", USDC, 100 * UNIT, "withdraw", "position"),
        ("log:0:position", HELD, -100 * UNIT, "withdraw", "position"),
        ("log:0:interest", USDC, 4 * UNIT, "income", "position"),
    ]
    book = compute_lots(built(txs, TOKENS).entries)
    # the 100 USDC bought on day 0 for 100 USD come back with that date and basis; the 4
    # beyond the principal are interest: income of 4 USD, a lot of 4 USD acquired on day 2
    assert sorted((lot.asset, lot.quantity, lot.cost_basis_usd, lot.acquired)
                  for lot in book.open_lots if lot.asset == USDC) == [
        (USDC, Decimal("4.000000"), Decimal("4.000000"), START.replace(day=3)),
        (USDC, Decimal("100.000000"), Decimal("100.000000"), START)]
    assert [(e.quantity, e.usd_value, e.kind) for e in book.income] == \
        [(Decimal("4.000000"), Decimal("4.000000"), "interest")]
    assert not [d for d in book.disposals if d.asset == USDC]  # nothing sold
    assert not [lot for lot in book.open_lots if lot.asset == HELD]  # the position closed


def test_deposits_join_the_position_only_as_far_as_something_comes_back() -> None:
    # 100 in on day 1 and 100 on day 2; 50 back on day 3 draws on the first deposit
    # alone; 154 back on day 4 on the 50 left of it and the second: 150 principal, 4 more
    txs = [bought(200 * UNIT), put(100 * UNIT, 1), put(100 * UNIT, 2), taken(50 * UNIT, 3),
           taken(154 * UNIT, 4)]
    kinds = [(leg[0], leg[2], leg[3]) for leg in legs(txs, TOKENS) if leg[1] == USDC]
    assert kinds == [("log:0", 200 * UNIT, "transfer_in"),
                     ("log:0", -100 * UNIT, "deposit"), ("log:0", -100 * UNIT, "deposit"),
                     ("log:0", 50 * UNIT, "withdraw"),
                     ("log:0", 150 * UNIT, "withdraw"), ("log:0:interest", 4 * UNIT, "income")]
    # with only the first return, the second deposit stays a transfer out
    early = [(leg[2], leg[3]) for leg in legs(txs[:4], TOKENS) if leg[1] == USDC]
    assert early[2] == (-100 * UNIT, "transfer_out") and early[1] == (-100 * UNIT, "deposit")


def test_a_claim_paid_with_the_principal_is_principal_first() -> None:
    # the vault pays 103 USDC and 5 of a reward token, and says it paid a reward
    # (RewardPaid(user, reward), a claim event): the 100 deposited come back as principal,
    # the 3 beyond it and the reward token stay claimed income
    reward = "0x" + "e5" * 20
    paid = tx(transfer(0, USDC_TOKEN, VAULT, ME, 103 * UNIT), transfer(1, reward, VAULT, ME, 5),
              event(2, VAULT, REWARD_PAID, (ME,), 5), to=VAULT, n=2)
    assert legs([bought(100 * UNIT), put(100 * UNIT, 1), paid], TOKENS)[3:] == [
        ("log:0", USDC, 100 * UNIT, "withdraw", "position"),
        ("log:0:position", HELD, -100 * UNIT, "withdraw", "position"),
        ("log:0:interest", USDC, 3 * UNIT, "income", "transfer"),
        ("log:1", f"eip155:1/erc20:{reward}", 5, "income", "transfer"),
    ]


def test_what_never_comes_back_stays_a_transfer_out() -> None:
    assert [leg[3] for leg in legs([bought(100 * UNIT), put(100 * UNIT, 1)], TOKENS)] == \
        ["transfer_in", "transfer_out"]


def test_a_return_sent_by_someone_else_comes_back_from_the_position_too() -> None:
    # a keeper executes the withdrawal: not the wallet's transaction, still its money
    txs = [bought(100 * UNIT), put(100 * UNIT, 1), taken(100 * UNIT, 2, sender=STRANGER)]
    assert [leg[3] for leg in legs(txs, TOKENS)][-2:] == ["withdraw", "withdraw"]


def test_a_payment_to_an_address_that_never_acted_is_no_position() -> None:
    # the same shape with a plain address (no event, no call: nothing shows a contract)
    pay = tx(transfer(0, USDC_TOKEN, ME, STRANGER, 100 * UNIT), n=1)
    back = tx(transfer(0, USDC_TOKEN, STRANGER, ME, 100 * UNIT), n=2)
    assert [(leg[3], leg[4]) for leg in legs([bought(100 * UNIT), pay, back], TOKENS)] == [
        ("transfer_in", "transfer"), ("transfer_out", "transfer"),
        ("transfer_in", "unexplained")]


def test_an_own_inflow_nothing_explains_is_a_transfer_in_for_review() -> None:
    entries = built([taken(7 * UNIT, 1)], TOKENS).entries
    (leg,) = [e for e in entries if e.asset == USDC]
    assert (leg.kind, leg.protocol) == (Kind.TRANSFER_IN, "unexplained")
    assert compute_lots(entries).income == ()  # not income by default
    lines = Review(0, 0, 0, 0, unknown_origin=(leg,)).lines()
    assert lines[0].startswith("1 transfer in of unknown origin opened lots at fair value")
    assert lines[1].startswith("1 of them came in a transaction of your own that no claim "
                               "event and no open position explains")
    assert "not income" in lines[1]


def test_explain_tells_the_positions_story() -> None:
    txs = [bought(100 * UNIT), put(100 * UNIT, 1), taken(104 * UNIT, 2)]
    entries = built(txs, TOKENS).entries
    back = next(e for e in entries if e.kind is Kind.WITHDRAW and e.asset == USDC)
    extra = next(e for e in entries if e.kind is Kind.INCOME)
    assert position_story(entries, back) == (
        f"position in USDC with {VAULT}: 100 put in and 0 taken out before this "
        "transaction; this is principal coming back, basis carried")
    assert (position_story(entries, extra) or "").endswith(
        "beyond the principal: income (interest)")
