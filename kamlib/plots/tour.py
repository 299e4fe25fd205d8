"""Figures of chapter 00, the tour of the data.

Each function takes the tables of ``kamlib.data.load`` (``orders`` with its derived
measures), an optional ``ax`` and returns the Axes. One idea per figure; greys, hatches
and labels rather than colour, so the figures read in black and white.
"""

from __future__ import annotations

import calendar

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from kamlib import formatting
from kamlib.plots import new_axes as _ax

DARK, MID, LIGHT = "0.25", "0.55", "0.85"
PACK_HATCHES = {"bag": "", "big bag": "///", "drum": "..."}
"""Hatch per pack type in :func:`product_range` (other pack types: ``xx``)."""




def _year_orders(orders: pd.DataFrame, year: int) -> pd.DataFrame:
    years = sorted(int(y) for y in orders["year"].unique())
    if int(year) not in years:
        covered = f"{years[0]}-{years[-1]}" if years else "no year at all"
        raise ValueError(
            f"there are no orders in {year}: the data covers {covered}. Set "
            "analysis_year to a year with orders."
        )
    return orders.loc[orders["year"] == int(year)]


def _label_bars_h(ax, values, texts) -> None:
    top = max(float(np.max(values)), 0.0) if len(values) else 0.0
    for y, (v, t) in enumerate(zip(values, texts)):
        ax.text(v + top * 0.01, y, t, va="center", ha="left", fontsize=9)
    ax.set_xlim(0, top * 1.25 if top > 0 else 1)


def revenue_by_year(orders: pd.DataFrame, ax=None):
    """Bars: revenue (millions of the company's currency) per calendar year, each
    labelled with its value and the change on the previous year. Revenue =
    delivered_kg × net_price_per_kg (before annual rebates), counted in the year of
    delivery (kamlib.schema.SALES_CONVENTION: open orders at the end are not sales)."""
    ax = _ax(ax)
    by_year = orders.groupby("year")["revenue"].sum().sort_index()
    x = by_year.index.astype(int)
    ax.bar(x, by_year.to_numpy() / 1e6, color=MID, edgecolor="black", width=0.6)
    prev = by_year.shift(1)
    for year, v, p in zip(x, by_year.to_numpy(), prev.to_numpy()):
        label = f"{v / 1e6:.1f}"
        if np.isfinite(p) and p > 0:
            label += f"\n{v / p - 1:+.0%}"
        ax.text(year, v / 1e6, label, ha="center", va="bottom", fontsize=9)
    ax.set_xticks(x)
    ax.set_xlabel("Year")
    ax.set_ylabel(f"Revenue ({formatting.money_label('m')})")
    ax.set_ylim(0, by_year.max() / 1e6 * 1.2 if len(by_year) else 1)
    ax.set_title("Revenue by year")
    ax.grid(axis="x", visible=False)
    return ax


def revenue_by_industry(orders: pd.DataFrame, customers: pd.DataFrame, year: int,
                        ax=None):
    """Horizontal bars: revenue (EUR m) of ``year`` by the customers' industry, largest
    on top, labelled with the amount and the share of the year's revenue."""
    ax = _ax(ax)
    o = _year_orders(orders, year)
    industry = customers.set_index("customer_id")["industry"]
    by = (o.groupby(o["customer_id"].map(industry).fillna("(unknown)"))["revenue"]
          .sum().sort_values())
    total = by.sum()
    ax.barh(by.index.astype(str), by.to_numpy() / 1e6, color=MID, edgecolor="black")
    shares = np.divide(by.to_numpy(), total, out=np.zeros(len(by)), where=total > 0)
    _label_bars_h(ax, by.to_numpy() / 1e6,
                  [f"{v / 1e6:.1f}  ({s:.0%})" for v, s in zip(by.to_numpy(), shares)])
    ax.set_xlabel(f"Revenue {year} ({formatting.money_label('m')})")
    ax.set_ylabel("Customer industry")
    ax.set_title(f"Where the revenue comes from, {year}")
    ax.grid(axis="y", visible=False)
    return ax


