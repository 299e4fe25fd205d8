"""Figures of chapter 01, choosing key customers.

Each function takes tables computed by :mod:`kamlib.selection` /
:mod:`kamlib.costing` (never the raw data), an optional ``ax`` and returns the Axes. One
idea per figure; greys, hatches, markers and labels rather than colour, so that the
figures read in black and white and on a projector.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Polygon

from kamlib import formatting as F
from kamlib import selection
from kamlib.plots import new_axes as _ax

DARK, MID, LIGHT = "0.25", "0.55", "0.85"
HATCHES = ["", "///", "...", "xxx", "\\\\\\", "ooo", "+++", "---", "|||", "**"]
QUADRANT_MARKERS = {
    "best": ("o", DARK), "invest": ("^", MID), "keep": ("s", LIGHT), "worst": ("x", "black"),
    "carriage trade": ("o", MID), "passive": ("s", LIGHT), "bargain basement": ("v", DARK),
    "aggressive": ("x", "black"),
}
ACTION_MARKERS = {
    "invest for growth": ("^", DARK), "invest selectively": ("D", MID),
    "maintain": ("o", LIGHT), "manage for cash": ("s", MID), "withdraw": ("x", "black"),
}




LABEL_STEP = 0.065
"""Vertical distance between two stacked point labels (fraction of the axes' height)."""


def _label_points(ax, x, y, labels, fontsize=8):
    """Name a few points: labels stacked in a column to the right of the points, in the
    points' vertical order (so the leader lines do not cross), kept inside the axes (a
    label never sits on the tick labels or the axis title). Call it once the axes'
    limits and scales are final: positions are computed in axes fractions."""
    xy = np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
    if not len(xy):
        return []
    frac = ax.transAxes.inverted().transform(ax.transData.transform(xy))
    order = np.argsort(-frac[:, 1], kind="stable")
    n = len(order)
    span = LABEL_STEP * (n - 1)
    top = float(np.clip(frac[:, 1].mean() + span / 2 + LABEL_STEP / 2,
                        0.05 + span, 0.95))
    column = float(min(frac[:, 0].max() + 0.08, 0.62))
    texts = []
    for k, i in enumerate(order):
        texts.append(ax.annotate(
            str(labels[i]), tuple(xy[i]), xytext=(column, top - k * LABEL_STEP),
            textcoords="axes fraction", fontsize=fontsize, ha="left", va="center",
            arrowprops={"arrowstyle": "-", "linewidth": 0.5, "shrinkA": 0, "shrinkB": 6}))
    return texts


# ------------------------------------------------------------------ concentration


def lorenz(values: pd.Series, ax=None, label: str = "revenue"):
    """The Lorenz curve of ``values`` (customers with a positive value) against the
    line of equality; the shaded area is half the Gini coefficient."""
    ax = _ax(ax, figsize=(5.0, 4.5))
    v = values[values > 0]
    c = selection.lorenz_curve(v)
    g = selection.gini(v)
    x, y = c["customer_share"] * 100, c["value_share"] * 100
    ax.plot([0, 100], [0, 100], color="black", linestyle="--", linewidth=1,
            label="perfect equality")
    ax.plot(x, y, color="black", linewidth=2, label=f"Lorenz curve of {label}")
    ax.fill_between(x, y, x, color=LIGHT, hatch="//", edgecolor=MID, linewidth=0)
    ax.text(55, 30, f"Gini = {g:.2f}", fontsize=11)
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel("Customers, smallest first (cumulative %)")
    ax.set_ylabel(f"Share of {label} (cumulative %)")
    ax.set_title(f"Lorenz curve of {label}")
    ax.legend(loc="upper left")
    return ax


def pareto(values: pd.Series, ax=None, top: float = 0.2, label: str = "revenue"):
    """The concentration (Pareto) curve: customers from the largest, cumulative share of
    ``values``; the dotted lines read off "the top ``top`` give y %"."""
    ax = _ax(ax)
    v = values[values > 0]
    c = selection.concentration_curve(v)
    share = selection.top_share(v, top)
    ax.plot(c["customer_share"] * 100, c["value_share"] * 100, color="black", linewidth=2)
    ax.plot([top * 100, top * 100, 0], [0, share * 100, share * 100], color="black",
            linestyle=":", linewidth=1.2)
    ax.annotate(f"top {top:.0%} of customers\ngive {share:.0%} of {label}",
                (top * 100, share * 100), xytext=(top * 100 + 8, share * 100 - 25),
                arrowprops={"arrowstyle": "->"}, fontsize=9)
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 102)
    ax.set_xlabel("Customers, largest first (cumulative %)")
    ax.set_ylabel(f"Share of {label} (cumulative %)")
    ax.set_title(f"Concentration of {label} ({len(v)} active customers)")
    return ax


