"""RP2 (the `rp2` package) driven in process on taxscan ledger entries: one-leg fiat trades
(a buy: one Kind.TRADE leg with a positive quantity, usd_value the USD paid; a sale: a
negative quantity, usd_value the USD received), of one wallet, no fees.

The one adapter that bench/bench_engine.py (RP2 side by side) and
tests/unit/test_against_rp2.py (RP2 as an oracle) share.

How RP2 is driven, as its own rp2_main does after reading its ODS input:
- a `rp2.configuration.Configuration` read from a small INI file written in `workdir`
  (assets A0, A1... for taxscan's asset ids, one exchange, one holder), with the US country
  plugin (`rp2.plugin.country.us.US`);
- per asset an `rp2.input_data.InputData` of `TransactionSet`s holding an
  `rp2.in_transaction.InTransaction` ("BUY") per buy and an
  `rp2.out_transaction.OutTransaction` ("SELL") per sale, spot price = USD / quantity, fees
  zero, `row` = the entry's position (RP2's tie-break, as taxscan's arrival order);
- an `rp2.accounting_engine.AccountingEngine` with the method plugin
  `rp2.plugin.accounting_method.<fifo|lifo|hifo>.AccountingMethod` for every year;
- `rp2.tax_engine.compute_tax(configuration, engine, input_data)` per asset; the gains are
  its `ComputedData.yearly_gain_loss_list` (per year, asset, long/short term).

Two side effects of importing RP2 are contained (see `_load`): rp2.logger makes ./log and
RP2's loggers (its own, and one per report generator module) open a log file in the
working directory, and rp2.rp2_decimal sets the importing thread's decimal context
(precision 31, float operations trapped). RP2 never touches the network. For these in-memory
runs its loggers are quiet (warnings only, no file).

RP2's whole job, as a US user runs it (`Rp2.write_ods`, `Rp2.run_cli`): the same history
written as RP2's ODS input (docs/input_files.md of RP2: one sheet per asset, an IN table and
an OUT table, each a keyword row, a header row, one row per transaction and a TABLE END row;
columns as the INI's in_header / out_header; written with ezodf, which RP2 reads it with),
then the function the `rp2_us` console script calls (`rp2.plugin.country.us:rp2_entry`,
found through the package's entry points) run in process with
`sys.argv = rp2_us -m fifo -o OUTPUT -p PREFIX rp2.ini INPUT.ods`, in a directory of its own:
it parses the ODS file, computes every asset and writes the reports RP2's US plugin makes
by default (open_positions, rp2_full_report and us.tax_report_us: three ODS files), logging
as RP2 sets itself up (its loggers at DEBUG, INFO and up to ./log/rp2_<time>.log and to
the console, here a file of that directory). Sockets are closed to it while it runs.
"""

from __future__ import annotations

import decimal
import importlib
import importlib.metadata
import logging
import os
import socket
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

from scanner.ledger.records import Kind, LedgerEntry
from scanner.tax.records import Term

METHODS = ("fifo", "lifo", "hifo")
RP2_PRECISION = 31  # rp2.rp2_decimal: CRYPTO_DECIMALS + 18 significant digits
_EXCHANGE, _HOLDER = "wallet", "owner"
_MODULES: dict[str, ModuleType] = {}
_NAMES = ("configuration", "in_transaction", "out_transaction", "transaction_set",
          "input_data", "accounting_engine", "tax_engine", "rp2_decimal", "logger",
          "plugin.country.us", "plugin.accounting_method.fifo",
          "plugin.accounting_method.lifo", "plugin.accounting_method.hifo", "rp2_main",
          "plugin.report.open_positions", "plugin.report.rp2_full_report",
          "plugin.report.us.tax_report_us")
# the loggers RP2 makes (rp2.logger.create_logger), its own and its report generators'
_LOGGERS = ("rp2", "open_positions", "rp2_full_report", "tax_report_us")
CLI = "rp2_us"  # RP2's console script for US users
_RUN_GENERATORS = "_find_and_run_report_generators"  # rp2_main's: handed what RP2 computed

Gains = dict[tuple[str, int, Term], Decimal]  # (taxscan asset, year, term) -> gain in USD


@contextmanager
def _rp2_decimal_context() -> Iterator[None]:
    """The decimal context RP2 computes in, for this block only."""
    with decimal.localcontext() as context:
        context.prec = RP2_PRECISION
        context.traps[decimal.FloatOperation] = True
        yield


@contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@contextmanager
def _no_network() -> Iterator[None]:
    """Any connection or name look-up attempted in this block fails."""
    def refuse(*_: object, **__: object) -> Any:
        raise AssertionError("RP2 tried to reach the network")

    patched = [(socket.socket, "connect"), (socket.socket, "connect_ex"),
               (socket, "create_connection"), (socket, "getaddrinfo")]
    saved = [(owner, name, vars(owner).get(name)) for owner, name in patched]
    for owner, name in patched:
        setattr(owner, name, refuse)
    try:
        yield
    finally:
        for owner, name, before in saved:
            if before is None:  # inherited: the class's own attribute goes again
                delattr(owner, name)
            else:
                setattr(owner, name, before)


@contextmanager
def _logging_as_rp2(rundir: Path, console: Path) -> Iterator[None]:
    """RP2's loggers as RP2 sets them up at import in a fresh process
    (rp2.logger.create_logger, run again here in `rundir`): each at DEBUG, INFO and up to
    the console (stderr, here the file `console`) and to ./log/rp2_<time>.log (LOG_LEVEL
    permitting). Afterwards, the loggers as they were (quiet, no file)."""
    create_logger = _MODULES["logger"].create_logger
    loggers = [logging.getLogger(name) for name in _LOGGERS]
    saved = [(logger, logger.level, list(logger.handlers)) for logger in loggers]
    (rundir / "log").mkdir(exist_ok=True)
    with console.open("w", encoding="utf-8") as stream, redirect_stderr(stream), \
            _working_directory(rundir):
        for logger in loggers:
            logger.handlers.clear()
        for name in _LOGGERS:
            create_logger(name)
        try:
            yield
        finally:
            for logger, level, handlers in saved:
                for handler in logger.handlers:
                    handler.close()
                logger.handlers[:] = handlers
                logger.setLevel(level)


@contextmanager
def _argv(argv: list[str]) -> Iterator[None]:
    before = sys.argv
    sys.argv = argv
    try:
        yield
    finally:
        sys.argv = before


def _console_script(name: str) -> Callable[[], None]:
    """The function the console script `name` calls."""
    (entry,) = importlib.metadata.entry_points(group="console_scripts", name=name)
    function: Callable[[], None] = entry.load()
    return function


def _load(workdir: Path) -> dict[str, ModuleType]:
    """RP2's modules (its CLI's and its US report generators' too), imported once, in
    `workdir` and in a throwaway decimal context: its logger's ./log directory is made
    there; its loggers' log files are then closed and detached (nothing more is written to
    disk) and the loggers quietened to warnings, which also spares RP2 the cost of building
    a debug record per lot matched (RP2 only gets faster for it). `Rp2.run_cli` sets them up
    as RP2 does for the time of a CLI run."""
    if not _MODULES:
        with _working_directory(workdir), decimal.localcontext():
            modules = {name: importlib.import_module(f"rp2.{name}") for name in _NAMES}
        for name in _LOGGERS:
            logger = logging.getLogger(name)
            for handler in list(logger.handlers):
                if isinstance(handler, logging.FileHandler):
                    logger.removeHandler(handler)
                    handler.close()
            logger.setLevel(logging.WARNING)
        _MODULES.update(modules)
    return _MODULES


def _config_text(names: Sequence[str]) -> str:
    def header(fields: Sequence[str]) -> str:
        return "\n".join(f"{field} = {column}" for column, field in enumerate(fields))

    return "\n".join([
        "[general]", f"assets = {', '.join(names)}", f"exchanges = {_EXCHANGE}",
        f"holders = {_HOLDER}", "",
        "[in_header]", header(("timestamp", "asset", "exchange", "holder", "transaction_type",
                               "spot_price", "crypto_in", "fiat_fee", "fiat_in_no_fee")), "",
        "[out_header]", header(("timestamp", "asset", "exchange", "holder",
                                "transaction_type", "spot_price", "crypto_out_no_fee",
                                "crypto_fee", "fiat_out_no_fee")), "",
        "[intra_header]", header(("timestamp", "asset", "from_exchange", "from_holder",
                                  "to_exchange", "to_holder", "spot_price", "crypto_sent",
                                  "crypto_received")), "",
    ])


