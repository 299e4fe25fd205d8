"""Each phenomenon the generator planted is measurably present in the bundled data.

The measurements here are deliberately plain pandas on the raw tables (independent of
the chapters' code), so that a lesson never rests on data that does not show it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

LAST = 2025


@pytest.fixture(scope="module")
def raw(sample):
    o = sample.orders
    return {
        "o": o,
        "vol": o.pivot_table(index="customer_id", columns="year", values="volume_kg",
                             aggfunc="sum", fill_value=0.0),
        "rev": o.pivot_table(index="customer_id", columns="year", values="revenue",
                             aggfunc="sum", fill_value=0.0),
    }


def test_revenue_is_concentrated(raw):
    r = raw["rev"][LAST].sort_values(ascending=False)
    top = int(round(0.2 * len(r)))
    share = r.iloc[:top].sum() / r.sum()
    assert 0.75 <= share <= 0.85, share


def test_large_customers_losing_money(sample, raw, answer_key):
    """Planted loss makers are among the biggest and lose money after discounts,
    rebates and a plain cost to serve (standard minutes x 1 EUR/min + EUR 120 freight
    per delivery)."""
    loss = answer_key.index[answer_key["is_loss_making_large"]]
    assert 2 <= len(loss) <= 8
    r = raw["rev"][LAST].sort_values(ascending=False)
    rank = pd.Series(np.arange(1, len(r) + 1), index=r.index)
    assert (rank[loss] <= np.ceil(0.1 * len(r))).all()  # among the largest 10 %
    o = raw["o"].query("year == @LAST")
    gm = o.groupby("customer_id")["gross_margin"].sum()
    reb = sample.rebates.query("year == @LAST").set_index("customer_id")["rebate_paid"]
    it = sample.interactions[sample.interactions["date"].dt.year == LAST]
    minutes = {"visit": 240, "executive visit": 480, "call": 20, "complaint": 180,
               "service request": 60, "technical request": 240, "trial": 960,
               "training": 480, "price negotiation": 120}
    it_min = it["type"].map(minutes).groupby(it["customer_id"]).sum()
    lines = o.groupby("customer_id").size()
    orders = o.groupby("customer_id")["order_id"].nunique()
    cts = it_min.reindex(r.index, fill_value=0) + 30 * lines + 45 * orders + 120 * orders
    profit = gm - reb.reindex(r.index, fill_value=0) - cts.reindex(r.index, fill_value=0)
    assert (profit[loss] < 0).all(), profit[loss]
    # and they are not simply small-margin: the rest of the top 30 is mostly profitable
    others = r.index[:30].difference(loss)
    assert (profit[others] > 0).mean() >= 0.9


def test_mid_size_customers_growing_two_years(sample, raw, answer_key):
    grow = answer_key.index[answer_key["is_growing"]]
    v = raw["vol"]
    g1 = v[LAST] / v[LAST - 1] - 1
    g0 = v[LAST - 1] / v[LAST - 2] - 1
    growing = (g1 >= 0.10) & (g0 >= 0.10)
    assert growing[grow].mean() >= 0.8, growing[grow].mean()
    # mid-size: not in the top 20 % by revenue
    r = raw["rev"][LAST].rank(ascending=False)
    assert (r[grow] > 0.2 * len(r)).all()
    coop = sample.assessments.query("year == @LAST").set_index("customer_id")["cooperation"]
    assert (coop.reindex(grow) >= 4).mean() >= 0.9


def test_decaying_relationships(sample, raw, answer_key):
    dec = answer_key.index[answer_key["is_decaying"]]
    assert len(dec) >= 5
    v = raw["vol"]
    falling = v.loc[dec, LAST] < 0.8 * v.loc[dec, LAST - 2]
    assert falling.mean() >= 0.8
    # share of wallet falls: their total use does not fall with our volume
    a = sample.assessments.set_index(["customer_id", "year"])["estimated_annual_use_kg"]
    sow = v.stack().rename("kg").to_frame().join(a, how="inner")
    sow = (sow["kg"] / sow["estimated_annual_use_kg"]).unstack()
    assert (sow.loc[dec, LAST] < sow.loc[dec, LAST - 2]).mean() >= 0.8
    # complaints rise: last two years vs the years before, per year
    c = sample.interactions.query("type == 'complaint'")
    per_year = c.groupby([c["customer_id"], c["date"].dt.year]).size().unstack(fill_value=0)
    per_year = per_year.reindex(dec, fill_value=0)
    recent = per_year[[LAST - 1, LAST]].mean(axis=1)
    before = per_year[[y for y in per_year.columns if y < LAST - 1]].mean(axis=1)
    assert (recent > before).mean() >= 0.8
    # decision makers not contacted for months
    k = sample.contacts.query("is_decision_maker")
    days = (pd.Timestamp(f"{LAST}-12-31") - k.groupby("customer_id")["last_contact_date"].max())
    assert (days.reindex(dec).dt.days > 120).all()
    others = days.index.difference(dec)
    assert days[others].dt.days.median() < 60


def test_seasonality_with_an_off_season(raw):
    o = raw["o"]
    # the planted seasonality is the customers' ordering: by order month
    m = o.groupby("order_month")["quantity_kg"].sum()
    m = m / m.mean()
    assert (m[[6, 7, 8]] < 0.85).all(), m
    assert (m[[9, 10, 11]] > 1.15).all(), m
    assert set(o.loc[o["deal_type"] == "off-season", "order_month"]) <= {6, 7, 8}


def test_sensitivity_types_drive_behaviour(sample, answer_key):
    o = sample.orders.merge(sample.products[["product_id", "is_economy_grade", "is_custom"]],
                            on="product_id")
    key = answer_key["sensitivity"]
    counts = key.value_counts(normalize=True)
    assert set(counts.index) == {"price", "service", "technology", "mixed"}
    assert (counts >= 0.1).all()

    per = pd.DataFrame({
        "deal_share": o.assign(d=o["deal_type"] != "none", v=o["volume_kg"])
        .pipe(lambda x: (x["v"] * x["d"]).groupby(x["customer_id"]).sum()
              / x["v"].groupby(x["customer_id"]).sum()),
        "economy_share": o.assign(e=o["volume_kg"] * o["is_economy_grade"])
        .groupby("customer_id")["e"].sum() / o.groupby("customer_id")["volume_kg"].sum(),
        "custom_share": o.assign(e=o["volume_kg"] * o["is_custom"])
        .groupby("customer_id")["e"].sum() / o.groupby("customer_id")["volume_kg"].sum(),
        "orders": o.groupby("customer_id")["order_id"].nunique(),
    })
    it = sample.interactions
    n = it.groupby(["customer_id", "type"]).size().unstack(fill_value=0)
    per = per.join(n, how="left").fillna(0)
    per["sens"] = key
    med = per.groupby("sens").median(numeric_only=True)

    def higher(col, typ, factor=1.5):
        others = med.drop(index=[typ, "mixed"])[col].max()
        assert med.loc[typ, col] > factor * others, (col, med[col].to_dict())

    higher("deal_share", "price")
    higher("economy_share", "price")
    higher("price negotiation", "price")
    higher("service request", "service")
    per["complaints_per_order"] = per["complaint"] / per["orders"]
    med = per.groupby("sens").median(numeric_only=True)
    higher("complaints_per_order", "service")
    higher("technical request", "technology")
    higher("trial", "technology")
    assert med.loc["technology", "custom_share"] > 0.05 > med.loc["price", "custom_share"]


def test_new_product_adopted_by_technology_customers_first(sample, answer_key):
    o = sample.orders
    launch = sample.products.set_index("product_id").loc["P11", "launch_date"]
    first = o[o["product_id"] == "P11"].groupby("customer_id")["order_date"].min()
    days = (first - launch).dt.days
    sens = answer_key["sensitivity"].reindex(days.index)
    assert days[sens == "technology"].median() < days[sens != "technology"].median()
    k = answer_key.reindex(first.index)
    tech_side = (k["sensitivity"] == "technology") | k["mixed_types"].fillna("").str.contains(
        "technology")
    assert tech_side.mean() > 0.6


def test_inactive_and_new_customers_exist(raw, answer_key):
    v = raw["vol"]
    churned = answer_key.index[answer_key["is_churned"]]
    assert (v.loc[churned, LAST] == 0).all()
    new = answer_key.index[answer_key["is_new"]]
    assert (v.reindex(new)[v.columns.min()] == 0).mean() >= 0.8