# ------------------------------------------------------------------ pyramid


def pyramid(summary: pd.DataFrame, ax=None):
    """The customer pyramid drawn as a pyramid: one band per tier (top at the apex),
    labelled with the number of customers and their share of revenue and profit.
    ``summary``: :func:`kamlib.selection.pyramid_summary`."""
    ax = _ax(ax, figsize=(7.0, 4.5))
    tiers = list(selection.TIERS)
    k = len(tiers)
    shades = [DARK, MID, "0.7", LIGHT]
    for i, t in enumerate(tiers):
        y0, y1 = k - i - 1, k - i
        hw0, hw1 = (i + 1) / k, i / k  # half widths at the bottom and top of the band
        poly = Polygon([(-hw0, y0), (hw0, y0), (hw1, y1), (-hw1, y1)], closed=True,
                       facecolor=shades[i], edgecolor="black", hatch=HATCHES[i])
        ax.add_patch(poly)
        row = summary.loc[t]
        text = f"{t}: {int(row['customers'])} customers"
        parts = []
        if "revenue_share" in summary:
            parts.append(f"{row['revenue_share']:.0%} of revenue")
        if "profit_share" in summary:
            parts.append(f"{row['profit_share']:.0%} of profit")
        ax.text(1.08, y0 + 0.5, text + ("\n" + ", ".join(parts) if parts else ""),
                va="center", ha="left", fontsize=9)
    if "inactive" in summary.index:
        ax.text(1.08, -0.45, f"inactive: {int(summary.loc['inactive', 'customers'])} "
                "customers (no sales this year)", va="center", ha="left", fontsize=9,
                style="italic")
    ax.set_xlim(-1.05, 2.6)
    ax.set_ylim(-0.8, k + 0.1)
    ax.set_axis_off()
    ax.set_title("The customer pyramid")
    return ax


def tier_shares(summary: pd.DataFrame, ax=None):
    """Grouped bars per tier: share of customers, of revenue and of profit (%)."""
    ax = _ax(ax)
    tiers = list(selection.TIERS)
    cols = [("customer_share", "customers", LIGHT, ""), ("revenue_share", "revenue", MID, "//"),
            ("profit_share", "profit", DARK, "..")]
    cols = [c for c in cols if c[0] in summary.columns]
    w = 0.8 / len(cols)
    x = np.arange(len(tiers))
    for j, (col, lab, colour, hatch) in enumerate(cols):
        v = summary.loc[tiers, col].to_numpy(float) * 100
        ax.bar(x + (j - (len(cols) - 1) / 2) * w, v, width=w, color=colour, hatch=hatch,
               edgecolor="black", label=lab)
        for xi, vi in zip(x + (j - (len(cols) - 1) / 2) * w, v):
            ax.text(xi, max(vi, 0) + 1, f"{vi:.0f}", ha="center", fontsize=8)
    ax.set_xticks(x, tiers)
    ax.set_xlabel("Pyramid tier")
    ax.set_ylabel("Share of the total (%)")
    ax.set_title("Few customers, most of the money")
    ax.legend()
    ax.grid(axis="x", visible=False)
    return ax


def migration(matrix: pd.DataFrame, ax=None, years: tuple[int, int] | None = None):
    """The migration matrix as a grid of counts: rows = tier in the first year, columns
    = tier in the second; moves up are below the diagonal. Darker = more customers (log
    scale so that the small moves stay visible)."""
    ax = _ax(ax, figsize=(5.5, 4.5))
    m = matrix.to_numpy(float)
    ax.imshow(np.log1p(m), cmap="Greys", vmin=0, vmax=np.log1p(m.max()) * 1.6)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            style = "bold" if i != j and m[i, j] > 0 else "normal"
            ax.text(j, i, f"{int(m[i, j])}", ha="center", va="center", fontsize=10,
                    fontweight=style)
    labels = list(matrix.index)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yticks(range(len(labels)), labels)
    a, b = years if years else ("first year", "second year")
    ax.set_xlabel(f"Tier in {b}")
    ax.set_ylabel(f"Tier in {a}")
    ax.set_title("Moves between tiers (below the diagonal: up)")
    ax.grid(False)
    return ax


