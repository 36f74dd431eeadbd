"""Rows in bulk through CSV files. Many rows into a table go through a file DuckDB's CSV
reader reads (bulk.copy_rows). The ledger CSV goes into imported_ledger the same way:
DuckDB's CSV reader reads the file's cells as text, SQL checks every one and works out the
legs, and one INSERT ... SELECT stores them.

Only a file whose every row is as plain as the ledger report writes it is taken this way
(see `CellRules`); anything else (a quoted cell, a bad cell, another way of writing a
number or a time) gives None, and the caller reads the file row by row instead, with its
messages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from scanner.errors import StoreError
from scanner.ledger.records import Kind
from scanner.store.connect import one_line
from scanner.store.parquet import STAMP, text_cell
from scanner.store.plumbing import Plumbing


@dataclass(frozen=True)
class CellRules:
    """What a plain cell of the ledger CSV is, as its reader (scanner.formats.ledger_csv)
    says: times `%Y-%m-%dT%H:%M:%SZ` in `years`; chain ids and block numbers of 1 to 18
    ASCII digits, log indexes of 1 to 9; quantities `-?D+(.D+)?` with at most `max_digits`
    characters before the point and `max_decimals` after, not zero; USD values `D+(.D+)?`
    below 10^`usd_digits` with at most `usd_places` decimals; kinds by their names; no text
    cell starting with an apostrophe (a spreadsheet guard). The file must hold no quote:
    the caller checks (DuckDB reads it with quotes as plain characters)."""

    fields: tuple[str, ...]  # the ledger CSV's columns that make a leg, by name
    years: range
    max_digits: int
    max_decimals: int
    usd_digits: int
    usd_places: int
    guarded: tuple[str, ...]  # text fields that must not start with an apostrophe
    required: tuple[str, ...]  # text fields that must not be empty


_APOSTROPHE = "''''"  # SQL: a text of one apostrophe


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _exact_sql(raw: str, places: str, max_places: int) -> str:
    """SQL: a quantity's text from the texts of its raw amount and decimals when both are
    plain whole numbers (decimals at most `max_places`), else a text no quantity is (the
    row is not plain: the row reader reads the file)."""
    digits = f"ltrim({raw}, '-')"
    n = f"CAST({places} AS INTEGER)"
    padded = f"CASE WHEN length({digits}) > {n} THEN {digits} ELSE lpad({digits}, {n} + 1, '0') END"
    return f"""CASE WHEN regexp_full_match({raw}, '-?[0-9]+')
                       AND regexp_full_match({places}, '[0-9]{{1,4}}')
                       AND {n} <= {max_places}
                  THEN CASE WHEN starts_with({raw}, '-') THEN '-' ELSE '' END
                       || left({padded}, length({padded}) - {n})
                       || CASE WHEN {n} > 0 THEN '.' || right({padded}, {n}) ELSE '' END
                  ELSE 'not exact' END"""


def _matches(cell: str, pattern: str) -> str:
    return f"regexp_full_match({cell}, {_quoted(pattern)})"


def _plain_sql(rules: CellRules) -> str:
    """SQL: the row's every cell is plain (see CellRules)."""
    kinds = ", ".join(_quoted(kind.value) for kind in Kind)
    usd = rf"0*[0-9]{{1,{rules.usd_digits}}}(\.[0-9]{{1,{rules.usd_places}}})?"
    checks = [
        f"kind IN ({kinds})",
        _matches("timestamp", "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"),
        f"year(moment) BETWEEN {rules.years.start} AND {rules.years.stop - 1}",
        _matches("chain_id", "[0-9]{1,18}"), _matches("block_number", "[0-9]{1,18}"),
        f"(log_index = '' OR {_matches('log_index', '[0-9]{1,9}')})",
        _matches("quantity", rf"-?[0-9]+(\.[0-9]{{1,{rules.max_decimals}}})?"),
        f"length(q['sign']) + length(q['whole']) <= {rules.max_digits}",
        "raw_digits <> ''",
        f"(usd_value = '' OR {_matches('usd_value', usd)})",
        *(f"{name} <> ''" for name in rules.required),
        *(f"NOT starts_with({name}, {_APOSTROPHE})" for name in rules.guarded),
    ]
    return " AND ".join(f"coalesce({check}, false)" for check in checks)


_CSV = """read_csv($path, header = true, columns = $columns, delim = ',', quote = '',
                   escape = '', strict_mode = true, auto_detect = false,
                   null_padding = false, encoding = 'utf-8')"""


