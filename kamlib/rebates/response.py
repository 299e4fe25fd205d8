"""How customers answer a rebate: the break-even volume, the volume response from
their elasticity, and :func:`compare_schedules`."""

from __future__ import annotations

import numpy as np
import pandas as pd
from kamlib.rebates.schedules import RebateSchedule, _frac, _rebate_settings, apply_schedule
from kamlib.rebates.history import _ids, simulate, simulation_summary


def break_even_volume_change(price_change, contribution_margin, cost_change=0.0):
    """Break-even volume change of a price change (Nagle & Müller, *The Strategy and
    Tactics of Pricing*, ch. "Price change: the break-even analysis"):

        %ΔV = −(ΔP − ΔC) / (CM + ΔP − ΔC)

    with the price change ΔP, the change in unit variable cost ΔC and the contribution
    margin CM all as fractions of the *old* price (ΔC = 0 gives the familiar
    −ΔP / (CM + ΔP)). A rebate is a price cut for the volume it covers: ΔP = −rate.
    Example: a 2 % rebate at a 25 % margin needs 0.02 / 0.23 = +8.7 % volume. Where the
    cut eats the whole margin (CM + ΔP − ΔC ≤ 0) no volume can pay for it: +inf.
    Arrays are broadcast.
    """
    dp = np.asarray(price_change, dtype=float) - np.asarray(cost_change, dtype=float)
    cm = np.asarray(contribution_margin, dtype=float)
    den = cm + dp
    res = np.divide(-dp, den, out=np.full(np.broadcast(dp, den).shape, np.inf),
                    where=den > 0)
    res = np.where(np.isnan(den) | np.isnan(dp), np.nan, res)
    return res if res.ndim else float(res)


def volume_response(price_change, elasticity):
    """Volume change for a price change at constant elasticity ε (%ΔQ/%ΔP), the
    log-log model segmentation fits: %ΔV = (1 + ΔP)^ε − 1. For small changes ≈ ε·ΔP.
    Example: a 3 % price cut (ΔP = −0.03) at ε = −2.5 gives 0.97^−2.5 − 1 = +7.9 %."""
    dp = np.asarray(price_change, dtype=float)
    e = np.asarray(elasticity, dtype=float)
    res = np.power(np.maximum(1.0 + dp, 1e-12), e) - 1.0
    return res if res.ndim else float(res)


def break_even_elasticity(price_change, contribution_margin):
    """The elasticity at which a price change exactly pays for itself, in the
    constant-elasticity model of :func:`volume_response`: solve
    (1 + ΔP)^ε − 1 = −ΔP / (CM + ΔP) for ε:

        ε* = ln(CM / (CM + ΔP)) / ln(1 + ΔP)

    For small cuts ε* ≈ −1 / (CM + ΔP): at a 20 % margin a 2 % rebate needs a customer
    about six times as price-elastic as "unit elastic". A cut pays when the customer's
    elasticity is *more negative* than ε*. NaN for ΔP = 0; −inf when the cut eats the
    margin. (Derived from Nagle & Müller's break-even volume.)"""
    dp = np.asarray(price_change, dtype=float)
    cm = np.asarray(contribution_margin, dtype=float)
    shape = np.broadcast(dp, cm).shape
    ok = (cm + dp > 0) & (cm > 0) & (dp != 0) & (dp > -1)
    num = np.log(np.divide(cm, cm + dp, out=np.ones(shape), where=ok))
    den = np.log1p(np.where(ok, dp, 0.0))
    res = np.divide(num, den, out=np.full(shape, np.nan), where=ok & (den != 0))
    res = np.where((cm + dp <= 0) & (dp < 0), -np.inf, res)
    return res if res.ndim else float(res)


