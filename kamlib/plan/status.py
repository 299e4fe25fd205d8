"""Status marks that tell the truth: each rule stated once (:data:`RULES`), computed
for all accounts at once, and tested.

Each function returns one row per account: index ``customer_id``, columns ``level``
(``ok`` / ``watch`` / ``alert`` / ``info``) and ``text`` (the evidence in words).
:func:`all_rules` stacks them into one long table with a ``rule`` column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamlib import formatting as fmt
from kamlib.plan.config import PlanSettings

LEVELS = ("basic", "reactive", "accountable", "proactive", "partnership")
"""The relationship levels, lowest first (Kotler)."""

RULES = {
    "decision makers": (
        "A decision maker with influence of at least {influence}/5 and a relationship "
        "below {strength}/5 is an alert; a weak relationship with a less influential "
        "decision maker, or a decision maker not met for {days} days or more, is to watch; "
        "no decision maker known is an alert. Only strong, recent relationships are ok."),
    "relationship level": (
        "The level we work at is compared with the level recommended for the account: "
        "two or more levels short is an alert, one level short is to watch, at or above "
        "it is ok."),
    "service budget": (
        "The service package's budget (planned visits and services) is compared with "
        "what the same activities cost last year - like with like; the whole cost to "
        "serve (orders, deliveries, complaints too) is shown apart. A budget above the "
        "share of gross margin allowed, or last year's spend more than 20% above the "
        "budget, is to watch."),
    "fuzzy grade": (
        "The grade shown is the grade of the score: the band of the grade values "
        "nearest to the score (bands split halfway between grade values), so a higher "
        "score never shows a lower grade."),
    "segment and price response": (
        "An account whose buying driver is not price but whose volume responds strongly "
        "to price (elasticity ≤ -1) is to watch: price changes need care. A price-driven "
        "account whose volume did not fall when its price rose is explained: the "
        "segment rests on its deals and negotiations."),
    "rebate section": (
        "Every account that is paid rebates, or is price-driven, has a rebate "
        "projection at its plan volume; one without is an alert."),
    "rebate history": (
        "Each year's rebate paid is compared with what the programme in force would have "
        "paid on that year's volume; a difference larger than {tol} of revenue is "
        "explained in the plan."),
    "rebate cliff": (
        "With a retroactive schedule, a threshold within {cliff} of the plan volume is "
        "warned: just above the plan, the customer may push to cross it (the higher rate "
        "then applies to all its volume); just below, a small shortfall loses the rate on "
        "the whole year."),
}


def rules_text(ps: PlanSettings) -> dict[str, str]:
    """:data:`RULES` with the settings' thresholds filled in."""
    return {k: v.format(influence=ps.decision_maker_influence,
                        strength=ps.decision_maker_min_strength, days=ps.contact_days,
                        tol=fmt.pct(ps.rebate_history_tolerance, 1),
                        cliff=fmt.pct(ps.cliff_share))
            for k, v in RULES.items()}


def _frame(ids, level, text) -> pd.DataFrame:
    return pd.DataFrame({"level": np.asarray(level, dtype=object),
                         "text": np.asarray(text, dtype=object)},
                        index=pd.Index(ids, name="customer_id"))


