"""Figures of the rebates and prices chapter: schedules, the retroactive cliff,
customers on the tiers, accrual during the year, break-even, the other levers.

Each function takes tables or schedules computed by :mod:`kamlib.rebates` (never the
raw data), an optional ``ax`` and returns the Axes. One idea per figure; greys, line
styles, hatches and markers carry the meaning, so the figures read in black and white.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, PercentFormatter

from kamlib import formatting as F
from kamlib import rebates
from kamlib.plots import new_axes as _ax
from kamlib.plots import MONTHS as _MONTHS

DARK, MID, LIGHT = "0.15", "0.45", "0.75"
STYLES = [("-", DARK), ("--", DARK), (":", DARK), ("-.", MID), ((0, (5, 1, 1, 1)), MID)]
HATCHES = ["", "///", "...", "xxx", "\\\\\\", "ooo"]




def _k(x, _pos=None) -> str:
    """Axis label in thousands: 12 000 -> '12'."""
    return f"{x / 1000:,.0f}"


def _volume_axis(ax, basis: str, which: str = "x") -> None:
    label = (f"annual volume ({F.thousands_label()})" if basis == "kg"
             else f"annual revenue ({F.money_label('thousand')})")
    getattr(ax, f"set_{which}label")(label)
    getattr(ax, f"{which}axis").set_major_formatter(FuncFormatter(_k))


# ------------------------------------------------------------------ schedules


def rebate_curves(schedules, price_per_kg: float = 10.0, max_volume: float | None = None,
                  ax=None):
    """The rebate (EUR a year) as a function of the annual volume, one line per
    schedule (retroactive and marginal; growth schedules are skipped: they depend on
    the baseline). Vertical jumps are retroactive cliffs."""
    ax = _ax(ax)
    scs = [s for s in schedules if s.method != "growth"]
    if not scs:
        raise ValueError("rebate_curves: give at least one retroactive or marginal schedule")
    top = max_volume or 1.3 * max(s.thresholds[-1] for s in scs)
    v = np.linspace(0, top, 2001)
    for i, sc in enumerate(scs):
        ls, col = STYLES[i % len(STYLES)]
        c = rebates.rebate_curve(sc, v, price_per_kg)
        ax.plot(v, c["rebate"], linestyle=ls, color=col, linewidth=1.8,
                label=f"{sc.name} ({sc.method})")
    _volume_axis(ax, scs[0].basis)
    ax.yaxis.set_major_formatter(FuncFormatter(_k))
    ax.set_ylabel(f"rebate a year ({F.money_label('thousand')})")
    unit = f" at {F.unit_price(price_per_kg)}" if scs[0].basis == "kg" else ""
    ax.set_title(f"What each schedule pays{unit}")
    ax.set_xlim(0, top)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize=9)
    return ax


def cliff(schedule: rebates.RebateSchedule, tier: int = 1, price_per_kg: float = 10.0,
          ax=None):
    """The customer's net payment (revenue − rebate) around threshold ``tier`` (1 =
    the first) of a retroactive schedule: the payment *drops* at the threshold, and
    the hatched dead zone is the extra volume that costs the customer nothing."""
    ax = _ax(ax)
    c = rebates.cliffs(schedule, price_per_kg).iloc[tier - 1]
    t = c["threshold"]
    span = max(c["dead_zone"] * 2.5, 0.03 * t) if np.isfinite(c["dead_zone"]) else 0.05 * t
    v = np.linspace(max(t - span, 0), t + 1.6 * span, 1201)
    curve = rebates.rebate_curve(schedule, v, price_per_kg)
    pay = curve["net_payment"].to_numpy()
    below = v < t
    ax.plot(v[below], pay[below], color=DARK, linewidth=2, label="net payment")
    ax.plot(v[~below], pay[~below], color=DARK, linewidth=2)
    if c["dead_zone"] > 0:
        ax.axvspan(t, c["dead_zone_end"], facecolor="none", edgecolor=MID, hatch="///",
                   linewidth=0, label=f"dead zone: {c['dead_zone']:,.0f} "
                   f"{F.quantity_label() if schedule.basis == 'kg' else F.money_label()} for nothing")
        p_before = t * (price_per_kg if schedule.basis == "kg" else 1) * (1 - c["rate_below"])
        ax.axhline(p_before, color=MID, linestyle=":", linewidth=1)
        ax.annotate(f"at {t / 1000:,.0f} {F.thousands_label() if schedule.basis == 'kg' else F.money_label('k')} the "
                    f"rebate jumps\nby {F.money(c['rebate_jump'])} on all volume",
                    xy=(t, p_before - c["rebate_jump"] / 2), xytext=(0.03, 0.93),
                    textcoords="axes fraction", ha="left", va="top", fontsize=9,
                    arrowprops={"arrowstyle": "->", "color": DARK, "linewidth": 1})
    ax.axvline(t, color=MID, linestyle="--", linewidth=1)
    _volume_axis(ax, schedule.basis)
    ax.yaxis.set_major_formatter(FuncFormatter(_k))
    ax.set_ylabel(f"customer pays after rebate ({F.money_label('thousand')})")
    ax.set_title(f"The retroactive cliff: {schedule.name}, tier {tier} "
                 f"({c['rate_below']:.0%} → {c['rate_above']:.0%})")
    ax.legend(loc="lower right", fontsize=9)
    return ax


# ------------------------------------------------------------------ customers


def customers_on_tiers(sim: pd.DataFrame, schedule: rebates.RebateSchedule, ax=None,
                       label: bool | None = None):
    """Each customer's annual volume (one row each, largest on top) against the
    thresholds of ``schedule``: triangles are customers just below a threshold
    (``near_threshold`` of :func:`kamlib.rebates.simulate`), open circles the others.
    Labels with the customer ids when there are at most 30 customers."""
    n = len(sim)
    ax = _ax(ax, (7.0, max(3.0, min(0.28 * n + 1.2, 8.0))))
    d = sim.sort_values("basis_volume")
    y = np.arange(n)
    x = d["basis_volume"].to_numpy()
    near = d["near_threshold"].to_numpy(dtype=bool) if "near_threshold" in d else np.zeros(n, bool)
    ax.scatter(x[~near], y[~near], marker="o", facecolors="white", edgecolors=DARK, s=30,
               label="customer", zorder=3)
    ax.scatter(x[near], y[near], marker="^", color=DARK, s=45,
               label="just below the next threshold", zorder=3)
    if "to_next_tier" in d:
        gap = d["to_next_tier"].to_numpy()
        for yi in np.flatnonzero(near):
            ax.plot([x[yi], x[yi] + gap[yi]], [yi, yi], color=DARK, linewidth=1)
    top = max(float(np.nanmax(x)) * 1.08 if n else 1.0, schedule.thresholds[-1] * 1.1)
    base = 0.0
    if schedule.method == "growth":
        base = np.nan  # thresholds are above each customer's own baseline
    if np.isfinite(base):
        for i, t in enumerate(schedule.tiers):
            ax.axvline(t.threshold, color=MID, linestyle="--", linewidth=1)
            ax.text(t.threshold, n - 0.3 + 0.02 * n, f" {t.rate:.0%}", fontsize=9,
                    ha="left", va="bottom", color=DARK)
    if label if label is not None else n <= 30:
        ax.set_yticks(y, d.index.astype(str).tolist(), fontsize=8)
    else:
        ax.set_yticks([])
    ax.set_xlim(0, top)
    ax.set_ylim(-0.8, n + 0.4 + 0.04 * n)
    _volume_axis(ax, schedule.basis)
    ax.set_ylabel("customers")
    ax.set_title(f"Customers on the tiers of '{schedule.name}'")
    ax.legend(loc="lower right", fontsize=9)
    ax.grid(axis="y", visible=False)
    return ax


def tier_bars(counts: pd.DataFrame, ax=None):
    """Customers per tier (:func:`kamlib.rebates.tier_counts`), with the rebate each
    tier pays written on the bar."""
    ax = _ax(ax)
    x = np.arange(len(counts))
    for i, (_, r) in enumerate(counts.iterrows()):
        ax.bar(i, r["customers"], color="white", edgecolor=DARK, hatch=HATCHES[i % len(HATCHES)])
        ax.text(i, r["customers"], F.money(r['rebate']), ha="center",
                va="bottom", fontsize=9)
    ax.set_xticks(x, [b.replace(": ", "\n") for b in counts["band"]], fontsize=9)
    ax.set_ylabel("customers")
    ax.set_title("Customers per tier, and what the tier pays")
    ax.set_ylim(0, max(counts["customers"].max() * 1.18, 1))
    ax.grid(axis="x", visible=False)
    return ax


# ------------------------------------------------------------------ accrual


def accrual_path(acc: pd.DataFrame, customer_id: str, ax=None):
    """One customer's year: the rebate accrued to date (line), the interim payments
    paid to date (steps) and the final settlement (arrow: earned − paid)."""
    ax = _ax(ax)
    a = acc.loc[acc["customer_id"].astype(str) == str(customer_id)].sort_values("month")
    if a.empty:
        raise ValueError(f"accrual_path: no rows for customer {customer_id}")
    m = a["month"].to_numpy()
    ax.plot(m, a["accrued_to_date"], color=DARK, marker="o", linewidth=1.8,
            label="accrued to date")
    ax.step(m, a["interim_paid_to_date"], where="post", color=MID, linestyle="--",
            linewidth=1.8, label="interim payments to date")
    earned = float(a["accrued_to_date"].iloc[-1])
    paid = float(a["interim_paid_to_date"].iloc[-1])
    final = float(a["final_settlement"].iloc[-1])
    ax.annotate("", xy=(12.35, earned), xytext=(12.35, paid),
                arrowprops={"arrowstyle": "->", "color": DARK, "linewidth": 1.5})
    ax.text(12.45, (earned + paid) / 2, f"final\nsettlement\n{F.money(final)}",
            fontsize=9, va="center", ha="left")
    ax.set_xticks(range(1, 13), _MONTHS, fontsize=9)
    ax.set_xlim(0.6, 13.6)
    ax.set_ylabel(F.money_label())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
    ax.set_title(f"Accrual and settlement, {customer_id} ({acc.attrs.get('schedule', '')}, "
                 f"forecast: {acc.attrs.get('forecast', '')})")
    ax.legend(loc="upper left", fontsize=9)
    return ax


# ------------------------------------------------------------------ break-even


def break_even_curves(contribution_margins=(0.15, 0.25, 0.35), max_cut: float = 0.08,
                      elasticities=(-1.5, -3.0), ax=None):
    """Break-even volume increase %ΔV = −ΔP / (CM + ΔP) against the rebate rate (a
    price cut), one solid/dashed/dotted line per contribution margin; thin grey lines
    show the volume a customer of elasticity ε gives back, (1 + ΔP)^ε − 1. A rebate
    pays where the grey line is above the black one."""
    ax = _ax(ax)
    cut = np.linspace(0.0, max_cut, 161)
    for i, cm in enumerate(contribution_margins):
        ls = ["-", "--", ":", "-."][i % 4]
        ax.plot(cut * 100, rebates.break_even_volume_change(-cut, cm) * 100, color=DARK,
                linestyle=ls, linewidth=2, label=f"break-even, margin {cm:.0%}")
    for j, e in enumerate(elasticities):
        ax.plot(cut * 100, rebates.volume_response(-cut, e) * 100, color=LIGHT if j else MID,
                linewidth=1.2, label=f"response at ε = {e:g}")
    ax.set_xlabel("rebate (price cut, % of the price)")
    ax.set_ylabel("volume increase needed / given (%)")
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_ylim(0, max(60, 0))
    ax.set_xlim(0, max_cut * 100)
    ax.set_title("How much more volume a rebate must bring")
    ax.legend(loc="upper left", fontsize=8)
    return ax


def schedule_comparison(comparison: pd.DataFrame, ax=None):
    """Schedules side by side (:func:`kamlib.rebates.compare_schedules`): what each
    costs on last year's volume (hatched) and what it adds to the margin after the
    customers' response (plain; below zero it destroys margin)."""
    ax = _ax(ax)
    names = list(comparison.index)
    y = np.arange(len(names))
    h = 0.38
    ax.barh(y + h / 2, -comparison["rebate"] / 1000, height=h, color="white",
            edgecolor=DARK, hatch="///", label="rebate on last year's volume (cost)")
    ax.barh(y - h / 2, comparison["incremental_margin"] / 1000, height=h, color=MID,
            edgecolor=DARK, label="margin after rebate and response, vs no rebate")
    ax.axvline(0, color=DARK, linewidth=1)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlabel(f"{F.money_label('thousand')} a year")
    ax.set_title("Schedules compared on the same customers")
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(axis="y", visible=False)
    return ax