# ------------------------------------------------------------------ scorecard


def goal_weights(weights: pd.DataFrame, ax=None):
    """The weight presets as a table of greys: criteria (rows, by family) × goals
    (columns), each cell the weight in %. ``weights``: :func:`selection.goal_weights`."""
    ax = _ax(ax, figsize=(7.0, 5.0))
    w = weights.drop(columns="family")
    m = w.to_numpy(float) * 100
    ax.imshow(m, cmap="Greys", vmin=0, vmax=m.max() * 1.5, aspect="auto")
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if m[i, j] > 0:
                ax.text(j, i, f"{m[i, j]:.0f}", ha="center", va="center", fontsize=8)
    rows = [f"{selection.CRITERIA[c].label} ({weights.loc[c, 'family'][:5]}.)"
            for c in w.index]
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    ax.set_xticks(range(w.shape[1]), [c.replace(" a ", "\na ").replace("grow ", "grow\n")
                                      for c in w.columns], fontsize=8)
    ax.set_title("Weights of each goal (% of the score)")
    ax.grid(False)
    return ax


def score_breakdown(breakdown: pd.DataFrame, names: pd.Series | None = None, ax=None,
                    hatched: bool = True):
    """Stacked horizontal bars: each customer's score split into the points of each
    criterion (greys and hatches, in the legend's order). ``breakdown``:
    :func:`selection.score_breakdown` for a handful of customers (best on top).
    ``hatched=False``: greys only (lighter images, e.g. inside a widget)."""
    ax = _ax(ax, figsize=(7.5, 0.45 * len(breakdown) + 1.8))
    b = breakdown.iloc[::-1]
    crit = [c for c in b.columns if c != "score"]
    left = np.zeros(len(b))
    greys = np.linspace(0.25, 0.95, len(crit))
    for i, c in enumerate(crit):
        v = b[c].to_numpy(float)
        ax.barh(range(len(b)), v, left=left, color=str(greys[i]), edgecolor="black",
                hatch=HATCHES[i % len(HATCHES)] if hatched else "",
                label=selection.CRITERIA[c].label)
        left += v
    labels = [str(names.get(i, i)) if names is not None else str(i) for i in b.index]
    ax.set_yticks(range(len(b)), labels, fontsize=8)
    for y, tot in enumerate(b["score"].to_numpy(float)):
        ax.text(tot + 0.8, y, f"{tot:.0f}", va="center", fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("Score (points out of 100)")
    ax.set_title("Why each customer scores what it scores")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7)
    ax.grid(axis="y", visible=False)
    return ax


def fuzzy_memberships(fz=None, ax=None):
    """The membership functions of the grades on the normalised 0-1 scale."""
    fz = fz or selection.FuzzySettings()
    ax = _ax(ax, figsize=(6.0, 3.2))
    x = np.linspace(0, 1, 201)
    mu = selection.fuzzy_membership(x, fz.centres)
    styles = ["-", "--", "-.", ":"]
    for k, g in enumerate(fz.grades):
        ax.plot(x, mu[:, k], color="black", linestyle=styles[k % 4], linewidth=1.8, label=g)
    ax.set_xlabel("Criterion, normalised (0 = worst, 1 = best)")
    ax.set_ylabel("Membership (0-1)")
    ax.set_title("How a criterion value belongs to the grades")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    return ax


