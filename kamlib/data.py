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

import csv
import datetime as _dt
import difflib
import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kamlib import schema

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
ANSWER_KEY_FILE = PROJECT_ROOT / "data" / "answer_key" / "answer_key.csv"

SHOW_ROWS = 5
"""Row numbers printed per problem; the rest are counted ("and 37 more rows")."""
KEEP_ROWS = 1000
"""Row numbers kept per problem in :attr:`Problem.rows` (``n_rows`` counts them all)."""
SHOW_VALUES = 5
"""Distinct offending values quoted per problem."""

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
OTHER_SPREADSHEETS = (".xls", ".ods", ".numbers", ".xlsb")

# The datetime64 unit pandas gives dates parsed from text (us on pandas 3, ns on 2.x):
# every date column is given this unit, so that tables can be compared and merged.
_DATE_DTYPE = pd.to_datetime(pd.Series(["2024-01-01"])).dtype
_EARLIEST, _LATEST = pd.Timestamp("1900-01-01"), pd.Timestamp("2100-12-31")

MISSING_TABLE_EFFECT = {
    "products": "product names, grades and packs will be unknown: chapter 02 cannot "
    "see economy grades, custom grades or big bags, and product ids are not checked",
    "interactions": "cost to serve (chapter 01) will count orders and deliveries only, "
    "service and technology sensitivity (chapter 02) cannot be measured, and chapter 04 "
    "has no visit or complaint history",
    "contacts": "the buying centre (who decides, who has not been seen for months) will "
    "be missing from chapter 04 and the account plans",
    "assessments": "the scorecard (chapter 01) lacks cooperation and strategic-fit "
    "scores, and share of wallet cannot be computed",
    "rebates": "profitability (chapter 01) and the rebate chapter (03) will not subtract "
    "the rebates actually paid",
}
"""What the playbook loses when an optional table is not given (shown in the summary)."""

_TABLE_ALIASES = {
    "customer": "customers", "customer_list": "customers", "accounts": "customers",
    "product": "products", "order": "orders", "order_lines": "orders",
    "orderlines": "orders", "sales_orders": "orders", "interaction": "interactions",
    "contact": "contacts", "assessment": "assessments", "rebate": "rebates",
}

_ROW_WORDS = {
    "customers": ("customer", "customers"), "products": ("product", "products"),
    "orders": ("order line", "order lines"), "interactions": ("interaction", "interactions"),
    "contacts": ("contact", "contacts"), "assessments": ("assessment", "assessments"),
    "rebates": ("rebate row", "rebate rows"),
}


# ------------------------------------------------------------------------ KamData


@dataclass(frozen=True)
class KamData:
    """The tables of one company's data, validated and typed.

    Attributes are DataFrames named after the tables of ``kamlib.schema``:
    ``customers``, ``products``, ``orders`` (with derived measures),
    ``interactions``, ``contacts``, ``assessments``, ``rebates``. ``source`` says where
    the data came from; ``notes`` lists what the loader noticed without refusing the
    data (a renamed column, a Windows-1252 file, an optional table missing...).
    """

    customers: pd.DataFrame
    products: pd.DataFrame
    orders: pd.DataFrame
    interactions: pd.DataFrame
    contacts: pd.DataFrame
    assessments: pd.DataFrame
    rebates: pd.DataFrame
    source: str = ""
    notes: tuple[str, ...] = ()

    @property
    def first_date(self) -> pd.Timestamp:
        return self.orders["order_date"].min()

    @property
    def last_date(self) -> pd.Timestamp:
        return self.orders["order_date"].max()

    @property
    def years(self) -> list[int]:
        """Calendar years with orders, oldest first."""
        return sorted(int(y) for y in self.orders["year"].unique())


def resolve_source(source: str | Path) -> Path:
    """``"sample"`` means the bundled data; anything else is a path."""
    if str(source) == "sample":
        return SAMPLE_DIR
    return Path(source).expanduser()


def add_order_measures(orders: pd.DataFrame) -> pd.DataFrame:
    """Add the derived measures of each order line. Returns a new DataFrame.

    Columns added (EUR unless stated):

    - ``year``, ``month`` (1-12) of ``order_date``;
    - ``volume_kg`` = ``delivered_kg`` (sales are invoiced on delivered quantity);
    - ``revenue`` = delivered_kg × net_price_per_kg;
    - ``list_revenue`` = delivered_kg × list_price_per_kg;
    - ``discount`` = list_revenue − revenue (on-invoice discounts and deals; annual
      rebates are separate, see the ``rebates`` table);
    - ``discount_pct`` = discount / list_revenue (0 where list_revenue is 0);
    - ``cost_of_goods`` = delivered_kg × unit_cost_per_kg;
    - ``gross_margin`` = revenue − cost_of_goods;
    - ``is_delivered``: actual_delivery_date is known;
    - ``days_late`` = actual − promised delivery date in days (negative = early; NaN
      while not delivered);
    - ``on_time``: delivered no later than promised;
    - ``in_full``: delivered_kg ≥ quantity_kg;
    - ``on_time_in_full``: both (OTIF, the standard supply-chain service measure).
    """
    o = orders.copy(deep=False)  # new columns only: the caller's frame is untouched
    o["year"] = o["order_date"].dt.year.astype("int64")
    o["month"] = o["order_date"].dt.month.astype("int64")
    o["volume_kg"] = o["delivered_kg"]
    o["revenue"] = o["delivered_kg"] * o["net_price_per_kg"]
    o["list_revenue"] = o["delivered_kg"] * o["list_price_per_kg"]
    o["discount"] = o["list_revenue"] - o["revenue"]
    lr = o["list_revenue"].to_numpy()
    o["discount_pct"] = np.divide(
        o["discount"].to_numpy(), lr, out=np.zeros(len(o)), where=lr > 0
    )
    o["cost_of_goods"] = o["delivered_kg"] * o["unit_cost_per_kg"]
    o["gross_margin"] = o["revenue"] - o["cost_of_goods"]
    o["is_delivered"] = o["actual_delivery_date"].notna()
    o["days_late"] = (o["actual_delivery_date"] - o["promised_delivery_date"]).dt.days
    o["on_time"] = o["is_delivered"] & (o["days_late"] <= 0)
    o["in_full"] = o["is_delivered"] & (o["delivered_kg"] >= o["quantity_kg"])
    o["on_time_in_full"] = o["on_time"] & o["in_full"]
    return o


# ------------------------------------------------------------ problems and reports


@dataclass(frozen=True)
class Problem:
    """One thing that stops the data from being used.

    - ``file``: the file as the user knows it (``orders.csv``, ``export.xlsx, sheet
      Orders``, or the source path when the whole source is concerned);
    - ``column``: the column concerned (schema name), ``""`` for the whole file;
    - ``rows``: row numbers as seen in Excel or a text editor (header = row 1, first
      data row = row 2), ascending; at most :data:`KEEP_ROWS` are kept;
    - ``message``: what is wrong, in plain words, with the offending values;
    - ``fix``: how to fix it;
    - ``n_rows``: how many rows are concerned in all (``len(rows)`` or more);
    - ``table``: the schema table (``orders``...), ``""`` when none.

    ``str(problem)`` is the one-line form: ``orders.csv, rows 412, 977: quantity_kg is
    negative (-25). Quantities must be 0 or more; ...``.
    """

    file: str
    column: str
    rows: tuple[int, ...]
    message: str
    fix: str
    n_rows: int = 0
    table: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", tuple(int(r) for r in self.rows))
        if self.n_rows < len(self.rows):
            object.__setattr__(self, "n_rows", len(self.rows))

    @property
    def where(self) -> str:
        """``"row 5"``, ``"rows 5, 9"``, ``"rows 5, 9, 12, 15, 20 and 37 more rows"``."""
        if not self.rows:
            return ""
        shown = ", ".join(str(r) for r in self.rows[:SHOW_ROWS])
        more = self.n_rows - min(len(self.rows), SHOW_ROWS)
        if self.n_rows == 1:
            return f"row {shown}"
        tail = f" and {more:,} more row{'s' if more != 1 else ''}" if more > 0 else ""
        return f"rows {shown}{tail}"

    def __str__(self) -> str:
        place = ", ".join(x for x in (self.file, self.where) if x)
        return f"{place}: {self.message} {self.fix}".strip()


