"""The service side's aggregates: what cost to serve, the relationship level and the
periodic review need from the order lines and the interactions, as SQL group-bys.

Ten years of a large supplier are ~11 million order lines and ~9 million interactions.
The methods of :mod:`kamlib.costing`, :mod:`kamlib.service` and :mod:`kamlib.review`
need only small tables made from them:

- :data:`INTERACTIONS_SQL` - interactions per customer × year × quarter × type (count,
  recorded minutes): cost to serve (TDABC drivers), the observed relationship level,
  the interaction counts of a 12-month review window (four quarters);
- :data:`COMPLAINTS_SQL` - the complaints themselves (a few per cent of the
  interactions): a median time to resolve is not a sum, so the rows are kept;
- :data:`ORDER_YEARS_SQL` - order lines, delivered orders, kg and the first order date
  per customer × year: the order-line and delivery drivers of cost to serve, the
  share of wallet of the review;
- :func:`review_windows` (:data:`REVIEW_WINDOWS_SQL`) - kg, revenue, gross margin and
  distinct orders per customer in the 12-month windows ending at each review date, and
  the delivered and on-time-in-full lines of the last 12 months.

**One implementation for both engines.** The same SQL text runs, through DuckDB, over
the export's files (``orders.parquet``/``.csv``, ``interactions.parquet``/``.csv``:
only the aggregate comes into memory) or over the tables of a loaded
:class:`kamlib.data.KamData` (registered in DuckDB as they are, with the loader's
derived columns). :func:`activity_facts` takes either.

Over the files, the order lines' derived measures are those of
:func:`kamlib.measures.order_measures` written in SQL (:data:`LINES_SQL`: sales count
at the delivery date, else the order date; revenue = delivered kg × net price; OTIF =
delivered no later than promised and in full), like ``kamlib.engine.FACTS_SQL``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kamlib import schema
from kamlib.memo import TableMemo

#: The order lines as the methods here see them (over an export file): one row per
#: line with its sales date and derived measures (see kamlib.measures.order_measures).
LINES_SQL = """
SELECT
    CAST(customer_id AS VARCHAR)                            AS customer_id,
    CAST(order_id AS VARCHAR)                               AS order_id,
    CAST(order_date AS DATE)                                AS order_date,
    CAST(coalesce(actual_delivery_date, order_date) AS DATE) AS sales_at,
    CAST(actual_delivery_date AS DATE)                      AS delivered_at,
    delivered_kg                                            AS volume_kg,
    delivered_kg * net_price_per_kg                         AS revenue,
    delivered_kg * net_price_per_kg
        - delivered_kg * unit_cost_per_kg                   AS gross_margin,
    actual_delivery_date IS NOT NULL                        AS is_delivered,
    coalesce(actual_delivery_date IS NOT NULL
             AND actual_delivery_date <= promised_delivery_date
             AND delivered_kg >= quantity_kg, false)        AS on_time_in_full
FROM orders
"""

#: The columns LINES_SQL needs from an order-line file.
LINES_COLUMNS = ("order_id", "customer_id", "order_date", "quantity_kg",
                 "net_price_per_kg", "unit_cost_per_kg", "promised_delivery_date",
                 "actual_delivery_date", "delivered_kg")

def _type_columns() -> str:
    """count / recorded-minutes columns per interaction type (one FILTER each)."""
    out = []
    for t in schema.INTERACTION_TYPES:
        k = slug(t)
        out.append(f"count(*) FILTER (WHERE type = '{t}') AS n_{k}")
        out.append(f"count(effort_minutes) FILTER (WHERE type = '{t}') AS known_{k}")
        out.append(f"coalesce(sum(effort_minutes) FILTER (WHERE type = '{t}'), 0.0) "
                   f"AS minutes_{k}")
    return ",\n    ".join(out)


def slug(t: str) -> str:
    """Column-name form of an interaction type: ``"executive visit" -> "executive_visit"``."""
    return t.replace(" ", "_").replace("-", "_")


#: Interactions per customer and year, one column per type: ``n_<type>`` (count),
#: ``known_<type>`` (with recorded minutes), ``minutes_<type>`` (their sum, for
#: ``minutes_source = "recorded"``). ``{years}``: the years asked for (SQL condition).
INTERACTIONS_SQL = f"""
SELECT
    customer_id,
    CAST(year(date) AS BIGINT)                  AS year,
    {_type_columns()}
FROM interactions
WHERE date IS NOT NULL AND customer_id IS NOT NULL AND type IS NOT NULL
  AND {{years}}
