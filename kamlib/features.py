"""The segmentation's behavioural indicators from aggregates of the order lines.

:func:`window_indicators` is the one implementation of
:func:`kamlib.segmentation.indicators` (what ``segments``, ``family_scores``,
``levers`` and ``profile`` are computed from). It never touches single order lines: it
takes the sums of :func:`kamlib.engine.segment_sums` (per customer over the window,
per customer and quarter, the late-or-short-delivery reaction) and the interaction
counts of :func:`kamlib.engine.interaction_counts` - SQL queries that DuckDB runs over
the export's files for a large export, or over the loaded pandas tables for small data
(the same query text either way) - and computes the ratios here, vectorised over
customers. The definitions (formula and source of each indicator) are in the docstring
of :func:`kamlib.segmentation.indicators`.

Lower layer than :mod:`kamlib.segmentation` (which imports this module, not the other
way round); the settings object is the segmentation section
(:class:`kamlib.segmentation.SegmentationSettings`, duck-typed here).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamlib import engine, formatting


def _frac(num, den) -> np.ndarray:
    """num / den, NaN where den is 0 or missing (no warning)."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    ok = np.isfinite(den) & (den != 0) & np.isfinite(num)
    return np.divide(num, den, out=np.full(np.broadcast(num, den).shape, np.nan), where=ok)


def _sum_by(codes: np.ndarray, n: int, values) -> np.ndarray:
    """Σ values per code (0..n-1): a grouped sum as one ``np.bincount``."""
    return np.bincount(codes, weights=np.asarray(values, dtype=float), minlength=n)[:n]