def fuzzy_vs_score(ka: pd.DataFrame, ax=None, grades=None):
    """Scorecard score (x) against fuzzy score (y) of active customers; marker = fuzzy
    grade; the key accounts are circled."""
    ax = _ax(ax, figsize=(6.0, 4.5))
    a = ka.loc[ka["is_active"]]
    grades = grades or selection.FuzzySettings().grades
    markers = ["x", "v", "s", "^", "o", "D"]
    shades = ["black", DARK, MID, LIGHT, "white", "white"]
    for i, g in enumerate(grades):
        sub = a.loc[a["fuzzy_grade"] == g]
        ax.scatter(sub["score"], sub["fuzzy_score"], marker=markers[i % 6],
                   c=shades[i % 6] if markers[i % 6] != "x" else "black",
                   edgecolors="black" if markers[i % 6] != "x" else None, s=28,
                   label=f"graded {g}", linewidths=0.8)
    k = a.loc[a["is_key"]]
    ax.scatter(k["score"], k["fuzzy_score"], s=110, facecolors="none", edgecolors="black",
               linewidths=1, label="key account")
    ax.set_xlabel("Scorecard score (0-100)")
    ax.set_ylabel("Fuzzy score (0-100)")
    ax.set_title("Two ways of scoring the same customers")
    ax.legend(loc="upper left", fontsize=8)
    return ax


# ------------------------------------------------------------------ profitability


def whale(profit: pd.Series, ax=None):
    """The whale curve: cumulative profit (% of total) with customers ranked from the
    most to the least profitable; the hump above 100 % is the profit the loss makers
    destroy."""
    ax = _ax(ax)
    w = selection.whale_curve(profit)
    summ = selection.whale_summary(profit)
    x = np.concatenate([[0], w["customer_share"].to_numpy() * 100])
    total = summ["total"]
    y = np.concatenate([[0], w["cumulative_profit"].to_numpy() / total * 100])
    ax.plot(x, y, color="black", linewidth=2)
    ax.axhline(100, color="black", linestyle="--", linewidth=1)
    ax.annotate(f"peak {summ['peak_share']:.0%} of total profit\nat "
                f"{summ['peak_customer_share']:.0%} of customers",
                (summ["peak_customer_share"] * 100, summ["peak_share"] * 100),
                xytext=(35, 55), arrowprops={"arrowstyle": "->"}, fontsize=9)
    ax.text(99, 80, f"{summ['loss_makers']} loss makers\nlose "
            f"{F.money(-summ['losses'])}", ha="right", va="top", fontsize=9)
    ax.set_xlim(0, 100)
    ax.set_ylim(0, max(110, summ["peak_share"] * 100 * 1.08))
    ax.set_xlabel("Customers, most profitable first (cumulative %)")
    ax.set_ylabel("Cumulative profit (% of total)")
    ax.set_title("The whale curve")
    return ax


def profit_waterfall(row: pd.Series, ax=None, title: str | None = None,
                     from_gross_margin: bool = False):
    """From list price to profit for one customer (EUR k): list revenue, - on-invoice
    discounts, - cost of goods, - rebates, - cost to serve = profit. ``row``: one row of
    :func:`selection.profitability`. ``from_gross_margin``: start at the gross margin
    (zooms in on what rebates and cost to serve take)."""
    ax = _ax(ax, figsize=(7.0, 3.8))
    if from_gross_margin:
        steps = [("gross margin", row["gross_margin"]), ("rebates", -row["rebate"]),
                 ("cost to serve", -row["cost_to_serve"])]
    else:
        steps = [("list revenue", row["list_revenue"]), ("discounts", -row["discount"]),
                 ("cost of goods", -row["cost_of_goods"]), ("rebates", -row["rebate"]),
                 ("cost to serve", -row["cost_to_serve"])]
    level = 0.0
    extent = [0.0, row["profit"]]
    for i, (lab, v) in enumerate(steps):
        start = level if i else 0.0
        end = start + v
        lo, hi = min(start, end), max(start, end)
        extent += [lo, hi]
        ax.bar(i, (hi - lo) / 1e3, bottom=lo / 1e3, color=LIGHT if v < 0 else MID,
               hatch="//" if v < 0 else "", edgecolor="black", width=0.6)
        ax.text(i, hi / 1e3, f"{v / 1e3:+,.0f}" if i else f"{v / 1e3:,.0f}",
                ha="center", va="bottom", fontsize=8)
        level = end
    p = row["profit"]
    ax.bar(len(steps), p / 1e3, color=DARK if p >= 0 else "white", edgecolor="black",
           hatch="" if p >= 0 else "xx", width=0.6)
    ax.text(len(steps), max(p, 0) / 1e3, f"{p / 1e3:,.0f}", ha="center", va="bottom",
            fontsize=9, fontweight="bold")
    ax.axhline(0, color="black", linewidth=0.8)
    # room above the highest bar for its label, below the title
    lo, hi = min(extent) / 1e3, max(extent) / 1e3
    room = 0.12 * ((hi - lo) or 1.0)
    ax.set_ylim(lo - (0.04 * (hi - lo) if lo < 0 else 0.0), hi + room)
    ax.set_xticks(range(len(steps) + 1), [s[0] for s in steps] + ["profit"], fontsize=8)
    ax.set_ylabel(F.money_label("k"))
    ax.set_title(title or f"From list price to profit: {row.get('customer_name', row.name)}")
    ax.grid(axis="x", visible=False)
    return ax


