"""The engine for large exports: DuckDB queries straight over the order-line files.

Ten years of a large supplier's order lines are tens of millions of rows. Reading them
whole into pandas costs seconds and gigabytes; DuckDB (an in-process SQL engine, no
server) reads Parquet and CSV files in parallel, column by column, and returns only the
aggregate. This module holds the two queries the playbook needs on the lines:

- :data:`FACTS_SQL`, the per-customer-year facts (the same table as
  :func:`kamlib.measures.customer_year`; a test checks they are equal);
- :data:`ORDER_CHECKS`, the checks of the order lines (empty cells, negative numbers,
  values not on the list, repeated keys, unknown customers and products, deliveries
  before the order date) as one ``WHERE`` condition each (:func:`table_checks` for any
  table, :func:`check_table` over a file: what ``kamlib.data.load(engine="duckdb")``
  validates the lines and interactions with);
- the aggregates the stages after the facts take instead of the lines:
  :func:`customer_month` (:data:`CUSTOMER_MONTH_SQL`), :func:`segment_sums` (the
  segmentation's sums per customer and quarter, and the reaction to late deliveries),
  :func:`interaction_counts`; each runs over the file or over loaded lines
  (:func:`lines_relation`), so small and large data share one implementation.

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


def table_checks(table: "schema.Table", have=None) -> dict[str, str]:
    """Check name -> SQL condition that is true for a bad row of ``table`` (a
    :class:`kamlib.schema.Table`), over the columns ``have`` (None: all): empty cells
    where the schema wants a value, numbers out of bounds, values not on the list,
    references to unknown customers and products, and (order lines) deliveries or
    promises before the order date. The same rules as :func:`kamlib.data.check`."""
    names = set(table.column_names if have is None else have)
    checks: dict[str, str] = {}
    for col in table.columns:
        if col.name not in names:
            continue
        if not col.nullable and (col.required or have is not None):
            checks[f"{col.name} empty"] = f"{col.name} IS NULL"
        if col.minimum is not None:
            checks[f"{col.name} below {col.minimum:g}"] = f"{col.name} < {col.minimum}"
        if col.maximum is not None:
            checks[f"{col.name} above {col.maximum:g}"] = f"{col.name} > {col.maximum}"
        if col.allowed:
            allowed = ", ".join("'" + v.replace("'", "''") + "'" for v in col.allowed)
            checks[f"{col.name} not on the list"] = (
                f"{col.name} IS NOT NULL AND {col.name} NOT IN ({allowed})")
    if table.name == "orders":
        if {"actual_delivery_date", "order_date"} <= names:
            checks["delivered before the order date"] = "actual_delivery_date < order_date"
        if {"promised_delivery_date", "order_date"} <= names:
            checks["promised before the order date"] = "promised_delivery_date < order_date"
    for col, ref in table.references.items():
        if col in names:
            key = schema.TABLES[ref].key[0]
            checks[f"unknown {ref.rstrip('s')}"] = (
                f"{col} IS NOT NULL AND {col} NOT IN (SELECT {key} FROM {ref})")
    return checks


def _order_checks() -> dict[str, str]:
    """Check name -> SQL condition that is true for a bad order line (the required
    columns' empty cells; every other rule of :func:`table_checks`)."""
    return table_checks(schema.ORDERS)


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
    if hasattr(source, "orders"):  # a KamData: its lines left in their file, or loaded
        f, df = _orders_source(source)
        if df is not None:
            con.register("orders", df)
            return
        source = f.parent
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
    ``source``: a folder (or ``"sample"``), a KamData (its lines left in their file or
    loaded) or a DataFrame of order lines with the schema's columns (a loaded
    ``kd.orders``).
    """
    return _facts_frame(_query(source, FACTS_SQL, _register_orders))


def _query(source, sql: str, register) -> pd.DataFrame:
    """``sql`` on a fresh connection where ``register(con, source)`` made its relation."""
    con = _connect()
    try:
        register(con, source)
        return con.execute(sql).df()
    finally:
        con.close()


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


# =========================================================================== aggregates
#
# The stages after the facts need a few more aggregates of the order lines. Each is one
# SQL query over a relation ``lines``: the order lines with the loader's derived
# measures. :func:`lines_relation` makes it either over the export's file (the measures
# computed in SQL, as :func:`kamlib.measures.order_measures` does) or over order lines
# already loaded into pandas (registered as they are, measures included), so the small
# data of the chapters and a 10-million-line export go through the same query text: one
# implementation, not two.

#: The order-line columns the aggregates read (schema columns and derived measures).
LINE_COLUMNS = ("order_id", "customer_id", "product_id", "order_date", "quantity_kg",
                "delivered_kg", "deal_type", "promised_delivery_date",
                "actual_delivery_date", "volume_kg", "revenue", "list_revenue", "discount",
                "cost_of_goods", "gross_margin", "is_delivered", "days_late", "year",
                "month")

#: The derived measures over a file holding the schema's own columns (no amounts):
#: the same definitions as :func:`kamlib.measures.order_measures` (sales counted by
#: delivery date, :data:`SALES_DATE_SQL`; ``days_late`` in whole days, rounded down).
_FILE_LINES_SQL = f"""
SELECT
    order_id, customer_id, product_id, order_date, quantity_kg, delivered_kg, deal_type,
    promised_delivery_date, actual_delivery_date,
    delivered_kg                                            AS volume_kg,
    delivered_kg * net_price_per_kg                         AS revenue,
    delivered_kg * list_price_per_kg                        AS list_revenue,
    delivered_kg * list_price_per_kg
        - delivered_kg * net_price_per_kg                   AS discount,
    delivered_kg * unit_cost_per_kg                         AS cost_of_goods,
    delivered_kg * net_price_per_kg
        - delivered_kg * unit_cost_per_kg                   AS gross_margin,
    actual_delivery_date IS NOT NULL                        AS is_delivered,
    floor((epoch(CAST(actual_delivery_date AS TIMESTAMP))
           - epoch(CAST(promised_delivery_date AS TIMESTAMP))) / 86400) AS days_late,
    CAST(year({SALES_DATE_SQL}) AS BIGINT)                  AS year,
    CAST(month({SALES_DATE_SQL}) AS BIGINT)                 AS month