def decision_makers(contacts: pd.DataFrame, ids, as_of, ps: PlanSettings) -> pd.DataFrame:
    """The relationship with each account's decision makers (rule "decision makers").

    ``contacts``: the contacts table (``customer_id``, ``role``, ``is_decision_maker``,
    ``influence``, ``relationship_strength`` 1-5, ``last_contact_date``); ``as_of``: the
    date days are counted to. Extra columns: ``decision_makers`` (count),
    ``weak_influential`` (count of decision makers with influence ≥
    ``decision_maker_influence`` and strength < ``decision_maker_min_strength``),
    ``weakest`` (lowest strength), ``days_since`` (longest days without contact).
    """
    ids = pd.Index([str(i) for i in ids], name="customer_id")
    c = contacts.assign(customer_id=contacts["customer_id"].astype(str))
    dm = c.loc[c["is_decision_maker"].astype(bool) & c["customer_id"].isin(ids)].copy()
    dm["days"] = (pd.Timestamp(as_of) - dm["last_contact_date"]).dt.days
    strength = dm["relationship_strength"].astype(float)
    dm["weak"] = strength < ps.decision_maker_min_strength
    dm["weak_infl"] = dm["weak"] & (dm["influence"].astype(float)
                                    >= ps.decision_maker_influence)
    g = dm.groupby("customer_id")
    agg = pd.DataFrame({"decision_makers": g.size(), "weak_influential": g["weak_infl"].sum(),
                        "weak": g["weak"].sum(), "weakest": g["relationship_strength"].min(),
                        "days_since": g["days"].max()}).reindex(ids)
    n = agg["decision_makers"].fillna(0).to_numpy(int)
    wi = agg["weak_influential"].fillna(0).to_numpy(int)
    wk = agg["weak"].fillna(0).to_numpy(int)
    days = agg["days_since"].to_numpy(float)
    old = np.nan_to_num(days, nan=0) >= ps.contact_days
    # the role of the weakest influential decision maker, for the text
    dm = dm.sort_values(["weak_infl", "relationship_strength", "influence"],
                        ascending=[False, True, False], kind="stable")
    first = dm.drop_duplicates("customer_id").set_index("customer_id").reindex(ids)
    role = first["role"].fillna("").astype(str).to_numpy(object)
    infl = first["influence"].map(lambda x: f"{x:.0f}/5" if pd.notna(x) else "").to_numpy(object)
    strg = first["relationship_strength"].map(lambda x: f"{x:.0f}/5" if pd.notna(x)
                                              else "").to_numpy(object)
    day_txt = pd.Series(days).map(lambda x: f"{x:.0f}" if np.isfinite(x) else "n/a")
    level = np.select([n == 0, wi > 0, (wk > 0) | old], ["alert", "alert", "watch"], "ok")
    text = np.select(
        [n == 0, wi > 0, wk > 0, old],
        ["no decision maker known in the buying centre",
         "the " + role + " (influence " + infl + ") has a relationship of only " + strg,
         "the " + role + " has a relationship of only " + strg,
         "a decision maker was last met " + day_txt.to_numpy(object) + " days ago"],
        "every decision maker has a relationship of at least "
        f"{ps.decision_maker_min_strength}/5 and was met in the last {ps.contact_days} days")
    out = _frame(ids, level, text)
    return out.join(agg[["decision_makers", "weak_influential", "weakest", "days_since"]])


def relationship_level(relationship: pd.DataFrame, ids) -> pd.DataFrame:
    """The level we work at against the recommended one (rule "relationship level").

    ``relationship``: :func:`kamlib.service.relationship_levels` (``observed_level``,
    ``recommended_level``). Extra column ``gap`` (levels short; negative = above).
    """
    ids = pd.Index([str(i) for i in ids], name="customer_id")
    r = relationship.copy()
    r.index = r.index.astype(str)
    r = r.reindex(ids)
    rank = {lv: i for i, lv in enumerate(LEVELS)}
    rec = r["recommended_level"].map(rank).to_numpy(float)
    obs = r["observed_level"].map(rank).to_numpy(float)
    gap = rec - obs
    level = np.select([~np.isfinite(gap), gap >= 2, gap >= 1], ["info", "alert", "watch"],
                      "ok")
    rt = r["recommended_level"].fillna("?").astype(str).to_numpy(object)
    ot = r["observed_level"].fillna("?").astype(str).to_numpy(object)
    why = (r["action"] if "action" in r.columns else pd.Series("", index=ids)).fillna("")
    why = why.astype(str).to_numpy(object)
    unknown = np.where(np.char.startswith(why.astype(str), "level unknown"), why,
                       "relationship level unknown")
    text = np.where(np.isfinite(gap) & (gap > 0),
                    "we work at " + ot + "; " + rt + " is recommended",
                    np.where(np.isfinite(gap), "we work at " + ot + " (recommended: " + rt
                             + ")", unknown))
    out = _frame(ids, level, text)
    out["gap"] = gap
    return out


def service_budget(packages: pd.DataFrame, ids) -> pd.DataFrame:
    """The service package's budget against last year, like with like (rule "service
    budget").

    ``packages``: :func:`kamlib.service.service_packages` (``cost_to_serve_budget``,
    ``current_service_cost``, ``current_cost_to_serve``, ``within_budget``).
    """
    ids = pd.Index([str(i) for i in ids], name="customer_id")
    p = packages.copy()
    p.index = p.index.astype(str)
    p = p.reindex(ids)
    bud = p["cost_to_serve_budget"].to_numpy(float)
    cur = p["current_service_cost"].to_numpy(float)
    whole = p["current_cost_to_serve"].to_numpy(float)
    # unknown (no costs: margin; no interactions: last year's activities) is not a breach
    margin_known = p["within_budget"].notna().to_numpy(bool)
    within = p["within_budget"].fillna(True).astype(bool).to_numpy()
    cur_known = np.isfinite(cur)
    over = cur_known & (np.nan_to_num(cur, nan=0) > 1.2 * np.nan_to_num(bud, nan=0))
    level = np.select([~np.isfinite(bud), ~within, over, ~(margin_known & cur_known)],
                      ["info", "watch", "watch", "info"], "ok")
    b = pd.Series(bud).map(fmt.eur).to_numpy(object)
    c = pd.Series(cur).map(fmt.eur).to_numpy(object)
    w = pd.Series(whole).map(fmt.eur).to_numpy(object)
    text = ("package budget " + b + " a year"
            + np.where(cur_known, " against " + c + " spent on the same activities last "
                       "year", "; what the same activities cost last year is not in the "
                       "data (no interactions)")
            + np.where(~within, " - more than the gross margin allows", "")
            + np.where(margin_known, "", "; the gross margin it should stay within is not "
                       "in the data (no cost of goods)")
            + " (whole cost to serve last year, orders and deliveries included: " + w + ")")
    text = np.where(np.isfinite(bud), text, "no service package")
    return _frame(ids, level, text)