def _quadrant_scatter(ax, x, y, quad, order, names=None, highlight=()):
    for q in order:
        m = quad == q
        mk, c = QUADRANT_MARKERS[q]
        kw = {"c": "black"} if mk == "x" else {"c": c, "edgecolors": "black"}
        ax.scatter(x[m], y[m], marker=mk, s=26, linewidths=0.7, label=f"{q} ({int(m.sum())})",
                   **kw)
    if names is not None and len(highlight):
        h = [i for i in highlight if i in x.index]
        ax.scatter(x[h], y[h], s=120, facecolors="none", edgecolors="black", linewidths=1.2)
        return h
    return []


def shapiro(ka: pd.DataFrame, ax=None, highlight=()):
    """Shapiro et al.'s matrix: price realisation (y) × cost to serve / revenue (x),
    each relative to the median of the customer's peer group (its pyramid tier by
    default), so the cross at (1, 1) splits the four quadrants for every size of
    customer. Log x axis. ``highlight``: customer ids to circle and name."""
    ax = _ax(ax, figsize=(6.5, 4.8))
    a = ka.loc[ka["is_active"] & ka["shapiro_quadrant"].notna()]
    th = ka.attrs.get("thresholds", {})
    pt, ct = th.get("price_realisation"), th.get("cost_to_serve_ratio")
    pcut = a["pyramid_tier"].map(pt) if isinstance(pt, dict) else pd.Series(pt, index=a.index)
    ccut = a["pyramid_tier"].map(ct) if isinstance(ct, dict) else pd.Series(ct, index=a.index)
    x = (a["cost_to_serve_ratio"] / ccut).astype(float)
    y = (a["price_realisation"] / pcut).astype(float)
    h = _quadrant_scatter(ax, x, y, a["shapiro_quadrant"], selection.SHAPIRO_QUADRANTS,
                          a["customer_name"], highlight)
    ax.axvline(1, color="black", linewidth=1)
    ax.axhline(1, color="black", linewidth=1)
    ax.set_xscale("log")
    xl, yl = ax.get_xlim(), ax.get_ylim()
    for tx, ty, t, ha, va in [(xl[1], yl[1], "carriage trade", "right", "top"),
                              (xl[0], yl[1], "passive", "left", "top"),
                              (xl[0], yl[0], "bargain basement", "left", "bottom"),
                              (xl[1], yl[0], "aggressive", "right", "bottom")]:
        ax.text(tx, ty, t, ha=ha, va=va, fontsize=9, style="italic")
    ax.set_xlabel("Cost to serve / revenue, relative to peers (log; 1 = peer median)")
    ax.set_ylabel("Price realisation, relative to peers")
    ax.set_xlim(xl)
    ax.set_ylim(yl)
    _label_points(ax, x[h], y[h], [a.loc[i, "customer_name"] for i in h])
    ax.set_title("Net price × cost to serve (Shapiro et al.)")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    return ax