FROM {{reader}}
"""

#: Columns an order-line file must have (with the schema's names) for the aggregates
#: to be computed over the file itself; amount columns (net_amount, ...) are derived
#: by the loader, so a file giving them is read by pandas.
FILE_LINE_COLUMNS = tuple(FACTS_COLUMNS) + ("product_id", "deal_type")
AMOUNT_COLUMNS = ("net_amount", "list_amount", "discount_amount", "discount_share",
                  "cost_amount", "margin_amount")


def _orders_source(source):
    """(file, None) or (None, DataFrame) for the order lines of ``source``: a folder or
    ``"sample"``, a :class:`kamlib.data.KamData` (its orders lazy or loaded) or a
    DataFrame of loaded order lines."""
    from kamlib.data.lazy import is_lazy

    orders = getattr(source, "orders", None)
    if orders is not None and not isinstance(source, pd.DataFrame):  # a KamData
        if is_lazy(orders):
            return orders.file, None
        return None, orders
    if isinstance(source, pd.DataFrame):
        return None, source
    f = orders_file(source)
    if f is None:
        raise FileNotFoundError(f"{source}: no orders.parquet or orders.csv in this folder")
    return f, None


def lines_relation(con, source, name: str = "lines") -> None:
    """Create the relation ``name`` on ``con``: the order lines of ``source`` with the
    derived measures (:data:`LINE_COLUMNS`). A file is read by DuckDB
    (:data:`_FILE_LINES_SQL`); loaded order lines are registered as they are."""
    f, df = _orders_source(source)
    if f is not None:
        con.execute(f"CREATE OR REPLACE VIEW {name} AS "
                    + _FILE_LINES_SQL.format(reader=_reader(f)))
        return
    missing = [c for c in LINE_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"the order lines lack {missing}: load them with "
                         "kamlib.data.load (which adds the derived measures)")
    con.register(name, df[list(LINE_COLUMNS)])


#: Per customer and calendar month of the sales date: the monthly facts (for the
#: account projection, the visit plan's seasonality, charts by month).
CUSTOMER_MONTH_SQL = """
SELECT
    CAST(customer_id AS VARCHAR)                            AS customer_id,
    year, month,
    sum(volume_kg)                                          AS volume_kg,
    sum(revenue)                                            AS revenue,
    sum(list_revenue)                                       AS list_revenue,
    sum(cost_of_goods)                                      AS cost_of_goods,
    sum(gross_margin)                                       AS gross_margin,
    count(DISTINCT order_id)                                AS order_count,
    count(*)                                                AS line_count,
    count(*) FILTER (WHERE is_delivered)                    AS delivered_line_count,
    count(*) FILTER (WHERE is_delivered AND days_late <= 0
                       AND delivered_kg >= quantity_kg)     AS on_time_in_full_line_count