GROUP BY 1, 2
ORDER BY 1, 2
"""

#: The complaints themselves (small: a median days-to-resolve needs the rows).
COMPLAINTS_SQL = """
SELECT customer_id, date, product_id, days_to_resolve, complaint_reason
FROM interactions
WHERE type = 'complaint' AND date IS NOT NULL AND {years}
ORDER BY customer_id, date, product_id, complaint_reason, days_to_resolve
"""

#: Per customer and sales year: order lines, orders with a delivered line (the
#: deliveries of cost to serve), kg delivered.
ORDER_YEARS_SQL = """
SELECT
    customer_id,
    CAST(year(sales_at) AS BIGINT)                              AS year,
    count(*)                                                    AS line_count,
    count(DISTINCT order_id) FILTER (WHERE is_delivered)        AS delivered_order_count,
    coalesce(sum(volume_kg), 0.0)                               AS volume_kg
FROM lines
WHERE {years}
GROUP BY 1, 2
ORDER BY 1, 2
"""

#: Each customer's first order date (over every year).
FIRST_ORDER_SQL = """
SELECT customer_id, min(order_date) AS first_order_date FROM lines GROUP BY 1
"""

#: Sums per customer over the 12-month windows of each review date (``windows``: one
#: row per review date and window, ``lo`` excluded, ``hi`` included). Window 0 = the
#: last 12 months, 1 the 12 before, 2 the 12 before those (kamlib.review.health).
REVIEW_WINDOWS_SQL = """
SELECT
    l.customer_id,
    w.as_of,
    w.win                                           AS window,
    sum(l.volume_kg)                                AS volume_kg,
    sum(l.revenue)                                  AS revenue,
    sum(l.gross_margin)                             AS gross_margin,
    count(DISTINCT l.order_id)                      AS orders
FROM lines l JOIN windows w ON l.sales_at > w.lo AND l.sales_at <= w.hi
WHERE l.sales_at > (SELECT min(lo) FROM windows)
  AND l.sales_at <= (SELECT max(hi) FROM windows)
GROUP BY 1, 2, 3
"""

#: Interactions per customer and type in window 0 of each review date.
REVIEW_INTERACTIONS_SQL = f"""
SELECT
    i.customer_id,
    w.as_of,
    {", ".join(f"count(*) FILTER (WHERE i.type = '{t}') AS n_{slug(t)}"
               for t in schema.INTERACTION_TYPES)}
FROM interactions i JOIN windows w ON w.win = 0 AND i.date > w.lo AND i.date <= w.hi
WHERE i.customer_id IS NOT NULL AND i.type IS NOT NULL
GROUP BY 1, 2
"""

#: The same sums when every review date is a quarter end (the review's dates): a
#: 12-month window is then four whole quarters, so the lines are summed per customer ×
#: quarter of the sales date and the windows are an equi-join of those rows on the
#: quarter (``wq``: quarter q, as_of, win) - no range join. The statements, in order:
#:
#: - ``per_q``: kg, revenue, gross margin, and the delivered and on-time-in-full lines
#:   with a delivery date, per customer × quarter. A delivered line counts at its
#:   delivery date (``sales_at`` = ``delivered_at``), so the quarter of its sales date is
#:   the quarter of its delivery: the review's deliveries come from the same rows.
#: - ``order_q``: each order's first and last quarter with lines (lines without an
#:   order id count as no order). An order whose lines all fall in one quarter - in
#:   most exports every order - is in a window exactly when that quarter is, so the
#:   distinct orders of a window are a sum of per-quarter counts.
#: - ``spread``: the few orders with lines in several quarters, one row per order ×
#:   quarter with ``prev_q``, the order's previous quarter with lines (NULL for its
#:   first): a window of quarters q0..q0+3 holds such an order once, at its row with
#:   ``prev_q`` NULL or before q0.
#:
#: So the distinct orders are counted without a per-group set of order ids, and the
#: one pass that sees every order id is a plain group-by.
_Q = "CAST(year(sales_at) * 4 + quarter(sales_at) - 1 AS BIGINT)"
_IN_WINDOWS = """sales_at > (SELECT min(lo) FROM windows)
      AND sales_at <= (SELECT max(hi) FROM windows)"""
QUARTER_PER_ORDER_SQL = (f"""
CREATE TEMP TABLE per_q AS
SELECT customer_id, {_Q} AS q,
       sum(volume_kg) AS volume_kg, sum(revenue) AS revenue,
       sum(gross_margin) AS gross_margin,
       count(*) FILTER (WHERE is_delivered AND delivered_at IS NOT NULL) AS delivered_lines,
       count(*) FILTER (WHERE is_delivered AND delivered_at IS NOT NULL
                          AND on_time_in_full)                          AS otif_lines