# ------------------------------------------------------------------ other levers


def deal_break_even(normal_price: float, deal_price: float, unit_cost: float,
                    new_share: float | None = None, ax=None, what: str = "deal"):
    """Margin effect per kg sold on a deal against the share of that volume that is
    *new* (not pulled forward, not bought anyway): it pays right of the break-even
    share (p − p_d) / (p − c). ``new_share`` marks the assumption in the settings."""
    ax = _ax(ax)
    n = np.linspace(0, 1, 101)
    eff = rebates.deal_arithmetic(1.0, normal_price, deal_price, unit_cost, n)
    ax.plot(n * 100, eff["margin_effect"], color=DARK, linewidth=2,
            label="margin effect per kg on the deal")
    be = float(eff["break_even_new_share"].iloc[0])
    ax.axhline(0, color=MID, linewidth=1)
    if np.isfinite(be) and be <= 1:
        ax.axvline(be * 100, color=MID, linestyle="--", linewidth=1)
        ax.text(be * 100, ax.get_ylim()[1] * 0.9, f" break-even: {be:.0%} new",
                fontsize=9, ha="left", va="top")
    else:  # the deal price is below cost: no share of new volume makes it pay
        ax.text(0.02, 0.95, "never pays: even all-new volume loses money", fontsize=9,
                ha="left", va="top", transform=ax.transAxes)
    if new_share is not None:
        v = float(rebates.deal_arithmetic(1.0, normal_price, deal_price, unit_cost,
                                          new_share)["margin_effect"].iloc[0])
        ax.plot([new_share * 100], [v], marker="s", color=DARK, linestyle="none",
                label=f"assumed: {new_share:.0%} new → {v:+.2f} {F.price_label()}")
    ax.set_xlabel(f"share of the {what} volume that is new (%)")
    ax.set_ylabel(f"{F.price_label()} on the deal")
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_title(f"When does the {what} pay? (price {normal_price:.2f} → "
                 f"{deal_price:.2f}, cost {unit_cost:.2f} {F.price_label()})")
    ax.legend(loc="lower right", fontsize=9)
    return ax


