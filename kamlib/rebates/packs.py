"""Bigger packs and the economy grade: :func:`pack_twins`, :func:`big_pack_switch`,
:func:`economy_twins`, :func:`economy_effect`, :func:`economy_design`."""

from __future__ import annotations

import numpy as np
import pandas as pd
from kamlib.rebates.schedules import _frac, _rebate_settings, _year
from kamlib.rebates.history import _ids
from kamlib.rebates.response import break_even_volume_change
from kamlib.rebates.deals import _year_lines


def _products(kd_or_products) -> pd.DataFrame:
    p = getattr(kd_or_products, "products", kd_or_products)
    p = p.drop_duplicates("product_id").copy()
    p["product_id"] = p["product_id"].astype(str)
    return p


def pack_twins(kd, s) -> pd.DataFrame:
    """Each product sold in a small pack and its **big-pack twin** (same substance,
    grade, purity, economy and custom flags; a larger ``pack_size_kg``; the smallest
    such), with the per-kg arithmetic of moving a kg from the small to the big pack.

    Index ``small_product``. Columns: ``big_product``, ``small_pack_kg``,
    ``big_pack_kg``, ``price_small``, ``price_big`` (list, EUR/kg),
    ``price_difference`` (EUR/kg the customer saves at list), ``packaging_small``,
    ``packaging_big``, ``packaging_saving`` (EUR/kg of packaging material),
    ``unit_cost_saving`` (EUR/kg, all of the unit cost, packaging included),
    ``other_saving`` (``rebates.big_pack_other_saving_per_kg``), ``margin_small``,
    ``margin_big`` (EUR/kg: list − unit cost, + other saving for the big pack),
    ``margin_change_per_kg``, ``break_even_volume_change`` (Nagle & Müller with cost
    change: −(ΔP − ΔC) / (CM + ΔP − ΔC), fractions of the small pack's price)."""
    rs = _rebate_settings(s)
    p = _products(kd)
    keys = ["product_family", "grade", "purity_pct", "is_economy_grade", "is_custom"]
    p = p.dropna(subset=["pack_size_kg", "list_price_per_kg", "unit_cost_per_kg"])
    m = p.merge(p, on=keys, suffixes=("_s", "_b"))
    m = m.loc[m["pack_size_kg_b"] > m["pack_size_kg_s"]]
    m = m.sort_values(["product_id_s", "pack_size_kg_b"]).drop_duplicates("product_id_s")
    out = pd.DataFrame(index=pd.Index(m["product_id_s"].to_numpy(), name="small_product"))
    v = lambda c: m[c].to_numpy(dtype=float)  # noqa: E731
    out["big_product"] = m["product_id_b"].to_numpy()
    out["small_pack_kg"], out["big_pack_kg"] = v("pack_size_kg_s"), v("pack_size_kg_b")
    out["price_small"], out["price_big"] = v("list_price_per_kg_s"), v("list_price_per_kg_b")
    out["price_difference"] = out["price_small"] - out["price_big"]
    out["packaging_small"] = np.nan_to_num(v("packaging_cost_per_kg_s"))
    out["packaging_big"] = np.nan_to_num(v("packaging_cost_per_kg_b"))
    out["packaging_saving"] = out["packaging_small"] - out["packaging_big"]
    out["unit_cost_saving"] = v("unit_cost_per_kg_s") - v("unit_cost_per_kg_b")
    out["other_saving"] = rs.big_pack_other_saving_per_kg
    out["margin_small"] = v("list_price_per_kg_s") - v("unit_cost_per_kg_s")
    out["margin_big"] = (v("list_price_per_kg_b") - v("unit_cost_per_kg_b")
                         + rs.big_pack_other_saving_per_kg)
    out["margin_change_per_kg"] = out["margin_big"] - out["margin_small"]
    ps = out["price_small"].to_numpy()
    out["break_even_volume_change"] = break_even_volume_change(
        -out["price_difference"].to_numpy() / ps, out["margin_small"].to_numpy() / ps,
        -(out["unit_cost_saving"].to_numpy() + rs.big_pack_other_saving_per_kg) / ps)
    return out


