"""The strategy of each account plan: growth, win-back, hold, harvest or recovery.

One strategy per account and plan year, chosen by the first rule that applies:

1. **harvest** - the review decided to drop or downgrade the account
   (``kamlib.review``: ``decision`` ``drop`` / ``downgrade``), or its portfolio action
   is "manage for cash" / "withdraw";
2. **recovery** - the account lost money after rebates and cost to serve, or the
   relationship is disintegrating;
3. **win-back** - its share of wallet fell by at least ``share_drop_points`` over two
   years, or its volume fell by more than ``volume_drop`` in each of the last two
   years, or the review flags it as decaying - and there is volume left to win (share
   of wallet below ``max_share_of_wallet`` or unknown);
4. **growth** - the review decided to develop it; without a review decision, its
   portfolio action is "invest for growth" or it is a class-B (growing) account - with
   volume left to win;
5. **hold** - every other account (the review decided to keep it; maintain, invest
   selectively; or no volume left to win).

The strategy sets the targets (``kamlib.plan.forecast.plan_year``) and the strategy
sentence of the plan's first page (:func:`sentences`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamlib import formatting as fmt
from kamlib.plan.config import PlanSettings

SEGMENT_MEANS = {
    "price": "with the volume rebate, off-season prices and bigger packs",
    "service": "through reliable deliveries and fast, proactive service",
    "technology": "through trials, technical support and new grades",
}
"""How a plan for each buying driver gets there (the strategy sentence's 'how')."""


def _col(df: pd.DataFrame | None, col: str, ids, default) -> np.ndarray:
    if df is None or col not in getattr(df, "columns", []):
        return np.full(len(ids), default, dtype=object)
    d = df.copy()
    d.index = d.index.astype(str)
    return d[col].reindex(ids).to_numpy(dtype=object)


def choose(hist: pd.DataFrame, key: pd.DataFrame | None, relationship: pd.DataFrame | None,
           ps: PlanSettings, review: pd.DataFrame | None = None,
           max_share_of_wallet: float = 0.9) -> pd.DataFrame:
    """The strategy of each account and why (rules in the module's text).

    ``hist``: :func:`kamlib.plan.forecast.history`; ``key``: the key-account table of
    :func:`kamlib.selection.key_accounts` (``portfolio_action``, ``abc_class``,
    ``profit``); ``relationship``: :func:`kamlib.service.relationship_levels`
    (``stage``); ``review``: :func:`kamlib.review.account_review` (``decision``,
    ``decaying``) when available. Index customer_id. Columns: ``strategy``, ``why``
    (text), ``decision`` (the review's, '' without one), ``loss`` (a recovery because the
    account loses money, rather than a disintegrating relationship).
    """
    ids = hist.index
    action = pd.Series(_col(key, "portfolio_action", ids, ""), index=ids).fillna("").astype(str)
    cls = pd.Series(_col(key, "abc_class", ids, ""), index=ids).fillna("").astype(str)
    profit = pd.to_numeric(pd.Series(_col(key, "profit", ids, np.nan), index=ids),
                           errors="coerce").to_numpy(float)
    stage = pd.Series(_col(relationship, "stage", ids, ""), index=ids).fillna("").astype(str)
    decision = pd.Series(_col(review, "decision", ids, ""), index=ids).fillna("").astype(str)
    decaying = pd.Series(_col(review, "decaying", ids, False), index=ids).fillna(False)
    decaying = decaying.astype(bool).to_numpy()
    sow, sow2 = hist["share_of_wallet"].to_numpy(float), hist["share_2y"].to_numpy(float)
    v0, v1, v2 = (hist[c].to_numpy(float) for c in ("volume_kg", "volume_1y", "volume_2y"))
    share_fell = np.isfinite(sow) & np.isfinite(sow2) & (sow - sow2 <= -ps.share_drop_points
                                                          + 1e-12)
    g1 = np.divide(v1 - v2, v2, out=np.full(len(ids), np.nan), where=v2 > 0)
    g0 = np.divide(v0 - v1, v1, out=np.full(len(ids), np.nan), where=v1 > 0)
    vol_fell = (np.nan_to_num(g0, nan=0) < -ps.volume_drop) & \
        (np.nan_to_num(g1, nan=0) < -ps.volume_drop)
    headroom = ~(np.isfinite(sow) & (sow >= max_share_of_wallet - 1e-12))
    harvest = decision.isin(["drop", "downgrade"]).to_numpy() | \
        action.isin(["manage for cash", "withdraw"]).to_numpy()
    recovery = (np.nan_to_num(profit, nan=0.0) < 0) | (stage == "disintegrating").to_numpy()
    winback = (share_fell | vol_fell | decaying) & headroom
    reviewed = decision.ne("").to_numpy()
    growth = (decision.eq("develop").to_numpy() | (~reviewed & (
        action.eq("invest for growth").to_numpy() | cls.eq("B").to_numpy()))) & headroom
    conds = [harvest, recovery, winback, growth]
    names = ["harvest", "recovery", "win-back", "growth"]
    strat = np.select(conds, names, default="hold")
    pts = np.round(100 * (sow - sow2))
    why_win = np.where(share_fell, "share of wallet fell " + pd.Series(np.abs(pts)).map(
        lambda x: f"{x:.0f}" if np.isfinite(x) else "").to_numpy(object)
        + " points in two years", np.where(vol_fell, "volume fell in each of the last "
                                           "two years", "the review finds it decaying"))
    why = np.select(
        conds,
        [np.where(decision.isin(["drop", "downgrade"]).to_numpy(),
                  "the review decided: " + decision.to_numpy(object),
                  "portfolio position: " + action.to_numpy(object)),
         np.where(np.nan_to_num(profit, nan=0.0) < 0,
                  "it loses money after rebates and cost to serve",
                  "the relationship is disintegrating"),
         why_win,
         np.where(decision.eq("develop").to_numpy(), "the review decided: develop",
                  np.where(cls.eq("B").to_numpy(), "a growing class-B account",
                           "portfolio position: invest for growth"))],
        default=np.where(~headroom, "little share of wallet left to win",
                         np.where(reviewed, "the review decided: " + decision.to_numpy(object),
                                  "portfolio position: " + action.replace("", "maintain")
                                  .to_numpy(object))))
    loss = (strat == "recovery") & (np.nan_to_num(profit, nan=0.0) < 0)
    return pd.DataFrame({"strategy": strat, "why": why, "decision": decision.to_numpy(),
                         "loss": loss}, index=ids)


def sentences(fc: pd.DataFrame, strat: pd.DataFrame, segment: pd.Series,
              competitor: pd.Series, plan_year: int, margin_known: bool = True
              ) -> pd.Series:
    """One strategy sentence per account: what the plan does, to what, and how.

    ``fc``: :func:`kamlib.plan.forecast.plan_year`; ``segment``: the buying driver;
    ``competitor``: the main competitor ('' unknown); ``margin_known``: False when the
    data has no cost of goods (the sentence then speaks of the price, not of a margin
    it cannot see). Index customer_id.
    """
    protect = "protect the margin" if margin_known else "hold the price"
    ids = fc.index
    st = strat["strategy"].reindex(ids).astype(str).to_numpy()
    seg = segment.reindex(ids).fillna("").astype(str).str.split(" ").str[0]
    base = seg.where(seg.isin(list(SEGMENT_MEANS)), "")
    how = base.map(SEGMENT_MEANS).fillna("through regular visits and service").to_numpy()
    comp = competitor.reindex(ids).fillna("").astype(str)
    vol = fc["volume_kg"].map(fmt.kg).to_numpy(object)
    pvol = fc["plan_volume_kg"].map(fmt.kg).to_numpy(object)
    sow = fc["share_of_wallet"].map(fmt.pct).to_numpy(object)
    psow = fc["plan_share_of_wallet"].map(fmt.pct).to_numpy(object)
    known = np.isfinite(fc["share_of_wallet"].to_numpy(float))
    share_part = np.where(known, " and share of wallet from " + sow + " to " + psow, "")
    from_comp = np.where(comp.to_numpy() != "", " from " + comp.to_numpy(object), "")
    y = str(plan_year)
    v0, v1 = fc["volume_kg"].to_numpy(float), fc["volume_1y"].to_numpy(float)
    fell = (v1 > 0) & (v0 < 0.99 * v1)
    drop = pd.Series(np.round(100 * np.divide(v0 - v1, v1, out=np.zeros(len(v0)),
                                              where=v1 > 0))).map(lambda x: f"{x:+.0f}%")
    turn = np.where(fell, "reverse the " + drop.to_numpy(object) + " of "
                    + str(plan_year - 1) + " and ", "")
    text = np.select(
        [st == "growth", st == "win-back", st == "hold", st == "harvest"],
        ["Grow: " + turn + "take volume from " + vol + " to " + pvol + " in " + y + share_part
         + ", " + how + ".",
         "Win back: regain share of wallet" + from_comp + " - " + sow + " to " + psow
         + ", volume " + vol + " to " + pvol + " in " + y + " - " + how + ".",
         "Hold: " + np.where(fell, "stop the " + drop.to_numpy(object) + " of "
                             + str(plan_year - 1) + ", ", "") + "keep volume at " + pvol
         + " in " + y + " and " + protect + ", " + how + ".",
         "Harvest: " + protect + " - net price "
         + fc["net_price"].map(fmt.price).to_numpy(object) + " to "
         + fc["plan_net_price"].map(fmt.price).to_numpy(object)
         + ", service held to its budget; volume may ease to " + pvol + " in " + y + "."],
        default=np.where(
            strat["loss"].reindex(ids).fillna(False).to_numpy(bool),
            "Recover: bring the account back to profit through price and cost to serve - "
            "net price " + fc["net_price"].map(fmt.price).to_numpy(object) + " to "
            + fc["plan_net_price"].map(fmt.price).to_numpy(object)
            + " - and stop the fall of volume at " + pvol + " in " + y + ".",
            "Recover the relationship: meet the decision makers with an executive, find "
            "out what went wrong, and stop the fall of volume at " + pvol + " in " + y
            + np.where(fell, " (" + drop.to_numpy(object) + " in " + str(plan_year - 1)
                       + ")", "") + "."))
    return pd.Series(text, index=ids, name="sentence")