@dataclass(frozen=True)
class DataSummary:
    """What a check found (filled as far as the data could be read).

    - ``source``, ``kind`` (``"folder of CSV files"``, ``"Excel workbook"``...);
    - ``files``: table -> the file or sheet it was read from;
    - ``rows``: table -> number of data rows read;
    - ``customers`` (rows of customers), ``customers_with_orders``, ``products``;
    - ``orders`` (distinct order_id), ``order_lines``;
    - ``first_order_date``, ``last_order_date`` (None when unknown);
    - ``revenue`` (EUR, delivered_kg × net_price_per_kg), ``volume_kg`` (delivered kg),
      ``revenue_by_year`` (year -> EUR), ``rebates_paid`` (EUR);
    - ``notes``: things noticed that do not stop the data from being used (a column
      read under another name, an optional table missing and what the playbook loses).
    """

    source: str = ""
    kind: str = ""
    files: dict[str, str] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    customers: int = 0
    customers_with_orders: int = 0
    products: int = 0
    orders: int = 0
    order_lines: int = 0
    first_order_date: pd.Timestamp | None = None
    last_order_date: pd.Timestamp | None = None
    revenue: float = 0.0
    volume_kg: float = 0.0
    revenue_by_year: dict[int, float] = field(default_factory=dict)
    rebates_paid: float = 0.0
    notes: tuple[str, ...] = ()

    def text(self) -> str:
        """The summary as printable lines (tables, counts, period, money, notes)."""
        out = [f"Source: {self.source} ({self.kind})" if self.kind else f"Source: {self.source}"]
        if self.rows or self.files:
            out.append("")
            width = max(len(n) for n in schema.TABLES)
            for name in schema.TABLES:
                if name in self.rows:
                    out.append(f"  {name:<{width}} {self.rows[name]:>11,} rows   "
                               f"{self.files.get(name, '')}")
                else:
                    out.append(f"  {name:<{width}} {'-':>11}        not given")
        if self.order_lines:
            out.append("")
            out.append(f"Customers: {self.customers:,} ({self.customers_with_orders:,} with "
                       f"orders); products: {self.products:,}.")
            period = ""
            if self.first_order_date is not None and self.last_order_date is not None:
                period = (f", from {self.first_order_date:%Y-%m-%d} to "
                          f"{self.last_order_date:%Y-%m-%d}")
            out.append(f"Orders: {self.orders:,} orders, {self.order_lines:,} order lines"
                       f"{period}.")
            out.append(f"Sales (delivered kg x net price): EUR {self.revenue:,.0f} for "
                       f"{self.volume_kg:,.0f} kg.")
            if self.revenue_by_year:
                out.append("  by year: " + "; ".join(
                    f"{y}: EUR {v:,.0f}" for y, v in sorted(self.revenue_by_year.items())))
            if "rebates" in self.rows:
                out.append(f"Rebates paid: EUR {self.rebates_paid:,.0f}.")
        if self.notes:
            out.append("")
            out.append("Notes:")
            out.extend(f"  - {n}" for n in self.notes)
        return "\n".join(out)


@dataclass(frozen=True)
class CheckReport:
    """The result of :func:`check`: ``ok``, every ``problems`` found, a ``summary``.

    ``text()`` is what ``kam data check`` prints: the problems grouped by file (or, when
    there are none, the summary of what was found).
    """

    source: str
    problems: tuple[Problem, ...]
    summary: DataSummary

    @property
    def ok(self) -> bool:
        return not self.problems

    def problems_text(self) -> str:
        """The problems, grouped by file, each with its rows, message and fix."""
        n = len(self.problems)
        files = list(dict.fromkeys(p.file for p in self.problems))
        head = (f"{n} problem{'s' if n != 1 else ''} found in {self.source}"
                + (f" ({len(files)} files)" if len(files) > 1 else "")
                + ". Nothing was changed in the files.")
        out = [head]
        for f in files:
            out.append("")
            out.append(f)
            for p in self.problems:
                if p.file != f:
                    continue
                lead = p.where or (f"column {p.column}" if p.column else "")
                out.append(f"  - {lead + ': ' if lead else ''}{p.message}")
                if p.fix:
                    out.append(f"    Fix: {p.fix}")
        if any(p.rows for p in self.problems):
            out.append("")
            out.append("Row numbers are as Excel shows them: the header is row 1, the "
                       "first data row is row 2.")
        return "\n".join(out)

    def text(self) -> str:
        if self.problems:
            out = [self.problems_text()]
            if self.summary.notes:
                out.append("")
                out.append("Also noted (not problems):")
                out.extend(f"  - {x}" for x in self.summary.notes)
            out.append("")
            out.append("Fix the problems in the export (or in the system it comes "
                       "from), then run `kam data check` again.")
            return "\n".join(out)
        return "No problems found: the data is ready to use.\n\n" + self.summary.text()