@dataclass(frozen=True)
class Prepared:
    """RP2's input for one history and method, built (not timed in the bench)."""

    method: str
    inputs: tuple[Any, ...]  # rp2.input_data.InputData, one per asset
    engine: Any  # rp2.accounting_engine.AccountingEngine


@dataclass(frozen=True)
class CliRun:
    """One run of RP2's CLI: the seconds its entry point took, what it computed (one
    `ComputedData` per asset, as it handed them to its report generators), the report
    files it wrote and the lines it logged at WARNING or above."""

    seconds: float
    computed: tuple[Any, ...]
    reports: tuple[Path, ...]
    warnings: tuple[str, ...]


class Rp2:
    """RP2 configured for `assets` (taxscan asset ids); `workdir` receives its INI file and
    its (empty) log directory."""

    def __init__(self, workdir: Path, assets: Sequence[str]) -> None:
        self._m = _load(workdir)
        self.names = {asset: f"A{index}" for index, asset in enumerate(assets)}
        self.assets = {name: asset for asset, name in self.names.items()}
        path = self.config_path = workdir / "rp2.ini"
        path.write_text(_config_text(list(self.names.values())), encoding="utf-8")
        with _rp2_decimal_context():
            self.configuration = self._m["configuration"].Configuration(
                str(path), self._m["plugin.country.us"].US())

    def _trades(self, entries: Sequence[LedgerEntry]
                ) -> Iterator[tuple[str, str, bool, Decimal, Decimal]]:
        """(RP2 asset, timestamp, a buy?, quantity, USD) per entry, in order."""
        for entry in entries:
            if entry.kind is not Kind.TRADE or entry.usd_value is None:
                raise ValueError(f"not a priced fiat trade: {entry}")
            yield (self.names[entry.asset], entry.timestamp.isoformat(), entry.raw_amount > 0,
                   abs(entry.quantity), entry.usd_value)

    def prepare(self, entries: Sequence[LedgerEntry], method: str) -> Prepared:
        """RP2 transactions for `entries` (one-leg fiat trades in time order)."""
        m, config = self._m, self.configuration
        dec = m["rp2_decimal"].RP2Decimal
        zero = dec(0)
        sets = m["transaction_set"].TransactionSet
        by_asset: dict[str, tuple[Any, Any, Any]] = {}
        with _rp2_decimal_context():
            for row, (name, when, is_buy, size, value) in enumerate(self._trades(entries), 1):
                if name not in by_asset:
                    by_asset[name] = (sets(config, "IN", name), sets(config, "OUT", name),
                                      sets(config, "INTRA", name))
                quantity, usd = dec(size), dec(value)
                if is_buy:
                    by_asset[name][0].add_entry(m["in_transaction"].InTransaction(
                        config, when, name, _EXCHANGE, _HOLDER, "BUY", usd / quantity, quantity,
                        fiat_in_no_fee=usd, fiat_fee=zero, row=row))
                else:
                    by_asset[name][1].add_entry(m["out_transaction"].OutTransaction(
                        config, when, name, _EXCHANGE, _HOLDER, "SELL", usd / quantity,
                        quantity, zero, fiat_out_no_fee=usd, fiat_fee=zero, row=row))
            inputs = tuple(m["input_data"].InputData(name, *sets_of)
                           for name, sets_of in by_asset.items())
            years_2_methods = m["accounting_engine"].AVLTree()
            method_class = m[f"plugin.accounting_method.{method}"].AccountingMethod
            years_2_methods.insert_node(m["configuration"].MIN_DATE.year, method_class())
            engine = m["accounting_engine"].AccountingEngine(years_2_methods)
        return Prepared(method, inputs, engine)

    def run(self, prepared: Prepared) -> list[Any]:
        """RP2's computation proper: one `ComputedData` per asset."""
        compute_tax = self._m["tax_engine"].compute_tax
        with _rp2_decimal_context():
            return [compute_tax(self.configuration, prepared.engine, input_data)
                    for input_data in prepared.inputs]

    def gains(self, computed: Sequence[Any]) -> Gains:
        """Total gain per (taxscan asset, year, term), unrounded, as RP2 sums it."""
        out: defaultdict[tuple[str, int, Term], Decimal] = defaultdict(Decimal)
        for data in computed:
            for row in data.yearly_gain_loss_list:
                term = Term.LONG if row.is_long_term_capital_gains else Term.SHORT
                out[(self.assets[row.asset], row.year, term)] += Decimal(row.fiat_gain_loss)
        return dict(out)

    def compute(self, entries: Sequence[LedgerEntry], method: str) -> Gains:
        return self.gains(self.run(self.prepare(entries, method)))

    def write_ods(self, entries: Sequence[LedgerEntry], path: Path) -> None:
        """`entries` (one-leg fiat trades in time order) as RP2's ODS input: a sheet per
        asset of this configuration (RP2 wants one for each) with an IN table of the buys and
        an OUT table of the sales, in the columns of the INI's headers. Numbers are written
        as their exact decimal text (RP2 reads them back as floats, to 11 decimals)."""
        ezodf = importlib.import_module("ezodf")
        tables: dict[str, tuple[list[list[str]], list[list[str]]]] = {
            name: ([], []) for name in self.assets}
        in_fields = ("timestamp", "asset", "exchange", "holder", "transaction_type",
                     "spot_price", "crypto_in", "fiat_fee", "fiat_in_no_fee")
        out_fields = ("timestamp", "asset", "exchange", "holder", "transaction_type",
                      "spot_price", "crypto_out_no_fee", "crypto_fee", "fiat_out_no_fee")
        for name, when, is_buy, quantity, usd in self._trades(entries):
            # both: spot price, quantity, a zero fee (fiat in, crypto out), the USD value
            row = [when, name, _EXCHANGE, _HOLDER, "BUY" if is_buy else "SELL",
                   f"{usd / quantity:f}", f"{quantity:f}", "0", f"{usd:f}"]
            tables[name][0 if is_buy else 1].append(row)
        numeric = range(5, 9)
        document = ezodf.newdoc(doctype="ods", filename=str(path))
        for name, (buys, sales) in tables.items():
            rows: list[tuple[list[str], bool]] = [(["IN"], False), (list(in_fields), False)]
            rows += [(row, True) for row in buys]
            rows.append((["TABLE END"], False))
            if sales:  # the OUT table is optional
                rows += [([], False), (["OUT"], False), (list(out_fields), False)]
                rows += [(row, True) for row in sales]
                rows.append((["TABLE END"], False))
            sheet = ezodf.Sheet(name, size=(len(rows), len(in_fields)))
            for index, (cells, data) in enumerate(rows):
                for column, text in enumerate(cells):
                    sheet[index, column].set_value(
                        text, value_type="float" if data and column in numeric else "string")
            document.sheets += sheet
        document.save()

    def run_cli(self, input_ods: Path, rundir: Path, method: str = "fifo",
                prefix: str = "bench_") -> CliRun:
        """RP2's `rp2_us` CLI on `input_ods` with this configuration, in process, in
        `rundir` (its working directory: its log directory and its output directory
        `rundir/output` go there, its console to `rundir/console.txt`). Timed: the entry
        point's call alone."""
        entry = _console_script(CLI)
        main = self._m["rp2_main"]
        output = rundir / "output"
        argv = [CLI, "-m", method, "-o", str(output), "-p", prefix, str(self.config_path),
                str(input_ods)]
        handed: list[dict[str, Any]] = []
        run_generators = getattr(main, _RUN_GENERATORS)

        def run_generators_kept(**kwargs: Any) -> None:  # what RP2 computed, kept
            handed.append(kwargs["asset_to_computed_data"])
            run_generators(**kwargs)

        console = rundir / "console.txt"
        setattr(main, _RUN_GENERATORS, run_generators_kept)
        try:
            with _argv(argv), _no_network(), _rp2_decimal_context(), \
                    _logging_as_rp2(rundir, console):
                start = time.perf_counter()
                try:
                    entry()
                except SystemExit as exc:
                    raise AssertionError(f"{CLI} exited with {exc.code}: "
                                         f"{console.read_text(encoding='utf-8')}") from None
                seconds = time.perf_counter() - start
        finally:
            setattr(main, _RUN_GENERATORS, run_generators)
        if len(handed) != 1:
            raise AssertionError(f"{CLI} ran its report generators {len(handed)} times")
        warnings = tuple(line for line in console.read_text(encoding="utf-8").splitlines()
                         if line.startswith(("WARNING", "ERROR", "CRITICAL")))
        return CliRun(seconds, tuple(handed[0][name] for name in sorted(handed[0])),
                      tuple(sorted(output.glob("*.ods"))), warnings)
