"""The portfolio's target weights a plan rebalances toward: the config's `[targets]` table,
kept in the database by the last config scan (the command line's `--target` wins)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal

from scanner.store import Store

TARGETS_KEY = "targets"


def kept_targets(targets: Mapping[str, Decimal]) -> str:
    """The config's `[targets]` table as the database keeps it for the reports."""
    return json.dumps({key: str(weight) for key, weight in targets.items()})


def targets_of(store: Store) -> dict[str, Decimal]:
    kept: dict[str, str] = json.loads(store.meta(TARGETS_KEY) or "{}")
    return {key: Decimal(weight) for key, weight in kept.items()}