class DataError(ValueError):
    """Data that cannot be used. ``problems`` lists each one (:class:`Problem`: file,
    column, rows, message, fix); the message is the full readable list."""

    def __init__(self, message: str, problems: list | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


# --------------------------------------------------------------- small utilities


def _norm(name: object) -> str:
    """``" Customer ID"`` -> ``"customer_id"``: lower case, runs of anything but
    letters and digits become one underscore."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).replace("\ufeff", "").strip().lower()).strip("_")


def _fmt(v: object) -> str:
    """A value as shown in a message: numbers plainly, text in quotes, dates ISO."""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if np.isfinite(f) and f.is_integer() and abs(f) < 1e15:
            return str(int(f))
        return f"{f:.10g}"
    if isinstance(v, (pd.Timestamp, _dt.datetime)):
        return f"{v:%Y-%m-%d}"
    s = str(v)
    if len(s) > 40:
        s = s[:37] + "..."
    return f"'{s}'"


def _values_text(values: pd.Series, n: int = SHOW_VALUES) -> str:
    """The first ``n`` distinct values, in row order: ``-25, -3`` or ``'abc', ...``."""
    uniq = pd.unique(values.to_numpy(dtype=object))
    shown = ", ".join(_fmt(v) for v in uniq[:n])
    if len(uniq) > n:
        shown += f" and {len(uniq) - n:,} other values"
    return shown


def _was(n: int) -> str:
    return "was" if n == 1 else "were"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _is_arrow_string(s: pd.Series) -> bool:
    dt = s.dtype
    return isinstance(dt, pd.StringDtype) and getattr(dt, "storage", "") == "pyarrow"


# ----------------------------------------------------------------- value parsing
#
# Each parser takes a column as read (text from CSV; typed values from Parquet/Excel)
# and returns (values, bad, empty): the typed values, the mask of cells that are not
# empty but cannot be read, and the mask of empty cells. All vectorised.

_NULL_TOKENS = frozenset(
    {"null", "none", "nan", "n/a", "na", "#n/a", "-", "--", "nat", "<na>", "#null!"}
)
_TRUE = frozenset({"yes", "y", "true", "1", "1.0", "ja", "j", "oui", "si", "sí", "x",
                   "wahr", "t"})
_FALSE = frozenset({"no", "n", "false", "0", "0.0", "nein", "non", "falsch", "f"})


def _as_text(s: pd.Series) -> pd.Series:
    """Any column as stripped text (``string`` dtype), empty cells as <NA>.

    Whole numbers read as floats (ids from Excel: 42.0) come back as ``"42"``."""
    dt = s.dtype
    if pd.api.types.is_bool_dtype(dt):
        out = pd.Series(np.where(s.to_numpy(dtype=bool, na_value=False), "yes", "no"),
                        index=s.index, dtype="string").mask(s.isna())
    elif pd.api.types.is_float_dtype(dt):
        a = s.to_numpy(dtype="float64", na_value=np.nan)
        whole = np.zeros(len(a), dtype=bool)
        fin = np.isfinite(a)
        whole[fin] = (a[fin] == np.round(a[fin])) & (np.abs(a[fin]) < 2**53)
        out = s.astype("string")
        if whole.any():
            out[whole] = pd.Series(a[whole].astype(np.int64), dtype="string").to_numpy()
    elif pd.api.types.is_integer_dtype(dt):
        out = s.astype("string")
    elif pd.api.types.is_datetime64_any_dtype(dt):
        out = s.dt.strftime("%Y-%m-%d").astype("string")
    elif isinstance(dt, pd.StringDtype) or (
        dt == object and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")
    ):
        out = s.astype("string")
    else:  # mixed Python objects (Excel), categoricals...
        out = s.astype(object).map(_id_text, na_action="ignore").astype("string")
    out = out.str.strip()
    return out.mask(out == "")


def _id_text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (pd.Timestamp, _dt.datetime)):
        return f"{v:%Y-%m-%d}" if v == pd.Timestamp(v).normalize() else str(v)
    return str(v).strip()


def _null_tokens(t: pd.Series) -> pd.Series:
    """Cells that say "nothing" in words (NULL, N/A, -): read as empty in number,
    date and yes/no columns."""
    return t.str.lower().isin(list(_NULL_TOKENS)).fillna(False).astype(bool)


def _float_of(t: pd.Series) -> np.ndarray:
    """Text to float64 (NaN where unreadable). Arrow's cast when every cell reads (10x
    faster than ``pd.to_numeric``), else pandas with ``errors="coerce"``."""
    if _is_arrow_string(t):
        import pyarrow as pa
        import pyarrow.compute as pc

        try:
            a = pc.cast(pa.array(t.array), pa.float64())
            return np.asarray(a.to_numpy(zero_copy_only=False), dtype="float64")
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            pass
    return np.asarray(
        pd.to_numeric(t, errors="coerce").to_numpy(dtype="float64", na_value=np.nan),
        dtype="float64",
    )


def _parse_number(s: pd.Series, decimal_comma: bool = False):
    """-> (float64 Series, bad, empty, text, n_reformatted).

    Text is read as a plain number first; cells that fail are tried again without
    thousands separators (space, apostrophe; ``,`` before a final ``.``) and, when the
    file uses decimal commas (``decimal_comma``), with ``,`` as the decimal point."""
    if pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype("float64")
    if pd.api.types.is_numeric_dtype(s.dtype):
        vals = pd.Series(s.to_numpy(dtype="float64", na_value=np.nan), index=s.index)
        empty = vals.isna()
        bad = pd.Series(np.isinf(vals.to_numpy()), index=s.index)
        return vals, bad, empty, None, 0
    t = _as_text(s)
    empty = np.array(t.isna().to_numpy(dtype=bool), dtype=bool)  # writable copies
    vals = np.array(_float_of(t), dtype="float64")
    fail = ~empty & np.isnan(vals)
    fixed = 0
    if fail.any():
        sub = t[fail]
        nulls = _null_tokens(sub).to_numpy()
        empty[np.flatnonzero(fail)[nulls]] = True
        sub = sub[~nulls]
        if len(sub):
            c = sub.str.replace(r"[\s\u00a0\u202f']", "", regex=True)
            last_comma = c.str.rfind(",").to_numpy(dtype="int64", na_value=-1)
            last_dot = c.str.rfind(".").to_numpy(dtype="int64", na_value=-1)
            euro = (last_comma > last_dot) & ((last_dot >= 0) | decimal_comma)
            c = c.copy()
            if euro.any():
                c[euro] = (c[euro].str.replace(".", "", regex=False)
                           .str.replace(",", ".", regex=False))
            us = (last_comma >= 0) & (last_comma < last_dot)
            if us.any():
                c[us] = c[us].str.replace(",", "", regex=False)
            v2 = _float_of(c)
            pos = s.index.get_indexer(sub.index)
            vals[pos] = v2
            fixed = int(np.isfinite(v2).sum())
        fail = ~empty & np.isnan(vals)
    bad = fail | np.isinf(vals)
    return (pd.Series(vals, index=s.index), pd.Series(bad, index=s.index),
            pd.Series(empty, index=s.index), t, fixed)


_DATE_FORMATS = (
    # (strptime format, how it is described in a note)
    ("%d.%m.%Y", "DD.MM.YYYY"), ("%d/%m/%Y", "DD/MM/YYYY"), ("%m/%d/%Y", "MM/DD/YYYY"),
    ("%d-%m-%Y", "DD-MM-YYYY"), ("%Y/%m/%d", "YYYY/MM/DD"), ("%Y.%m.%d", "YYYY.MM.DD"),
    ("%d.%m.%y", "DD.MM.YY"), ("%d/%m/%y", "DD/MM/YY"), ("%m/%d/%y", "MM/DD/YY"),
    ("%d.%m.%Y %H:%M", "DD.MM.YYYY hh:mm"), ("%d/%m/%Y %H:%M", "DD/MM/YYYY hh:mm"),
    ("%m/%d/%Y %H:%M", "MM/DD/YYYY hh:mm"), ("%d.%m.%Y %H:%M:%S", "DD.MM.YYYY hh:mm:ss"),
    ("%d/%m/%Y %H:%M:%S", "DD/MM/YYYY hh:mm:ss"), ("%d %b %Y", "DD Mon YYYY"),
    ("%d-%b-%Y", "DD-Mon-YYYY"), ("%d-%b-%y", "DD-Mon-YY"), ("%b %d, %Y", "Mon DD, YYYY"),
    ("%Y%m%d", "YYYYMMDD"),
)


def _to_date_dtype(d: pd.Series) -> pd.Series:
    if getattr(d.dtype, "tz", None) is not None:
        d = d.dt.tz_localize(None)
    if d.dtype != _DATE_DTYPE:
        d = d.astype(_DATE_DTYPE)
    return d


def _parse_date_text(t: pd.Series, empty: np.ndarray):
    """Text to dates: ISO 8601 first, then the common day-first / month-first forms.
    -> (datetime Series, list of format descriptions used)."""
    d = pd.to_datetime(t, errors="coerce", format="ISO8601")
    used: list[str] = []
    rest = ~empty & d.isna().to_numpy()
    if rest.any():
        d = d.astype(_DATE_DTYPE) if d.dtype != _DATE_DTYPE else d.copy()
        todo = t[rest]
        uniq = pd.Series(todo.unique()).dropna()
        while len(uniq):
            best, best_n, best_parsed = None, 0, None
            for fmt, label in _DATE_FORMATS:
                p = pd.to_datetime(uniq, errors="coerce", format=fmt)
                k = int(p.notna().sum())
                if k > best_n:
                    best, best_n, best_parsed = (fmt, label), k, p
            if best is None:
                break
            used.append(best[1])
            ok = best_parsed.notna().to_numpy()
            parsed = pd.Series(best_parsed[ok].to_numpy(), index=uniq[ok].to_numpy())
            hit = todo.isin(parsed.index).to_numpy(dtype=bool, na_value=False)
            pos = np.flatnonzero(rest)[hit]
            d.iloc[pos] = pd.to_datetime(todo[hit].map(parsed)).astype(_DATE_DTYPE).to_numpy()
            uniq = uniq[~ok]
    return d, used


def _parse_date(s: pd.Series):
    """-> (dates, bad, empty, formats used, numbers_found)."""
    idx = s.index
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        d = _to_date_dtype(s)
        return d, pd.Series(False, index=idx), d.isna(), [], False
    if pd.api.types.is_numeric_dtype(s.dtype):  # numbers are not dates
        empty = s.isna()
        d = pd.Series(pd.NaT, index=idx, dtype=_DATE_DTYPE)
        return d, ~empty, empty, [], bool((~empty).any())
    numbers = False
    if s.dtype == object:
        kind = pd.api.types.infer_dtype(s, skipna=True)
        if kind in ("datetime", "date", "datetime64"):
            d = _to_date_dtype(pd.to_datetime(s, errors="coerce"))
            return d, pd.Series(False, index=idx), s.isna(), [], False
        if kind not in ("string", "empty"):  # mixed cells (Excel): split by type
            is_dt = s.map(lambda v: isinstance(v, (_dt.date, np.datetime64)),
                          na_action="ignore").fillna(False).astype(bool)
            is_num = s.map(lambda v: isinstance(v, (int, float, np.number))
                           and not isinstance(v, bool), na_action="ignore")
            is_num = is_num.fillna(False).astype(bool) & s.notna()
            d = pd.Series(pd.NaT, index=idx, dtype=_DATE_DTYPE)
            if is_dt.any():
                d[is_dt] = _to_date_dtype(pd.to_datetime(s[is_dt], errors="coerce"))
            text = s.where(~(is_dt | is_num))
            t = _as_text(text)
            empty = t.isna().to_numpy() & ~is_num.to_numpy() & ~is_dt.to_numpy()
            tok = _null_tokens(t).to_numpy()
            empty |= tok
            dt_text, used = _parse_date_text(t.mask(tok), empty | is_dt.to_numpy())
            from_text = t.notna().to_numpy() & ~tok
            d[from_text] = dt_text[from_text].astype(_DATE_DTYPE)
            bad = ~empty & d.isna().to_numpy()
            numbers = bool(is_num.any())
            return d, pd.Series(bad, index=idx), pd.Series(empty, index=idx), used, numbers
    t = _as_text(s)
    empty = t.isna().to_numpy(dtype=bool)
    tok = _null_tokens(t).to_numpy() if not empty.all() else np.zeros(len(t), bool)
    if tok.any():
        empty = empty | tok
        t = t.mask(tok)
    d, used = _parse_date_text(t, empty)
    d = _to_date_dtype(d)
    bad = ~empty & d.isna().to_numpy()
    if bad.any():  # numbers in a text column of dates: Excel serial numbers
        numbers = bool(np.isfinite(_float_of(t[bad])).any())
    return d, pd.Series(bad, index=idx), pd.Series(empty, index=idx), used, numbers


def _parse_bool(s: pd.Series):
    """yes/no, true/false, 1/0 (and ja/nein, oui/non, x) -> (bool Series with NaN as
    False, bad, empty)."""
    idx = s.index
    if pd.api.types.is_bool_dtype(s.dtype) and not s.isna().any():
        return s.astype(bool), pd.Series(False, index=idx), pd.Series(False, index=idx)
    codes, u = _factorize_text(s)
    low = [x.lower() for x in u]
    truth = np.array([x in _TRUE for x in low] + [False], dtype=bool)
    known = np.array([(x in _TRUE or x in _FALSE or x in _NULL_TOKENS) for x in low]
                     + [True], dtype=bool)
    null = np.array([x in _NULL_TOKENS for x in low] + [True], dtype=bool)
    vals = truth[codes]
    bad = ~known[codes]
    empty = null[codes]
    return pd.Series(vals, index=idx), pd.Series(bad, index=idx), pd.Series(empty, index=idx)


def _category_key(v: str) -> str:
    return re.sub(r"[\s_\-]+", " ", str(v).strip().lower())


def _parse_category(s: pd.Series, allowed: tuple[str, ...] | None):
    """-> (object Series of canonical values / NaN, bad, empty, renamed count).

    Values are matched to the allowed list ignoring case, spaces, ``_`` and ``-``
    (``Off Season`` is ``off-season``). Works on the distinct values only (factorize),
    so a 10-million-row column costs one hashing pass."""
    codes, u = _factorize_text(s)
    empty = codes < 0
    if allowed:
        canon = {_category_key(a): a for a in allowed}
        mapped = [canon.get(_category_key(x)) for x in u]
        counts = np.bincount(codes[codes >= 0], minlength=len(u))
        renamed = int(sum(counts[i] for i, (x, m) in enumerate(zip(u, mapped))
                          if m is not None and m != x))
        known = np.array([m is not None for m in mapped] + [True], dtype=bool)
        out_u = np.array([m if m is not None else np.nan for m in mapped] + [np.nan],
                         dtype=object)
        bad = ~known[codes] & ~empty
    else:
        out_u = np.array(list(u) + [np.nan], dtype=object)
        bad = np.zeros(len(s), dtype=bool)
        renamed = 0
    vals = pd.Series(out_u[codes], index=s.index, dtype=object)
    return vals, pd.Series(bad, index=s.index), pd.Series(empty, index=s.index), renamed


def _factorize_text(s: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes (-1 = empty) and the distinct stripped texts of a column, hashing the raw
    values once and stripping only the distinct ones."""
    if isinstance(s.dtype, pd.StringDtype) or (
        s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")
    ):
        codes, uniq = pd.factorize(s)
        stripped = [str(x).strip() for x in uniq]
    else:
        t = _as_text(s)
        codes, uniq = pd.factorize(t)
        stripped = [str(x) for x in uniq]
    codes = np.asarray(codes, dtype=np.int64)
    distinct = list(dict.fromkeys(x for x in stripped if x))
    if distinct == stripped:
        return codes, stripped
    pos = {x: i for i, x in enumerate(distinct)}
    remap = np.array([pos.get(x, -1) for x in stripped] + [-1], dtype=np.int64)
    return remap[codes], distinct


