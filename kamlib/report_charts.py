"""Figures of the account-plan report: one customer's history, one idea per figure.

Each function takes the customer's own yearly table (no other customer's figures: the
portfolio appears only as an anonymised median line, when given), an ``ax=None`` and
returns the Axes. Without ``ax`` a new figure is made with
:func:`new_axes` - a plain ``matplotlib.figure.Figure``, not pyplot: no global figure
registry, so nothing carries from one report to the next, and it is faster.

Readable in black and white: bars are hatched or outlined, lines have markers and
styles; labelled axes with units; small (≈ 6.5 × 2.6 in).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FIGSIZE = (6.6, 2.6)
INK = "#1d2733"
ACCENT = "#1f5f8b"
SOFT = "#a9c3d6"
GREY = "#8a94a3"


def new_axes(figsize=FIGSIZE, ncols: int = 1):
    """A fresh ``Figure`` (Agg canvas, not pyplot) and its Axes (a list when ncols > 1)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    # fixed margins: one draw when saving (a constrained or tight layout draws twice)
    w, h = figsize
    fig.subplots_adjust(left=0.65 / w, right=1 - 0.15 / w, bottom=0.4 / h, top=1 - 0.35 / h,
                        wspace=0.35 if ncols > 1 else 0.2)
    axes = fig.subplots(1, ncols)
    for ax in np.atleast_1d(axes):
        _style(ax)
    return fig, axes


def _style(ax) -> None:
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=8.5)


def _years(index) -> list[str]:
    return [str(int(y)) for y in index]


def _money_label() -> str:
    """The money axis in the current company's currency: ``EUR thousand``."""
    from kamlib import formatting as fmt

    cur = fmt.current_company().currency
    return f"{cur} thousand" if cur else "thousand"


def _volume_label() -> str:
    """The volume axis (quantities / 1000) in the current company's unit: kg are shown
    in tonnes, other units in thousands."""
    from kamlib import formatting as fmt

    unit = fmt.current_company().quantity_unit
    if unit == "kg":
        return "volume (t)"
    return f"volume (thousand {unit})" if unit else "volume (thousand)"


def _not_in_data(ax, what: str) -> None:
    """An empty panel that says its figure is not in the data (never a flat 0)."""
    ax.text(0.5, 0.5, f"{what}:\nnot in the data", ha="center", va="center",
            fontsize=8.5, transform=ax.transAxes)
    ax.set_yticks([])


def _price_label(v: float) -> str:
    """``€8.53/kg`` on the sample; the company's currency and unit elsewhere."""
    from kamlib import formatting as fmt

    c = fmt.current_company()
    sym = "€" if c.currency == "EUR" else (f"{c.currency} " if c.currency else "")
    return f"{sym}{v:.2f}/{c.quantity_unit or 'unit'}"


def volume_by_year(yearly: pd.DataFrame, ax=None, *, median=None):
    """Volume bought per year (tonnes), with the net price per kg written on each bar.

    ``yearly``: index year; columns ``volume_kg``, ``net_price_per_kg`` (EUR/kg).
    ``median``: optional Series by year of the median key account's volume (kg), drawn
    as a dashed line (an anonymised aggregate).
    """
    if ax is None:
        _, ax = new_axes()
    x = np.arange(len(yearly))
    t = yearly["volume_kg"].to_numpy(float) / 1000
    bars = ax.bar(x, t, color=SOFT, edgecolor=INK, hatch="//", linewidth=0.8,
                  label="this customer")
    price = yearly.get("net_price_per_kg")
    for i, b in enumerate(bars):
        if price is not None and np.isfinite(price.iloc[i]):
            ax.annotate(_price_label(price.iloc[i]), (b.get_x() + b.get_width() / 2,
                                                       b.get_height()),
                        ha="center", va="bottom", fontsize=7.5, xytext=(0, 2),
                        textcoords="offset points")
    if median is not None:
        m = pd.Series(median).reindex(yearly.index).to_numpy(float) / 1000
        ax.plot(x, m, ls="--", marker="o", ms=3, color=INK, lw=1,
                label="median key account")
        ax.legend(fontsize=7.5, loc="upper left")
    ax.set_xticks(x, _years(yearly.index))
    ax.set_ylabel(_volume_label(), fontsize=8.5)
    ax.set_title("Volume bought per year, net price on top", fontsize=9.5, loc="left")
    top = np.nanmax(np.r_[t, 0.0]) if len(t) else 0.0
    ax.set_ylim(0, top * 1.2 if top > 0 else 1)
    return ax


