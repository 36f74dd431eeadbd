"""The README stays true: its config example is a config taxscan accepts, and it documents
what taxscan writes."""

from __future__ import annotations

import re
from pathlib import Path

from scanner.app.config import load_config
from scanner.app.export import EXPORT_FORMATS
from scanner.formats.ledger_export import LINEAGE_FIELDS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_config_example_loads(tmp_path: Path) -> None:
    blocks = re.findall(r"```toml\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README lost its config example"
    path = tmp_path / "taxscan.toml"
    path.write_text(blocks[0])
    config = load_config(path)
    assert config.chain_keys() == ("ethereum", "base")
    assert config.wallets[0].label == "cold storage"
    assert config.scope == {"default": "per-wallet", "2024": "universal"}
    assert list(config.assignments.values()) == [
        ("0x9a3c00000000000000000000000000000000000000000000000000000000bb02:log:7",)]
    assert config.identical["ETH"][0] == "eip155:1/slip44:60"


def test_the_readme_documents_every_export_format_and_the_ledger_lineage_columns() -> None:
    text = README.read_text()
    section = text[text.index("## Exports for accountants"):text.index("## Prices")]
    for fmt in EXPORT_FORMATS:
        assert f"`{fmt}`" in section or f"--format {fmt}" in section, fmt
    for column in LINEAGE_FIELDS:
        assert f"`{column}`" in section, column