FROM lines
WHERE {_IN_WINDOWS}
GROUP BY 1, 2
""", f"""
CREATE TEMP TABLE order_q AS
SELECT customer_id, order_id, min({_Q}) AS q, max({_Q}) AS q_last
FROM lines
WHERE order_id IS NOT NULL AND {_IN_WINDOWS}
GROUP BY 1, 2
""", f"""
CREATE TEMP TABLE spread AS
SELECT customer_id, q, lag(q) OVER (PARTITION BY customer_id, order_id ORDER BY q) AS prev_q
FROM (
    SELECT DISTINCT l.customer_id, l.order_id, {_Q.replace("sales_at", "l.sales_at")} AS q
    FROM lines l SEMI JOIN (SELECT customer_id, order_id FROM order_q WHERE q_last > q) m
      ON l.customer_id = m.customer_id AND l.order_id = m.order_id
    WHERE {_IN_WINDOWS.replace("sales_at", "l.sales_at")}
)
""")

#: Per customer and window of each review date: the sums from ``per_q``, the distinct
#: orders from ``order_q`` (one-quarter orders) and ``spread`` (the others).
QUARTER_WINDOWS_SQL = """
WITH s AS (
    SELECT p.customer_id, w.as_of, w.win, sum(p.volume_kg) AS volume_kg,
           sum(p.revenue) AS revenue, sum(p.gross_margin) AS gross_margin
    FROM per_q p JOIN wq w ON p.q = w.q
    GROUP BY 1, 2, 3
), singles AS (
    SELECT customer_id, q, count(*) AS orders FROM order_q WHERE q_last = q GROUP BY 1, 2
), o AS (
    SELECT customer_id, as_of, win, sum(orders) AS orders FROM (
        SELECT o.customer_id, w.as_of, w.win, o.orders
        FROM singles o JOIN wq w ON o.q = w.q
        UNION ALL
        SELECT m.customer_id, w.as_of, w.win, 1 AS orders
        FROM spread m JOIN wq w ON m.q = w.q
        WHERE m.prev_q IS NULL OR m.prev_q < w.q0
    )
    GROUP BY 1, 2, 3
)
SELECT s.customer_id, s.as_of, s.win AS window, s.volume_kg, s.revenue, s.gross_margin,
       coalesce(o.orders, 0) AS orders
FROM s LEFT JOIN o ON s.customer_id = o.customer_id AND s.as_of = o.as_of
                  AND s.win = o.win
"""

#: Delivered and on-time-in-full lines per customer in window 0 of each review date
#: (customers with at least one delivered line there), from ``per_q``.
QUARTER_DELIVERIES_SQL = """
SELECT p.customer_id, w.as_of, sum(p.delivered_lines) AS delivered_lines,
       sum(p.otif_lines) AS otif_lines
FROM per_q p JOIN wq w ON w.win = 0 AND p.q = w.q
GROUP BY 1, 2
HAVING sum(p.delivered_lines) > 0
"""

QUARTER_INTERACTIONS_SQL = f"""
WITH per_q AS (
    SELECT customer_id, CAST(year(date) * 4 + quarter(date) - 1 AS BIGINT) AS q,
           {", ".join(f"count(*) FILTER (WHERE type = '{t}') AS n_{slug(t)}"
                      for t in schema.INTERACTION_TYPES)}
    FROM interactions
    WHERE customer_id IS NOT NULL AND type IS NOT NULL
      AND date > (SELECT min(lo) FROM windows WHERE win = 0)
      AND date <= (SELECT max(hi) FROM windows WHERE win = 0)
    GROUP BY 1, 2
)
SELECT p.customer_id, w.as_of,
       {", ".join(f"sum(p.n_{slug(t)}) AS n_{slug(t)}" for t in schema.INTERACTION_TYPES)}
FROM per_q p JOIN wq w ON w.win = 0 AND p.q = w.q
GROUP BY 1, 2
"""


def _quarter_index(d: pd.Timestamp) -> int:
    return d.year * 4 + (d.month - 1) // 3


def _is_quarter_end(d: pd.Timestamp) -> bool:
    return d == d.normalize() and d == d + pd.offsets.QuarterEnd(0)


#: Delivered and on-time-in-full lines per customer in window 0 (by delivery date).
REVIEW_DELIVERIES_SQL = """
SELECT
    l.customer_id,
    w.as_of,
    count(*)                                        AS delivered_lines,
    count(*) FILTER (WHERE l.on_time_in_full)       AS otif_lines
