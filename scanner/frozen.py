"""Making frozen, slotted dataclasses as fast as the hot loops need them: a large history
reads a million ledger entries and makes as many lots and disposals.

A frozen dataclass's __init__ stores each field with object.__setattr__ (its own
__setattr__ refuses every change): a slow generic call per field, a third of the lot
engine's work and a fifth of reading a ledger file. `fast_constructor(cls)` makes a
function with the parameters of `cls(...)` that stores them in an instance of a plain class
with the same slots (one plain attribute store each), turns that instance into a `cls`
(Python allows it: the memory layouts are the same), then runs `cls.__post_init__`: the
same object and the same checks, for a quarter of the cost."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

P = ParamSpec("P")
T = TypeVar("T")


def fast_constructor(cls: Callable[P, T]) -> Callable[P, T]:
    """`cls(...)`, faster, for a frozen dataclass with slots whose fields are all plain
    __init__ parameters (no default factory, no keyword-only or init=False field)."""
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(f"{cls!r} is not a dataclass")
    fields = dataclasses.fields(cls)
    names = tuple(field.name for field in fields)
    if not cls.__dict__["__dataclass_params__"].frozen or cls.__dict__.get("__slots__") != names \
            or any(not field.init or field.kw_only or field.name.startswith(_OURS)
                   or field.default_factory is not dataclasses.MISSING for field in fields):
        raise TypeError(f"{cls.__name__} is not a frozen dataclass with slots and plain fields")
    # the made function's own names start with _OURS, so that no field name hides one
    namespace: dict[str, Any] = {
        f"{_OURS}new": object.__new__, f"{_OURS}cls": cls,
        f"{_OURS}unfrozen": type(f"_Unfrozen{cls.__name__}", (), {"__slots__": names}),
    }
    parameters = []
    for field in fields:
        if field.default is dataclasses.MISSING:
            parameters.append(field.name)
        else:
            namespace[f"{_OURS}default_{field.name}"] = field.default
            parameters.append(f"{field.name}={_OURS}default_{field.name}")
    made = f"{_OURS}made"
    lines = [f"def {cls.__name__}({', '.join(parameters)}):",
             f"    {made} = {_OURS}new({_OURS}unfrozen)"]
    lines += [f"    {made}.{name} = {name}" for name in names]
    lines.append(f"    {made}.__class__ = {_OURS}cls")
    if hasattr(cls, "__post_init__"):
        lines.append(f"    {made}.__post_init__()")
    lines.append(f"    return {made}")
    exec("\n".join(lines), namespace)  # as dataclasses makes __init__: from the field names
    return cast(Callable[P, T], namespace[cls.__name__])


_OURS = "_fast_constructor_"
