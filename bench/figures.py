"""The table of figures every bench prints last, with the verdict on its targets."""

from __future__ import annotations

from collections.abc import Sequence

Figure = tuple[str, str, str, str]  # measure, value, target, verdict ("PASS", "FAIL" or "")


def print_figures(lines: Sequence[Figure]) -> int:
    """Print the figures as a table and the verdict; the number of targets missed."""
    width = max(len(line[0]) for line in lines)
    value_width = max(8, *(len(line[1]) for line in lines))
    target_width = max(7, *(len(line[2]) for line in lines))
    print()
    print(f"{'measure':<{width}}  {'value':>{value_width}}  {'target':<{target_width}}  verdict")
    for name, value, target, result in lines:
        print(f"{name:<{width}}  {value:>{value_width}}  {target:<{target_width}}  {result}")
    failed = sum(1 for line in lines if line[3] == "FAIL")
    print()
    print("all targets met" if not failed else f"{failed} target(s) missed")
    return failed
