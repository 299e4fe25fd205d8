"""The bundled sample tells the textbook story (issue 16, point 7).

- The whale curve (cumulative profit, customers from the most to the least profitable)
  peaks at 150-300 % of total profit, the range Cooper & Kaplan (1991) and Kaplan &
  Narayanan (2001) report, and a handful of large customers - the loss makers the
  generator planted (answer key) - destroy much of the profit.
- A service-sensitive key account orders visibly less in the 90 days after a late or
  short delivery; the other key accounts hardly react.

Each figure is measured twice: with the project's pipeline (what the chapters show)
and with plain pandas on the raw tables (independent of it). The expectations come
from the literature and the answer key, not from the sample's own output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamlib import segmentation, selection

LAST = 2025


def _peak_share(profit: pd.Series) -> float:
    """Highest cumulative profit (customers by profit, best first) / total profit."""
    p = profit.sort_values(ascending=False).to_numpy()
    return float(max(0.0, np.cumsum(p).max()) / p.sum())


def test_peak_share_on_a_known_example():
    # +10 +5 -3 -2: cumulative 10, 15, 12, 10; total 10 -> peak 150 %
    assert _peak_share(pd.Series([-3.0, 10.0, -2.0, 5.0])) == pytest.approx(1.5)
    w = selection.whale_summary(pd.Series([-3.0, 10.0, -2.0, 5.0]))
    assert w["peak_share"] == pytest.approx(1.5) and w["loss_makers"] == 2


@pytest.fixture(scope="module")
def key_table(sample, default_settings):
    return selection.key_accounts(sample, default_settings)


def test_whale_curve_peaks_in_the_textbook_range(key_table):
    ka = key_table
    served = ka["is_active"] | (ka["cost_to_serve"] > 0)  # as chapter 01 draws it
    w = selection.whale_summary(ka.loc[served, "profit"])
    assert 1.5 <= w["peak_share"] <= 3.0, w
    # the most profitable fifth alone makes more than all the profit
    assert w["top20_share"] > 1.0, w


def test_whale_curve_with_plain_pandas(sample, answer_key):
    """Profit = gross margin - rebates - a plain cost to serve (standard minutes x
    1 EUR/min + EUR 120 freight per order), independent of kamlib.costing."""
    o = sample.orders.query("year == @LAST")
    gm = o.groupby("customer_id")["gross_margin"].sum()
    reb = sample.rebates.query("year == @LAST").groupby("customer_id")["rebate_paid"].sum()
    it = sample.interactions[sample.interactions["date"].dt.year == LAST]
    minutes = {"visit": 240, "executive visit": 480, "call": 20, "complaint": 180,
               "service request": 60, "technical request": 240, "trial": 960,
               "training": 480, "price negotiation": 120}
    it_min = it["type"].map(minutes).groupby(it["customer_id"]).sum()
    orders = o.groupby("customer_id")["order_id"].nunique()
    cts = (it_min.reindex(gm.index, fill_value=0) + 15 * o.groupby("customer_id").size()
           + (30 + 120) * orders)
    profit = gm - reb.reindex(gm.index, fill_value=0) - cts
    assert 1.5 <= _peak_share(profit) <= 3.0
    # a handful of large loss makers: the planted ones lose money and make up a large
    # part of all the losses, though they are few
    planted = answer_key.index[answer_key["is_loss_making_large"]]
    assert 2 <= len(planted) <= 8
    assert (profit.reindex(planted) < 0).all()
    losses = -profit.clip(upper=0).sum()
    assert -profit.reindex(planted).sum() >= 0.4 * losses
    rev = o.groupby("customer_id")["revenue"].sum().rank(ascending=False)
    assert (rev.reindex(planted) <= 0.1 * len(rev)).all()  # among the largest 10 %


def test_the_pipeline_finds_the_planted_large_loss_makers(key_table, answer_key):
    planted = answer_key.index[answer_key["is_loss_making_large"]]
    ka = key_table
    assert ka.loc[planted, "is_loss_maker"].all()
    assert (ka.loc[planted, "abc_class"] == "A").all()
    big = ka.index[(ka["abc_class"] == "A") & ka["is_loss_maker"]]
    assert set(planted) <= set(big)


@pytest.fixture(scope="module")
def reaction(sample, default_settings, key_table, answer_key):
    """volume_change_after_bad_delivery of the key accounts with their true type."""
    keys = list(key_table.index[key_table["is_key"]])
    ind = segmentation.indicators(sample, default_settings, keys)
    k = answer_key.reindex(ind.index)
    mixed = k["mixed_types"].fillna("").astype(str)
    return pd.DataFrame({
        "change": ind["volume_change_after_bad_delivery"],
        "service": k["sensitivity"] == "service",
        "no_service": (k["sensitivity"] != "service") & ~mixed.str.contains("service"),
    })


def test_service_sensitive_key_accounts_order_less_after_a_bad_delivery(reaction):
    r = reaction
    assert r["service"].sum() >= 5
    assert r.loc[r["service"], "change"].notna().all()  # measurable for every one
    svc = r.loc[r["service"], "change"].median()
    rest = r.loc[r["no_service"], "change"].median()
    # planted: 40 % of the orders withheld for 90 days after a failure (service
    # sensitivity 1.0) against 4 % for the others (0.1)
    assert svc <= -0.25, svc
    assert rest >= -0.15, rest
    assert svc < rest - 0.2
    # and the drop sorts them: most service-sensitive accounts react more than
    # almost every account without a service side
    assert (r.loc[r["service"], "change"] < r.loc[r["no_service"], "change"].quantile(0.25)
            ).mean() >= 0.6


def test_drop_after_bad_delivery_with_plain_pandas(sample, answer_key):
    """Independently of kamlib.segmentation: the kg ordered per line-month in the 90
    days after a late or short delivery against the customer's other months, for all
    active customers by true type."""
    o = sample.orders.loc[sample.orders["is_delivered"]].copy()
    o["bad"] = (o["actual_delivery_date"] > o["promised_delivery_date"]) | (
        o["delivered_kg"] < o["quantity_kg"])
    o["month"] = o["order_date"].dt.to_period("M")
    # a month counts as "after a failure" when a failure was delivered in the 3 months
    # before it began
    bad_months = o.loc[o["bad"], ["customer_id"]].assign(
        m=o.loc[o["bad"], "actual_delivery_date"].dt.to_period("M"))
    after = pd.concat([bad_months.assign(m=bad_months["m"] + k) for k in (1, 2, 3)])
    after = pd.MultiIndex.from_arrays([after["customer_id"], after["m"]])
    kg = o.groupby(["customer_id", "month"])["quantity_kg"].sum()
    months = pd.period_range(o["month"].min(), o["month"].max(), freq="M")
    full = kg.unstack(fill_value=0.0).reindex(columns=months, fill_value=0.0).stack()
    is_after = full.index.isin(after)
    rate = full.groupby([full.index.get_level_values(0), is_after]).mean().unstack()
    change = (rate[True] / rate[False] - 1).dropna()
    sens = answer_key["sensitivity"].reindex(change.index)
    mixed = answer_key["mixed_types"].reindex(change.index).fillna("").astype(str)
    big = o.groupby("customer_id")["quantity_kg"].sum().reindex(change.index)
    big = big >= big.quantile(0.5)  # the larger half: enough orders to measure
    svc = change[(sens == "service") & big].median()
    rest = change[(sens != "service") & ~mixed.str.contains("service") & big].median()
    assert svc < rest - 0.15, (svc, rest)