def revenue_margin_by_year(yearly: pd.DataFrame, ax=None):
    """Revenue and gross margin per year (EUR thousand), side by side; margin % on top.

    ``yearly``: index year; columns ``revenue``, ``gross_margin`` (EUR),
    ``gross_margin_pct`` (fraction).
    """
    if ax is None:
        _, ax = new_axes()
    x = np.arange(len(yearly))
    w = 0.38
    rev = yearly["revenue"].to_numpy(float) / 1000
    gm = yearly["gross_margin"].to_numpy(float) / 1000
    if not np.isfinite(gm).any():  # no cost in the data: revenue alone, margin unknown
        ax.bar(x, rev, 0.6, color=SOFT, edgecolor=INK, linewidth=0.8, label="revenue")
        ax.set_xticks(x, _years(yearly.index))
        ax.set_ylabel(_money_label(), fontsize=8.5)
        ax.set_title("Revenue per year (gross margin: not in the data)", fontsize=9.5,
                     loc="left")
        top = np.nanmax(np.r_[rev, 0.0])
        ax.set_ylim(0, top * 1.25 if top > 0 else 1)
        return ax
    ax.bar(x - w / 2, rev, w, color=SOFT, edgecolor=INK, linewidth=0.8, label="revenue")
    bars = ax.bar(x + w / 2, gm, w, color="white", edgecolor=INK, hatch="xx",
                  linewidth=0.8, label="gross margin")
    pct = yearly.get("gross_margin_pct")
    for i, b in enumerate(bars):
        if pct is not None and np.isfinite(pct.iloc[i]):
            ax.annotate(f"{100 * pct.iloc[i]:.0f}%", (b.get_x() + b.get_width() / 2,
                                                    max(b.get_height(), 0)),
                        ha="center", va="bottom", fontsize=7.5, xytext=(0, 2),
                        textcoords="offset points")
    ax.axhline(0, color=INK, lw=0.6)
    ax.set_xticks(x, _years(yearly.index))
    ax.set_ylabel(_money_label(), fontsize=8.5)
    ax.set_title("Revenue and gross margin per year (margin % on top)", fontsize=9.5,
                 loc="left")
    ax.legend(fontsize=7.5, loc="upper left", ncols=2)
    top = np.nanmax(np.r_[rev, gm, 0.0])
    ax.set_ylim(min(0.0, np.nanmin(np.r_[gm, 0.0]) * 1.2), top * 1.25 if top > 0 else 1)
    return ax


