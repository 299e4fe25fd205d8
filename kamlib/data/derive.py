"""What the loader derives: the :class:`KamData` it returns, the completion of order
lines from what an export gives, the tables derived from a flat file, what the data
allows (capabilities), and the measures of each order line.

How absent columns are represented
----------------------------------
A loaded export always has every table and every column of ``kamlib.schema`` (plus the
order measures), whatever it gave, so the rest of ``kamlib`` can run on it:

- a column that is not given is **empty**: NaN for numbers, NaT for dates, <NA> for ids
  (``product_id``), ``""`` for optional text (``industry``, ``region``,
  ``account_manager``), its default for yes/no and categories (``deal_type`` =
  ``"none"``); a table not given is empty (0 rows, typed columns);
- what can be derived is derived, each rule said in the notes
  (``schema.ORDER_VALUE_RULES``): ``order_id`` (one order per customer and day),
  ``delivered_kg`` = ``quantity_kg`` (and back), ``net_price_per_kg`` = ``net_amount``
  / ``delivered_kg``, the list value from a discount, the cost from a margin,
  ``customer_name`` = ``customer_id``, the ``customers`` table from the order lines;
- ``KamData.given``: table -> the columns the source gave (or that were derived
  from given ones), ``KamData.available``: the names of ``schema.CAPABILITIES`` the
  data allows (``"costs"``, ``"deliveries"``, ``"interactions"``...). A method that
  needs one checks ``kd.has("costs")`` and, when it is missing, says
  ``kd.missing_text("costs")`` instead of computing on NaN;
- order measures that cannot be computed are NaN (``list_revenue``, ``discount``,
  ``discount_pct`` without list prices; ``cost_of_goods``, ``gross_margin`` without
  costs); without delivery dates every line counts as delivered (``is_delivered``
  True: a sales export lists what was sold), ``days_late`` is NaN and ``on_time``,
  ``in_full``, ``on_time_in_full`` are <NA> (pandas ``boolean``).

A ``KamData`` built by hand (tests) has every capability unless told otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kamlib import schema

ALL_CAPABILITIES = frozenset(schema.CAPABILITIES)


@dataclass(frozen=True)
class KamData:
    """The tables of one company's data, validated and typed.

    Attributes are DataFrames named after the tables of ``kamlib.schema``:
    ``customers``, ``products``, ``orders`` (with derived measures),
    ``interactions``, ``contacts``, ``assessments``, ``rebates``. ``source`` says where
    the data came from; ``notes`` lists what the loader noticed without refusing the
    data (a renamed column, a Windows-1252 file, an optional table missing...).
    ``given``: table -> the columns the source gave (empty mapping = not recorded:
    everything); ``available``: the capabilities (``schema.CAPABILITIES``) the data
    allows. See the module docstring for how absent columns are represented.
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
    available: frozenset[str] = ALL_CAPABILITIES
    given: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def first_date(self) -> pd.Timestamp:
        if self.lazy:
            return self.orders.summary.first_date
        return self.orders["order_date"].min()

    @property
    def last_date(self) -> pd.Timestamp:
        if self.lazy:
            return self.orders.summary.last_date
        return self.orders["order_date"].max()

    @property
    def years(self) -> list[int]:
        """Calendar years with orders (of the sales dates), oldest first."""
        if self.lazy:
            return list(self.orders.summary.years)
        return sorted(int(y) for y in self.orders["year"].unique())

    @property
    def lazy(self) -> bool:
        """True when the order lines were left in their file (``load(...,
        engine="duckdb")``, :class:`kamlib.data.lazy.LazyTable`)."""
        from kamlib.data.lazy import is_lazy

        return is_lazy(self.orders)

    def has(self, *capabilities: str) -> bool:
        """True when the data allows every capability named (``kd.has("costs")``).
        Unknown names raise ``ValueError`` (a typo must not read as "missing")."""
        for c in capabilities:
            _capability(c)
        return all(c in self.available for c in capabilities)

    def missing(self, *capabilities: str) -> list[str]:
        """The capabilities named that the data does not allow, in the order given."""
        return [c for c in capabilities if not self.has(c)]

    def missing_text(self, capability: str) -> str:
        """One sentence for a reader: what is missing and what to add, e.g. "The data
        has no cost of goods: add the cost or the margin of each line (...)"."""
        cap = _capability(capability)
        what = re.sub(r"^(?:a|an|the) ", "", cap.meaning)  # "no products table", not "no a"
        return (f"The data has no {what}, so {cap.unlocks} cannot be shown. "
                f"To unlock it, add {cap.add}.")