FROM lines
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
"""


def customer_month(source) -> pd.DataFrame:
    """Per customer and month of the sales date (sales counted when delivered,
    :data:`SALES_DATE_SQL`): columns ``customer_id``, ``year``, ``month`` (1-12),
    ``volume_kg``, ``revenue``, ``list_revenue``, ``cost_of_goods``, ``gross_margin``
    (sums over the lines, money in the company's currency), ``order_count`` (distinct
    orders), ``line_count``, ``delivered_line_count``, ``on_time_in_full_line_count``.
    ``source``: a folder, a KamData or loaded order lines (:func:`lines_relation`).
    (The chapters' monthly accruals, seasonality and supply need use the narrower
    :func:`kamlib.measures.customer_month` of the loaded lines, without the distinct
    orders.)"""
    out = _query(source, CUSTOMER_MONTH_SQL, lines_relation)
    out["customer_id"] = out["customer_id"].astype("string")
    return out


def _nsum(expr: str) -> str:
    """sum(expr) that is NULL (NaN) when one value is NULL, as a numpy sum is."""
    return f"CASE WHEN count(*) FILTER (WHERE ({expr}) IS NULL) = 0 THEN sum({expr}) END"


def _kg_if(cond: str) -> str:
    return _nsum(f"CASE WHEN {cond} THEN kg ELSE 0 END")


#: The segmentation's window of order lines (by order date), each line with its
#: product's flags (``pflags``: economy, big pack, custom, new, current list price)
#: and ``kg`` = delivered quantity on delivered lines, else 0.
_SEGMENT_WINDOW_SQL = """
CREATE OR REPLACE TEMP VIEW w AS
SELECT l.customer_id, l.order_id, l.order_date, l.quantity_kg, l.delivered_kg,
       l.deal_type, l.actual_delivery_date, l.is_delivered, l.days_late,
       l.volume_kg, l.revenue, l.list_revenue, l.discount,
       CASE WHEN l.is_delivered THEN l.volume_kg ELSE 0 END AS kg,
       coalesce(p.economy, false) AS economy, coalesce(p.big, false) AS big,
       coalesce(p.custom, false) AS custom, coalesce(p.is_new, false) AS is_new,
       p.list_price AS current_list_price, p.product_id IS NOT NULL AS known
FROM lines l LEFT JOIN pflags p ON CAST(l.product_id AS VARCHAR) = p.product_id
WHERE l.order_date >= TIMESTAMP '{start}' AND l.order_date <= TIMESTAMP '{end}'
"""

#: Per customer over the window: the sums the segmentation's indicators are ratios of.
SEGMENT_CUSTOMER_SQL = f"""
SELECT
    CAST(customer_id AS VARCHAR)                            AS customer_id,
    min(order_date)                                         AS first_order,
    count(DISTINCT order_id)                                AS orders,
    count(*) FILTER (WHERE known)                           AS known_lines,
    {_kg_if("true")}                                        AS volume_kg,
    {_kg_if("coalesce(list_contains($deal_types, deal_type), false)")} AS deal_kg,
    {_kg_if("list_contains($off_months, month(order_date))")} AS off_season_kg,
    {_kg_if("economy")}                                     AS economy_kg,
    {_kg_if("big")}                                         AS big_pack_kg,
    {_kg_if("custom")}                                      AS custom_kg,
    {_kg_if("is_new AND order_date >= $new_since")}         AS new_product_kg,
    {_kg_if("order_date >= $new_since")}                    AS since_new_kg,
    {_nsum("CASE WHEN is_delivered THEN discount ELSE 0 END")} AS discount,
    {_nsum("CASE WHEN is_delivered THEN list_revenue ELSE 0 END")} AS list_revenue
