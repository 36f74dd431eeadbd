"""The jurisdictions taxscan knows, by code. A new one is a module with its object, and
a line here."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from chains.errors import UserInputError
from scanner.tax.jurisdictions.base import Jurisdiction
from scanner.tax.jurisdictions.ca import Canada
from scanner.tax.jurisdictions.de import Germany
from scanner.tax.jurisdictions.uk import UnitedKingdom
from scanner.tax.jurisdictions.us import UnitedStates

US = UnitedStates()
JURISDICTIONS: Mapping[str, Jurisdiction] = MappingProxyType(
    {j.code: j for j in (US, UnitedKingdom(), Canada(), Germany())})
CODES = tuple(JURISDICTIONS)


def jurisdiction_of(code: str) -> Jurisdiction:
    try:
        return JURISDICTIONS[code]
    except KeyError:
        raise UserInputError(f"unknown jurisdiction {code!r} "
                             f"(available: {', '.join(CODES)})") from None