def _typed(values: pd.Series, col: schema.Column) -> pd.Series:
    """The final dtype of a parsed column (what :func:`coerce_table` promises)."""
    if col.kind in ("id", "text"):
        out = values.astype("string")
        if col.default == "" and col.kind != "id":
            out = out.fillna("")
        return out
    if col.kind == "category":
        out = values if values.dtype == object else values.astype(object)
        if col.default == "":
            out = out.where(out.notna(), "")
        return out
    if col.kind == "date":
        return _to_date_dtype(values)
    if col.kind in ("float", "score"):
        return values.astype("float64")
    if col.kind == "int":
        a = values.to_numpy(dtype="float64", na_value=np.nan)
        fin = np.isfinite(a)
        a = np.where(fin, np.round(np.where(fin, a, 0)), np.nan)
        return pd.Series(a, index=values.index).astype("Int64")
    if col.kind == "bool":
        return values.fillna(False).astype(bool)
    raise ValueError(col.kind)


def _default_series(col: schema.Column, index: pd.Index) -> pd.Series:
    v = col.default
    if col.kind == "bool":
        return pd.Series(bool(v), index=index, dtype=bool)
    if col.kind in ("float", "score", "int"):
        return _typed(pd.Series(np.nan if v is None else float(v), index=index,
                                dtype="float64"), col)
    if col.kind == "date":
        return pd.Series(pd.NaT if v is None else pd.Timestamp(v), index=index,
                         dtype=_DATE_DTYPE)
    return _typed(pd.Series(v, index=index, dtype=object), col)


def _parse_column(s: pd.Series, col: schema.Column, decimal_comma: bool = False):
    """-> (typed values, bad, empty, info dict)."""
    info: dict = {}
    if col.kind in ("id", "text"):
        t = _as_text(s)
        empty = t.isna()
        return t, pd.Series(False, index=s.index), empty, info
    if col.kind == "category":
        v, bad, empty, renamed = _parse_category(s, col.allowed)
        info["renamed"] = renamed
        return v, bad, empty, info
    if col.kind == "date":
        d, bad, empty, used, numbers = _parse_date(s)
        info["formats"] = used
        info["numbers"] = numbers
        return d, bad, empty, info
    if col.kind in ("float", "score", "int"):
        v, bad, empty, text, fixed = _parse_number(s, decimal_comma)
        info["text"] = text
        info["reformatted"] = fixed
        if col.kind in ("int", "score"):
            a = v.to_numpy()
            frac = np.zeros(len(a), dtype=bool)
            fin = np.isfinite(a)
            frac[fin] = a[fin] != np.round(a[fin])
            info["fraction"] = pd.Series(frac & ~bad.to_numpy(), index=s.index)
        return v, bad, empty, info
    if col.kind == "bool":
        v, bad, empty = _parse_bool(s)
        return v, bad, empty, info
    raise ValueError(col.kind)


# ------------------------------------------------------------------ typing by schema


def coerce_table(df: pd.DataFrame, table: schema.Table) -> pd.DataFrame:
    """Give ``df`` the column types of ``table``; add missing optional columns.

    Assumes the data is valid (use :func:`check` or :func:`load` to validate): cells
    that cannot be read become empty. Column names must be the schema's names. Returns a
    new DataFrame with a fresh 0..n-1 index and the schema's columns in schema order.
    """
    out = {}
    for col in table.columns:
        if col.name in df.columns:
            v, _bad, _empty, _info = _parse_column(df[col.name], col)
            if col.kind == "bool" and col.default is not None:
                v = v.where(~_empty.to_numpy(), bool(col.default))
            out[col.name] = _typed(v, col)
        else:
            out[col.name] = _default_series(col, df.index)
    return _frame(out, df.index).reset_index(drop=True)


def _frame(columns: dict[str, pd.Series], index: pd.Index) -> pd.DataFrame:
    """A DataFrame from same-index Series without copying them into one block
    (``pd.DataFrame(dict)`` consolidates: seconds for 10 million rows)."""
    out = pd.DataFrame(index=index)
    for name, s in columns.items():
        out[name] = s
    return out


def empty_table(table: schema.Table) -> pd.DataFrame:
    """An empty DataFrame with the columns and types of ``table``."""
    return coerce_table(pd.DataFrame({c.name: [] for c in table.columns}), table)


# ------------------------------------------------------------------------ reading


@dataclass
class _Input:
    """One table as found in the source, before reading."""

    table: schema.Table
    label: str          # as shown to the user: "orders.csv", "export.xlsx, sheet Orders"
    kind: str           # "csv", "parquet", "excel"
    path: Path
    sheet: str = ""


@dataclass
class _Raw:
    """One table as read: the cells (text from CSV, typed from Parquet/Excel) with the
    index = file row - 2, and the header as it stood in the file."""

    frame: pd.DataFrame
    header: list[str]
    decimal_comma: bool = False