def respond(sim: pd.DataFrame, schedule: RebateSchedule, elasticity,
            reach_share: float | None = None) -> pd.DataFrame:
    """The volume and margin response of each customer to ``schedule``.

    ``sim``: a :func:`simulate` table of the schedule (the customer's year without the
    schedule: its volume, revenue, gross margin); ``elasticity``: a number, or a Series
    by customer (see :func:`elasticities`; missing customers are refused).

    The model, one round: the schedule is a price cut ΔP = −(rebate / revenue) at the
    volume the customer bought; the customer answers with %ΔV = (1 + ΔP)^ε − 1
    (:func:`volume_response`) at its invoice price; the rebate is then paid on the new
    volume at the tier it reaches. Margins are contribution margins (revenue − cost of
    goods; the cost per kg stays the same). The baseline of the comparison is *no
    rebate*: incremental_margin = (gross margin after − rebate after) − gross margin
    before. It uses the average price; a growth rebate's pull on the *marginal* kg is
    stronger than this model says.

    ``reach_share`` (None = off): the **threshold effect** the elasticity model leaves
    out - after the response, a customer whose volume is within ``reach_share`` of the
    volume its next tier needs buys up to that threshold (one tier; e.g.
    ``rebates.near_threshold_share``).

    Index as ``sim``. Columns: ``elasticity_used``, ``price_change`` (ΔP),
    ``contribution_margin`` (CM, share of the price), ``break_even_volume_change``
    (−ΔP / (CM + ΔP)), ``volume_change`` (%ΔV), ``volume_before_kg``,
    ``volume_after_kg``, ``incremental_volume_kg``, ``rebate_before`` (EUR, at last
    year's volume), ``rebate_after`` (EUR), ``gross_margin_before``,
    ``gross_margin_after``, ``margin_after_rebate``, ``incremental_margin`` (EUR),
    ``earns_back`` (incremental_margin ≥ 0), ``break_even_elasticity``
    (:func:`break_even_elasticity`), ``reaches_next_tier`` (bool, only with
    ``reach_share``), ``revenue_after``, ``tier_after``,
    ``rate_after``, ``to_next_tier_after``, ``next_tier_rate_after``,
    ``value_of_next_tier_after``.
    """
    idx = sim.index
    if isinstance(elasticity, pd.Series):
        e = elasticity.reindex(idx)
        if e.isna().any():
            miss = list(e.index[e.isna()][:5])
            raise ValueError(f"respond: no elasticity for customer(s) {miss}; pass a "
                             "number or a Series covering every customer")
        e = e.to_numpy(dtype=float)
    else:
        e = np.full(len(idx), float(elasticity))
    v0 = sim["volume_kg"].to_numpy(dtype=float)
    rev0 = sim["revenue"].to_numpy(dtype=float)
    gm0 = sim["gross_margin"].to_numpy(dtype=float)
    dp = -sim["effective_rate"].to_numpy(dtype=float)
    cm = np.where(rev0 > 0, _frac(gm0, rev0), np.nan)
    vc = np.where(v0 > 0, volume_response(dp, e), 0.0)
    factor = 1.0 + vc
    after = pd.DataFrame({"volume_kg": v0 * factor, "revenue": rev0 * factor}, index=idx)
    if "baseline" in sim.columns:
        after["baseline"] = sim["baseline"].to_numpy()
    a = apply_schedule(after, schedule)
    reaches = np.zeros(len(idx), dtype=bool)
    if reach_share is not None:
        basis1 = a["basis_volume"].to_numpy()
        gap = a["to_next_tier"].to_numpy()
        needed = basis1 + gap
        reaches = np.isfinite(gap) & (gap > 0) & (v0 > 0) & (gap <= reach_share * needed)
        extra_kg = gap if schedule.basis == "kg" else gap * _frac(v0, rev0)
        extra = np.where(reaches, np.nan_to_num(_frac(np.nan_to_num(extra_kg), v0)), 0.0)
        factor = factor + extra
        vc = factor - 1.0
        after["volume_kg"] = v0 * factor
        after["revenue"] = rev0 * factor
        a = apply_schedule(after, schedule)
    gm1 = gm0 * factor
    margin_after = gm1 - a["rebate"].to_numpy()
    out = pd.DataFrame(index=idx)
    out["elasticity_used"] = e
    out["price_change"] = dp
    out["contribution_margin"] = cm
    out["break_even_volume_change"] = break_even_volume_change(dp, cm)
    out["volume_change"] = vc
    out["volume_before_kg"] = v0
    out["volume_after_kg"] = v0 * factor
    out["incremental_volume_kg"] = v0 * vc
    out["rebate_before"] = sim["rebate"].to_numpy()
    out["rebate_after"] = a["rebate"].to_numpy()
    out["gross_margin_before"] = gm0
    out["gross_margin_after"] = gm1
    out["margin_after_rebate"] = margin_after
    out["incremental_margin"] = margin_after - gm0
    out["earns_back"] = out["incremental_margin"].to_numpy() >= -1e-9
    out["break_even_elasticity"] = break_even_elasticity(dp, cm)
    out["reaches_next_tier"] = reaches
    out["revenue_after"] = rev0 * factor
    out["tier_after"] = a["tier"].to_numpy()
    out["rate_after"] = a["rate"].to_numpy()
    out["to_next_tier_after"] = a["to_next_tier"].to_numpy()
    out["next_tier_rate_after"] = a["next_tier_rate"].to_numpy()
    out["value_of_next_tier_after"] = a["value_of_next_tier"].to_numpy()
    return out