def unknown_status(status: dict, ids, available) -> None:
    """Turn the marks the data cannot give into ``info`` marks saying so, in place: no
    contacts -> the decision makers (an alert "no decision maker known" would blame an
    export, not the account). ``available``: ``KamData.available``."""
    from kamlib import unknowns

    if unknowns.is_unknown(available, "decision_makers") and "decision makers" in status:
        st = status["decision makers"].copy()
        st["level"] = "info"
        st["text"] = "buying centre " + unknowns.text("contacts")
        status["decision makers"] = st


def grade_of_score(score, grades, values) -> np.ndarray:
    """The grade whose value is nearest to each score (ties go to the higher grade).

    ``grades``/``values``: the fuzzy evaluation's grade names and grade values
    (``selection.fuzzy``), ascending. ``grade_of_score([71], ["poor", "fair", "good",
    "excellent"], [25, 50, 75, 100]) -> ["good"]``.
    """
    s = np.asarray(score, dtype=float)
    v = np.asarray(values, dtype=float)
    cuts = (v[:-1] + v[1:]) / 2
    idx = np.searchsorted(cuts, s, side="right")
    out = np.asarray(grades, dtype=object)[np.clip(idx, 0, len(v) - 1)]
    return np.where(np.isfinite(s), out, None)


def fuzzy_grade(key: pd.DataFrame, ids, fuzzy) -> pd.DataFrame:
    """The fuzzy evaluation's grade consistent with its score (rule "fuzzy grade").

    ``key``: the key-account table (``fuzzy_score`` 0-100, ``fuzzy_grade``);
    ``fuzzy``: ``s.selection.fuzzy`` (``grades``, ``values``). Extra column ``grade``.
    """
    ids = pd.Index([str(i) for i in ids], name="customer_id")
    k = key.copy()
    k.index = k.index.astype(str)
    score = pd.to_numeric(k["fuzzy_score"].reindex(ids), errors="coerce").to_numpy(float)
    grade = grade_of_score(score, list(fuzzy.grades), list(fuzzy.values))
    txt = pd.Series(score).map(lambda x: f"{x:.0f}/100" if np.isfinite(x) else "n/a")
    out = _frame(ids, np.where(np.isfinite(score), "info", "info"),
                 "score " + txt.to_numpy(object) + ": " + pd.Series(grade).fillna(
                     "n/a").astype(str).to_numpy(object))
    out["grade"] = grade
    return out


def segment_and_price(segments: pd.DataFrame, ids) -> pd.DataFrame:
    """The buying driver reconciled with the price response (rule "segment and price
    response"). ``segments``: :func:`kamlib.segmentation.segments` (``segment``,
    ``mixed_types``, ``price_elasticity``)."""
    ids = pd.Index([str(i) for i in ids], name="customer_id")
    g = segments.copy()
    g.index = g.index.astype(str)
    g = g.reindex(ids)
    seg = g["segment"].fillna("").astype(str)
    mixed = g.get("mixed_types", pd.Series("", index=ids)).fillna("").astype(str)
    drivers = np.where(seg == "mixed", mixed, seg)
    price = pd.Series(drivers).str.split("+").map(lambda p: "price" in p).to_numpy(bool)
    el = pd.to_numeric(g["price_elasticity"], errors="coerce").to_numpy(float)
    e = pd.Series(el).map(lambda x: f"{x:+.2f}" if np.isfinite(x) else "n/a").to_numpy(object)
    strong = ~price & np.isfinite(el) & (el <= -1)
    pos = price & np.isfinite(el) & (el >= 0)
    level = np.select([strong, pos], ["watch", "info"], "ok")
    dtext = np.asarray(drivers, dtype=object)
    unclear = dtext == "unclear"  # no driver stands out: not "buys mainly on unclear"
    buys = np.where(unclear, "its buying driver is unclear", "it buys mainly on " + dtext)
    text = np.select(
        [strong, pos, price],
        ["its volume responds strongly to price (elasticity " + e + ") although "
         + buys + ": change its price with care",
         "price-driven by its deals and negotiations; its volume did not fall when its "
         "price rose (elasticity " + e + ")",
         "price-driven, and its volume responds to price (elasticity " + e + ")"],
        np.where(unclear, "buying driver unclear", "buys mainly on " + dtext)
        + "; price response " + e)
    return _frame(ids, level, np.where(seg == "", "not segmented", text))


