"""Compile the devnet's own small contracts with solc-js (the pinned npm `solc`).

fixtures/devnet/contracts/Protocols.sol (stand-ins for Lido, Synthetix, Aave v3 and an NFT
market) is compiled ahead of time into the committed fixtures/devnet/build/Protocols.json, which
`compiled()` reads; `python -m chains.devnet.solidity` (`make contracts`) rebuilds it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from chains.devnet.anvil import devnet_dir, node_modules
from chains.errors import DevnetError

_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "devnet"
PROTOCOLS_SOURCE = _FIXTURES / "contracts" / "Protocols.sol"
PROTOCOLS_BUILD = _FIXTURES / "build" / "Protocols.json"

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


def build(source: Path, out: Path) -> None:
    """Compile `source` and write its deployable contracts to `out` as JSON, deterministically:
    {"Name": {"abi": [...], "bytecode": "0x..."}}, keys sorted. Interfaces and abstract
    contracts (no bytecode) are left out."""
    contracts = {name: {"abi": abi, "bytecode": bytecode}
                 for name, (abi, bytecode) in compile_contracts(source).items()
                 if bytecode != "0x"}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(contracts, indent=1, sort_keys=True) + "\n")


def compiled(name: str, build_file: Path = PROTOCOLS_BUILD) -> tuple[list[Any], str]:
    """One contract's (abi, bytecode) from the committed build of Protocols.sol."""
    try:
        contracts = json.loads(build_file.read_text())
    except OSError as exc:
        raise DevnetError(f"cannot read the compiled contracts {build_file}: {exc.strerror} "
                          "(run `make contracts`)") from None
    except ValueError as exc:
        raise DevnetError(f"the compiled contracts {build_file} are not valid JSON: {exc} "
                          "(run `make contracts`)") from None
    if not isinstance(contracts, dict):
        raise DevnetError(f"the compiled contracts {build_file} are not a JSON object "
                          "(run `make contracts`)")
    entry = contracts.get(name)
    if entry is None:
        known = ", ".join(sorted(contracts)) or "none"
        raise DevnetError(f"no contract {name!r} in {build_file} (it has: {known}); "
                          "run `make contracts` after editing the source")
    abi = entry.get("abi") if isinstance(entry, dict) else None
    bytecode = entry.get("bytecode") if isinstance(entry, dict) else None
    usable = isinstance(bytecode, str) and bytecode.startswith("0x") and len(bytecode) > 2
    if not isinstance(abi, list) or not isinstance(bytecode, str) or not usable:
        raise DevnetError(f"contract {name!r} in {build_file} has no usable abi and bytecode "
                          "(run `make contracts`)")
    return abi, bytecode


def main() -> None:
    """Rebuild the committed fixtures/devnet/build/Protocols.json from Protocols.sol."""
    build(PROTOCOLS_SOURCE, PROTOCOLS_BUILD)
    print(f"wrote {PROTOCOLS_BUILD}", file=sys.stderr)


if __name__ == "__main__":
    main()