class _Checker:
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

    # -- collecting

    def add(self, file: str, column: str, rows, message: str, fix: str,
            table: str = "", n_rows: int | None = None) -> None:
        rows = np.asarray(rows, dtype=np.int64) if rows is not None else np.zeros(0, np.int64)
        rows = np.unique(rows)
        total = len(rows) if n_rows is None else n_rows
        self.problems.append(Problem(file=file, column=column,
                                     rows=tuple(rows[:KEEP_ROWS].tolist()),
                                     message=message, fix=fix, n_rows=total, table=table))

    def add_rows(self, inp: _Input, column: str, frame: pd.DataFrame, mask, message: str,
                 fix: str) -> None:
        mask = np.asarray(mask, dtype=bool)
        rows = frame.index.to_numpy()[mask] + 2
        self.add(inp.label, column, rows, message, fix, inp.table.name)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

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

    # -- finding the tables

    def _discover(self) -> bool:
        p = self.path
        if not p.exists():
            hint = ""
            parent = p.parent if str(p.parent) not in ("", ".") else Path(".")
            if parent.is_dir():
                near = difflib.get_close_matches(p.name, [x.name for x in _safe_listdir(parent)],
                                                 n=1, cutoff=0.6)
                if near:
                    hint = f" Did you mean {parent / near[0]}?"
            self.add(str(p), "", None, f"There is no file or folder {p}.",
                     "Give the folder that holds the exported tables (customers.csv, "
                     "orders.csv, ...) or an Excel workbook (.xlsx)." + hint)
            return False
        if p.is_file():
            suffix = p.suffix.lower()
            if suffix in EXCEL_SUFFIXES:
                self.kind = "Excel workbook"
                return self._discover_workbook(p)
            if suffix in OTHER_SPREADSHEETS:
                self.add(p.name, "", None, f"{p.name} is a {suffix} spreadsheet, which "
                         "the playbook cannot read.",
                         "Open it and save it as an Excel workbook (.xlsx), one sheet "
                         "per table, or as CSV files in a folder.")
                return False
            if suffix in TEXT_SUFFIXES + PARQUET_SUFFIXES:
                self.add(p.name, "", None, f"{p} is a single file; the data has several "
                         "tables.",
                         f"Give the folder that holds it ({p.parent}), with customers and "
                         "orders next to it.")
                return False
            self.add(p.name, "", None, f"{p} is not a folder of tables or an Excel "
                     "workbook.", "Give a folder of CSV or Parquet files, or an .xlsx "
                     "workbook with one sheet per table.")
            return False
        return self._discover_folder(p)

    def _discover_folder(self, folder: Path) -> bool:
        entries = _safe_listdir(folder)
        found: dict[str, list[Path]] = {}
        other: list[Path] = []
        workbooks: list[Path] = []
        for e in entries:
            suffix = e.suffix.lower()
            if suffix in EXCEL_SUFFIXES and not e.name.startswith("~$"):
                workbooks.append(e)
                continue
            if suffix not in TEXT_SUFFIXES + PARQUET_SUFFIXES:
                continue
            stem = _norm(e.stem)
            name = stem if stem in schema.TABLES else _TABLE_ALIASES.get(stem)
            if name is None:
                other.append(e)
                continue
            found.setdefault(name, []).append(e)
        if not found and len(workbooks) == 1:
            self.note(f"No table files in {folder}; read the workbook {workbooks[0].name}.")
            self.kind = "Excel workbook"
            return self._discover_workbook(workbooks[0])
        kinds = set()
        for name, paths in found.items():
            paths = sorted(paths, key=lambda x: (x.suffix.lower() not in PARQUET_SUFFIXES,
                                                 x.name))
            chosen = paths[0]
            if len(paths) > 1:
                self.note(f"{name}: several files ({', '.join(x.name for x in paths)}); "
                          f"read {chosen.name}, ignored the others.")
            kind = "parquet" if chosen.suffix.lower() in PARQUET_SUFFIXES else "csv"
            kinds.add(kind)
            self.inputs[name] = _Input(schema.TABLES[name], chosen.name, kind, chosen)
            if _norm(chosen.stem) != name:
                self.note(f"{chosen.name} read as the {name} table.")
        if not self.kind:
            self.kind = {frozenset({"csv"}): "folder of CSV files",
                         frozenset({"parquet"}): "folder of Parquet files"}.get(
                frozenset(kinds), "folder of CSV and Parquet files")
        unused = [x.name for x in other]
        if not found:
            listing = ", ".join(x.name for x in entries[:12]) or "nothing"
            self.add(str(folder), "", None,
                     f"No data tables found in {folder} (it holds: {listing}).",
                     "Put the exported tables there as customers.csv, orders.csv and, "
                     "optionally, " + ", ".join(
                         f"{n}.csv" for n, t in schema.TABLES.items() if not t.required)
                     + " (or .parquet files), or give an Excel workbook (.xlsx).")
            return False
        self._missing_tables({e.name: e.stem for e in other}, "file", ".csv")
        if workbooks:
            self.note("Ignored the workbook(s) " + ", ".join(w.name for w in workbooks)
                      + ": the folder has table files. Check a workbook with "
                      "`kam data check WORKBOOK.xlsx`.")
        leftover = [n for n in unused if not any(n in x for x in self.notes)]
        if leftover:
            self.note("Ignored files that are not tables of the playbook: "
                      + ", ".join(leftover[:10]) + (" ..." if len(leftover) > 10 else "")
                      + ".")
        return True

    def _discover_workbook(self, path: Path) -> bool:
        try:
            self._workbook = pd.ExcelFile(path, engine="openpyxl")
            sheets = [str(s) for s in self._workbook.sheet_names]
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
            self.add(path.name, "", None, f"{path.name} could not be opened as an Excel "
                     f"workbook ({_exc_text(exc)}).",
                     "Is it password-protected, still open in another program, or "
                     "another format renamed to .xlsx? Save it again from Excel as "
                     "'Excel Workbook (.xlsx)'.")
            return False
        except Exception as exc:  # openpyxl raises its own exception types
            self.add(path.name, "", None, f"{path.name} could not be opened as an Excel "
                     f"workbook ({_exc_text(exc)}).",
                     "Save it again from Excel as 'Excel Workbook (.xlsx)'.")
            return False
        other = {}
        for sh in sheets:
            key = _norm(sh)
            name = key if key in schema.TABLES else _TABLE_ALIASES.get(key)
            if name is None:
                other[sh] = sh
                continue
            if name in self.inputs:
                self.note(f"{name}: several sheets ({self.inputs[name].sheet}, {sh}); "
                          f"read {self.inputs[name].sheet}.")
                continue
            self.inputs[name] = _Input(schema.TABLES[name], f"{path.name}, sheet {sh}",
                                       "excel", path, sheet=sh)
            if _norm(sh) != name:
                self.note(f"Sheet '{sh}' read as the {name} table.")
        self._missing_tables(other, "sheet", "", workbook=path.name, sheets=sheets)
        if other:
            self.note("Ignored sheets that are not tables of the playbook: "
                      + ", ".join(f"'{s}'" for s in other) + ".")
        return True

    def _missing_tables(self, other: dict[str, str], what: str, suffix: str,
                        workbook: str = "", sheets: list[str] | None = None) -> None:
        """Problems for missing required tables (with the closest file/sheet name),
        notes for missing optional ones. ``other``: unmatched file/sheet -> its stem."""
        stems = {_norm(stem): shown for shown, stem in other.items()}
        for name, table in schema.TABLES.items():
            if name in self.inputs:
                continue
            near = difflib.get_close_matches(name, list(stems), n=1, cutoff=0.75)
            where = f"The workbook {workbook} has no sheet named '{name}'" if workbook else (
                f"There is no {name}{suffix or '.csv'} (or {name}.parquet)")
            if table.required:
                if near:
                    msg = (f"{where}; there is a {what} '{stems[near[0]]}'. Did you mean "
                           f"{name}?")
                    fix = f"Rename the {what} '{stems[near[0]]}' to {name}{suffix}."
                else:
                    have = (f" (sheets: {', '.join(repr(s) for s in sheets)})"
                            if sheets else "")
                    msg = f"{where}{have}. The {name} table is required."
                    fix = (f"Export the {name} table ({table.meaning.lower().rstrip('.')}) "
                           f"as {name}{suffix or '.csv'}"
                           + (" or a sheet of that name" if workbook else "")
                           + "; its columns are listed in data/README.md.")
                self.add(workbook or f"{name}{suffix or '.csv'}", "", None, msg, fix, name)
            else:
                effect = MISSING_TABLE_EFFECT.get(name, "")
                if near:
                    self.note(f"No {name} table; the {what} '{stems[near[0]]}' looks like "
                              f"it (rename it to {name}{suffix} to use it). Without it: "
                              f"{effect}.")
                    other.pop(stems[near[0]], None)
                else:
                    self.note(f"No {name} table (optional): {effect}.")

    # -- reading one table

    def _read(self, inp: _Input) -> _Raw | None:
        try:
            if inp.kind == "csv":
                raw = self._read_csv(inp)
            elif inp.kind == "parquet":
                raw = self._read_parquet(inp)
            else:
                raw = self._read_excel(inp)
        except MemoryError:
            self.add(inp.label, "", None, "The file is too large for this computer's "
                     "memory.", "Use Parquet files, or a computer with more memory.",
                     inp.table.name)
            return None
        if raw is None:
            return None
        df = raw.frame
        if len(df.columns) == 0:
            what = "sheet" if inp.kind == "excel" else (
                "folder" if inp.path.is_dir() else "file")
            if inp.table.required:
                self.add(inp.label, "", None, f"The {what} is empty: no column names, no "
                         "rows.", f"Export the {inp.table.name} table again, with its "
                         "header and rows.", inp.table.name)
            else:
                self.note(f"{inp.label} is empty: "
                          f"{MISSING_TABLE_EFFECT.get(inp.table.name, '')}.")
            return None
        # rows where every cell is empty (blank lines, formatted but empty Excel rows)
        if len(df) and len(df.columns):
            filled = df.notna().any(axis=1).to_numpy(dtype=bool)
            if not filled.all():
                raw.frame = df = df[filled]
        if len(df) == 0:
            if inp.table.required:
                self.add(inp.label, "", None, "The file has column names but no rows "
                         f"(no {_ROW_WORDS[inp.table.name][1]}).",
                         "Export the table again with its data.", inp.table.name)
            else:
                effect = MISSING_TABLE_EFFECT.get(inp.table.name, "")
                self.note(f"{inp.label} has no rows: {effect}.")
        return raw

    def _read_csv(self, inp: _Input) -> _Raw | None:
        p, label, tname = inp.path, inp.label, inp.table.name
        if p.is_dir():
            self.add(label, "", None, f"{label} is a folder, not a file.",
                     f"Put the {tname} table in a file named {tname}.csv.", tname)
            return None
        try:
            data = p.read_bytes()
        except OSError as exc:
            self.add(label, "", None, f"The file could not be opened ({_exc_text(exc)}).",
                     "Check that it is not open in another program and that you may "
                     "read it.", tname)
            return None
        if len(data) == 0:
            self.add(label, "", None, "The file is empty (0 bytes).",
                     "Export the table again: the file has no content at all.", tname)
            return None
        if not data.strip(b" \t\r\n\x00\xef\xbb\xbf"):
            self.add(label, "", None, "The file holds only blank lines.",
                     "Export the table again, with its header and rows.", tname)
            return None
        magic = data[:8]
        if magic.startswith(b"PK\x03\x04") or magic.startswith(b"\xd0\xcf\x11\xe0"):
            self.add(label, "", None, "This is not a CSV file but an Excel workbook (or "
                     "another packed file) with a .csv name.",
                     "Open it in Excel and save it as 'CSV UTF-8 (comma delimited)', or "
                     "give the workbook itself to the playbook.", tname)
            return None
        if magic.startswith(b"PAR1"):
            self.add(label, "", None, "This is a Parquet file with a .csv name.",
                     f"Rename it to {tname}.parquet.", tname)
            return None
        encoding, text = "utf-8", None
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            try:
                text = data.decode("utf-16")
                encoding = "utf-16"
                self.note(f"{label} is UTF-16 text (Excel's 'Unicode text'); read it as such.")
            except UnicodeDecodeError:
                text = None
        if text is None and b"\x00" in data:
            line = int(data[: data.index(b"\x00")].count(b"\n")) + 1
            self.add(label, "", [line], "The file contains binary data, not text: it is "
                     "not a CSV file (a damaged file, or another format renamed to .csv).",
                     "Export the table again as 'CSV UTF-8 (comma delimited)'.", tname)
            return None
        if text is None:
            encoding = self._encoding(data, inp)
            if encoding is None:
                return None
        head = (text if text is not None else data[:200_000].decode(
            encoding if encoding != "utf-8" else "utf-8-sig", errors="replace"))
        header_line = head.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
        sep, header = _detect_separator(header_line)
        decimal_comma = sep != ","
        if sep != ",":
            name = {";": "semicolons (;)", "\t": "tabs", "|": "vertical bars (|)"}[sep]
            self.note(f"{label} is separated by {name}"
                      + (", with decimal commas understood (9,80 = 9.8)" if sep == ";"
                         else "") + "; read accordingly.")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                buf = io.StringIO(text) if text is not None else io.BytesIO(data)
                df = pd.read_csv(
                    buf, sep=sep, dtype=str, keep_default_na=False, na_values=[""],
                    skip_blank_lines=False, on_bad_lines="warn", engine="c",
                    encoding=None if text is not None else (
                        "utf-8-sig" if encoding == "utf-8" else encoding),
                    encoding_errors="replace", index_col=False,
                )
            except pd.errors.EmptyDataError:
                self.add(label, "", None, "The file has no header line.",
                         "Export the table again with its column names on the first line.",
                         tname)
                return None
            except (pd.errors.ParserError, ValueError, UnicodeError) as exc:
                msg = _exc_text(exc)
                m = re.search(r"starting at row (\d+)", msg)
                rows = [int(m.group(1)) + 1] if m else None
                if "EOF inside string" in msg:
                    self.add(label, "", rows, "A quote (\") opened here is never closed, "
                             "so the rest of the file reads as one value.",
                             "Close the quote, or remove the stray \" character from the "
                             "value.", tname)
                else:
                    self.add(label, "", rows, f"The file could not be read as CSV ({msg}).",
                             "Export the table again as 'CSV UTF-8 (comma delimited)'.",
                             tname)
                return None
        bad_lines: list[int] = []
        saw: dict[int, int] = {}
        expected = len(df.columns)
        for w in caught:
            for m in re.finditer(r"line (\d+): expected (\d+) fields, saw (\d+)",
                                 str(w.message)):
                bad_lines.append(int(m.group(1)))
                saw[int(m.group(1))] = int(m.group(3))
                expected = int(m.group(2))
        if bad_lines:
            counts = _values_text(pd.Series(sorted(set(saw.values()))))
            self.add(label, "", bad_lines,
                     f"These rows have more values ({counts}) than the header has columns "
                     f"({expected}); they were not read.",
                     f"A value probably contains the separator '{_sep_name(sep)}' without "
                     "quotes (a company name like 'Nordfeed, Inc.' or a number with a "
                     "decimal comma). Put such values in double quotes, as Excel does "
                     "when it saves CSV, or remove the extra separator.", tname)
            total = len(df) + len(bad_lines)
            lines = np.setdiff1d(np.arange(2, total + 2), np.asarray(bad_lines))
            df.index = pd.Index(lines[: len(df)] - 2)
        if not header or len(header) != len(df.columns):
            header = [str(c) for c in df.columns]
        return _Raw(df, header, decimal_comma=decimal_comma)

    def _encoding(self, data: bytes, inp: _Input) -> str | None:
        """utf-8 when it decodes; else cp1252 (noted) or a problem naming the rows."""
        try:
            data.decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError:
            pass
        label, tname = inp.label, inp.table.name
        arr = np.frombuffer(data, dtype=np.uint8)
        nl = np.flatnonzero(arr == 10)
        starts = np.concatenate([[0], nl + 1])
        ends = np.concatenate([nl, [len(data)]])
        hi_lines = np.unique(np.searchsorted(nl, np.flatnonzero(arr >= 0x80)))
        utf8_lines, other_lines = [], []
        for i in hi_lines[:200_000]:
            try:
                data[starts[i]:ends[i]].decode("utf-8")
                utf8_lines.append(i)
            except UnicodeDecodeError:
                other_lines.append(i)
        if utf8_lines and other_lines:
            self.add(label, "", np.asarray(other_lines) + 1,
                     "These rows hold characters in another encoding than the rest of "
                     "the file (UTF-8): accented letters there would be read wrong.",
                     "The file mixes encodings (rows pasted from another file?). Retype "
                     "the accented names in these rows, or save the file again as "
                     "'CSV UTF-8 (comma delimited)'.", tname)
            return None
        undefined = np.isin(arr, np.array([0x81, 0x8D, 0x8F, 0x90, 0x9D], dtype=np.uint8))
        if undefined.any():
            rows = np.unique(np.searchsorted(nl, np.flatnonzero(undefined))) + 1
            self.add(label, "", rows,
                     "These rows hold bytes that are neither UTF-8 nor Windows-1252 text: "
                     "the file's encoding cannot be recognised.",
                     "Save the file as 'CSV UTF-8 (comma delimited)' in Excel, or export "
                     "it again with the encoding set to UTF-8.", tname)
            return None
        self.note(f"{label} is not UTF-8; read it as Windows-1252 (Western European, "
                  "Excel's default). Check that accented names look right, or save it as "
                  "'CSV UTF-8' to be sure.")
        return "cp1252"

    def _read_parquet(self, inp: _Input) -> _Raw | None:
        import pyarrow.parquet as pq

        p, label, tname = inp.path, inp.label, inp.table.name
        try:
            if p.is_dir():  # a Parquet dataset (a folder of part files, as Spark writes)
                names = list(pq.ParquetDataset(p).schema.names)
            elif p.stat().st_size == 0:
                self.add(label, "", None, "The file is empty (0 bytes).",
                         "Write the table again: the file has no content at all.", tname)
                return None
            else:
                names = pq.read_schema(p).names
            want = [n for n in names if not n.startswith("__index_level_")]
            table = pq.read_table(p, columns=_parquet_columns(want, inp.table))
            df = table.to_pandas()
        except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
            self.add(label, "", None, f"The file could not be read as Parquet "
                     f"({_exc_text(exc)}).",
                     "Write it again (pandas: df.to_parquet(path, index=False)), or "
                     "export the table as CSV.", tname)
            return None
        df = df.reset_index(drop=True)
        return _Raw(df, [str(c) for c in df.columns])

    def _read_excel(self, inp: _Input) -> _Raw | None:
        label, tname = inp.label, inp.table.name
        try:
            df = pd.read_excel(self._workbook, sheet_name=inp.sheet, dtype=object,
                               keep_default_na=False, na_values=[""], header=0)
        except Exception as exc:  # openpyxl/zipfile errors
            self.add(label, "", None, f"The sheet could not be read ({_exc_text(exc)}).",
                     "Save the workbook again from Excel as 'Excel Workbook (.xlsx)'.",
                     tname)
            return None
        header = [str(c) for c in df.columns]
        # empty header cells come back as "Unnamed: 3": drop such columns when empty
        drop = [c for c in df.columns if str(c).startswith("Unnamed:") and df[c].isna().all()]
        if drop:
            df = df.drop(columns=drop)
            header = [str(c) for c in df.columns]
        df = df.reset_index(drop=True)
        return _Raw(df, header)

    # -- columns

    def _columns(self, inp: _Input, raw: _Raw) -> pd.DataFrame | None:
        """Rename the file's columns to the schema's; problems for missing required
        columns (with the closest header), notes for the rest."""
        table, label, tname = inp.table, inp.label, inp.table.name
        df = raw.frame
        header = raw.header
        if len(header) == 1 and len(table.columns) > 1 and _norm(header[0]) not in (
                table.column_names):
            self.add(label, "", [1], f"Only one column was found; the header line reads "
                     f"{_fmt(header[0])}.",
                     "Separate the values with commas (or semicolons or tabs), one "
                     "column per field, as Excel does when it saves CSV.", tname)
            return None
        wanted = set(table.column_names)
        mapping: dict[str, str] = {}
        first_pos: dict[str, int] = {}
        unknown: list[str] = []
        for pos, (col, raw_name) in enumerate(zip(df.columns, header)):
            key = _norm(raw_name)
            if key in wanted:
                if key in first_pos:
                    self.add(label, key, [1], f"The column {key} appears twice in the "
                             f"header (columns {first_pos[key] + 1} and {pos + 1}: "
                             f"{_fmt(header[first_pos[key]])} and {_fmt(raw_name)}).",
                             "Keep one of them and delete or rename the other.", tname)
                    continue
                first_pos[key] = pos
                mapping[col] = key
                if raw_name != key:
                    self.note(f"{label}: column {_fmt(raw_name)} read as {key}.")
            elif key == "" or raw_name.startswith("Unnamed:"):
                if df[col].notna().any():
                    self.note(f"{label}: a column without a name (column {pos + 1}) was "
                              "ignored.")
            else:
                unknown.append(raw_name)
        out = df[list(mapping)].rename(columns=mapping)
        unknown_keys = {_norm(u): u for u in unknown}
        missing_required, missing_optional = [], []
        for col in table.columns:
            if col.name in out.columns:
                continue
            near = difflib.get_close_matches(col.name, list(unknown_keys), n=1, cutoff=0.75)
            guess = unknown_keys.pop(near[0]) if near else None
            if col.required:
                missing_required.append(col.name)
                if guess is not None:
                    self.add(label, col.name, [1], f"The required column {col.name} is "
                             f"missing; there is a column {_fmt(guess)}. Did you mean "
                             f"{col.name}?",
                             f"Rename the column {_fmt(guess)} to {col.name}.", tname)
                else:
                    have = ", ".join(header[:15]) + (" ..." if len(header) > 15 else "")
                    first = len(missing_required) == 1
                    self.add(label, col.name, [1], f"The required column {col.name} is "
                             f"missing ({col.meaning.rstrip('.')}).",
                             f"Add a column named {col.name}."
                             + (f" The file's columns are: {have}." if first else ""),
                             tname)
            else:
                missing_optional.append(col.name)
                if guess is not None:
                    self.note(f"{label}: column {_fmt(guess)} was ignored; did you mean "
                              f"{col.name}? Rename it to use it (until then {col.name} "
                              f"takes its default{_default_text(col)}).")
        if missing_optional:
            names = [c for c in missing_optional
                     if not any(f"did you mean {c}?" in n for n in self.notes)]
            if names:
                self.note(f"{label}: optional columns not given, filled with defaults: "
                          f"{', '.join(names)}.")
        if unknown_keys:
            self.note(f"{label}: columns not used by the playbook were ignored: "
                      + ", ".join(_fmt(u) for u in unknown_keys.values()) + ".")
        self.missing_cols[tname] = set(missing_required)
        return out

    # -- values

    def _values(self, inp: _Input, df: pd.DataFrame, decimal_comma: bool) -> pd.DataFrame:
        table, tname = inp.table, inp.table.name
        words = _ROW_WORDS[tname]
        out: dict[str, pd.Series] = {}
        for col in table.columns:
            name = col.name
            if name not in df.columns:
                if name == "order_line" and tname == "orders" and "order_id" in df.columns \
                        and len(df):
                    ids = _as_text(df["order_id"])
                    out[name] = (ids.groupby(ids, dropna=False, sort=False).cumcount()
                                 + 1).astype("Int64")
                    self.note(f"{inp.label}: no order_line column; the lines of each order "
                              "were numbered 1, 2, 3... in file order.")
                else:
                    out[name] = _default_series(col, df.index)
                continue
            vals, bad, empty, info = _parse_column(df[name], col, decimal_comma)
            bad_np = bad.to_numpy(dtype=bool)
            empty_np = empty.to_numpy(dtype=bool)
            if bad_np.any():
                self._bad_values(inp, df, col, bad_np, info)
            if col.kind in ("int", "score") and info.get("fraction") is not None:
                frac = info["fraction"].to_numpy(dtype=bool)
                if frac.any():
                    what = "a score" if col.kind == "score" else "a whole number"
                    self.add_rows(inp, name, df, frac,
                                  f"{name} is not {what} "
                                  f"({_values_text(vals[frac])}).",
                                  "Write whole numbers"
                                  + (" from 1 to 5." if col.kind == "score" else "."))
                    vals = vals.where(~frac)
            if empty_np.any() and not col.nullable:
                if col.default is not None:
                    fill = _default_series(col, df.index)
                    vals = vals.where(~empty_np, fill) if col.kind != "bool" else \
                        vals.where(~empty_np, bool(col.default))
                    k = int(empty_np.sum())
                    self.note(f"{inp.label}: {_plural(k, 'empty cell')} in {name} {_was(k)} "
                              f"read as its default{_default_text(col)}.")
                else:
                    self.add_rows(inp, name, df, empty_np, f"{name} is empty.",
                                  _empty_fix(col, words))
            if info.get("formats"):
                self.note(f"{inp.label}: {name} has dates written as "
                          f"{' and '.join(info['formats'])}; read "
                          + ("day first." if any(f.startswith("DD") for f in info["formats"])
                             else "accordingly.")
                          + " YYYY-MM-DD avoids any doubt.")
            if info.get("reformatted"):
                k = info["reformatted"]
                self.note(f"{inp.label}: {_plural(k, 'number')} in {name} written with "
                          f"thousands separators or a decimal comma {_was(k)} read as "
                          f"{'a number' if k == 1 else 'numbers'}.")
            if info.get("renamed"):
                k = info["renamed"]
                self.note(f"{inp.label}: {_plural(k, 'value')} in {name} written "
                          f"differently from the list (case, spaces) {_was(k)} read as "
                          "the listed value.")
            ok = ~bad_np & ~empty_np
            self._bounds(inp, df, col, vals, ok)
            if col.kind == "date":
                a = vals.to_numpy()
                odd = ok & ((a < _EARLIEST.to_datetime64()) | (a > _LATEST.to_datetime64()))
                if odd.any():
                    self.add_rows(inp, name, df, odd,
                                  f"{name} lies outside the years 1900-2100 "
                                  f"({_values_text(vals[odd])}).",
                                  "Check the year for a typo (2204 for 2024?).")
                    vals = vals.where(~odd)
            out[name] = _typed(vals, col)
        return _frame(out, df.index)

    def _bad_values(self, inp: _Input, df: pd.DataFrame, col: schema.Column,
                    bad: np.ndarray, info: dict) -> None:
        name = col.name
        raw_vals = df[name][bad]
        shown = _values_text(_as_text(raw_vals) if raw_vals.dtype != object else raw_vals)
        if col.kind in ("float", "int", "score"):
            hint = ""
            text = _as_text(raw_vals).dropna()
            if text.str.contains(",", regex=False).any():
                hint = (" A comma is not read as a decimal point in a comma-separated "
                        "file: write 9.80, not 9,80 (or use ; as the separator).")
            self.add_rows(inp, name, df, bad,
                          f"{name} is not a number ({shown}).",
                          "Write plain numbers: digits with a point as decimal separator, "
                          "no units, currency signs or words (1250.5, not '1 250,5 kg')."
                          + hint)
        elif col.kind == "date":
            hint = (" Numbers like 45000 are Excel date serials shown as numbers: format "
                    "the column as Date in Excel before exporting." if info.get("numbers")
                    else "")
            self.add_rows(inp, name, df, bad,
                          f"{name} is not a date that can be read ({shown}).",
                          "Write dates as YYYY-MM-DD (2024-05-13); check for impossible "
                          "dates such as 2024-02-30." + hint)
        elif col.kind == "bool":
            self.add_rows(inp, name, df, bad,
                          f"{name} must be yes or no ({shown}).",
                          "Write yes or no (true/false and 1/0 are understood too).")
        elif col.kind == "category":
            uniq = pd.unique(_as_text(raw_vals).to_numpy(dtype=object))
            parts = []
            for v in uniq[:SHOW_VALUES]:
                near = difflib.get_close_matches(_category_key(v),
                                                 [_category_key(a) for a in col.allowed],
                                                 n=1, cutoff=0.6)
                if near:
                    match = next(a for a in col.allowed if _category_key(a) == near[0])
                    parts.append(f"{_fmt(v)} (did you mean '{match}'?)")
                else:
                    parts.append(_fmt(v))
            if len(uniq) > SHOW_VALUES:
                parts.append(f"and {len(uniq) - SHOW_VALUES} other values")
            self.add_rows(inp, name, df, bad,
                          f"{name} has values that are not on its list: "
                          f"{', '.join(parts)}.",
                          f"Use one of: {', '.join(col.allowed)}.")

    def _bounds(self, inp: _Input, df: pd.DataFrame, col: schema.Column, vals: pd.Series,
                ok: np.ndarray) -> None:
        if col.kind not in ("float", "int", "score") or (col.minimum is None
                                                          and col.maximum is None):
            return
        a = vals.to_numpy(dtype="float64", na_value=np.nan)
        low = ok & (a < col.minimum) if col.minimum is not None else np.zeros(len(a), bool)
        high = ok & (a > col.maximum) if col.maximum is not None else np.zeros(len(a), bool)
        name = col.name
        if col.kind == "score" or (col.minimum is not None and col.maximum is not None
                                   and (low | high).any()):
            both = low | high
            if both.any():
                self.add_rows(inp, name, df, both,
                              f"{name} is outside {_fmt(col.minimum)}-{_fmt(col.maximum)} "
                              f"({_values_text(vals[both])}).", _bounds_fix(col))
            return
        if low.any():
            what = "negative" if col.minimum == 0 else f"below {_fmt(col.minimum)}"
            self.add_rows(inp, name, df, low, f"{name} is {what} ({_values_text(vals[low])}).",
                          _bounds_fix(col))
        if high.any():
            self.add_rows(inp, name, df, high,
                          f"{name} is above {_fmt(col.maximum)} ({_values_text(vals[high])}).",
                          _bounds_fix(col))

    # -- across rows and tables

    def _keys(self) -> None:
        for name, df in self.frames.items():
            table = schema.TABLES[name]
            key = list(table.key)
            if any(k in self.missing_cols.get(name, ()) for k in key) or not len(df):
                continue
            complete = np.ones(len(df), dtype=bool)
            for k in key:
                complete &= df[k].notna().to_numpy(dtype=bool)
            dup = _duplicated(df, key) & complete
            if not dup.any():
                continue
            inp = self.inputs[name]
            sub = df.loc[dup, key]
            firsts = sub.drop_duplicates().head(3)
            examples = []
            for _, r in firsts.iterrows():  # at most 3 examples
                m = np.ones(len(sub), dtype=bool)
                for k in key:
                    m &= (sub[k] == r[k]).to_numpy(dtype=bool, na_value=False)
                rows = sub.index.to_numpy()[m] + 2
                what = " ".join(f"{_fmt(r[k]) if k.endswith('_id') else k + ' ' + _fmt(r[k])}"
                                for k in key)
                examples.append(f"{what} (rows {', '.join(str(x) for x in rows[:5])})")
            n_keys = len(sub.drop_duplicates())
            more = f" and {n_keys - 3:,} more" if n_keys > 3 else ""
            self.add_rows(inp, key[0] if len(key) == 1 else ", ".join(key), df, dup,
                          f"The same {' and '.join(key)} appears on more than one row: "
                          f"{'; '.join(examples)}{more}.", _duplicate_fix(name, key))

    def _references(self) -> None:
        for name, df in self.frames.items():
            table = schema.TABLES[name]
            for col, target in table.references.items():
                if col in self.missing_cols.get(name, ()) or not len(df):
                    continue
                if target not in self.frames:
                    if target not in self.inputs and not schema.TABLES[target].required:
                        self.note(f"{self.inputs[name].label}: {col} not checked against "
                                  f"{target} (no {target} table).")
                    continue
                tdf = self.frames[target]
                if col in self.missing_cols.get(target, ()):
                    continue
                if not len(tdf) and not schema.TABLES[target].required:
                    continue  # an optional table given empty: "not checked" was noted
                known = tdf[col]
                vals = df[col]
                present = vals.notna().to_numpy(dtype=bool)
                unknown = present & ~_isin(vals, known)
                if not unknown.any():
                    continue
                inp = self.inputs[name]
                tlabel = self.inputs[target].label
                n_ids = int(pd.unique(vals[unknown].to_numpy(dtype=object)).size)
                words = _ROW_WORDS[name]
                self.add_rows(
                    inp, col, df, unknown,
                    f"{_plural(int(unknown.sum()), words[0], words[1])} "
                    f"{'refers' if int(unknown.sum()) == 1 else 'refer'} to "
                    f"{'a ' + col if n_ids == 1 else _plural(n_ids, col)} not in "
                    f"{tlabel}: {_values_text(vals[unknown])}.",
                    f"Add the missing {target} to {tlabel}, or correct the ids (look "
                    "for typos, extra spaces, or leading zeros lost in Excel).")

    def _dates(self) -> None:
        o = self.frames.get("orders")
        if o is None or not len(o):
            return
        inp = self.inputs["orders"]
        od = o["order_date"]
        for col, fix in (
            ("actual_delivery_date", "Goods cannot arrive before they were ordered: check "
             "both dates (a swapped day and month, 05/01 for 01/05, is a common cause)."),
            ("promised_delivery_date", "A delivery cannot be promised for a day before the "
             "order: check both dates (a swapped day and month is a common cause)."),
        ):
            if col in self.missing_cols.get("orders", ()):
                continue
            d = o[col]
            before = (d < od).to_numpy(dtype=bool, na_value=False)
            if before.any():
                ex = o.loc[before, [col, "order_date"]].head(3)
                shown = "; ".join(f"{a:%Y-%m-%d} before {b:%Y-%m-%d}"
                                  for a, b in zip(ex[col], ex["order_date"]))
                verb = "delivered" if col.startswith("actual") else "promised"
                self.add_rows(inp, col, o, before,
                              f"{col} is before order_date ({verb} {shown}"
                              + (" ..." if before.sum() > 3 else "") + ").", fix)

    # -- summary

    def summary(self) -> DataSummary:
        files = {n: self.inputs[n].label for n in self.frames}
        rows = {n: int(len(df)) for n, df in self.frames.items()}
        kw: dict = {}
        c = self.frames.get("customers")
        if c is not None:
            kw["customers"] = int(c["customer_id"].nunique())
        p = self.frames.get("products")
        if p is not None:
            kw["products"] = int(p["product_id"].nunique())
        o = self.frames.get("orders")
        if o is not None and len(o):
            kw["order_lines"] = int(len(o))
            kw["orders"] = _n_distinct(o["order_id"])
            kw["customers_with_orders"] = int(o["customer_id"].nunique())
            od = o["order_date"]
            if od.notna().any():
                kw["first_order_date"] = od.min()
                kw["last_order_date"] = od.max()
            rev = (o["delivered_kg"] * o["net_price_per_kg"]).fillna(0.0)
            kw["revenue"] = float(rev.sum())
            kw["volume_kg"] = float(o["delivered_kg"].fillna(0.0).sum())
            if od.notna().any():
                by = rev.groupby(od.dt.year).sum()
                kw["revenue_by_year"] = {int(y): float(v) for y, v in by.items()}
        r = self.frames.get("rebates")
        if r is not None:
            kw["rebates_paid"] = float(r["rebate_paid"].fillna(0.0).sum())
        return DataSummary(source=self.source, kind=self.kind, files=files, rows=rows,
                           notes=tuple(self.notes), **kw)