def big_pack_switch(kd, s, year: int | None = None, customers=None) -> pd.DataFrame:
    """What moving each customer's small-pack kg to the big-pack twin would do.

    Only lines of a product with a big twin (:func:`pack_twins`) and at least one big
    pack in size count (``switchable_kg``: the customer orders that much at a time).
    The customer keeps its usual net/list ratio on the big pack.

    Index ``customer_id``. Columns: ``small_pack_kg`` (kg in small packs of products
    with a twin), ``switchable_kg``, ``customer_saving`` (EUR a year: list difference ×
    its net/list ratio), ``cost_saving`` (EUR: unit cost + other savings),
    ``margin_change`` (EUR: cost saving − customer saving), ``price_cut`` (the
    customer's saving as a share of what it pays for those kg)."""
    rs = _rebate_settings(s)
    year = _year(s, year, kd)
    tw = pack_twins(kd, s)
    o = _year_lines(kd, year)
    ids = _ids(kd, customers)
    if ids is not None:
        o = o.loc[o["customer_id"].astype(str).isin(ids)]
    pid = o["product_id"].astype(str)
    o = o.loc[pid.isin(tw.index).to_numpy()]
    pid = o["product_id"].astype(str)
    big_kg = tw["big_pack_kg"].reindex(pid).to_numpy()
    ok = o["quantity_kg"].to_numpy(dtype=float) >= big_kg
    kg = o["volume_kg"].to_numpy(dtype=float)
    ratio = _frac(o["net_price_per_kg"], o["list_price_per_kg"])
    ratio = np.where(np.isfinite(ratio), ratio, 1.0)
    diff = tw["price_difference"].reindex(pid).to_numpy() * ratio
    cost_sv = tw["unit_cost_saving"].reindex(pid).to_numpy() + rs.big_pack_other_saving_per_kg
    t = pd.DataFrame({
        "small_pack_kg": kg, "switchable_kg": kg * ok,
        "customer_saving": kg * ok * diff, "cost_saving": kg * ok * cost_sv,
        "paid": kg * ok * o["net_price_per_kg"].to_numpy(dtype=float),
    }).groupby(o["customer_id"].astype(str).to_numpy()).sum()
    t.index.name = "customer_id"
    if ids is not None:
        t = t.reindex(ids, fill_value=0.0)
    t["margin_change"] = t["cost_saving"] - t["customer_saving"]
    t["price_cut"] = _frac(t["customer_saving"], t["paid"])
    return t.drop(columns="paid")


def economy_twins(kd, s) -> pd.DataFrame:
    """Each economy-grade product and its **standard twin** (same substance, grade,
    pack type and size; not economy, not custom; the cheapest such), with the per-kg
    arithmetic of the economy grade at list prices.

    Index ``economy_product``. Columns: ``standard_product``, ``price_economy``,
    ``price_standard`` (EUR/kg), ``price_discount`` (share below the standard),
    ``cost_economy``, ``cost_standard``, ``margin_economy``, ``margin_standard``
    (EUR/kg, list − unit cost), ``break_even_cannibalisation`` (= margin_economy /
    margin_standard: the economy grade adds margin as long as less than this share of
    its volume replaces standard volume)."""
    p = _products(kd)
    p = p.dropna(subset=["list_price_per_kg", "unit_cost_per_kg"])
    keys = ["product_family", "grade", "pack_type", "pack_size_kg"]
    e = p.loc[p["is_economy_grade"].astype(bool)]
    st = p.loc[~p["is_economy_grade"].astype(bool) & ~p["is_custom"].astype(bool)]
    m = e.merge(st, on=keys, suffixes=("_e", "_s"))
    m = m.sort_values(["product_id_e", "list_price_per_kg_s"]).drop_duplicates("product_id_e")
    v = lambda c: m[c].to_numpy(dtype=float)  # noqa: E731
    out = pd.DataFrame(index=pd.Index(m["product_id_e"].to_numpy(), name="economy_product"))
    out["standard_product"] = m["product_id_s"].to_numpy()
    out["price_economy"], out["price_standard"] = v("list_price_per_kg_e"), v("list_price_per_kg_s")
    out["price_discount"] = 1 - out["price_economy"] / out["price_standard"]
    out["cost_economy"], out["cost_standard"] = v("unit_cost_per_kg_e"), v("unit_cost_per_kg_s")
    out["margin_economy"] = out["price_economy"] - out["cost_economy"]
    out["margin_standard"] = out["price_standard"] - out["cost_standard"]
    out["break_even_cannibalisation"] = _frac(out["margin_economy"], out["margin_standard"])
    return out