def monthly_seasonality(orders: pd.DataFrame, ax=None):
    """Bars: share of each year's ordered quantity placed in each month (%), by order
    date (when customers order), averaged over the years of ``orders``. Months in which
    off-season deals were sold are hatched; the dashed line is an even year (1/12 =
    8.3 % a month)."""
    ax = _ax(ax)
    yk, mk = (("order_year", "order_month") if "order_month" in orders.columns
              else ("year", "month"))
    qty = "quantity_kg" if "quantity_kg" in orders.columns else "volume_kg"
    kg = orders.groupby([yk, mk])[qty].sum().unstack(mk)
    kg = kg.reindex(columns=range(1, 13), fill_value=0.0).fillna(0.0)
    totals = kg.sum(axis=1).to_numpy()[:, None]
    share = np.divide(kg.to_numpy(), totals, out=np.zeros(kg.shape), where=totals > 0)
    avg = share.mean(axis=0) * 100 if len(share) else np.zeros(12)
    deal_months = set()
    if "deal_type" in orders.columns:
        deal_months = set(
            int(m) for m in orders.loc[orders["deal_type"] == "off-season", mk].unique()
        )
    months = np.arange(1, 13)
    for m, v in zip(months, avg):
        off = m in deal_months
        ax.bar(m, v, color=LIGHT if off else MID, edgecolor="black",
               hatch="///" if off else "", width=0.7)
    ax.axhline(100 / 12, color="black", linestyle="--", linewidth=1)
    ax.text(12.45, 100 / 12, "even\nyear", va="center", ha="left", fontsize=8)
    handles = [plt.Rectangle((0, 0), 1, 1, facecolor=MID, edgecolor="black")]
    labels = ["regular months"]
    if deal_months:
        handles.append(plt.Rectangle((0, 0), 1, 1, facecolor=LIGHT, edgecolor="black",
                                     hatch="///"))
        labels.append("months with off-season deals")
    ax.legend(handles, labels, loc="upper left")
    ax.set_xticks(months, [calendar.month_abbr[m] for m in months])
    ax.set_xlim(0.4, 13.2)
    ax.set_ylim(0, max(avg.max(), 100 / 12) * 1.3)
    ax.set_xlabel("Month of the order")
    ax.set_ylabel("Share of the year's ordered quantity (%)")
    ax.set_title("Seasonality: the peak and the off-season")
    ax.grid(axis="x", visible=False)
    return ax


def customers_by_region(orders: pd.DataFrame, customers: pd.DataFrame, year: int,
                        ax=None):
    """Horizontal bars: customers who bought in ``year``, by region (most on top),
    labelled with the count and the region's share of the year's revenue."""
    ax = _ax(ax)
    o = _year_orders(orders, year)
    region = customers.set_index("customer_id")["region"]
    r = o["customer_id"].map(region).fillna("(unknown)")
    g = o.groupby(r)
    table = pd.DataFrame({"customers": g["customer_id"].nunique(),
                          "revenue": g["revenue"].sum()}).sort_values("customers")
    total = table["revenue"].sum()
    share = np.divide(table["revenue"].to_numpy(), total, out=np.zeros(len(table)),
                      where=total > 0)
    counts = table["customers"].to_numpy()
    ax.barh(table.index.astype(str), counts, color=MID, edgecolor="black")
    _label_bars_h(ax, counts, [f"{n}  ({s:.0%} of revenue)" for n, s in zip(counts, share)])
    ax.set_xlabel(f"Customers who bought in {year}")
    ax.set_ylabel("Sales region")
    ax.set_title(f"Customers by region, {year}")
    ax.grid(axis="y", visible=False)
    return ax


def product_range(orders: pd.DataFrame, products: pd.DataFrame, year: int, ax=None):
    """Horizontal bars: volume (tonnes) of each product in ``year``, in price-list order
    (first product on top); hatched by pack type, labelled with grade and average net
    price (EUR/kg). Products not sold in ``year`` show an empty bar."""
    ax = _ax(ax, figsize=(7.0, 5.0))
    o = _year_orders(orders, year)
    g = o.groupby("product_id")
    sold = pd.DataFrame({"volume_kg": g["volume_kg"].sum(), "revenue": g["revenue"].sum()})
    p = products.set_index("product_id")
    p = p.join(sold, how="left")
    p[["volume_kg", "revenue"]] = p[["volume_kg", "revenue"]].fillna(0.0)
    p = p.iloc[::-1]  # barh draws bottom-up: keep the price-list order top-down
    v = p["volume_kg"].to_numpy()
    net = np.divide(p["revenue"].to_numpy(), v, out=np.full(len(p), np.nan), where=v > 0)
    labels = [str(n) for n in p["product_name"]] if "product_name" in p else list(p.index)
    packs = p["pack_type"].astype(str) if "pack_type" in p else pd.Series("", index=p.index)
    for y, (vol, pack) in enumerate(zip(v, packs)):
        ax.barh(y, vol / 1000, color=LIGHT, edgecolor="black",
                hatch=PACK_HATCHES.get(pack, "xx"))
    grades = p["grade"].astype(str) if "grade" in p else pd.Series("", index=p.index)
    if "is_economy_grade" in p:
        grades = grades.where(~p["is_economy_grade"].astype(bool), grades + " economy")
    _label_bars_h(ax, v / 1000, [f"{gr}, {formatting.price(n)}" for gr, n in zip(grades, net)])
    ax.set_yticks(range(len(p)), labels, fontsize=8)
    present = [k for k in PACK_HATCHES if k in set(packs)]
    handles = [plt.Rectangle((0, 0), 1, 1, facecolor=LIGHT, edgecolor="black",
                             hatch=PACK_HATCHES[k]) for k in present]
    if handles:
        ax.legend(handles, present, title="pack", loc="lower right")
    ax.set_xlabel(f"Volume sold in {year} ({formatting.thousands_label()})")
    ax.set_title(f"The product range, {year}: volume, grade and net price")
    ax.grid(axis="y", visible=False)
    return ax