FROM w
GROUP BY 1
ORDER BY 1
"""

#: Per customer and quarter of the order date (t = year × 4 + quarter 0-3), delivered
#: lines with a quantity: kg, revenue and kg at the product's current list price (the
#: line's own list price for a product without one): the points of the price fit.
SEGMENT_QUARTER_SQL = f"""
SELECT
    CAST(customer_id AS VARCHAR)                            AS customer_id,
    CAST(year(order_date) AS BIGINT) * 4
        + (CAST(month(order_date) AS BIGINT) - 1) // 3      AS t,
    {_nsum("volume_kg")}                                    AS kg,
    {_nsum("revenue")}                                      AS rev,
    {_nsum("CASE WHEN current_list_price > 0 THEN volume_kg * current_list_price "
           "ELSE list_revenue END")}                        AS ref
FROM w
WHERE is_delivered AND volume_kg > 0
GROUP BY 1, 2
ORDER BY 1, 2
"""

#: Late or short deliveries (distinct customer × delivery day, up to the window's end),
#: the days their ``$window``-day windows cover (their union, to the end), and the kg
#: ordered on days inside such a window (an ASOF join: the latest bad delivery on or
#: before each order day).
SEGMENT_BAD_DELIVERY_SQL = """
WITH ev AS (
    SELECT DISTINCT CAST(customer_id AS VARCHAR) AS customer_id,
           CAST(actual_delivery_date AS DATE) AS d
    FROM w
    WHERE is_delivered AND (coalesce(days_late, 0) > 0
                            OR coalesce(delivered_kg < quantity_kg, false))
      AND CAST(actual_delivery_date AS DATE) <= $end_day
), cover AS (
    SELECT customer_id, count(*) AS bad_deliveries,
           sum(greatest(least(coalesce(nxt, $end_day + 1) - d, $window), 0)) AS days_after
    FROM (SELECT customer_id, d, lead(d) OVER (PARTITION BY customer_id ORDER BY d) AS nxt
          FROM ev)
    GROUP BY 1
), daily AS (
    SELECT CAST(customer_id AS VARCHAR) AS customer_id,
           CAST(order_date AS DATE) AS d, sum(quantity_kg) AS kg
    FROM w GROUP BY 1, 2
), placed AS (
    SELECT daily.customer_id, daily.kg, daily.d - ev.d AS since
    FROM daily ASOF LEFT JOIN ev
      ON daily.customer_id = ev.customer_id AND daily.d >= ev.d
)
SELECT p.customer_id,
       sum(p.kg) FILTER (WHERE p.since < $window)           AS kg_after,
       sum(p.kg)                                            AS kg_ordered,
       coalesce(any_value(c.bad_deliveries), 0)             AS bad_deliveries,
       coalesce(any_value(c.days_after), 0)                 AS days_after