def rebate_section(paid_ids, price_ids, rebate_plan: pd.DataFrame, ids) -> pd.DataFrame:
    """Every account paid rebates or price-driven has a rebate projection (rule "rebate
    section")."""
    ids = pd.Index([str(i) for i in ids], name="customer_id")
    need = ids.isin([str(i) for i in paid_ids]) | ids.isin([str(i) for i in price_ids])
    has = ids.isin(rebate_plan.index.astype(str))
    level = np.select([need & ~has, need], ["alert", "ok"], "info")
    text = np.select([need & ~has, need], ["paid rebates, but no projection at the plan "
                                           "volume", "projected at the plan volume"],
                     "no rebate paid and not price-driven: no rebate projection")
    return _frame(ids, level, text)


def rebate_history_status(history: pd.DataFrame, ids) -> pd.DataFrame:
    """Rebates paid against the programme in force (rule "rebate history").
    ``history``: :func:`kamlib.plan.forecast.rebate_history`."""
    ids = pd.Index([str(i) for i in ids], name="customer_id")
    if history.empty:
        return _frame(ids, ["info"] * len(ids), ["no rebate paid in the history"] * len(ids))
    h = history.copy()
    h["txt"] = (h["year"].astype(str) + ": paid " + h["paid_rate"].map(
        lambda x: fmt.pct(x, 1)) + ", the " + h["schedule"].astype(str) + " would pay "
        + h["schedule_rate"].map(lambda x: fmt.pct(x, 1)))
    bad = h.loc[~h["matches"].astype(bool)]
    g_bad = bad.groupby("customer_id")["txt"].agg("; ".join)
    n = h.groupby("customer_id").size()
    paid = ids.isin(n.index)
    has_bad = ids.isin(g_bad.index)
    text = np.select([has_bad, paid],
                     ["differs from the programme in force - " + g_bad.reindex(ids).fillna(
                         "").to_numpy(object) + ". The terms agreed for those years were "
                      "different (a negotiated rate, or a schedule since changed).",
                      "every year paid as the programme in force would pay"],
                     "no rebate paid in the history")
    return _frame(ids, np.where(has_bad, "watch", "info"), text)


def rebate_cliff(rebate_plan: pd.DataFrame, ids) -> pd.DataFrame:
    """Retroactive thresholds near the plan volume (rule "rebate cliff").
    ``rebate_plan``: :func:`kamlib.plan.forecast.rebate_at_plan`."""
    ids = pd.Index([str(i) for i in ids], name="customer_id")
    r = rebate_plan.reindex(ids)
    above = r["cliff_above"].fillna(False).astype(bool).to_numpy()
    below = r["cliff_below"].fillna(False).astype(bool).to_numpy()
    kg = r["basis"].fillna("kg").astype(str).to_numpy() == "kg"

    def amount(x):
        return np.where(kg, pd.Series(x).map(fmt.kg).to_numpy(object),
                        pd.Series(x).map(fmt.eur).to_numpy(object))

    nxt = amount(r["to_next_tier"].to_numpy(float))
    over = amount(r["above_threshold"].to_numpy(float))
    nr = r["next_tier_rate"].map(lambda x: fmt.pct(x, 1)).to_numpy(object)
    rt = r["rate"].map(lambda x: fmt.pct(x, 1)).to_numpy(object)
    rb = r["rate_below"].map(lambda x: fmt.pct(x, 1)).to_numpy(object)
    val = r["value_of_next_tier"].map(fmt.eur).to_numpy(object)
    text = np.select(
        [above, below],
        [nxt + " above the plan the rate rises to " + nr + " on all the year's volume "
         "(worth " + val + " to the customer): expect it to push for it - decide first "
         "whether the extra volume pays for the higher rate",
         "the plan is only " + over + " above the threshold of its " + rt + " tier: a "
         "shortfall that size drops the whole year's rate to " + rb],
        np.where(r["schedule"].notna().to_numpy(), "no threshold near the plan volume",
                 "no rebate schedule"))
    return _frame(ids, np.where(above | below, "watch", "info"), text)


def all_rules(parts: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The rules' results in one long table: ``customer_id``, ``rule``, ``level``,
    ``text`` (``parts``: {rule name: result of its function})."""
    rows = [df[["level", "text"]].assign(rule=name).reset_index() for name, df in
            parts.items()]
    if not rows:
        return pd.DataFrame(columns=["customer_id", "rule", "level", "text"])
    return pd.concat(rows, ignore_index=True)[["customer_id", "rule", "level", "text"]]
