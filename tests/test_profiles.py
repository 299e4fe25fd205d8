"""Export profiles (issue 10): the bundled company written the way other companies
export it. Each profile checks and loads, and the figures that do not depend on what it
leaves out — revenue, concentration, the pyramid, classes A/C — equal those of the full
data (scaled by the exchange rate, moved by the years, restricted to the customers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamlib import data, measures, profiles, selection
from kamlib.selection import AbcSettings

SMALL = [n for n in profiles.PROFILES if n != "customers_20000"]


@pytest.fixture(scope="module")
def written(sample, tmp_path_factory):
    root = tmp_path_factory.mktemp("profiles")
    return {n: profiles.write_profile(n, root / n, sample) for n in SMALL}


def _figures(kd, year: int, scale: float = 1.0, ids=None) -> dict:
    """Revenue per customer in ``year`` (÷ scale), its concentration, pyramid tiers and
    class A (the ABC top share), for every customer with orders (a sales export cannot
    list a customer who never ordered)."""
    if ids is None:
        ids = pd.unique(kd.orders["customer_id"].astype(str))
    idx = pd.Index(ids, name="customer_id")
    t = measures.customer_totals(kd.orders, [year])
    t.index = t.index.astype(str)
    v = (t["revenue"] / scale).reindex(idx).fillna(0.0).sort_index()
    conc = selection.concentration(pd.DataFrame({"revenue": v}), columns=("revenue",))
    abc = AbcSettings()
    top = selection.cut_classes(v, [abc.top_share, 1.0], ["A", "rest"], basis=abc.basis,
                                boundary=abc.boundary, below="inactive")
    return {"revenue": v, "concentration": conc, "tiers": selection.assign_tiers(v),
            "class_a": sorted(v.index[top.eq("A").to_numpy()]),
            "class_c": sorted(v.index[~top.eq("A").to_numpy()])}


def _same(a: dict, b: dict) -> None:
    pd.testing.assert_series_equal(a["revenue"], b["revenue"], rtol=1e-9, atol=0.01)
    pd.testing.assert_frame_equal(a["concentration"], b["concentration"], rtol=1e-9)
    pd.testing.assert_series_equal(a["tiers"], b["tiers"])
    assert a["class_a"] == b["class_a"] and a["class_c"] == b["class_c"]


@pytest.mark.parametrize("name", SMALL)
def test_each_profile_checks_and_loads(written, name):
    r = data.check(written[name])
    assert r.ok, r.text()
    assert "What the data allows:" in r.text()
    kd = data.load(written[name])
    assert len(kd.orders) and len(kd.customers)


@pytest.mark.parametrize("name", ["minimal", "erp_flat", "crm", "european"])
def test_same_figures_as_the_full_data(sample, written, name):
    kd = data.load(written[name])
    full = sample
    if not kd.has("deliveries"):
        # an export without delivery dates counts its sales at the order date (the
        # cut-off convention, schema.SALES_CONVENTION): compare like with like
        import dataclasses

        full = dataclasses.replace(sample, orders=measures.order_measures(
            sample.orders, deliveries=False))
    for year in (2024, 2025):
        _same(_figures(kd, year), _figures(full, year))


def test_minimal_profile_allows_only_what_it_has(written):
    kd = data.load(written["minimal"])
    assert kd.available == frozenset({"quantities"})
    assert kd.customers["customer_name"].equals(kd.customers["customer_id"])


def test_erp_flat_profile_derives_customers_with_their_attributes(sample, written):
    kd = data.load(written["erp_flat"])
    assert {"costs", "list_prices", "deliveries", "order_numbers", "customer_names",
            "regions", "account_managers", "industries"} <= kd.available
    assert "interactions" not in kd.available and "product_details" not in kd.available
    active = sample.customers[sample.customers["customer_id"].isin(
        sample.orders["customer_id"])].set_index("customer_id").sort_index()
    derived = kd.customers.set_index("customer_id").sort_index()
    for col in ("customer_name", "region", "country", "account_manager", "industry"):
        assert derived[col].tolist() == active[col].tolist(), col
    # gross margin and discounts come through as amounts
    assert kd.orders["gross_margin"].sum() == pytest.approx(
        sample.orders["gross_margin"].sum(), abs=0.01 * len(kd.orders))
    assert kd.orders["discount"].sum() == pytest.approx(
        sample.orders["discount"].sum(), abs=0.01 * len(kd.orders))


def test_crm_and_european_profiles_keep_everything(written):
    for name in ("crm", "european"):
        kd = data.load(written[name])
        assert kd.has("costs", "deliveries", "interactions", "contacts", "assessments",
                      "rebates", "product_details"), (name, kd.available)


def test_european_profile_gives_the_same_totals(sample, written):
    kd = data.load(written["european"])
    for table, col in (("orders", "revenue"), ("orders", "volume_kg"),
                       ("rebates", "rebate_paid"), ("interactions", "effort_minutes"),
                       ("assessments", "estimated_annual_use_kg")):
        assert getattr(kd, table)[col].sum() == pytest.approx(
            getattr(sample, table)[col].sum(), rel=1e-12), (table, col)


def test_usd_tonnes_profile_is_an_exact_scaling(sample, written):
    kd = data.load(written["usd_tonnes"])
    assert kd.orders["revenue"].sum() == pytest.approx(
        sample.orders["revenue"].sum() * profiles.USD_PER_EUR, rel=1e-9)
    assert kd.orders["volume_kg"].sum() == pytest.approx(
        sample.orders["volume_kg"].sum() / 1000, rel=1e-9)
    _same(_figures(kd, 2025, scale=profiles.USD_PER_EUR), _figures(sample, 2025))
    from kamlib import settings

    s = settings.load(written["usd_tonnes"] / "kam_settings.toml")
    assert (s.company.currency, s.company.quantity_unit) == ("USD", "t")


def test_usd_tonnes_settings_are_in_its_units(sample, written):
    """Known answer: the settings of usd_tonnes are the project's in USD and tonnes, so
    that every customer reaches the same rebate tier (on every schedule), the same packs
    are big packs and a customer costs the same to serve (× 1.08) as on the full data."""
    from kamlib import features, rebates, settings

    full_s = settings.load(settings.DEFAULT_SETTINGS_FILE)
    s = settings.load(written["usd_tonnes"] / "kam_settings.toml")
    kd = data.load(written["usd_tonnes"])
    assert [t.threshold for t in s.rebates.schedule("current programme").tiers] == \
        [50.0, 150.0, 300.0]  # 50, 150 and 300 t: the sample's 50,000 kg...
    assert s.segmentation.big_pack_min_kg == 0.5
    assert s.selection.cost_to_serve.freight_per_delivery == pytest.approx(129.6)
    assert "kg" not in s.rebates.schedule("growth").description
    reached_any = False
    for sc in full_s.rebates.schedules:
        a = rebates.simulate(sample, full_s, sc.name, 2025)
        b = rebates.simulate(kd, s, sc.name, 2025)
        b.index = b.index.astype(str)
        a.index = a.index.astype(str)
        pd.testing.assert_series_equal(a["tier"].sort_index(), b["tier"].sort_index(),
                                       check_dtype=False, check_names=False)
        np.testing.assert_allclose(b["rebate"].sort_index(),
                                   a["rebate"].sort_index() * profiles.USD_PER_EUR,
                                   rtol=1e-6, atol=0.01)
        reached_any |= bool((a["tier"] > 0).any())
    assert reached_any  # the comparison is not one of nobody against nobody
    big_a = features.product_flags(sample.products, full_s.segmentation, [2025])[0]["big"]
    big_b = features.product_flags(kd.products, s.segmentation, [2025])[0]["big"]
    assert big_a.sum() > 0 and big_a.to_numpy().tolist() == big_b.to_numpy().tolist()


def test_in_units_converts_every_amount_and_quantity():
    from kamlib import settings

    s = settings.Settings()
    t = profiles.in_units(s, quantity=0.001, money=2.0, unit="t")
    for a, b in zip(s.rebates.schedules, t.rebates.schedules):
        f = 0.001 if a.basis == "kg" else 2.0
        assert [x.threshold * f for x in a.tiers] == pytest.approx([x.threshold for x in b.tiers])
        assert [x.rate for x in a.tiers] == [x.rate for x in b.tiers]
    assert t.rebates.big_pack_other_saving_per_kg == pytest.approx(
        s.rebates.big_pack_other_saving_per_kg * 2000)
    assert [p.cost_per_person for p in t.selection.cost_to_serve.pools] == pytest.approx(
        [2 * p.cost_per_person for p in s.selection.cost_to_serve.pools])
    assert t.selection.cost_to_serve.pools[0].people == s.selection.cost_to_serve.pools[0].people


def test_three_years_ending_2019(sample, written):
    kd = data.load(written["three_years_2019"])
    assert kd.years == [2017, 2018, 2019]
    ids = pd.unique(kd.orders["customer_id"].astype(str))  # who bought in 2023-2025
    # the first year of an export cut by order date lacks the deliveries of the orders
    # placed before it (schema.SALES_CONVENTION): the later years are complete
    for y in (2018, 2019):
        _same(_figures(kd, y), _figures(sample, y + 6, ids=ids))


def test_twenty_customers(sample, written):
    kd = data.load(written["customers_20"])
    ids = sorted(kd.customers["customer_id"])
    assert len(ids) == 20
    sub = sample.orders[sample.orders["customer_id"].isin(ids)]
    assert kd.orders["revenue"].sum() == pytest.approx(sub["revenue"].sum())
    full = _figures(sample, 2025)
    mine = _figures(kd, 2025)
    pd.testing.assert_series_equal(mine["revenue"], full["revenue"].loc[ids])


def test_replicate_for_many_customers(sample):
    t = profiles.replicate(sample, 650)
    assert t["customers"]["customer_id"].nunique() == 650
    assert t["customers"]["customer_id"].iloc[0] == "C0001-000"
    # 650 = 2 full copies of the 300 customers and the first 50 of a third
    first50 = sorted(sample.customers["customer_id"])[:50]
    per = sample.orders.groupby("customer_id")["revenue"].sum()
    expected = 2 * per.sum() + per.reindex(first50).fillna(0).sum()
    o = t["orders"]
    assert (o["delivered_kg"] * o["net_price_per_kg"]).sum() == pytest.approx(expected)
    assert not o.duplicated(["order_id", "order_line"]).any()
    assert np.isin(o["customer_id"], t["customers"]["customer_id"]).all()


def test_twenty_thousand_customers_load(sample, tmp_path):
    path = profiles.write_profile("customers_20000", tmp_path / "big", sample)
    kd = data.load(path)
    assert kd.customers["customer_id"].nunique() == 20_000
    per = sample.orders.groupby("customer_id")["revenue"].sum()
    ids = sorted(sample.customers["customer_id"])
    copies, rest = divmod(20_000, len(ids))
    expected = copies * per.sum() + per.reindex(ids[:rest]).fillna(0).sum()
    assert kd.orders["revenue"].sum() == pytest.approx(expected, rel=1e-12)
    assert kd.available == sample.available


@pytest.mark.parametrize("name", SMALL)
def test_sums_in_duckdb_equal_those_of_pandas_on_every_profile(written, name):
    """From a million lines the per-customer sums come from DuckDB: forced here on each
    export profile (other years, currency, units, fewer columns), the same rows, counts
    and shares, sums equal to rounding, per year and over years."""
    o = data.load(written[name]).orders
    ys = sorted(o["year"].dropna().unique().tolist())
    for keys, years in ((["customer_id", "year"], None), (["customer_id"], None),
                        (["customer_id"], ys[-1:]), (["customer_id", "year"], ys[:2])):
        sql = measures._aggregate(o, keys, years, sql_from_lines=0)
        pan = measures._aggregate(o, keys, years, sql_from_lines=10**12)
        assert len(pan) > 0
        pd.testing.assert_frame_equal(sql, pan, rtol=1e-12, check_exact=False)
    cols = ["customer_id", "year", "month", *measures.MONTH_COLUMNS]
    sql = measures._customer_month_sql(o[cols])  # and the monthly sums
    pan = measures._customer_month_pandas(o[cols])
    assert len(pan) > 0
    pd.testing.assert_frame_equal(sql, pan, rtol=1e-12, check_exact=False)
