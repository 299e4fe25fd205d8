"""Tables left in their files: the order lines and interactions of a large export.

With ``kamlib.data.load(source, engine="duckdb")`` the two large tables of an export
(ten years of order lines, millions of interactions) are validated by SQL queries over
their files and *not* read into pandas: ``kd.orders`` and ``kd.interactions`` are then
:class:`LazyTable` objects that name the file. The analysis reads them through the
aggregates of :mod:`kamlib.engine` (per customer and year, per customer and month, the
segmentation's sums), which DuckDB computes straight from the file.

A :class:`LazyTable` is deliberately *not* a DataFrame: a function that still wants the
order lines one by one fails with a sentence saying so (and how to load them), instead
of silently working on an empty table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


class NotLoadedError(ValueError):
    """A function needed table rows that were left in the file (engine="duckdb")."""


@dataclass(frozen=True)
class OrderSummary:
    """What the rest of the playbook asks of the order lines as a whole: ``first_date``
    and ``last_date`` (order dates), ``data_end`` (the last order or delivery date:
    where the export ends), ``years`` (calendar years of the sales dates, oldest first),
    ``unknown_costs_years`` / ``unknown_list_prices_years`` (years whose lines with a
    quantity all lack a unit cost / a list price)."""

    first_date: pd.Timestamp | None
    last_date: pd.Timestamp | None
    data_end: pd.Timestamp | None
    years: tuple[int, ...]
    unknown_costs_years: tuple[int, ...] = ()
    unknown_list_prices_years: tuple[int, ...] = ()


@dataclass(frozen=True)
class LazyTable:
    """A table of the export left in its file: ``table`` (schema name), ``file``
    (its path), ``columns`` (the file's columns), ``rows`` (number of rows),
    ``summary`` (:class:`OrderSummary`, order lines only). :meth:`reader` gives the SQL
    that reads it (``read_parquet('...')`` or ``read_csv(...)`` with the schema's
    types)."""

    table: str
    file: Path
    columns: tuple[str, ...]
    rows: int
    summary: OrderSummary | None = None
    _note: str = field(default="", repr=False)

    def reader(self) -> str:
        from kamlib import engine

        return engine._reader(self.file)

    def __len__(self) -> int:
        return self.rows

    def _refuse(self, what: str):
        raise NotLoadedError(
            f"the {self.table} of {self.file} were left in the file (a large export read "
            f"with engine='duckdb'), but this step asked for {what}. Use the aggregates "
            "of kamlib.engine (or kamlib.analysis.Analysis), or load the data with "
            "kamlib.data.load(source, engine='pandas') to work on the rows themselves.")

    def __getitem__(self, key):
        self._refuse(f"the column(s) {key!r}")

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        self._refuse(f"the DataFrame attribute {name!r}")


def is_lazy(table) -> bool:
    """True for a table left in its file (:class:`LazyTable`)."""
    return isinstance(table, LazyTable)


def signature(table) -> tuple:
    """What identifies a table for a memo within one process: the object, and its shape
    and columns (a DataFrame) or its file, rows and columns (a :class:`LazyTable`, whose
    ``shape`` is refused on purpose). ``None`` for a table not given."""
    if table is None:
        return (None,)
    if isinstance(table, LazyTable):
        return (id(table), "file", str(table.file), table.rows, tuple(table.columns))
    return (id(table), getattr(table, "shape", None), tuple(getattr(table, "columns", ())))