def now_future(ka: pd.DataFrame, ax=None, highlight=(), horizon_years: int = 3):
    """Profit now (x) × expected profit in the horizon (y), EUR k on symmetric-log axes
    (losses to the left/below); the bar splits high from low on both axes; the diagonal
    separates growing from shrinking profit."""
    ax = _ax(ax, figsize=(6.5, 4.8))
    a = ka.loc[ka["profitability_quadrant"].notna()]
    x = a["profit"] / 1e3
    y = a["future_profit"] / 1e3
    h = _quadrant_scatter(ax, x, y, a["profitability_quadrant"],
                          selection.PROFITABILITY_QUADRANTS, a["customer_name"], highlight)
    bar = ka.attrs.get("thresholds", {}).get("profit_now", 0.0) / 1e3
    ax.set_xscale("symlog", linthresh=10)
    ax.set_yscale("symlog", linthresh=10)
    lim = [min(x.min(), y.min()) * 1.3 if min(x.min(), y.min()) < 0 else -10,
           max(x.max(), y.max()) * 1.5]
    ax.plot(lim, lim, color="black", linestyle=":", linewidth=1)
    ax.axvline(bar, color="black", linewidth=1)
    ax.axhline(bar, color="black", linewidth=1)
    ax.set_xlim(lim)
    ax.set_ylim(lim)
    ax.set_xlabel(f"Profit now ({F.money_label('k')}, symmetric log)")
    ax.set_ylabel(f"Expected profit in {horizon_years} years ({F.money_label('k')})")
    ax.set_title("Profitable now × profitable in future")
    _label_points(ax, x[h], y[h], [a.loc[i, "customer_name"] for i in h])
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    return ax


def portfolio(ka: pd.DataFrame, ax=None, pf=None, highlight=(),
              highlight_label: str = "highlighted"):
    """The portfolio matrix: relationship strength (x) × customer attractiveness (y),
    0-100, with the 3 × 3 grid and its action in each cell; key accounts circled;
    ``highlight`` (customer ids) drawn as black stars, named ``highlight_label`` in the
    legend."""
    pf = pf or selection.PortfolioSettings()
    ax = _ax(ax, figsize=(6.5, 5.0))
    a = ka.loc[ka["is_active"]]
    for act_name in selection.PORTFOLIO_ACTIONS:
        m = a["portfolio_action"] == act_name
        mk, c = ACTION_MARKERS[act_name]
        kw = {"c": "black"} if mk == "x" else {"c": c, "edgecolors": "black"}
        ax.scatter(a.loc[m, "relationship"], a.loc[m, "attractiveness"], marker=mk, s=24,
                   linewidths=0.7, label=f"{act_name} ({int(m.sum())})", **kw)
    k = a.loc[a["is_key"]]
    ax.scatter(k["relationship"], k["attractiveness"], s=90, facecolors="none",
               edgecolors="black", linewidths=0.8, label="key account")
    if len(highlight):
        h = [i for i in highlight if i in a.index]
        ax.scatter(a.loc[h, "relationship"], a.loc[h, "attractiveness"], marker="*", s=160,
                   c="black", edgecolors="white", linewidths=0.6, label=highlight_label,
                   zorder=5)
    for c in (pf.low_cut, pf.high_cut):
        ax.axvline(c, color="black", linewidth=0.8)
        ax.axhline(c, color="black", linewidth=0.8)
    grid = pf.full_grid
    centres = {"low": pf.low_cut / 2, "medium": (pf.low_cut + pf.high_cut) / 2,
               "high": (pf.high_cut + 100) / 2}
    for key, action in grid.items():
        at, rel = key.split("-")
        ax.text(centres[rel], centres[at] + 12, action, ha="center", va="center",
                fontsize=7, color="0.35", style="italic")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel("Relationship strength (0-100)")
    ax.set_ylabel("Customer attractiveness (0-100)")
    ax.set_title("Portfolio matrix: where to invest")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    return ax


# ------------------------------------------------------------------ cost to serve


def cost_to_serve_by_pool(by_pool: pd.DataFrame, names: pd.Series | None = None, ax=None):
    """Stacked horizontal bars: cost to serve of a few customers by resource pool and
    freight (EUR k). ``by_pool``: :func:`kamlib.costing.cost_by_pool` rows."""
    ax = _ax(ax, figsize=(7.0, 0.5 * len(by_pool) + 1.8))
    b = by_pool.iloc[::-1]
    left = np.zeros(len(b))
    greys = np.linspace(0.3, 0.95, b.shape[1])
    for i, c in enumerate(b.columns):
        v = b[c].to_numpy(float) / 1e3
        ax.barh(range(len(b)), v, left=left, color=str(greys[i]), edgecolor="black",
                hatch=HATCHES[i % len(HATCHES)], label=c)
        left += v
    labels = [str(names.get(i, i)) if names is not None else str(i) for i in b.index]
    ax.set_yticks(range(len(b)), labels, fontsize=8)
    ax.set_xlabel(f"Cost to serve ({F.money_label('k')})")
    ax.set_title("What serving each customer costs, by team")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    ax.grid(axis="y", visible=False)
    return ax