FROM placed p LEFT JOIN cover c USING (customer_id)
GROUP BY 1
ORDER BY 1
"""


@dataclass(frozen=True)
class SegmentSums:
    """The order-line sums behind the segmentation's indicators
    (:func:`segment_sums`): ``customers`` (one row per customer with orders in the
    window), ``quarters`` (customer × quarter), ``bad_delivery`` (per customer)."""

    customers: pd.DataFrame
    quarters: pd.DataFrame
    bad_delivery: pd.DataFrame


def segment_sums(source, product_flags: pd.DataFrame, start: pd.Timestamp,
                 end: pd.Timestamp, *, deal_types=(), off_season_months=(),
                 window_days: int = 0, new_since: pd.Timestamp | None = None,
                 parts: tuple[str, ...] = ("customers", "quarters", "bad_delivery")
                 ) -> SegmentSums:
    """The sums of :class:`SegmentSums` over the order lines placed from ``start`` to
    ``end`` (order dates, inclusive). ``product_flags``: index-free table with
    ``product_id`` (text), ``economy``, ``big``, ``custom``, ``is_new`` (bool) and
    ``list_price`` (current list price, NaN unknown). ``new_since``: kg counted for the
    new-product share from this date (None: no new products, the columns are 0).
    ``source``: a folder, a KamData or loaded order lines (:func:`lines_relation`).
    ``parts``: the tables to compute (the others come back empty)."""
    con = _connect()
    cust = quarters = bad = pd.DataFrame()
    try:
        lines_relation(con, source)
        pf = product_flags[["product_id", "economy", "big", "custom", "is_new",
                            "list_price"]].copy()
        pf["product_id"] = pf["product_id"].astype(str).astype(object)
        con.register("pflags", pf)
        con.execute(_SEGMENT_WINDOW_SQL.format(start=pd.Timestamp(start).isoformat(sep=" "),
                                               end=pd.Timestamp(end).isoformat(sep=" ")))
        since = (pd.Timestamp(new_since) if new_since is not None
                 else pd.Timestamp("2262-01-01")).to_pydatetime()
        if "customers" in parts:
            cust = con.execute(SEGMENT_CUSTOMER_SQL, {
                "deal_types": [str(d) for d in deal_types],
                "off_months": [int(m) for m in off_season_months],
                "new_since": since}).df()
        if "quarters" in parts:
            quarters = con.execute(SEGMENT_QUARTER_SQL).df()
        if "bad_delivery" in parts:
            bad = con.execute(SEGMENT_BAD_DELIVERY_SQL, {
                "end_day": pd.Timestamp(end).date(), "window": int(window_days)}).df()
    finally:
        con.close()
    return SegmentSums(cust, quarters, bad)


#: Interactions per customer and type from ``$start`` to ``$end`` (dates inclusive),
#: and how many of them are complaints about a late or short delivery.
INTERACTION_COUNT_SQL = """
SELECT CAST(customer_id AS VARCHAR) AS customer_id, coalesce(CAST(type AS VARCHAR), '') AS type,
       count(*) AS interactions,
       count(*) FILTER (WHERE type = 'complaint' AND {about}) AS about_delivery,
       count({reason}) AS with_reason
FROM inter
WHERE date >= $start AND date <= $end
GROUP BY 1, 2
ORDER BY 1, 2
"""

DELIVERY_COMPLAINT_REASONS = ("late delivery", "short delivery", "Late delivery",
                              "Short delivery")


def interaction_counts(source, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Interactions per customer and type dated ``start``-``end`` (inclusive): columns
    ``customer_id``, ``type``, ``interactions``, ``about_delivery`` (complaints whose
    reason is a late or short delivery), ``with_reason`` (interactions with a complaint
    reason). ``source``: a KamData (its interactions lazy or loaded). Empty (with
    these columns) when there are no interactions."""
    from kamlib.data.lazy import is_lazy

    it = source.interactions
    cols = ["customer_id", "type", "interactions", "about_delivery", "with_reason"]
    con = _connect()
    try:
        if is_lazy(it):
            con.execute(f"CREATE VIEW inter AS SELECT * FROM {_reader(it.file)}")
            have = set(it.columns)
        else:
            if it is None or not len(it):
                return pd.DataFrame({c: pd.Series(dtype="int64") for c in cols})
            have = set(it.columns)
            con.register("inter", it[[c for c in ("customer_id", "date", "type",
                                                  "complaint_reason") if c in have]])
        if "complaint_reason" in have:
            reasons = ", ".join(f"'{r}'" for r in DELIVERY_COMPLAINT_REASONS)
            about, reason = f"complaint_reason IN ({reasons})", "complaint_reason"
        else:
            about, reason = "false", "NULL"
        out = con.execute(INTERACTION_COUNT_SQL.format(about=about, reason=reason), {
            "start": pd.Timestamp(start).to_pydatetime(),
            "end": pd.Timestamp(end).to_pydatetime()}).df()
    finally:
        con.close()
    return out[cols]


