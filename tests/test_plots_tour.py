"""kamlib.plots.tour: the figures of chapter 00 draw the numbers computed by hand."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from kamlib.plots import tour  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _orders(rows):
    """rows: (customer_id, product_id, year, month, volume_kg, revenue, deal_type)."""
    df = pd.DataFrame(rows, columns=["customer_id", "product_id", "year", "month",
                                     "volume_kg", "revenue", "deal_type"])
    return df.astype({"year": "int64", "month": "int64", "volume_kg": float,
                      "revenue": float})


ORDERS = _orders([
    ("C1", "P1", 2024, 1, 100, 1_000_000, "none"),
    ("C1", "P1", 2024, 7, 300, 500_000, "off-season"),
    ("C1", "P2", 2025, 1, 200, 2_000_000, "none"),
    ("C2", "P1", 2025, 2, 200, 600_000, "none"),
    ("C3", "P2", 2025, 2, 100, 400_000, "none"),  # C3 is missing from customers
])
CUSTOMERS = pd.DataFrame({"customer_id": ["C1", "C2"],
                          "industry": ["feed premix", "pharma"],
                          "region": ["Nordics", "Nordics"]})
PRODUCTS = pd.DataFrame({
    "product_id": ["P1", "P2", "P3"],
    "product_name": ["Feed bag", "Feed big bag", "Pharma drum"],
    "grade": ["feed", "feed", "pharma"],
    "is_economy_grade": [False, True, False],
    "pack_type": ["bag", "big bag", "drum"],
})


def _bars(ax):
    return [p for p in ax.patches if isinstance(p, matplotlib.patches.Rectangle)]


def test_revenue_by_year():
    ax = tour.revenue_by_year(ORDERS)
    heights = [b.get_height() for b in _bars(ax)]
    assert heights == pytest.approx([1.5, 3.0])  # EUR m: 1.0 + 0.5; 2.0 + 0.6 + 0.4
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["1.5", "3.0\n+100%"]
    assert "EUR m" in ax.get_ylabel()


def test_revenue_by_industry_of_one_year_with_unknown_customers():
    ax = tour.revenue_by_industry(ORDERS, CUSTOMERS, 2025)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    widths = [b.get_width() for b in _bars(ax)]
    # 2025: feed premix (C1) 2.0 m, pharma (C2) 0.6 m, unknown (C3) 0.4 m; smallest first
    assert labels == ["(unknown)", "pharma", "feed premix"]
    assert widths == pytest.approx([0.4, 0.6, 2.0])
    assert [t.get_text() for t in ax.texts] == ["0.4  (13%)", "0.6  (20%)", "2.0  (67%)"]


def test_a_year_without_orders_is_a_clear_error():
    with pytest.raises(ValueError, match="no orders in 2019.*2024-2025.*analysis_year"):
        tour.revenue_by_industry(ORDERS, CUSTOMERS, 2019)


def test_monthly_seasonality_averages_each_years_shares():
    ax = tour.monthly_seasonality(ORDERS)
    bars = _bars(ax)[:12]
    heights = np.array([b.get_height() for b in bars])
    # 2024: Jan 100 / 400 = 25 %, Jul 300 / 400 = 75 %.
    # 2025: Jan 200 / 500 = 40 %, Feb 300 / 500 = 60 %. Averages per month:
    expected = np.zeros(12)
    expected[0], expected[1], expected[6] = 32.5, 30.0, 37.5
    assert heights == pytest.approx(expected)
    assert heights.sum() == pytest.approx(100)
    # July (off-season deals) is hatched, the other months are not
    assert [bool(b.get_hatch()) for b in bars] == [m == 7 for m in range(1, 13)]
    assert ax.lines[0].get_ydata()[0] == pytest.approx(100 / 12)


def test_customers_by_region_counts_distinct_buyers():
    ax = tour.customers_by_region(ORDERS, CUSTOMERS, 2025)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    widths = [b.get_width() for b in _bars(ax)]
    assert labels == ["(unknown)", "Nordics"]
    assert widths == [1, 2]  # C3; C1 and C2
    assert [t.get_text() for t in ax.texts] == ["1  (13% of revenue)", "2  (87% of revenue)"]


def test_product_range_keeps_price_list_order_and_unsold_products():
    from kamlib import formatting

    with formatting.using(formatting.SAMPLE_COMPANY):  # EUR and kg, whatever ran before
        ax = tour.product_range(ORDERS, PRODUCTS, 2025)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Pharma drum", "Feed big bag", "Feed bag"]  # bottom-up = P3, P2, P1
    bars = _bars(ax)[:3]
    assert [b.get_width() for b in bars] == pytest.approx([0.0, 0.3, 0.2])  # tonnes
    assert [str(b.get_hatch() or "") for b in bars] == ["...", "///", ""]
    texts = [t.get_text() for t in ax.texts]
    # 2025 net prices: P2 (2.0 m + 0.4 m) / 300 kg; P1 0.6 m / 200 kg; P3 not sold
    assert texts == ["pharma, n/a", "feed economy, EUR 8000.00/kg", "feed, EUR 3000.00/kg"]
