"""The taxpayer a command figures for: the config's `[taxpayer]` table, kept in the database
by the last config scan, under what the command line says."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from decimal import Decimal

from scanner.store import Store
from scanner.tax.taxpayer import FilingStatus, Taxpayer

TAXPAYER_KEY = "taxpayer"


@dataclass(frozen=True)
class TaxpayerAsked:
    """What the command line says (None: the config's, else the default)."""

    filing_status: FilingStatus | None = None
    carryover_short: Decimal | None = None
    carryover_long: Decimal | None = None
    ordinary_income: Decimal | None = None
    state_rate: Decimal | None = None


def kept_taxpayer(taxpayer: Taxpayer) -> str:
    """The config's `[taxpayer]` table as the database keeps it for the reports."""
    return json.dumps({f.name: str(value) for f in fields(taxpayer)
                       if (value := getattr(taxpayer, f.name)) is not None})


def taxpayer_of(store: Store, asked: TaxpayerAsked | None = None) -> Taxpayer:
    """The command line's answers, else the kept config's, else the defaults."""
    kept = json.loads(store.meta(TAXPAYER_KEY) or "{}")
    income = kept.get("ordinary_income")
    taxpayer = Taxpayer(
        filing_status=FilingStatus(kept.get("filing_status", FilingStatus.SINGLE.value)),
        carryover_short=Decimal(kept.get("carryover_short", "0")),
        carryover_long=Decimal(kept.get("carryover_long", "0")),
        ordinary_income=None if income is None else Decimal(income),
        state_rate=Decimal(kept.get("state_rate", "0")))
    said = {} if asked is None else {f.name: getattr(asked, f.name) for f in fields(asked)}
    return replace(taxpayer, **{name: value for name, value in said.items() if value is not None})
