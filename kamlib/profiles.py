"""Export profiles: the bundled company's data written the way other companies export.

Test data that is not ours (issue 10). Each profile takes the bundled sample (or any
loaded :class:`kamlib.data.KamData`) and writes it as another company's system would:

========================  ===============================================================
``minimal``               one file ``sales.csv``: Customer, Order date, Quantity, Amount
                          (invoiced lines only)
``erp_flat``              one flat file with SAP-style headers ("Sold-to party", "Name of
                          sold-to party", "Material", "Document Date", "Net value",
                          "Goods Issue Date"...), the customer's attributes on every line
``crm``                   every table, CRM-style headers ("Account ID", "Account Name",
                          "Account Owner", "Product Code", "Unit Price"...), customers in
                          ``accounts.csv``
``european``              every table as European Excel writes CSV: ``;``, decimal
                          commas, ``.`` thousands (``2.000``), dates DD.MM.YYYY, ja/nein
``usd_tonnes``            every table in US dollars (1 EUR = 1.08 USD) and tonnes, with
                          unit-free headers ("quantity", "net price"), and a
                          ``kam_settings.toml`` whose ``[company]`` says so
``three_years_2019``      the last three years, moved to end in 2019
``customers_20``          20 of the customers (every 15th id), all their rows
``customers_20000``       20,000 customers (the 300 repeated with new ids), as Parquet
========================  ===============================================================

``kam data generate --profile NAME --out DIR`` writes one. The figures that do not
depend on what a profile leaves out (revenue, concentration, pyramid, classes A/C) are
those of the full data (``tests/test_profiles.py``): the amounts are written to the
cent and the conversions are exact scalings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from kamlib import schema
from kamlib.generate import csv_ready

USD_PER_EUR = 1.08
"""Exchange rate of the ``usd_tonnes`` profile."""
YEARS_SHIFT = -6
"""The ``three_years_2019`` profile moves 2023-2025 to 2017-2019."""


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    write: Callable[[object, Path], list[Path]]
    flat: bool = False  # the profile is one file (its path is the source)


def _tables(kd) -> dict[str, pd.DataFrame]:
    """The standard columns of each table (no order measures)."""
    return {n: getattr(kd, n)[[c for c in t.standard_columns if c in getattr(kd, n)]]
            .copy() for n, t in schema.TABLES.items()}


def _write_csv(df: pd.DataFrame, path: Path, **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, lineterminator="\n", **kw)
    return path


def _write_all(tables: dict[str, pd.DataFrame], out: Path,
               names: dict[str, str] | None = None) -> list[Path]:
    names = names or {}
    return [_write_csv(csv_ready(df), out / f"{names.get(n, n)}.csv")
            for n, df in tables.items()]


def _cents(x: pd.Series) -> pd.Series:
    return x.round(2)


def minimal(kd, out: Path) -> list[Path]:
    """Customer, order date, quantity and amount of each invoiced line."""
    o = kd.orders
    o = o[o["delivered_kg"] > 0]
    df = pd.DataFrame({"Customer": o["customer_id"],
                       "Order date": o["order_date"].dt.strftime("%Y-%m-%d"),
                       "Quantity": o["delivered_kg"],
                       "Amount": _cents(o["revenue"])})
    return [_write_csv(csv_ready(df), out / "sales.csv")]


def erp_flat(kd, out: Path) -> list[Path]:
    """One flat SAP-style billing export with the customer on every line."""
    o = kd.orders.merge(kd.customers, on="customer_id", how="left").merge(
        kd.products[["product_id", "product_name"]], on="product_id", how="left")
    df = pd.DataFrame({
        "Sales Document": o["order_id"], "Sales Document Item": o["order_line"],
        "Sold-to party": o["customer_id"], "Name of sold-to party": o["customer_name"],
        "Industry Key": o["industry"], "Sales District": o["region"],
        "Country Key": o["country"], "Sales Employee": o["account_manager"],
        "Material": o["product_id"], "Material Description": o["product_name"],
        "Document Date": o["order_date"], "Order Quantity": o["quantity_kg"],
        "Delivery quantity": o["delivered_kg"], "Net value": _cents(o["revenue"]),
        "Gross value": _cents(o["list_revenue"]), "Cost of sales": _cents(o["cost_of_goods"]),
        "Requested delivery date": o["promised_delivery_date"],
        "Goods Issue Date": o["actual_delivery_date"],
    })
    return [_write_csv(csv_ready(df), out / "billing_export.csv")]


CRM_HEADERS = {
    "customers": {"customer_id": "Account ID", "customer_name": "Account Name",
                  "industry": "Industry", "region": "Sales Region",
                  "country": "Billing Country", "size_band": "Company Size",
                  "account_manager": "Account Owner", "first_order_date": "Customer Since"},
    "orders": {"order_id": "Order Number", "order_line": "Line Number",
               "customer_id": "Account ID", "product_id": "Product Code",
               "order_date": "Order Date", "quantity_kg": "Quantity",
               "list_price_per_kg": "List Price", "net_price_per_kg": "Unit Price",
               "unit_cost_per_kg": "Unit Cost", "promised_delivery_date": "Requested Date",
               "actual_delivery_date": "Delivery Date",
               "delivered_kg": "Delivered Quantity", "deal_type": "Deal Type"},
}


def crm(kd, out: Path) -> list[Path]:
    """Every table; customers and orders with CRM-style headers."""
    t = _tables(kd)
    for name, headers in CRM_HEADERS.items():
        t[name] = t[name].rename(columns=headers)
    return _write_all(t, out, names={"customers": "accounts"})


def _euro_number(s: pd.Series, decimals: int) -> pd.Series:
    """Numbers as European Excel writes them: ``1.234,50`` (vectorised)."""
    a = s.to_numpy(dtype="float64", na_value=np.nan)
    ok = np.isfinite(a)
    r = np.round(np.where(ok, a, 0.0), decimals)
    neg = r < 0
    whole = np.floor(np.abs(r)).astype(np.int64)
    txt = pd.Series(whole.astype(str), index=s.index).str.replace(
        r"(\d)(?=(\d{3})+$)", r"\1.", regex=True)
    if decimals:
        frac = np.round((np.abs(r) - whole) * 10**decimals).astype(np.int64)
        txt = txt + "," + pd.Series(frac.astype(str), index=s.index).str.zfill(decimals)
    txt = txt.where(~neg, "-" + txt)
    return txt.where(ok, "")


def european(kd, out: Path) -> list[Path]:
    """Every table as European Excel saves CSV."""
    paths = []
    for name, df in _tables(kd).items():
        df = df.copy()
        for c in df.columns:
            s = df[c]
            if pd.api.types.is_datetime64_any_dtype(s):
                df[c] = s.dt.strftime("%d.%m.%Y")
            elif pd.api.types.is_bool_dtype(s):
                df[c] = np.where(s, "ja", "nein")
            elif pd.api.types.is_float_dtype(s) or pd.api.types.is_integer_dtype(s):
                col = schema.TABLES[name].column(c)
                quantity = c.endswith("_kg") and not c.endswith("_per_kg")
                if col.kind == "float" and not quantity \
                        and c not in ("effort_minutes", "days_to_resolve"):
                    df[c] = _euro_number(s, 2)
                elif col.kind == "float":
                    df[c] = _euro_number(s, 0)
        paths.append(_write_csv(df, out / f"{name}.csv", sep=";", encoding="utf-8-sig"))
    return paths


USD_TONNE_HEADERS = {"quantity_kg": "quantity", "delivered_kg": "delivered quantity",
                     "list_price_per_kg": "list price", "net_price_per_kg": "net price",
                     "unit_cost_per_kg": "unit cost"}


def usd_tonnes(kd, out: Path) -> list[Path]:
    """Money in USD, quantities in tonnes (prices per tonne)."""
    t = _tables(kd)
    o = t["orders"]
    for c in ("quantity_kg", "delivered_kg"):
        o[c] = o[c] / 1000.0
    for c in ("list_price_per_kg", "net_price_per_kg", "unit_cost_per_kg"):
        o[c] = o[c] * 1000.0 * USD_PER_EUR
    t["orders"] = o.rename(columns=USD_TONNE_HEADERS)
    p = t["products"]
    for c in ("list_price_per_kg", "unit_cost_per_kg", "packaging_cost_per_kg"):
        p[c] = p[c] * 1000.0 * USD_PER_EUR
    t["products"] = p.rename(columns={"list_price_per_kg": "list price",
                                      "unit_cost_per_kg": "unit cost",
                                      "packaging_cost_per_kg": "packaging cost per t"})
    t["products"] = t["products"].drop(columns=["packaging cost per t"])
    t["products"]["pack_size_kg"] = t["products"]["pack_size_kg"] / 1000.0  # 25 kg = 0.025 t
    t["products"] = t["products"].rename(columns={"pack_size_kg": "pack size"})
    a = t["assessments"]
    a["estimated_annual_use_kg"] = a["estimated_annual_use_kg"] / 1000.0
    t["assessments"] = a.rename(columns={"estimated_annual_use_kg": "estimated annual use"})
    t["rebates"]["rebate_paid"] = t["rebates"]["rebate_paid"] * USD_PER_EUR
    paths = _write_all(t, out)
    from kamlib import settings

    import dataclasses

    s = dataclasses.replace(in_units(settings.load(settings.DEFAULT_SETTINGS_FILE),
                                     quantity=1 / 1000.0, money=USD_PER_EUR, unit="t"),
                            company=settings.CompanySettings(
                                name="Auronia Nutrichem (US books)", currency="USD",
                                quantity_unit="t", product="niacin"))
    note = out / "kam_settings.toml"
    note.write_text(f"# Money in USD (1 EUR = {USD_PER_EUR} USD); quantities in tonnes, "
                    "prices and costs in USD per tonne.\n"
                    "# The project's settings with every amount in USD and every quantity in "
                    "tonnes (kamlib.profiles.in_units).\n"
                    "# Use it: --settings " + str(note) + "\n"
                    + settings.dumps(s), encoding="utf-8")
    return paths + [note]


def in_units(s, *, quantity: float, money: float, unit: str = "t"):
    """Settings ``s`` (decided in kg and EUR) for data in another unit and currency:
    every quantity multiplied by ``quantity`` (kg -> t: 1/1000) and every amount by
    ``money`` (EUR -> USD: 1.08), so that the same customers reach the same rebate tiers,
    count the same packs as big and cost the same to serve.

    Converted: the rebate tiers' thresholds (× ``quantity`` on a kg basis, × ``money`` on
    an EUR basis) and the ``kg`` of their descriptions (-> ``unit``);
    ``segmentation.big_pack_min_kg`` (× quantity); ``rebates.big_pack_other_saving_per_kg``
    (an amount per kg: × money / quantity); ``selection.cost_to_serve``: the freight per
    delivery and each pool's cost per person (× money). Shares, rates, counts, minutes
    and days have no unit and are kept.
    """
    import dataclasses
    import re

    def r(x: float) -> float:  # 120 × 1.08 = 129.6, not 129.60000000000002
        return float(round(x, 9))

    def tier(tr, basis):
        return dataclasses.replace(tr, threshold=r(tr.threshold * (quantity if basis == "kg"
                                                                   else money)))

    schedules = tuple(dataclasses.replace(
        sc, tiers=tuple(tier(tr, sc.basis) for tr in sc.tiers),
        description=re.sub(r"\bkg\b", unit, sc.description)) for sc in s.rebates.schedules)
    reb = dataclasses.replace(
        s.rebates, schedules=schedules,
        big_pack_other_saving_per_kg=r(s.rebates.big_pack_other_saving_per_kg * money / quantity))
    seg = dataclasses.replace(s.segmentation,
                              big_pack_min_kg=r(s.segmentation.big_pack_min_kg * quantity))
    cts = s.selection.cost_to_serve
    cts = dataclasses.replace(
        cts, freight_per_delivery=r(cts.freight_per_delivery * money),
        pools=tuple(dataclasses.replace(p, cost_per_person=r(p.cost_per_person * money))
                    for p in cts.pools))
    sel = dataclasses.replace(s.selection, cost_to_serve=cts)
    return dataclasses.replace(s, rebates=reb, segmentation=seg, selection=sel)


def three_years_2019(kd, out: Path) -> list[Path]:
    """The last three years of history, moved back so that they end in 2019."""
    t = _tables(kd)
    last = int(kd.orders["order_date"].dt.year.max())
    keep = t["orders"]["order_date"].dt.year >= last - 2
    t["orders"] = t["orders"][keep]
    off = pd.DateOffset(years=2019 - last)
    for name, df in t.items():
        for c in df.columns:
            if pd.api.types.is_datetime64_any_dtype(df[c]):
                df[c] = df[c] + off
        if "year" in df.columns:
            df["year"] = df["year"] + (2019 - last)
            t[name] = df[df["year"] >= 2017]
    i = t["interactions"]
    t["interactions"] = i[i["date"].dt.year >= 2017]
    return _write_all(t, out)


def _subset(kd, ids: pd.Index) -> dict[str, pd.DataFrame]:
    t = _tables(kd)
    for name, df in t.items():
        if "customer_id" in df.columns:
            t[name] = df[df["customer_id"].isin(ids)]
    return t


def customers_20(kd, out: Path) -> list[Path]:
    """Every 15th customer (20 of 300) with all their rows."""
    ids = pd.Index(sorted(kd.customers["customer_id"]))[::15][:20]
    return _write_all(_subset(kd, ids), out)


def replicate(kd, n_customers: int) -> dict[str, pd.DataFrame]:
    """The tables with the customers repeated (ids ``<id>-<copy>``) to
    ``n_customers`` customers; order, interaction and contact ids made unique."""
    t = _tables(kd)
    ids = pd.Index(sorted(kd.customers["customer_id"]))
    copies = -(-n_customers // len(ids))
    keep = pd.Index([f"{c}-{k:03d}" for k in range(copies) for c in ids][:n_customers])
    out = {}
    for name, df in t.items():
        if "customer_id" not in df.columns:
            out[name] = df
            continue
        parts = []
        for k in range(copies):  # a handful of copies of whole tables, not of rows
            d = df.copy()
            suffix = f"-{k:03d}"
            d["customer_id"] = d["customer_id"].astype("string") + suffix
            for key in ("order_id", "interaction_id", "contact_id"):
                if key in d.columns:
                    d[key] = d[key].astype("string") + suffix
            parts.append(d)
        big = pd.concat(parts, ignore_index=True)
        out[name] = big[big["customer_id"].isin(keep)].reset_index(drop=True)
    return out


def customers_20000(kd, out: Path) -> list[Path]:
    """20,000 customers (the sample's repeated), as Parquet files."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in replicate(kd, 20_000).items():
        p = out / f"{name}.parquet"
        df.to_parquet(p, index=False)
        paths.append(p)
    return paths


PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("minimal", "one file: Customer, Order date, Quantity, Amount", minimal, True),
    Profile("erp_flat", "one flat file with SAP-style headers and the customer on every "
            "line", erp_flat, True),
    Profile("crm", "every table, CRM-style headers (Account ID, Account Owner...)", crm),
    Profile("european", "every table as European Excel CSV (; decimal commas, 2.000, "
            "DD.MM.YYYY)", european),
    Profile("usd_tonnes", "every table in US dollars and tonnes", usd_tonnes),
    Profile("three_years_2019", "three years ending in 2019", three_years_2019),
    Profile("customers_20", "20 customers", customers_20),
    Profile("customers_20000", "20,000 customers, Parquet", customers_20000),
)}
"""The export profiles by name."""


def write_profile(name: str, out_dir: str | Path, source="sample") -> Path:
    """Write profile ``name`` of the data at ``source`` (default: the bundled sample)
    into ``out_dir``. Returns the path to give ``kam data check``: the folder, or the
    single file of a flat profile."""
    from kamlib import data

    if name not in PROFILES:
        raise ValueError(f"unknown export profile {name!r}; profiles: "
                         f"{', '.join(PROFILES)}")
    kd = source if hasattr(source, "orders") else data.load(source)
    out = Path(out_dir)
    paths = PROFILES[name].write(kd, out)
    return paths[0] if PROFILES[name].flat else out