def window(years: list[int]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the window of history (whole calendar years)."""
    return pd.Timestamp(f"{min(years)}-01-01"), pd.Timestamp(f"{max(years)}-12-31")


def _flag(values, fill=False) -> np.ndarray:
    s = pd.Series(values, dtype=object)
    return s.where(s.notna(), fill).astype(bool).to_numpy()


def product_flags(products: pd.DataFrame, seg, years: list[int]):
    """The product attributes the indicators use, one row per product (``product_id``
    text; first row of a repeated id): ``economy`` (economy grade), ``big`` (pack of at
    least ``seg.big_pack_min_kg`` or a big bag), ``custom`` (custom grade), ``is_new``
    (launched on or after 1 January of the last ``seg.new_product_years`` years),
    ``list_price`` (current list price per unit, NaN unknown).

    Returns ``(flags, known, new_since)``: ``known`` says which of economy, big, custom,
    new the products table tells at all (a missing column: the indicator is NaN);
    ``new_since``: the first launch date of a new product (None: no new product)."""
    p = products if products is not None else pd.DataFrame()
    if len(p):
        p = p.drop_duplicates("product_id")
    n = len(p)
    cols = set(p.columns)
    flags = pd.DataFrame({"product_id": (p["product_id"].astype(str).to_numpy(dtype=object)
                                         if n else np.array([], dtype=object))})
    known = {}
    known["economy"] = "is_economy_grade" in cols
    flags["economy"] = _flag(p["is_economy_grade"]) if known["economy"] else False
    known["custom"] = "is_custom" in cols
    flags["custom"] = _flag(p["is_custom"]) if known["custom"] else False
    big = np.zeros(n, dtype=bool)
    if "pack_size_kg" in cols:
        sz = pd.to_numeric(p["pack_size_kg"], errors="coerce").to_numpy(dtype=float)
        big |= np.nan_to_num(sz, nan=0.0) >= seg.big_pack_min_kg
    if "pack_type" in cols:
        big |= p["pack_type"].astype(str).str.lower().to_numpy() == "big bag"
    known["big"] = "pack_size_kg" in cols or "pack_type" in cols
    flags["big"] = big
    flags["list_price"] = (pd.to_numeric(p["list_price_per_kg"], errors="coerce")
                           .to_numpy(dtype=float) if "list_price_per_kg" in cols
                           else np.full(n, np.nan))
    new_since = None
    flags["is_new"] = False
    known["new"] = False
    if "launch_date" in cols and p["launch_date"].notna().any():
        cutoff = pd.Timestamp(f"{max(years) - seg.new_product_years + 1}-01-01")
        launch = pd.to_datetime(p["launch_date"])
        is_new = (launch >= cutoff).fillna(False).to_numpy(dtype=bool)
        if is_new.any():
            known["new"] = True
            flags["is_new"] = is_new
            new_since = launch[is_new].min()
    return flags, known, new_since


def window_sums(kd, seg, years: list[int]) -> "engine.SegmentSums":
    """The sums of :func:`kamlib.engine.segment_sums` for the window of ``years``."""
    start, end = window(years)
    flags, known, new_since = product_flags(kd.products, seg, years)
    sums = engine.segment_sums(kd, flags, start, end, deal_types=seg.deal_types,
                               off_season_months=seg.off_season_months,
                               window_days=seg.bad_delivery_window_days,
                               new_since=new_since)
    return sums, known


def quarterly_points(q: pd.DataFrame, cids: np.ndarray) -> pd.DataFrame:
    """The points of the price fit from the customer × quarter sums (``customer_id``,
    ``t``, ``kg``, ``rev``, ``ref``): the quarters with kg, revenue and reference value
    all positive, x = log price index, y = log volume, each less the customer's mean of
    that quarter of the year (season fixed effects). Columns customer_id, c (code in
    ``cids``), t, season (0-3), kg, rev, ref, x, y; ``attrs["customers"]`` = cids."""
    codes = pd.Index(np.asarray(cids, dtype=object)).get_indexer(
        q["customer_id"].astype(str).to_numpy(dtype=object))
    g = pd.DataFrame({"c": codes.astype(np.int64), "t": q["t"].to_numpy(dtype=np.int64),
                      "kg": q["kg"].to_numpy(dtype=float), "rev": q["rev"].to_numpy(dtype=float),
                      "ref": q["ref"].to_numpy(dtype=float)})
    g = g.loc[codes >= 0].sort_values(["c", "t"], kind="stable").reset_index(drop=True)
    g["season"] = g["t"] % 4
    with np.errstate(invalid="ignore"):
        ok = (g["kg"] > 0) & (g["rev"] > 0) & (g["ref"] > 0)
    g = g.loc[ok].reset_index(drop=True)
    x = np.log(g["rev"].to_numpy() / g["ref"].to_numpy())
    y = np.log(g["kg"].to_numpy())
    cs = g["c"].to_numpy() * 4 + g["season"].to_numpy()
    sk, _ = pd.factorize(cs)
    ns = sk.max() + 1 if len(sk) else 0
    cnt = np.bincount(sk, minlength=ns).astype(float)
    g["x"] = x - (_sum_by(sk, ns, x) / np.maximum(cnt, 1))[sk]
    g["y"] = y - (_sum_by(sk, ns, y) / np.maximum(cnt, 1))[sk]
    g.insert(0, "customer_id", np.asarray(cids, dtype=object)[g["c"].to_numpy()])
    g.attrs["customers"] = np.asarray(cids, dtype=object)
    return g


def bad_delivery_reaction(b: pd.DataFrame, start: np.ndarray, end: pd.Timestamp,
                          min_days: int) -> dict:
    """Volume ordered per day in the windows after late or short deliveries against the
    rest of the time, from the per-customer sums ``b`` (aligned with ``start``, the
    first day observed per customer, datetime64[D]): change = (kg_after / days_after) /
    (kg_normal / normal_days) − 1, NaN when either period is shorter than
    ``min_days``."""
    end_d = np.datetime64(end.date(), "D")
    total_days = ((end_d - start).astype(np.int64) + 1).astype(float)
    after_days = b["days_after"].to_numpy(dtype=float)
    kg_after = np.nan_to_num(b["kg_after"].to_numpy(dtype=float), nan=0.0)
    kg_normal = b["kg_ordered"].to_numpy(dtype=float) - kg_after
    normal_days = total_days - after_days
    rate_after = _frac(kg_after, after_days)
    rate_normal = _frac(kg_normal, normal_days)
    enough = (after_days >= min_days) & (normal_days >= min_days) & (rate_normal > 0)
    change = np.where(enough, _frac(rate_after, rate_normal) - 1.0, np.nan)
    return {"change": change, "bad_deliveries": b["bad_deliveries"].to_numpy(dtype=float),
            "days_after": after_days}


def window_indicators(kd, seg, years: list[int], *, fit) -> pd.DataFrame:
    """The indicators of every customer with orders in the window (index customer_id),
    in the column order of ``kamlib.segmentation``: see its ``indicators``. ``fit``:
    the price fit on the quarterly points (``segmentation._elasticity_fit``)."""
    start_w, end_w = window(years)
    (sums, known) = window_sums(kd, seg, years)
    c = sums.customers
    if not len(c):
        raise ValueError(f"no orders between {start_w.date()} and {end_w.date()} "
                         "(period.analysis_year and period.history_years set the window)")
    cids = c["customer_id"].astype(str).to_numpy(dtype=object)
    n = len(cids)
    idx = pd.Index(cids, name="customer_id")
    first = pd.to_datetime(c["first_order"]).to_numpy().astype("datetime64[D]")
    start = np.maximum(first, np.datetime64(start_w.date(), "D"))
    end_d = np.datetime64(end_w.date(), "D")
    years_obs = ((end_d - start).astype(np.int64) + 1.0) / 365.25
    out = pd.DataFrame(index=idx)
    out["orders"] = c["orders"].to_numpy(dtype=np.int64)
    vol = c["volume_kg"].to_numpy(dtype=float)
    out["volume_kg"] = vol
    out["years_observed"] = years_obs

    def share(col) -> np.ndarray:
        return _frac(c[col].to_numpy(dtype=float), vol)

    has_products = bool(c["known_lines"].sum() > 0)
    out["deal_volume_share"] = share("deal_kg")
    out["off_season_volume_share"] = share("off_season_kg")
    el = fit(quarterly_points(sums.quarters, cids), seg.elasticity_min_points,
             seg.elasticity_min_price_variation).reindex(idx)
    out["price_elasticity"] = el["price_elasticity"].to_numpy(dtype=float)
    out["economy_grade_share"] = (share("economy_kg") if known["economy"] and has_products
                                  else np.nan)
    out["big_pack_share"] = share("big_pack_kg") if known["big"] and has_products else np.nan
    out["discount_depth"] = _frac(c["discount"], c["list_revenue"])

    # ---- interactions: counts per customer and type
    it = kd.interactions
    has_it = it is not None and len(it) > 0
    if has_it:
        ic = engine.interaction_counts(kd, start_w, end_w)
        icode = idx.get_indexer(ic["customer_id"].astype(str).to_numpy(dtype=object))
        mine = icode >= 0
        itype = ic["type"].to_numpy(dtype=object)

    def count(t, col="interactions"):
        if not has_it:
            return np.full(n, np.nan)
        m = mine & (itype == t)
        return _sum_by(icode[m], n, ic[col].to_numpy(dtype=float)[m])

    out["price_negotiations_per_year"] = count("price negotiation") / years_obs
    complaints = count("complaint")
    out["complaints_per_order"] = _frac(complaints, out["orders"].to_numpy())
    out["complaints_per_tonne"] = _frac(complaints, vol / formatting.tonne_divisor())
    b = sums.bad_delivery.set_index(sums.bad_delivery["customer_id"].astype(str)).reindex(idx)
    react = bad_delivery_reaction(b, start, end_w, seg.bad_delivery_min_days)
    n_bad = react["bad_deliveries"]
    if has_it and ic["with_reason"].sum() > 0:
        out["complaints_after_bad_delivery"] = _frac(count("complaint", "about_delivery"),
                                                     n_bad)
    else:
        out["complaints_after_bad_delivery"] = np.nan
    out["service_requests_per_year"] = count("service request") / years_obs
    out["volume_change_after_bad_delivery"] = react["change"]
    out["technical_requests_per_year"] = count("technical request") / years_obs
    out["trials_per_year"] = count("trial") / years_obs
    out["trainings_per_year"] = count("training") / years_obs
    out["custom_grade_share"] = share("custom_kg") if known["custom"] and has_products else np.nan
    out["new_product_share"] = (_frac(c["new_product_kg"], c["since_new_kg"])
                                if known["new"] and has_products else np.nan)
    out["price_elasticity_se"] = el["price_elasticity_se"].to_numpy(dtype=float)
    out["elasticity_points"] = el["elasticity_points"].fillna(0).to_numpy(dtype=np.int64)
    note = el["elasticity_note"].to_numpy(dtype=object)
    out["elasticity_note"] = np.where(pd.isna(note), "not enough history", note).astype(object)
    out["complaints"] = complaints
    out["bad_deliveries"] = n_bad
    return out
