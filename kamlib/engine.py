"""The engine for large exports: DuckDB queries straight over the order-line files.

Ten years of a large supplier's order lines are tens of millions of rows. Reading them
whole into pandas costs seconds and gigabytes; DuckDB (an in-process SQL engine, no
server) reads Parquet and CSV files in parallel, column by column, and returns only the
aggregate. This module holds the two queries the playbook needs on the lines:

- :data:`FACTS_SQL`, the per-customer-year facts (the same table as
  :func:`kamlib.measures.customer_year`; a test checks they are equal);
- :data:`ORDER_CHECKS`, the checks of the order lines (empty cells, negative numbers,
  values not on the list, repeated keys, unknown customers and products, deliveries
  before the order date) as one ``WHERE`` condition each.

Both are plain SQL over a relation called ``orders`` with the schema's column names, so
the same text runs on a larger engine (Spark SQL, BigQuery, Snowflake, Trino, a DuckDB
on a bigger machine) over the same Parquet files: see the README, "Beyond one machine".

When the lines have a problem, the exact, complete report (file, column, row, fix) is
made by :func:`kamlib.data.check`, as for a small export: the SQL checks decide quickly
*whether* something is wrong; the familiar report says *what*.

Functions take a ``source`` like :func:`kamlib.data.load` (``"sample"`` or a folder with
``orders.parquet`` or ``orders.csv``) or a DataFrame of order lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kamlib import schema

#: Order-line files above this size (bytes) are read by DuckDB when ``engine="auto"``.
AUTO_THRESHOLD_BYTES = 50_000_000

#: The date a line's sales count at: the year of ``kd.orders["year"]`` (see
#: :func:`kamlib.measures.order_measures`): sales count when delivered, a line with no
#: delivery date (open, or delivered without a date) at its order date; open lines add
#: nothing (delivered 0). Change it here and in the loader together;
#: tests/test_engine.py checks that the two agree.
SALES_DATE_SQL = "coalesce(actual_delivery_date, order_date)"

# The per-customer-year facts: one readable place for the whole definition.
FACTS_SQL = f"""
SELECT
    customer_id,
    CAST(year({SALES_DATE_SQL}) AS BIGINT) AS year,
    sum(delivered_kg)                                       AS volume_kg,
    sum(delivered_kg * net_price_per_kg)                    AS revenue,
    sum(delivered_kg * list_price_per_kg)                   AS list_revenue,
    sum(delivered_kg * list_price_per_kg
        - delivered_kg * net_price_per_kg)                  AS discount,
    sum(delivered_kg * unit_cost_per_kg)                    AS cost_of_goods,
    sum(delivered_kg * net_price_per_kg
        - delivered_kg * unit_cost_per_kg)                  AS gross_margin,
    count(DISTINCT order_id)                                AS order_count,
    count(*)                                                AS line_count,
    count(actual_delivery_date)                             AS delivered_line_count,
    count(*) FILTER (WHERE actual_delivery_date IS NOT NULL
                       AND actual_delivery_date <= promised_delivery_date
                       AND delivered_kg >= quantity_kg)     AS on_time_in_full_line_count