def _legs_sql(rules: CellRules, where: Mapping[str, int], source: str = _CSV,
              clean: str = "true") -> str:
    """SQL: the rows of `source` (cells c0, c1... as text; in file order) with their parts
    worked out and whether each is plain (and `clean`, on the cells as named)."""
    cells = ", ".join(f"coalesce(c{where[name]}, '') AS {name}" for name in rules.fields)
    parts = f"""
        SELECT {cells}, try_strptime(timestamp, '{STAMP}') AS moment,
               regexp_extract(quantity, '^(-?)([0-9]*)\\.?([0-9]*)$',
                              ['sign', 'whole', 'fraction']) AS q,
               ltrim(q['whole'] || q['fraction'], '0') AS raw_digits
        FROM {source}"""
    return f"""
        CREATE OR REPLACE TEMP TABLE ledger_csv_legs AS
        SELECT *, {_plain_sql(rules)} AND coalesce({clean}, false) AS plain,
               CASE WHEN log_index <> '' THEN 'log:' || TRY_CAST(log_index AS INTEGER)
                    WHEN kind = {_quoted(Kind.FEE.value)} THEN 'gas' ELSE 'native' END
                   AS base_key
        FROM ({parts})"""


# the legs of the plain rows, as imported_ledger holds them: the leg key made unique in
# (tx_hash, wallet) as the row reader does (`key`, then `key:2`, `key:3`... in file order:
# `{key}` and `{legs}` number them, where some repeat); a quantity only when
# DECIMAL(38, 18) holds it exactly (raw_amount is exact)
_LEGS = """
SELECT CAST(chain_id AS BIGINT) AS chain_id, tx_hash, {key} AS leg_key, wallet,
       CAST(nullif(log_index, '') AS INTEGER), CAST(block_number AS BIGINT), 0,
       moment, kind, protocol, a.id, nullif(symbol, ''), q['sign'] || raw_digits,
       length(q['fraction']),
       CASE WHEN length(ltrim(q['whole'], '0')) <= 20 AND ltrim(substr(q['fraction'], 19), '0') = ''
            THEN CAST(q['sign'] || q['whole'] || '.' || left(q['fraction'], 18) || '0'
                      AS DECIMAL(38, 18)) END,
       CAST(nullif(usd_value, '') AS DECIMAL(38, 10)), nullif(price_source, ''),
       nullif(counterparty, ''), group_id, $source, usd_value <> ''
FROM {legs} l
JOIN ledger_csv_assets a ON a.text = l.asset
"""
_NUMBERED = {"key": "base_key || CASE WHEN nth = 1 THEN '' ELSE ':' || nth END",
             "legs": """(SELECT *, row_number() OVER (PARTITION BY tx_hash, wallet, base_key
                                                 ORDER BY rowid) AS nth
                         FROM ledger_csv_legs)"""}
_UNIQUE = {"key": "base_key", "legs": "ledger_csv_legs"}
_REPEATED_KEYS = """SELECT count(*) FROM (SELECT 1 FROM ledger_csv_legs
                                        GROUP BY tx_hash, wallet, base_key HAVING count(*) > 1)"""
# by whether some key repeats: the staged legs stored, and those another file gave removed
_INSERT = {repeated: f"INSERT INTO imported_ledger {_LEGS.format(**parts)}"
           for repeated, parts in ((True, _NUMBERED), (False, _UNIQUE))}
_CLEAR_KEYS = {repeated: f"""DELETE FROM imported_ledger i USING ({_LEGS.format(**parts)}) k
    WHERE i.chain_id = k.chain_id AND i.tx_hash = k.tx_hash AND i.leg_key = k.leg_key
          AND i.wallet = k.wallet""" for repeated, parts in ((True, _NUMBERED), (False, _UNIQUE))}

_DROP = "DROP TABLE IF EXISTS ledger_csv_legs; DROP TABLE IF EXISTS ledger_csv_assets"


