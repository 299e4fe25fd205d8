"""Loading and checking the playbook's data: the bundled sample, a folder of CSV files,
an Excel workbook (one sheet per table), a folder of Parquet files, or one flat sales
file — any company's export.

Everything goes through one entry point. :func:`load` returns a :class:`KamData` with
one DataFrame per table of :mod:`kamlib.schema` (optional tables that are absent come
back empty, with their columns; absent optional columns empty — see
:mod:`kamlib.data.derive` for the representation and ``KamData.available`` for what
the data allows), or raises :class:`DataError` listing *every* problem
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
  the table names (case and spaces do not matter); **one sales file** (CSV, Excel with
  no sheet named after a table, Parquet) read as the order lines, the customers (and
  products) derived from the attributes its lines carry (``schema.CARRIED``).
- **What is required**: only the order lines with a customer id, an order date and the
  line's value (a net amount, or a quantity and a net price); the rest is optional and
  completed where it can be (``schema.ORDER_VALUE_RULES``, each step in the notes).
- **Column headers** are matched ignoring case, spaces and punctuation, and by the
  synonyms of ERP, CRM and shop exports (:mod:`kamlib.data.headers`; "Sold-to party",
  "Billing Date", "Net value"...), completed by the settings' column map
  (``columns=``). Two candidates for one column are a problem, never a guess. A
  misspelt header gets a "did you mean" suggestion (:mod:`difflib`). Columns the
  playbook does not use are ignored (noted).
- **CSV encodings**: UTF-8 (with or without byte-order mark); a Windows-1252 file
  (what Excel writes by default in Western Europe) is accepted with a note; UTF-16 with
  a byte-order mark too. Bytes that fit no encoding are reported with their row.
- **CSV separators**: comma, semicolon, tab or ``|``, detected from the header line.
- **Numbers**: how each column writes its numbers is decided from all its values
  (:func:`kamlib.data.parse.number_style`), never cell by cell: ``9,80`` and
  ``1.250,5`` are 9.8 and 1250.5 in a decimal-comma column, ``2.000`` is 2000 there;
  a column of only ``2.000``-like values follows the file's other columns, else the
  separator (``;``: decimal comma), with a note; a column mixing decimal commas and
  points is refused.
- **Excel**: the header may stand below a title (the first of the first 30 rows with
  the most recognised headers); merged header cells and formulas without a saved
  result are reported.
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
from kamlib.data.derive import KamData, add_order_measures, capabilities
from kamlib.data.headers import _Headers, unknown_map_keys
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

    def __init__(self, source: str | Path, columns: dict[str, str] | None = None):
        self.source_arg = source
        self.columns = dict(columns or {})
        self.given: dict[str, set[str]] = {}         # table -> columns given (or derived)
        self.source_given: dict[str, set[str]] = {}  # table -> columns the source gave
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
        for key, near in unknown_map_keys(self.columns):
            self.add("the settings file", key, None, f"[columns] {key}: there is no "
                     f"column {key} in the playbook's data." + (
                         f" Did you mean {near}?" if near else ""),
                     "Use the playbook's column names on the left (see data/README.md), "
                     "the export's headers on the right: net_amount = \"Net value\".")
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
        self._derive()
        self._keys()
        self._references()
        self._dates()
        self._plausibility()

    def available_given(self) -> dict[str, set[str]]:
        """Table -> columns given, for the tables read with at least one row."""
        return {t: set(c) for t, c in self.given.items()
                if t in self.frames and len(self.frames[t])}


def _run(source: str | Path, columns: dict[str, str] | None = None, *,
         checker: type = _Checker) -> _Checker:
    chk = checker(source, columns)
    try:
        with np.errstate(all="ignore"):
            chk.run()
    except Exception as exc:  # never a bare traceback for a user's file
        chk.add(str(chk.path), "", None, "The check stopped on something unexpected "
                f"({type(exc).__name__}: {_exc_text(exc)}).",
                "This is a bug in kamlib: please report it together with the file that "
                "caused it.")
    return chk


def check(source: str | Path = "sample", columns: dict[str, str] | None = None
          ) -> CheckReport:
    """Read and validate the data at ``source``; report every problem at once.

    ``source``: ``"sample"`` (the bundled data), a folder of CSV and/or Parquet files, an
    Excel workbook (.xlsx, one sheet per table), or one flat sales file (CSV, Excel,
    Parquet) with the customer's attributes on every line. ``columns``: the column map
    of the settings file (``{"net_amount": "Netwr"}``, see :mod:`kamlib.data.headers`).
    Never raises for a bad input: a missing path, a binary file, a broken workbook are
    reported as problems. The input files are only read.

    Returns a :class:`CheckReport`: ``ok``, ``problems`` (:class:`Problem`: file,
    column, rows as seen in Excel with the header as row 1, message, fix) and
    ``summary`` (:class:`DataSummary`: tables and row counts, customers, period,
    revenue, notes such as headers read under another name or optional tables not
    given, and what the data allows: ``available`` capabilities).

    Checks: the orders table, a customer id, an order date and each line's value
    present (closest name suggested; two candidate headers for one column are a
    problem); numbers, whole numbers, dates and yes/no readable; numbers within the
    schema's bounds (no negative quantities or prices, scores 1-5); values on the list
    for category columns (closest value suggested); no empty cells where a value is
    needed; no repeated keys; every customer and product referred to exists; deliveries
    (actual and promised) not before the order date; empty files, file encodings and
    separators. Plausibility notes: order dates after the file was written, deliveries
    far above the quantity ordered, estimated annual use below what was sold,
    assessments for future years, customer ids with path or control characters.
    """
    from kamlib.data import cache

    shared = cache.cached_check(source, columns)  # a `kam chapters` run checked it once
    if shared is not None:
        return shared
    chk = _run(source, columns)
    return CheckReport(source=chk.source, problems=tuple(chk.problems),
                       summary=chk.summary())


def load(source: str | Path = "sample", columns: dict[str, str] | None = None, *,
         engine: str = "pandas") -> KamData:
    """Load, validate and type the data at ``source`` (``"sample"`` = the bundled data).

    ``source``: ``"sample"``, a folder of CSV and/or Parquet files named after the tables
    (``customers.csv``, ``orders.parquet``...), an Excel workbook with one sheet per
    table, or one flat sales file. ``columns``: the column map of the settings file
    (``Settings.columns``). Only ``orders`` is required (a customer id, an order date
    and each line's value); a missing ``customers`` table is derived from the order
    lines; optional tables that are absent come back empty (with their columns and
    types), absent optional columns empty — see :mod:`kamlib.data.derive` for the
    representation and ``KamData.available`` / ``KamData.has`` for what the data allows.

    Raises :class:`DataError` listing every problem (file, column, rows, how to fix it)
    when the data cannot be used; its ``problems`` attribute holds the
    :class:`Problem` objects. Run :func:`check` (``kam data check PATH``) for the same
    list without an exception, plus a summary.

    ``engine``: ``"pandas"`` (default: every table read into pandas), ``"duckdb"`` (a
    large export: the order lines and interactions validated by SQL and left in their
    files, ``kd.orders`` / ``kd.interactions`` then being
    :class:`kamlib.data.lazy.LazyTable`; see :mod:`kamlib.data.large`, which falls back
    to pandas for a source the SQL cannot read exactly as this loader does) or
    ``"auto"`` (``"duckdb"`` when the order-line file is larger than
    :data:`kamlib.engine.AUTO_THRESHOLD_BYTES`).

    In a ``kam chapters`` run, the data is read and validated once for every chapter:
    ``load`` (pandas engine) and :func:`check` then return that run's result, read once
    per kernel (:mod:`kamlib.data.cache`, keyed on the files' names, sizes and times).
    """
    from kamlib import engine as _engine
    from kamlib.data import cache

    if engine == "pandas":  # a `kam chapters` run loaded it once (kamlib.data.cache)
        shared = cache.cached_load(source, columns)
        if shared is not None:
            return shared
    if _engine.use_engine(source, engine):
        from kamlib.data.large import load_large

        kd = load_large(source, columns)
        if kd is not None:
            return kd
    chk = _run(source, columns)
    if chk.problems:
        report = CheckReport(chk.source, tuple(chk.problems), DataSummary(
            source=chk.source, kind=chk.kind, notes=tuple(chk.notes)))
        raise DataError(report.problems_text(), list(chk.problems))
    return _kamdata(chk)


def _kamdata(chk: _Checker) -> KamData:
    frames = {}
    for name, table in schema.TABLES.items():
        df = chk.frames.get(name)
        if df is None:
            df = empty_table(table)
            if name == "orders":
                df = df.drop(columns=["discount_amount", "discount_share", "margin_amount"])
        frames[name] = df.reset_index(drop=True)
    given = chk.available_given()
    available = capabilities(given)
    frames["orders"] = add_order_measures(frames["orders"],
                                          deliveries="deliveries" in available)
    return KamData(**frames, source=str(chk.path), notes=tuple(chk.notes),
                   available=available,
                   given={t: frozenset(c) for t, c in given.items()})


def load_answer_key(path: str | Path = ANSWER_KEY_FILE) -> pd.DataFrame:
    """The generator's hidden truth for the bundled data (for checking methods only)."""
    return pd.read_csv(path, dtype={"customer_id": str})