FROM lines l JOIN windows w
  ON w.win = 0 AND l.delivered_at > w.lo AND l.delivered_at <= w.hi
WHERE l.is_delivered
GROUP BY 1, 2
"""


@dataclass(frozen=True)
class ActivityFacts:
    """The aggregates of :func:`activity_facts`.

    ``interactions``: per customer_id × year, for each interaction type t (its
    :func:`slug`): ``n_t`` (count), ``known_t`` (with recorded minutes), ``minutes_t``
    (their sum). ``complaints``: one row per complaint - customer_id, date,
    product_id, days_to_resolve, complaint_reason. ``orders``: per customer_id × year
    (the sales year) - line_count, delivered_order_count, volume_kg.
    ``first_orders``: per customer_id (index) - first_order_date (over every year).
    ``years``: the years covered (None = every year). ``source``: where they came from.
    """

    interactions: pd.DataFrame
    complaints: pd.DataFrame
    orders: pd.DataFrame
    first_orders: pd.DataFrame
    years: tuple[int, ...] | None = None
    source: str = ""

    def require(self, years, what: str) -> None:
        """A clear error when ``years`` are not all covered."""
        if self.years is None:
            return
        missing = sorted(set(int(y) for y in years) - set(self.years))
        if missing:
            raise ValueError(
                f"{what}: the activity aggregates cover {', '.join(map(str, self.years))}, "
                f"not {', '.join(map(str, missing))}; compute them with "
                f"activity_facts(source, years=[...]) including those years.")

    def interaction_counts(self, index, years) -> pd.DataFrame:
        """Interactions per customer (rows ``index``) and type (columns
        ``schema.INTERACTION_TYPES``) in ``years`` (a list). int64, 0 where none."""
        self.require(years, "interaction counts")
        return counts_by_type(self.interactions.loc[
            self.interactions["year"].isin([int(y) for y in years])], index)


def counts_by_type(t: pd.DataFrame, index) -> pd.DataFrame:
    """The ``n_<type>`` columns of ``t`` summed per customer_id, as a customers
    (``index``) × types (``schema.INTERACTION_TYPES``) table of int64."""
    idx = pd.Index(index, dtype="string", name="customer_id")
    cols = [f"n_{slug(t_)}" for t_ in schema.INTERACTION_TYPES]
    g = t.groupby("customer_id", observed=True)[cols].sum()
    g.index = g.index.astype("string")
    g = g.reindex(idx, fill_value=0).fillna(0).astype("int64")
    g.columns = list(schema.INTERACTION_TYPES)
    return g


# ----------------------------------------------------------------------- connecting


def _connect():
    """A fresh in-memory DuckDB connection, set up as kamlib.engine's."""
    from kamlib import engine

    return engine._connect()


def _is_kamdata(source) -> bool:
    return hasattr(source, "orders") and hasattr(source, "interactions") and hasattr(
        source, "customers")


# The loaded interactions as the SQL's relation, made once per table object: DuckDB
# only reads it, and on 10 million interactions the typed copy costs 3 s (a chapter
# registers it for the cost to serve of two years and for the review); the price is
# holding that copy while the table lives (0.67 GB at 50,000 customers x 10 years, next
# to the 1.9 GB of the table itself). The order lines' copy (1.3 s, 1.0 GB) is not kept.
_FRAMES = TableMemo(1)


def _prepared(table, make):
    """``make(table)``, remembered for the very ``table`` object (kamlib.memo)."""
    if table is None:
        return make(table)
    hit = _FRAMES.get((table,), make.__name__)
    if hit is None:
        hit = make(table)
        _FRAMES.put((table,), make.__name__, hit)
    return hit


def _lines_frame(orders: pd.DataFrame) -> pd.DataFrame:
    """The loaded order lines (kamlib.measures.order_measures) as LINES_SQL's columns."""
    o = orders
    sales = o["sales_date"] if "sales_date" in o else o["order_date"]
    otif = o["on_time_in_full"] if "on_time_in_full" in o else pd.Series(False, index=o.index)
    delivered_at = (o["actual_delivery_date"] if "actual_delivery_date" in o
                    else o["order_date"].where(o["is_delivered"]))
    return pd.DataFrame({
        "customer_id": o["customer_id"].astype("string"),
        "order_id": o["order_id"].astype("string"),
        "order_date": o["order_date"],
        "sales_at": sales.fillna(o["order_date"]),
        "delivered_at": delivered_at,
        "volume_kg": o["volume_kg"].astype(float),
        "revenue": o["revenue"].astype(float),
        "gross_margin": o["gross_margin"].astype(float),
        "is_delivered": o["is_delivered"].astype(bool),
        "on_time_in_full": pd.array(otif, dtype="boolean").fillna(False).astype(bool),
    })


