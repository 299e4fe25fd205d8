"""What the export profiles (issue 10) found, each with a known answer: the check counts
sales by year as the chapters do (the cut-off convention), a pyramid without costs has an
unknown profit (not 0), the minimal export's key accounts get visits under "unassigned".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamlib import data, measures, profiles, selection, service, settings

ORDERS = """\
order_id,customer_id,order_date,quantity_kg,net_price_per_kg,promised_delivery_date,actual_delivery_date,delivered_kg
SO1,C1,2024-06-03,100,10,2024-06-10,2024-06-12,100
SO2,C1,2024-12-16,200,10,2025-01-08,2025-01-07,200
SO3,C2,2025-03-03,300,10,2025-03-10,2025-03-11,300
SO4,C2,2025-12-22,400,10,2026-01-12,,0
"""


def _export(tmp_path, orders: str):
    folder = tmp_path / "export"
    folder.mkdir(parents=True)
    (folder / "customers.csv").write_text("customer_id,customer_name\nC1,One\nC2,Two\n")
    (folder / "orders.csv").write_text(orders)
    return folder


def test_check_counts_sales_by_year_of_delivery(tmp_path):
    """SO2, ordered in December 2024 and delivered in January 2025, is a 2025 sale; SO4,
    not delivered when the data ends, is in no year: it is the open order book."""
    rep = data.check(_export(tmp_path, ORDERS))
    assert rep.ok, rep.text()
    s = rep.summary
    assert s.sales_by == "delivery"
    assert s.revenue_by_year == pytest.approx({2024: 1_000.0, 2025: 5_000.0})
    assert (s.open_lines, s.open_value) == (1, pytest.approx(4_000.0))
    text = rep.text()
    assert "  by year of delivery: 2024: 1,000; 2025: 5,000" in text
    assert "open order book (not delivered when the data ends, in no year's sales): " \
           "1 line(s), 4,000 at their net prices." in text
    # the chapters count the same (measures.order_measures)
    kd = data.load(_export(tmp_path / "again", ORDERS))
    by = kd.orders.groupby("year")["revenue"].sum()
    assert by.to_dict() == pytest.approx(s.revenue_by_year)


def test_check_without_delivery_dates_counts_at_the_order_date(tmp_path):
    orders = "\n".join(",".join(x for i, x in enumerate(line.split(","))
                                if i not in (5, 6)) for line in ORDERS.splitlines()) + "\n"
    rep = data.check(_export(tmp_path, orders))
    s = rep.summary
    assert s.sales_by == "order" and s.open_lines == 0
    assert s.revenue_by_year == pytest.approx({2024: 3_000.0, 2025: 3_000.0})
    assert "by year of order (no delivery dates: sales count at the order date)" in rep.text()


def test_check_by_year_equals_the_chapters_on_the_sample(sample):
    s = data.check("sample").summary
    by = sample.orders.groupby("year")["revenue"].sum()
    assert s.revenue_by_year == pytest.approx(by.to_dict())
    assert s.open_lines == int(sample.orders["is_open"].sum()) > 0


def test_moving_up_without_costs_has_an_unknown_profit():
    t = pd.DataFrame({"pyramid_tier": ["top", "big", "medium", "small", "small"],
                      "revenue": [100.0, 50.0, 20.0, 10.0, 5.0],
                      "profit": [np.nan] * 5})
    sim = selection.simulate_moving_up(t, selection.PyramidSettings(move_share=0.5))
    assert sim["profit_before"].isna().all() and sim["profit_after"].isna().all()
    assert sim.loc["total", "revenue_before"] == 185.0
    assert sim.loc["total", "movers"] == 2  # round(0.5 × 4 customers below the top)
    with_costs = selection.simulate_moving_up(t.assign(profit=t["revenue"] * 0.1),
                                              selection.PyramidSettings(move_share=0.5))
    assert with_costs.loc["total", "profit_before"] == pytest.approx(18.5)


def test_minimal_export_plans_the_key_accounts_visits_unassigned(tmp_path):
    """The minimal export names no account manager: every key account's visits are
    planned under "unassigned" (as many as with managers named), and the plan says so."""
    kd = data.load(profiles.write_profile("minimal", tmp_path / "m"))
    s = settings.for_data(settings.load(settings.DEFAULT_SETTINGS_FILE), kd)
    acc = service.key_account_table(kd, s)
    assert len(acc) > 0
    plan = service.visit_plan(acc, s, customers=kd.customers)
    assert set(plan.visits["account_manager"]) == {service.UNASSIGNED}
    assert sorted(plan.unassigned) == sorted(acc.index.astype(str))
    assert "The data names no account manager for any key account" in \
        service.unassigned_note(plan)
    freq = service.visit_frequencies(acc, s, kd.customers)
    required = int(freq["visits_per_year"].sum() + freq["executive_visits_per_year"].sum())
    assert len(plan.visits) + int(
        (plan.unplanned["visits_required"] - plan.unplanned["visits_planned"]).sum()) \
        == required


def test_missing_text_reads_as_a_sentence(tmp_path):
    kd = data.load(profiles.write_profile("minimal", tmp_path / "m"))
    assert kd.missing_text("product_details").startswith(
        "The data has no products table, so ")
    assert kd.missing_text("costs").startswith("The data has no cost of goods, so ")


def test_check_compares_the_estimates_with_the_sales_of_the_year(sample):
    """The note "N assessments estimate the annual use below what we sold" counts the
    sales of the year as share of wallet does (year of delivery): the same customers-years
    whose share of wallet is capped at 100 %."""
    import re

    w = measures.share_of_wallet(sample.orders, sample.assessments)
    capped = int((w["volume_kg"] > w["estimated_annual_use_kg"] * 1.001).sum())
    assert capped > 0
    note = next(n for n in data.check("sample").summary.notes if "annual use below" in n)
    assert int(re.search(r"(\d+) assessments estimate", note).group(1)) == capped
    keys = set(w.index[(w["volume_kg"] > w["estimated_annual_use_kg"] * 1.001).to_numpy()])
    a = sample.assessments.reset_index(drop=True)
    rows = [i + 2 for i, k in enumerate(zip(a["customer_id"], a["year"].astype(int)))
            if k in keys][:5]  # the file's rows (header = row 1)
    assert f"(rows {', '.join(map(str, rows))} and {capped - 5} more)" in note