def _columns_of(con, relation: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {relation}").fetchall()]


def check_table(folder, table: str) -> tuple[int, dict]:
    """The SQL checks of :func:`table_checks` over ``table``'s file in ``folder``, in one
    scan, and its repeated keys: ``(rows, failed)``, ``failed`` = check name -> number
    of bad rows (only checks that found some). A required column missing or a value
    DuckDB cannot read as the schema's type counts as a failed check (the exact report
    then comes from :func:`kamlib.data.check`)."""
    import duckdb

    folder = Path(folder)
    spec = schema.TABLES[table]
    f = _table_file(folder, table)
    if f is None:
        return 0, {f"{table} file missing": 1}
    con = _connect()
    try:
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM {_reader(f)}")
        for ref in set(spec.references.values()):
            rf = _table_file(folder, ref)
            if rf is not None and ref != table:
                con.execute(f"CREATE VIEW {ref} AS SELECT * FROM {_reader(rf)}")
        have = set(_columns_of(con, table))
        missing = [c.name for c in spec.columns if c.required and c.name not in have]
        if missing:
            return 0, {f"{c} missing": 1 for c in missing}
        known = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        checks = {k: v for k, v in table_checks(spec, have).items()
                  if not k.startswith("unknown ")
                  or spec.references.get(v.split()[0], "") in known}
        sums = "".join(f", count(*) FILTER (WHERE {c})" for c in checks.values())
        key = [k for k in spec.key if k in have]
        key = key if key and len(key) == len(spec.key) else []
        k = ", ".join(key)
        # distinct hashes of the key in the same scan: fewer than the rows means a key
        # may repeat (or two keys share a hash), which the exact query then settles
        hashes = f", count(DISTINCT hash({k}))" if key else ", 0"
        try:
            row = con.execute(f"SELECT count(*){hashes}{sums} FROM {table}").fetchone()
            failed = {n: int(c) for n, c in zip(checks, row[2:]) if c}
            if key and row[1] < row[0]:
                rep = con.execute(f"SELECT count(*) FROM (SELECT {k} FROM {table} "
                                  f"GROUP BY {k} HAVING count(*) > 1)").fetchone()[0]
                if rep:
                    failed[" + ".join(key) + " repeated"] = int(rep)
        except duckdb.Error as exc:  # a value that is not the schema's type
            return 0, {f"unreadable: {exc}".split("\n")[0]: 1}
        return int(row[0]), failed
    finally:
        con.close()


ORDER_SUMMARY_SQL = f"""
SELECT min(order_date), max(order_date), greatest(max(order_date), max(actual_delivery_date))
FROM orders
"""

ORDER_YEARS_SQL = f"""
SELECT CAST(year({SALES_DATE_SQL}) AS BIGINT) AS year,
       count(*) FILTER (WHERE delivered_kg > 0) AS sold,
       count(unit_cost_per_kg) FILTER (WHERE delivered_kg > 0) AS with_cost,
       count(list_price_per_kg) FILTER (WHERE delivered_kg > 0) AS with_list_price
FROM orders GROUP BY 1 ORDER BY 1
"""


def order_summary(file: Path):
    """:class:`kamlib.data.lazy.OrderSummary` of an order-line file (one scan)."""
    from kamlib.data.lazy import OrderSummary

    con = _connect()
    try:
        con.execute(f"CREATE VIEW orders AS SELECT * FROM {_reader(Path(file))}")
        first, last, end = con.execute(ORDER_SUMMARY_SQL).fetchone()
        ys = con.execute(ORDER_YEARS_SQL).df()
    finally:
        con.close()

    def ts(v):
        return None if v is None else pd.Timestamp(v)

    sold = ys["sold"].to_numpy() > 0
    return OrderSummary(
        first_date=ts(first), last_date=ts(last), data_end=ts(end),
        years=tuple(int(y) for y in ys["year"]),
        unknown_costs_years=tuple(int(y) for y in ys.loc[sold & (ys["with_cost"] == 0), "year"]),
        unknown_list_prices_years=tuple(int(y) for y in ys.loc[
            sold & (ys["with_list_price"] == 0), "year"]))