# ----------------------------------------------------------------- helpers (reading)


def _safe_listdir(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir(), key=lambda x: x.name.lower())
    except OSError:
        return []


def _exc_text(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _sep_name(sep: str) -> str:
    return {"\t": "tab"}.get(sep, sep)


def _detect_separator(header_line: str) -> tuple[str, list[str]]:
    """The separator giving the most columns on the header line (comma on a tie)."""
    best, best_fields = ",", None
    for sep in (",", ";", "\t", "|"):
        try:
            fields = next(csv.reader([header_line], delimiter=sep))
        except (csv.Error, StopIteration):
            continue
        if best_fields is None or len(fields) > len(best_fields):
            best, best_fields = sep, fields
    return best, [f.strip().lstrip("\ufeff") for f in (best_fields or [])]


def _parquet_columns(names: list[str], table: schema.Table) -> list[str]:
    """The file's columns worth reading: those that match the schema (by normalised
    name) and, to report misspellings, the unknown ones too when they are few."""
    wanted = set(table.column_names)
    known = [n for n in names if _norm(n) in wanted]
    unknown = [n for n in names if _norm(n) not in wanted]
    return known + unknown[:20]


def _isin(values: pd.Series, known: pd.Series) -> np.ndarray:
    """Vectorised membership (pyarrow's is_in when both are Arrow strings)."""
    if _is_arrow_string(values) and _is_arrow_string(known):
        import pyarrow as pa
        import pyarrow.compute as pc

        va = pa.array(values.array)
        ka = pa.array(known.dropna().array)
        if va.type != ka.type:
            ka = ka.cast(va.type)
        return np.asarray(pc.is_in(va, value_set=ka).to_numpy(zero_copy_only=False),
                          dtype=bool)
    return values.isin(known.dropna()).to_numpy(dtype=bool, na_value=False)


def _runs_sorted(s: pd.Series) -> np.ndarray | None:
    """Group numbers for a column whose equal values are contiguous (sorted as text, or
    as ids of growing length: SO9, SO10), else None. O(n) without hashing."""
    n = len(s)
    if n < 2:
        return np.zeros(n, dtype=np.int64)
    if _is_arrow_string(s):
        import pyarrow as pa
        import pyarrow.compute as pc

        a = pa.array(s.array)
        if a.null_count:
            return None
        x, y = a.slice(0, n - 1), a.slice(1)
        eq = pc.equal(x, y).to_numpy(zero_copy_only=False)
        le = pc.less_equal(x, y).to_numpy(zero_copy_only=False)
        if not le.all():
            lx, ly = pc.utf8_length(x).to_numpy(), pc.utf8_length(y).to_numpy()
            natural = (lx < ly) | ((lx == ly) & le)
            if not natural.all():
                return None
    elif pd.api.types.is_numeric_dtype(s.dtype) and not s.isna().any():
        a = s.to_numpy()
        eq = a[:-1] == a[1:]
        if not (a[:-1] <= a[1:]).all():
            return None
    else:
        return None
    return np.concatenate([[0], np.cumsum(~np.asarray(eq, dtype=bool))]).astype(np.int64)


def _n_distinct(s: pd.Series) -> int:
    """Number of distinct non-empty values (adjacent comparisons when sorted)."""
    runs = _runs_sorted(s)
    if runs is not None:
        return int(runs[-1] + 1) if len(runs) else 0
    return int(s.nunique())


def _duplicated(df: pd.DataFrame, key: list[str]) -> np.ndarray:
    """Rows whose key occurs more than once (all of them, like ``keep=False``).

    Fast path for exports sorted by their first key column (the usual case): integer
    group numbers from adjacent comparisons instead of hashing millions of strings."""
    groups = _runs_sorted(df[key[0]])
    if groups is None:
        groups = pd.factorize(df[key[0]])[0].astype(np.int64)
    codes = groups
    for k in key[1:]:
        s = df[k]
        if pd.api.types.is_integer_dtype(s.dtype) and not s.isna().any():
            v = s.to_numpy(dtype=np.int64)
        else:
            v = pd.factorize(s)[0].astype(np.int64)
        lo = v.min() if len(v) else 0
        span = int(v.max() - lo + 1) if len(v) else 1
        if span > 0 and int(codes.max(initial=0)) < (2**62) // max(span, 1):
            codes = codes * span + (v - lo)
        else:
            codes = pd.factorize(pd.MultiIndex.from_arrays([codes, v]))[0].astype(np.int64)
    if len(codes) < 2 or (np.diff(codes) > 0).all():
        return np.zeros(len(codes), dtype=bool)
    return pd.Series(codes).duplicated(keep=False).to_numpy()


# ------------------------------------------------------------ helpers (messages)


def _default_text(col: schema.Column) -> str:
    if col.default is None:
        return " (empty)"
    if col.kind == "bool":
        return f" ({'yes' if col.default else 'no'})"
    if col.default == "":
        return " (empty text)"
    return f" ({_fmt(col.default)})"


def _empty_fix(col: schema.Column, words: tuple[str, str]) -> str:
    if col.kind == "id" and col.name.endswith("_id"):
        return (f"Every {words[0]} needs a {col.name}. Fill in the missing values, or "
                "remove the rows if they are not real data (subtotals, notes).")
    return (f"Fill in {col.name} on these rows ({col.meaning.rstrip('.').lower()}), or "
            "remove the rows.")


_BOUNDS_FIX = {
    "quantity_kg": "Quantities must be 0 or more; returns belong in a separate credit "
    "note, not as negative order lines.",
    "delivered_kg": "Delivered quantities must be 0 or more; returns belong in a separate "
    "credit note, not as negative order lines.",
    "rebate_paid": "Rebates paid must be 0 or more; a rebate taken back belongs in the "
    "year it was earned, as a lower amount.",
    "effort_minutes": "Effort is time spent: 0 minutes or more.",
    "days_to_resolve": "Days to resolve count from receipt to closure: 0 or more; leave "
    "the cell empty while the complaint is open.",
    "estimated_annual_use_kg": "The customer's total use is 0 kg or more; leave the cell "
    "empty when unknown.",
    "order_line": "Number the lines of each order from 1.",
    "year": "Write the calendar year with four digits, e.g. 2025.",
    "purity_pct": "Purity is a percentage from 0 to 100 (99.5, not 0.995).",
}


def _bounds_fix(col: schema.Column) -> str:
    if col.name in _BOUNDS_FIX:
        return _BOUNDS_FIX[col.name]
    if col.kind == "score":
        return ("Scores are whole numbers from 1 (lowest) to 5 (highest); leave the cell "
                "empty when not assessed.")
    if "price" in col.name or "cost" in col.name:
        return ("Prices and costs must be 0 or more; a reduction shows as a net price "
                "below the list price, and credits are not order lines.")
    lo = "" if col.minimum is None else f"at least {_fmt(col.minimum)}"
    hi = "" if col.maximum is None else f"at most {_fmt(col.maximum)}"
    return f"{col.name} must be {' and '.join(x for x in (lo, hi) if x)}."


def _duplicate_fix(name: str, key: list[str]) -> str:
    if name == "orders":
        return ("Each order line must appear once: remove rows repeated by the export, or "
                "give the lines of one order different order_line numbers.")
    if len(key) == 2 and key[1] == "year":
        return f"Keep one {name} row per customer and year: merge or remove the others."
    what = _ROW_WORDS[name][0]
    return (f"Each {what} must appear once: merge the repeated rows, or give different "
            f"{what}s different {key[0]}s.")


# ------------------------------------------------------------------ entry points


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
