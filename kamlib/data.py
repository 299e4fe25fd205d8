"""Loading the playbook's data: the bundled sample, a folder of CSV files, an Excel
workbook (one sheet per table) or a folder of Parquet files.

Everything goes through :func:`load`, which returns a :class:`KamData` with one
DataFrame per table of :mod:`kamlib.schema` (optional tables that are absent come back
empty, with their columns). Column types follow the schema: ids and text as strings,
dates as ``datetime64``, yes/no as ``bool``, scores as floats (empty = NaN).

``orders`` comes back with derived measures added (see :func:`add_order_measures`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kamlib import schema

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
ANSWER_KEY_FILE = PROJECT_ROOT / "data" / "answer_key" / "answer_key.csv"


@dataclass(frozen=True)
class KamData:
    """The tables of one company's data, validated and typed.

    Attributes are DataFrames named after the tables of ``kamlib.schema``:
    ``customers``, ``products``, ``orders`` (with derived measures),
    ``interactions``, ``contacts``, ``assessments``, ``rebates``. ``source`` says where
    the data came from.
    """

    customers: pd.DataFrame
    products: pd.DataFrame
    orders: pd.DataFrame
    interactions: pd.DataFrame
    contacts: pd.DataFrame
    assessments: pd.DataFrame
    rebates: pd.DataFrame
    source: str = ""

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


def resolve_source(source: str | Path) -> Path:
    """``"sample"`` means the bundled data; anything else is a path."""
    if str(source) == "sample":
        return SAMPLE_DIR
    return Path(source)


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
    o = orders.copy()
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


# ----------------------------------------------------------------- typing by schema


def coerce_table(df: pd.DataFrame, table: schema.Table) -> pd.DataFrame:
    """Give ``df`` the column types of ``table``; add missing optional columns.

    Assumes the data is valid (validation reports problems before this runs).
    """
    out = pd.DataFrame(index=df.index)
    for col in table.columns:
        if col.name in df.columns:
            s = df[col.name]
        else:
            s = pd.Series([col.default] * len(df), index=df.index, dtype=object)
        out[col.name] = _coerce(s, col)
    return out.reset_index(drop=True)


_TRUE = {"yes", "y", "true", "1", "1.0", "ja", "oui", "x"}


def _coerce(s: pd.Series, col: schema.Column) -> pd.Series:
    if col.kind in ("id", "text", "category"):
        s = s.astype(object).where(s.notna(), None)
        if col.kind == "id":
            # Ids read from Excel can come back as floats (42.0): show them as 42.
            s = s.map(_id_text, na_action="ignore")
        else:
            s = s.map(lambda v: str(v).strip(), na_action="ignore")
        if col.default == "" and col.kind != "id":
            s = s.fillna("")
        return s.astype("string") if col.kind != "category" else s.astype(object)
    if col.kind == "date":
        return pd.to_datetime(s, errors="coerce", format="mixed" if s.dtype == object else None)
    if col.kind in ("float", "score"):
        return pd.to_numeric(s, errors="coerce").astype("float64")
    if col.kind == "int":
        return pd.to_numeric(s, errors="coerce").astype("Int64")
    if col.kind == "bool":
        if s.dtype == bool:
            return s
        return s.map(lambda v: str(v).strip().lower() in _TRUE, na_action="ignore").fillna(
            False
        ).astype(bool)
    raise ValueError(col.kind)


def _id_text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def empty_table(table: schema.Table) -> pd.DataFrame:
    """An empty DataFrame with the columns and types of ``table``."""
    return coerce_table(pd.DataFrame({c.name: [] for c in table.columns}), table)


def load(source: str | Path = "sample") -> KamData:
    """Load and type the data at ``source`` (``"sample"`` = the bundled data).

    (Minimal reader: CSV folder only. Validation and other formats: see the full
    implementation.)
    """
    folder = resolve_source(source)
    frames = {}
    for name, table in schema.TABLES.items():
        f = folder / table.file_name
        if f.exists():
            raw = pd.read_csv(f, dtype=str, keep_default_na=False, na_values=[""])
            frames[name] = coerce_table(raw, table)
        else:
            frames[name] = empty_table(table)
    frames["orders"] = add_order_measures(frames["orders"])
    return KamData(**frames, source=str(folder))


def load_answer_key(path: str | Path = ANSWER_KEY_FILE) -> pd.DataFrame:
    """The generator's hidden truth for the bundled data (for checking methods only)."""
    return pd.read_csv(path, dtype={"customer_id": str})


class DataError(ValueError):
    """Data that cannot be used. ``problems`` lists each one (file, column, row, text)."""

    def __init__(self, message: str, problems: list | None = None):
        super().__init__(message)
        self.problems = problems or []
