"""Loading and checking the playbook's data: the bundled sample, a folder of CSV files,
an Excel workbook (one sheet per table) or a folder of Parquet files.

Everything goes through one entry point. :func:`load` returns a :class:`KamData` with
one DataFrame per table of :mod:`kamlib.schema` (optional tables that are absent come
back empty, with their columns), or raises :class:`DataError` listing *every* problem
found. :func:`check` runs the same reading and validation and returns a
:class:`CheckReport` (what ``kam data check PATH`` prints) instead of raising.

Column types follow the schema: ids and text as strings (``string`` dtype), category
columns as plain Python strings (``object``), dates as ``datetime64``, yes/no as
``bool``, whole numbers as ``Int64``, numbers and scores as ``float64`` (empty = NaN).
``orders`` comes back with derived measures added (see :func:`add_order_measures`).

What is accepted
----------------
- **Sources**: ``"sample"`` (the bundled data); a folder holding ``<table>.csv`` and/or
  ``<table>.parquet`` files (names are matched case-insensitively; other files, such as
  ``GENERATED_BY.txt``, are ignored; when both a CSV and a Parquet file exist for a
  table, the Parquet file is read); an Excel workbook ``.xlsx`` whose sheet names are
  the table names (case and spaces do not matter).
- **Column headers** are matched ignoring case, spaces and punctuation: ``Customer ID``
  is read as ``customer_id`` (with a note). A misspelt header gets a "did you mean"
  suggestion (:mod:`difflib`). Columns the playbook does not use are ignored (noted).
- **CSV encodings**: UTF-8 (with or without byte-order mark); a Windows-1252 file
  (what Excel writes by default in Western Europe) is accepted with a note; UTF-16 with
  a byte-order mark too. Bytes that fit no encoding are reported with their row.
- **CSV separators**: comma, semicolon, tab or ``|``, detected from the header line.
  With semicolons (European Excel) decimal commas are understood: ``9,80`` is 9.8 and
  ``1.250,5`` is 1250.5.
- **Dates**: ``YYYY-MM-DD`` (ISO 8601, with or without time), real Excel dates, and
  common day-first forms (``13.05.2024``, ``13/05/2024``), with a note.

Row numbers
-----------
Problems name rows as a person sees them when opening the file in Excel or a text
editor: **the header is row 1, the first data row is row 2**. For a Parquet file the
same numbering is used (row 2 = first record), so that a Parquet file and the CSV
export of the same table give the same row numbers. (A CSV value that itself contains
line breaks shifts a text editor's line numbers; Excel's row numbers stay right.)

Input files are only ever read, never written, moved or touched.

Speed: validation is vectorised (pandas/pyarrow column operations, no Python loop over
rows). 10 million Parquet order lines (with 8.6 million interactions) load, validate
and get their measures in about 10 s on a 2-core machine (25-35 s when the cores are
busy); CSV is slower, about 4 s per million order lines (``benchmarks/bench_load.py``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kamlib import schema
from kamlib.data.checks import _Checks
from kamlib.data.checks import _duplicated  # noqa: F401  (re-exported for the tests)
from kamlib.data.derive import KamData, add_order_measures
from kamlib.data.headers import _Headers
from kamlib.data.parse import coerce_table, empty_table
from kamlib.data.problems import (CheckReport, DataError, DataSummary, Problem, _Collector,
                                  _exc_text, _Input)
from kamlib.data.sources import (ANSWER_KEY_FILE, MISSING_TABLE_EFFECT, PROJECT_ROOT,
                                 SAMPLE_DIR, _Sources, resolve_source)

__all__ = [
    "ANSWER_KEY_FILE", "MISSING_TABLE_EFFECT", "PROJECT_ROOT", "SAMPLE_DIR", "CheckReport",
    "DataError", "DataSummary", "KamData", "Problem", "add_order_measures", "check",
    "coerce_table", "empty_table", "load", "load_answer_key", "resolve_source",
]


class _Checker(_Sources, _Headers, _Checks, _Collector):
    """Reads a source, validates it, collects every problem and note."""

    def __init__(self, source: str | Path):
        self.source_arg = source
        self.path = resolve_source(source)
        self.source = "the bundled sample data" if str(source) == "sample" else str(self.path)
        self.kind = ""
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.inputs: dict[str, _Input] = {}
        self.frames: dict[str, pd.DataFrame] = {}   # typed; index = file row - 2
        self.missing_cols: dict[str, set[str]] = {}
        self._workbook: pd.ExcelFile | None = None

    # -- the whole run

    def run(self) -> None:
        try:
            self._run()
        finally:
            if self._workbook is not None:
                self._workbook.close()
                self._workbook = None

    def _run(self) -> None:
        if not self._discover():
            return
        for name, table in schema.TABLES.items():
            inp = self.inputs.get(name)
            if inp is None:
                continue
            raw = self._read(inp)
            if raw is None:
                continue
            frame = self._columns(inp, raw)
            if frame is None:
                continue
            self.frames[name] = self._values(inp, frame, raw.decimal_comma)
        self._keys()
        self._references()
        self._dates()


def _run(source: str | Path) -> _Checker:
    chk = _Checker(source)
    try:
        with np.errstate(all="ignore"):
            chk.run()
    except Exception as exc:  # never a bare traceback for a user's file
        chk.add(str(chk.path), "", None, "The check stopped on something unexpected "
                f"({type(exc).__name__}: {_exc_text(exc)}).",
                "This is a bug in kamlib: please report it together with the file that "
                "caused it.")
    return chk


def check(source: str | Path = "sample") -> CheckReport:
    """Read and validate the data at ``source``; report every problem at once.

    ``source``: ``"sample"`` (the bundled data), a folder of CSV and/or Parquet files, or
    an Excel workbook (.xlsx, one sheet per table). Never raises for a bad input: a
    missing path, a binary file, a broken workbook are reported as problems. The input
    files are only read.

    Returns a :class:`CheckReport`: ``ok``, ``problems`` (:class:`Problem`: file,
    column, rows as seen in Excel with the header as row 1, message, fix) and
    ``summary`` (:class:`DataSummary`: tables and row counts, customers, period,
    revenue, and notes such as ignored columns or optional tables not given).

    Checks: tables and required columns present (closest name suggested); numbers,
    whole numbers, dates and yes/no readable; numbers within the schema's bounds
    (no negative quantities or prices, scores 1-5); values on the list for category
    columns (closest value suggested); no empty cells where a value is needed; no
    repeated keys; every customer and product referred to exists; deliveries (actual and
    promised) not before the order date; empty files, file encodings and separators.
    """
    chk = _run(source)
    return CheckReport(source=chk.source, problems=tuple(chk.problems),
                       summary=chk.summary())


def load(source: str | Path = "sample") -> KamData:
    """Load, validate and type the data at ``source`` (``"sample"`` = the bundled data).

    ``source``: ``"sample"``, a folder of CSV and/or Parquet files named after the tables
    (``customers.csv``, ``orders.parquet``...), or an Excel workbook with one sheet per
    table. ``customers`` and ``orders`` are required; optional tables that are absent
    come back empty (with their columns and types).

    Raises :class:`DataError` listing every problem (file, column, rows, how to fix it)
    when the data cannot be used; its ``problems`` attribute holds the
    :class:`Problem` objects. Run :func:`check` (``kam data check PATH``) for the same
    list without an exception, plus a summary.
    """
    chk = _run(source)
    if chk.problems:
        report = CheckReport(chk.source, tuple(chk.problems), DataSummary(
            source=chk.source, kind=chk.kind, notes=tuple(chk.notes)))
        raise DataError(report.problems_text(), list(chk.problems))
    frames = {}
    for name, table in schema.TABLES.items():
        df = chk.frames.get(name)
        frames[name] = empty_table(table) if df is None else df.reset_index(drop=True)
    frames["orders"] = add_order_measures(frames["orders"])
    return KamData(**frames, source=str(chk.path), notes=tuple(chk.notes))


def load_answer_key(path: str | Path = ANSWER_KEY_FILE) -> pd.DataFrame:
    """The generator's hidden truth for the bundled data (for checking methods only)."""
    return pd.read_csv(path, dtype={"customer_id": str})

