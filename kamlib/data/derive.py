"""What the loader derives: the :class:`KamData` it returns and the measures of each
order line (:func:`add_order_measures`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class KamData:
    """The tables of one company's data, validated and typed.

    Attributes are DataFrames named after the tables of ``kamlib.schema``:
    ``customers``, ``products``, ``orders`` (with derived measures),
    ``interactions``, ``contacts``, ``assessments``, ``rebates``. ``source`` says where
    the data came from; ``notes`` lists what the loader noticed without refusing the
    data (a renamed column, a Windows-1252 file, an optional table missing...).
    """

    customers: pd.DataFrame
    products: pd.DataFrame
    orders: pd.DataFrame
    interactions: pd.DataFrame
    contacts: pd.DataFrame
    assessments: pd.DataFrame
    rebates: pd.DataFrame
    source: str = ""
    notes: tuple[str, ...] = ()

    @property
    def first_date(self) -> pd.Timestamp:
        return self.orders["order_date"].min()

    @property
    def last_date(self) -> pd.Timestamp:
        return self.orders["order_date"].max()

    @property
    def years(self) -> list[int]:
        """Calendar years with orders, oldest first."""
        return sorted(int(y) for y in self.orders["year"].unique())


def add_order_measures(orders: pd.DataFrame) -> pd.DataFrame:
    """Add the derived measures of each order line. Returns a new DataFrame.

    Columns added (EUR unless stated):

    - ``year``, ``month`` (1-12) of ``order_date``;
    - ``volume_kg`` = ``delivered_kg`` (sales are invoiced on delivered quantity);
    - ``revenue`` = delivered_kg × net_price_per_kg;
    - ``list_revenue`` = delivered_kg × list_price_per_kg;
    - ``discount`` = list_revenue − revenue (on-invoice discounts and deals; annual
      rebates are separate, see the ``rebates`` table);
    - ``discount_pct`` = discount / list_revenue (0 where list_revenue is 0);
    - ``cost_of_goods`` = delivered_kg × unit_cost_per_kg;
    - ``gross_margin`` = revenue − cost_of_goods;
    - ``is_delivered``: actual_delivery_date is known;
    - ``days_late`` = actual − promised delivery date in days (negative = early; NaN
      while not delivered);
    - ``on_time``: delivered no later than promised;
    - ``in_full``: delivered_kg ≥ quantity_kg;
    - ``on_time_in_full``: both (OTIF, the standard supply-chain service measure).
    """
    o = orders.copy(deep=False)  # new columns only: the caller's frame is untouched
    o["year"] = o["order_date"].dt.year.astype("int64")
    o["month"] = o["order_date"].dt.month.astype("int64")
    o["volume_kg"] = o["delivered_kg"]
    o["revenue"] = o["delivered_kg"] * o["net_price_per_kg"]
    o["list_revenue"] = o["delivered_kg"] * o["list_price_per_kg"]
    o["discount"] = o["list_revenue"] - o["revenue"]
    lr = o["list_revenue"].to_numpy()
    o["discount_pct"] = np.divide(
        o["discount"].to_numpy(), lr, out=np.zeros(len(o)), where=lr > 0
    )
    o["cost_of_goods"] = o["delivered_kg"] * o["unit_cost_per_kg"]
    o["gross_margin"] = o["revenue"] - o["cost_of_goods"]
    o["is_delivered"] = o["actual_delivery_date"].notna()
    o["days_late"] = (o["actual_delivery_date"] - o["promised_delivery_date"]).dt.days
    o["on_time"] = o["is_delivered"] & (o["days_late"] <= 0)
    o["in_full"] = o["is_delivered"] & (o["delivered_kg"] >= o["quantity_kg"])
    o["on_time_in_full"] = o["on_time"] & o["in_full"]
    return o