FROM orders
GROUP BY 1, 2
ORDER BY 1, 2
"""

#: The columns FACTS_SQL needs from the order lines.
FACTS_COLUMNS = ("order_id", "customer_id", "order_date", "quantity_kg",
                 "list_price_per_kg", "net_price_per_kg", "unit_cost_per_kg",
                 "promised_delivery_date", "actual_delivery_date", "delivered_kg")


def _order_checks() -> dict[str, str]:
    """Check name -> SQL condition that is true for a bad order line."""
    checks: dict[str, str] = {}
    for col in schema.ORDERS.columns:
        if not col.nullable and col.required:
            checks[f"{col.name} empty"] = f"{col.name} IS NULL"
        if col.minimum is not None:
            checks[f"{col.name} below {col.minimum:g}"] = f"{col.name} < {col.minimum}"
    allowed = ", ".join(f"'{v}'" for v in schema.DEAL_TYPES)
    checks["deal_type not on the list"] = f"deal_type IS NOT NULL AND deal_type NOT IN ({allowed})"
    checks["delivered before the order date"] = "actual_delivery_date < order_date"
    checks["promised before the order date"] = "promised_delivery_date < order_date"
    checks["unknown customer"] = (
        "customer_id IS NOT NULL AND customer_id NOT IN (SELECT customer_id FROM customers)")
    checks["unknown product"] = (
        "product_id IS NOT NULL AND product_id NOT IN (SELECT product_id FROM products)")
    return checks


#: Check name -> SQL condition true for a bad order line (see :func:`check_orders`).
ORDER_CHECKS = _order_checks()

REPEATED_KEYS_SQL = """
SELECT count(*) FROM (
    SELECT order_id, order_line FROM orders GROUP BY order_id, order_line HAVING count(*) > 1
)
"""


def available() -> bool:
    """True when the ``duckdb`` package can be imported."""
    try:
        import duckdb  # noqa: F401
    except ImportError:  # pragma: no cover - duckdb is a dependency
        return False
    return True


def _connect():
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    return con


def orders_file(source) -> Path | None:
    """The order-line file of a source folder (Parquet preferred, as kamlib.data does),
    or None (a workbook, a DataFrame, a folder without such a file)."""
    from kamlib import data

    if isinstance(source, pd.DataFrame):
        return None
    p = data.resolve_source(source)
    if not p.is_dir():
        return None
    by_name = {f.name.lower(): f for f in p.iterdir() if f.is_file()}
    for name in ("orders.parquet", "orders.csv"):
        if name in by_name:
            return by_name[name]
    return None


def use_engine(source, engine: str = "auto") -> bool:
    """Whether DuckDB reads the order lines of ``source``: ``engine`` is ``"duckdb"``,
    ``"pandas"`` or ``"auto"`` (DuckDB when the order-line file is larger than
    :data:`AUTO_THRESHOLD_BYTES`)."""
    if engine not in ("auto", "duckdb", "pandas"):
        raise ValueError(f"engine must be 'auto', 'duckdb' or 'pandas', not {engine!r}")
    if engine == "pandas" or isinstance(source, pd.DataFrame):
        return engine == "duckdb" and isinstance(source, pd.DataFrame)
    f = orders_file(source)
    if f is None:
        return False
    return engine == "duckdb" or f.stat().st_size > AUTO_THRESHOLD_BYTES


def _sql_path(p: Path) -> str:
    return str(p).replace("'", "''")


def _table_file(folder: Path, table: str) -> Path | None:
    by_name = {f.name.lower(): f for f in folder.iterdir() if f.is_file()}
    for name in (f"{table}.parquet", f"{table}.csv"):
        if name in by_name:
            return by_name[name]
    return None


def _reader(p: Path, columns: list[str] | None = None) -> str:
    """SQL reading one table file with the schema's column types for order lines."""
    if p.suffix.lower() == ".parquet":
        return f"read_parquet('{_sql_path(p)}')"
    types = {"id": "VARCHAR", "text": "VARCHAR", "category": "VARCHAR", "date": "DATE",
             "float": "DOUBLE", "int": "BIGINT", "score": "DOUBLE", "bool": "BOOLEAN"}
    table = schema.TABLES.get(p.stem.lower())
    cols = ""
    if table is not None:
        import csv

        with open(p, newline="", encoding="utf-8-sig", errors="replace") as fh:
            header = {h.strip() for h in next(csv.reader(fh), [])}
        spec = ", ".join(f"'{c.name}': '{types.get(c.kind, 'VARCHAR')}'"
                         for c in table.columns if c.name in header)
        cols = f", types={{{spec}}}" if spec else ""
    return f"read_csv('{_sql_path(p)}', header=true, auto_detect=true{cols})"


def _register_orders(con, source) -> None:
    """Make ``orders`` (and ``customers``, ``products`` when found) relations on ``con``."""
    if isinstance(source, pd.DataFrame):
        con.register("orders", source)
        return
    f = orders_file(source)
    if f is None:
        raise FileNotFoundError(
            f"{source}: no orders.parquet or orders.csv in this folder, so the DuckDB "
            "engine cannot read it; use engine='pandas' (kamlib.data.load) for workbooks.")
    con.execute(f"CREATE VIEW orders AS SELECT * FROM {_reader(f)}")
    for t in ("customers", "products"):
        tf = _table_file(f.parent, t)
        if tf is not None:
            con.execute(f"CREATE VIEW {t} AS SELECT * FROM {_reader(tf)}")


