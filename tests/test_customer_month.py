"""The per-customer-month sums (measures.customer_month) and what a large export takes
from them: the monthly accruals and forecasts of the rebates, their seasonality, and
the supply need and monthly volume of the service chapter. A large table
(measures.SQL_FROM_LINES lines or more) is summed once by month and sliced; these tests
force that path on small tables and compare it with the direct pass over the lines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamlib import measures, rebates, service, settings


def _lines():
    nan = np.nan
    return pd.DataFrame({
        "customer_id": pd.array(["b", "a", "a", "Ä", "b", None, "a", "Z"], dtype="string"),
        "year": [2024, 2024, 2024, 2025, 2025, 2025, 2025, 2024],
        "month": [1, 3, 3, 12, 1, 6, 7, 2],
        "volume_kg": [10.0, 5.0, nan, 2.0, 0.0, 9.0, 1.0, 0.0],
        "revenue": [20.0, 10.0, 3.0, nan, 4.0, 18.0, 2.0, 0.0],
        "quantity_kg": [10.0, 5.0, 7.0, 2.0, 6.0, 9.0, 1.0, 1.0],
    })


@pytest.fixture(autouse=True)
def _fresh_memo():
    measures._SUMS_MEMO.clear()
    yield
    measures._SUMS_MEMO.clear()


@pytest.mark.parametrize("sql_from", [0, 10**12])
def test_known_answers(monkeypatch, sql_from):
    """Missing amounts are skipped, a line without a customer is left out, rows sorted
    by code point, only customer-months with lines; both engines."""
    monkeypatch.setattr(measures, "SQL_FROM_LINES", sql_from)
    t = measures.customer_month(_lines())
    assert t.index.names == ["customer_id", "year", "month"]
    assert t.index.tolist() == [("Z", 2024, 2), ("a", 2024, 3), ("a", 2025, 7),
                                ("b", 2024, 1), ("b", 2025, 1), ("Ä", 2025, 12)]
    assert t.loc[("a", 2024, 3)].tolist() == [5.0, 13.0, 12.0]  # one kg missing
    assert t.loc[("Ä", 2025, 12), "revenue"] == 0.0  # only a missing revenue: 0
    assert list(t.columns) == measures.MONTH_COLUMNS
    assert (t.dtypes == "float64").all()
    one = measures.customer_month(_lines(), [2025])
    assert one.index.tolist() == [("a", 2025, 7), ("b", 2025, 1), ("Ä", 2025, 12)]
    assert len(measures.customer_month(_lines(), [])) == 0


def test_duckdb_equals_pandas_on_the_sample(monkeypatch, sample):
    monkeypatch.setattr(measures, "SQL_FROM_LINES", 0)
    sql = measures.customer_month(sample.orders)
    measures._SUMS_MEMO.clear()
    monkeypatch.setattr(measures, "SQL_FROM_LINES", 10**12)
    pan = measures.customer_month(sample.orders)
    pd.testing.assert_frame_equal(sql, pan, rtol=1e-12, check_exact=False)
    # and the same as summing the lines of one customer-month by hand
    o = sample.orders
    cid, y, m = pan.index[len(pan) // 2]
    sel = o.loc[(o["customer_id"] == cid) & (o["year"] == y) & (o["month"] == m)]
    assert pan.loc[(cid, y, m), "volume_kg"] == pytest.approx(sel["volume_kg"].sum())
    assert pan.loc[(cid, y, m), "quantity_kg"] == pytest.approx(sel["quantity_kg"].sum())
    # every line is counted once: the totals agree
    assert pan["revenue"].sum() == pytest.approx(o["revenue"].sum(), rel=1e-12)


def test_summed_once_and_shared_by_years(monkeypatch, sample):
    monkeypatch.setattr(measures, "SQL_FROM_LINES", 0)
    calls = []
    real = measures._customer_month_sql
    monkeypatch.setattr(measures, "_customer_month_sql",
                        lambda *a: calls.append(1) or real(*a))
    y = int(sample.orders["year"].max())
    measures.customer_month(sample.orders, [y])
    measures.customer_month(sample.orders, [y - 2, y - 1])
    measures.customer_month(sample.orders)
    assert len(calls) == 1


def _both(monkeypatch, fn):
    """``fn()`` on the direct pass over the lines, then as a large table."""
    monkeypatch.setattr(measures, "SQL_FROM_LINES", 10**12)
    measures._SUMS_MEMO.clear()
    small = fn()
    monkeypatch.setattr(measures, "SQL_FROM_LINES", 0)
    measures._SUMS_MEMO.clear()
    big = fn()
    return small, big


def test_rebate_months_and_seasons_of_a_large_table(monkeypatch, sample, default_settings):
    s = settings.for_data(default_settings, sample)
    y = s.period.analysis_year
    o = sample.orders
    for fn in (lambda: rebates.monthly_volumes(o, y),
               lambda: rebates.monthly_volumes(o, y, ids=["C0001", "NOPE"]),
               lambda: rebates.seasonal_shares(o, y, 3),
               lambda: rebates.seasonal_shares(o, y, 2, "revenue", by="company"),
               lambda: rebates.seasonal_shares(o, y, 3, ids=["C0001", "C0002"])):
        small, big = _both(monkeypatch, fn)
        pd.testing.assert_frame_equal(small, big, rtol=1e-9, check_exact=False,
                                      check_index_type=False)
    small, big = _both(monkeypatch, lambda: rebates.monthly_volumes(o, y, ids=["NOPE"]))
    assert (big["volume_kg"] == 0).all() and len(big) == 12  # a customer without lines


def test_accruals_and_forecast_errors_of_a_large_table(monkeypatch, sample,
                                                       default_settings):
    s = settings.for_data(default_settings, sample)
    y = s.period.analysis_year
    for sched in s.rebates.names:
        small, big = _both(monkeypatch, lambda: rebates.accrual(sample, s, sched))
        pd.testing.assert_frame_equal(small, big, rtol=1e-9, check_exact=False)
    small, big = _both(monkeypatch, lambda: rebates.forecast_errors(sample, s, year=y - 1))
    pd.testing.assert_frame_equal(small, big, rtol=1e-9, check_exact=False)
    assert small["customers_paying_back"].sum() > 0  # a result with content


def test_supply_need_and_monthly_volume_of_a_large_table(monkeypatch, sample,
                                                         default_settings):
    s = settings.for_data(default_settings, sample)
    y = s.period.analysis_year
    ids = sorted(sample.customers["customer_id"].astype(str))[:7]
    for fn in (lambda: service.seasonal_need(sample, s),
               lambda: service.seasonal_need(sample, s, ids),
               lambda: service.monthly_volume(sample),
               lambda: service.monthly_volume(sample, ids, [y - 1, y]),
               lambda: service.monthly_volume(sample, ids, [y], value="volume_kg")):
        small, big = _both(monkeypatch, fn)
        pd.testing.assert_frame_equal(small, big, rtol=1e-9, check_exact=False,
                                      check_index_type=False, check_column_type=False)
    need = service.seasonal_need(sample, s, ids)
    assert need.index.tolist() == ids and need[list(range(1, 13))].to_numpy().sum() > 0


def test_a_years_lines_and_normal_prices_are_taken_once(monkeypatch, sample,
                                                        default_settings):
    """The deal, season, pack and economy tables read one year's lines, narrowed to
    the columns they use; the normal prices of a year are computed once for every deal
    type and the bundle table, and give what a fresh computation gives."""
    s = settings.for_data(default_settings, sample)
    rebates._YEAR_MEMO.clear()
    fresh = {d: rebates.deal_effect(sample, s, d) for d in ("off-season", "bundle")}
    pairs = rebates.bundle_pairs(sample, s)
    calls = []
    real = rebates._normal_prices
    monkeypatch.setattr(rebates.deals, "_normal_prices",  # where it is looked up
                        lambda o: calls.append(len(o)) or real(o))
    rebates._YEAR_MEMO.clear()
    again = {d: rebates.deal_effect(sample, s, d) for d in ("off-season", "bundle")}
    pd.testing.assert_frame_equal(rebates.bundle_pairs(sample, s), pairs)
    assert len(calls) == 1
    for d in fresh:
        pd.testing.assert_frame_equal(again[d], fresh[d])
    assert fresh["off-season"]["deal_kg"].sum() > 0
    # a customer subset prices its own lines (its own fallback ratio): computed again
    some = sorted(sample.customers["customer_id"].astype(str))[:30]
    rebates.bundle_pairs(sample, s, customers=some)
    assert len(calls) == 2 and calls[1] < calls[0]
    y = s.period.analysis_year
    lines = rebates._year_lines(sample, y)
    assert set(lines.columns) <= set(rebates.YEAR_LINE_COLUMNS)
    assert len(lines) == int((sample.orders["year"] == y).sum())
    rebates._YEAR_MEMO.clear()
