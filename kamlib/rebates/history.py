"""A schedule on the customers' own history: :func:`simulate`, its summary, the
customers per tier and those just below a threshold."""

from __future__ import annotations

import numpy as np
import pandas as pd
from kamlib import measures
from kamlib.rebates.schedules import (RebateSchedule, RebateSettings, _frac,
                                      _rebate_settings, _year, apply_schedule)


def _ids(kd, customers) -> pd.Index | None:
    if customers is None:
        return None
    if isinstance(customers, (str, bytes)):
        customers = [customers]
    if isinstance(customers, (pd.DataFrame, pd.Series)):
        customers = customers.index
    ids = pd.Index(list(dict.fromkeys(str(c) for c in customers)), name="customer_id",
                   dtype=object)
    bad = ~ids.isin(kd.customers["customer_id"].astype(str))
    if bad.any() and not getattr(kd, "lazy", False):  # lines in a file were checked
        bad &= ~ids.isin(measures.first_year(kd.orders).index)  # an id with a line
    unknown = ids[bad].tolist()
    if unknown:
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise ValueError(f"unknown customer id(s) {unknown[:5]}{more}: not in customers "
                         "or orders. Ids are text, e.g. 'C0042'.")
    return ids


def _yearly(orders: pd.DataFrame, value: str) -> pd.DataFrame:
    """customer × year table of ``value`` (0 where nothing was bought)."""
    g = orders.groupby([orders["customer_id"].astype(str), "year"], observed=True)[value].sum()
    t = g.unstack("year", fill_value=0.0)
    t.index.name = "customer_id"
    return t


def _yearly_of(kd, years, value: str) -> pd.DataFrame:
    """:func:`_yearly` of the lines of ``years``; on a large table
    (:func:`kamlib.measures.large`) a slice of the remembered customer-year sums."""
    years = list(years)
    if measures.large(kd.orders):
        cy = measures.customer_year(kd.orders, years)
        return _facts_years(cy, years, [value])[value].unstack("year", fill_value=0.0)
    return _yearly(kd.orders.loc[kd.orders["year"].isin(years), ["customer_id", "year", value]],
                   value)


def _facts_years(customer_year: pd.DataFrame, years, columns) -> pd.DataFrame:
    """The rows of per-customer-year facts (:func:`kamlib.measures.customer_year` or
    :func:`kamlib.engine.customer_year`) of ``years``, customer ids as text."""
    f = customer_year.loc[customer_year.index.get_level_values("year").isin(list(years)),
                          list(columns)]
    f.index = f.index.set_levels(f.index.levels[0].astype(str).astype(object), level=0)
    return f


def _baseline(kd, ids: pd.Index, year: int, sc: RebateSchedule, value: str,
              customer_year: pd.DataFrame | None = None) -> np.ndarray:
    """Mean yearly ``value`` of the ``baseline_years`` years before ``year`` (from the
    per-customer-year facts when given, else from the order lines)."""
    years = list(range(year - sc.baseline_years, year))
    if customer_year is not None:
        t = _facts_years(customer_year, years, [value])[value].unstack("year", fill_value=0.0)
    else:
        t = _yearly_of(kd, years, value)
    t = t.reindex(index=ids, columns=years, fill_value=0.0).fillna(0.0)
    return t.to_numpy(dtype=float).mean(axis=1)