def economy_arithmetic(volume_kg, margin_standard, margin_economy, cannibalisation):
    """Margin effect of selling ``volume_kg`` of an economy grade: a share c of it
    replaces standard-grade kg (each loses margin_standard − margin_economy), the rest
    is new (each earns margin_economy):

        effect = Q × [(1 − c) × m_e − c × (m_s − m_e)] = Q × (m_e − c × m_s)
        break-even cannibalisation c* = m_e / m_s

    Returns ``(effect, break_even_cannibalisation)`` (arrays broadcast; EUR, share)."""
    q, ms, me, c = (np.asarray(a, dtype=float) for a in
                    (volume_kg, margin_standard, margin_economy, cannibalisation))
    return q * (me - c * ms), _frac(me, ms)


def economy_effect(kd, s, year: int | None = None, customers=None,
                   cannibalisation: float | None = None) -> pd.DataFrame:
    """The margin effect of each customer's economy-grade purchases in ``year``.

    Economy margin from the orders (revenue − cost of goods); the standard twin's
    margin per kg (:func:`economy_twins`) at the customer's own net/list ratio on the
    line: list_standard × ratio − cost_standard. ``cannibalisation`` (None =
    ``rebates.economy_cannibalisation``).

    Index ``customer_id`` (customers with economy kg, or those given). Columns:
    ``economy_kg``, ``economy_share`` (of the customer's kg), ``margin_economy``
    (EUR), ``margin_if_standard`` (EUR, had those kg been the standard grade),
    ``cannibalisation``, ``margin_effect`` (EUR, :func:`economy_arithmetic`),
    ``break_even_cannibalisation``."""
    rs = _rebate_settings(s)
    year = _year(s, year, kd)
    c = rs.economy_cannibalisation if cannibalisation is None else float(cannibalisation)
    tw = economy_twins(kd, s)
    p = _products(kd).set_index("product_id")
    o = _year_lines(kd, year)
    cid_all = o["customer_id"].astype(str)
    total = o.groupby(cid_all, observed=True)["volume_kg"].sum()
    pid = o["product_id"].astype(str)
    o = o.loc[pid.isin(tw.index).to_numpy()]
    pid = o["product_id"].astype(str)
    std = tw["standard_product"].reindex(pid).to_numpy()
    ratio = _frac(o["net_price_per_kg"], o["list_price_per_kg"])
    ratio = np.where(np.isfinite(ratio), ratio, 1.0)
    m_std = (p["list_price_per_kg"].reindex(std).to_numpy(dtype=float) * ratio
             - p["unit_cost_per_kg"].reindex(std).to_numpy(dtype=float))
    kg = o["volume_kg"].to_numpy(dtype=float)
    t = pd.DataFrame({"economy_kg": kg, "margin_economy": o["gross_margin"].to_numpy(),
                      "margin_if_standard": kg * m_std}).groupby(
        o["customer_id"].astype(str).to_numpy()).sum()
    t.index.name = "customer_id"
    ids = _ids(kd, customers)
    if ids is not None:
        t = t.reindex(ids, fill_value=0.0)
    t["economy_share"] = _frac(t["economy_kg"], total.reindex(t.index))
    t["cannibalisation"] = c
    eff, be = economy_arithmetic(1.0, t["margin_if_standard"], t["margin_economy"], c)
    t["margin_effect"] = eff
    t["break_even_cannibalisation"] = be
    return t[["economy_kg", "economy_share", "margin_economy", "margin_if_standard",
              "cannibalisation", "margin_effect", "break_even_cannibalisation"]]


def economy_design(price_standard: float, cost_standard: float, s,
                   volume_kg: float = 1.0) -> pd.Series:
    """Design an economy grade from a standard grade with the settings
    ``economy_price_discount`` and ``economy_cost_saving`` (for a company that has
    none yet): price and cost per kg, margins, the break-even cannibalisation and the
    effect on ``volume_kg`` at ``economy_cannibalisation``."""
    rs = _rebate_settings(s)
    pe = price_standard * (1 - rs.economy_price_discount)
    ce = cost_standard * (1 - rs.economy_cost_saving)
    ms, me = price_standard - cost_standard, pe - ce
    eff, be = economy_arithmetic(volume_kg, ms, me, rs.economy_cannibalisation)
    return pd.Series({"price_economy": pe, "cost_economy": ce, "margin_standard": ms,
                      "margin_economy": me, "break_even_cannibalisation": float(be),
                      "cannibalisation": rs.economy_cannibalisation,
                      "margin_effect": float(eff)})
