"""Figures of the service chapter: relationship levels, visit calendar and load,
the complaint workflow, complaint rates, supply before the peak, cost to serve.

Each function takes ``ax=None`` (a new figure of the default size when ``None``) and
returns the Axes. Readable in black and white: greys, hatches and markers carry the
meaning, not colour alone.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

from kamlib import formatting as F
from kamlib import service
from kamlib.plots import new_axes as _ax
from kamlib.plots import MONTHS as _MONTHS





def _grey(level_index: int) -> str:
    """Light (basic) to dark (partnership)."""
    return str(0.95 - 0.17 * level_index)


def relationship_grid(levels: pd.DataFrame, ax=None, growth_classes=()):
    """Kotler's grid: number of customers × margin → the grid's level, with the count
    of key accounts in each cell. ``levels``: :func:`kamlib.service.relationship_levels`.
    ``growth_classes`` (``s.service.relationship.growth_classes``): the ABC classes that
    are recommended one level more than their cell; each cell says how many of its
    accounts that moves up ("+1"), so the figure agrees with ``recommended_level``.
    """
    ax = _ax(ax)
    margins = ["low", "medium", "high"]
    bands = ["many", "medium", "few"]
    counts = levels.groupby(["customers_band", "margin_band"]).size()
    growing = levels.loc[levels["abc_class"].astype(str).isin(list(growth_classes))] \
        if growth_classes and "abc_class" in levels.columns else levels.iloc[:0]
    up = growing.groupby(["customers_band", "margin_band"]).size()
    classes = "/".join(growth_classes)
    for y, band in enumerate(bands):
        for x, mb in enumerate(margins):
            lvl = x + y
            ax.add_patch(Rectangle((x, y), 1, 1, facecolor=_grey(lvl), edgecolor="black"))
            n = int(counts.get((band, mb), 0))
            colour = "white" if lvl >= 3 else "black"
            ax.text(x + 0.5, y + 0.6, service.LEVELS[lvl], ha="center", va="center",
                    fontsize=10, fontweight="bold", color=colour)
            ax.text(x + 0.5, y + 0.32, f"{n} account{'s' if n != 1 else ''}",
                    ha="center", va="center", fontsize=9, color=colour)
            k = int(up.get((band, mb), 0))
            if k:
                ax.text(x + 0.5, y + 0.12, f"{k} class {classes}: +1", ha="center",
                        va="center", fontsize=8, color=colour, style="italic")
    ax.set_xlim(0, 3)
    ax.set_ylim(0, 3)
    ax.set_xticks([0.5, 1.5, 2.5], [f"{m}\nmargin" for m in margins])
    ax.set_yticks([0.5, 1.5, 2.5], [f"{b} customers\nlike it" for b in bands])
    ax.set_xlabel("Margin of the account (gross margin / revenue)")
    ax.set_ylabel("How many customers are as large")
    ax.set_title("Relationship level by Kotler's grid" + (
        f" (class {classes}: one level more)" if classes else ""))
    ax.grid(False)
    ax.set_aspect("equal")
    return ax


def relationship_gap(levels: pd.DataFrame, ax=None):
    """Recommended (rows) × observed (columns) level: counts of key accounts. On the
    diagonal the level fits; above it the account gets less than it should."""
    ax = _ax(ax, (6.0, 4.5))
    lv = list(service.LEVELS)
    t = pd.crosstab(pd.Categorical(levels["recommended_level"], lv),
                    pd.Categorical(levels["observed_level"], lv), dropna=False)
    t = t.reindex(index=lv, columns=lv, fill_value=0)
    m = t.to_numpy()
    for i in range(5):
        for j in range(5):
            diag = i == j
            ax.add_patch(Rectangle((j, 4 - i), 1, 1,
                                   facecolor="0.8" if diag else "white",
                                   hatch="" if diag or j > i else "//",
                                   edgecolor="0.5", linewidth=0.5))
            if m[i, j]:
                ax.text(j + 0.5, 4 - i + 0.5, str(m[i, j]), ha="center", va="center",
                        fontsize=11, fontweight="bold" if diag else "normal")
    ax.set_xlim(0, 5)
    ax.set_ylim(0, 5)
    ax.set_xticks(np.arange(5) + 0.5, lv, rotation=20)
    ax.set_yticks(np.arange(5) + 0.5, lv[::-1])
    ax.set_xlabel("Observed level (interactions of the year)")
    ax.set_ylabel("Recommended level")
    ax.set_title("Gap: hatched = less service than the account deserves")
    ax.grid(False)
    ax.set_aspect("equal")
    return ax


def visit_calendar(plan, account_manager: str, ax=None, top: int = 40):
    """One account manager's year: one row per account, a marker per visit (circle) or
    executive visit (star); blocked weeks hatched. At most ``top`` accounts (those with
    the most visits; the title says how many more), so a large portfolio stays a
    readable figure of bounded size."""
    v = plan.for_manager(account_manager)
    if v.empty:
        raise ValueError(f"no visit planned for '{account_manager}'")
    order = (v.groupby("customer_id")["date"].count().sort_values(ascending=False,
                                                                    kind="stable"))
    n_accounts = len(order)
    if top is not None and n_accounts > top:
        order = order.iloc[:top]
        v = v.loc[v["customer_id"].isin(order.index)]
    rows = {c: i for i, c in enumerate(order.index)}
    height = max(3.0, 0.22 * len(rows) + 1.2)
    ax = _ax(ax, (7.5, height))
    year = plan.year
    for _, w in plan.weeks.loc[plan.weeks["is_blocked"]].iterrows():
        ax.axvspan(w["monday"], w["monday"] + pd.Timedelta(days=7), facecolor="none",
                   hatch="///", edgecolor="0.7", linewidth=0)
    for vtype, marker, size in (("visit", "o", 22), ("executive visit", "*", 110)):
        x = v.loc[v["visit_type"] == vtype]
        if len(x):
            ax.scatter(x["date"], x["customer_id"].map(rows), marker=marker, s=size,
                       color="black", label=vtype, zorder=3)
    labels = [f"{c} {str(n)[:22]}" for c, n in zip(
        order.index, v.drop_duplicates("customer_id").set_index("customer_id")
        .reindex(order.index)["customer_name"], strict=True)]
    ax.set_yticks(range(len(rows)), labels, fontsize=7)
    ax.invert_yaxis()
    ticks = pd.date_range(f"{year}-01-01", periods=12, freq="MS")
    ax.set_xticks(ticks, _MONTHS, fontsize=8)
    ax.set_xlim(pd.Timestamp(f"{year}-01-01"), pd.Timestamp(f"{year}-12-31"))
    ax.set_xlabel(f"{year} (hatched: blocked weeks)")
    more = (f" ({len(order)} accounts with the most visits; {n_accounts - len(order):,} "
            "more)" if n_accounts > len(order) else "")
    ax.set_title(f"Visit plan {year}: {account_manager}{more}", loc="left")
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, fontsize=8)
    return ax


def visit_load(plan, ax=None):
    """Visits per account manager and week (darker = more), against the capacity."""
    ax = _ax(ax, (7.5, 0.35 * max(len(plan.capacity), 3) + 1.5))
    load = plan.load()
    if load.shape[0] == 0 or load.shape[1] == 0:  # nothing planned: say so, no empty image
        ax.text(0.5, 0.5, "no visits planned", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    cap = max(plan.capacity.values()) if plan.capacity else 1
    im = ax.imshow(load.to_numpy(), aspect="auto", cmap="Greys", vmin=0, vmax=cap,
                   interpolation="nearest")
    ax.set_yticks(range(len(load)), load.index, fontsize=8)
    weeks = load.columns.to_numpy()
    step = 4
    ax.set_xticks(range(0, len(weeks), step), weeks[::step], fontsize=8)
    ax.set_xlabel("ISO week")
    ax.set_title("Visits per week (white = none; black = at capacity)")
    cb = ax.figure.colorbar(im, ax=ax, fraction=0.03, pad=0.02)
    cb.set_label("visits in the week")
    ax.grid(False)
    return ax


def complaint_workflow(ax=None):
    """The complaint workflow of the primer as swimlanes: one lane per role, one box
    per step, arrows in order. Dashed boxes: escalated cases only."""
    steps = service.COMPLAINT_WORKFLOW
    roles = []
    for _, role, _ in steps:
        if role not in roles:
            roles.append(role)
    lanes = ["Customer"] + roles
    ax = _ax(ax, (10.0, 5.2))
    n = len(lanes)
    step, bw, x0 = 1.12, 1.04, 1.25
    width = x0 + step * (len(steps) + 1)
    for i, lane in enumerate(lanes):
        y = n - 1 - i
        ax.add_patch(Rectangle((0, y), width, 1, facecolor="0.95" if i % 2 else
                               "white", edgecolor="0.8", linewidth=0.5))
        ax.text(0.05, y + 0.5, lane, ha="left", va="center", fontsize=8,
                fontweight="bold")
    pos = {}

    def box(x, lane, text, dashed=False):
        y = n - 1 - lanes.index(lane) + 0.1
        ax.add_patch(FancyBboxPatch((x, y), bw, 0.8, boxstyle="round,pad=0.02",
                                    facecolor="white", edgecolor="black",
                                    linestyle="--" if dashed else "-", linewidth=1))
        ax.text(x + bw / 2, y + 0.4, text, ha="center", va="center", fontsize=7)
        return (x + bw / 2, y + 0.4)

    pos[0] = box(x0, "Customer", "Complains\n(call, e-mail,\nvisit)")
    short = {
        1: "Log it,\nacknowledge\nin 24 h",
        2: "Check order,\ndelivery,\ninvoice",
        3: "Find the\nroot cause",
        4: "Decide:\nreturn, replace\nor credit",
        5: "Approve\nlarge credits",
        6: "Decide\nescalated\ncases",
        7: "Answer,\nclose, record\ndays",
    }
    for k, (num, role, _) in enumerate(steps, start=1):
        pos[num] = box(x0 + step * k, role, f"{num}. {short.get(num, '')}",
                       dashed=num in (5, 6))
    order = [0] + [num for num, _, _ in steps]

    def arrow(a, b, dashed=False):
        (xa, ya), (xb, yb) = pos[a], pos[b]
        end = (xb, yb + 0.4) if yb < ya else (xb, yb - 0.4)
        ax.add_patch(FancyArrowPatch((xa + bw / 2, ya), end, arrowstyle="-|>",
                                     mutation_scale=9, color="black", linewidth=0.8,
                                     linestyle="--" if dashed else "-",
                                     connectionstyle="angle,angleA=0,angleB=90,rad=0"))

    for a, b in zip(order[:-1], order[1:], strict=True):
        arrow(a, b, dashed=b in (5, 6) or a in (5, 6))
    arrow(4, 7)  # most cases: the key account manager's decision goes back to service
    ax.set_xlim(0, width)
    ax.set_ylim(0, n)
    ax.axis("off")
    ax.set_title("Complaint workflow: customer service owns it, the key account manager "
                 "decides on returned goods\n(dashed: escalated cases only)", fontsize=9)
    return ax


def complaint_rates(metrics: pd.DataFrame, top: int = 15, ax=None):
    """Complaints per 100 orders of the groups with the most complaints
    (``metrics``: :func:`kamlib.service.complaint_metrics`); the bar of a group with
    open complaints is hatched; the dashed line is the overall rate."""
    m = metrics.loc[metrics["complaints"] > 0].head(top).iloc[::-1]
    ax = _ax(ax, (7.0, 0.28 * len(m) + 1.4))
    hatches = ["xx" if o > 0 else "" for o in m["open_complaints"]]
    bars = ax.barh(m.index.astype(str), m["complaints_per_100_orders"], color="0.6",
                   edgecolor="black")
    for b, h in zip(bars, hatches, strict=True):
        b.set_hatch(h)
    total = 100 * metrics["complaints"].sum() / max(metrics["orders"].sum(), 1)
    ax.axvline(total, color="black", linestyle="--", linewidth=1)
    ax.text(total, len(m) - 0.4, f" all: {total:.1f}", fontsize=8, va="bottom")
    for y, (r, c) in enumerate(zip(m["complaints_per_100_orders"], m["complaints"],
                                   strict=True)):
        if np.isfinite(r):
            ax.text(r, y, f" {int(c)}", va="center", fontsize=7)
    ax.set_xlabel("Complaints per 100 orders (number of complaints at the bar's end)")
    ax.set_title(f"Complaint rate by {metrics.index.name.replace('_', ' ')} "
                 "(hatched: open complaints)")
    return ax


def supply_profile(need: pd.DataFrame, history: pd.DataFrame, s, ax=None):
    """Expected monthly need of the key accounts (bars; peak months hatched) against
    the same months of past years (lines). ``need``:
    :func:`kamlib.service.seasonal_need`; ``history``:
    :func:`kamlib.service.monthly_volume` (months × years, kg)."""
    ax = _ax(ax)
    lead, peak = service.supply_window(s)
    months = np.arange(1, 13)
    total = need[list(months)].sum(axis=0).to_numpy() / 1000.0
    bars = ax.bar(months, total, color="0.8", edgecolor="black", label="expected")
    for b, mth in zip(bars, months, strict=True):
        if mth in peak:
            b.set_hatch("//")
        elif mth in lead:
            b.set_hatch("..")
    styles = ["-", "--", ":", "-."]
    for k, year in enumerate(history.columns[-3:]):
        ax.plot(months, history[year].reindex(months).to_numpy() / 1000.0,
                linestyle=styles[k % 4], marker="o", markersize=3, color="black",
                label=str(year))
    ax.set_xticks(months, _MONTHS)
    ax.set_xlabel("Month")
    ax.set_ylabel("Key accounts' need (t per month)")
    ax.set_title("Peak season (//) and stock build-up (..): agree needs in advance")
    ax.legend(ncol=4, fontsize=8)
    return ax


def cost_vs_margin(packages: pd.DataFrame, max_share: float, ax=None):
    """Each key account's cost-to-serve budget against the gross margin it protects
    (log scales); above the dashed line the package costs more than ``max_share`` of
    the margin. Markers by ABC class."""
    ax = _ax(ax)
    p = packages.loc[packages["gross_margin"] > 0]
    for cls, marker in (("A", "o"), ("B", "s"), ("C", "^")):
        x = p.loc[p["abc_class"] == cls]
        if len(x):
            ax.scatter(x["gross_margin"], x["cost_to_serve_budget"], marker=marker,
                       facecolor="white" if cls != "A" else "black", edgecolor="black",
                       s=25, label=f"class {cls}")
    other = p.loc[~p["abc_class"].isin(["A", "B", "C"])]
    if len(other):
        ax.scatter(other["gross_margin"], other["cost_to_serve_budget"], marker="x",
                   color="black", label="other")
    lo = max(p["gross_margin"].min(), 1.0) if len(p) else 1.0
    hi = p["gross_margin"].max() if len(p) else 10.0
    xs = np.geomspace(lo, hi, 50)
    ax.plot(xs, xs * max_share, linestyle="--", color="black",
            label=f"{max_share:.0%} of margin")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"Gross margin of the account, analysis year ({F.money_label()}, log scale)")
    ax.set_ylabel(f"Cost-to-serve budget ({F.money_label()}/year, log)")
    ax.set_title("Service package cost against the margin it protects")
    ax.legend(fontsize=8)
    return ax


def objectives_volume(obj: pd.DataFrame, top: int = 15, ax=None):
    """Where next year's volume growth comes from: the target minus last year's volume
    (t) of the ``top`` accounts with the largest increase, labelled with the growth in
    %; a hatched bar is an edited target (``obj``: :func:`kamlib.service.objectives`)."""
    o = obj.assign(increase=(obj["target_volume_kg"] - obj["volume_kg"]) / 1000.0)
    o = o.sort_values("increase", ascending=False).head(top).iloc[::-1]
    ax = _ax(ax, (7.0, 0.28 * len(o) + 1.4))
    bars = ax.barh(o.index.astype(str), o["increase"], color="0.6", edgecolor="black")
    for b, edited in zip(bars, o["edited"].astype(str) != "", strict=True):
        if edited:
            b.set_hatch("//")
    for y, (inc, g) in enumerate(zip(o["increase"], o["volume_growth"], strict=True)):
        ax.text(inc, y, f" {g:+.0%}" if np.isfinite(g) else "", va="center", fontsize=7)
    total = (obj["target_volume_kg"] - obj["volume_kg"]).sum() / 1000.0
    ax.set_xlabel(f"Target − last year's volume ({F.thousands_label()}); label: growth in %")
    ax.set_title(f"Where the volume target grows (all key accounts: {total:+,.0f} t)")
    return ax