def service_quality_by_year(yearly: pd.DataFrame, axes=None):
    """Two panels: on-time-in-full rate (%) and complaints per year.

    ``yearly``: index year; columns ``on_time_in_full_rate`` (fraction), ``complaints``
    (count). ``axes``: two Axes, or ``None`` for a new figure. Returns the two Axes.
    """
    if axes is None:
        _, axes = new_axes(ncols=2)
    a1, a2 = axes
    x = np.arange(len(yearly))
    otif = yearly["on_time_in_full_rate"].to_numpy(float) * 100
    if not np.isfinite(otif).any():
        _not_in_data(a1, "on time in full")
    a1.plot(x, otif, marker="o", color=ACCENT, lw=1.5)
    for i, v in enumerate(otif):
        if np.isfinite(v):
            a1.annotate(f"{v:.0f}%", (x[i], v), ha="center", va="bottom", fontsize=7.5,
                        xytext=(0, 3), textcoords="offset points")
    a1.set_xticks(x, _years(yearly.index))
    a1.set_ylabel("on time in full (%)", fontsize=8.5)
    lo = np.nanmin(np.r_[otif, 100.0]) if np.isfinite(otif).any() else 0
    a1.set_ylim(max(0, lo - 10), 105)
    a1.set_title("Deliveries on time in full", fontsize=9.5, loc="left")
    c = yearly["complaints"].to_numpy(float)
    if not np.isfinite(c).any():
        _not_in_data(a2, "complaints")
    a2.bar(x, np.nan_to_num(c), color="white", edgecolor=INK, hatch="..", linewidth=0.8)
    for i, v in enumerate(c):
        if np.isfinite(v):
            a2.annotate(f"{v:.0f}", (x[i], v), ha="center", va="bottom", fontsize=7.5,
                        xytext=(0, 2), textcoords="offset points")
    a2.set_xticks(x, _years(yearly.index))
    a2.set_ylabel("complaints", fontsize=8.5)
    a2.set_ylim(0, max(np.nanmax(np.r_[c, 0.0]) * 1.3, 3))
    a2.set_title("Complaints received", fontsize=9.5, loc="left")
    return axes


def share_of_wallet_by_year(wallet: pd.DataFrame, ax=None):
    """Our volume against the customer's estimated total use, per year (tonnes), with
    the share of wallet written on top.

    ``wallet``: index year; columns ``volume_kg``, ``estimated_annual_use_kg``,
    ``share_of_wallet`` (fraction).
    """
    if ax is None:
        _, ax = new_axes()
    x = np.arange(len(wallet))
    use = wallet["estimated_annual_use_kg"].to_numpy(float) / 1000
    ours = wallet["volume_kg"].to_numpy(float) / 1000
    ax.bar(x, use, 0.6, color="white", edgecolor=GREY, linewidth=1, ls="--",
           label="customer's total use (estimate)")
    ax.bar(x, ours, 0.6, color=SOFT, edgecolor=INK, hatch="//", linewidth=0.8,
           label="bought from us")
    sow = wallet["share_of_wallet"].to_numpy(float)
    for i in range(len(x)):
        if np.isfinite(sow[i]):
            top = np.nanmax([use[i], ours[i]])
            ax.annotate(f"{100 * sow[i]:.0f}%", (x[i], top), ha="center", va="bottom",
                        fontsize=7.5, xytext=(0, 2), textcoords="offset points")
    ax.set_xticks(x, _years(wallet.index))
    ax.set_ylabel(_volume_label(), fontsize=8.5)
    ax.set_title("Share of wallet: bought from us vs total use", fontsize=9.5, loc="left")
    ax.legend(fontsize=7.5, loc="upper left", ncols=2)
    top = np.nanmax(np.r_[use, ours, 0.0])
    ax.set_ylim(0, top * 1.3 if top > 0 else 1)
    return ax


def monthly_volume(monthly: pd.DataFrame, ax=None):
    """Volume per calendar month, one line per year (tonnes): the buying season.

    ``monthly``: index month 1-12, one column per year (kg).
    """
    if ax is None:
        _, ax = new_axes()
    styles = ["-", "--", ":", "-."]
    markers = ["o", "s", "^", "D"]
    for i, col in enumerate(monthly.columns):
        ax.plot(monthly.index, monthly[col].to_numpy(float) / 1000, ls=styles[i % 4],
                marker=markers[i % 4], ms=3, lw=1.2,
                color=INK if i == len(monthly.columns) - 1 else GREY, label=str(col))
    ax.set_xticks(range(1, 13), list("JFMAMJJASOND"))
    ax.set_ylabel(_volume_label(), fontsize=8.5)
    ax.set_title("Volume per month: the customer's buying season", fontsize=9.5, loc="left")
    ax.legend(fontsize=7.5, ncols=len(monthly.columns), loc="upper left")
    ax.set_ylim(bottom=0)
    return ax
