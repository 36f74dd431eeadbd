"""The config's tables about the taxpayer and the portfolio rather than the chains:
`[taxpayer]` (filing status, loss carried over, and for a plan the taxable income besides
these gains and a state's rate) and `[targets]` (the weights a plan rebalances toward: an
asset's CAIP-19 id, or the name of a group of identical assets, = its weight)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from chains.addresses import parse_any_asset_id
from chains.errors import AddressError
from scanner.app.config_reader import TomlReader, show_key, toml_type
from scanner.tax.plan.rebalance import check_targets
from scanner.tax.taxpayer import (
    FILING_STATUSES,
    FilingStatus,
    Taxpayer,
    carried_loss,
    ordinary_income,
    tax_rate,
)

TAXPAYER_KEYS = ("filing_status", "carryover_short", "carryover_long", "ordinary_income",
                 "state_rate")


def read_taxpayer(reader: TomlReader, value: object) -> Taxpayer:
    table = reader.table(value, "taxpayer", TAXPAYER_KEYS)
    status = reader.choice(table.get("filing_status", FilingStatus.SINGLE.value),
                           "taxpayer.filing_status", FILING_STATUSES)

    def checked(key: str, check: Callable[[Decimal], Decimal]) -> Decimal:
        where = f"taxpayer.{key}"
        amount = reader.decimal(table[key], where)
        try:
            return check(amount)
        except ValueError as exc:
            reader.fail(where, str(exc))

    return Taxpayer(
        FilingStatus(status),
        carryover_short=checked("carryover_short", carried_loss)
        if "carryover_short" in table else Decimal(0),
        carryover_long=checked("carryover_long", carried_loss)
        if "carryover_long" in table else Decimal(0),
        ordinary_income=checked("ordinary_income", ordinary_income)
        if "ordinary_income" in table else None,
        state_rate=checked("state_rate", tax_rate) if "state_rate" in table else Decimal(0))


def read_targets(reader: TomlReader, value: object) -> dict[str, Decimal]:
    if not isinstance(value, dict):
        reader.fail("targets", f"must be a table of name = weight, not {toml_type(value)}")
    targets: dict[str, Decimal] = {}
    for key, weight in value.items():
        where = f"targets.{show_key(str(key))}"
        name = target_key(str(key))
        if name is None:
            reader.fail(where, "name an asset by its CAIP-19 id or a group by its name")
        if name in targets:
            reader.fail(where, f"{name} is already a target")
        targets[name] = reader.decimal(weight, where)
    try:
        check_targets(targets)
    except ValueError as exc:
        reader.fail("targets", str(exc))
    return targets


def target_key(text: str) -> str | None:
    """A target's key: an asset id (normalized), or a group's name as given; None if
    neither (empty, or an asset id that does not parse)."""
    name = text.strip()
    if ":" in name:
        try:
            return parse_any_asset_id(name)
        except AddressError:
            return None
    return name or None
