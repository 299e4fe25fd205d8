"""Tests of kamlib.segmentation: indicators on hand-made histories (answers computed by
hand), the rule, the clustering, the levers, and the accuracy on the bundled data."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from kamlib import data, schema, segmentation
from kamlib import settings as settings_mod
from kamlib.segmentation import SegmentationSettings

# --------------------------------------------------------------------------- builders

PRODUCTS = pd.DataFrame({
    "product_id": ["STD", "ECO", "BIG", "CUS", "NEW"],
    "product_name": ["standard bag", "economy bag", "standard big bag", "custom grade",
                     "new grade"],
    "is_economy_grade": [False, True, False, False, False],
    "is_custom": [False, False, False, True, False],
    "pack_type": ["bag", "bag", "big bag", "bag", "bag"],
    "pack_size_kg": [25.0, 25.0, 500.0, 25.0, 25.0],
    "list_price_per_kg": [10.0, 8.0, 9.5, 14.0, 15.0],
    "launch_date": pd.to_datetime(["2010-01-01", "2010-01-01", "2010-01-01", "2012-01-01",
                                   "2024-01-01"]),
})


def settings_for(analysis_year=2025, history_years=1, **seg):
    s = settings_mod.Settings()
    s = dataclasses.replace(s, period=settings_mod.PeriodSettings(analysis_year, history_years))
    if seg:
        s = dataclasses.replace(s, segmentation=dataclasses.replace(s.segmentation, **seg))
    return s


def order(cid, date, kg=1000.0, product="STD", net=None, deal="none", late_days=0,
          delivered=None, oid=None, lead=7):
    """One order line; delivered ``late_days`` after the promised date."""
    d = pd.Timestamp(date)
    listp = float(PRODUCTS.set_index("product_id").loc[product, "list_price_per_kg"])
    promised = d + pd.Timedelta(days=lead)
    return {
        "order_id": oid or f"{cid}-{d:%Y%m%d}-{product}",
        "order_line": 1, "customer_id": cid, "product_id": product, "order_date": d,
        "quantity_kg": kg, "list_price_per_kg": listp,
        "net_price_per_kg": listp if net is None else net, "unit_cost_per_kg": 5.0,
        "promised_delivery_date": promised,
        "actual_delivery_date": promised + pd.Timedelta(days=late_days),
        "delivered_kg": kg if delivered is None else delivered, "deal_type": deal,
    }


def interaction(cid, date, kind, reason=None, n=[0]):
    n[0] += 1
    return {"interaction_id": f"I{n[0]:06d}", "customer_id": cid,
            "date": pd.Timestamp(date), "type": kind, "effort_minutes": 60.0,
            "complaint_reason": reason}


def make_kd(orders, interactions=(), products=PRODUCTS) -> data.KamData:
    o = data.coerce_table(pd.DataFrame(orders), schema.ORDERS)
    it = pd.DataFrame(list(interactions)) if interactions else pd.DataFrame(
        {c: [] for c in schema.INTERACTIONS.column_names})
    cids = sorted(set(o["customer_id"]))
    cust = pd.DataFrame({"customer_id": cids, "customer_name": cids,
                         "industry": "feed premix", "region": "Nordics",
                         "country": "Norway", "account_manager": "Sofia Lindqvist"})
    empty = {name: data.empty_table(t) for name, t in schema.TABLES.items()}
    return data.KamData(
        customers=data.coerce_table(cust, schema.CUSTOMERS),
        products=data.coerce_table(products, schema.PRODUCTS),
        orders=data.add_order_measures(o),
        interactions=data.coerce_table(it, schema.INTERACTIONS),
        contacts=empty["contacts"], assessments=empty["assessments"],
        rebates=empty["rebates"], source="hand-made")


def every_10_days(cid, year=2025, **kw):
    start = pd.Timestamp(f"{year}-01-01")
    days = range(0, 365, 10)
    return [order(cid, start + pd.Timedelta(days=d), oid=f"{cid}-{d}", **kw) for d in days]


# --------------------------------------------------------------------------- settings


def test_settings_defaults_round_trip():
    s = settings_mod.Settings()
    assert isinstance(s.segmentation, SegmentationSettings)
    assert settings_mod.from_dict(settings_mod.to_dict(s)) == s
    s2 = settings_mod.replace(s, "segmentation.stand_out", 0.7)
    assert s2.segmentation.stand_out == 0.7
    assert settings_mod.from_dict(settings_mod.to_dict(s2)) == s2
    s3 = settings_mod.replace(s, "segmentation.indicator_weights",
                              {"deal_volume_share": 2.0})
    assert s3.segmentation.weight("deal_volume_share") == 2.0
    assert s3.segmentation.weight("trials_per_year") == 1.0  # missing = 1
    assert settings_mod.from_dict(settings_mod.to_dict(s3)) == s3


@pytest.mark.parametrize("change, words", [
    ({"off_season_months": (6, 13)}, "months are 1-12"),
    ({"indicator_weights": {"deal_share": 1.0}}, "did you mean 'deal_volume_share'"),
    ({"indicator_weights": {"trials_per_year": -1.0}}, "must be ≥ 0"),
    ({"indicator_weights": {"deal_volume_share": 0, "off_season_volume_share": 0,
                            "price_elasticity": 0, "price_negotiations_per_year": 0,
                            "economy_grade_share": 0, "big_pack_share": 0,
                            "discount_depth": 0}}, "price family needs"),
    ({"reference": "everyone"}, "'active' or 'classified'"),
    ({"mixed_rule": "gap"}, "mixed_rule"),
    ({"elasticity_min_points": 3}, "at least 6 quarters"),
    ({"clusters": 1}, "between 2 and 12"),
])
def test_settings_refuse_bad_values_with_a_clear_message(change, words):
    with pytest.raises(ValueError, match=words):
        SegmentationSettings(**change)


def test_benefit_weights_refuse_negative():
    with pytest.raises(ValueError, match="'cost' must be ≥ 0"):
        segmentation.BenefitWeights(cost=-0.1)


# --------------------------------------------------------------------------- elasticity


def _quarterly_orders(cid, prices, volumes, year0=2023):
    """One order per quarter (mid-quarter) at the given net prices of product STD."""
    rows = []
    for i, (p, v) in enumerate(zip(prices, volumes)):
        y, q = year0 + i // 4, i % 4
        rows.append(order(cid, f"{y}-{3 * q + 2:02d}-15", kg=v, net=p, oid=f"{cid}-{i}"))
    return rows


def test_elasticity_exact_log_log_relation():
    # Q = 5000 * P^-2 exactly, prices varying over 12 quarters: b = -2, se = 0.
    prices = [10, 9.5, 10.4, 9.0, 10.8, 9.7, 10.2, 9.2, 10.6, 9.9, 9.4, 10.1]
    vols = [5000 * (p / 10) ** -2 for p in prices]
    kd = make_kd(_quarterly_orders("C1", prices, vols))
    el = segmentation.price_elasticity(kd.orders, kd.products.set_index("product_id"))
    assert el.loc["C1", "price_elasticity"] == pytest.approx(-2.0, abs=1e-9)
    assert el.loc["C1", "price_elasticity_se"] == pytest.approx(0.0, abs=1e-6)
    assert el.loc["C1", "elasticity_points"] == 12
    assert el.loc["C1", "elasticity_note"] == ""


def test_elasticity_removes_the_season_and_matches_a_dummy_regression():
    # Volume and price both have a quarter-of-year pattern (deal season) plus noise:
    # the slope must be that of OLS of log Q on log P with quarter dummies.
    rng = np.random.default_rng(3)
    n = 16
    season_p = np.array([0.0, -0.06, 0.0, 0.02])
    season_q = np.array([0.0, 0.3, -0.1, 0.2])
    logp = np.log(10) + season_p[np.arange(n) % 4] + rng.normal(0, 0.04, n)
    logq = 8 - 1.5 * (logp - np.log(10)) + season_q[np.arange(n) % 4] + rng.normal(0, 0.05, n)
    kd = make_kd(_quarterly_orders("C1", np.exp(logp), np.round(np.exp(logq), 6)))
    el = segmentation.price_elasticity(kd.orders, kd.products.set_index("product_id"))
    # Independent computation: least squares with a dummy per quarter of the year.
    x = np.log(np.exp(logp) / 10.0)  # price index: net price / list price 10
    y = np.log(np.round(np.exp(logq), 6))
    D = np.eye(4)[np.arange(n) % 4]
    A = np.column_stack([x, D])
    coef, res, *_ = np.linalg.lstsq(A, y, rcond=None)
    resid = y - A @ coef
    sigma2 = (resid ** 2).sum() / (n - 5)
    se = math.sqrt(sigma2 * np.linalg.inv(A.T @ A)[0, 0])
    assert el.loc["C1", "price_elasticity"] == pytest.approx(coef[0], rel=1e-6)
    assert el.loc["C1", "price_elasticity_se"] == pytest.approx(se, rel=1e-6)


def test_no_price_change_gives_no_elasticity():
    prices = [10.0] * 12
    vols = [1000, 1200, 900, 1500] * 3
    kd = make_kd(_quarterly_orders("C1", prices, vols))
    el = segmentation.price_elasticity(kd.orders, kd.products.set_index("product_id"))
    assert math.isnan(el.loc["C1", "price_elasticity"])
    assert math.isnan(el.loc["C1", "price_elasticity_se"])
    assert el.loc["C1", "elasticity_note"] == "not enough price variation"


def test_too_few_quarters_gives_no_elasticity():
    kd = make_kd(_quarterly_orders("C1", [10, 9, 11, 10, 9], [1000, 1100, 900, 1000, 1150]))
    el = segmentation.price_elasticity(kd.orders, kd.products.set_index("product_id"))
    assert math.isnan(el.loc["C1", "price_elasticity"])
    assert el.loc["C1", "elasticity_note"] == "not enough history"


def test_a_product_mix_change_is_not_a_price_change():
    # Same net/list ratio every quarter, but half the quarters in the cheaper economy
    # grade: net EUR/kg moves, the mix-adjusted price index does not.
    rows = []
    for i in range(12):
        y, q = 2023 + i // 4, i % 4
        prod = "ECO" if i % 2 else "STD"
        rows.append(order("C1", f"{y}-{3 * q + 2:02d}-15", kg=1000 + 100 * (i % 3),
                          product=prod, oid=f"o{i}"))
    kd = make_kd(rows)
    el = segmentation.price_elasticity(kd.orders, kd.products.set_index("product_id"))
    assert el.loc["C1", "elasticity_note"] == "not enough price variation"


# --------------------------------------------------------------------------- indicators


def test_a_single_order():
    kd = make_kd([order("C1", "2025-07-01", kg=2000)],
                 [interaction("C1", "2025-07-20", "visit")])
    s = settings_for()
    ind = segmentation.indicators(kd, s, ["C1"])
    r = ind.loc["C1"]
    assert r["orders"] == 1
    assert r["volume_kg"] == 2000
    assert r["deal_volume_share"] == 0.0
    assert r["off_season_volume_share"] == 1.0  # July is off-season
    assert math.isnan(r["price_elasticity"])
    assert r["elasticity_note"] == "not enough history"
    assert r["complaints_per_order"] == 0.0
    assert math.isnan(r["complaints_after_bad_delivery"])  # we never failed it
    assert math.isnan(r["volume_change_after_bad_delivery"])
    # observed from 1 July to 31 December 2025: 184 days
    assert r["years_observed"] == pytest.approx(184 / 365.25)
    assert r["price_negotiations_per_year"] == 0.0


def test_all_volume_on_deals_and_shares_by_hand():
    rows = [
        order("C1", "2025-02-10", kg=1000, deal="promotion", product="ECO"),
        order("C1", "2025-06-10", kg=3000, deal="off-season", product="BIG"),
        order("C1", "2025-07-10", kg=500, deal="off-season", product="NEW"),
        order("C1", "2025-10-10", kg=500, deal="bundle", product="CUS"),
    ]
    kd = make_kd(rows)
    r = segmentation.indicators(kd, settings_for(), ["C1"]).loc["C1"]
    assert r["deal_volume_share"] == 1.0
    assert r["off_season_volume_share"] == pytest.approx(3500 / 5000)
    assert r["economy_grade_share"] == pytest.approx(1000 / 5000)
    assert r["big_pack_share"] == pytest.approx(3000 / 5000)
    assert r["custom_grade_share"] == pytest.approx(500 / 5000)
    # NEW was launched 2024-01-01 (within 3 years of 2025): 500 of 5000 kg since then
    assert r["new_product_share"] == pytest.approx(500 / 5000)
    # all at list price: no on-invoice discount
    assert r["discount_depth"] == pytest.approx(0.0)


def test_discount_depth_by_hand():
    rows = [order("C1", "2025-03-01", kg=1000, net=9.0),      # list 10: 10 % off
            order("C1", "2025-04-01", kg=3000, net=10.0)]     # no discount
    r = segmentation.indicators(make_kd(rows), settings_for(), ["C1"]).loc["C1"]
    assert r["discount_depth"] == pytest.approx(1000 * 1.0 / (4000 * 10.0))


def test_interaction_rates_and_complaints_by_hand():
    rows = [order("C1", "2024-01-01", kg=1000, oid="a"),
            order("C1", "2024-06-01", kg=1000, late_days=5, oid="b"),        # late
            order("C1", "2025-03-01", kg=2000, delivered=1500, oid="c"),     # short
            order("C1", "2025-09-01", kg=1000, oid="d")]
    its = [interaction("C1", "2024-06-10", "complaint", "late delivery"),
           interaction("C1", "2025-03-12", "complaint", "quality"),
           interaction("C1", "2024-02-01", "price negotiation"),
           interaction("C1", "2025-02-01", "price negotiation"),
           interaction("C1", "2025-05-01", "service request"),
           interaction("C1", "2025-05-02", "technical request"),
           interaction("C1", "2025-05-03", "trial"),
           interaction("C1", "2025-05-04", "training"),
           interaction("C1", "2023-05-04", "training")]  # before the window: ignored
    kd = make_kd(rows, its)
    s = settings_for(history_years=2)
    r = segmentation.indicators(kd, s, ["C1"]).loc["C1"]
    years = (pd.Timestamp("2025-12-31") - pd.Timestamp("2024-01-01")).days + 1
    years /= 365.25
    assert r["years_observed"] == pytest.approx(years)
    assert r["complaints_per_order"] == pytest.approx(2 / 4)
    assert r["complaints_per_tonne"] == pytest.approx(2 / 4.5)  # 4,500 kg delivered
    # two bad deliveries (late, short), one complaint about delivery
    assert r["bad_deliveries"] == 2
    assert r["complaints_after_bad_delivery"] == pytest.approx(1 / 2)
    assert r["price_negotiations_per_year"] == pytest.approx(2 / years)
    assert r["service_requests_per_year"] == pytest.approx(1 / years)
    assert r["technical_requests_per_year"] == pytest.approx(1 / years)
    assert r["trials_per_year"] == pytest.approx(1 / years)
    assert r["trainings_per_year"] == pytest.approx(1 / years)


def test_a_late_delivery_followed_by_a_drop():
    # 1,000 kg every 10 days through 2025 (37 orders, days 0..360). The order of
    # 21 May (day 140) arrives late on 1 June (day 151); for 90 days after it
    # (days 151..240) the customer orders 500 kg instead (orders of days 160..240: 9).
    rows = []
    start = pd.Timestamp("2025-01-01")
    for d in range(0, 365, 10):
        kg = 500.0 if 151 <= d <= 240 else 1000.0
        late = 4 if d == 140 else 0
        rows.append(order("C1", start + pd.Timedelta(days=d), kg=kg, late_days=late,
                          oid=f"o{d}"))
    kd = make_kd(rows)
    assert kd.orders.loc[kd.orders["order_id"] == "o140", "actual_delivery_date"].iloc[0] \
        == pd.Timestamp("2025-06-01")
    r = segmentation.indicators(kd, settings_for(), ["C1"]).loc["C1"]
    after = 9 * 500 / 90            # kg a day in the 90 days after the late delivery
    normal = 28 * 1000 / (365 - 90)  # kg a day at other times
    assert r["volume_change_after_bad_delivery"] == pytest.approx(after / normal - 1)
    assert r["volume_change_after_bad_delivery"] == pytest.approx(-0.50893, abs=1e-4)
    assert r["bad_deliveries"] == 1


def test_no_drop_when_volume_continues():
    rows = every_10_days("C1")
    rows[14]["actual_delivery_date"] += pd.Timedelta(days=4)  # day 140: late
    r = segmentation.indicators(make_kd(rows), settings_for(), ["C1"]).loc["C1"]
    # 9 of 37 orders fall in the 90 days after: 9000/90 vs 28000/275 kg a day
    assert r["volume_change_after_bad_delivery"] == pytest.approx((9000 / 90) / (28000 / 275) - 1)


def test_no_interactions_table_leaves_interaction_indicators_empty():
    r = segmentation.indicators(make_kd(every_10_days("C1")), settings_for(), ["C1"]).loc["C1"]
    for name in ("complaints_per_order", "price_negotiations_per_year",
                 "service_requests_per_year", "technical_requests_per_year",
                 "trials_per_year"):
        assert math.isnan(r[name]), name
    assert r["deal_volume_share"] == 0.0


def test_missing_products_table_leaves_product_indicators_empty():
    kd = make_kd(every_10_days("C1"))
    kd = dataclasses.replace(kd, products=data.empty_table(schema.PRODUCTS))
    r = segmentation.indicators(kd, settings_for(), ["C1"]).loc["C1"]
    for name in ("economy_grade_share", "big_pack_share", "custom_grade_share",
                 "new_product_share"):
        assert math.isnan(r[name]), name
    assert r["deal_volume_share"] == 0.0


def test_unknown_customer_is_refused_in_words():
    kd = make_kd(every_10_days("C1"))
    with pytest.raises(ValueError, match="unknown customer id.*C9"):
        segmentation.indicators(kd, settings_for(), ["C9"])


def test_indicator_catalogue_is_complete():
    ind = segmentation.indicators(make_kd(every_10_days("C1")), settings_for(), ["C1"])
    assert ind.index.name == "customer_id"
    for i in segmentation.INDICATORS:
        assert i.name in ind.columns
        assert i.family in segmentation.FAMILIES
        assert i.direction in (-1, 1)
        # every indicator's formula is in the docstring of indicators()
        assert f"``{i.name}``" in segmentation.indicators.__doc__


# --------------------------------------------------------------------------- scoring


def test_robust_standardisation_by_hand():
    v = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 100.0],
                      "b": [0.0, 0.0, 0.0, 0.0, 5.0],
                      "c": [7.0] * 5})
    z = segmentation.standardise(v, clip=10.0)
    # a: median 3, MAD 1 -> scale 1.4826 (the outlier moves neither)
    assert z.loc[0, "a"] == pytest.approx(-2 / 1.4826)
    assert z.loc[3, "a"] == pytest.approx(1 / 1.4826)
    assert z.loc[4, "a"] == 10.0  # capped
    # b: MAD 0 -> 1.2533 x mean absolute deviation (1.0)
    assert z.loc[4, "b"] == pytest.approx(5 / 1.2533)
    assert z.loc[0, "b"] == 0.0
    # c: no spread -> 0
    assert (z["c"] == 0).all()
    zs = segmentation.standardise(v, method="zscore", clip=10.0)
    assert zs.loc[0, "a"] == pytest.approx((1 - 22) / np.std(v["a"], ddof=1))


def test_standardise_against_a_reference_and_keep_missing():
    ref = pd.DataFrame({"a": [0.0, 1.0, 2.0]})
    vals = pd.DataFrame({"a": [4.0, np.nan]})
    z = segmentation.standardise(vals, ref)
    assert z.loc[0, "a"] == pytest.approx(3 / 1.4826 if 3 / 1.4826 < 3 else 3.0)
    assert math.isnan(z.loc[1, "a"])


@pytest.mark.parametrize("scores, segment, mixed", [
    ([1.0, 0.1, -0.2], "price", ""),
    ([0.0, 0.9, 0.2], "service", ""),
    ([-0.3, 0.3, 2.0], "technology", ""),
    ([0.6, 0.5, 0.0], "mixed", "price+service"),
    ([0.45, -1.0, 2.5], "mixed", "price+technology"),
    ([0.5, 0.5, 0.5], "mixed", "price+service+technology"),
    ([0.1, 0.2, 0.3], "unclear", ""),
    ([np.nan, np.nan, np.nan], "unclear", ""),
])
def test_rule_by_hand(scores, segment, mixed):
    seg, mix, drivers, conf = segmentation.classify(np.array([scores]), 0.4)
    assert seg[0] == segment
    assert mix[0] == mixed


def test_margin_variant_hides_a_weak_second_driver():
    F = np.array([[2.5, 0.6, 0.0]])
    assert segmentation.classify(F, 0.4)[0][0] == "mixed"
    assert segmentation.classify(F, 0.4, mixed_margin=1.0)[0][0] == "price"
    assert segmentation.classify(np.array([[1.0, 0.6, 0.0]]), 0.4, 1.0)[0][0] == "mixed"


def test_confidence_by_hand():
    # slack = min(|1.0-0.4|, |0.1-0.4|, |-0.2-0.4|) = 0.3
    conf = segmentation.classify(np.array([[1.0, 0.1, -0.2]]), 0.4, None, 0.5)[3][0]
    assert conf == pytest.approx(1 - 0.5 * math.exp(-0.3 / 0.5))
    on_boundary = segmentation.classify(np.array([[0.4, 0.0, -1.0]]), 0.4)[3][0]
    assert on_boundary == pytest.approx(0.5)


# --------------------------------------------------------------------------- a small population


def _population():
    """Nine customers of 2025: three with one clear behaviour each, plus plain ones."""
    rows, its = [], []
    for cid in ("P1", "S1", "T1", "N1", "N2", "N3", "N4", "N5", "M1"):
        deal = "off-season" if cid in ("P1", "M1") else "none"
        prod = "CUS" if cid == "T1" else "STD"
        complains = cid in ("S1", "M1")
        for i, r in enumerate(every_10_days(cid, deal=deal, product=prod)):
            if i % 6 == 0:  # we deliver everyone late now and then
                r["actual_delivery_date"] += pd.Timedelta(days=5)
                if complains:
                    its.append(interaction(cid, r["actual_delivery_date"], "complaint",
                                           "late delivery"))
            rows.append(r)
    for cid, kind, n in (("P1", "price negotiation", 8), ("M1", "price negotiation", 8),
                         ("S1", "service request", 10), ("M1", "service request", 10),
                         ("T1", "technical request", 10), ("T1", "trial", 4),
                         ("T1", "training", 3), ("N1", "price negotiation", 1),
                         ("N2", "service request", 1), ("N3", "technical request", 1)):
        for k in range(n):
            its.append(interaction(cid, pd.Timestamp("2025-01-05") + pd.Timedelta(days=30 * k),
                                   kind))
    return make_kd(rows, its)


def test_segments_of_a_small_population():
    kd = _population()
    s = settings_for()
    ids = ["P1", "S1", "T1", "M1", "N1"]
    seg = segmentation.segments(kd, s, ids)
    assert list(seg.index) == ids
    assert seg.index.name == "customer_id"
    assert seg.loc["P1", "segment"] == "price"
    assert seg.loc["S1", "segment"] == "service"
    assert seg.loc["T1", "segment"] == "technology"
    assert seg.loc["M1", "segment"] == "mixed"
    assert seg.loc["M1", "mixed_types"] == "price+service"
    assert seg.loc["N1", "segment"] == "unclear"
    assert seg.loc["P1", "mixed_types"] == ""
    # the evidence names the behaviour in words, with the typical value
    assert "volume bought on deals 100% (typical 0%)" in seg.loc["P1", "evidence"]
    assert "price negotiations a year" in seg.loc["P1", "evidence"]
    assert "technical requests a year" in seg.loc["T1", "evidence"]
    assert "late or short deliveries it complained about" in seg.loc["S1", "evidence"]
    assert seg.loc["N1", "evidence"].startswith("unclear")
    # no price change in this history: no elasticity, said in words
    assert seg["price_elasticity"].isna().all()
    assert "not enough" in seg.loc["P1", "evidence"]
    assert ((seg["confidence"] > 0) & (seg["confidence"] <= 1)).all()
    for col in ("segment", "mixed_types", "confidence", "price_score", "service_score",
                "technology_score", "evidence", "price_elasticity", "price_elasticity_se"):
        assert col in seg.columns


def test_levers_follow_the_segment_and_quote_the_evidence():
    kd = _population()
    lv = segmentation.levers(kd, settings_for(), ["P1", "S1", "T1", "M1", "N1"])
    assert list(lv.columns[:5]) == ["customer_id", "segment", "lever", "lever_family", "why"]
    fam = lv.groupby("customer_id")["lever_family"].agg(lambda x: set(x))
    assert fam["P1"] == {"price"}
    assert fam["S1"] == {"service"}
    assert fam["T1"] == {"technology"}
    assert fam["M1"] == {"price", "service"}
    assert fam["N1"] == {"diagnose"}
    n_price = sum(lv_.family == "price" for lv_ in segmentation.LEVERS)
    assert (lv["customer_id"] == "P1").sum() == n_price
    p1 = lv.loc[lv["customer_id"] == "P1"].set_index("lever")
    assert "volume bought on deals 100%" in p1.loc["Off-season special prices", "why"]
    # priorities 1..n, strongest evidence first
    assert list(p1["priority"]) == list(range(1, n_price + 1))
    assert p1["strength"].is_monotonic_decreasing
    assert "no family stands out" in lv.loc[lv["customer_id"] == "N1", "why"].iloc[0]


def test_clustering_alternative_on_a_small_population():
    kd = _population()
    s = settings_for(clusters=3)
    ids = ["P1", "S1", "T1", "N1", "N2", "N3", "N4", "N5"]
    cl = segmentation.cluster_segments(kd, s, ids)
    assert set(cl.columns) >= {"cluster", "cluster_segment"}
    # the technology customer is far from everyone: a cluster of its own
    assert (cl["cluster"] == cl.loc["T1", "cluster"]).sum() == 1
    assert cl.loc["T1", "cluster_segment"] == "technology"
    again = segmentation.cluster_segments(kd, s, ids)
    pd.testing.assert_frame_equal(cl, again)


# --------------------------------------------------------------------------- k-means


def test_kmeans_separates_two_blobs_deterministically():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 0.1, (30, 2))
    b = rng.normal(5, 0.1, (10, 2))
    X = np.vstack([a, b])
    labels, centres, inertia = segmentation.kmeans(X, 2, seed=1)
    assert (labels[:30] == 0).all() and (labels[30:] == 1).all()  # 0 = largest
    assert centres[1] == pytest.approx(b.mean(axis=0))
    assert inertia == pytest.approx(((a - a.mean(0)) ** 2).sum() + ((b - b.mean(0)) ** 2).sum())
    labels2, _, _ = segmentation.kmeans(X, 2, seed=1)
    assert (labels2 == labels).all()


def test_kmeans_with_more_clusters_than_points():
    labels, centres, inertia = segmentation.kmeans(np.array([[0.0], [1.0]]), 4)
    assert sorted(labels) == [0, 1] and inertia == 0.0


def test_compare_counts_by_hand():
    a = pd.Series(["price", "price", "service", "mixed"], index=list("abcd"))
    b = pd.Series(["price", "service", "service", "price"], index=list("abcd"))
    t = segmentation.compare(a, b)
    assert t.loc["price", "price"] == 1 and t.loc["price", "service"] == 1
    assert t.loc["mixed", "price"] == 1 and t.loc["service", "service"] == 1
    assert t.loc["total", "total"] == 4


def test_confusion_and_validate_by_hand():
    seg = pd.DataFrame({"segment": ["price", "service", "mixed", "technology", "mixed",
                                    "unclear"],
                        "mixed_types": ["", "", "price+service", "", "service+technology",
                                        ""]},
                       index=pd.Index(list("abcdef"), name="customer_id"))
    key = pd.DataFrame({"customer_id": list("abcdefz"),
                        "sensitivity": ["price", "price", "service", "technology", "mixed",
                                        "mixed", "price"],
                        "mixed_types": [np.nan, np.nan, np.nan, np.nan,
                                        "price+technology", "price+service", np.nan]})
    cm = segmentation.confusion(seg, key)
    assert cm.loc["price", "price"] == 1 and cm.loc["price", "service"] == 1
    assert cm.loc["mixed", "mixed"] == 1 and cm.loc["mixed", "unclear"] == 1
    assert int(cm.to_numpy().sum()) == 6  # 'z' is not segmented
    v = segmentation.validate(seg, key)
    assert v["clear_customers"] == 4
    assert v["clear_correct"] == 2          # a (price), d (technology)
    assert v["clear_accuracy"] == pytest.approx(0.5)
    assert v["clear_flagged_mixed"] == pytest.approx(0.25)  # c
    assert v["mixed_flagged"] == pytest.approx(0.5)
    assert v["mixed_types_correct"] == pytest.approx(0.0)   # e has the wrong pair


# --------------------------------------------------------------------------- benefit view


def test_benefit_view_by_hand(default_settings):
    bv = segmentation.benefit_view(default_settings)
    w = default_settings.segmentation.benefit_price.normalised()
    # a rebate lowers the customer's cost by 1: ΔV = w_C
    assert bv.loc["Cumulative-volume rebate", "price"] == pytest.approx(round(w["cost"], 3))
    # economy grade: -0.8 on C and -0.2 on U
    assert bv.loc["Economy grades (lower purity, lower price)", "price"] == pytest.approx(
        round(0.8 * w["cost"] - 0.2 * w["utility"], 3))
    # each lever helps its own segment most (the menu and the weights agree)
    own = bv.loc[bv["lever_family"].isin(segmentation.FAMILIES)]
    assert (own["best_for"] == own["lever_family"]).sum() >= len(own) - 1
    assert segmentation.benefit_weights(default_settings).sum(axis=1).round(9).eq(1).all()


# --------------------------------------------------------------------------- bundled data


@pytest.fixture(scope="module")
def bundled(sample, default_settings):
    seg = segmentation.segments(sample, default_settings)
    return seg


def test_default_customers_are_the_key_accounts(sample, default_settings, bundled):
    from kamlib import selection

    ka = selection.key_accounts(sample, default_settings)
    assert set(bundled.index) == set(ka.index[ka["is_key"]])
    assert set(bundled["segment"]) <= set(segmentation.SEGMENTS)


def test_accuracy_target_on_the_bundled_key_accounts(bundled, answer_key):
    v = segmentation.validate(bundled, answer_key)
    assert v["clear_customers"] >= 30
    assert v["clear_accuracy"] >= 0.85
    assert v["mixed_flagged"] >= 0.5


def test_rule_on_all_active_customers_of_the_bundled_data(sample, default_settings,
                                                          answer_key):
    active = sample.orders.loc[sample.orders["year"] == 2025, "customer_id"].unique()
    seg = segmentation.segments(sample, default_settings, list(active))
    v = segmentation.validate(seg, answer_key)
    # small customers have fewer orders and requests: a weaker but clear signal
    assert v["clear_accuracy"] >= 0.75
    assert v["mixed_forced"] <= 0.5


def test_elasticity_recovers_the_planted_response(sample, default_settings, answer_key):
    active = list(sample.orders["customer_id"].unique())
    ind = segmentation.indicators(sample, default_settings, active)
    truth = answer_key[["sensitivity", "price_elasticity"]].rename(
        columns={"price_elasticity": "price_elasticity_true"})
    j = ind.join(truth)
    med = j.groupby("sensitivity")["price_elasticity"].median()
    # planted: about -2.8 for price-sensitive customers, about -0.5 for the others
    assert med["price"] < -2.0
    assert med["service"] > -1.2 and med["technology"] > -1.2
    ok = j["price_elasticity"].notna()
    assert ok.mean() > 0.8
    # a rank correlation: a few customers with a short or trending history (new,
    # growing, decaying) get extreme estimates (beyond ±10) that would rule a Pearson r
    r = j.loc[ok, ["price_elasticity", "price_elasticity_true"]].corr(method="spearman").iloc[0, 1]
    assert r > 0.4


def test_levers_for_every_key_account(sample, default_settings, bundled):
    lv = segmentation.levers(sample, default_settings)
    assert set(lv["customer_id"]) == set(bundled.index)
    assert lv["why"].str.contains("Evidence:").all()
    assert (lv.groupby("customer_id")["priority"].min() == 1).all()
    mixed = bundled.index[bundled["segment"] == "mixed"]
    for cid in mixed[:3]:
        fams = set(lv.loc[lv["customer_id"] == cid, "lever_family"])
        assert fams == set(bundled.loc[cid, "mixed_types"].split("+"))


def test_clusters_agree_with_the_rule_on_clear_customers(sample, default_settings, bundled):
    cl = segmentation.cluster_segments(sample, default_settings)
    clear = bundled.index[bundled["segment"].isin(segmentation.FAMILIES)]
    agree = (cl.loc[clear, "cluster_segment"] == bundled.loc[clear, "segment"]).mean()
    assert agree >= 0.8


# --------------------------------------------------------------------------- pictures, widget


def test_pictures_draw_what_they_say(default_settings):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kamlib.plots import segmentation as plots

    kd = _population()
    s = settings_for()
    ids = ["P1", "S1", "T1", "M1", "N1"]
    seg = segmentation.segments(kd, s, ids)
    ax = plots.segment_map(seg, label=["P1"])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "price (1)" in labels and "mixed (1)" in labels and "unclear (1)" in labels
    plt.close(ax.figure)
    ax = plots.indicator_profile(segmentation.profile(kd, s, "P1"), stand_out=0.4)
    assert len(ax.get_yticklabels()) == len(segmentation.INDICATORS)
    plt.close(ax.figure)
    key = pd.DataFrame({"customer_id": ids,
                        "sensitivity": ["price", "service", "technology", "mixed", "price"],
                        "mixed_types": ["", "", "", "price+service", ""]})
    cm = segmentation.confusion(seg, key)
    ax = plots.confusion_matrix(cm)
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts.count("1") == 5 and len(texts) == cm.size
    plt.close(ax.figure)
    ax = plots.scores_by_type(seg, key, stand_out=0.4)
    plt.close(ax.figure)
    ax = plots.benefit_map(segmentation.benefit_view(default_settings))
    assert len(ax.get_yticklabels()) == len(segmentation.LEVERS)
    plt.close(ax.figure)
    prices = [10, 9.5, 10.4, 9.0, 10.8, 9.7, 10.2, 9.2, 10.6, 9.9, 9.4, 10.1]
    kd2 = make_kd(_quarterly_orders("C1", prices, [5000 * (p / 10) ** -2 for p in prices]))
    pts = segmentation.elasticity_points(kd2, settings_for(history_years=3), "C1")
    assert len(pts) == 12
    slope = (pts["log_price"] * pts["log_volume"]).sum() / (pts["log_price"] ** 2).sum()
    assert slope == pytest.approx(-2.0)
    ax = plots.elasticity_fit(pts, -2.0, 0.0)
    plt.close(ax.figure)


def test_widget_recomputes_and_saves(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from kamlib.widgets import segmentation as widgets

    kd = _population()
    s = settings_for()
    target = tmp_path / "kam_settings.toml"
    box = widgets.segment_explorer(kd, s, ["P1", "S1", "T1", "M1", "N1"],
                                   settings_file=target)
    slider, rule, reference, summary = box.children[:4]
    assert "unclear: <b>1</b>" in summary.value
    slider.value = 1.5  # nothing stands out that much except the strongest scores
    assert "mixed: <b>0</b>" in summary.value
    save = box.children[-1].children[0]
    save.click()
    saved = settings_mod.load(target)
    assert saved.segmentation.stand_out == 1.5
    assert saved.period == s.period


def test_a_customer_without_orders_in_the_window_is_unclear_for_lack_of_data():
    rows = every_10_days("C1") + [order("C2", "2023-05-01", oid="old")]
    kd = make_kd(rows, [interaction("C1", "2025-02-01", "visit")])
    seg = segmentation.segments(kd, settings_for(), ["C1", "C2"])
    assert seg.loc["C2", "segment"] == "unclear"
    assert seg.loc["C2", "confidence"] == 0.0
    assert "too little data to judge" in seg.loc["C2", "evidence"]
    assert "no orders in the window" in seg.loc["C2", "evidence"]
