"""The DuckDB engine: the per-customer-year facts equal kamlib.measures.customer_year
(hand-computed lines, the bundled sample, a small generated company as CSV and Parquet),
and the SQL checks of the order lines find what is wrong.

If this test fails after a change of kamlib.measures.customer_year (for example a new
cut-off convention), make the same change in kamlib.engine.FACTS_SQL.
"""

from __future__ import annotations

import math
import shutil

import numpy as np
import pandas as pd
import pytest

from kamlib import data, engine, generate, measures


def _lines(rows):
    cols = ["order_id", "order_line", "customer_id", "product_id", "order_date",
            "quantity_kg", "list_price_per_kg", "net_price_per_kg", "unit_cost_per_kg",
            "promised_delivery_date", "actual_delivery_date", "delivered_kg", "deal_type"]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("order_date", "promised_delivery_date", "actual_delivery_date"):
        df[c] = pd.to_datetime(df[c])
    for c in ("quantity_kg", "list_price_per_kg", "net_price_per_kg", "unit_cost_per_kg",
              "delivered_kg"):
        df[c] = df[c].astype(float)
    for c in ("order_id", "customer_id", "product_id"):
        df[c] = df[c].astype("string")
    return df


HAND = _lines([
    # C1 2024, order O1: line 1 on time in full; line 2 short (50 of 60 kg)
    ("O1", 1, "C1", "P1", "2024-01-02", 100, 2.5, 2.0, 1.5, "2024-01-10", "2024-01-09", 100, "none"),
    ("O1", 2, "C1", "P1", "2024-01-02", 60, 3.0, 3.0, 2.0, "2024-01-10", "2024-01-10", 50, "none"),
    # C1 2025, order O2: not delivered yet
    ("O2", 1, "C1", "P1", "2025-12-20", 10, 2.5, 2.0, 1.5, "2026-01-05", None, 0, "none"),
    # C2 2024, order O3: late, sold below cost
    ("O3", 1, "C2", "P1", "2024-03-01", 10, 1.0, 1.0, 1.2, "2024-03-01", "2024-03-05", 10, "none"),
])


def test_facts_by_hand():
    f = engine.customer_year(HAND)
    c1 = f.loc[("C1", 2024)]
    assert c1["volume_kg"] == 150
    assert c1["revenue"] == pytest.approx(350)        # 100 × 2 + 50 × 3
    assert c1["list_revenue"] == pytest.approx(400)   # 100 × 2.5 + 50 × 3
    assert c1["discount"] == pytest.approx(50)
    assert c1["cost_of_goods"] == pytest.approx(250)  # 100 × 1.5 + 50 × 2
    assert c1["gross_margin"] == pytest.approx(100)
    assert c1["order_count"] == 1 and c1["line_count"] == 2
    assert c1["on_time_in_full_rate"] == pytest.approx(0.5)
    assert c1["net_price_per_kg"] == pytest.approx(350 / 150)
    assert c1["discount_pct"] == pytest.approx(0.125)
    assert c1["gross_margin_pct"] == pytest.approx(100 / 350)
    open_ = f.loc[("C1", 2025)]
    assert open_["volume_kg"] == 0 and open_["line_count"] == 1
    assert math.isnan(open_["on_time_in_full_rate"]) and math.isnan(open_["net_price_per_kg"])
    c2 = f.loc[("C2", 2024)]
    assert c2["gross_margin"] == pytest.approx(-2.0)
    assert c2["gross_margin_pct"] == pytest.approx(-0.2)
    assert c2["on_time_in_full_rate"] == 0.0
    assert list(f.index) == [("C1", 2024), ("C1", 2025), ("C2", 2024)]


def _same(facts, expected):
    assert list(facts.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(facts, expected, check_exact=False, rtol=1e-9)


def test_hand_lines_equal_measures():
    _same(engine.customer_year(HAND), measures.customer_year(data.add_order_measures(HAND)))


def test_sample_files_equal_measures(sample):
    expected = measures.customer_year(sample.orders)
    _same(engine.customer_year("sample"), expected)
    _same(engine.customer_year(sample.orders), expected)


@pytest.fixture(scope="module")
def small_company(tmp_path_factory):
    """20 customers, 2017-2019, as Parquet and as CSV (two folders)."""
    root = tmp_path_factory.mktemp("company")
    cfg = generate.GeneratorConfig(n_customers=20, years=3, end_year=2019, seed=11)
    generate.write_dataset(cfg, root / "pq", parquet=True, csv=False,
                           answer_key_dir=root / "key")
    generate.write_dataset(cfg, root / "csv", answer_key_dir=root / "key")
    return root


@pytest.mark.parametrize("kind", ["pq", "csv"])
def test_generated_company_equals_measures(small_company, kind):
    folder = small_company / kind
    kd = data.load(folder)
    assert kd.years == [2017, 2018, 2019]
    _same(engine.customer_year(folder), measures.customer_year(kd.orders))


def test_check_orders_clean_sample():
    r = engine.check_orders("sample")
    assert r.ok and r.failed == {}
    import pandas as pd

    from kamlib.data import SAMPLE_DIR

    assert r.lines == len(pd.read_csv(SAMPLE_DIR / "orders.csv", usecols=[0]))
    assert r.years == (2021, 2022, 2023, 2024, 2025)


def test_check_orders_finds_each_problem(small_company, tmp_path):
    folder = tmp_path / "broken"
    shutil.copytree(small_company / "csv", folder)
    o = pd.read_csv(folder / "orders.csv", dtype=str)
    o.loc[0, "quantity_kg"] = "-5"                      # negative
    o.loc[1, "customer_id"] = "C9999"                   # unknown customer
    o.loc[2, "actual_delivery_date"] = "1990-01-01"     # before the order
    o.loc[3, "deal_type"] = "black friday"              # not on the list
    o = pd.concat([o, o.iloc[[5]]])                     # a repeated order line
    o.to_csv(folder / "orders.csv", index=False)
    r = engine.check_orders(folder)
    assert r.failed == {"quantity_kg below 0": 1, "unknown customer": 1,
                        "delivered before the order date": 1,
                        "deal_type not on the list": 1,
                        "order_id + order_line repeated": 1}
    # the full report (file, column, row) is kamlib.data.check's, and agrees
    report = data.check(folder)
    assert not report.ok
    text = report.problems_text()
    assert "C9999" in text and "quantity_kg" in text


def test_check_orders_missing_column(tmp_path):
    folder = tmp_path / "x"
    folder.mkdir()
    # only the customer, the order date and the line's value are required of an export
    HAND.drop(columns=["order_date"]).to_parquet(folder / "orders.parquet")
    assert engine.check_orders(folder).failed == {"order_date missing": 1}


def test_auto_engine_chooses_by_size(small_company, monkeypatch):
    folder = small_company / "pq"
    assert not engine.use_engine(folder, "auto")          # small file: pandas
    assert engine.use_engine(folder, "duckdb")
    assert not engine.use_engine(folder, "pandas")
    monkeypatch.setattr(engine, "AUTO_THRESHOLD_BYTES", 10)
    assert engine.use_engine(folder, "auto")
    with pytest.raises(ValueError, match="engine must be"):
        engine.use_engine(folder, "spark")


def test_folder_without_orders_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="orders.parquet or orders.csv"):
        engine.customer_year(tmp_path)
