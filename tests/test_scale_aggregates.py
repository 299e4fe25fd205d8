"""Large exports without the order lines in pandas: ``data.load(engine="duckdb")``
leaves the order lines and interactions in their files (validated by SQL), and the
stages after the facts work on SQL aggregates that are the same query over a file or
over loaded lines. Checked against the pandas path (same segments, same indicators,
same rebate projection) on the bundled sample and on export profiles, and against
hand-computed sums on a few lines."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from kamlib import data, engine, measures, profiles, rebates, schema, segmentation, settings
from kamlib.data.lazy import LazyTable, NotLoadedError


@pytest.fixture(scope="module")
def lazy_sample():
    return data.load("sample", engine="duckdb")


@pytest.fixture(scope="module")
def s(sample):
    return settings.for_data(settings.Settings(), sample)


def test_lazy_load_leaves_lines_in_the_file(sample, lazy_sample):
    kd = lazy_sample
    assert isinstance(kd.orders, LazyTable) and isinstance(kd.interactions, LazyTable)
    assert kd.lazy and not sample.lazy
    assert len(kd.orders) == len(sample.orders)
    assert len(kd.interactions) == len(sample.interactions)
    assert kd.years == sample.years
    assert kd.first_date == sample.first_date and kd.last_date == sample.last_date
    assert measures.data_end(kd.orders) == measures.data_end(sample.orders)
    assert measures.latest_complete_year(kd.orders) == measures.latest_complete_year(
        sample.orders)
    assert kd.available == sample.available
    for t in ("customers", "products", "contacts", "assessments", "rebates"):
        pd.testing.assert_frame_equal(getattr(kd, t), getattr(sample, t))
    with pytest.raises(NotLoadedError, match="left in the file"):
        kd.orders.loc[:, "revenue"]


def test_customer_month_same_over_file_and_loaded_lines(sample, lazy_sample):
    a = engine.customer_month(lazy_sample)
    b = engine.customer_month(sample.orders)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)
    # an independent pandas group-by of the loaded lines (sales month)
    o = sample.orders
    g = o.groupby([o["customer_id"].astype(str), "year", "month"])[
        ["volume_kg", "revenue"]].sum()
    got = a.set_index(["customer_id", "year", "month"])[["volume_kg", "revenue"]]
    got.index = got.index.set_levels(got.index.levels[0].astype(str).astype(object), level=0)
    pd.testing.assert_frame_equal(got, g, check_exact=False, rtol=1e-9, check_dtype=False,
                                  check_names=False, check_index_type=False)


def test_hand_made_sums():
    """Two customers, five lines: the window sums and the bad-delivery reaction by hand."""
    rows = pd.DataFrame({
        "order_id": ["O1", "O1", "O2", "O3", "O4"],
        "order_line": [1, 2, 1, 1, 1],
        "customer_id": ["A", "A", "A", "B", "B"],
        "product_id": ["P1", "P2", "P1", "P1", "P1"],
        "order_date": ["2024-01-10", "2024-01-10", "2024-01-20", "2024-06-01", "2023-06-01"],
        "quantity_kg": [100.0, 50.0, 80.0, 10.0, 999.0],
        "list_price_per_kg": [2.0, 4.0, 2.0, 2.0, 2.0],
        "net_price_per_kg": [1.5, 4.0, 2.0, 1.0, 1.0],
        "unit_cost_per_kg": [1.0, 1.0, 1.0, 1.0, 1.0],
        "promised_delivery_date": ["2024-01-12", "2024-01-12", "2024-01-25", "2024-06-05",
                                   "2023-06-05"],
        "actual_delivery_date": ["2024-01-15", "2024-01-12", "2024-01-24", "2024-06-05",
                                 "2023-06-05"],
        "delivered_kg": [100.0, 40.0, 80.0, 10.0, 999.0],
        "deal_type": ["promotion", "none", "none", "none", "none"],
    })
    o = data.add_order_measures(data.coerce_table(rows, schema.ORDERS))
    flags = pd.DataFrame({"product_id": ["P1", "P2"], "economy": [True, False],
                          "big": [False, True], "custom": [False, False],
                          "is_new": [False, True], "list_price": [3.0, np.nan]})
    ss = engine.segment_sums(o, flags, pd.Timestamp("2024-01-01"),
                             pd.Timestamp("2024-12-31"), deal_types=["promotion"],
                             off_season_months=[1], window_days=30,
                             new_since=pd.Timestamp("2024-01-01"))
    c = ss.customers.set_index("customer_id")
    assert c.loc["A", "orders"] == 2 and c.loc["B", "orders"] == 1  # 2023 line outside
    assert c.loc["A", "volume_kg"] == 220.0 and c.loc["A", "deal_kg"] == 100.0
    assert c.loc["A", "off_season_kg"] == 220.0 and c.loc["B", "off_season_kg"] == 0.0
    assert c.loc["A", "economy_kg"] == 180.0 and c.loc["A", "big_pack_kg"] == 40.0
    assert c.loc["A", "new_product_kg"] == 40.0 and c.loc["A", "since_new_kg"] == 220.0
    # discount = 100 x (2 - 1.5) + 40 x 0 + 80 x 0 = 50 on list revenue 200 + 160 + 160
    assert c.loc["A", "discount"] == pytest.approx(50.0)
    assert c.loc["A", "list_revenue"] == pytest.approx(520.0)
    q = ss.quarters.set_index("customer_id")
    # A, 2024 Q1: kg 220; revenue 150 + 160 + 160; reference P1 at 3.0 (180 kg), P2 at
    # its own list price (40 kg x 4)
    assert q.loc["A", "t"] == 2024 * 4 and q.loc["A", "kg"] == 220.0
    assert q.loc["A", "rev"] == pytest.approx(470.0)
    assert q.loc["A", "ref"] == pytest.approx(180 * 3.0 + 160.0)
    b = ss.bad_delivery.set_index("customer_id")
    # A: late 15 Jan (line 1) and short 12 Jan (line 2): two bad days, 12 and 15 Jan;
    # their 30-day windows cover 12 Jan - 13 Feb (3 + 30 days); the order of 20 Jan
    # (80 kg) falls inside, those of 10 Jan (150 kg) not
    assert b.loc["A", "bad_deliveries"] == 2 and b.loc["A", "days_after"] == 33
    assert b.loc["A", "kg_after"] == 80.0 and b.loc["A", "kg_ordered"] == 230.0
    assert b.loc["B", "bad_deliveries"] == 0 and np.isnan(b.loc["B", "kg_after"])


def test_segments_and_indicators_same_by_both_engines(sample, lazy_sample, s):
    ids = segmentation.key_account_ids(sample, s)
    a = segmentation.segments(sample, s, customers=ids)
    b = segmentation.segments(lazy_sample, s, customers=ids)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)
    ia = segmentation.indicators(sample, s, customers=ids)
    ib = segmentation.indicators(lazy_sample, s, customers=ids)
    pd.testing.assert_frame_equal(ia, ib, check_exact=False, rtol=1e-9)
    assert len(a) == len(ids) > 10


def test_rebate_projection_same_from_facts(sample, lazy_sample, s):
    ids = segmentation.key_account_ids(sample, s)
    seg = segmentation.segments(sample, s, customers=ids)
    a = rebates.account_projection(sample, s, segments=seg)  # from the loaded lines
    b = rebates.account_projection(lazy_sample, s, segments=seg,
                                   customer_year=engine.customer_year(lazy_sample))
    assert len(a) > 0
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)


def test_a_problem_in_a_file_gets_the_full_report(tmp_path):
    folder = tmp_path / "broken"
    shutil.copytree(data.SAMPLE_DIR, folder)
    o = pd.read_csv(folder / "orders.csv", dtype=str)
    o.loc[6, "quantity_kg"] = "-5"
    o.to_csv(folder / "orders.csv", index=False)
    with pytest.raises(data.DataError) as err:
        data.load(folder, engine="duckdb")
    text = str(err.value)
    assert "orders.csv" in text and "quantity_kg" in text and "8" in text  # row 8


def test_other_headers_are_read_by_pandas(sample, tmp_path):
    """An export whose headers are not the schema's (the CRM profile) is loaded as
    usual, with the same segments as the full data."""
    folder = profiles.write_profile("crm", tmp_path / "crm")
    kd = data.load(folder, engine="duckdb")
    assert not kd.lazy
    assert kd.years == sample.years


@pytest.mark.parametrize("name", ["three_years_2019", "customers_20"])
def test_profiles_same_by_both_engines(tmp_path, name):
    folder = profiles.write_profile(name, tmp_path / name)
    p = data.load(folder)
    lz = data.load(folder, engine="duckdb")
    st = settings.for_data(settings.Settings(), p)
    assert lz.years == p.years
    ids = list(p.customers["customer_id"].astype(str)[:12])
    a = segmentation.segments(p, st, customers=ids)
    b = segmentation.segments(lz, st, customers=ids)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(engine.customer_year(lz), measures.customer_year(p.orders),
                                  check_exact=False, rtol=1e-9, check_index_type=False)


def test_analysis_of_lazy_data_takes_the_facts_from_the_file(sample, lazy_sample):
    from kamlib import analysis

    a = analysis.Analysis(lazy_sample, settings.Settings())
    assert a.use_duckdb and a.year == analysis.Analysis(sample, settings.Settings()).year
    pd.testing.assert_frame_equal(a.facts, measures.customer_year(sample.orders),
                                  check_exact=False, rtol=1e-9, check_index_type=False)
