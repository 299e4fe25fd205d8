"""The review decision for every key account, and the new candidates.

Primer §5 and Levitt: relationships decay, so the key-account list is reviewed - for
each key customer, *why is it key?* With no good answer, downgrade it or drop it; and
look for the customers that have become key since. Selection follows the company's
goals (the golden-key case: modest partners chosen for execution and cooperation), so
the review asks about the reasons *the customer was chosen for*, under the same goal.

The reasons tested (each from :func:`kamlib.selection.key_accounts`):

- ``size``: class A (top share of customers by sales);
- ``growth``: class B (grew in each of the last years, with high cooperation);
- ``score``: goal-driven score at least ``selection.key_accounts.min_score``;
- ``profit``: not losing money after discounts, rebates and cost to serve.

*Selected for* = the reasons true when it was chosen (the key-account table given, or
last year's selection for an account that was key then, else this year's); *still
holds* = those still true in the review year. The decision rule, in this order:

1. **drop** - no orders in the review year; or the selection no longer makes it key
   and either no reason it was chosen for holds or it is decaying;
2. **downgrade** - the selection no longer makes it key, but some reason holds and its
   health does not show decay: a good customer, not a key one (standard package);
3. **keep** - still key, and decaying: keep it, with a recovery plan;
4. **develop** - still key, health at least ``review.develop_min_health``, and room
   to grow: class B, or a share of its use bought elsewhere of at least
   ``review.develop_min_headroom``, or under-served (service gap > 0);
5. **keep** - every other key account.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from kamlib.formatting import texts as _texts
from kamlib.review.config import COMPONENT_LABELS, COMPONENTS
from kamlib.review.health import (
    analysis_year,
    health,
    health_trend,
    review_date,
    review_inputs,
    review_settings,
    trend_dates,
)

DECISIONS = ("keep", "develop", "downgrade", "drop")
"""The review decisions."""

REASONS = ("size", "growth", "score", "profit")
REASON_WORDS = {"size": "size (class A)", "growth": "growth (class B)",
                "score": "the goal's score", "profit": "profit after cost to serve"}

RECOVERY = {
    "contacts": "executive visit to the decision makers within 30 days",
    "volume": "find out why volume falls (competitor offer, own demand?)",
    "share_of_wallet": "win back share of wallet with an offer for the volume bought "
                       "elsewhere",
    "complaints": "review the complaints with customer service and remove their cause",
    "resolution": "close the open complaints within the target time",
    "delivery": "fix on-time-in-full with supply chain (supply priority)",
    "service_gap": "raise the service to the recommended level",
    "margin": "check price, mix and rebates",
}
"""The recovery step for each component in the red."""


def _with_year(s, year: int):
    period = getattr(s, "period", None)
    if period is None:
        raise TypeError("pass the whole kamlib.settings.Settings (with .period)")
    return dataclasses.replace(s, period=dataclasses.replace(period, analysis_year=year))


def _selection(kd, s, year: int, customer_year=None, activity=None, *,
               words: bool = True) -> pd.DataFrame | None:
    """selection.key_accounts for ``year``, or None when the year has no orders
    (from the per-customer-year facts and the activity aggregates when given;
    ``words=False``: without the reasons' words, for last year's list)."""
    import inspect

    from kamlib import selection

    if year not in kd.years:
        return None
    kw = {}
    params = inspect.signature(selection.key_accounts).parameters
    if customer_year is not None:
        kw["customer_year"] = customer_year
    if activity is not None and "activity" in params:
        kw["activity"] = activity
    if not words and "words" in params:
        kw["words"] = False
    return selection.key_accounts(kd, _with_year(s, year), **kw)


def _ids_of(key_table) -> pd.Index:
    if isinstance(key_table, pd.DataFrame):
        t = key_table
        if t.index.name != "customer_id" and "customer_id" in t.columns:
            t = t.set_index("customer_id")
        elif t.index.name != "customer_id":
            raise ValueError(
                "key_table needs customer ids: index it by customer_id or give it a "
                f"customer_id column (it has the columns {list(t.columns)[:8]})")
        if "is_key" in t.columns:
            t = t.loc[t["is_key"].fillna(False).astype(bool)]
        ids = t.index
    else:
        ids = pd.Index(list(key_table))
    ids = pd.Index(ids.astype(str), dtype="string", name="customer_id")
    if ids.has_duplicates:
        raise ValueError("key_table lists customers more than once: "
                         f"{ids[ids.duplicated()].unique().tolist()[:5]}")
    return ids


def _reason_flags(t: pd.DataFrame, s) -> pd.DataFrame:
    """The four reasons as booleans from a selection table (missing columns: False)."""
    ka = s.selection.key_accounts
    loss_threshold = s.selection.profitability.loss_threshold
    cls = t["abc_class"].astype("string") if "abc_class" in t else pd.Series(
        pd.NA, index=t.index, dtype="string")
    score = pd.to_numeric(t["score"], errors="coerce") if "score" in t else pd.Series(
        np.nan, index=t.index)
    profit = pd.to_numeric(t["profit"], errors="coerce") if "profit" in t else pd.Series(
        np.nan, index=t.index)
    return pd.DataFrame({
        "size": cls.eq("A").fillna(False).to_numpy(bool),
        "growth": cls.eq("B").fillna(False).to_numpy(bool),
        "score": (score >= ka.min_score - 1e-9).to_numpy(bool),
        "profit": (profit >= loss_threshold).to_numpy(bool),
    }, index=t.index)


def _join_words(flags: np.ndarray, names=REASONS, none: str = "none") -> np.ndarray:
    """Row-wise 'a, b and c' of the names whose flag is set (vectorised)."""
    n = flags.shape[0]
    text = np.full(n, "", dtype=object)
    for j, name in enumerate(names):  # four reasons
        w = REASON_WORDS.get(name, name)
        text = np.where(flags[:, j], np.where(text == "", w, text + ", " + w), text)
    return np.where(text == "", none, text).astype(object)


def account_review(kd, settings, year: int | None = None, key_table=None, *,
                   now: pd.DataFrame | None = None, customer_year: pd.DataFrame | None = None,
                   activity=None) -> pd.DataFrame:
    """The periodic review of the key accounts: health, decision, action.

    ``kd``: :class:`kamlib.data.KamData`; ``settings``: the whole settings (uses
    ``review``, ``selection``, ``service``, ``period``); ``year``: the review year
    (default ``period.analysis_year``; the review date is its 31 December);
    ``key_table``: the key accounts to review - a table indexed by (or with a column)
    ``customer_id`` (rows with ``is_key`` false are left out; its ``abc_class``,
    ``score`` and ``profit`` are the reasons they were chosen for), or a list of ids.
    Default: this year's key-account list (``selection.key_accounts``). To review the
    list in force during the year, pass last year's selection.

    Index ``customer_id``, one row per reviewed account, sorted by decision (drop,
    downgrade, keep, develop) then health. Columns:

    - ``customer_name``, ``account_manager``, ``abc_class``, ``pyramid_tier``,
      ``score`` (0-100), ``revenue``, ``profit`` (EUR, review year; from the selection);
    - ``health`` (0-100; NaN when too little evidence), ``coverage`` (0-1),
      ``signals`` (components in the red), ``decaying`` (bool), ``decay_reasons``
      (the signals in words), ``health_trend`` (text: the health at the last quarter
      ends, oldest first), ``health_change`` (points, first to last quarter end);
    - per component c (:data:`kamlib.review.config.COMPONENTS`): ``c_value``,
      ``c_score`` (0-100), ``c_evidence`` (words), see :mod:`kamlib.review.health`;
      ``recommended_level``, ``observed_level``, ``share_of_wallet`` (0-1),
      ``headroom_share`` (share of the customer's use bought elsewhere, 0-1);
    - ``selected_for``, ``still_holds``, ``no_longer_holds`` (reasons in words),
      ``qualifies_now`` (bool: key by this year's selection), ``new_on_list`` (bool:
      not key in last year's selection);
    - ``decision`` (keep / develop / downgrade / drop), ``reasons`` (why, in words:
      why it is key, what still holds, the health), ``action`` (what follows, words);
    - ``profitability_quadrant``, ``fuzzy_grade`` (the selection's views) and
      ``selection_note`` (one sentence when they look better than the review, else "").

    ``attrs``: ``year``, ``as_of``, ``portfolio_complaint_rate``.

    Results already computed (``kamlib.analysis`` passes them): ``now``, this year's
    ``selection.key_accounts`` table (not selected again); ``customer_year``, the
    per-customer-year facts (last year's selection and the share of wallet come from
    them); ``activity``, :func:`kamlib.activity_facts.activity_facts`. The order-line
    sums of the health at the review date and the quarter ends come from one SQL pass
    (:func:`kamlib.activity_facts.review_windows`), so a large export is reviewed
    without its order lines in memory. Same result either way.
    """
    s = settings
    rv = review_settings(s)
    year = analysis_year(s, year, kd)
    if now is None:
        now = _selection(kd, s, year, customer_year, activity)
    if now is None:
        covered = f"{kd.years[0]}-{kd.years[-1]}" if kd.years else "no year"
        raise ValueError(f"account_review: no orders in {year}; the data cover {covered}. "
                         "Pass year= (or set period.analysis_year) to a year with orders.")
    before = _selection(kd, s, year - 1, customer_year, activity, words=False)
    if key_table is None:
        ids = pd.Index(now.index[now["is_key"].to_numpy(bool)].astype(str), dtype="string",
                       name="customer_id")
        given = None
    else:
        ids = _ids_of(key_table)
        given = key_table if isinstance(key_table, pd.DataFrame) else None
        if given is not None and given.index.name != "customer_id" \
                and "customer_id" in given.columns:
            given = given.set_index("customer_id")
        if given is not None:
            given = given.copy()
            given.index = given.index.astype("string")
    now = now.copy()
    now.index = now.index.astype("string")
    unknown = ids.difference(now.index)
    if len(unknown):
        raise ValueError(
            f"key_table names {len(unknown)} customer(s) that are not in the data: "
            f"{sorted(unknown.astype(str))[:5]}. Check the ids against customers.csv.")
    if before is not None:
        before = before.copy()
        before.index = before.index.astype("string")

    n_q = rv.trend_quarters
    windows, activity = review_inputs(
        kd, [review_date(year)] + (trend_dates(year, n_q) if n_q > 1 else []),
        activity=activity, volume=customer_year is None)
    agg = {"windows": windows, "activity": activity, "customer_year": customer_year}
    h = health(kd, s, year, list(ids), abc_class=now["abc_class"], **agg)
    out = pd.DataFrame(index=ids)
    sel_cols = ["customer_name", "account_manager", "abc_class", "pyramid_tier", "score",
                "revenue", "profit"]
    for c in sel_cols:
        out[c] = now[c].reindex(ids) if c in now.columns else pd.NA
    out = out.join(h.drop(columns=["reasons", "main_signal", "volume_kg_12m", "revenue_12m"]))
    out["decay_reasons"] = h["reasons"]

    # health trend over the last quarter ends
    if n_q > 1 and len(ids):
        tr = health_trend(kd, s, year, list(ids), abc_class=now["abc_class"],
                          at_review=h, **agg)
        wide = tr.pivot(index="customer_id", columns="as_of", values="health")
        wide = wide.reindex(ids)
        vals = wide.to_numpy(float)
        txt = np.full(len(ids), "", dtype=object)
        for j in range(vals.shape[1]):  # a handful of quarter ends
            piece = np.where(np.isnan(vals[:, j]), "n/a",
                             _texts("%.0f", np.nan_to_num(vals[:, j])).astype(object))
            txt = piece if j == 0 else txt + " → " + piece
        out["health_trend"] = pd.array(txt, dtype="string")
        out["health_change"] = vals[:, -1] - vals[:, 0]
    else:
        out["health_trend"] = pd.array(np.full(len(ids), ""), dtype="string")
        out["health_change"] = np.nan

    use = pd.to_numeric(now.get("share_of_wallet"), errors="coerce").reindex(ids)
    out["headroom_share"] = (1.0 - use).clip(lower=0).to_numpy(float)

    # reasons then and now
    flags_now = _reason_flags(now.reindex(ids), s).to_numpy(bool)
    was_key = (before["is_key"].reindex(ids).fillna(False).to_numpy(bool)
               if before is not None else np.zeros(len(ids), bool))
    if given is not None and {"abc_class", "score"} <= set(given.columns):
        flags_then = _reason_flags(given.reindex(ids), s).to_numpy(bool)
    else:
        f_before = (_reason_flags(before.reindex(ids), s).to_numpy(bool)
                    if before is not None else flags_now)
        flags_then = np.where(was_key[:, None], f_before, flags_now)
    holds = flags_then & flags_now
    lost = flags_then & ~flags_now
    out["selected_for"] = _join_words(flags_then, none="on the list (reason not recorded)")
    out["still_holds"] = _join_words(holds)
    out["no_longer_holds"] = _join_words(lost)
    qualifies = now["is_key"].reindex(ids).fillna(False).to_numpy(bool)
    active = now["is_active"].reindex(ids).fillna(False).to_numpy(bool)
    out["qualifies_now"] = qualifies
    out["new_on_list"] = ~was_key if before is not None else np.zeros(len(ids), bool)

    # decision
    decaying = out["decaying"].fillna(False).to_numpy(bool)
    hv = out["health"].to_numpy(float)
    any_holds = holds.any(axis=1)
    cls = out["abc_class"].astype("string").fillna("C").to_numpy(object)
    room = ((cls == "B") | (out["headroom_share"].fillna(0).to_numpy(float)
                            >= rv.develop_min_headroom)
            | (out["service_gap_value"].fillna(0).to_numpy(float) > 0))
    healthy = np.nan_to_num(hv, nan=-1) >= rv.develop_min_health
    decision = np.select(
        [~active, ~qualifies & (~any_holds | decaying), ~qualifies, decaying,
         healthy & room],
        ["drop", "drop", "downgrade", "keep", "develop"], "keep")
    out["decision"] = decision
    out["reasons"] = _decision_reasons(out, decision, active, qualifies, year)
    out["action"] = _actions(out, decision, rv.signal_below)

    # the selection's views, and one sentence when they look better than the review
    for c in ("profitability_quadrant", "fuzzy_grade"):
        out[c] = now[c].reindex(ids) if c in now.columns else pd.NA
    quad = out["profitability_quadrant"].astype("string").fillna("").to_numpy(object)
    fz = out["fuzzy_grade"].astype("string").fillna("").to_numpy(object)
    rosy = np.isin(quad, ["best", "invest"]) | np.isin(fz, ["excellent", "good"])
    views = np.where(quad != "", "'" + quad + "' (profit now × future)", "")
    views = np.where(fz != "", np.where(views != "", views + " and '" + fz + "'",
                                        "'" + fz + "'") + " (fuzzy grade)", views)
    first_red = h["main_signal"].reindex(ids).fillna("").to_numpy(object)
    out["selection_note"] = np.where(
        decaying & rosy,
        "Selection rates it " + views + f" from the size and profit of {year}; the "
        "review reads the direction over two years, and it points down (" + first_red
        + ").", "")
    order = {"drop": 0, "downgrade": 1, "keep": 2, "develop": 3}
    out["_o"] = out["decision"].map(order)
    out = out.sort_values(["_o", "health"], kind="stable").drop(columns="_o")
    out.index.name = "customer_id"
    out.attrs = {"year": year, "as_of": h.attrs.get("as_of"),
                 "portfolio_complaint_rate": h.attrs.get("portfolio_complaint_rate")}
    return out


def _decision_reasons(out, decision, active, qualifies, year) -> np.ndarray:
    hv = out["health"].to_numpy(float)
    htxt = np.where(np.isnan(hv), "health unknown (too little evidence)",
                    "health " + _texts("%.0f", np.nan_to_num(hv)).astype(object)
                    + "/100")
    dec = out["decaying"].fillna(False).to_numpy(bool)
    htxt = np.where(dec, htxt + ", decaying: " + out["decay_reasons"].to_numpy(object),
                    htxt + np.where(out["signals"].to_numpy() > 0,
                                    ", watch: " + out["decay_reasons"].to_numpy(object),
                                    ", no decay signal"))
    why = ("why key: chosen for " + out["selected_for"].to_numpy(object)
           + "; still holds: " + out["still_holds"].to_numpy(object))
    lost = out["no_longer_holds"].to_numpy(object)
    why = np.where(lost != "none", why + "; no longer: " + lost, why)
    status = np.where(~active, f"no orders in {year}",
                      np.where(qualifies, f"still key by the {year} selection",
                               f"no longer key by the {year} selection"))
    return (status + "; " + why + "; " + htxt).astype(object)


def _actions(out, decision, signal_below: float) -> np.ndarray:
    n = len(out)
    red = np.zeros((n, len(COMPONENTS)), bool)
    for j, c in enumerate(COMPONENTS):  # eight components
        sc = out[f"{c}_score"].to_numpy(float)
        red[:, j] = ~np.isnan(sc) & (sc < signal_below)
    plan = np.full(n, "", dtype=object)
    rec = out["recommended_level"].astype("string").fillna("").to_numpy(object)
    for j, c in enumerate(COMPONENTS):
        step = RECOVERY[c]
        if c == "service_gap":
            step = np.where(rec != "", "raise the service to '" + rec + "'", step)
        plan = np.where(red[:, j], np.where(plan == "", step, plan + "; " + step), plan)
    plan = np.where(plan == "", "meet the decision makers and agree a recovery plan", plan)
    head = out["headroom_share"].to_numpy(float)
    cls = out["abc_class"].astype("string").fillna("C").to_numpy(object)
    gap = out["service_gap_value"].fillna(0).to_numpy(float)
    dev = np.full(n, "", dtype=object)
    pieces = [
        (head >= 0.0001, "win share of wallet: it buys "
         + _texts("%.0f%%", 100 * np.nan_to_num(head)).astype(object)
         + " of its use elsewhere"),
        (gap > 0, "raise the service to '" + rec + "'"),
        (cls == "B", np.full(n, "invest in its growth with a joint plan", dtype=object)),
    ]
    for mask, text in pieces:
        dev = np.where(mask, np.where(dev == "", text, dev + "; " + text), dev)
    dec = out["decaying"].fillna(False).to_numpy(bool)
    action = np.select(
        [decision == "drop", decision == "downgrade", (decision == "keep") & dec,
         decision == "develop"],
        ["take it off the key-account list: serve it with the standard package and "
         "release the key account manager's time",
         "move it to the standard service package; review it again next year",
         "recovery plan: " + plan, "develop: " + dev],
        np.where(red.any(axis=1),
                 "keep the plan, and this quarter: " + plan
                 + "; check the health again next quarter",
                 "keep the plan; check the health again next quarter"))
    return action.astype(object)


def new_candidates(kd, settings, year: int | None = None, key_table=None) -> pd.DataFrame:
    """Customers not on the key-account list who now qualify, with their reasons.

    ``key_table``: the list in force (a table with ``customer_id`` and ``is_key``, or a
    list of ids); default: last year's selection (``selection.key_accounts`` for
    ``year - 1``; when that year has no orders, the list is empty and every key
    account of the year is a candidate). *Qualifies* = key by this year's selection.

    Index ``customer_id``. Columns ``customer_name``, ``account_manager``,
    ``abc_class``, ``pyramid_tier``, ``score`` (0-100), ``revenue``, ``profit`` (EUR),
    ``health`` (0-100), ``decaying`` (bool), ``qualifies_for`` (reasons in words),
    ``reasons`` (the selection's reasons, then the health), ``action``. Sorted by score,
    best first.
    """
    s = settings
    year = analysis_year(s, year, kd)
    now = _selection(kd, s, year)
    if now is None:
        raise ValueError(f"new_candidates: no orders in {year}; pass year= to a year "
                         "with orders.")
    now = now.copy()
    now.index = now.index.astype("string")
    if key_table is None:
        before = _selection(kd, s, year - 1)
        listed = (pd.Index([], dtype="string") if before is None else
                  pd.Index(before.index[before["is_key"].to_numpy(bool)].astype(str),
                           dtype="string"))
    else:
        listed = _ids_of(key_table)
    cand = now.loc[now["is_key"].to_numpy(bool) & ~now.index.isin(listed)]
    ids = pd.Index(cand.index, dtype="string", name="customer_id")
    cols = ["customer_name", "account_manager", "abc_class", "pyramid_tier", "score",
            "revenue", "profit"]
    out = cand[cols].copy()
    h = health(kd, s, year, list(ids), abc_class=now["abc_class"])
    out["health"] = h["health"].reindex(ids).to_numpy(float)
    out["decaying"] = h["decaying"].reindex(ids).fillna(False).to_numpy(bool)
    flags = _reason_flags(cand, s).to_numpy(bool)
    out["qualifies_for"] = _join_words(flags)
    hv = out["health"].to_numpy(float)
    htxt = np.where(np.isnan(hv), "health unknown (too little evidence)",
                    "health " + _texts("%.0f", np.nan_to_num(hv)).astype(object)
                    + "/100")
    out["reasons"] = (cand["reasons"].astype(str).to_numpy(object) + "; " + htxt
                      + np.where(out["decaying"].to_numpy(bool),
                                 ": " + h["reasons"].reindex(ids).astype(str)
                                 .to_numpy(object), ""))
    out["action"] = np.where(
        out["decaying"].to_numpy(bool),
        "qualifies on paper but its relationship decays: meet it before adding it",
        "add it to the key-account list: name a key account manager and write its plan")
    out.index.name = "customer_id"
    return out.sort_values("score", ascending=False, kind="stable")
