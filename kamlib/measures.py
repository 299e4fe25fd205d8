"""Shared per-customer aggregates of the order lines, used by every chapter.

All functions take the ``orders`` table as returned by ``kamlib.data.load`` (with the
measures of :func:`order_measures`) and return DataFrames indexed by ``customer_id``
(and ``year`` where stated). Money in the company's currency, volumes in its quantity
unit (the columns keep the names ``*_kg`` of the data model).

**The cut-off: sales are counted when delivered** (:data:`SALES_CONVENTION`). A line's
revenue, volume and margin belong to the year and month of its delivery date, as an
invoice, a rebate programme and the customer's own books count them. A line not yet
delivered when the data ends is part of the *open order book* (``is_open``,
``open_kg``, ``open_value``), shown apart and counted in no year's sales, so the orders
still open at the end of an export never look like a fall in sales. When to order is
the customer's behaviour: ``order_year`` and ``order_month`` keep the order date.

**The analysis year** defaults to the latest complete year in the data
(:func:`latest_complete_year`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamlib.memo import TableMemo
from kamlib.schema import SALES_CONVENTION  # stated once, in the schema


COMPLETE_YEAR_FROM_MONTH = 12
"""A year is complete when the data reaches its December (a date on or after 1 December)."""


def order_measures(orders: pd.DataFrame, deliveries: bool = True) -> pd.DataFrame:
    """Add the derived measures of each order line. Returns a new DataFrame.

    Columns added (money in the company's currency, quantities in its unit):

    - ``sales_date``: when the line counts as a sale (:data:`SALES_CONVENTION`):
      ``actual_delivery_date``; the ``order_date`` for a line delivered without a
      delivery date; empty (NaT) for an open line;
    - ``year``, ``month`` (1-12) of ``sales_date`` (of ``order_date`` for open lines,
      which add nothing to the sums); ``order_year``, ``order_month`` of ``order_date``;
    - ``volume_kg`` = ``delivered_kg`` (sales are invoiced on delivered quantity);
    - ``revenue`` = ``net_amount`` where given, else delivered_kg × net_price_per_kg;
    - ``list_revenue`` = ``list_amount`` where given, else delivered_kg ×
      list_price_per_kg (NaN without list prices);
    - ``discount`` = list_revenue − revenue (on-invoice discounts and deals; annual
      rebates are separate, see the ``rebates`` table);
    - ``discount_pct`` = discount / list_revenue (0 where list_revenue is 0, NaN where
      it is unknown);
    - ``cost_of_goods`` = ``cost_amount`` where given, else delivered_kg ×
      unit_cost_per_kg (NaN without costs);
    - ``gross_margin`` = revenue − cost_of_goods;
    - ``is_delivered``: actual_delivery_date is known;
    - ``is_open``: not delivered when the data ends (no delivery date, nothing
      delivered, something ordered): the open order book;
    - ``open_kg`` = quantity_kg of open lines (0 otherwise); ``open_value`` =
      open_kg × net_price_per_kg;
    - ``days_late`` = actual − promised delivery date in days (negative = early; NaN
      while not delivered);
    - ``on_time``: delivered no later than promised;
    - ``in_full``: delivered_kg ≥ quantity_kg;
    - ``on_time_in_full``: both (OTIF, the standard supply-chain service measure).

    ``deliveries=False`` (the export has no delivery dates): every line counts as
    delivered at its order date, nothing is open, ``days_late`` is NaN and
    ``on_time``/``in_full``/``on_time_in_full`` are <NA> (pandas ``boolean``).
    """
    o = orders.copy(deep=False)  # new columns only: the caller's frame is untouched
    n = len(o)
    if deliveries:
        delivered_at = o["actual_delivery_date"]
        has_date = delivered_at.notna()
        shipped = o["delivered_kg"].to_numpy(dtype="float64", na_value=np.nan) > 0
        sales_date = delivered_at.where(has_date, o["order_date"].where(shipped))
    else:
        has_date = pd.Series(np.ones(n, dtype=bool), index=o.index)
        shipped = np.ones(n, dtype=bool)
        sales_date = o["order_date"]
    o["sales_date"] = sales_date
    counted = sales_date.fillna(o["order_date"])
    o["year"] = counted.dt.year.astype("int64")
    o["month"] = counted.dt.month.astype("int64")
    o["order_year"] = o["order_date"].dt.year.astype("int64")
    o["order_month"] = o["order_date"].dt.month.astype("int64")
    o["volume_kg"] = o["delivered_kg"]

    def amount(col: str, per_kg: str) -> pd.Series:
        v = o["delivered_kg"] * o[per_kg]
        if col in o.columns:
            given = o[col]
            v = given.where(given.notna(), v)
        return v

    o["revenue"] = amount("net_amount", "net_price_per_kg")
    o["list_revenue"] = amount("list_amount", "list_price_per_kg")
    o["discount"] = o["list_revenue"] - o["revenue"]
    lr = o["list_revenue"].to_numpy(dtype="float64", na_value=np.nan)
    out = np.where(np.isnan(lr), np.nan, 0.0)
    o["discount_pct"] = np.divide(o["discount"].to_numpy(dtype="float64", na_value=np.nan),
                                  lr, out=out, where=lr > 0)
    o["cost_of_goods"] = amount("cost_amount", "unit_cost_per_kg")
    o["gross_margin"] = o["revenue"] - o["cost_of_goods"]
    o["is_delivered"] = has_date.to_numpy()
    qty = o["quantity_kg"].to_numpy(dtype="float64", na_value=np.nan)
    o["is_open"] = ~has_date.to_numpy() & ~shipped & (qty > 0)
    o["open_kg"] = np.where(o["is_open"].to_numpy(), qty, 0.0)
    o["open_value"] = o["open_kg"] * o["net_price_per_kg"]
    if deliveries:
        o["days_late"] = (o["actual_delivery_date"] - o["promised_delivery_date"]).dt.days
        o["on_time"] = o["is_delivered"] & (o["days_late"] <= 0)
        o["in_full"] = o["is_delivered"] & (o["delivered_kg"] >= o["quantity_kg"])
        o["on_time_in_full"] = o["on_time"] & o["in_full"]
    else:
        o["days_late"] = np.full(n, np.nan)
        for c in ("on_time", "in_full", "on_time_in_full"):
            o[c] = pd.arrays.BooleanArray(np.zeros(n, dtype=bool), np.ones(n, dtype=bool))
    return o


def _summary(orders):
    """The :class:`kamlib.data.lazy.OrderSummary` of order lines left in their file, or
    None for a DataFrame."""
    return getattr(orders, "summary", None) if not isinstance(orders, pd.DataFrame) else None


def data_end(orders: pd.DataFrame) -> pd.Timestamp | None:
    """The last date in the order lines (order or delivery): where the export ends.
    ``orders``: a DataFrame or order lines left in their file
    (:class:`kamlib.data.lazy.LazyTable`, whose summary holds it)."""
    summary = _summary(orders)
    if summary is not None:
        return summary.data_end
    if not len(orders):
        return None
    ends = [orders["order_date"].max()]
    if "actual_delivery_date" in orders.columns:
        ends.append(orders["actual_delivery_date"].max())
    ends = [e for e in ends if pd.notna(e)]
    return max(ends) if ends else None


def latest_complete_year(orders: pd.DataFrame) -> tuple[int, bool]:
    """The analysis year the data gives, and whether it is partial.

    Rule: the latest calendar year the data reaches to its end - a year is complete
    when the data (order or delivery dates) reaches its December
    (:data:`COMPLETE_YEAR_FROM_MONTH`); a later year with fewer months is partial and not
    taken. When the data holds only a partial year, that year is taken and
    ``partial`` is True. Returns ``(year, partial)``. Raises ``ValueError`` on no orders.
    """
    end = data_end(orders)
    if end is None:
        raise ValueError("there are no orders: no analysis year can be chosen")
    year = int(end.year)
    if end.month >= COMPLETE_YEAR_FROM_MONTH:
        return year, False
    summary = _summary(orders)
    years = set(summary.years if summary is not None
                else (int(y) for y in orders["year"].unique()))
    if (year - 1) in years:
        return year - 1, False
    return year, True


def analysis_year(setting: int, orders: pd.DataFrame) -> int:
    """``setting`` when it names a year, else (0) :func:`latest_complete_year`."""
    if setting:
        return int(setting)
    return latest_complete_year(orders)[0]


def period_note(orders: pd.DataFrame, year: int, chosen: bool = True) -> str:
    """One sentence on the analysis year: which rule chose it, and a partial year.

    ``chosen``: True when the year came from the data (setting 0), False when set.
    """
    end = data_end(orders)
    if end is None:
        return f"Analysis year {year}: there are no orders."
    auto, partial = latest_complete_year(orders)
    how = ("the latest complete year in the data" if chosen and not partial else
           "the only year in the data, and it is partial" if chosen else "as set")
    text = f"Analysis year {year} ({how}; the data ends on {end:%d %b %Y})."
    if year == end.year and end.month < COMPLETE_YEAR_FROM_MONTH:
        text += (f" {year} is partial: its figures cover January to {end:%B} only, so "
                 "they are not comparable with full years.")
    elif end.year > year:
        later = ", ".join(str(y) for y in range(year + 1, int(end.year) + 1))
        text += f" Later data ({later}, partial) is not analysed."
    return text


def open_order_book(orders: pd.DataFrame) -> pd.DataFrame:
    """The open order book per customer: lines not delivered when the data ends.

    Index ``customer_id``; columns ``open_lines``, ``open_kg``, ``open_value``
    (open_kg × net price), ``oldest_open_order`` (date). Only customers with open lines.
    """
    o = orders.loc[orders["is_open"]]
    g = o.groupby("customer_id", sort=True, observed=True)
    out = pd.DataFrame({"open_lines": g.size(), "open_kg": g["open_kg"].sum(),
                        "open_value": g["open_value"].sum(),
                        "oldest_open_order": g["order_date"].min()})
    return out


SUM_COLUMNS = [
    "volume_kg",
    "revenue",
    "list_revenue",
    "discount",
    "cost_of_goods",
    "gross_margin",
]


SQL_FROM_LINES = 1_000_000
"""From this many order lines the per-customer sums are computed by DuckDB (when it is
installed) instead of pandas: at 13 million lines 4 s instead of 16-21 s, the same
rows and counts, sums equal to about 1e-15 (another order of addition). Smaller tables,
the bundled sample among them, keep pandas, so their figures stay bit-identical."""


def _aggregate(orders: pd.DataFrame, keys: list[str], years=None,
               sql_from_lines: int | None = None) -> pd.DataFrame:
    """The sums of :func:`customer_year` per ``keys`` over the lines of ``years``
    (all when None). ``sql_from_lines``: the size from which DuckDB computes them
    (default :data:`SQL_FROM_LINES`)."""
    from kamlib import engine

    limit = SQL_FROM_LINES if sql_from_lines is None else sql_from_lines
    if len(orders) >= limit and engine.available():
        out = _aggregate_sql(orders, keys, years)
    else:
        o = orders if years is None else orders.loc[orders["year"].isin(list(years))]
        out = _aggregate_pandas(o, keys)
    return _with_ratios(out)


def _aggregate_pandas(orders: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    g = orders.groupby(keys, sort=True, observed=True)
    out = g[SUM_COLUMNS].sum()
    out["order_count"] = g["order_id"].nunique()
    out["line_count"] = g.size()
    delivered = orders["is_delivered"]
    d = orders.loc[delivered].groupby(keys, sort=True, observed=True)
    out["on_time_in_full_rate"] = d["on_time_in_full"].mean()
    return out


def _q(c: str) -> str:
    """A column name quoted for SQL."""
    return '"' + c.replace('"', '""') + '"'


def _sums_sql(columns) -> str:
    """``sum`` of each column as pandas sums: NaN and missing values skipped, 0 when
    none is left."""
    return ",\n".join(
        f"coalesce(sum(CASE WHEN isnan({_q(c)}) THEN NULL ELSE {_q(c)} END), 0) "
        f"AS {_q(c)}" for c in columns)


def _sql_over(lines: pd.DataFrame, sql: str) -> pd.DataFrame:
    """``sql`` run by DuckDB with the loaded frame ``lines`` as the table ``lines``
    (read in place, only the columns given)."""
    from kamlib.engine import _connect

    con = _connect()
    try:
        con.register("lines", lines)
        return con.execute(sql).df()
    finally:
        con.close()


def _aggregate_sql(orders: pd.DataFrame, keys: list[str], years=None) -> pd.DataFrame:
    """:func:`_aggregate_pandas` in DuckDB over the columns it uses of the loaded
    frame: the same rules, NaN and missing values skipped in sums (0 when none),
    distinct non-missing order numbers, the on-time share of delivered lines (NaN when
    none), rows without a key left out, sorted by the keys as pandas sorts them (by
    code point)."""
    sums = _sums_sql(SUM_COLUMNS)
    where = " AND ".join(f"{_q(k)} IS NOT NULL" for k in keys)
    if years is not None:
        ys = sorted({int(y) for y in years})
        where += f" AND year IN ({', '.join(map(str, ys))})" if ys else " AND false"
    k = ", ".join(_q(c) for c in keys)
    sql = (f"SELECT {k}, {sums},\n"
           "count(DISTINCT order_id) AS order_count, count(*) AS line_count,\n"
           "avg(CASE WHEN is_delivered THEN CAST(on_time_in_full AS DOUBLE) END) "
           "AS on_time_in_full_rate\n"
           f"FROM lines WHERE {where} GROUP BY {k} ORDER BY {k}")
    cols = list(dict.fromkeys([*keys, "year", "order_id", "is_delivered",
                               "on_time_in_full", *SUM_COLUMNS]))
    out = _sql_over(orders[cols], sql)  # only these columns are read
    for c in keys:
        out[c] = out[c].astype(orders[c].dtype)
    out = out.set_index(keys)
    for c in SUM_COLUMNS + ["on_time_in_full_rate"]:
        out[c] = out[c].astype("float64")
    if isinstance(orders["on_time_in_full"].dtype, pd.BooleanDtype):
        out["on_time_in_full_rate"] = out["on_time_in_full_rate"].astype("Float64")
    for c in ("order_count", "line_count"):
        out[c] = out[c].astype("int64")
    return out


def _with_ratios(out: pd.DataFrame) -> pd.DataFrame:
    v = out["volume_kg"].to_numpy()
    out["net_price_per_kg"] = np.divide(
        out["revenue"].to_numpy(), v, out=np.full(len(out), np.nan), where=v > 0
    )
    lr = out["list_revenue"].to_numpy()
    out["discount_pct"] = np.divide(
        out["discount"].to_numpy(), lr, out=np.full(len(out), np.nan), where=lr > 0
    )
    r = out["revenue"].to_numpy()
    out["gross_margin_pct"] = np.divide(
        out["gross_margin"].to_numpy(), r, out=np.full(len(out), np.nan), where=r != 0
    )
    return out


# The per-customer sums of the same loaded order lines are asked for again and again
# (the selection, the share of wallet, the relationship stages of two years, the
# review, the exercise checks): on 13 million lines each pass is 10-15 s of pandas work
# (five passes in one cell of chapter 05 at 50,000 customers). Remembered per order-line
# table object (kamlib.memo: weak references, a copy returned) and years asked.
_SUMS_MEMO = TableMemo(6, copy=lambda t: t.copy())


def _remembered(orders: pd.DataFrame, key, compute) -> pd.DataFrame:
    from kamlib.data import cache

    hit = _SUMS_MEMO.get((orders,), key)
    if hit is not None:
        return hit
    hit = cache.shared_result("sums", (orders,), key)  # from another chapter of the run
    if hit is not None:
        _SUMS_MEMO.put((orders,), key, hit)
        return hit.copy()
    out = compute()
    _SUMS_MEMO.put((orders,), key, out)
    cache.share_result("sums", (orders,), key, out)  # for the next chapters
    return out


def customer_year(orders: pd.DataFrame, years=None) -> pd.DataFrame:
    """Per customer and calendar year.

    Index: (``customer_id``, ``year``). Columns: ``volume_kg``, ``revenue``,
    ``list_revenue``, ``discount`` (on-invoice), ``cost_of_goods``, ``gross_margin``
    (EUR); ``order_count``, ``line_count``; ``on_time_in_full_rate`` (share of delivered
    lines on time and in full); ``net_price_per_kg`` = revenue / volume_kg;
    ``discount_pct`` = discount / list_revenue; ``gross_margin_pct`` =
    gross_margin / revenue. Only customer-years with orders appear.

    ``years``: only these years (None: all), the same rows as of the whole table.
    Computed once per order-line table and years (a copy is returned the next times;
    years of a table already summed whole, or of a table of a million lines or more,
    are taken from the whole sum).
    """
    if years is None:
        return _remembered(orders, ("customer_year",),
                           lambda: _aggregate(orders, ["customer_id", "year"]))
    ys = tuple(sorted({int(y) for y in years}))
    whole = _SUMS_MEMO.get((orders,), ("customer_year",))
    if whole is None and large(orders):
        whole = customer_year(orders)  # a large table: summed whole once, then sliced
    if whole is not None:
        return whole.loc[whole.index.get_level_values("year").isin(ys)]
    return _remembered(orders, ("customer_year", ys), lambda: _aggregate(
        orders, ["customer_id", "year"], years=ys))


def first_year(orders: pd.DataFrame) -> pd.Series:
    """Each customer's first year with an order line (index ``customer_id`` as text,
    sorted; int64). Computed once per order-line table."""
    def compute():
        f = orders.groupby("customer_id", sort=True, observed=True)["year"].min()
        f.index = f.index.astype("string")
        return f

    return _remembered(orders, ("first_year",), compute)


def customer_totals(orders: pd.DataFrame, years: list[int] | None = None) -> pd.DataFrame:
    """Per customer, summed over ``years`` (all years when ``None``).

    Index ``customer_id``; same columns as :func:`customer_year`. Computed once per
    order-line table and years (a copy is returned the next times).
    """
    ys = None if years is None else tuple(sorted({int(y) for y in years}))
    key = ("customer_totals", ys)

    def compute():
        return _aggregate(orders, ["customer_id"], years=ys)

    return _remembered(orders, key, compute)


MONTH_COLUMNS = ["volume_kg", "revenue", "quantity_kg"]
"""The sums of :func:`customer_month`: delivered kg and revenue (by the line's period)
and ordered kg (the need)."""


def large(orders) -> bool:
    """True for an order-line table of :data:`SQL_FROM_LINES` lines or more: the size
    from which the per-customer sums are computed once for the whole table and the
    years asked for are sliced from it (smaller tables are summed as asked)."""
    return isinstance(orders, pd.DataFrame) and len(orders) >= SQL_FROM_LINES


def customer_month(orders: pd.DataFrame, years=None) -> pd.DataFrame:
    """Per customer, calendar year and month: Σ ``volume_kg``, Σ ``revenue``,
    Σ ``quantity_kg`` of the order lines (:data:`MONTH_COLUMNS`; missing values
    skipped, as pandas sums).

    Index (``customer_id`` as text, ``year``, ``month``), sorted; only customer-months
    with lines appear. ``years``: only these years (None: all). The whole table is
    computed once per order-line table (by DuckDB from :data:`SQL_FROM_LINES` lines,
    when installed) and remembered and shared between the chapters of a run like
    :func:`customer_year`; the monthly accruals, seasonality and supply need of a large
    export are slices of it (at 13 million lines each pass over the lines took 1-2 s).
    (:func:`kamlib.engine.customer_month` is the wider table over files, with distinct
    orders and delivery counts: seconds more at that size, for columns these never use.)
    """
    def compute():
        from kamlib import engine

        cols = ["customer_id", "year", "month", *MONTH_COLUMNS]
        fn = _customer_month_sql if large(orders) and engine.available() \
            else _customer_month_pandas
        out = fn(orders[cols])
        for c in MONTH_COLUMNS:
            out[c] = out[c].astype("float64")
        return out

    whole = _remembered(orders, ("customer_month",), compute)
    if years is None:
        return whole
    ys = sorted({int(y) for y in years})
    return whole.loc[whole.index.get_level_values("year").isin(ys)]


def _customer_month_pandas(lines: pd.DataFrame) -> pd.DataFrame:
    keys = [lines["customer_id"].astype(str), "year", "month"]
    return lines.groupby(keys, sort=True, observed=True, dropna=True)[MONTH_COLUMNS].sum()


def _customer_month_sql(lines: pd.DataFrame) -> pd.DataFrame:
    out = _sql_over(lines, (
        f"SELECT CAST(customer_id AS VARCHAR) AS customer_id, year, month,\n"
        f"{_sums_sql(MONTH_COLUMNS)}\n"
        "FROM lines WHERE customer_id IS NOT NULL AND year IS NOT NULL "
        "AND month IS NOT NULL GROUP BY ALL ORDER BY customer_id, year, month"))
    out["customer_id"] = out["customer_id"].astype(str)  # as pandas' text ids
    for c in ("year", "month"):
        out[c] = out[c].astype(lines[c].dtype)
    return out.set_index(["customer_id", "year", "month"])


def yearly_pivot(orders: pd.DataFrame, value: str = "revenue") -> pd.DataFrame:
    """A customer × year table of ``value`` (0 where the customer bought nothing)."""
    cy = customer_year(orders)[value]
    return cy.unstack("year", fill_value=0.0)


def share_of_wallet(orders: pd.DataFrame, assessments: pd.DataFrame) -> pd.DataFrame:
    """Share of wallet per customer and year.

    share_of_wallet = our delivered kg in the year / the customer's estimated total use
    of the product in the year (``assessments.estimated_annual_use_kg``). Standard
    definition (e.g. Keiningham et al., "The value of different customer satisfaction
    and loyalty metrics", 2007). Capped at 1 (estimates can be below what we sold).

    Index (``customer_id``, ``year``); columns ``volume_kg``, ``estimated_annual_use_kg``,
    ``share_of_wallet`` (0-1; NaN where no estimate), ``main_competitor``.
    """
    return _share_of_wallet(customer_year(orders)["volume_kg"], assessments)


def share_of_wallet_of(volume_kg: pd.Series, year: int,
                       assessments: pd.DataFrame) -> pd.DataFrame:
    """:func:`share_of_wallet` for one ``year`` from volumes already summed.

    ``volume_kg``: delivered kg of ``year`` per customer (index ``customer_id``, e.g.
    ``customer_year(orders)["volume_kg"].xs(year, level="year")``). Same columns as
    :func:`share_of_wallet`, for the assessments of ``year`` only.
    """
    a = assessments.loc[assessments["year"].astype("int64") == int(year)]
    vol = volume_kg.copy()
    vol.index = pd.MultiIndex.from_arrays(
        [vol.index, np.full(len(vol), int(year), dtype="int64")], names=["customer_id", "year"])
    return _share_of_wallet(vol, a)


def _share_of_wallet(vol: pd.Series, assessments: pd.DataFrame) -> pd.DataFrame:
    a = assessments.set_index(["customer_id", "year"])[
        ["estimated_annual_use_kg", "main_competitor"]
    ]
    a.index = a.index.set_levels(a.index.levels[1].astype("int64"), level=1)
    out = a.join(vol, how="left")
    out["volume_kg"] = out["volume_kg"].fillna(0.0)
    use = out["estimated_annual_use_kg"].to_numpy(dtype=float)
    sow = np.divide(out["volume_kg"].to_numpy(), use, out=np.full(len(out), np.nan),
                    where=use > 0)
    out["share_of_wallet"] = np.minimum(sow, 1.0)
    return out[["volume_kg", "estimated_annual_use_kg", "share_of_wallet", "main_competitor"]]


def year_of(period, kd) -> int:
    """``period.analysis_year`` (a settings ``[period]`` section), or (0) the latest
    complete year of ``kd``'s orders (:func:`analysis_year`). Raises ``ValueError`` when it
    is 0 and there are no orders to resolve it against."""
    if period.analysis_year:
        return int(period.analysis_year)
    if kd is None or not len(kd.orders):
        raise ValueError("period.analysis_year is 0 (the latest complete year in the data): "
                         "resolve it with kamlib.settings.for_data(s, kd) first")
    return analysis_year(0, kd.orders)