_INTERACTION_COLUMNS = {"customer_id": "VARCHAR", "date": "DATE", "type": "VARCHAR",
                        "effort_minutes": "DOUBLE", "product_id": "VARCHAR",
                        "days_to_resolve": "DOUBLE", "complaint_reason": "VARCHAR"}


def _interactions_frame(it: pd.DataFrame | None) -> pd.DataFrame:
    it = it if it is not None else pd.DataFrame()
    n = len(it)
    out = {}
    for c, kind in _INTERACTION_COLUMNS.items():
        if c in it.columns:
            col = it[c]
            if kind == "VARCHAR":
                col = col.astype("string")
            elif kind == "DOUBLE":
                col = pd.to_numeric(col, errors="coerce").astype(float)
            out[c] = col.to_numpy() if kind != "VARCHAR" else col
        else:
            out[c] = (pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
                      if kind == "DATE" else pd.Series(np.nan if kind == "DOUBLE" else None,
                                                       index=range(n),
                                                       dtype=float if kind == "DOUBLE"
                                                       else "string"))
    return pd.DataFrame({k: (v.reset_index(drop=True) if isinstance(v, pd.Series) else v)
                         for k, v in out.items()})


def _is_lazy(t) -> bool:
    """A table kamlib.data.load left in its file (it gives SQL with ``reader()``)."""
    return not isinstance(t, pd.DataFrame) and hasattr(t, "reader")


def _file_view(con, name: str, p: Path, need: tuple[str, ...] = ()) -> set[str]:
    """A view ``name`` over the file ``p`` (types of the schema); its column names."""
    from kamlib import engine

    return _sql_view(con, name, engine._reader(p), need, p)


def _sql_view(con, name: str, reader: str, need: tuple[str, ...], p) -> set[str]:
    """A view ``name`` over the SQL ``reader``; its column names (``need`` checked)."""
    con.execute(f"CREATE VIEW {name} AS SELECT * FROM {reader}")
    have = {r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()}
    p = getattr(p, "file", p)
    missing = [c for c in need if c not in have]
    if missing:
        raise ValueError(
            f"{p}: the column(s) {', '.join(missing)} are missing, so the aggregates "
            "cannot be computed over the file; load it with kamlib.data.load (engine "
            "'pandas'), which reads renamed headers and other forms.")
    return have


def _register(con, source) -> str:
    """Relations ``lines`` and ``interactions`` on ``con``; returns the source in words."""
    if _is_kamdata(source):
        o, it = source.orders, source.interactions
        if _is_lazy(o):  # a large export left in its file by kamlib.data.load
            _sql_view(con, "orders", o.reader(), LINES_COLUMNS, o)
            con.execute(f"CREATE VIEW lines AS {LINES_SQL}")
        else:
            con.register("lines", _lines_frame(o))
        if _is_lazy(it):
            have = _sql_view(con, "interactions_file", it.reader(),
                             ("customer_id", "date", "type"), it)
            _interactions_view(con, have, it)
        else:
            con.register("interactions", _prepared(it, _interactions_frame))
        return f"the loaded tables ({getattr(source, 'source', '')})"
    from kamlib import data, engine

    f = engine.orders_file(source)
    if f is None:
        raise FileNotFoundError(
            f"{source}: no orders.parquet or orders.csv in this folder; pass the loaded "
            "data (kamlib.data.load) instead.")
    _file_view(con, "orders", f, LINES_COLUMNS)
    con.execute(f"CREATE VIEW lines AS {LINES_SQL}")
    folder = data.resolve_source(source)
    itf = engine._table_file(folder, "interactions")
    if itf is None:
        empty = ", ".join(f"CAST(NULL AS {t}) AS {c}" for c, t in _INTERACTION_COLUMNS.items())
        con.execute(f"CREATE VIEW interactions AS SELECT {empty} WHERE false")
    else:
        have = _file_view(con, "interactions_file", itf, ("customer_id", "date", "type"))
        _interactions_view(con, have, itf)
    return f"DuckDB over {f.parent}"