def year_volumes(kd, year: int, customers=None, *,
                 customer_year: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per customer, the year's ``volume_kg``, ``revenue``, ``gross_margin`` (revenue −
    cost of goods, EUR; the contribution margin before rebates) and
    ``rebate_paid`` (EUR, from the ``rebates`` table). ``customers=None``: every
    customer with sales in the year; given ids without sales get zeros.
    ``customer_year``: the per-customer-year facts when already computed (the sums of
    the order lines by customer and year), so the lines are not read again."""
    cols = ["volume_kg", "revenue", "gross_margin"]
    if customer_year is not None:
        g = _facts_years(customer_year, [year], cols).droplevel("year")
    elif measures.large(kd.orders):  # a slice of the remembered customer-year sums
        g = _facts_years(measures.customer_year(kd.orders, [year]), [year],
                         cols).droplevel("year")
    else:
        o = kd.orders.loc[kd.orders["year"] == year, ["customer_id", *cols]]
        g = o.groupby(o["customer_id"].astype(str), observed=True)[cols].sum()
    g.index.name = "customer_id"
    ids = _ids(kd, customers)
    if ids is None:
        g = g.loc[g["volume_kg"] > 0]
    else:
        g = g.reindex(ids, fill_value=0.0)
    rb = kd.rebates
    if rb is not None and len(rb):
        r = rb.loc[rb["year"].astype("float") == year]
        paid = r.groupby(r["customer_id"].astype(str))["rebate_paid"].sum()
        g["rebate_paid"] = paid.reindex(g.index).fillna(0.0).to_numpy()
    else:
        g["rebate_paid"] = 0.0
    return g


def simulate(kd, s, schedule=None, year: int | None = None,
             customers=None) -> pd.DataFrame:
    """What ``schedule`` would have paid on the history of ``year``.

    ``kd``: :class:`kamlib.data.KamData`; ``s``: the playbook settings (uses
    ``period.analysis_year`` when ``year`` is None, and ``rebates``); ``schedule``: a
    :class:`RebateSchedule` or a name (None = ``rebates.default_schedule``);
    ``customers``: ids (None = every customer with sales in the year).

    Index ``customer_id``. Columns: ``volume_kg``, ``revenue``, ``gross_margin``,
    ``rebate_paid`` (what was actually paid that year) and those of
    :func:`apply_schedule`, plus ``rebate_pct_of_revenue`` (= rebate / revenue),
    ``rebate_pct_of_margin`` (rebate / gross margin; NaN when the margin is not
    positive) and ``near_threshold`` (bool: to_next_tier ≤ ``near_threshold_share`` ×
    the volume the next tier needs). For growth schedules the baseline is taken from
    the years before ``year`` (see :class:`RebateSchedule`).
    """
    rs = _rebate_settings(s)
    return _simulate(kd, rs, rs.schedule(schedule), _year(s, year, kd), customers)


def _simulate(kd, rs: RebateSettings, sc: RebateSchedule, year: int, customers,
              baseline_before: int | None = None,
              customer_year: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`simulate`; the growth baseline uses the years before ``baseline_before``
    (default ``year``; the plan year for a projection). ``customer_year``: the facts
    when already computed (:func:`year_volumes`)."""
    v = year_volumes(kd, year, customers, customer_year=customer_year)
    value = "volume_kg" if sc.basis == "kg" else "revenue"
    if sc.method == "growth":
        before = year if baseline_before is None else baseline_before
        v["baseline"] = _baseline(kd, v.index, before, sc, value, customer_year)
    a = apply_schedule(v, sc)
    out = v[["volume_kg", "revenue", "gross_margin", "rebate_paid"]].join(a)
    out["rebate_pct_of_revenue"] = out["effective_rate"]
    gm = out["gross_margin"].to_numpy(dtype=float)
    out["rebate_pct_of_margin"] = np.where(gm > 0, _frac(out["rebate"], gm), np.nan)
    needed = out["basis_volume"].to_numpy() + out["to_next_tier"].to_numpy()
    out["near_threshold"] = (out["to_next_tier"].to_numpy()
                             <= rs.near_threshold_share * needed) & np.isfinite(needed)
    out.attrs.update(year=year, schedule=sc.name)
    return out


def simulation_summary(sim: pd.DataFrame) -> pd.Series:
    """Totals of a :func:`simulate` table: ``customers``, ``customers_paid`` (rebate >
    0), ``volume_kg``, ``revenue``, ``gross_margin``, ``rebate`` (EUR),
    ``rebate_pct_of_revenue`` (Σ rebate / Σ revenue), ``rebate_pct_of_margin``
    (Σ rebate / Σ gross margin), ``rebate_paid`` (what was actually paid, EUR),
    ``near_threshold`` (customers just below a threshold)."""
    rev, gm, reb = sim["revenue"].sum(), sim["gross_margin"].sum(), sim["rebate"].sum()
    return pd.Series(dtype=float, data={
        "customers": int(len(sim)),
        "customers_paid": int((sim["rebate"] > 0).sum()),
        "volume_kg": float(sim["volume_kg"].sum()),
        "revenue": float(rev), "gross_margin": float(gm), "rebate": float(reb),
        "rebate_pct_of_revenue": float(reb / rev) if rev > 0 else np.nan,
        "rebate_pct_of_margin": float(reb / gm) if gm > 0 else np.nan,
        "rebate_paid": float(sim["rebate_paid"].sum()) if "rebate_paid" in sim else np.nan,
        "near_threshold": int(sim["near_threshold"].sum()) if "near_threshold" in sim else 0,
    })


def tier_counts(sim: pd.DataFrame, schedule: RebateSchedule) -> pd.DataFrame:
    """Customers per tier of a :func:`simulate` (or :func:`apply_schedule`) table.

    Index ``tier`` (0 = below the first threshold). Columns ``band`` (in words),
    ``threshold`` (basis units; NaN for tier 0), ``rate``, ``customers``,
    ``basis_volume`` (kg or EUR), ``rebate`` (EUR)."""
    n = len(schedule.tiers)
    g = sim.groupby("tier")
    out = pd.DataFrame(index=pd.RangeIndex(0, n + 1, name="tier"))
    out["band"] = schedule.tier_labels()
    out["threshold"] = np.concatenate([[np.nan], schedule.thresholds])
    out["rate"] = np.concatenate([[0.0], schedule.rates])
    out["customers"] = g.size().reindex(out.index, fill_value=0).astype("int64")
    out["basis_volume"] = g["basis_volume"].sum().reindex(out.index, fill_value=0.0)
    out["rebate"] = g["rebate"].sum().reindex(out.index, fill_value=0.0)
    return out


def near_threshold(sim: pd.DataFrame) -> pd.DataFrame:
    """The customers just below a threshold (``near_threshold`` of :func:`simulate`),
    closest first: ``basis_volume``, ``tier``, ``to_next_tier``, ``next_tier_rate``,
    ``value_of_next_tier`` (EUR), ``marginal_rebate_rate`` (rebate per EUR of the extra
    purchase: above 1 means the extra volume would cost the customer *nothing*)."""
    cols = ["basis_volume", "tier", "to_next_tier", "next_tier_rate",
            "value_of_next_tier", "marginal_rebate_rate"]
    return sim.loc[sim["near_threshold"], cols].sort_values("to_next_tier")
