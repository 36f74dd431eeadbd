"""The only code that talks to DuckDB."""

from scanner.store.db import Store, default_db_path

__all__ = ["Store", "default_db_path"]