def _interactions_view(con, have: set[str], where) -> None:
    """The view ``interactions`` (the columns used here, typed) over
    ``interactions_file``; a type not on the schema's list is an error (the loader's
    check names the rows)."""
    cols = ", ".join(
        f"CAST({c} AS {t}) AS {c}" if c in have else f"CAST(NULL AS {t}) AS {c}"
        for c, t in _INTERACTION_COLUMNS.items())
    con.execute(f"CREATE VIEW interactions AS SELECT {cols} FROM interactions_file")
    bad = con.execute(
        "SELECT DISTINCT type FROM interactions WHERE type IS NOT NULL AND type NOT IN ("
        + ", ".join(f"'{t}'" for t in schema.INTERACTION_TYPES) + ") LIMIT 5").fetchall()
    if bad:
        raise ValueError(
            f"{getattr(where, 'file', where)}: interaction type(s) "
            f"{', '.join(repr(b[0]) for b in bad)} are not on the list "
            f"({', '.join(schema.INTERACTION_TYPES)}); kamlib.data.check reports the rows.")


# ----------------------------------------------------------------------- the tables


def _years_sql(col: str, years) -> str:
    if years is None:
        return "true"
    ys = sorted({int(y) for y in years})
    return f"year({col}) IN ({', '.join(map(str, ys))})" if ys else "false"


_MEMO = TableMemo(8)  # results are read-only: returned as stored (kamlib.memo)


def _memo_tables(source):
    """The loaded pandas tables a result is remembered under (None for files and lazy
    tables): chapters ask for the same aggregates of the same data several times."""
    if not _is_kamdata(source) or _is_lazy(source.orders) or _is_lazy(source.interactions):
        return None
    return (source.orders, source.interactions)


SPAN_YEARS = 4
"""For loaded tables, a request for some years is answered from the aggregates of the
data's last ``SPAN_YEARS`` years (and the years asked): the chapters and the review ask
for the analysis year, the year before and the three before that in turn, and one pass
over the lines serves them all (a pass costs about the same for one year or four)."""


def activity_facts(source, years=None) -> ActivityFacts:
    """See :func:`_activity_facts`; the result for loaded pandas tables is remembered
    (the same tables, by identity, give the same aggregates: KamData is read-only).
    For those tables some ``years`` are the rows of those years of a wider pass
    (:data:`SPAN_YEARS`), the same rows as their own pass."""
    key = None if years is None else tuple(sorted({int(y) for y in years}))
    if key is None or _memo_tables(source) is None:
        return _remembered(source, key, lambda: _activity_facts(source, years))
    last = source.orders["year"].max() if len(source.orders) else None
    span = set(key)
    if last is not None and not pd.isna(last):
        span |= set(range(int(last) - SPAN_YEARS + 1, int(last) + 1))
    span = tuple(sorted(span))
    wide = _remembered(source, span, lambda: _activity_facts(source, span))
    return wide if span == key else _only_years(wide, key)


def _only_years(a: ActivityFacts, years: tuple) -> ActivityFacts:
    """The rows of ``years`` of ``a`` (computed over a superset of them)."""
    ys = list(years)

    def rows(t, col):
        y = t[col].dt.year if col == "date" else t[col]
        return t.loc[y.isin(ys).to_numpy()].reset_index(drop=True)

    return ActivityFacts(interactions=rows(a.interactions, "year"),
                         complaints=rows(a.complaints, "date"),
                         orders=rows(a.orders, "year"), first_orders=a.first_orders,
                         years=tuple(years), source=a.source)


def _remembered(source, key, compute):
    """``compute()`` remembered for the loaded tables of ``source`` and ``key`` (in this
    process, and for the next chapters of a ``kam chapters`` run: kamlib.data.cache)."""
    from kamlib.data import cache

    tables = _memo_tables(source)
    if tables is not None:
        hit = _MEMO.get(tables, key)
        if hit is None:
            hit = cache.shared_result("activity", tables, key)
            if hit is not None:
                _MEMO.put(tables, key, hit)
        if hit is not None:
            return hit
    result = compute()
    if tables is not None:
        _MEMO.put(tables, key, result)
        cache.share_result("activity", tables, key, result)
    return result


