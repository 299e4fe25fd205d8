"""kamlib.tables: the formatted tables of the chapters, on small hand-made frames."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from kamlib import formatting, tables


@pytest.fixture(autouse=True)
def _sample_company():
    """The headers speak the current company's units: these tests use the sample's."""
    if hasattr(formatting, "using"):
        with formatting.using(formatting.SAMPLE_COMPANY):
            yield
    else:
        yield


def _frame():
    return pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3", "C4"],
            "customers": [278.0, 3.0, 1200.0, 0.0],
            "revenue": [75_791_898.25, -0.2, np.nan, 1234.5],
            "revenue_share": [0.82, 0.004, 0.0, 0.1234],
            "volume_kg": [6_743_550.0, 2.0, 3.0, 4.0],
            "net_price_per_kg": [6.8312, 7.0, 8.0, 9.999],
            "reason": ["big customer, not key: it loses money after discounts, rebates "
                       "and cost to serve"] * 4,
            "is_key": [True, False, True, False],
            "year": [2025, 2024, 2023, 2022],
        }
    ).set_index("customer_id")


def test_units_in_headers_and_numbers_as_a_sales_person_reads_them():
    t = tables.table(_frame(), top=None)
    assert list(t.cells.columns) == [
        "customer id", "customers", "revenue (EUR)", "revenue share", "volume (kg)",
        "net price (EUR/kg)", "reason", "is key", "year",
    ]
    row = t.cells.iloc[0]
    assert row["customers"] == "278"            # a count, not 278.00
    assert row["revenue (EUR)"] == "75,791,898"  # thousands separators, whole euros
    assert row["revenue share"] == "82%"
    assert row["volume (kg)"] == "6,743,550"
    assert row["net price (EUR/kg)"] == "6.83"
    assert row["is key"] == "yes"
    assert row["year"] == "2025"                # no thousands separator in a year
    assert t.cells.iloc[1]["revenue share"] == "0.4%"   # not "0%": small but not zero
    assert t.cells.iloc[2]["revenue share"] == "0%"
    assert t.cells.iloc[3]["revenue share"] == "12%"
    assert t.cells.iloc[1]["revenue (EUR)"] == "0"      # -0.2 rounds to 0, not "-0"
    assert t.cells.iloc[2]["revenue (EUR)"] == tables.MISSING
    assert t.cells.iloc[3]["net price (EUR/kg)"] == "10.00"


def test_text_is_kept_whole_and_wraps_in_html():
    t = tables.table(_frame())
    long = _frame()["reason"].iloc[0]
    assert t.cells.iloc[0]["reason"] == long  # never cut with "…"
    html = t.to_html()
    assert long in html
    assert re.search(r"td\.text \{[^}]*white-space: normal", html)
    assert 'class="data row0 col6 text"' in html


def test_top_n_with_and_n_more():
    t = tables.table(_frame(), top=2, what="customers")
    assert len(t.cells) == 2 and t.more == 2 and t.total_rows == 4
    assert t.note == "… and 2 more customers"
    assert t.to_text().splitlines()[-1] == "… and 2 more customers"
    assert "… and 2 more customers" in t.to_html()
    one = tables.table(_frame(), top=3, what="customers")
    assert one.note == "… and 1 more customer"
    assert tables.table(_frame(), top=10).note == ""


def test_explicit_formats_and_decimals():
    t = tables.table(_frame(), formats={"revenue_share": "pct:1", "volume_kg": "tonnes",
                                        "customers": "number:1"}, top=None)
    assert t.cells.iloc[0]["revenue share"] == "82.0%"
    assert t.cells.iloc[0]["volume (t)"] == "6,743.6"  # 6,743,550 kg
    assert t.cells.iloc[0]["customers"] == "278.0"


def test_row_formats_for_a_transposed_summary():
    summary = pd.DataFrame(
        {"revenue": [278, 75_791_898.25, 0.7834, 0.82], "volume_kg": [278, 6_743_550, 0.77, 0.81]},
        index=["customers", "total", "gini", "top_20pct"],
    )
    t = tables.table(summary, row_formats={"customers": "count", "total": "number:0",
                                           "gini": "number:2", "top_20pct": "pct"})
    assert t.cells["revenue"].tolist() == ["278", "75,791,898", "0.78", "82%"]
    assert t.cells["volume kg"].tolist() == ["278", "6,743,550", "0.77", "81%"]


def test_series_and_plain_index():
    s = pd.Series([3, 11], index=pd.Index(["top", "big"], name="pyramid_tier"), name="customers")
    t = tables.table(s)
    assert list(t.cells.columns) == ["pyramid tier", "customers"]
    assert t.cells["customers"].tolist() == ["3", "11"]
    plain = tables.table(pd.DataFrame({"x": [1.5, 2.25]}))
    assert list(plain.cells.columns) == ["x"] and plain.cells["x"].tolist() == ["1.50", "2.25"]


def test_html_is_stable_between_runs_and_escapes():
    df = pd.DataFrame({"name": ["<b>A & B</b>"], "revenue": [1.0]})
    a, b = tables.table(df).to_html(), tables.table(df.copy()).to_html()
    assert a == b  # the same table gives the same HTML (no random ids)
    assert "&lt;b&gt;A &amp; B&lt;/b&gt;" in a and "<b>A" not in a
    other = tables.table(pd.DataFrame({"name": ["C"], "revenue": [2.0]})).to_html()
    assert re.search(r'id="(T_\w+)"', a).group(1) != re.search(r'id="(T_\w+)"', other).group(1)


def test_plain_text_aligns_numbers_right():
    t = tables.table(pd.DataFrame({"customer": ["a", "bb"], "orders": [5, 1200]}))
    lines = repr(t).splitlines()
    assert lines == ["customer  orders", "a              5", "bb         1,200"]


def test_column_kind_guesses():
    k = tables.column_kind
    assert k("gross_margin", pd.Series([1.5])) == "eur"
    assert k("profit_margin", pd.Series([0.2])) == "pct"
    assert k("on_time_in_full", pd.Series([0.95])) == "pct"
    assert k("unit_minutes", pd.Series([240.0])) == "minutes"
    assert k("segment", pd.Series(["price"])) == "text"
    assert k("order_date", pd.to_datetime(pd.Series(["2025-01-02"]))) == "date"
    assert k("score", pd.Series([3.0, 4.0])) == "count"
    assert k("score", pd.Series([3.5])) == "number"


def test_a_names_last_word_says_what_it_holds():
    k = tables.column_kind
    # a rank of revenue is a position, not money; a mean rank of ties is not whole
    assert k("revenue_rank", pd.Series([1, 2, 3])) == "count"
    assert k("revenue_rank", pd.Series([1.0, 2.5, 2.5])) == "number"
    assert k("revenue", pd.Series([1.0, 2.5])) == "eur"
    # tonnes already: shown as they are, with the unit t
    assert k("volume_t", pd.Series([2.5, 1200.0])) == "t"
    assert k("tonnes", pd.Series([2.5])) == "t"
    assert k("volume_kg", pd.Series([2500.0])) == "kg"
    assert k("price_per_t", pd.Series([9.5])) != "t"
    # a confidence is a 0-1 score, not a share of anything
    assert k("confidence", pd.Series([0.83, 0.5])) == "number"
    assert k("revenue_share", pd.Series([0.83])) == "pct"


def test_tonnes_are_divided_once():
    t = tables.table(pd.DataFrame({"volume_t": [2.5, 1234.0], "volume_kg": [2500.0, 1234000.0],
                                   "revenue_rank": [1, 2], "confidence": [0.834, 0.5]}),
                     formats={"volume_kg": "tonnes"})
    assert list(t.cells.columns) == ["volume (t)", "volume (t)", "revenue rank", "confidence"]
    assert t.cells.iloc[:, 0].tolist() == ["2.5", "1,234.0"]
    assert t.cells.iloc[:, 1].tolist() == ["2.5", "1,234.0"]
    assert t.cells["revenue rank"].tolist() == ["1", "2"]
    assert t.cells["confidence"].tolist() == ["0.83", "0.50"]


def test_bad_formats_are_refused_clearly():
    with pytest.raises(ValueError, match="unknown table format 'percent'.*pct"):
        tables.table(_frame(), formats={"revenue_share": "percent"})
    with pytest.raises(ValueError, match="'turnover'.*not columns"):
        tables.table(_frame(), formats={"turnover": "eur"})
    with pytest.raises(ValueError, match="column 'reason' holds text"):
        tables.table(_frame(), formats={"reason": "eur"})
    with pytest.raises(ValueError, match="top must be"):
        tables.table(_frame(), top=0)


def test_empty_table():
    t = tables.table(_frame().iloc[:0])
    assert len(t.cells) == 0 and t.note == ""
    assert "<table" in t.to_html()


def test_headers_follow_the_current_company_units():
    if not hasattr(formatting, "Company"):
        pytest.skip("kamlib.formatting has no company setting on this branch yet")
    with formatting.using(formatting.Company(currency="CHF", quantity_unit="l")):
        t = tables.table(pd.DataFrame({"revenue": [1.0], "volume_kg": [2.0],
                                       "net_price_per_kg": [3.0]}))
    assert list(t.cells.columns) == ["revenue (CHF)", "volume (l)", "net price (CHF/l)"]


def test_row_formats_leave_an_unnamed_index_as_text():
    summary = pd.DataFrame({"revenue": [278.0, 0.7834]}, index=["customers", "gini"])
    t = tables.table(summary, row_formats={"customers": "count", "gini": "number:2"})
    assert t.cells.iloc[:, 0].tolist() == ["customers", "gini"]
    assert t.cells["revenue"].tolist() == ["278", "0.78"]


def test_one_kind_per_row_for_a_column_of_mixed_measures():
    df = pd.DataFrame({"measure": ["volume change", "days since contact", "service gap"],
                       "score 0 at": [-0.25, 300.0, 3.0], "weight": [2.0, 2.0, 1.0]})
    t = tables.table(df, formats={"score 0 at": ["pct", "days", "count"], "weight": "number:1"})
    assert list(t.cells.iloc[:, 1]) == ["-25%", "300", "3"]
    assert list(t.cells.iloc[:, 2]) == ["2.0", "2.0", "1.0"]
    # shown rows only, but one kind per row of the whole table
    t = tables.table(df, formats={"score 0 at": ["pct", "days", "count"]}, top=2)
    assert list(t.cells.iloc[:, 1]) == ["-25%", "300"]
    with pytest.raises(ValueError, match="3 rows"):
        tables.table(df, formats={"score 0 at": ["pct", "days"]})


def test_review_component_thresholds_read_as_a_sales_person_expects():
    from kamlib import review

    assert set(review.COMPONENT_KINDS) == set(review.COMPONENTS)
    df = pd.DataFrame({"score 0 at": [300.0, 20.0, 0.7]})
    kinds = [review.COMPONENT_KINDS[c] for c in ("contacts", "resolution", "delivery")]
    t = tables.table(df, formats={"score 0 at": kinds})
    assert list(t.cells.iloc[:, 0]) == ["300", "20", "70%"]  # days are whole, not 300.00


def test_a_break_even_share_outside_0_to_100_percent_reads_as_words():
    from kamlib import rebates

    # the sample's P05 + P01 bundle: EUR 43,413 given away, normal margin EUR -4,309
    n = rebates.break_even_share([43_413, 26_312, 0.0, 10.0, np.nan, -1_204],
                                 [-4_309, 30_215, 100, 5, 1, -10_718])
    assert np.isinf(n[0]) and n[0] > 0            # no share of new volume pays
    assert n[1] == pytest.approx(26_312 / 30_215)
    assert n[2] == 0.0                             # nothing given away: pays already
    assert n[3] == pytest.approx(2.0)              # deal price below cost
    assert np.isnan(n[4])
    # priced above normal but below cost: 11% would be a ceiling, not a break-even floor
    assert np.isnan(n[5])
    n = n[:5]
    t = tables.table(pd.DataFrame({"break_even_new_share": n}))
    assert list(t.cells.iloc[:, 0]) == ["never pays", "87%", "0%", "never pays", "–"]
    assert "−1,007" not in t.to_text() and "-1,007" not in t.to_text()
    # deal arithmetic agrees: price 10 -> 9, cost 9.5: even all-new volume loses money
    d = rebates.deal_arithmetic(1.0, 10.0, 9.0, 9.5, 1.0)
    assert d["margin_effect"].iloc[0] < 0 and d["break_even_new_share"].iloc[0] > 1
    assert tables.column_kind("break_even_new_share", pd.Series([0.5])) == "break_even"
