"""Which schedule each price-sensitive key customer gets, and its projection for the
account plans (:func:`account_projection`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from kamlib.rebates.schedules import _frac, _rebate_settings, _year
from kamlib.rebates.history import _ids, _simulate
from kamlib.rebates.response import _segmentation_table, elasticities, respond


def _drivers(seg: pd.DataFrame) -> pd.Series:
    """The drivers of each customer as text: 'price', 'price+service', ..."""
    mixed = seg["mixed_types"].fillna("").astype(str) if "mixed_types" in seg else ""
    s = seg["segment"].astype(str)
    return pd.Series(np.where(s == "mixed", mixed, s), index=seg.index)


def price_sensitive(segments: pd.DataFrame) -> pd.Index:
    """Ids of the customers whose segment is ``price``, or ``mixed`` with price among
    its drivers (``mixed_types`` like ``price+service``), in a
    :func:`kamlib.segmentation.segments` table."""
    d = _drivers(segments)
    mask = d.str.split("+").map(lambda parts: "price" in parts)
    return segments.index[mask.to_numpy(dtype=bool)]


def _key_segments(kd, s) -> pd.DataFrame:
    """segmentation.segments of the key accounts (``is_key`` of
    :func:`kamlib.selection.key_accounts`)."""
    try:
        from kamlib import selection
    except ImportError:  # pragma: no cover
        selection = None
    key = None
    if selection is not None and hasattr(selection, "key_accounts"):
        ka = selection.key_accounts(kd, s)
        key = [str(c) for c in ka.index[ka["is_key"].astype(bool).to_numpy()]]
    seg = _segmentation_table(kd, s, key)
    if seg is None:
        raise ValueError("kamlib.segmentation.segments is not available, so the "
                         "price-sensitive key customers are unknown: pass the customers "
                         "explicitly, e.g. customers=['C0042', ...]")
    return seg


def price_sensitive_key_accounts(kd, s, segments: pd.DataFrame | None = None) -> pd.Index:
    """The price-sensitive key customers: key accounts of
    :func:`kamlib.selection.key_accounts` (``is_key``) segmented ``price`` (or mixed
    with price) by :func:`kamlib.segmentation.segments`. ``segments``: a segments table
    of the key accounts already computed. Raises a clear error when those modules are
    not available (then pass the customers explicitly)."""
    seg = _key_segments(kd, s) if segments is None else segments
    return pd.Index(price_sensitive(seg), name="customer_id")


def schedule_for(rs, segments: pd.DataFrame) -> pd.Series:
    """The schedule name of each customer of a segments table (index customer_id,
    ``segment``, ``mixed_types``): ``schedule_by_customer``, else
    ``schedule_by_segment`` of its segment or mixed pair ('price+service'), else the
    ``price`` entry when price is among its drivers, else ``default_schedule``."""
    rs = _rebate_settings(rs)
    ids = segments.index.astype(str)
    d = _drivers(segments)
    seg = segments["segment"].astype(str)
    by_seg = rs.schedule_by_segment
    name = pd.Series(rs.default_schedule, index=segments.index, dtype=object)
    has_price = d.str.split("+").map(lambda p: "price" in p).to_numpy(dtype=bool)
    if "price" in by_seg:
        name[has_price] = by_seg["price"]
    name = name.where(~seg.isin(list(by_seg)).to_numpy(), seg.map(by_seg))
    name = name.where(~d.isin(list(by_seg)).to_numpy(), d.map(by_seg))
    cust = pd.Series(ids, index=segments.index, dtype=object).map(rs.schedule_by_customer)
    return pd.Series(np.where(cust.notna().to_numpy(), cust.to_numpy(dtype=object),
                              name.to_numpy(dtype=object)), index=segments.index, dtype=object)


def account_projection(kd, s, customers=None, *, segments: pd.DataFrame | None = None,
                       customer_year: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rebate of each price-sensitive key customer for the plan year, for the
    account-plan reports.

    ``kd``: :class:`kamlib.data.KamData`; ``s``: the playbook settings
    (``period.analysis_year``, ``rebates``); ``customers``: ids (None = the
    price-sensitive key customers, :func:`price_sensitive_key_accounts`).

    Each customer's schedule comes from the settings (:func:`schedule_for`). The
    projection starts from the analysis year ("last year") and applies the customer's
    response to the schedule (:func:`respond`: one round at its elasticity,
    :func:`elasticities`); the rebate is the schedule's at the projected volume and
    last year's average price.

    Index ``customer_id``. Columns: ``schedule``; ``basis`` (kg or EUR);
    ``last_year_volume`` (basis units); ``projected_volume`` (basis units);
    ``tier_reached`` (0 = below the first threshold); ``rate``; ``projected_rebate``
    (EUR); ``rebate_pct_of_revenue``; ``rebate_pct_of_margin`` (of the projected gross
    margin); ``to_next_tier`` (basis units, NaN at the top tier); ``next_tier_rate``;
    ``value_of_next_tier`` (EUR the customer would gain by reaching it);
    ``elasticity_used``. ``attrs``: ``analysis_year``, ``plan_year``, ``customers``
    (how the list was chosen).

    ``segments``: the segments table of the key accounts when already computed
    (:func:`kamlib.segmentation.segments`; used when ``customers`` is None), so the
    key accounts and their segments are not computed a second time.
    ``customer_year``: the per-customer-year facts when already computed (the volumes
    and revenue of the analysis year and the growth baseline come from them).
    """
    rs = _rebate_settings(s)
    year = _year(s, None, kd)
    if customers is None:
        seg_all = _key_segments(kd, s) if segments is None else segments
        ids = pd.Index(price_sensitive(seg_all), name="customer_id", dtype=object)
        seg = seg_all.reindex(ids)
        how = "price-sensitive key accounts"
    else:
        ids = _ids(kd, customers)
        seg = _segmentation_table(kd, s, ids)
        how = "customers given"
    cols = ["schedule", "basis", "last_year_volume", "projected_volume", "tier_reached",
            "rate", "projected_rebate", "rebate_pct_of_revenue", "rebate_pct_of_margin",
            "to_next_tier", "next_tier_rate", "value_of_next_tier", "elasticity_used"]
    if not len(ids):
        out = pd.DataFrame(columns=cols, index=pd.Index([], name="customer_id", dtype=object))
        out.attrs.update(analysis_year=year, plan_year=year + 1, customers=how)
        return out
    if seg is None or "segment" not in seg.columns:
        own = pd.Series(ids, index=ids, dtype=object).map(rs.schedule_by_customer)
        names = pd.Series(np.where(own.notna().to_numpy(), own.to_numpy(dtype=object),
                                   rs.default_schedule), index=ids, dtype=object)
    else:
        names = schedule_for(rs, seg.reindex(ids).fillna({"segment": "", "mixed_types": ""}))
    el = elasticities(kd, s, ids, segments=seg)["elasticity_used"]
    parts = []
    for name in pd.unique(names.to_numpy()):
        sc = rs.schedule(name)
        who = names.index[names.to_numpy() == name]
        # the plan year's growth baseline: the years up to the analysis year
        sim = _simulate(kd, rs, sc, year, who, baseline_before=year + 1,
                        customer_year=customer_year)
        r = respond(sim, sc, el.reindex(who))
        rev1, gm1 = r["revenue_after"].to_numpy(), r["gross_margin_after"].to_numpy()
        projected = (r["volume_after_kg"].to_numpy() if sc.basis == "kg" else rev1)
        p = pd.DataFrame(index=who)
        p["schedule"] = sc.name
        p["basis"] = sc.basis
        p["last_year_volume"] = sim["basis_volume"].to_numpy()
        p["projected_volume"] = projected
        p["tier_reached"] = r["tier_after"].to_numpy().astype("int64")
        p["rate"] = r["rate_after"].to_numpy()
        p["projected_rebate"] = r["rebate_after"].to_numpy()
        p["rebate_pct_of_revenue"] = np.where(rev1 > 0, _frac(p["projected_rebate"], rev1),
                                              np.nan)
        p["rebate_pct_of_margin"] = np.where(gm1 > 0, _frac(p["projected_rebate"], gm1),
                                             np.nan)
        p["to_next_tier"] = r["to_next_tier_after"].to_numpy()
        p["next_tier_rate"] = r["next_tier_rate_after"].to_numpy()
        p["value_of_next_tier"] = r["value_of_next_tier_after"].to_numpy()
        p["elasticity_used"] = r["elasticity_used"].to_numpy()
        parts.append(p)
    out = pd.concat(parts).reindex(ids)[cols]
    out.index.name = "customer_id"
    out.attrs.update(analysis_year=year, plan_year=year + 1, customers=how)
    return out
