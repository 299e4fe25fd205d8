"""Accrual during the year, interim payments and settlement: :func:`accrue`,
:func:`accrual`, :func:`settlement` and :func:`forecast_errors`."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from kamlib import measures
from kamlib.rebates.schedules import (FORECASTS, MIN_SEASONAL_SHARE, RebateSchedule,
                                      RebateSettings, _frac, _rebate_settings, _year,
                                      apply_schedule)
from kamlib.rebates.history import _baseline, _ids, _yearly_of


def monthly_volumes(orders: pd.DataFrame, year: int, ids=None) -> pd.DataFrame:
    """One row per customer and month 1-12 of ``year`` (months without sales = 0):
    ``customer_id``, ``month``, ``volume_kg``, ``revenue``. ``ids`` fixes the customers
    (None = those with sales in the year)."""
    if measures.large(orders):  # a slice of the remembered customer x month sums
        g = measures.customer_month(orders, [year])[["volume_kg", "revenue"]]
        g = g.droplevel("year")
    else:
        o = orders.loc[orders["year"] == year, ["customer_id", "month", "volume_kg",
                                                  "revenue"]]
        g = o.groupby([o["customer_id"].astype(str), "month"], observed=True)[
            ["volume_kg", "revenue"]].sum()
    if ids is None:
        ids = pd.Index(sorted(g.index.get_level_values(0).unique()))
    full = pd.MultiIndex.from_product([pd.Index(ids, dtype=object), range(1, 13)],
                                      names=["customer_id", "month"])
    g.index = g.index.set_names(["customer_id", "month"])
    g = g.reindex(full, fill_value=0.0).fillna(0.0)
    return g.reset_index()


def seasonal_shares(orders: pd.DataFrame, year: int, history_years: int = 3,
                    value: str = "volume_kg", ids=None, by: str = "customer") -> pd.DataFrame:
    """Seasonality as the cumulative share of a year's ``value`` bought by the end of
    each month, pooled over the ``history_years`` years before ``year`` (Σ over years
    of value to month m / Σ of yearly values, so larger years weigh more).
    ``by="customer"``: each customer's own history; ``by="company"``: all customers
    together (the same profile for everyone; one seasonal index of the classical
    decomposition, e.g. Hyndman & Athanasopoulos, *Forecasting: principles and
    practice*, ch. 3). Index ``customer_id``; columns 1-12 (month 12 = 1). Customers
    without history get NaN (``by="customer"``)."""
    if by not in ("customer", "company"):
        raise ValueError(f"seasonal_shares: by must be 'customer' or 'company', got '{by}'")
    years = list(range(year - history_years, year))
    o = g = None
    if measures.large(orders):  # the remembered customer x month sums, over the years
        cm = measures.customer_month(orders, years)[value]
        g = cm.groupby(level=["customer_id", "month"], sort=True).sum()
    else:  # only the columns used: taking all 36 columns was most of the time
        o = orders.loc[orders["year"].isin(years), ["customer_id", "month", value]]
    if by == "company":
        prof = (g.groupby(level="month").sum() if o is None
                else o.groupby("month")[value].sum()).reindex(range(1, 13), fill_value=0.0)
        cum = prof.cumsum().to_numpy(dtype=float)
        share = _frac(cum, np.full(12, cum[-1]))
        if ids is None:
            ids = pd.Index(sorted(g.index.get_level_values(0).unique() if o is None
                                  else o["customer_id"].astype(str).unique()), dtype=object)
        ids = pd.Index(ids, dtype=object, name="customer_id")
        return pd.DataFrame(np.tile(share, (len(ids), 1)), index=ids,
                            columns=list(range(1, 13)))
    if g is None:
        g = o.groupby([o["customer_id"].astype(str), "month"], observed=True)[value].sum()
    t = g.unstack("month", fill_value=0.0).reindex(columns=range(1, 13), fill_value=0.0)
    t.index.name = "customer_id"
    cum = t.cumsum(axis=1)
    total = cum[12].to_numpy()
    shares = pd.DataFrame(_frac(cum.to_numpy(), total[:, None]), index=t.index,
                          columns=list(range(1, 13)))
    if ids is not None:
        shares = shares.reindex(pd.Index(ids, dtype=object))
    return shares


def accrue(monthly: pd.DataFrame, schedule: RebateSchedule, *, forecast: str = "run_rate",
           last_year: pd.Series | None = None, seasonal: pd.DataFrame | None = None,
           baseline: pd.Series | None = None) -> pd.DataFrame:
    """Month-by-month accrual, interim payments and final settlement of ``schedule``
    for each customer-year. Pure: the inputs are plain tables.

    ``monthly``: rows ``customer_id``, ``month`` (1-12), ``volume_kg``, ``revenue``
    (missing months = nothing bought). Forecast of the year-end volume F after month m
    (basis units; x = basis volume so far):

    - ``"run_rate"``: F = x × 12 / m;
    - ``"seasonal"`` or ``"customer_seasonal"``: F = x / S_m with S_m the cumulative
      seasonal share given in ``seasonal`` (index customer_id, columns 1-12, see
      :func:`seasonal_shares`); the run rate where S_m is unknown or below 5 %;
    - ``"last_year"``: F = last year's volume (``last_year``, by customer; the run rate
      where unknown);

    never below x, and F = x after month 12 (the actual). The customer is expected to
    end in the tier of F; the expected rebate R(F) is computed by the schedule at the
    average price so far, and accrued in proportion to the revenue so far:
    accrued_to_date = R(F) / revenue(F) × revenue so far. ``accrual`` is the month's
    booking (the change; negative = a reversal when the forecast falls).
    Interim payments, after each month of ``schedule.interim_months``: the paid total
    rises to ``interim_share`` × accrued_to_date (never paid back at an interim).
    Final settlement after month 12: **final = earned − interim paid** (negative when
    the interim payments exceeded what was earned: the customer owes it back, usually
    by credit note). This is the accrual logic of rebate agreements in SAP (condition
    contract settlement: accruals, partial settlements, final settlement).

    ``baseline``: for a growth schedule, by customer (basis units; missing = 0).

    Columns: ``customer_id``, ``month``, ``volume_kg``, ``revenue``,
    ``volume_to_date`` (kg), ``revenue_to_date`` (EUR), ``forecast_volume`` (basis
    units), ``forecast_tier``, ``forecast_rate``, ``accrual_rate`` (expected rebate /
    expected revenue), ``accrued_to_date``, ``accrual``, ``interim_payment``,
    ``interim_paid_to_date``, ``final_settlement`` (month 12 only; NaN before), all EUR.
    """
    if forecast not in FORECASTS:
        raise ValueError(f"forecast must be one of {', '.join(FORECASTS)}, got '{forecast}'")
    m = monthly.copy()
    m["customer_id"] = m["customer_id"].astype(str)
    ids = pd.Index(sorted(m["customer_id"].unique()), dtype=object)
    grid = pd.MultiIndex.from_product([ids, range(1, 13)], names=["customer_id", "month"])
    m = m.groupby(["customer_id", "month"])[["volume_kg", "revenue"]].sum()
    m = m.reindex(grid, fill_value=0.0).fillna(0.0)
    n = len(ids)
    kg = m["volume_kg"].to_numpy(dtype=float).reshape(n, 12)
    rev = m["revenue"].to_numpy(dtype=float).reshape(n, 12)
    kg_td = np.cumsum(kg, axis=1)
    rev_td = np.cumsum(rev, axis=1)
    x = kg_td if schedule.basis == "kg" else rev_td
    months = np.arange(1, 13)[None, :]
    run = x * 12.0 / months
    if forecast == "run_rate":
        f = run
    elif forecast in ("seasonal", "customer_seasonal"):
        if seasonal is None:
            sh = np.full((n, 12), np.nan)
        else:
            sh = seasonal.reindex(index=ids, columns=range(1, 13)).to_numpy(dtype=float)
        ok = np.isfinite(sh) & (sh >= MIN_SEASONAL_SHARE)
        f = np.where(ok, np.divide(x, sh, out=np.zeros_like(x), where=ok), run)
    else:
        ly = (np.full(n, np.nan) if last_year is None
              else last_year.reindex(ids).to_numpy(dtype=float))
        f = np.where(np.isfinite(ly)[:, None], ly[:, None], run)
    f = np.maximum(f, x)
    f[:, 11] = x[:, 11]
    base = (np.zeros(n) if baseline is None
            else np.nan_to_num(baseline.reindex(ids).to_numpy(dtype=float)))
    if schedule.basis == "kg":  # forecast kg valued at the average price so far
        price = np.nan_to_num(_frac(rev_td, kg_td))
        fdf = pd.DataFrame({"volume_kg": f.ravel(), "revenue": (f * price).ravel()})
    else:  # EUR basis: the forecast is revenue (the kg column is not used)
        fdf = pd.DataFrame({"volume_kg": f.ravel(), "revenue": f.ravel()})
    fdf["baseline"] = np.repeat(base, 12)
    a = apply_schedule(fdf, schedule)
    exp_rebate = a["rebate"].to_numpy().reshape(n, 12)
    exp_rev = fdf["revenue"].to_numpy().reshape(n, 12)
    acc_rate = np.where(exp_rev > 0, _frac(exp_rebate, exp_rev), 0.0)
    accrued = acc_rate * rev_td
    booked = np.diff(accrued, axis=1, prepend=0.0)
    booked[np.abs(booked) < 1e-9] = 0.0  # floating-point dust, not a booking
    pay_month = np.isin(months, np.asarray(schedule.interim_months))
    target = np.where(pay_month, schedule.interim_share * np.maximum(accrued, 0.0), 0.0)
    paid_td = np.maximum.accumulate(target, axis=1)
    paid_td[:, 11] = paid_td[:, 10]
    payment = np.diff(paid_td, axis=1, prepend=0.0)
    final = np.full((n, 12), np.nan)
    final[:, 11] = accrued[:, 11] - paid_td[:, 11]
    out = pd.DataFrame({
        "customer_id": np.repeat(ids.to_numpy(), 12),
        "month": np.tile(np.arange(1, 13), n),
        "volume_kg": kg.ravel(), "revenue": rev.ravel(),
        "volume_to_date": kg_td.ravel(), "revenue_to_date": rev_td.ravel(),
        "forecast_volume": f.ravel(), "forecast_tier": a["tier"].to_numpy(),
        "forecast_rate": a["rate"].to_numpy(), "accrual_rate": acc_rate.ravel(),
        "accrued_to_date": accrued.ravel(), "accrual": booked.ravel(),
        "interim_payment": payment.ravel(), "interim_paid_to_date": paid_td.ravel(),
        "final_settlement": final.ravel(),
    })
    out.attrs.update(schedule=schedule.name, forecast=forecast)
    return out


def accrual(kd, s, schedule=None, year: int | None = None, customers=None) -> pd.DataFrame:
    """:func:`accrue` on the data: the orders of ``year`` (default
    ``period.analysis_year``) month by month, the forecast of ``rebates.forecast``
    (seasonal shares and last year's volume from the customer's own history,
    ``rebates.forecast_history_years``), the growth baseline from the years before.
    ``customers``: ids (None = everyone with sales in the year). Same columns as
    :func:`accrue`."""
    rs = _rebate_settings(s)
    return _accrual(kd, rs, rs.schedule(schedule), _year(s, year, kd), customers)


def _accrual(kd, rs: RebateSettings, sc: RebateSchedule, year: int,
             customers, inputs: dict | None = None) -> pd.DataFrame:
    """:func:`accrual`. ``inputs``: a dict kept between calls for the same data,
    schedule, year and customers (the forecasts compared by :func:`forecast_errors`):
    the monthly volumes, last year and seasonality are then taken once."""
    inputs = {} if inputs is None else inputs
    value = "volume_kg" if sc.basis == "kg" else "revenue"
    if "monthly" not in inputs:
        ids = _ids(kd, customers)
        monthly = monthly_volumes(kd.orders, year, ids)
        ids = pd.Index(monthly["customer_id"].unique(), dtype=object)
        ly = _yearly_of(kd, [year - 1], value)
        last_year = (ly[year - 1] if (year - 1) in ly.columns else pd.Series(dtype=float))
        last_year = last_year.reindex(ids)
        base = None
        if sc.method == "growth":
            base = pd.Series(_baseline(kd, ids, year, sc, value), index=ids)
        inputs.update(monthly=monthly, ids=ids, last_year=last_year.where(last_year > 0),
                      baseline=base)
    by = "customer" if rs.forecast == "customer_seasonal" else "company"
    if ("seasonal", by) not in inputs:
        inputs[("seasonal", by)] = seasonal_shares(
            kd.orders, year, rs.forecast_history_years, value, inputs["ids"], by=by)
    out = accrue(inputs["monthly"], sc, forecast=rs.forecast, last_year=inputs["last_year"],
                 seasonal=inputs[("seasonal", by)], baseline=inputs["baseline"])
    out.attrs.update(year=year)
    return out


def settlement(accrued: pd.DataFrame) -> pd.DataFrame:
    """The year's settlement per customer from an :func:`accrue` table.

    Index ``customer_id``. Columns: ``volume_kg``, ``revenue``, ``earned`` (EUR: the
    rebate on the actual year), ``tier`` (reached), ``interim_paid`` (EUR),
    ``final_settlement`` (= earned − interim_paid; negative: the customer pays back),
    ``largest_forecast_error`` (share: the largest gap between a month's forecast and
    the actual year-end volume, relative to the actual)."""
    a = accrued
    last = a.loc[a["month"] == 12].set_index("customer_id")
    actual = last["forecast_volume"]
    err = a.assign(actual=a["customer_id"].map(actual))
    gap = (err["forecast_volume"] - err["actual"]).abs()
    rel = pd.Series(_frac(gap, err["actual"]), index=err.index)
    worst = rel.groupby(err["customer_id"]).max()
    out = pd.DataFrame(index=last.index)
    out["volume_kg"] = last["volume_to_date"]
    out["revenue"] = last["revenue_to_date"]
    out["earned"] = last["accrued_to_date"]
    out["tier"] = last["forecast_tier"]
    out["interim_paid"] = last["interim_paid_to_date"]
    out["final_settlement"] = last["final_settlement"]
    out["largest_forecast_error"] = worst.reindex(out.index)
    return out


def forecast_errors(kd, s, schedule=None, year: int | None = None, customers=None,
                    months=(3, 6, 9)) -> pd.DataFrame:
    """How well each accrual forecast (:data:`FORECASTS`) would have done in ``year``:
    which one to accrue with. For each forecast and month of ``months``:

    - ``median_error``: median over customers of |forecast − actual| / actual
      (year-end volume in the schedule's basis); ``weighted_error``: Σ |forecast −
      actual| / Σ actual (the large customers, where the money is, weigh most);
    - ``wrong_tier``: share of customers whose forecast tier was not the tier they
      reached;
    - ``customers_paying_back``: customers whose final settlement is negative (interim
      payments above what they earned), with ``paid_back`` (EUR, positive) the total.

    Index (``forecast``, ``month``). Customers without volume in the year are left out.
    """
    rs = _rebate_settings(s)
    sc = rs.schedule(schedule)
    year = _year(s, year, kd)
    rows = []
    inputs: dict = {}  # the same volumes and seasonality for each forecast
    for fc in FORECASTS:
        acc = _accrual(kd, dataclasses.replace(rs, forecast=fc), sc, year, customers,
                       inputs)
        last = acc.loc[acc["month"] == 12].set_index("customer_id")
        last = last.loc[last["forecast_volume"] > 0]
        final = last["final_settlement"]
        for m in months:
            cur = acc.loc[acc["month"] == m].set_index("customer_id").reindex(last.index)
            err = np.abs(cur["forecast_volume"] - last["forecast_volume"]) / last["forecast_volume"]
            rows.append({
                "forecast": fc, "month": int(m),
                "median_error": float(np.median(err)) if len(err) else np.nan,
                "weighted_error": float(np.abs(cur["forecast_volume"]
                                               - last["forecast_volume"]).sum()
                                        / last["forecast_volume"].sum()) if len(err) else np.nan,
                "wrong_tier": float((cur["forecast_tier"] != last["forecast_tier"]).mean())
                if len(err) else np.nan,
                "customers_paying_back": int((final < -0.005).sum()),
                "paid_back": float(-final[final < 0].sum()),
            })
    return pd.DataFrame(rows).set_index(["forecast", "month"])