def _capability(name: str) -> schema.Capability:
    try:
        return schema.CAPABILITIES[name]
    except KeyError:
        import difflib

        near = difflib.get_close_matches(name, list(schema.CAPABILITIES), n=1)
        hint = f" Did you mean {near[0]!r}?" if near else ""
        raise ValueError(f"unknown capability {name!r}.{hint} Known: "
                         f"{', '.join(schema.CAPABILITIES)}.") from None


def capabilities(given: dict[str, set[str] | frozenset[str]]) -> frozenset[str]:
    """The capabilities allowed by ``given`` (table -> columns given; a table counts as
    given when it is a key with at least one column)."""
    out = set()
    for cap in schema.CAPABILITIES.values():
        for alt in cap.given_by:
            ok = True
            for item in alt:
                table, _, col = item.partition(".")
                cols = given.get(table)
                if not cols or (col and col not in cols):
                    ok = False
                    break
            if ok:
                out.add(cap.name)
                break
    return frozenset(out)


def complete_orders(o: pd.DataFrame, given: set[str]) -> tuple[pd.DataFrame, list[str],
                                                               set[str]]:
    """Complete typed order lines from the columns an export gave
    (``schema.ORDER_VALUE_RULES``). Returns (orders, notes, columns now known).

    ``o``: the orders as read, with every schema column (absent ones empty); ``given``:
    the columns the source gave. Vectorised; the input frame is not modified. The
    alternative input forms ``discount_amount``, ``discount_share`` and
    ``margin_amount`` are converted and dropped; ``net_amount``, ``list_amount`` and
    ``cost_amount`` stay (EUR per line). A derived ``order_id`` is not counted as known
    (the ``order_numbers`` capability stays off)."""
    o = o.copy(deep=False)
    notes: list[str] = []
    known = set(given)
    q, d = "quantity_kg" in given, "delivered_kg" in given
    if q and not d:
        o["delivered_kg"] = o["quantity_kg"]
        known.add("delivered_kg")
        notes.append("orders: no delivered quantity; each line's quantity is taken as "
                     "delivered in full.")
    elif d and not q:
        o["quantity_kg"] = o["delivered_kg"]
        known.add("quantity_kg")
        notes.append("orders: no ordered quantity; the delivered quantity is taken as "
                     "the quantity ordered.")
    dk = o["delivered_kg"].to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(all="ignore"):
        per_kg_ok = np.isfinite(dk) & (dk > 0)

        def per_kg(amount: np.ndarray) -> np.ndarray:
            return np.where(per_kg_ok, amount / np.where(per_kg_ok, dk, 1.0), np.nan)

        from_price = dk * o["net_price_per_kg"].to_numpy(dtype="float64", na_value=np.nan)
        if "net_amount" in given:
            net = o["net_amount"].to_numpy(dtype="float64", na_value=np.nan)
            if "net_price_per_kg" not in given and (q or d):
                o["net_price_per_kg"] = per_kg(net)
                known.add("net_price_per_kg")
                notes.append("orders: net price per unit = net amount / delivered "
                             "quantity (empty where nothing was delivered).")
        else:
            net = from_price
            o["net_amount"] = net
            known.add("net_amount")

        def amount(col_amount: str, col_price: str, extra) -> tuple[np.ndarray, str]:
            out = np.full(len(o), np.nan)
            how = ""
            if col_amount in given:
                out = o[col_amount].to_numpy(dtype="float64", na_value=np.nan).copy()
                how = col_amount
            if col_price in given:
                p = dk * o[col_price].to_numpy(dtype="float64", na_value=np.nan)
                fill = np.isnan(out)
                out[fill] = p[fill]
                how = how or col_price
            for name, fn in extra:
                if name in given:
                    v = fn()
                    fill = np.isnan(out)
                    out[fill] = v[fill]
                    how = how or name
            return out, how

        def disc_share() -> np.ndarray:
            s = o["discount_share"].to_numpy(dtype="float64", na_value=np.nan)
            if np.nanmax(s, initial=0.0) > 1:
                s = s / 100.0
                notes.append("orders: discount_share has values above 1, so the whole "
                             "column is read as percent (8 = 8 %).")
            return np.where(s < 1, net / (1 - np.where(s < 1, s, 0.0)), np.nan)

        la, how = amount("list_amount", "list_price_per_kg", (
            ("discount_amount", lambda: net + o["discount_amount"].to_numpy(
                dtype="float64", na_value=np.nan)),
            ("discount_share", disc_share)))
        o["list_amount"] = la
        if how:
            known.update({"list_amount"})
            if "list_price_per_kg" not in given and (q or d):
                o["list_price_per_kg"] = per_kg(la)
                known.add("list_price_per_kg")
            if how in ("discount_amount", "discount_share"):
                notes.append(f"orders: list value = net amount {'+ discount' if how == 'discount_amount' else '/ (1 − discount share)'} "
                             f"(from {how}).")
        ca, how = amount("cost_amount", "unit_cost_per_kg", (
            ("margin_amount", lambda: net - o["margin_amount"].to_numpy(
                dtype="float64", na_value=np.nan)),))
        o["cost_amount"] = ca
        if how:
            known.add("cost_amount")
            if "unit_cost_per_kg" not in given and (q or d):
                o["unit_cost_per_kg"] = per_kg(ca)
                known.add("unit_cost_per_kg")
            if how == "margin_amount":
                notes.append("orders: cost of goods = net amount − margin (from "
                             "margin_amount).")
    o = o.drop(columns=[c for c in ("discount_amount", "discount_share", "margin_amount")
                        if c in o.columns])
    if "order_id" not in given:
        day = o["order_date"].dt.strftime("%Y%m%d")
        o["order_id"] = (o["customer_id"].astype("string") + "-" + day.astype("string"))
        o["order_line"] = (o.groupby("order_id", sort=False, dropna=False).cumcount() + 1
                           ).astype("Int64")
        notes.append("orders: no order numbers; the lines of one customer on one day "
                     "are taken as one order (<customer_id>-<YYYYMMDD>), numbered 1, 2, "
                     "3... in file order.")
    return o, notes, known


