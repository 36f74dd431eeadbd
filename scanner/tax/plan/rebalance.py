"""Target weights of the portfolio: each target is an asset (its CAIP-19 id) or a group of
substantially identical assets (ETH, BTC: `[identical]`), with a weight; the weights add up
to 1 and share the value of the assets they name (the rest of the portfolio is left alone).
A target more than `BAND` of that value above its weight is sold down to it; one below is
bought up to it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal

from scanner.money import cents
from scanner.tax.plan.records import Candidate, Move

ZERO = Decimal(0)
BAND = Decimal("0.01")  # of the targeted value: a drift this small is left alone


def check_targets(targets: Mapping[str, Decimal]) -> None:
    """Raises ValueError unless every weight is above 0 and they add up to exactly 1."""
    for key, weight in targets.items():
        if not weight.is_finite() or not 0 < weight <= 1:
            raise ValueError(f"the weight of {key} must be above 0 and at most 1, not {weight}")
    total = sum(targets.values(), ZERO)
    if targets and total != 1:
        raise ValueError(f"the weights add up to {total}, not 1")


def target_of(targets: Mapping[str, Decimal], identity: Callable[[str], str]
              ) -> Callable[[str], str | None]:
    """The target an asset counts toward: its own id, else its group's name, else none."""
    def target(asset: str) -> str | None:
        if asset in targets:
            return asset
        group = identity(asset)
        return group if group in targets else None
    return target


def moves(targets: Mapping[str, Decimal], holdings: Iterable[tuple[str, Decimal]],
          target: Callable[[str], str | None]) -> list[Move]:
    """Each target's value now (from `holdings`: asset and value) and what to sell or buy."""
    values = dict.fromkeys(targets, ZERO)
    for asset, value in holdings:
        key = target(asset)
        if key is not None:
            values[key] += value
    total = sum(values.values(), ZERO)
    found = []
    for key, weight in targets.items():
        aim = cents(total * weight)
        drift = values[key] - aim
        big = abs(drift) > total * BAND
        found.append(Move(key, weight, cents(values[key]), aim,
                          sell=drift if big and drift > 0 else ZERO,
                          buy=-drift if big and drift < 0 else ZERO))
    return found


def sold(found: Sequence[Move], chosen: Iterable[Candidate],
         target: Callable[[str], str | None]) -> dict[str, Decimal]:
    """What the chosen sales sell of each target that must be sold down."""
    selling = {m.key for m in found if m.sell > 0}
    out = dict.fromkeys(selling, ZERO)
    for c in chosen:
        key = target(c.lot.asset)
        if key in out:
            out[key] += c.proceeds
    return out


def shortfall(found: Sequence[Move], sold: Mapping[str, Decimal]) -> Decimal:
    """How much more than `sold` of each target (as `sold` above counts it) the sales must
    sell to bring every target down to its weight."""
    return sum((max(ZERO, m.sell - sold[m.key]) for m in found if m.sell > 0), ZERO)
