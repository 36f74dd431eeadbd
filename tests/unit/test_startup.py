"""Start-up: the command line imports what a command uses, not every library (issue 18)."""

from __future__ import annotations

import json
import subprocess
import sys

LAZY = ("web3", "jinja2", "fpdf")  # a node, the HTML report, the PDF form: imported on use


def test_importing_the_command_line_leaves_web3_jinja2_and_fpdf_unimported() -> None:
    probe = ("import json, sys; import scanner.cli.main; "
             f"print(json.dumps([m for m in {list(LAZY)!r} if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert json.loads(done.stdout) == []
