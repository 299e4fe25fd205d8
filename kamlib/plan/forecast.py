"""One forecast for the plan year: the volume every part of the plan uses.

The plan year's volume is forecast once per account, and that one figure drives the
volume objective, the rebate projection (the tier the plan reaches), supply priority
(the stock to reserve before the peak) and the visit plan's agenda. No other part of
the plan projects volume on its own.

1. :func:`history` - the account's last three years and the trend proposal of
   :func:`kamlib.service.objectives` (class growth blended with the account's own
   growth; the *baseline*).
2. :func:`plan_year` - the baseline moved by the strategy (``kamlib.plan.strategy``):

   - growth: ``max(baseline, V × (1 + growth_min))``;
   - win-back: ``max(baseline, V, use × (share + win_back_points))`` - the share of
     wallet the plan aims at, in kg;
   - hold and recovery: ``max(baseline, V)`` (stop any fall);
   - harvest: the baseline (volume may ease);

   every increase capped at ``max_share_of_wallet`` × the estimated use (the
   potential; ``service.objectives.max_share_of_wallet``) but never below last year's
   volume; a target edited by the account manager (``service.objectives.overrides``)
   always wins. Net price: the service proposal, plus ``harvest_price_change`` for
   harvest and for the recovery of an account that loses money; at most last year's
   price for a win-back and for the recovery of a relationship (unless edited).
3. :func:`rebate_at_plan` - the customer's rebate schedule applied to the plan volume
   (:func:`kamlib.rebates.apply_schedule`): tier, rate, rebate, distance to the next
   tier, and the retroactive cliffs near the plan volume.
4. :func:`supply_at_plan` - the peak-season need scaled to the plan volume.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamlib import measures
from kamlib.plan.config import PlanSettings


def _div(num, den) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.full(num.shape, np.nan), where=den != 0)


def history(kd, year: int, objectives: pd.DataFrame) -> pd.DataFrame:
    """The key accounts' recent history and the trend baseline for ``year + 1``.

    ``objectives``: :func:`kamlib.service.objectives` (index customer_id; its rows are
    the accounts planned). Index ``customer_id``. Columns: ``volume_kg`` (kg, analysis
    year), ``volume_1y`` / ``volume_2y`` (kg, one and two years before), ``revenue``
    (EUR), ``net_price`` (EUR/kg), ``estimated_use_kg`` (the customer's estimated total
    use, kg; NaN unknown), ``share_of_wallet`` and ``share_2y`` (fractions, now and two
    years before), ``baseline_kg`` (kg: the trend proposal), ``baseline_price``
    (EUR/kg), ``edited_volume`` / ``edited_price`` (bool: edited by the account manager).
    """
    ids = pd.Index(objectives.index.astype(str), name="customer_id")
    vol = measures.yearly_pivot(kd.orders, "volume_kg")
    vol.index = vol.index.astype(str)
    vol = vol.reindex(index=ids, columns=[year - 2, year - 1, year], fill_value=0.0)
    out = pd.DataFrame(index=ids)
    out["volume_kg"] = vol[year].to_numpy(float)
    out["volume_1y"] = vol[year - 1].to_numpy(float)
    out["volume_2y"] = vol[year - 2].to_numpy(float)
    o = objectives.set_axis(ids)
    out["revenue"] = o["revenue"].to_numpy(float)
    out["net_price"] = o["net_price"].to_numpy(float)
    a = kd.assessments
    if a is not None and len(a):
        a = a.assign(customer_id=a["customer_id"].astype(str))
        use = a.pivot_table(index="customer_id", columns="year",
                            values="estimated_annual_use_kg", aggfunc="last")
        use = use.reindex(index=ids, columns=[year - 2, year])
        u0, u2 = use[year].to_numpy(float), use[year - 2].to_numpy(float)
    else:
        u0 = u2 = np.full(len(ids), np.nan)
    out["estimated_use_kg"] = u0
    out["share_of_wallet"] = np.minimum(_div(out["volume_kg"], u0), 1.0)
    out["share_2y"] = np.minimum(_div(out["volume_2y"], u2), 1.0)
    out["baseline_kg"] = o["target_volume_kg"].to_numpy(float)
    out["baseline_price"] = o["target_net_price"].to_numpy(float)
    edited = o["edited"].astype(str) if "edited" in o.columns else pd.Series("", index=ids)
    out["edited_volume"] = edited.str.contains("target_volume_kg", regex=False).to_numpy()
    out["edited_price"] = edited.str.contains("target_net_price", regex=False).to_numpy()
    return out


def plan_year(hist: pd.DataFrame, strategy: pd.Series, ps: PlanSettings,
              max_share_of_wallet: float = 0.9) -> pd.DataFrame:
    """The plan-year forecast of each account (the formulas in the module's text).

    ``hist``: :func:`history`; ``strategy``: the strategy of each account (index
    customer_id). Returns ``hist`` with ``strategy``, ``plan_volume_kg`` (kg),
    ``plan_net_price`` (EUR/kg), ``plan_revenue`` (EUR), ``plan_share_of_wallet``
    (fraction; NaN when the use is unknown), ``volume_change`` (fraction vs last year).
    """
    out = hist.copy()
    st = strategy.reindex(out.index).fillna("hold").astype(str).to_numpy()
    v = out["volume_kg"].to_numpy(float)
    base = out["baseline_kg"].to_numpy(float)
    use = out["estimated_use_kg"].to_numpy(float)
    sow = out["share_of_wallet"].to_numpy(float)
    sow_target = np.minimum(np.nan_to_num(sow) + ps.win_back_points, max_share_of_wallet)
    win = np.where(np.isfinite(use), use * sow_target, v * (1 + ps.growth_min))
    vol = np.select(
        [st == "growth", st == "win-back", np.isin(st, ["hold", "recovery"])],
        [np.maximum(base, v * (1 + ps.growth_min)), np.maximum.reduce([base, v, win]),
         np.maximum(base, v)],
        default=base)
    cap = np.where(np.isfinite(use), np.maximum(max_share_of_wallet * use, v), np.inf)
    vol = np.where(vol > v, np.minimum(vol, cap), vol)
    vol = np.where(out["edited_volume"].to_numpy(bool), base, vol)
    price = out["baseline_price"].to_numpy(float)
    loss = out["loss"].to_numpy(bool) if "loss" in out.columns else np.zeros(len(st), bool)
    up = ((st == "harvest") | ((st == "recovery") & loss)) & \
        ~out["edited_price"].to_numpy(bool)
    price = np.where(up, out["net_price"].to_numpy(float) * (1 + ps.harvest_price_change),
                     price)
    # winning share back, or a relationship, is not the time to raise the price
    hold = ((st == "win-back") | ((st == "recovery") & ~loss)) & \
        ~out["edited_price"].to_numpy(bool)
    price = np.where(hold, np.minimum(price, out["net_price"].to_numpy(float)), price)
    out["strategy"] = st
    out["plan_volume_kg"] = vol
    out["plan_net_price"] = price
    out["plan_revenue"] = vol * price
    out["plan_share_of_wallet"] = np.minimum(_div(vol, use), 1.0)
    out["volume_change"] = _div(vol - v, v)
    return out


def rebate_schedules(s, segments: pd.DataFrame | None, ids, paid_ids,
                     ps: PlanSettings) -> pd.Series:
    """The rebate schedule of each account that has one, by name (index customer_id).

    Price-sensitive accounts (:func:`kamlib.rebates.price_sensitive`): their schedule
    of :func:`kamlib.rebates.schedule_for`. Accounts paid rebates in the history that
    are not price-sensitive: ``ps.paid_rebate_schedule`` (the programme in force; the
    default schedule if no schedule has that name). Others: none (not in the result).
    """
    from kamlib import rebates as rb

    rs = rb._rebate_settings(s)
    ids = pd.Index([str(i) for i in ids], name="customer_id")
    names = pd.Series(np.nan, index=ids, dtype=object)
    if segments is not None and len(segments) and "segment" in segments.columns:
        seg = segments.copy()
        seg.index = seg.index.astype(str)
        seg = seg.reindex(seg.index.intersection(ids))
        seg = seg.fillna({"segment": "", "mixed_types": ""})
        price = rb.price_sensitive(seg)
        if len(price):
            names.loc[price] = rb.schedule_for(rs, seg.loc[price]).to_numpy(dtype=object)
    in_force = ps.paid_rebate_schedule if ps.paid_rebate_schedule in rs.names else \
        rs.default_schedule
    paid = ids.intersection(pd.Index([str(i) for i in paid_ids]))
    fill = names.loc[paid].isna()
    names.loc[paid[fill.to_numpy()]] = in_force
    return names.dropna()


def rebate_at_plan(s, fc: pd.DataFrame, schedules: pd.Series, ps: PlanSettings
                   ) -> pd.DataFrame:
    """The rebate each account earns at its plan volume, and the cliffs near it.

    ``fc``: :func:`plan_year`; ``schedules``: :func:`rebate_schedules`. Index
    customer_id (the accounts with a schedule). Columns: ``schedule``, ``method``,
    ``basis`` (kg or EUR), ``plan_volume`` (basis units), ``tier`` (0 = below the
    first threshold), ``rate``, ``rebate`` (EUR), ``to_next_tier`` (basis units; NaN
    at the top), ``next_tier_rate``, ``value_of_next_tier`` (EUR to the customer),
    ``cliff_above`` (bool: a retroactive or growth threshold lies within
    ``cliff_share`` above the plan volume), ``above_threshold`` (basis units above the
    threshold of the tier reached; NaN below the first), ``cliff_below`` (bool: the
    plan is within ``cliff_share`` above that threshold - a small shortfall loses the
    tier's rate on the whole volume), ``rate_below`` (rate one tier down).
    """
    from kamlib import rebates as rb

    rs = rb._rebate_settings(s)
    parts = []
    for name in pd.unique(schedules.to_numpy(dtype=object)):
        sc = rs.schedule(name)
        who = schedules.index[schedules.to_numpy(dtype=object) == name]
        f = fc.reindex(who)
        vols = pd.DataFrame({"volume_kg": f["plan_volume_kg"].to_numpy(float),
                             "revenue": f["plan_revenue"].to_numpy(float),
                             "baseline": (f["volume_kg"] if sc.basis == "kg" else
                                          f["revenue"]).to_numpy(float)}, index=who)
        r = rb.apply_schedule(vols, sc)
        t = sc.thresholds
        k = r["tier"].to_numpy(int)
        thr = np.where(k > 0, np.append(np.nan, t)[k], np.nan)
        x = r["rebated_volume"].to_numpy(float)
        plan_x = r["basis_volume"].to_numpy(float)
        retro = sc.method != "marginal"
        rates = np.append(0.0, sc.rates)
        p = pd.DataFrame(index=who)
        p["schedule"] = sc.name
        p["method"] = sc.method
        p["basis"] = sc.basis
        p["plan_volume"] = plan_x
        p["tier"] = k
        p["rate"] = r["rate"].to_numpy(float)
        p["rebate"] = r["rebate"].to_numpy(float)
        p["to_next_tier"] = r["to_next_tier"].to_numpy(float)
        p["next_tier_rate"] = r["next_tier_rate"].to_numpy(float)
        p["value_of_next_tier"] = r["value_of_next_tier"].to_numpy(float)
        near = np.nan_to_num(p["to_next_tier"].to_numpy(float), nan=np.inf)
        p["cliff_above"] = retro & (near <= ps.cliff_share * np.maximum(plan_x, 1.0))
        p["above_threshold"] = x - thr
        p["cliff_below"] = retro & (k > 0) & (np.nan_to_num(x - thr, nan=np.inf)
                                              <= ps.cliff_share * np.maximum(plan_x, 1.0))
        p["rate_below"] = rates[np.maximum(k - 1, 0)]
        parts.append(p)
    cols = ["schedule", "method", "basis", "plan_volume", "tier", "rate", "rebate",
            "to_next_tier", "next_tier_rate", "value_of_next_tier", "cliff_above",
            "above_threshold", "cliff_below", "rate_below"]
    if not parts:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="customer_id"))
    out = pd.concat(parts)[cols]
    out.index.name = "customer_id"
    return out


def rebate_history(kd, s, schedules: pd.Series, ps: PlanSettings) -> pd.DataFrame:
    """Rebates paid by year against what the schedule in force would pay.

    For every (account, year) with a rebate paid: ``paid_rate`` = paid / revenue of
    that year; ``schedule_rate`` = the rebate of ``ps.paid_rebate_schedule`` (the
    programme in force) at that year's volume / revenue; ``plan_schedule_rate`` = the
    same with the account's plan schedule; ``matches`` = |paid − schedule| ≤
    ``rebate_history_tolerance``. Columns: ``customer_id``, ``year``, ``rebate_paid``
    (EUR), ``revenue`` (EUR), ``volume_kg``, ``paid_rate``, ``schedule``,
    ``schedule_rate``, ``plan_schedule``, ``plan_schedule_rate``, ``matches``.
    """
    from kamlib import rebates as rb

    cols = ["customer_id", "year", "rebate_paid", "revenue", "volume_kg", "paid_rate",
            "schedule", "schedule_rate", "plan_schedule", "plan_schedule_rate", "matches"]
    paid = kd.rebates
    if paid is None or paid.empty or schedules.empty:
        return pd.DataFrame(columns=cols)
    paid = paid.assign(customer_id=paid["customer_id"].astype(str))
    paid = paid.loc[paid["customer_id"].isin(schedules.index)]
    if paid.empty:
        return pd.DataFrame(columns=cols)
    cy = measures.customer_year(kd.orders)[["volume_kg", "revenue"]]
    cy.index = cy.index.set_levels(cy.index.levels[0].astype(str), level=0)
    key = pd.MultiIndex.from_arrays([paid["customer_id"], paid["year"].astype(int)])
    yv = cy.reindex(key)
    out = pd.DataFrame({"customer_id": paid["customer_id"].to_numpy(),
                        "year": paid["year"].astype(int).to_numpy(),
                        "rebate_paid": paid["rebate_paid"].to_numpy(float),
                        "revenue": yv["revenue"].to_numpy(float),
                        "volume_kg": yv["volume_kg"].to_numpy(float)})
    out["paid_rate"] = _div(out["rebate_paid"], out["revenue"])
    rs = rb._rebate_settings(s)
    in_force = ps.paid_rebate_schedule if ps.paid_rebate_schedule in rs.names else \
        rs.default_schedule
    vols = out[["volume_kg", "revenue"]].fillna(0.0)
    r = rb.apply_schedule(vols, rs.schedule(in_force))
    out["schedule"] = in_force
    out["schedule_rate"] = r["effective_rate"].to_numpy(float)
    out["plan_schedule"] = schedules.reindex(out["customer_id"]).to_numpy(dtype=object)
    rate = np.full(len(out), np.nan)
    for name in pd.unique(out["plan_schedule"].to_numpy(dtype=object)):
        m = out["plan_schedule"].to_numpy(dtype=object) == name
        rate[m] = rb.apply_schedule(vols.loc[m], rs.schedule(name))["effective_rate"]
    out["plan_schedule_rate"] = rate
    out["matches"] = (np.abs(out["paid_rate"] - out["schedule_rate"])
                      <= ps.rebate_history_tolerance).to_numpy()
    return out[cols].sort_values(["customer_id", "year"], kind="stable").reset_index(
        drop=True)


def supply_at_plan(fc: pd.DataFrame, supply: pd.DataFrame | None, need: pd.DataFrame | None,
                   safety_share: float) -> pd.DataFrame:
    """Peak-season stock at the plan volume.

    ``supply``: :func:`kamlib.service.supply_priority`; ``need``:
    :func:`kamlib.service.seasonal_need` (expected kg per month 1-12).
    ``peak_share`` = peak kg / the year's expected kg; ``plan_peak_kg`` = plan volume ×
    peak_share; ``plan_reserve_kg`` = plan_peak_kg × (1 + ``safety_share``);
    ``agree_by`` from ``supply``. Index customer_id.
    """
    out = pd.DataFrame(index=fc.index)
    if supply is None or need is None or supply.empty:
        out["peak_share"] = np.nan
        out["plan_peak_kg"] = np.nan
        out["plan_reserve_kg"] = np.nan
        out["agree_by"] = pd.NaT
        return out
    sp = supply.copy()
    sp.index = sp.index.astype(str)
    nd = need.copy()
    nd.index = nd.index.astype(str)
    year_kg = nd[list(range(1, 13))].sum(axis=1).reindex(out.index).to_numpy(float)
    peak = sp["peak_kg"].reindex(out.index).to_numpy(float)
    out["peak_share"] = np.where(year_kg > 0, _div(peak, year_kg), np.nan)
    out["plan_peak_kg"] = fc["plan_volume_kg"].to_numpy(float) * out["peak_share"]
    out["plan_reserve_kg"] = out["plan_peak_kg"] * (1 + safety_share)
    out["agree_by"] = pd.to_datetime(sp["agree_by"].reindex(out.index))
    return out
