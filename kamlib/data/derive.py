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


def add_order_measures(orders: pd.DataFrame, deliveries: bool = True) -> pd.DataFrame:
    """Add the derived measures of each order line (:func:`kamlib.measures.order_measures`:
    sales counted when delivered, the open order book apart; ``deliveries=False`` when
    the export has no delivery dates). Returns a new DataFrame."""
    from kamlib import measures

    return measures.order_measures(orders, deliveries)
