"""The per-customer sums computed by DuckDB (large order tables) follow pandas' rules
on the awkward cases: missing amounts, lines without a customer, order numbers missing,
customers with no delivered line, a year set with no lines, names sorted by code point."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamlib import measures


def _lines():
    nan = np.nan
    return pd.DataFrame({
        "customer_id": pd.array(["b", "a", "a", "Ä", "b", None, "a", "Z"], dtype="string"),
        "year": [2024, 2024, 2024, 2025, 2025, 2025, 2025, 2024],
        "order_id": pd.array(["1", "2", "2", "3", None, "4", "5", "6"], dtype="string"),
        "is_delivered": [True, True, False, True, False, True, True, False],
        "on_time_in_full": [True, False, False, True, False, True, True, False],
        "volume_kg": [10.0, 5.0, nan, 2.0, 0.0, 9.0, 1.0, 0.0],
        "revenue": [20.0, 10.0, 3.0, nan, 0.0, 18.0, 2.0, 0.0],
        "list_revenue": [25.0, 10.0, 3.0, 4.0, 0.0, 18.0, 2.0, 0.0],
        "discount": [5.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 0.0],
        "cost_of_goods": [12.0, 6.0, 2.0, 1.0, 0.0, 9.0, 1.0, 0.0],
        "gross_margin": [8.0, 4.0, 1.0, nan, 0.0, 9.0, 1.0, 0.0],
    })


@pytest.mark.parametrize("nullable", [False, True])
@pytest.mark.parametrize("keys", [["customer_id", "year"], ["customer_id"]])
@pytest.mark.parametrize("years", [None, [2024], [2025, 2024], []])
def test_duckdb_sums_follow_pandas_rules(keys, years, nullable):
    o = _lines()
    if nullable:  # an export without the on-time flag of some lines
        o["on_time_in_full"] = pd.array([True, None, False, True, False, None, True, None],
                                        dtype="boolean")
    sql = measures._aggregate(o, keys, years, sql_from_lines=0)
    pan = measures._aggregate(o, keys, years, sql_from_lines=10**12)
    pd.testing.assert_frame_equal(sql, pan, check_index_type=len(pan) > 0)


def test_duckdb_sums_known_answers():
    t = measures._aggregate(_lines(), ["customer_id"], sql_from_lines=0)
    # code point order: upper case before lower case, Ä after both; no row for no customer
    assert t.index.tolist() == ["Z", "a", "b", "Ä"]
    a = t.loc["a"]
    assert a["volume_kg"] == 6.0 and a["revenue"] == 15.0  # the missing kg skipped
    assert a["order_count"] == 2 and a["line_count"] == 3  # orders 2 and 5
    assert a["on_time_in_full_rate"] == pytest.approx(0.5)  # 2 delivered lines, 1 on time
    assert t.loc["b", "order_count"] == 1  # the line without an order number not counted
    assert np.isnan(t.loc["Z", "on_time_in_full_rate"])  # nothing delivered
    assert t.loc["Ä", "revenue"] == 0.0 and np.isnan(t.loc["Ä", "gross_margin_pct"])
    assert t.loc["Z", "net_price_per_kg"] != t.loc["Z", "net_price_per_kg"]  # 0 kg: NaN


def test_a_large_table_is_summed_whole_once_and_sliced(monkeypatch, sample):
    """From SQL_FROM_LINES a years set is cut from the whole customer-year sum (one
    pass shared by every later years set), with the rows of those years only."""
    measures._SUMS_MEMO.clear()
    monkeypatch.setattr(measures, "SQL_FROM_LINES", 0)
    calls = []
    real = measures._aggregate_sql
    monkeypatch.setattr(measures, "_aggregate_sql",
                        lambda *a, **k: calls.append(a[1:]) or real(*a, **k))
    o = sample.orders
    y = int(o["year"].max())
    last_two = measures.customer_year(o, [y - 1, y])
    measures.customer_year(o, [y])
    measures.customer_year(o)
    assert calls == [(["customer_id", "year"], None)]
    assert sorted(last_two.index.get_level_values("year").unique()) == [y - 1, y]
    monkeypatch.setattr(measures, "SQL_FROM_LINES", 10**12)
    measures._SUMS_MEMO.clear()
    pan = measures.customer_year(o, [y - 1, y])
    pd.testing.assert_frame_equal(last_two, pan, rtol=1e-12, check_exact=False)
    measures._SUMS_MEMO.clear()
