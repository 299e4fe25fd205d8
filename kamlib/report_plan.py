"""The plan parts of the account-plan report, rendered from :mod:`kamlib.plan`.

Rendering only: every figure comes from the account's :class:`kamlib.plan.AccountPlan`
(``a.plan``), so the HTML, the PDF and ``actions.csv`` / ``objectives.csv`` say the same.
Sections: :func:`summary` (the first page a director reads), :func:`plan_objectives`,
:func:`action_plan`, :func:`opportunities`, :func:`appendix` (methods and formulas).
"""

from __future__ import annotations

import math

import pandas as pd

from kamlib import formatting as fmt
from kamlib import report_html as H
from kamlib import unknowns as U
from kamlib.report_html import Html

STRATEGY_LEVEL = {"growth": "ok", "win-back": "watch", "hold": "info", "harvest": "info",
                  "recovery": "alert"}


def _num(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def value(metric: str, x) -> str:
    """One objective's value as read in the plan (by its metric)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    if metric == "volume":
        return fmt.kg(x)
    if metric in ("share_of_wallet", "on_time_in_full"):
        return fmt.pct(x)
    if metric == "net_price":
        return fmt.price(x)
    if metric == "revenue":
        return fmt.eur(x)
    if metric == "rebate_tier":
        v = _num(x)
        return "below the first tier" if v == 0 else f"tier {v:.0f}"
    if metric == "decision_makers":
        v = _num(x)
        return "n/a" if not math.isfinite(v) else f"{v:.0f}/5"
    v = _num(x)
    if math.isfinite(v):
        return f"{v:,.0f}"
    return str(x)


def _change(metric: str, cur, tgt) -> str:
    c, t = _num(cur), _num(tgt)
    if not (math.isfinite(c) and math.isfinite(t)):
        return "" if str(cur) == str(tgt) else "→"
    if metric in ("share_of_wallet", "on_time_in_full"):
        r = round(100 * (t - c))
        return "0 pts" if r == 0 else f"{r:+.0f} pts"
    if metric in ("volume", "net_price", "revenue") and c:
        r = round(100 * (t - c) / abs(c))
        return "0%" if r == 0 else f"{r:+.0f}%"
    d = t - c
    return "0" if d == 0 else f"{d:+.0f}"


def _owner(row) -> str:
    name = str(row.get("owner") or "")
    role = str(row.get("owner_role") or "")
    return f"{name} ({role})" if name else role


def _due(x) -> str:
    return pd.Timestamp(x).strftime("%d %b").lstrip("0")


def first_reason(text) -> str:
    """The first of the review's reasons (``"a; b; c"``), with how many more."""
    parts = [p.strip() for p in str(text or "").split(";") if p.strip()]
    if not parts:
        return ""
    more = f" (and {len(parts) - 1} more signs)" if len(parts) > 1 else ""
    return parts[0] + more


SUMMARY_UNKNOWNS = {"gross_margin": "gross margin and profit",
                    "on_time_in_full_rate": "on time in full",
                    "complaints": "complaints and the relationship level",
                    "decision_makers": "the buying centre",
                    "share_of_wallet": "share of wallet"}
"""The figures the first page says are unknown when the data lacks them."""


def _missing(a) -> Html:
    return H.tag("p", "No plan for this account: plans are made for the key accounts.",
                 class_="unavailable")


def _situation(a, signals) -> list:
    from kamlib import report_sections as rs

    y, y0 = a.year, a.year - 1
    k = a.rows.get("key") or {}
    f = a.plan.forecast
    items = [f"Revenue {fmt.eur(rs._y(a, 'revenue'))} in {y} "
             f"({rs.change(rs._y(a, 'revenue'), rs._y(a, 'revenue', y0))} on {y0}), volume "
             f"{fmt.kg(f['volume_kg'])} ({rs.change(f['volume_kg'], f['volume_1y'])})."]
    if rs._ok(k.get("profit")):
        items.append(f"Profit after rebates and cost to serve: {fmt.eur(k['profit'])} "
                     f"({fmt.pct(k.get('profit_margin'))} of revenue).")
    comp = a.plan.competitor
    if math.isfinite(_num(f.get("share_of_wallet"))):
        items.append(f"We supply {fmt.pct(f['share_of_wallet'])} of its use"
                     + (f"; main competitor {comp['competitor']}" if comp.get("competitor")
                        else "") + f" ({fmt.kg(comp.get('others_kg'))} a year elsewhere).")
    gaps = U.note(a.available, SUMMARY_UNKNOWNS)
    if gaps:  # what the plan could not weigh, said on its first page
        items.append(gaps)
    rv = a.plan.review
    if rv:
        h = _num(rv.get("health"))
        items.append("Review: " + (f"health {h:.0f}/100, " if math.isfinite(h) else "")
                     + f"decision {rv.get('decision')}"
                     + (" - decaying: " + first_reason(rv.get("decay_reasons"))
                        if rv.get("decaying") else "") + ".")
    return items


def summary(a, signals=None) -> Html:
    """The first page: situation, the strategy sentence, three objectives, the top five
    actions with owners and dates, and the risks."""
    from kamlib import report_sections as rs

    if a.plan is None:
        return H.section("Plan on a page", _missing(a), anchor="summary")
    ap = a.plan
    y1 = ap.plan_year
    blocks = [H.tag("p", Html(H.badge(ap.strategy, STRATEGY_LEVEL.get(ap.strategy, "info"))
                              + " " + H.esc(ap.sentence)), class_="strategy")]
    blocks.append(H.tag("h3", "Situation"))
    blocks.append(H.bullets(_situation(a, signals)))
    o = ap.objectives.loc[ap.objectives["headline"] > 0].sort_values("headline")
    blocks.append(H.tag("h3", f"Three objectives for {y1}"))
    blocks.append(H.table(["Objective", "Now", f"Target {y1}", "Change"],
                          [[r["label"], value(r["metric"], r["current"]),
                            value(r["metric"], r["target"]),
                            _change(r["metric"], r["current"], r["target"])]
                           for _, r in o.iterrows()],
                          numeric=[False, True, True, True]))
    acts = ap.actions.head(5)
    blocks.append(H.tag("h3", "Top five actions"))
    blocks.append(H.table(["#", "Action", "Owner", "Due"],
                          [[i + 1, r["action"], _owner(r), _due(r["due"])]
                           for i, (_, r) in enumerate(acts.iterrows())],
                          numeric=[True, False, False, True]))
    sig = [x for x in (signals if signals is not None else rs.signals(a))
           if x["level"] in ("alert", "watch")]
    sig.sort(key=lambda x: 0 if x["level"] == "alert" else 1)
    blocks.append(H.tag("h3", "Risks"))
    if sig:
        blocks.append(H.bullets([Html(f"{H.badge(x['level'], x['level'])} "
                                      f"<strong>{H.esc(x['signal'])}</strong>: "
                                      f"{H.esc(x['evidence'])}") for x in sig[:4]]
                                + ([f"and {len(sig) - 4} more in the risks section"]
                                   if len(sig) > 4 else [])))
    else:
        n_unknown = sum(x["level"] == "info" and U.WORD in x["evidence"]
                        for x in (signals if signals is not None else rs.signals(a)))
        blocks.append(H.tag("p", "No alert and nothing to watch" + (
            f" in what the data shows; {n_unknown} signal(s) not in the data (see the "
            "risks section)." if n_unknown else ".")))
    return Html(f'<div class="first-page">{H.section("Plan on a page", *blocks, anchor="summary")}'
                "</div>")


def plan_objectives(a) -> Html:
    """Every objective of the plan year, quantitative and qualitative: now, target,
    change and why."""
    if a.plan is None:
        return H.section("Objectives", _missing(a), anchor="objectives")
    ap = a.plan
    y1 = ap.plan_year
    blocks = []
    for kind, title in (("quantitative", "Figures"), ("qualitative", "Service and "
                                                                      "relationship")):
        o = ap.objectives.loc[ap.objectives["kind"] == kind]
        if o.empty:
            continue
        blocks.append(H.table(["Objective", "Now", f"Target {y1}", "Change", "Why"],
                              [[r["label"], value(r["metric"], r["current"]),
                                value(r["metric"], r["target"]),
                                _change(r["metric"], r["current"], r["target"]), r["why"]]
                               for _, r in o.iterrows()],
                              numeric=[False, True, True, True, False], caption=title))
    f = ap.forecast
    sup = ap.supply
    lines = [("Plan volume", f"{fmt.kg(f['plan_volume_kg'])}: the figure behind the "
                             "volume target, the rebate tier, the peak-season stock and "
                             "the visits' agenda")]
    if math.isfinite(_num(sup.get("plan_reserve_kg"))):
        lines.append(("Peak-season stock", f"{fmt.kg(sup['plan_reserve_kg'])} reserved, "
                                           f"agreed by {_due(sup['agree_by'])}"
                      if pd.notna(sup.get("agree_by")) else fmt.kg(sup["plan_reserve_kg"])))
    blocks.append(H.facts(lines))
    return H.section("Objectives", *blocks, anchor="objectives",
                     lead=f"Targets for {y1}, following the strategy ({ap.strategy}); "
                          "reviewed at least quarterly.")


def action_plan(a) -> Html:
    """The action plan: action, owner, due date, resources, measure, objective."""
    from kamlib.plan.objectives import LABELS

    if a.plan is None:
        return H.section("Action plan", _missing(a), anchor="actions")
    ap = a.plan
    rows = [[i + 1, r["action"], _owner(r), _due(r["due"]), r["resources"], r["measure"],
             LABELS.get(r["objective"], r["objective"])]
            for i, (_, r) in enumerate(ap.actions.iterrows())]
    note = ("Executive sponsor: " + (ap.owners.get("executive sponsor") or "to be named")
            if ap.sponsored else "No executive sponsor: the account does not meet the "
                                 "sponsorship rule (see the appendix).")
    return H.section("Action plan", H.table(
        ["#", "Action", "Owner", "Due", "Resources", "Measure of success", "Objective"],
        rows, numeric=[True, False, False, True, False, False, False], note=note,
        class_="actions-table"), anchor="actions",
        lead=f"{len(rows)} actions for {ap.plan_year}, most urgent first; update the plan "
             "after each visit.")


def opportunities(a) -> Html:
    """Product whitespace, product mix, the main competitor, the SWOT and the
    customer's goals."""
    if a.plan is None:
        return H.section("Opportunities and competition", _missing(a), anchor="opportunities")
    ap = a.plan
    blocks = [H.tag("h3", "Products comparable customers buy")]
    w = ap.whitespace
    if len(w):
        blocks.append(H.table(
            ["Product", "Comparable customers buying it", "Value at stake a year"],
            [[r["product_name"], f"{fmt.pct(r['buying_share'])} of {r['comparable']}",
              fmt.eur(r["value_at_stake"])] for _, r in w.iterrows()],
            numeric=[False, True, True],
            note=f"Comparable: active customers of the same industry and size "
                 f"({w['group'].iloc[0]}); figures are medians, no single customer's."))
    else:
        blocks.append(H.tag("p", "No product that most comparable customers buy is missing "
                                 "from its orders.", class_="unavailable"))
    m = ap.product_mix
    if len(m):
        blocks.append(H.tag("h3", "What it buys from us"))
        blocks.append(H.table(
            ["Product", "Revenue", "Volume", "Share of its spend with us",
             "Comparable customers buying it"],
            [[r["product_name"], fmt.eur(r["revenue"]), fmt.kg(r["volume_kg"]),
              fmt.pct(r["share_of_spend"]), fmt.pct(r["buying_share"])]
             for _, r in m.iterrows()], numeric=[False, True, True, True, True],
            note="Share of wallet by product needs the customer's use by product; the "
                 "data holds its total use only."))
    c = ap.competitor
    blocks.append(H.tag("h3", "Competition"))
    if c.get("competitor"):
        since = _num(c.get("since"))
        txt = (f"Main competitor: {c['competitor']}"
               + (f" (named since {since:.0f})" if math.isfinite(since) else "") + ". ")
    else:
        txt = "No main competitor recorded. "
    if math.isfinite(_num(c.get("others_share"))):
        txt += (f"Other suppliers hold {fmt.pct(c['others_share'])} of its use "
                f"({fmt.kg(c['others_kg'])} a year)"
                + (f", {fmt.pct(c['others_share_2y'])} two years ago."
                   if math.isfinite(_num(c.get("others_share_2y"))) else "."))
    blocks.append(H.tag("p", txt))
    sw = ap.swot
    cells = []
    for quad, title in (("strength", "Strengths"), ("weakness", "Weaknesses"),
                        ("opportunity", "Opportunities"), ("threat", "Threats")):
        items = sw.loc[sw["quadrant"] == quad, "text"].tolist() or ["none from the data"]
        cells.append(f'<div class="swot-cell"><h4>{title}</h4>{H.bullets(items)}</div>')
    blocks.append(H.tag("h3", "SWOT"))
    blocks.append(Html(f'<div class="swot">{"".join(cells)}</div>'))
    blocks.append(H.tag("h3", "The customer's goals"))
    blocks.append(H.tag("p", ap.goals) if ap.goals else H.tag(
        "p", "Not recorded: ask at the first visit what the customer aims for this year "
             "(output, new products, costs) and record it in the settings "
             "(plan.customer_goals).", class_="unavailable"))
    return H.section("Opportunities and competition", *blocks, anchor="opportunities")


METHODS = [
    ("Strategy", "The first rule that applies: harvest (review decision drop or downgrade; "
                 "portfolio action manage for cash or withdraw); recovery (loss after "
                 "rebates and cost to serve, or a disintegrating relationship); win-back "
                 "(share of wallet down by the set points over two years, volume down in "
                 "each of the last two years, or decaying in the review) with volume left "
                 "to win; growth (invest for growth, class B, or review decision develop) "
                 "with volume left to win; otherwise hold."),
    ("One forecast", "Trend: last year's volume × (1 + g), g = class growth + weight × "
                     "(own two-year growth − class growth), bounded. Plan volume: growth "
                     "max(trend, V × (1 + minimum growth)); win-back max(trend, V, use × "
                     "(share + points)); hold and recovery max(trend, V); harvest the "
                     "trend; increases capped at the maximum share of the customer's use. "
                     "The rebate tier, the peak stock (plan volume × the peak months' "
                     "share of the year, plus safety stock) and the visits' agenda use "
                     "this one figure."),
    ("Rebates", "Retroactive: the rate of the tier reached applies to all the year's "
                "volume; marginal: each rate to its band; growth: paid on the volume above "
                "the baseline. The plan's rebate is the schedule's at the plan volume."),
    ("Whitespace", "Products bought by at least the set share of active customers of the "
                   "same industry and size band, not by this account; value at stake = "
                   "median share of the product in its buyers' spend × this account's "
                   "revenue. Groups smaller than the minimum are not used."),
    ("Executive sponsorship", "An executive sponsor for accounts of the sponsored classes "
                              "and tiers, and for every account whose service package "
                              "promises executive visits."),
    ("Classification", "Class A: top 20% of customers by sales; B: sales up at least 10% "
                       "in each of the last two years with high cooperation; C: others. "
                       "Tiers: the customer pyramid (Curry). Price × cost to serve: "
                       "Shapiro, Rangan, Moriarty & Ross (1987). Relationship levels: "
                       "Kotler. Decay of relationships: Levitt. Fuzzy comprehensive "
                       "evaluation: membership of grades weighted by the criteria."),
    ("Customer benefit", "V = U + B + R − C − T: utility, brand, relationship, minus the "
                         "customer's cost and time; the levers name the terms they move."),
]
"""The methods the appendix states (the body of the plan uses plain words only)."""


def appendix(a) -> Html:
    """Methods, formulas and the status rules, stated once."""
    from kamlib.plan.config import plan_settings
    from kamlib.plan.status import rules_text

    rules = a.plan.rules if a.plan is not None else rules_text(plan_settings(a.settings))
    blocks = [H.facts(METHODS), H.tag("h3", "Status rules"),
              H.facts([(k.capitalize(), v) for k, v in rules.items()])]
    return Html(f'<div class="appendix">{H.section("Appendix: methods and rules", *blocks, anchor="appendix")}</div>')