class LedgerCsv(Plumbing):
    """Tables in and out in bulk, through CSV files DuckDB reads."""

    def stage_ledger_csv(self, path: Path, width: int, where: Mapping[str, int],
                         rules: CellRules, asset_id: Callable[[str], str | None]) -> int | None:
        """The legs of the ledger CSV at `path` (a header, then rows of `width` cells;
        `where` gives each field's place) staged for `save_staged_ledger` when every row
        is plain; `asset_id` reads an asset cell (None when it is not one). How many, or
        None (nothing staged) when some row is not plain or DuckDB cannot read the file as
        plain CSV. Call outside a transaction: DuckDB's errors end one."""
        columns = {f"c{i}": "VARCHAR" for i in range(width)}
        return self._stage(_legs_sql(rules, where), {"path": str(path), "columns": columns},
                           asset_id)

    def parquet_columns(self, path: Path) -> list[str] | None:
        """The column names of the Parquet file at `path`; None when DuckDB cannot read
        it."""
        schema = self._parquet_schema(path)
        return None if schema is None else [name for name, _ in schema]

    def stage_ledger_parquet(self, path: Path, where: Mapping[str, int], rules: CellRules,
                             asset_id: Callable[[str], str | None],
                             exact: tuple[int, int] | None) -> int | None:
        """`stage_ledger_csv` of a Parquet ledger export, its cells as the row reader reads
        them (store.parquet.read_parquet_csv's text); with `exact` (the places of
        raw_amount and decimals), the quantity written from them as ledger_csv's
        `_exact_quantity` does. A row with a quote, a carriage return or a line feed in a
        cell, or without a plain raw amount and decimals, is not plain."""
        schema = self._parquet_schema(path)
        if schema is None:
            return None
        cells = [text_cell(name, kind) for name, kind in schema]
        if exact is not None:
            raw, places = cells[exact[0]], cells[exact[1]]
            cells[where["quantity"]] = _exact_sql(raw, places, rules.max_decimals)
        source = "(SELECT " + ", ".join(f"{cell} AS c{i}" for i, cell in enumerate(cells)) \
            + " FROM read_parquet($path))"
        clean = " AND ".join(f"NOT regexp_matches({name}, '[\"\\r\\n]')"
                             for name in rules.fields)
        return self._stage(_legs_sql(rules, where, source, clean), {"path": str(path)},
                           asset_id)

    def _parquet_schema(self, path: Path) -> list[tuple[str, str]] | None:
        try:
            return [(str(r[0]), str(r[1])) for r in self._db.execute(
                "DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()]
        except duckdb.Error:
            return None

    def _stage(self, legs_sql: str, params: Mapping[str, object],
               asset_id: Callable[[str], str | None]) -> int | None:
        db = self._db
        staged = False
        try:
            try:
                db.execute(legs_sql, dict(params))
            except duckdb.Error:
                return None  # quoted cells, ragged rows, not UTF-8: the row reader says
            rows, plain = db.execute(
                "SELECT count(*), count(*) FILTER (plain) FROM ledger_csv_legs").fetchall()[0]
            texts = [str(t) for t, in db.execute(
                "SELECT DISTINCT asset FROM ledger_csv_legs").fetchall()]
            ids = {text: asset_id(text) for text in texts}
            if rows != plain or None in ids.values():
                return None
            db.execute("CREATE OR REPLACE TEMP TABLE ledger_csv_assets (text VARCHAR, id VARCHAR)")
            self._many("insert_ledger_csv_asset", [[t, i] for t, i in ids.items()])
            staged = True
            return int(rows)
        except duckdb.Error as exc:
            raise StoreError(f"database error in staging a ledger file: {one_line(exc)}") \
                from None
        finally:
            if not staged:
                db.execute(_DROP)

    def save_staged_ledger(self, source: str) -> None:
        """The legs `stage_ledger_csv` staged, stored in imported_ledger as `source` in place
        of what it gave before (Store.save_imported's meaning). Call inside a
        transaction."""
        try:
            self._run("clear_imported_source", [source])
            repeated = bool(self._db.execute(_REPEATED_KEYS).fetchall()[0][0])
            if self._run("count_imported")[0][0]:  # a leg another file gave is now this one's
                self._db.execute(_CLEAR_KEYS[repeated], {"source": source})
            self._db.execute(_INSERT[repeated], {"source": source})
        except duckdb.Error as exc:
            raise StoreError(f"database error in save_staged_ledger: {one_line(exc)}") \
                from None

    def drop_staged_ledger(self) -> None:
        self._db.execute(_DROP)

    def staged_local_symbols(self, prefix: str) -> list[str]:
        """The symbols (upper case) of the staged legs whose asset id starts with `prefix`,
        in the order first met in the file."""
        return [str(s) for s, in self._run("staged_symbols", [prefix])]