def derive_table(o: pd.DataFrame, key: str, columns: list[str]):
    """One row per ``key`` value of the order lines with the attributes they carry:
    the value on the latest order line (by ``order_date``, then file order) where
    they differ. Returns (table, conflicts) with ``conflicts`` column -> Series of
    the number of distinct values per key, for keys with more than one."""
    sub = o[[key, "order_date", *columns]].copy()
    for c in columns:
        if sub[c].dtype == object or isinstance(sub[c].dtype, pd.StringDtype):
            sub[c] = sub[c].mask(sub[c].astype("string").str.strip() == "")
    sub = sub.sort_values("order_date", kind="stable")
    g = sub.groupby(key, sort=True, dropna=True)
    table = g[columns].last() if columns else pd.DataFrame(index=g.size().index)
    conflicts = {}
    if columns:
        n = g[columns].nunique(dropna=True)
        for c in columns:
            bad = n[c][n[c] > 1]
            if len(bad):
                conflicts[c] = bad
    return table.reset_index(), conflicts


def add_order_measures(orders: pd.DataFrame, deliveries: bool = True) -> pd.DataFrame:
    """Add the derived measures of each order line (:func:`kamlib.measures.order_measures`:
    sales counted when delivered, the open order book apart; ``deliveries=False`` when
    the export has no delivery dates). Returns a new DataFrame."""
    from kamlib import measures

    return measures.order_measures(orders, deliveries)