def _segmentation_table(kd, s, ids) -> pd.DataFrame | None:
    """segmentation.segments for ``ids`` (None = its key accounts), or None when the
    module cannot provide it."""
    try:
        from kamlib import segmentation
    except ImportError:  # pragma: no cover
        return None
    if not hasattr(segmentation, "segments"):
        return None
    return segmentation.segments(kd, s, customers=None if ids is None else list(ids))


def elasticities(kd, s, customers, segments: pd.DataFrame | None = None) -> pd.DataFrame:
    """The elasticity used for each customer's volume response.

    The customer's own estimate (``price_elasticity`` of
    :func:`kamlib.segmentation.segments`: slope of a log-log fit of quarterly volume on
    its net price, Nagle's "response of volume to price") where it is known and
    negative; else ``rebates.default_elasticity``. A zero or positive estimate
    contradicts the law of demand and is treated as noise.
    Pass ``segments`` to reuse a table already computed.

    Index ``customer_id``; columns ``elasticity_used``, ``elasticity_source``
    ("customer's history" or "default setting").
    """
    rs = _rebate_settings(s)
    if customers is None:
        raise ValueError("elasticities: pass the customers (ids)")
    ids = _ids(kd, customers)
    if segments is None and len(ids):
        segments = _segmentation_table(kd, s, ids)
    est = pd.Series(np.nan, index=ids, dtype=float)
    if segments is not None and "price_elasticity" in segments.columns:
        est = segments["price_elasticity"].astype(float).reindex(ids)
    known = np.isfinite(est.to_numpy()) & (est.to_numpy() < 0)
    out = pd.DataFrame(index=pd.Index(ids, name="customer_id"))
    out["elasticity_used"] = np.where(known, est.to_numpy(), rs.default_elasticity)
    out["elasticity_source"] = np.where(known, "customer's history", "default setting")
    return out


def compare_schedules(kd, s, schedules=None, year: int | None = None, customers=None,
                      elasticity=None, reach_near_tiers: bool = False) -> pd.DataFrame:
    """Two or more schedules side by side on the same customers and year.

    ``schedules``: names or :class:`RebateSchedule` objects (None = all in the
    settings); ``customers``: ids (None = everyone with sales); ``elasticity``: a
    number, a Series by customer, or None (= :func:`elasticities`);
    ``reach_near_tiers``: customers within ``rebates.near_threshold_share`` of their
    next tier reach it (the threshold effect, see :func:`respond`).

    Index ``schedule``. Columns: ``method``, ``basis``, ``customers``,
    ``customers_paid``, ``rebate`` (EUR, on last year's volume), ``rebate_pct_of_revenue``,
    ``rebate_pct_of_margin``, ``break_even_volume_change`` (the whole group: ΔP =
    −Σ rebate / Σ revenue, CM = Σ margin / Σ revenue), ``volume_change`` (the response,
    Σ incremental kg / Σ kg), ``incremental_volume_kg``, ``rebate_after_response``
    (EUR), ``incremental_margin`` (EUR, vs no rebate), ``customers_earning_back``,
    ``near_threshold``.
    """
    rs = _rebate_settings(s)
    scs = [rs.schedule(x) for x in (schedules if schedules is not None else rs.names)]
    rows = []
    el = elasticity
    for sc in scs:
        sim = simulate(kd, s, sc, year, customers)
        if el is None:
            el = elasticities(kd, s, sim.index)["elasticity_used"]
        r = respond(sim, sc, el, rs.near_threshold_share if reach_near_tiers else None)
        tot = simulation_summary(sim)
        rev, gm = tot["revenue"], tot["gross_margin"]
        dp = -tot["rebate"] / rev if rev > 0 else np.nan
        rows.append({
            "schedule": sc.name, "method": sc.method, "basis": sc.basis,
            "customers": tot["customers"], "customers_paid": tot["customers_paid"],
            "rebate": tot["rebate"], "rebate_pct_of_revenue": tot["rebate_pct_of_revenue"],
            "rebate_pct_of_margin": tot["rebate_pct_of_margin"],
            "break_even_volume_change": break_even_volume_change(
                dp, gm / rev if rev > 0 else np.nan),
            "volume_change": r["incremental_volume_kg"].sum() / max(tot["volume_kg"], 1e-12),
            "incremental_volume_kg": r["incremental_volume_kg"].sum(),
            "rebate_after_response": r["rebate_after"].sum(),
            "incremental_margin": r["incremental_margin"].sum(),
            "customers_earning_back": int((r["earns_back"] & (r["rebate_after"] > 0)).sum()),
            "near_threshold": tot["near_threshold"],
            "customers_reaching_next_tier": int(r["reaches_next_tier"].sum()),
        })
    out = pd.DataFrame(rows).set_index("schedule")
    num = [c for c in out.columns if c not in ("method", "basis")]
    out[num] = out[num].apply(pd.to_numeric)
    return out