def _facts_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """FACTS_SQL's result with the ratio columns of measures.customer_year."""
    out = raw.set_index(["customer_id", "year"])
    out.index = out.index.set_levels(out.index.levels[0].astype("string"), level=0)
    for c in ("order_count", "line_count"):
        out[c] = out[c].astype("int64")
    dl = out.pop("delivered_line_count").to_numpy(dtype=float)
    ok = out.pop("on_time_in_full_line_count").to_numpy(dtype=float)
    out["on_time_in_full_rate"] = np.divide(ok, dl, out=np.full(len(out), np.nan),
                                            where=dl > 0)
    v = out["volume_kg"].to_numpy()
    out["net_price_per_kg"] = np.divide(out["revenue"].to_numpy(), v,
                                        out=np.full(len(out), np.nan), where=v > 0)
    lr = out["list_revenue"].to_numpy()
    out["discount_pct"] = np.divide(out["discount"].to_numpy(), lr,
                                    out=np.full(len(out), np.nan), where=lr > 0)
    r = out["revenue"].to_numpy()
    out["gross_margin_pct"] = np.divide(out["gross_margin"].to_numpy(), r,
                                        out=np.full(len(out), np.nan), where=r != 0)
    return out


def customer_year(source) -> pd.DataFrame:
    """Per-customer-year facts computed by DuckDB over the order-line file.

    Same index and columns as :func:`kamlib.measures.customer_year` (volume in kg,
    money in EUR; ``on_time_in_full_rate`` = on-time-in-full lines / delivered lines).
    Only the aggregate (one row per customer and year) comes into pandas.
    ``source``: a folder (or ``"sample"``) or a DataFrame of order lines with the
    schema's columns (a loaded ``kd.orders``).
    """
    con = _connect()
    try:
        _register_orders(con, source)
        raw = con.execute(FACTS_SQL).df()
    finally:
        con.close()
    return _facts_frame(raw)


@dataclass(frozen=True)
class OrderCheck:
    """Result of the SQL checks of the order lines: ``lines`` (count), ``customers``
    (distinct customer ids), ``first_date``/``last_date``, ``years``, and ``failed``:
    check name -> number of bad lines (only checks that found some)."""

    lines: int
    customers: int
    first_date: pd.Timestamp | None
    last_date: pd.Timestamp | None
    years: tuple[int, ...]
    failed: dict

    @property
    def ok(self) -> bool:
        return not self.failed


def check_orders(source) -> OrderCheck:
    """Run :data:`ORDER_CHECKS` (and the repeated-key check) over the order lines in one
    scan. Required columns missing, or a value DuckDB cannot read as the schema's type,
    count as a failed check named after the column (the exact report then comes from
    :func:`kamlib.data.check`)."""
    import duckdb

    con = _connect()
    failed: dict = {}
    try:
        _register_orders(con, source)
        have = {r[0] for r in con.execute("DESCRIBE orders").fetchall()}
        required = [c.name for c in schema.ORDERS.columns if c.required]
        missing = [c for c in required if c not in have]
        if missing:
            return OrderCheck(0, 0, None, None, (), {f"{c} missing": 1 for c in missing})
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        checks = {k: v for k, v in ORDER_CHECKS.items()
                  if all(t in tables for t in ("customers", "products") if t in v)
                  and (v.split()[0] in have)}
        sums = ", ".join(f"count(*) FILTER (WHERE {cond})" for cond in checks.values())
        q = (f"SELECT count(*), count(DISTINCT customer_id), min(order_date), "
             f"max(order_date), list(DISTINCT CAST(year(order_date) AS BIGINT)), {sums} "
             "FROM orders")
        try:
            row = con.execute(q).fetchone()
        except duckdb.Error as exc:  # a value that is not the schema's type
            return OrderCheck(0, 0, None, None, (), {f"unreadable: {exc}".split("\n")[0]: 1})
        counts = row[5:]
        failed = {name: int(n) for name, n in zip(checks, counts) if n}
        if "order_line" in have:
            rep = con.execute(REPEATED_KEYS_SQL).fetchone()[0]
            if rep:
                failed["order_id + order_line repeated"] = int(rep)
        years = tuple(sorted(int(y) for y in (row[4] or []) if y is not None))
        return OrderCheck(int(row[0]), int(row[1]),
                          pd.Timestamp(row[2]) if row[2] is not None else None,
                          pd.Timestamp(row[3]) if row[3] is not None else None,
                          years, failed)
    finally:
        con.close()
