"""Shared per-customer aggregates of the order lines, used by every chapter.

All functions take the ``orders`` table as returned by ``kamlib.data.load`` (with the
measures of ``kamlib.data.add_order_measures``) and return DataFrames indexed by
``customer_id`` (and ``year`` where stated). Money in EUR, volumes in kg.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SUM_COLUMNS = [
    "volume_kg",
    "revenue",
    "list_revenue",
    "discount",
    "cost_of_goods",
    "gross_margin",
]


def _aggregate(orders: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    g = orders.groupby(keys, sort=True, observed=True)
    out = g[SUM_COLUMNS].sum()
    out["order_count"] = g["order_id"].nunique()
    out["line_count"] = g.size()
    delivered = orders["is_delivered"]
    d = orders.loc[delivered].groupby(keys, sort=True, observed=True)
    out["on_time_in_full_rate"] = d["on_time_in_full"].mean()
    v = out["volume_kg"].to_numpy()
    out["net_price_per_kg"] = np.divide(
        out["revenue"].to_numpy(), v, out=np.full(len(out), np.nan), where=v > 0
    )
    lr = out["list_revenue"].to_numpy()
    out["discount_pct"] = np.divide(
        out["discount"].to_numpy(), lr, out=np.full(len(out), np.nan), where=lr > 0
    )
    r = out["revenue"].to_numpy()
    out["gross_margin_pct"] = np.divide(
        out["gross_margin"].to_numpy(), r, out=np.full(len(out), np.nan), where=r != 0
    )
    return out


def customer_year(orders: pd.DataFrame) -> pd.DataFrame:
    """Per customer and calendar year.

    Index: (``customer_id``, ``year``). Columns: ``volume_kg``, ``revenue``,
    ``list_revenue``, ``discount`` (on-invoice), ``cost_of_goods``, ``gross_margin``
    (EUR); ``order_count``, ``line_count``; ``on_time_in_full_rate`` (share of delivered
    lines on time and in full); ``net_price_per_kg`` = revenue / volume_kg;
    ``discount_pct`` = discount / list_revenue; ``gross_margin_pct`` =
    gross_margin / revenue. Only customer-years with orders appear.
    """
    return _aggregate(orders, ["customer_id", "year"])


def customer_totals(orders: pd.DataFrame, years: list[int] | None = None) -> pd.DataFrame:
    """Per customer, summed over ``years`` (all years when ``None``).

    Index ``customer_id``; same columns as :func:`customer_year`.
    """
    if years is not None:
        orders = orders.loc[orders["year"].isin(years)]
    return _aggregate(orders, ["customer_id"])


def yearly_pivot(orders: pd.DataFrame, value: str = "revenue") -> pd.DataFrame:
    """A customer × year table of ``value`` (0 where the customer bought nothing)."""
    cy = customer_year(orders)[value]
    return cy.unstack("year", fill_value=0.0)


def share_of_wallet(orders: pd.DataFrame, assessments: pd.DataFrame) -> pd.DataFrame:
    """Share of wallet per customer and year.

    share_of_wallet = our delivered kg in the year / the customer's estimated total use
    of the product in the year (``assessments.estimated_annual_use_kg``). Standard
    definition (e.g. Keiningham et al., "The value of different customer satisfaction
    and loyalty metrics", 2007). Capped at 1 (estimates can be below what we sold).

    Index (``customer_id``, ``year``); columns ``volume_kg``, ``estimated_annual_use_kg``,
    ``share_of_wallet`` (0-1; NaN where no estimate), ``main_competitor``.
    """
    return _share_of_wallet(customer_year(orders)["volume_kg"], assessments)


def share_of_wallet_of(volume_kg: pd.Series, year: int,
                       assessments: pd.DataFrame) -> pd.DataFrame:
    """:func:`share_of_wallet` for one ``year`` from volumes already summed.

    ``volume_kg``: delivered kg of ``year`` per customer (index ``customer_id``, e.g.
    ``customer_year(orders)["volume_kg"].xs(year, level="year")``). Same columns as
    :func:`share_of_wallet`, for the assessments of ``year`` only.
    """
    a = assessments.loc[assessments["year"].astype("int64") == int(year)]
    vol = volume_kg.copy()
    vol.index = pd.MultiIndex.from_arrays(
        [vol.index, np.full(len(vol), int(year), dtype="int64")], names=["customer_id", "year"])
    return _share_of_wallet(vol, a)


def _share_of_wallet(vol: pd.Series, assessments: pd.DataFrame) -> pd.DataFrame:
    a = assessments.set_index(["customer_id", "year"])[
        ["estimated_annual_use_kg", "main_competitor"]
    ]
    a.index = a.index.set_levels(a.index.levels[1].astype("int64"), level=1)
    out = a.join(vol, how="left")
    out["volume_kg"] = out["volume_kg"].fillna(0.0)
    use = out["estimated_annual_use_kg"].to_numpy(dtype=float)
    sow = np.divide(out["volume_kg"].to_numpy(), use, out=np.full(len(out), np.nan),
                    where=use > 0)
    out["share_of_wallet"] = np.minimum(sow, 1.0)
    return out[["volume_kg", "estimated_annual_use_kg", "share_of_wallet", "main_competitor"]]