def _activity_facts(source, years=None) -> ActivityFacts:
    """Interactions per customer × year (a column per type), the complaints, and order
    lines / delivered orders / kg per customer × year, the first order date (see the
    module doc).

    ``source``: a folder with the export's files (or ``"sample"``): DuckDB reads the
    files, only the aggregates come into memory; or a loaded
    :class:`kamlib.data.KamData` (pandas tables, or tables left in their files by the
    loader): the same SQL over its tables. ``years``: only these calendar years (the
    analysis year and the one before are all the pipeline needs: on a ten-year export
    that is a fifth of the work); None = every year.
    """
    con = _connect()
    try:
        where = _register(con, source)
        it = con.execute(INTERACTIONS_SQL.format(years=_years_sql("date", years))).df()
        comp = con.execute(COMPLAINTS_SQL.format(years=_years_sql("date", years))).df()
        oy = con.execute(ORDER_YEARS_SQL.format(years=_years_sql("sales_at", years))).df()
        first = con.execute(FIRST_ORDER_SQL).df()
    finally:
        con.close()
    it["customer_id"] = it["customer_id"].astype("string")
    for c in it.columns[1:]:
        it[c] = it[c].astype(float if c.startswith("minutes_") else "int64")
    comp["customer_id"] = comp["customer_id"].astype("string")
    comp["product_id"] = comp["product_id"].astype("string")
    comp["date"] = pd.to_datetime(comp["date"])
    comp["days_to_resolve"] = comp["days_to_resolve"].astype(float)
    comp["complaint_reason"] = comp["complaint_reason"].astype(object)
    oy["customer_id"] = oy["customer_id"].astype("string")
    for c in ("year", "line_count", "delivered_order_count"):
        oy[c] = oy[c].astype("int64")
    first["customer_id"] = first["customer_id"].astype("string")
    first["first_order_date"] = pd.to_datetime(first["first_order_date"])
    first = first.set_index("customer_id").sort_index()
    return ActivityFacts(interactions=it, complaints=comp, orders=oy, first_orders=first,
                         years=None if years is None else tuple(sorted({int(y) for y in years})),
                         source=where)


def review_dates(ends) -> pd.DataFrame:
    """The windows of each review date: as_of, win (0-2), lo (excluded), hi (included):
    window k = (as_of − (k+1) years, as_of − k years]."""
    rows = []
    for d in ends:
        d = pd.Timestamp(d)
        for k in range(3):
            rows.append((d, k, d - pd.DateOffset(years=k + 1), d - pd.DateOffset(years=k)))
    return pd.DataFrame(rows, columns=["as_of", "win", "lo", "hi"])


@dataclass(frozen=True)
class ReviewWindows:
    """:func:`review_windows`: ``sums`` (customer_id, as_of, window, volume_kg, revenue,
    gross_margin, orders), ``deliveries`` (customer_id, as_of, delivered_lines,
    otif_lines) and ``interactions`` (customer_id, as_of, ``n_<type>``), both of
    window 0 only; ``ends``: the review dates."""

    sums: pd.DataFrame
    deliveries: pd.DataFrame
    interactions: pd.DataFrame
    ends: tuple

    def interaction_counts(self, as_of, index) -> pd.DataFrame:
        """Interactions per customer (``index``) and type in the 12 months up to
        ``as_of``."""
        t = self.interactions
        return counts_by_type(t.loc[t["as_of"] == pd.Timestamp(as_of)], index)

    def at(self, as_of) -> tuple[dict, pd.DataFrame]:
        """For one review date: {column: DataFrame customers × windows 0-2} (sums; int64
        'orders'), and the deliveries (index customer_id: delivered_lines,
        otif_lines). Customers: every one with a line in a window."""
        as_of = pd.Timestamp(as_of)
        if as_of not in set(self.ends):
            raise KeyError(f"review date {as_of.date()} was not computed (have "
                           f"{', '.join(str(pd.Timestamp(e).date()) for e in self.ends)})")
        s = self.sums.loc[self.sums["as_of"] == as_of]
        codes, uniq = pd.factorize(s["customer_id"], sort=True)
        ids = pd.Index(np.asarray(uniq, dtype=object), dtype="string", name="customer_id")
        key = codes * 3 + s["window"].to_numpy(dtype=np.int64)
        out = {}
        for c in ("volume_kg", "revenue", "gross_margin", "orders"):
            m = np.bincount(key, weights=s[c].to_numpy(dtype=float),
                            minlength=3 * len(ids)).reshape(len(ids), 3)
            out[c] = pd.DataFrame(m.astype("int64") if c == "orders" else m, index=ids,
                                  columns=[0, 1, 2])
        d = self.deliveries.loc[self.deliveries["as_of"] == as_of].set_index("customer_id")
        d.index = d.index.astype("string")
        return out, d[["delivered_lines", "otif_lines"]]


