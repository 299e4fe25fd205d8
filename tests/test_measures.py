"""The cut-off (sales counted when delivered, open orders apart) and the analysis year."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamlib import measures, settings


def _steady(first="2021-01-01", last="2023-12-31", lead_days=14, kg=100.0, price=2.0):
    """One customer ordering ``kg`` every day, delivered ``lead_days`` later; the export
    ends on ``last``: what would be delivered after it is still open (no date, 0 kg)."""
    days = pd.date_range(first, last, freq="D")
    delivery = days + pd.Timedelta(days=lead_days)
    done = delivery <= pd.Timestamp(last)
    n = len(days)
    return pd.DataFrame({
        "order_id": [f"O{i}" for i in range(n)], "order_line": 1, "customer_id": "C1",
        "product_id": "P1", "order_date": days, "quantity_kg": kg,
        "list_price_per_kg": price, "net_price_per_kg": price, "unit_cost_per_kg": 1.0,
        "promised_delivery_date": delivery,
        "actual_delivery_date": pd.Series(delivery).where(done).to_numpy(),
        "delivered_kg": np.where(done, kg, 0.0), "deal_type": "none",
    })


def test_a_steady_customer_shows_no_change_in_the_last_year():
    o = measures.order_measures(_steady())
    cy = measures.customer_year(o).xs("C1", level="customer_id")
    # 2022 and 2023 have 365 days each: the same deliveries, to the kilogram
    assert cy.loc[2022, "volume_kg"] == pytest.approx(36_500.0)
    assert cy.loc[2023, "volume_kg"] == pytest.approx(36_500.0)
    assert cy.loc[2023, "revenue"] / cy.loc[2022, "revenue"] - 1 == pytest.approx(0.0)
    # counted by order date, the last 14 days' open orders would look like a fall
    by_order = o.groupby("order_year")["volume_kg"].sum()
    assert by_order[2023] / by_order[2022] - 1 == pytest.approx(-14 / 365)
    # the open order book: the last 14 orders, apart
    book = measures.open_order_book(o)
    assert book.loc["C1", "open_lines"] == 14
    assert book.loc["C1", "open_kg"] == pytest.approx(1_400.0)
    assert book.loc["C1", "open_value"] == pytest.approx(2_800.0)
    assert book.loc["C1", "oldest_open_order"] == pd.Timestamp("2023-12-18")
    assert o["open_kg"].sum() == pytest.approx(1_400.0) and o.loc[o["is_open"], "revenue"].sum() == 0


def test_sales_date_year_and_order_month():
    o = measures.order_measures(_steady(first="2022-12-25", last="2023-01-20", lead_days=10))
    first = o.iloc[0]  # ordered 25 Dec 2022, delivered 4 Jan 2023
    assert first["sales_date"] == pd.Timestamp("2023-01-04")
    assert (first["year"], first["month"]) == (2023, 1)
    assert (first["order_year"], first["order_month"]) == (2022, 12)
    last = o.iloc[-1]  # ordered 20 Jan, open: stays in its order month with nothing sold
    assert pd.isna(last["sales_date"]) and last["is_open"] and last["revenue"] == 0
    assert (last["year"], last["month"]) == (2023, 1)


def test_a_line_delivered_without_a_date_counts_at_its_order_date():
    raw = _steady(first="2024-12-30", last="2025-01-02", lead_days=0)
    raw["actual_delivery_date"] = pd.NaT  # an export with no delivery dates
    raw["delivered_kg"] = raw["quantity_kg"]
    o = measures.order_measures(raw)
    assert list(o["year"]) == [2024, 2024, 2025, 2025]
    assert not o["is_open"].any() and o["revenue"].sum() == pytest.approx(800.0)


@pytest.mark.parametrize("last, expected", [
    ("2025-12-31", (2025, False)),   # the data reaches December: 2025 is complete
    ("2025-12-01", (2025, False)),
    ("2026-03-15", (2025, False)),   # 2026 is partial: the year before
    ("2025-11-30", (2024, False)),
])
def test_latest_complete_year(last, expected):
    o = measures.order_measures(_steady(first="2024-01-01", last=last))
    assert measures.latest_complete_year(o) == expected


def test_only_a_partial_year_is_taken_and_said():
    o = measures.order_measures(_steady(first="2025-01-01", last="2025-06-30"))
    assert measures.latest_complete_year(o) == (2025, True)
    note = measures.period_note(o, 2025)
    assert "partial" in note and "January to June" in note


def test_period_note_says_a_later_partial_year_is_left_out():
    o = measures.order_measures(_steady(first="2024-01-01", last="2026-03-15"))
    note = measures.period_note(o, 2025)
    assert note.startswith("Analysis year 2025 (the latest complete year in the data")
    assert "2026, partial" in note and "15 Mar 2026" in note


class _KD:
    def __init__(self, orders):
        self.orders = orders
        self.source = "/tmp/not-the-sample"


def test_for_data_resolves_the_year():
    kd = _KD(measures.order_measures(_steady(first="2023-01-01", last="2025-08-31")))
    s = settings.Settings()
    assert s.period.analysis_year == 0
    assert settings.for_data(s, kd).period.analysis_year == 2024
    assert settings.for_data(s, kd, 2025).period.analysis_year == 2025  # asked: wins
    fixed = settings.replace(s, "period.analysis_year", 2023)
    assert settings.for_data(fixed, kd).period.years[-1] == 2023
    with pytest.raises(settings.SettingsError, match="no sales in 2019.*2023-2025"):
        settings.for_data(s, kd, 2019)
    with pytest.raises(settings.SettingsError, match="for_data"):
        s.period.years


def test_capacity_above_100_percent_is_said():
    from kamlib import costing

    rep = pd.DataFrame({"utilisation": [0.5, 1.25, 0.9]},
                       index=pd.Index(["sales", "logistics", "total"], name="pool"))
    w = costing.capacity_warnings(rep)
    assert len(w) == 1 and "'logistics' is used at 125%" in w[0]
    assert costing.capacity_warnings(rep.iloc[[0]]) == []


def test_without_delivery_dates_every_line_is_a_sale_at_its_order_date():
    raw = _steady(first="2024-12-30", last="2025-01-02", lead_days=30)  # all would be open
    o = measures.order_measures(raw.assign(delivered_kg=raw["quantity_kg"]), deliveries=False)
    assert list(o["year"]) == [2024, 2024, 2025, 2025] and not o["is_open"].any()
    assert o["is_delivered"].all() and o["on_time"].isna().all()


def test_amount_columns_win_over_price_times_quantity():
    raw = _steady(first="2025-01-01", last="2025-01-02", lead_days=0)
    raw["net_amount"] = [150.0, np.nan]  # the second line falls back to 100 kg x 2.0
    o = measures.order_measures(raw)
    assert list(o["revenue"]) == [150.0, 200.0]


def test_customer_sums_are_computed_once_per_order_table(sample, monkeypatch):
    """customer_year and customer_totals remember their result per order-line table
    (and years): the same numbers, one pass; a changed copy of the returned table does
    not leak into the next call; another table (a filtered one) is computed afresh."""
    calls = []
    real = measures._aggregate
    monkeypatch.setattr(measures, "_aggregate",
                        lambda o, keys, years=None: calls.append(len(o)) or real(o, keys, years))
    measures._SUMS_MEMO.clear()
    orders = sample.orders
    first = measures.customer_year(orders)
    first.loc[first.index[0], "revenue"] = -1.0  # the caller's copy
    again = measures.customer_year(orders)
    assert len(calls) == 1
    assert again.loc[again.index[0], "revenue"] != -1.0
    pd.testing.assert_frame_equal(again, real(orders, ["customer_id", "year"]))
    y = int(orders["year"].max())
    t1 = measures.customer_totals(orders, [y])
    t2 = measures.customer_totals(orders, [y])
    assert len(calls) == 2
    pd.testing.assert_frame_equal(t1, t2)
    assert t1["revenue"].sum() == pytest.approx(orders.loc[orders["year"] == y, "revenue"].sum())
    assert measures.customer_totals(orders, [y - 1])["revenue"].sum() == pytest.approx(
        orders.loc[orders["year"] == y - 1, "revenue"].sum())
    assert len(calls) == 3
    part = orders.loc[orders["year"] == y]
    assert measures.customer_year(part).index.get_level_values("year").unique().tolist() == [y]
    assert len(calls) == 4


def test_customer_year_of_some_years_equals_those_rows_of_the_whole(sample):
    """customer_year(orders, years) gives the rows of those years, whether computed on
    the lines of those years or taken from the whole table's sum already made."""
    measures._SUMS_MEMO.clear()
    orders = sample.orders
    y = int(orders["year"].max())
    some = measures.customer_year(orders, [y - 1, y])
    whole = measures.customer_year(orders)
    want = whole.loc[whole.index.get_level_values("year").isin([y - 1, y])]
    pd.testing.assert_frame_equal(some, want)
    pd.testing.assert_frame_equal(measures.customer_year(orders, [y, y - 1]), want)
    assert sorted(some.index.get_level_values("year").unique()) == [y - 1, y]
