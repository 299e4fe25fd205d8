"""What a check reports: problems (file, column, rows, message, fix), the summary of
what was found, the report, the error :func:`kamlib.data.load` raises, and the
collector the reading steps add to. Message helpers that quote values live here too."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kamlib import schema

SHOW_ROWS = 5
"""Row numbers printed per problem; the rest are counted ("and 37 more rows")."""
KEEP_ROWS = 1000
"""Row numbers kept per problem in :attr:`Problem.rows` (``n_rows`` counts them all)."""
SHOW_VALUES = 5
"""Distinct offending values quoted per problem."""


_ROW_WORDS = {
    "customers": ("customer", "customers"), "products": ("product", "products"),
    "orders": ("order line", "order lines"), "interactions": ("interaction", "interactions"),
    "contacts": ("contact", "contacts"), "assessments": ("assessment", "assessments"),
    "rebates": ("rebate row", "rebate rows"),
}


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
      ``revenue_by_year`` (year -> EUR, by the cut-off convention
      ``schema.SALES_CONVENTION``: the year of delivery, or of the order when the export
      has no delivery dates: ``sales_by`` = ``"delivery"`` / ``"order"``), ``open_lines``
      and ``open_value`` (the open order book: lines not delivered when the data ends,
      quantity × net price), ``rebates_paid`` (EUR);
    - ``notes``: things noticed that do not stop the data from being used (a column
      read under another name, an optional table missing and what the playbook loses);
    - ``available``: the capabilities the data allows (``schema.CAPABILITIES``; None
      when the data could not be read), shown as "What the data allows".
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
    sales_by: str = "order"
    open_lines: int = 0
    open_value: float = 0.0
    rebates_paid: float = 0.0
    notes: tuple[str, ...] = ()
    available: frozenset[str] | None = None

    def text(self, company=None) -> str:
        """The summary as printable lines (tables, counts, period, money, notes).

        ``company``: a :class:`kamlib.formatting.Company` whose currency and quantity
        unit the amounts are written in (default: the current company; none set = plain
        numbers, never another company's EUR or kg)."""
        from kamlib import formatting

        c = company or formatting.current_company()
        cur = f"{c.currency} " if c.currency else ""
        unit = f" {c.quantity_unit}" if c.quantity_unit else ""
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
            if self.available is None or "quantities" in self.available:
                qty = (f"{self.volume_kg:,.0f}{unit}" if unit
                       else f"a quantity of {self.volume_kg:,.0f}")
                out.append(f"Sales (net value of the lines delivered): {cur}"
                           f"{self.revenue:,.0f} for {qty}.")
            else:
                out.append(f"Sales (net value of the lines): {cur}{self.revenue:,.0f} "
                           "(no quantities given).")
            if self.revenue_by_year:
                how = ("by year of delivery" if self.sales_by == "delivery" else
                       "by year of order (no delivery dates: sales count at the order "
                       "date)")
                out.append(f"  {how}: " + "; ".join(
                    f"{y}: {cur}{v:,.0f}" for y, v in sorted(self.revenue_by_year.items())))
            if self.open_lines:
                value = f", {cur}{self.open_value:,.0f} at their net prices" \
                    if self.open_value else ""
                out.append(f"  open order book (not delivered when the data ends, in no "
                           f"year's sales): {self.open_lines:,} line(s){value}.")
            if "rebates" in self.rows:
                out.append(f"Rebates paid: {cur}{self.rebates_paid:,.0f}.")
            if not (c.currency and c.quantity_unit):
                out.append("  (currency or quantity unit not set: write them in the "
                           "settings file under [company], e.g. currency = \"CHF\" and "
                           "quantity_unit = \"pcs\", and pass it with --settings.)")
        if self.notes:
            out.append("")
            out.append("Notes:")
            out.extend(f"  - {n}" for n in self.notes)
        if self.available is not None and self.order_lines:
            out.append("")
            out.extend(allows_text(self.available))
        return "\n".join(out)


def allows_text(available: frozenset[str]) -> list[str]:
    """What the data allows, as printable lines: the chapters and report sections that
    run fully, those that run partly (and without what), and what to add."""
    out = ["What the data allows:"]
    full = [u for u in schema.USES if all(c in available for c in u.uses)]
    part = [u for u in schema.USES if u not in full]
    if full:
        out.append("  Runs fully: " + "; ".join(f"{u.name} ({u.title})" for u in full)
                   + ".")
    if part:
        out.append("  Runs partly (the methods that lack their data say so and are "
                   "skipped):")
        for u in part:
            lacking = [schema.CAPABILITIES[c].meaning for c in u.uses if c not in available]
            out.append(f"    - {u.name} ({u.title}): without {', '.join(lacking)}")
    missing = [c for c in schema.CAPABILITIES.values() if c.name not in available]
    if missing:
        out.append("  To unlock more, add:")
        for c in missing:
            out.append(f"    - {c.add}: {c.unlocks}")
    else:
        out.append("  Everything: every chapter and report section runs fully.")
    return out


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
        order = {name: i for i, name in enumerate(schema.TABLES)}
        files = list(dict.fromkeys(p.file for p in self.problems))
        rank = {f: min(order.get(p.table, -1) for p in self.problems if p.file == f)
                for f in files}
        files.sort(key=lambda f: rank[f])  # stable: the tables' order, then as found
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

    def text(self, company=None) -> str:
        """The problems, or "no problems" and the summary (amounts in ``company``'s
        currency and unit: :meth:`DataSummary.text`)."""
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
        return "No problems found: the data is ready to use.\n\n" + \
            self.summary.text(company)


class DataError(ValueError):
    """Data that cannot be used. ``problems`` lists each one (:class:`Problem`: file,
    column, rows, message, fix); the message is the full readable list."""

    def __init__(self, message: str, problems: list | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


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


def _exc_text(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _default_text(col: schema.Column) -> str:
    if col.default is None:
        return " (empty)"
    if col.kind == "bool":
        return f" ({'yes' if col.default else 'no'})"
    if col.default == "":
        return " (empty text)"
    return f" ({_fmt(col.default)})"


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


class _Collector:
    """Problems and notes collected while reading a source (the checker's base)."""

    problems: list[Problem]
    notes: list[str]

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
