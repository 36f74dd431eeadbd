# `make demo` and `make test` each set everything up from a fresh clone, then run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEVNET := fixtures/devnet
STAMP := $(VENV)/.installed-stamp
NPM_STAMP := $(DEVNET)/node_modules/.installed-stamp

.PHONY: setup browser demo test lint bench contracts clean

setup: $(STAMP) $(NPM_STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(NPM_STAMP): $(DEVNET)/package.json $(DEVNET)/package-lock.json
	cd $(DEVNET) && npm ci --no-audit --no-fund
	touch $@

# The HTML report's tests render it in headless Chromium (Debian's `chromium`); set CHROMIUM
# to use another build of it.
browser:
	@command -v $${CHROMIUM:-chromium} >/dev/null 2>&1 || { \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update -qq && $$sudo apt-get install -y -qq chromium >/dev/null; }

demo: setup
	$(BIN)/taxscan demo

test: setup browser lint
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check scanner chains tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

bench: setup
	$(BIN)/python bench/bench_decode.py
	$(BIN)/python bench/bench_engine.py
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_explorer.py
	$(BIN)/python bench/bench_startup.py
	$(BIN)/python bench/bench_reports.py
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_incremental.py
	$(BIN)/python bench/bench_scan.py
	$(BIN)/python bench/decoder_coverage.py

# Recompile $(DEVNET)/contracts/Protocols.sol into $(DEVNET)/build/Protocols.json (commit both).
contracts: setup
	$(BIN)/python -m chains.devnet.solidity

clean:
	rm -rf $(VENV) $(DEVNET)/node_modules .pytest_cache .mypy_cache .ruff_cache