def review_windows(source, ends) -> ReviewWindows:
    """Kg, revenue, gross margin and distinct orders per customer in the three 12-month
    windows of each review date in ``ends``, and the delivered / on-time-in-full lines
    of the last 12 months (by delivery date) and the interactions per type of the last
    12 months - what :func:`kamlib.review.health` needs from the order lines and the
    interactions, for all its review dates in one pass each.

    ``source``: a folder (DuckDB over the files) or a loaded KamData (the same SQL over
    its order lines; remembered for those tables and dates, as :func:`activity_facts`).
    """
    ends = tuple(sorted({pd.Timestamp(e) for e in ends}))  # each date once
    span = ends
    if _memo_tables(source) is not None and ends and _is_quarter_end(ends[-1]):
        # one pass for the review date and its trend (SPAN_QUARTERS)
        span = tuple(sorted({*ends, *quarter_ends(ends[-1], SPAN_QUARTERS)}))
    wide = _remembered(source, ("review windows", span),
                       lambda: _review_windows(source, span))
    return wide if span == ends else _only_dates(wide, ends)


SPAN_QUARTERS = 4
"""For loaded tables the window sums of a review date are computed with those of the
quarter ends before it (the review's trend, ``review.trend_quarters`` by default 4):
the review date alone and its trend are then one pass over the lines, not two."""


def quarter_ends(last: pd.Timestamp, quarters: int) -> list[pd.Timestamp]:
    """The last ``quarters`` quarter ends up to the quarter end ``last``, oldest first."""
    return [last - pd.offsets.QuarterEnd(k) if k else last
            for k in range(quarters - 1, -1, -1)]


def _only_dates(w: ReviewWindows, ends: tuple) -> ReviewWindows:
    """The rows of the review dates ``ends`` of ``w`` (computed for more dates)."""
    keep = pd.DatetimeIndex(ends)

    def rows(t):
        return t.loc[t["as_of"].isin(keep).to_numpy()].reset_index(drop=True)

    return ReviewWindows(sums=rows(w.sums), deliveries=rows(w.deliveries),
                         interactions=rows(w.interactions), ends=ends)


def _review_windows(source, ends: tuple) -> ReviewWindows:
    win = review_dates(ends)
    con = _connect()
    try:
        _register(con, source)
        con.register("windows_df", win.assign(
            lo=win["lo"].dt.date, hi=win["hi"].dt.date, as_of=win["as_of"].dt.date))
        con.execute("CREATE VIEW windows AS SELECT CAST(as_of AS DATE) AS as_of, win, "
                    "CAST(lo AS DATE) AS lo, CAST(hi AS DATE) AS hi FROM windows_df")
        if all(_is_quarter_end(e) for e in ends):  # the review's dates: four quarters
            wq = pd.DataFrame([(_quarter_index(a) - 4 * k - j, _quarter_index(a) - 4 * k - 3,
                                a.date(), k)
                               for a in ends for k in range(3) for j in range(4)],
                              columns=["q", "q0", "as_of", "win"])
            con.register("wq_df", wq)
            con.execute("CREATE VIEW wq AS SELECT CAST(q AS BIGINT) AS q, "
                        "CAST(q0 AS BIGINT) AS q0, CAST(as_of AS DATE) AS as_of, win "
                        "FROM wq_df")
            for q in QUARTER_PER_ORDER_SQL:
                con.execute(q)
            queries = (QUARTER_WINDOWS_SQL, QUARTER_DELIVERIES_SQL,
                       QUARTER_INTERACTIONS_SQL)
        else:  # any other date: a range join on the dates
            queries = (REVIEW_WINDOWS_SQL, REVIEW_DELIVERIES_SQL, REVIEW_INTERACTIONS_SQL)
        sums, dl, it = (con.execute(q).df() for q in queries)
    finally:
        con.close()
    for c in it.columns[2:]:
        it[c] = it[c].astype("int64")
    for t in (sums, dl, it):
        t["customer_id"] = t["customer_id"].astype("string")
        t["as_of"] = pd.to_datetime(t["as_of"])
    sums["window"] = sums["window"].astype("int64")
    sums["orders"] = sums["orders"].astype("int64")
    for c in ("delivered_lines", "otif_lines"):
        dl[c] = dl[c].astype("int64")
    return ReviewWindows(sums=sums, deliveries=dl, interactions=it, ends=ends)