def cannibalisation(margin_standard: float, margin_economy: float,
                    assumed: float | None = None, ax=None):
    """Margin effect per kg of economy grade sold against the share of it that
    replaces standard grade (cannibalisation): m_e − c × m_s, zero at c* = m_e / m_s."""
    ax = _ax(ax)
    c = np.linspace(0, 1, 101)
    eff, be = rebates.economy_arithmetic(1.0, margin_standard, margin_economy, c)
    ax.plot(c * 100, eff, color=DARK, linewidth=2, label="margin effect per kg of economy grade")
    ax.axhline(0, color=MID, linewidth=1)
    be = float(np.atleast_1d(be)[0])
    ax.axvline(be * 100, color=MID, linestyle="--", linewidth=1)
    ax.text(be * 100, margin_economy * 0.9, f"break-even: {be:.0%} ", fontsize=9, ha="right",
            va="top")
    if assumed is not None:
        v = margin_economy - assumed * margin_standard
        ax.plot([assumed * 100], [v], marker="s", color=DARK, linestyle="none",
                label=f"assumed: {assumed:.0%} → {v:+.2f} {F.price_label()}")
    ax.set_xlabel("share of economy volume that replaces standard grade (%)")
    ax.set_ylabel(f"{F.price_label()} of economy grade")
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_title(f"The economy grade: margin {margin_economy:.2f} vs {margin_standard:.2f} {F.price_label()}")
    ax.legend(loc="lower left", fontsize=9)
    return ax