def capacity(report: pd.DataFrame, ax=None):
    """Used and unused capacity of each resource pool (EUR k): the used part is charged
    to customers, the unused part is not spread (TDABC)."""
    ax = _ax(ax)
    r = report.drop(index="total", errors="ignore")
    used = r["used_cost"].to_numpy(float) / 1e3
    unused = r["unused_cost"].to_numpy(float) / 1e3
    y = np.arange(len(r))
    ax.barh(y, used, color=MID, edgecolor="black", label="used: charged to customers")
    ax.barh(y, np.maximum(unused, 0), left=used, color="white", edgecolor="black",
            hatch="//", label="unused: not spread")
    for yi, u, un, ut in zip(y, used, unused, r["utilisation"].to_numpy(float)):
        ax.text(u + max(un, 0) + 5, yi, f"{ut:.0%} used", va="center", fontsize=8)
    ax.set_yticks(y, list(r.index))
    ax.invert_yaxis()
    ax.set_xlabel(f"Cost of capacity ({F.money_label('k')} per year)")
    ax.set_title("Capacity supplied, used and unused")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="y", visible=False)
    xmax = (used + np.maximum(unused, 0)).max() if len(used) else 1
    ax.set_xlim(0, xmax * 1.25)
    return ax


# ------------------------------------------------------------------ lifetime value


def margin_multiples(discount_rate: float = 0.10, ax=None, marks=(0.8, 0.9)):
    """CLV as a multiple of the yearly margin against retention, for the two timing
    conventions (first margin in a year: r/(1+d-r); first margin now: (1+d)/(1+d-r)).
    ``marks``: retentions at which both curves are marked, each value labelled next to
    its own curve (the solid curve's below right of it, the dashed curve's above left)."""
    ax = _ax(ax, figsize=(6.0, 3.8))
    r = np.linspace(0.0, 0.95, 96)
    end = r / (1 + discount_rate - r)
    start = (1 + discount_rate) / (1 + discount_rate - r)
    ax.plot(r * 100, end, color="black", linewidth=2, label="first margin in one year")
    ax.plot(r * 100, start, color="black", linestyle="--", linewidth=2,
            label="first margin now")
    for m in marks:
        for timing, offset, ha, va, face in (("end", (6, -4), "left", "top", "black"),
                                             ("start", (-6, 4), "right", "bottom", "white")):
            v = selection.margin_multiple(m, discount_rate, timing)
            ax.plot([m * 100], [v], marker="o", color="black", markerfacecolor=face)
            ax.annotate(f"{v:.1f}×", (m * 100, v), xytext=offset,
                        textcoords="offset points", ha=ha, va=va, fontsize=9,
                        gid=f"margin-multiple-{timing}")
    ax.set_xlabel("Retention (% of customers who stay each year)")
    ax.set_ylabel("Lifetime value / yearly margin")
    ax.set_title(f"The margin multiple (discount rate {discount_rate:.0%})")
    ax.legend(loc="upper left")
    return ax


def key_account_counts(counts: pd.Series, ax=None, title: str = "Key accounts by goal"):
    """Horizontal bars of a few counts (e.g. key accounts per goal), labelled."""
    ax = _ax(ax, figsize=(6.0, 0.5 * len(counts) + 1.5))
    c = counts.iloc[::-1]
    ax.barh(range(len(c)), c.to_numpy(float), color=MID, edgecolor="black")
    for y, v in enumerate(c.to_numpy(float)):
        ax.text(v + 0.5, y, f"{v:.0f}", va="center", fontsize=9)
    ax.set_yticks(range(len(c)), [str(i) for i in c.index])
    ax.set_xlabel("Customers")
    ax.set_title(title)
    ax.grid(axis="y", visible=False)
    ax.set_xlim(0, c.max() * 1.2 if len(c) and c.max() > 0 else 1)
    return ax

