"""Opportunities and competition: product whitespace, product mix, the main
competitor's position, a SWOT built from the evidence, and the customer's own goals.

**Whitespace.** Comparable customers = the active customers of the same industry and
size band (``customers.industry``, ``customers.size_band``). A product is whitespace
for an account when it does not buy it and at least ``whitespace_min_share`` of its
comparable customers do. Value at stake (EUR a year) = the median share of that product
in its buyers' spend × the account's revenue. Groups with fewer than ``min_group_size``
comparable customers, or fewer buyers, are not used: no other customer's figure can be
read from a median of so few.

**Share of wallet by product** needs the customer's use by product; the data records
its total use only, so the plan shows the product mix (our revenue by product) and the
comparable customers' buying rate of each product.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamlib import formatting as fmt
from kamlib.plan.config import PlanSettings


def _product_revenue(kd, year: int) -> pd.DataFrame:
    o = kd.orders.loc[kd.orders["year"] == year]
    g = o.groupby([o["customer_id"].astype(str), o["product_id"].astype(str)])
    out = g[["revenue", "volume_kg"]].sum().reset_index()
    out.columns = ["customer_id", "product_id", "revenue", "volume_kg"]
    return out.loc[out["revenue"] > 0]


def _groups(kd) -> pd.DataFrame:
    c = kd.customers.assign(customer_id=kd.customers["customer_id"].astype(str))
    cols = [x for x in ("industry", "size_band") if x in c.columns]
    g = c.set_index("customer_id")[cols].astype(object).fillna("(unknown)")
    g["group"] = g.astype(str).agg(" · ".join, axis=1) if cols else "all"
    return g


def whitespace(kd, ids, year: int, ps: PlanSettings) -> pd.DataFrame:
    """Products comparable customers buy that the account does not (see the module).

    Columns: ``customer_id``, ``product_id``, ``product_name``, ``group`` (industry ·
    size band), ``comparable`` (comparable active customers, the account excluded),
    ``buying_share`` (fraction of them buying the product), ``value_at_stake`` (EUR a
    year). Largest value first within each account.
    """
    cols = ["customer_id", "product_id", "product_name", "group", "comparable",
            "buying_share", "value_at_stake"]
    pr = _product_revenue(kd, year)
    if pr.empty:
        return pd.DataFrame(columns=cols)
    grp = _groups(kd)
    tot = pr.groupby("customer_id")["revenue"].sum()
    pr["share"] = pr["revenue"].to_numpy() / tot.reindex(pr["customer_id"]).to_numpy()
    pr["group"] = grp["group"].reindex(pr["customer_id"]).to_numpy()
    active = pd.DataFrame({"group": grp["group"].reindex(tot.index).to_numpy()},
                          index=tot.index)
    n_group = active.groupby("group").size()
    buyers = pr.groupby(["group", "product_id"]).agg(buyers=("customer_id", "size"),
                                                     median_share=("share", "median"))
    ids = pd.Index([str(i) for i in ids]).intersection(tot.index)
    if not len(ids):
        return pd.DataFrame(columns=cols)
    products = pd.Index(sorted(pr["product_id"].unique()))
    cand = pd.MultiIndex.from_product([ids, products], names=["customer_id", "product_id"])
    cand = cand.to_frame(index=False)
    cand["group"] = grp["group"].reindex(cand["customer_id"]).to_numpy()
    own = pd.MultiIndex.from_frame(pr[["customer_id", "product_id"]])
    cand = cand.loc[~pd.MultiIndex.from_frame(cand[["customer_id", "product_id"]]).isin(own)]
    b = buyers.reindex(pd.MultiIndex.from_frame(cand[["group", "product_id"]]))
    cand["buyers"] = b["buyers"].fillna(0).to_numpy()
    cand["median_share"] = b["median_share"].to_numpy()
    cand["comparable"] = n_group.reindex(cand["group"]).fillna(1).to_numpy() - 1
    cand["buying_share"] = np.divide(cand["buyers"], cand["comparable"],
                                     out=np.zeros(len(cand)), where=cand["comparable"] > 0)
    keep = ((cand["comparable"] >= ps.min_group_size) & (cand["buyers"] >= ps.min_group_size)
            & (cand["buying_share"] >= ps.whitespace_min_share))
    cand = cand.loc[keep].copy()
    cand["value_at_stake"] = cand["median_share"].to_numpy() * tot.reindex(
        cand["customer_id"]).to_numpy()
    names = kd.products.set_index(kd.products["product_id"].astype(str))["product_name"] \
        if kd.products is not None and len(kd.products) else pd.Series(dtype=object)
    cand["product_name"] = names.reindex(cand["product_id"]).fillna(cand["product_id"]
                                                                     ).to_numpy()
    cand["comparable"] = cand["comparable"].astype(int)
    cand = cand.sort_values(["customer_id", "value_at_stake"], ascending=[True, False],
                            kind="stable")
    return cand[cols].reset_index(drop=True)


def product_mix(kd, ids, year: int, ps: PlanSettings) -> pd.DataFrame:
    """What each account buys from us by product in ``year``, with the share of its
    comparable customers that buy the same product (NaN for a group too small).

    Columns: ``customer_id``, ``product_id``, ``product_name``, ``revenue`` (EUR),
    ``volume_kg``, ``share_of_spend`` (fraction of its revenue with us),
    ``buying_share``.
    """
    cols = ["customer_id", "product_id", "product_name", "revenue", "volume_kg",
            "share_of_spend", "buying_share"]
    pr = _product_revenue(kd, year)
    if pr.empty:
        return pd.DataFrame(columns=cols)
    grp = _groups(kd)
    tot = pr.groupby("customer_id")["revenue"].sum()
    pr["group"] = grp["group"].reindex(pr["customer_id"]).to_numpy()
    n_group = pd.Series(grp["group"].reindex(tot.index).to_numpy()).value_counts()
    buyers = pr.groupby(["group", "product_id"]).size()
    ids = [str(i) for i in ids]
    m = pr.loc[pr["customer_id"].isin(ids)].copy()
    m["share_of_spend"] = m["revenue"].to_numpy() / tot.reindex(m["customer_id"]).to_numpy()
    others = buyers.reindex(pd.MultiIndex.from_frame(m[["group", "product_id"]])).to_numpy() - 1
    comp = n_group.reindex(m["group"]).to_numpy() - 1
    ok = (comp >= ps.min_group_size) & (others >= ps.min_group_size)
    m["buying_share"] = np.where(ok, np.divide(others, comp, out=np.zeros(len(m)),
                                               where=comp > 0), np.nan)
    names = kd.products.set_index(kd.products["product_id"].astype(str))["product_name"] \
        if kd.products is not None and len(kd.products) else pd.Series(dtype=object)
    m["product_name"] = names.reindex(m["product_id"]).fillna(m["product_id"]).to_numpy()
    m = m.sort_values(["customer_id", "revenue"], ascending=[True, False], kind="stable")
    return m[cols].reset_index(drop=True)


def competitors(kd, fc: pd.DataFrame, year: int) -> pd.DataFrame:
    """The main competitor's position at each account.

    From the account manager's assessments (``main_competitor``,
    ``estimated_annual_use_kg``). Index customer_id. Columns: ``competitor`` (the one
    named last, '' none), ``since`` (first year it was named, continuously to the last
    naming), ``others_kg`` (kg a year bought from other suppliers: use − our volume),
    ``others_share`` (fraction of its use), ``others_share_2y`` (two years before).
    """
    out = pd.DataFrame(index=fc.index)
    a = kd.assessments
    out["competitor"] = ""
    out["since"] = np.nan
    if a is not None and len(a) and "main_competitor" in a.columns:
        a = a.assign(customer_id=a["customer_id"].astype(str),
                     main_competitor=a["main_competitor"].fillna("").astype(str).str.strip())
        a = a.loc[a["customer_id"].isin(fc.index) & (a["main_competitor"] != "")
                  & (a["year"] <= year)].sort_values(["customer_id", "year"])
        last = a.drop_duplicates("customer_id", keep="last").set_index("customer_id")
        out["competitor"] = last["main_competitor"].reindex(out.index).fillna("")
        a["same"] = a["main_competitor"].to_numpy() == last["main_competitor"].reindex(
            a["customer_id"]).to_numpy()
        # the start of the last unbroken run of the same name
        a["brk"] = (~a["same"]).groupby(a["customer_id"]).cumsum()
        a["run"] = a["brk"] == a.groupby("customer_id")["brk"].transform("max")
        since = a.loc[a["same"] & a["run"]].groupby("customer_id")["year"].min()
        out["since"] = since.reindex(out.index).to_numpy(float)
    use = fc["estimated_use_kg"].to_numpy(float)
    out["others_kg"] = np.maximum(use - fc["volume_kg"].to_numpy(float), 0)
    out["others_share"] = 1 - fc["share_of_wallet"].to_numpy(float)
    out["others_share_2y"] = 1 - fc["share_2y"].to_numpy(float)
    return out


def swot(fc: pd.DataFrame, strat: pd.DataFrame, status: dict, comp: pd.DataFrame,
         white: pd.DataFrame, key: pd.DataFrame | None, qual: pd.DataFrame,
         rebate_plan: pd.DataFrame, growth_potential: pd.Series, ps: PlanSettings
         ) -> pd.DataFrame:
    """A SWOT of each account built from the evidence: every line is a rule on the
    data (the rules are the conditions below, in order). Columns: ``customer_id``,
    ``quadrant`` (strength / weakness / opportunity / threat), ``text``."""
    ids = fc.index
    q = qual.reindex(ids)
    k = key.copy() if key is not None else pd.DataFrame(index=ids)
    k.index = k.index.astype(str)
    k = k.reindex(ids)
    profit = pd.to_numeric(k.get("profit", pd.Series(np.nan, index=ids)),
                           errors="coerce").to_numpy(float)
    sow = fc["share_of_wallet"].to_numpy(float)
    otif = q["otif"].to_numpy(float)
    compl = q["complaints"].fillna(0).to_numpy(float)
    dm = status["decision makers"].reindex(ids)
    lvl = status["relationship level"].reindex(ids)
    seg = status["segment and price response"].reindex(ids)
    n_white = white.groupby("customer_id").size().reindex(ids).fillna(0).to_numpy(int)
    v_white = white.groupby("customer_id")["value_at_stake"].sum().reindex(ids).fillna(0)
    c = comp.reindex(ids)
    others = c["others_kg"].to_numpy(float)
    cname = c["competitor"].fillna("").astype(str).to_numpy(object)
    s_fell = np.nan_to_num(c["others_share"].to_numpy(float) - c["others_share_2y"]
                           .to_numpy(float), nan=0) >= ps.share_drop_points
    v0, v1, v2 = (fc[x].to_numpy(float) for x in ("volume_kg", "volume_1y", "volume_2y"))
    fell = (v0 < v1 * (1 - ps.volume_drop)) & (v1 < v2 * (1 - ps.volume_drop))
    rp = rebate_plan.reindex(ids)
    near = rp["cliff_above"].fillna(False).astype(bool).to_numpy()
    gp = pd.to_numeric(growth_potential.reindex(ids), errors="coerce").to_numpy(float)

    def s(x):
        return pd.Series(x).map(fmt.pct).to_numpy(object)

    rules = [
        ("strength", np.nan_to_num(sow) >= 0.6, "we supply " + s(sow) + " of its use"),
        ("strength", np.nan_to_num(otif) >= ps.otif_target,
         "reliable deliveries: " + s(otif) + " on time in full"),
        ("strength", np.nan_to_num(profit) > 0,
         "profitable after rebates and cost to serve: "
         + pd.Series(profit).map(fmt.eur).to_numpy(object)),
        ("strength", dm["level"].eq("ok").to_numpy(), "strong, recent decision-maker "
                                                      "relationships"),
        ("weakness", compl >= 3, pd.Series(compl).map(lambda x: f"{x:.0f}").to_numpy(object)
         + " complaints last year"),
        ("weakness", np.isfinite(otif) & (otif < ps.otif_target),
         "on time in full " + s(otif) + f", below the {fmt.pct(ps.otif_target)} target"),
        ("weakness", dm["level"].isin(["watch", "alert"]).to_numpy(),
         dm["text"].fillna("").astype(str).to_numpy(object)),
        ("weakness", lvl["level"].isin(["watch", "alert"]).to_numpy(),
         lvl["text"].fillna("").astype(str).to_numpy(object)),
        ("weakness", np.nan_to_num(profit) < 0, "loses money after rebates and cost to "
                                                "serve"),
        ("opportunity", np.nan_to_num(others) > 0,
         pd.Series(others).map(fmt.kg).to_numpy(object) + " a year bought from other "
                                                          "suppliers"),
        ("opportunity", n_white > 0,
         pd.Series(n_white).astype(str).to_numpy(object) + " product(s) comparable "
         "customers buy and it does not, worth "
         + v_white.map(fmt.eur).to_numpy(object) + " a year"),
        ("opportunity", near, "close to a higher rebate tier: a reason to bring more "
                              "volume to us"),
        ("opportunity", np.nan_to_num(gp) >= 4, "growth potential rated "
         + pd.Series(gp).map(lambda x: f"{x:.0f}/5" if np.isfinite(x) else "").to_numpy(
             object) + " by the account manager"),
        ("threat", cname != "", "competitor " + cname + " at the customer"),
        ("threat", s_fell, "other suppliers gained share in two years"),
        ("threat", fell, "volume fell in each of the last two years"),
        ("threat", seg["level"].eq("watch").to_numpy(),
         seg["text"].fillna("").astype(str).to_numpy(object)),
        ("threat", strat["strategy"].reindex(ids).eq("recovery").to_numpy()
         & ~(np.nan_to_num(profit) < 0), "the relationship is disintegrating"),
    ]
    rows = [pd.DataFrame({"customer_id": ids[m], "quadrant": quad,
                          "text": np.broadcast_to(np.asarray(t, dtype=object),
                                                  (len(ids),))[m]})
            for quad, m, t in rules if m.any()]
    if not rows:
        return pd.DataFrame(columns=["customer_id", "quadrant", "text"])
    out = pd.concat(rows, ignore_index=True)
    order = {"strength": 0, "weakness": 1, "opportunity": 2, "threat": 3}
    out["_o"] = out["quadrant"].map(order)
    return out.sort_values(["customer_id", "_o"], kind="stable").drop(columns="_o") \
        .reset_index(drop=True)


def customer_goals(ids, ps: PlanSettings) -> pd.Series:
    """The customer's own goals as recorded in ``plan.customer_goals`` ('' none)."""
    ids = pd.Index([str(i) for i in ids], name="customer_id")
    return pd.Series(ids.map(lambda i: ps.customer_goals.get(i, "")), index=ids,
                     dtype=object)
