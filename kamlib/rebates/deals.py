"""Off-season prices and bundles: the deal arithmetic against each customer's normal
price (:func:`deal_effect`, :func:`season_shares`, :func:`bundle_pairs`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from kamlib.memo import TableMemo
from kamlib.rebates.schedules import _frac, _rebate_settings, _year, break_even_share
from kamlib.rebates.history import _ids


def deal_arithmetic(volume_kg, normal_price, deal_price, unit_cost, new_share):
    """The margin effect of selling ``volume_kg`` at a special price.

    Of the deal volume Q a share n is **new** (would not have been bought from us
    without the deal); the rest would have been bought anyway at the normal price p -
    later in the year (volume *pulled forward* by an off-season price) or at full price
    (a bundle's product the customer buys anyway). With deal price p_d and unit cost c:

        margin effect = Q × [ n × (p_d − c) − (1 − n) × (p − p_d) ]
        break-even new share n* = (p − p_d) / (p − c) = discount / contribution margin
        (0 when nothing is given away; above 1, or inf, when no share pays:
        :func:`break_even_share`)

    (the same arithmetic as Nagle & Müller's break-even volume: with base volume
    (1 − n)Q and new volume nQ, n* corresponds to %ΔV = −ΔP / (CM + ΔP)).

    Returns a DataFrame (arrays broadcast): ``concession`` (EUR given away on the
    volume that was not new), ``margin_on_new`` (EUR), ``margin_effect`` (EUR),
    ``break_even_new_share``.
    """
    q, p, pd_, c, n = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in
                                            (volume_kg, normal_price, deal_price,
                                             unit_cost, new_share)))
    concession = q * (1 - n) * (p - pd_)
    margin_new = q * n * (pd_ - c)
    return pd.DataFrame({
        "concession": np.atleast_1d(concession),
        "margin_on_new": np.atleast_1d(margin_new),
        "margin_effect": np.atleast_1d(margin_new - concession),
        "break_even_new_share": np.atleast_1d(break_even_share(p - pd_, p - c)),
    })


def _normal_prices(o: pd.DataFrame) -> np.ndarray:
    """Each line's *normal* price: the customer's kg-weighted net price for the same
    product on lines without a deal in the year; else list × the customer's net/list
    ratio without deals; else list × the ratio of all customers."""
    cid = o["customer_id"].astype(str)
    plain = o["deal_type"].astype(str) == "none"
    op = o.loc[plain]
    key = [cid.loc[plain], op["product_id"].astype(str)]
    g = op.groupby(key, observed=True)[["revenue", "volume_kg"]].sum()
    own = pd.Series(_frac(g["revenue"], g["volume_kg"]), index=g.index)
    idx = pd.MultiIndex.from_arrays([cid, o["product_id"].astype(str)])
    same = own.reindex(idx).to_numpy()
    gc = op.groupby(cid.loc[plain], observed=True)[["revenue", "list_revenue"]].sum()
    ratio_c = pd.Series(_frac(gc["revenue"], gc["list_revenue"]), index=gc.index)
    ratio = ratio_c.reindex(cid).to_numpy()
    all_ratio = (op["revenue"].sum() / op["list_revenue"].sum()
                 if op["list_revenue"].sum() > 0 else 1.0)
    lst = o["list_price_per_kg"].to_numpy(dtype=float)
    fallback = lst * np.where(np.isfinite(ratio), ratio, all_ratio)
    return np.where(np.isfinite(same), same, fallback)


YEAR_LINE_COLUMNS = ("customer_id", "order_id", "product_id", "deal_type", "month",
                     "volume_kg", "quantity_kg", "revenue", "list_revenue",
                     "cost_of_goods", "gross_margin", "net_price_per_kg",
                     "list_price_per_kg")
"""The columns of the order lines that the deal, season and pack functions read."""

# The lines of one year, only the columns read (taking all 36 columns of a year of a
# large export cost 0.3-0.5 s a call), and those lines with their normal prices (1-1.5 s
# at 13 million lines; asked for by each deal type and the bundle table). Remembered per
# order-line table and year; the frames are read, never changed (callers assign copies).
_YEAR_MEMO = TableMemo(4)


def _year_lines(kd, year: int, priced: bool = False) -> pd.DataFrame:
    """The order lines of ``year`` (columns of :data:`YEAR_LINE_COLUMNS` the data has),
    with ``normal_price`` (:func:`_normal_prices` over the whole year) when ``priced``."""
    key = ("year_lines", int(year), bool(priced))
    hit = _YEAR_MEMO.get((kd.orders,), key)
    if hit is not None:
        return hit
    if priced:
        o = _year_lines(kd, year)
        o = o.assign(normal_price=_normal_prices(o))
    else:
        cols = [c for c in YEAR_LINE_COLUMNS if c in kd.orders.columns]
        o = kd.orders.loc[kd.orders["year"] == year, cols]
    _YEAR_MEMO.put((kd.orders,), key, o)
    return o


def deal_effect(kd, s, deal_type: str = "off-season", year: int | None = None,
                customers=None, new_share: float | None = None) -> pd.DataFrame:
    """The margin effect of the special prices of ``deal_type`` in ``year``, per customer.

    Each deal line is compared with the customer's **normal** price for the same
    product that year (kg-weighted net price of its lines without a deal; else list
    price × its usual net/list ratio). ``new_share`` (None = from the settings:
    1 − ``pull_forward_share`` for off-season and promotion deals, ``bundle_new_share``
    for bundles) splits the deal volume into new and anyway volume;
    :func:`deal_arithmetic` gives the effect.

    Index ``customer_id`` (customers with deal lines; or the ``customers`` given).
    Columns: ``deal_kg``, ``deal_share_of_volume`` (of the customer's kg that year),
    ``normal_revenue`` (EUR the deal kg would have cost at normal prices),
    ``deal_revenue``, ``deal_discount`` (1 − deal / normal), ``cost_of_goods``,
    ``contribution_margin`` (at normal prices, share), ``new_share``, ``concession``,
    ``margin_on_new``, ``margin_effect`` (EUR), ``break_even_new_share``.
    """
    from kamlib import schema

    if deal_type not in schema.DEAL_TYPES or deal_type == "none":
        raise ValueError(f"deal_type must be one of {', '.join(schema.DEAL_TYPES[1:])}, "
                         f"got '{deal_type}'")
    rs = _rebate_settings(s)
    year = _year(s, year, kd)
    if new_share is None:
        new_share = rs.bundle_new_share if deal_type == "bundle" else 1 - rs.pull_forward_share
    o = _year_lines(kd, year, priced=True)
    cid = o["customer_id"].astype(str)
    total_kg = o.groupby(cid, observed=True)["volume_kg"].sum()
    d = o.loc[o["deal_type"].astype(str) == deal_type]
    g = d.assign(normal_revenue=d["volume_kg"] * d["normal_price"]).groupby(
        d["customer_id"].astype(str), observed=True)[
        ["volume_kg", "normal_revenue", "revenue", "cost_of_goods"]].sum()
    g.index.name = "customer_id"
    ids = _ids(kd, customers)
    if ids is not None:
        g = g.reindex(ids, fill_value=0.0)
    g = g.loc[g["volume_kg"] > 0] if ids is None else g
    out = pd.DataFrame(index=g.index)
    out["deal_kg"] = g["volume_kg"]
    out["deal_share_of_volume"] = _frac(g["volume_kg"], total_kg.reindex(g.index))
    out["normal_revenue"] = g["normal_revenue"]
    out["deal_revenue"] = g["revenue"]
    out["deal_discount"] = 1 - _frac(g["revenue"], g["normal_revenue"])
    out["cost_of_goods"] = g["cost_of_goods"]
    out["contribution_margin"] = _frac(g["normal_revenue"] - g["cost_of_goods"],
                                       g["normal_revenue"])
    out["new_share"] = float(new_share)
    q = g["volume_kg"].to_numpy()
    a = deal_arithmetic(q, _frac(g["normal_revenue"], q), _frac(g["revenue"], q),
                        _frac(g["cost_of_goods"], q), new_share)
    for c in ("concession", "margin_on_new", "margin_effect"):
        out[c] = np.where(q > 0, np.nan_to_num(a[c].to_numpy()), 0.0)
    out["break_even_new_share"] = a["break_even_new_share"].to_numpy()
    return out


def season_shares(kd, s, year: int | None = None, customers=None) -> pd.DataFrame:
    """How each customer's volume falls over the seasons of ``year``.

    Index ``customer_id``. Columns: ``volume_kg``; ``off_season_share`` (kg bought in
    ``rebates.off_season_months`` / kg of the year); ``off_season_deal_share`` (kg on
    off-season deals / kg bought in the off-season months); ``deal_share`` (kg on any
    deal / kg of the year)."""
    rs = _rebate_settings(s)
    year = _year(s, year, kd)
    o = _year_lines(kd, year)
    cid = o["customer_id"].astype(str)
    off = o["month"].isin(list(rs.off_season_months)).to_numpy()
    dt = o["deal_type"].astype(str).to_numpy()
    kg = o["volume_kg"].to_numpy(dtype=float)
    t = pd.DataFrame({"volume_kg": kg, "off": kg * off,
                      "off_deal": kg * (dt == "off-season"),
                      "deal": kg * (dt != "none")}).groupby(cid.to_numpy()).sum()
    t.index.name = "customer_id"
    ids = _ids(kd, customers)
    if ids is not None:
        t = t.reindex(ids, fill_value=0.0)
    out = pd.DataFrame(index=t.index)
    out["volume_kg"] = t["volume_kg"]
    out["off_season_share"] = _frac(t["off"], t["volume_kg"])
    out["off_season_deal_share"] = _frac(t["off_deal"], t["off"])
    out["deal_share"] = _frac(t["deal"], t["volume_kg"])
    return out


def bundle_pairs(kd, s, year: int | None = None, customers=None) -> pd.DataFrame:
    """Which products are bundled with which, and what the bundles cost, in ``year``.

    A bundle line (``deal_type == "bundle"``) is the product sold at a special price
    with another product of the same order (the *anchor*: the largest other line of the
    order). Index (``anchor_product``, ``bundled_product``). Columns: ``bundles``
    (orders), ``bundled_kg``, ``normal_revenue``, ``bundle_revenue``, ``concession``
    (EUR below the customers' normal prices on *all* bundled kg), ``bundle_discount``,
    ``margin_on_bundled`` (EUR: revenue − cost of goods of the bundled lines),
    ``break_even_new_share`` (concession / (normal revenue − cost of goods); above 1 or
    inf = never pays, :func:`break_even_share`)."""
    year = _year(s, year, kd)
    ids = _ids(kd, customers)
    if ids is None:
        o = _year_lines(kd, year, priced=True)
    else:  # the normal prices of these customers' lines only (their own fallback ratio)
        o = _year_lines(kd, year)
        o = o.loc[o["customer_id"].astype(str).isin(ids)]
        o = o.assign(normal_price=_normal_prices(o))
    is_b = o["deal_type"].astype(str) == "bundle"
    b = o.loc[is_b]
    others = o.loc[~is_b & o["order_id"].isin(b["order_id"])]
    anchor = (others.sort_values(["order_id", "volume_kg"], ascending=[True, False])
              .drop_duplicates("order_id").set_index("order_id")["product_id"])
    b = b.assign(anchor_product=b["order_id"].map(anchor).fillna("(none)").astype(str),
                 bundled_product=b["product_id"].astype(str),
                 normal_revenue=b["volume_kg"] * b["normal_price"])
    g = b.groupby(["anchor_product", "bundled_product"], observed=True)
    out = pd.DataFrame({
        "bundles": g["order_id"].nunique(),
        "bundled_kg": g["volume_kg"].sum(),
        "normal_revenue": g["normal_revenue"].sum(),
        "bundle_revenue": g["revenue"].sum(),
        "cost_of_goods": g["cost_of_goods"].sum(),
    })
    out["concession"] = out["normal_revenue"] - out["bundle_revenue"]
    out["bundle_discount"] = _frac(out["concession"], out["normal_revenue"])
    out["margin_on_bundled"] = out["bundle_revenue"] - out["cost_of_goods"]
    out["break_even_new_share"] = break_even_share(
        out["concession"], out["normal_revenue"] - out["cost_of_goods"])
    return out.drop(columns="cost_of_goods").sort_values("bundled_kg", ascending=False)
