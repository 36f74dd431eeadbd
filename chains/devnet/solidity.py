"""Compile the devnet's own small contracts with solc-js (the pinned npm `solc`)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from chains.devnet.anvil import devnet_dir, node_modules
from scanner.errors import DevnetError

_COMPILE = ("const solc = require('solc');"
            "const input = require('fs').readFileSync(0, 'utf8');"
            "process.stdout.write(solc.compile(input));")


def compile_contracts(source: Path) -> dict[str, tuple[list[Any], str]]:
    """Every contract in one Solidity file: name -> (abi, bytecode)."""
    node = shutil.which("node")
    if node is None:
        raise DevnetError("node is not installed: the devnet needs Node.js")
    node_modules()
    request = {
        "language": "Solidity",
        "sources": {source.name: {"content": source.read_text()}},
        "settings": {"outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}}},
    }
    done = subprocess.run([node, "-e", _COMPILE], input=json.dumps(request), text=True,
                          capture_output=True, cwd=devnet_dir(), timeout=300, check=False)
    if done.returncode != 0:
        raise DevnetError(f"solc failed: {done.stderr.strip().splitlines()[-1:]}")
    output = json.loads(done.stdout)
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise DevnetError(f"solc: {errors[0].get('formattedMessage', errors[0])}")
    contracts = output["contracts"][source.name]
    return {name: (c["abi"], "0x" + c["evm"]["bytecode"]["object"])
            for name, c in contracts.items()}
