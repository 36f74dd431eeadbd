"""Start-up: the command line imports what a command uses, not every library (issue 18)."""

from __future__ import annotations

import json
import subprocess
import sys

# a node, the HTML report, the PDF form, rich tables and help, the database, HTTP, keccak
# and pydantic (which eth_utils brings): each imported by the command that uses it
LAZY = ("web3", "jinja2", "fpdf", "rich", "duckdb", "requests", "tenacity", "eth_utils",
        "eth_abi", "pydantic")
# the layers below the command line: a command imports its use case when it runs
LAYERS = ("scanner.app", "scanner.store", "scanner.tax", "scanner.ledger", "scanner.prices",
          "chains.evm", "chains.registry", "chains.addresses")


def imported_by(code: str) -> list[str]:
    """The lazy libraries and the modules of the lower layers that `code` leaves imported."""
    probe = (f"import json, sys\n{code}\n"
             f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
             f"{list(LAZY)!r} or m.startswith({LAYERS!r}))))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    return list(json.loads(done.stdout.splitlines()[-1]))


def test_importing_the_command_line_imports_no_library_a_command_may_not_use() -> None:
    assert imported_by("import scanner.cli.main") == []


def test_the_help_builds_no_command_and_imports_nothing_more() -> None:
    code = ("import contextlib, io\nfrom scanner.cli.main import app\n"
            "with contextlib.redirect_stdout(io.StringIO()) as shown:\n"
            "    try:\n        app(['--help'])\n    except SystemExit:\n        pass\n"
            "assert 'gains' in shown.getvalue() and 'report' in shown.getvalue()")
    assert imported_by(code) == []


def test_a_command_help_imports_what_its_options_name_and_no_database() -> None:
    code = ("import contextlib, io\nfrom scanner.cli.main import app\n"
            "with contextlib.redirect_stdout(io.StringIO()) as shown:\n"
            "    try:\n        app(['gains', '--help'])\n    except SystemExit:\n        pass\n"
            "assert '--jurisdiction' in shown.getvalue()")
    found = imported_by(code)
    assert "scanner.tax.jurisdictions" in found  # the choices of --jurisdiction
    # typer builds a command's options with pydantic; the rest waits for the command to run
    assert not [m for m in found if m.split(".")[0] in set(LAZY) - {"pydantic"}
                or m.startswith(("scanner.store", "scanner.app"))]
