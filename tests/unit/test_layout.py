"""The code keeps its shape: short files, layers that import only the layers below them (the
contracts `lint-imports` checks, here again under plain pytest), DuckDB inside store/ only,
and jurisdiction codes compared only by the jurisdictions themselves."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("scanner", "chains")
MAX_LINES = 450

# Top layer first; a layer imports only itself and the layers after it. A name is a folder or
# a module directly under the package; names in one layer may import each other; the
# package's own __init__ belongs to the last layer. pyproject.toml's contracts say the same.
LAYERS = {
    "scanner": (
        ("cli",), ("app",), ("formats",), ("store",), ("tax",), ("ledger",), ("prices",),
        ("errors", "money", "frozen", "collector", "grouping", "writing"),
    ),
    "chains": (
        ("devnet",), ("evm",),
        ("addresses", "bridges", "deployments", "errors", "ratelimit", "registry", "retry",
         "source"),
    ),
}
ENTRY_SCRIPTS = {"scanner.__main__"}
JURISDICTION_CODES = {"us", "uk", "ca", "de"}


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    importer: str
    imported: str
    statement: str

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}: {self.importer}: {self.statement}"


def _modules(package: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


def _imports(module: str, path: Path) -> Iterator[Import]:
    """Every import statement of the file, at any depth (in functions, under TYPE_CHECKING)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(path, node.lineno, module, alias.name, ast.unparse(node))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # `from scanner import store` imports the module scanner.store
                yield Import(path, node.lineno, module, f"{base}.{alias.name}", ast.unparse(node))


def _all_imports() -> Iterator[Import]:
    for package in PACKAGES:
        for module, path in _modules(package):
            yield from _imports(module, path)


def _child(name: str, package: str) -> str | None:
    """The folder or module directly under `package` that `name` lies in (None: the package
    itself, or outside it)."""
    parts = name.split(".")
    if parts[0] != package:
        return None
    if len(parts) == 1:
        return None
    return parts[1] if parts[1] in _children(package) else None


@cache
def _children(package: str) -> frozenset[str]:
    return frozenset({p.stem for p in (ROOT / package).glob("*.py")} | {
        p.parent.name for p in (ROOT / package).glob("*/__init__.py")})


def _rank(child: str | None, package: str) -> int | None:
    layers = LAYERS[package]
    if child is None:
        return len(layers) - 1
    for rank, layer in enumerate(layers):
        if child in layer:
            return rank
    return None


def _layer_name(rank: int, package: str) -> str:
    return "/".join(LAYERS[package][rank])


def test_no_file_is_longer_than_450_lines() -> None:
    long = [f"{path.relative_to(ROOT)}: {n} lines"
            for package in PACKAGES for _, path in _modules(package)
            if (n := len(path.read_text().splitlines())) > MAX_LINES]
    assert not long, f"longer than {MAX_LINES} lines:\n" + "\n".join(long)


def test_chains_imports_nothing_from_scanner() -> None:
    bad = [str(i) for i in _all_imports()
           if i.importer.split(".")[0] == "chains" and i.imported.split(".")[0] == "scanner"]
    assert not bad, "chains/ imports scanner/:\n" + "\n".join(bad)


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_every_folder_and_top_level_module_has_a_layer(package: str) -> None:
    unplaced = sorted(
        child for module, _ in _modules(package)
        if module not in ENTRY_SCRIPTS
        and (child := _child(module, package)) is not None and _rank(child, package) is None)
    assert not unplaced, f"{package}: not in a layer of LAYERS (and pyproject.toml): {unplaced}"


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_each_layer_imports_only_the_layers_below_it(package: str) -> None:
    bad = []
    for i in _all_imports():
        if i.importer in ENTRY_SCRIPTS or i.importer.split(".")[0] != package:
            continue
        if i.imported.split(".")[0] != package:
            continue
        importer = _rank(_child(i.importer, package), package)
        imported = _rank(_child(i.imported, package), package)
        if importer is None or imported is None:
            continue  # reported by the test above
        if imported < importer:
            bad.append(f"{i} ({_layer_name(importer, package)} is below "
                       f"{_layer_name(imported, package)})")
    assert not bad, "an import reaches up a layer:\n" + "\n".join(bad)


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_no_two_folders_import_each_other(package: str) -> None:
    first: dict[tuple[str, str], Import] = {}
    for i in _all_imports():
        if i.importer in ENTRY_SCRIPTS:
            continue
        if i.importer.split(".")[0] != package or i.imported.split(".")[0] != package:
            continue
        pair = (_layer_or_child(i.importer, package), _layer_or_child(i.imported, package))
        if pair[0] != pair[1]:
            first.setdefault(pair, i)
    both = [f"{a} <-> {b}:\n  {first[a, b]}\n  {first[b, a]}"
            for a, b in sorted(first) if a < b and (b, a) in first]
    assert not both, "folders importing each other:\n" + "\n".join(both)


def _layer_or_child(module: str, package: str) -> str:
    child = _child(module, package)
    rank = _rank(child, package)
    return _layer_name(rank, package) if rank is not None else str(child)


def test_duckdb_is_imported_only_in_store() -> None:
    bad = [str(i) for i in _all_imports()
           if i.imported.split(".")[0] == "duckdb"
           and not (i.importer + ".").startswith("scanner.store.")]
    assert not bad, "duckdb outside scanner/store/:\n" + "\n".join(bad)


def _strings(node: ast.expr) -> Iterator[ast.Constant]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, ast.Tuple | ast.List | ast.Set):
        for element in node.elts:
            yield from _strings(element)


def test_only_the_jurisdictions_compare_jurisdiction_codes() -> None:
    bad = []
    for package in PACKAGES:
        for module, path in _modules(package):
            if module.startswith("scanner.tax.jurisdictions"):
                continue
            for node in ast.walk(_tree(path)):
                if isinstance(node, ast.Compare):
                    operands, shown = [node.left, *node.comparators], ast.unparse(node)
                elif isinstance(node, ast.MatchValue):
                    operands, shown = [node.value], f"case {ast.unparse(node)}:"
                else:
                    continue
                if any(constant.value in JURISDICTION_CODES
                       for operand in operands for constant in _strings(operand)):
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: {shown}")
    assert not bad, ("a jurisdiction code compared outside scanner/tax/jurisdictions/ "
                     "(ask the Jurisdiction object instead):\n" + "\n".join(bad))
