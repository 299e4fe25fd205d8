"""Cost to serve by time-driven activity-based costing, pinned to hand-computed answers.

The small world of these tests: two resource pools with round rates,

- ``desk``: 1 person, EUR 60,000 a year, 60,000 practical minutes -> EUR 1 per minute;
- ``field``: 2 people, EUR 120,000 each, 40,000 practical minutes each -> EUR 3 per
  minute (capacity 80,000 minutes, EUR 240,000);

unit times: order line 10 min, delivery 20, visit 100, complaint 50 (others as set
below); freight EUR 100 per delivery; and three customers in 2025:

- A: order SO1 (2 lines, delivered) and SO2 (1 line, not delivered yet): 3 lines,
  1 delivery;
- B: order SO3 (1 line, delivered), 2 visits (recorded 90 and 150 min), 1 complaint
  (no recorded time);
- C: no orders, 1 visit in 2025 and 1 in 2024.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamlib import costing, data, schema, selection, settings

FIELD_ACTIVITIES = ("visit", "executive visit", "call", "price negotiation")


def _costing(**kw) -> costing.CostingSettings:
    pools = (costing.ResourcePool("desk", people=1, cost_per_person=60_000,
                                  practical_minutes_per_person=60_000),
             costing.ResourcePool("field", people=2, cost_per_person=120_000,
                                  practical_minutes_per_person=40_000))
    minutes = {a: 0.0 for a in costing.ACTIVITIES}
    minutes.update({"order line": 10, "delivery": 20, "visit": 100, "complaint": 50})
    pool_of = {a: ("field" if a in FIELD_ACTIVITIES else "desk") for a in costing.ACTIVITIES}
    args = dict(pools=pools, unit_minutes=minutes, activity_pool=pool_of,
                freight_per_delivery=100.0)
    args.update(kw)
    return costing.CostingSettings(**args)


def _order(oid, line, cust, delivered=True, year=2025):
    return {
        "order_id": oid, "order_line": line, "customer_id": cust, "product_id": "P1",
        "order_date": f"{year}-03-01", "quantity_kg": 100.0, "list_price_per_kg": 10.0,
        "net_price_per_kg": 9.0, "unit_cost_per_kg": 6.0,
        "promised_delivery_date": f"{year}-03-10",
        "actual_delivery_date": f"{year}-03-09" if delivered else None,
        "delivered_kg": 100.0 if delivered else 0.0, "deal_type": "none",
    }


def make_kd(orders, interactions=(), customers=None, assessments=(), rebates=()):
    """A KamData from lists of row dicts (typed like data.load does)."""
    def table(rows, t):
        df = pd.DataFrame(list(rows)) if len(rows) else pd.DataFrame(
            {c: [] for c in t.column_names})
        return data.coerce_table(df, t)

    cust_rows = customers or [
        {"customer_id": c, "customer_name": f"Customer {c}", "industry": "feed premix",
         "region": "R", "country": "X", "account_manager": "AM"}
        for c in sorted({o["customer_id"] for o in orders}
                        | {i["customer_id"] for i in interactions})
    ]
    o = data.add_order_measures(table(orders, schema.ORDERS))
    return data.KamData(
        customers=table(cust_rows, schema.CUSTOMERS), products=table([], schema.PRODUCTS),
        orders=o, interactions=table(interactions, schema.INTERACTIONS),
        contacts=table([], schema.CONTACTS), assessments=table(assessments, schema.ASSESSMENTS),
        rebates=table(rebates, schema.REBATES), source="test")


@pytest.fixture()
def kd():
    orders = [_order("SO1", 1, "A"), _order("SO1", 2, "A"), _order("SO2", 1, "A", False),
              _order("SO3", 1, "B")]
    it = [
        {"interaction_id": "I1", "customer_id": "B", "date": "2025-02-01", "type": "visit",
         "effort_minutes": 90},
        {"interaction_id": "I2", "customer_id": "B", "date": "2025-05-01", "type": "visit",
         "effort_minutes": 150},
        {"interaction_id": "I3", "customer_id": "B", "date": "2025-06-01",
         "type": "complaint", "effort_minutes": None},
        {"interaction_id": "I4", "customer_id": "C", "date": "2025-07-01", "type": "visit",
         "effort_minutes": 100},
        {"interaction_id": "I5", "customer_id": "C", "date": "2024-07-01", "type": "visit",
         "effort_minutes": 100},
    ]
    return make_kd(orders, it)


def test_capacity_cost_rate_is_cost_over_practical_minutes():
    c = _costing()
    assert c.pool("desk").rate == pytest.approx(1.0)
    assert c.pool("field").rate == pytest.approx(3.0)
    assert c.pool("field").capacity_cost == pytest.approx(240_000)
    assert c.pool("field").practical_capacity_minutes == pytest.approx(80_000)
    r = costing.activity_rates(c)
    assert r.loc["visit", "cost_per_unit"] == pytest.approx(300.0)
    assert r.loc["delivery", "cost_per_unit"] == pytest.approx(20.0)
    assert r.loc["delivery", "freight_per_unit"] == pytest.approx(100.0)
    assert r.loc["visit", "freight_per_unit"] == 0.0


def test_cost_to_serve_by_hand(kd):
    cts = costing.cost_to_serve(kd, _costing(), years=2025)
    assert list(cts.index) == ["A", "B", "C"]
    assert cts.index.name == "customer_id"
    a, b, c = cts.loc["A"], cts.loc["B"], cts.loc["C"]
    # A: 3 lines x 10 min x 1 + 1 delivery x 20 min x 1 + 1 x EUR 100 freight
    assert a["count_order_line"] == 3 and a["count_delivery"] == 1
    assert a["minutes"] == pytest.approx(50)
    assert a["activity_cost"] == pytest.approx(50)
    assert a["freight_cost"] == pytest.approx(100)
    assert a["cost_to_serve"] == pytest.approx(150)
    # B: 10 + 20 (desk) + 2 visits x 100 min x EUR 3 + complaint 50 x 1 + freight 100
    assert b["count_visit"] == 2 and b["count_complaint"] == 1
    assert b["cost_visit"] == pytest.approx(600)
    assert b["cost_complaint"] == pytest.approx(50)
    assert b["cost_to_serve"] == pytest.approx(780)
    # C: no orders, one visit in the year (the 2024 visit is outside)
    assert c["count_visit"] == 1 and c["count_order_line"] == 0
    assert c["cost_to_serve"] == pytest.approx(300)


def test_years_are_summed(kd):
    cts = costing.cost_to_serve(kd, _costing(), years=[2024, 2025])
    assert cts.loc["C", "count_visit"] == 2
    assert cts.loc["C", "cost_to_serve"] == pytest.approx(600)


def test_recorded_minutes_option(kd):
    cts = costing.cost_to_serve(kd, _costing(minutes_source="recorded"), years=2025)
    # visits 90 + 150 = 240 recorded minutes x EUR 3; the complaint has no recorded
    # time and keeps its standard 50 minutes; orders stay standard.
    assert cts.loc["B", "minutes_visit"] == pytest.approx(240)
    assert cts.loc["B", "cost_visit"] == pytest.approx(720)
    assert cts.loc["B", "cost_complaint"] == pytest.approx(50)
    assert cts.loc["B", "cost_to_serve"] == pytest.approx(10 + 20 + 720 + 50 + 100)


def test_unused_capacity_is_reported_not_spread(kd):
    rep = costing.capacity_report(kd, _costing(), years=2025)
    desk, field, total = rep.loc["desk"], rep.loc["field"], rep.loc["total"]
    # desk: lines 30 + 10, deliveries 20 + 20, complaint 50 = 130 minutes
    assert desk["used_minutes"] == pytest.approx(130)
    assert desk["unused_minutes"] == pytest.approx(60_000 - 130)
    assert desk["used_cost"] == pytest.approx(130)
    assert desk["unused_cost"] == pytest.approx(59_870)
    # field: 3 visits x 100 minutes x EUR 3
    assert field["used_cost"] == pytest.approx(900)
    assert field["unused_cost"] == pytest.approx(239_100)
    assert field["utilisation"] == pytest.approx(300 / 80_000)
    assert total["capacity_cost"] == pytest.approx(300_000)
    # what customers are charged + idle capacity = the cost of capacity supplied
    charged = costing.cost_to_serve(kd, _costing(), years=2025)["activity_cost"].sum()
    assert charged + total["unused_cost"] == pytest.approx(total["capacity_cost"])
    two = costing.capacity_report(kd, _costing(), years=[2024, 2025])
    assert two.loc["field", "capacity_cost"] == pytest.approx(480_000)


def test_cost_by_pool(kd):
    bp = costing.cost_by_pool(kd, _costing(), years=2025)
    assert bp.loc["B", "field"] == pytest.approx(600)
    assert bp.loc["B", "desk"] == pytest.approx(80)
    assert bp.loc["B", "freight"] == pytest.approx(100)


def test_customer_without_anything_costs_nothing():
    kd = make_kd([_order("SO1", 1, "A")], customers=[
        {"customer_id": c, "customer_name": c, "industry": "x", "region": "r",
         "country": "c", "account_manager": "m"} for c in ("A", "Z")])
    cts = costing.cost_to_serve(kd, _costing(), years=2025)
    assert cts.loc["Z", "cost_to_serve"] == 0.0


def test_accepts_whole_settings_and_uses_the_analysis_year(kd):
    s = settings.Settings()
    s = settings.replace(s, "selection.cost_to_serve", _costing())
    s = settings.replace(s, "period.analysis_year", 2024)
    cts = costing.cost_to_serve(kd, s)
    assert cts.loc["C", "count_visit"] == 1 and cts.loc["B", "count_visit"] == 0
    assert costing.costing_settings(s.selection) == _costing()
    assert costing.costing_settings(None) == costing.CostingSettings()


def test_default_rates_are_sensible():
    r = costing.activity_rates()
    assert set(r.index) == set(costing.ACTIVITIES)
    assert (r["rate_per_minute"] > 0.3).all() and (r["rate_per_minute"] < 5).all()
    assert r.loc["trial", "cost_per_unit"] > r.loc["visit", "cost_per_unit"] > r.loc[
        "call", "cost_per_unit"]


@pytest.mark.parametrize("kwargs, words", [
    ({"unit_minutes": {"vist": 10.0}}, "Did you mean 'visit'"),
    ({"unit_minutes": {"visit": -5.0}}, "must be ≥ 0"),
    ({"activity_pool": {"visit": "nobody"}}, "not among the pools"),
    ({"minutes_source": "actual"}, "'standard' or 'recorded'"),
    ({"freight_per_delivery": -1.0}, "freight_per_delivery"),
])
def test_settings_errors_say_how_to_fix(kwargs, words):
    with pytest.raises(ValueError, match=words):
        costing.CostingSettings(**kwargs)


def test_pool_errors():
    with pytest.raises(ValueError, match="practical_minutes_per_person"):
        costing.ResourcePool("x", people=1, cost_per_person=1, practical_minutes_per_person=0)
    with pytest.raises(ValueError, match="listed twice"):
        costing.CostingSettings(pools=costing.DEFAULT_POOLS + costing.DEFAULT_POOLS[:1])


def test_costing_settings_round_trip():
    s = settings.replace(settings.Settings(), "selection.cost_to_serve", _costing(
        minutes_source="recorded"))
    back = settings.from_dict(settings.to_dict(s))
    assert back == s
    # the TOML text too
    import tomllib

    assert settings.from_dict(tomllib.loads(settings.dumps(s))) == s


def test_partial_unit_minutes_keep_defaults():
    c = costing.CostingSettings(unit_minutes={"visit": 300.0})
    assert c.minutes["visit"] == 300.0
    assert c.minutes["call"] == costing.DEFAULT_UNIT_MINUTES["call"]


def test_sample_cost_to_serve(sample, answer_key):
    """The planted loss makers are costly to serve: many small orders, complaints,
    visits, technical requests - far above customers of their size."""
    s = settings.Settings()
    cts = costing.cost_to_serve(sample, s)
    rev = selection.customer_values(sample, 2025)["revenue"]
    ratio = cts["cost_to_serve"] / rev.where(rev > 0)
    loss = answer_key.index[answer_key["is_loss_making_large"]]
    order = rev.sort_values(ascending=False).index
    for c in loss:  # compare like with like: the ten customers nearest in size
        i = order.get_loc(c)
        peers = order[max(0, i - 5): i + 6].difference(loss)
        assert ratio[c] > 2 * ratio[peers].median(), (c, ratio[c], ratio[peers].median())
    rep = costing.capacity_report(sample, s)
    assert 0.5 < rep.loc["total", "utilisation"] < 1.0
    assert np.isfinite(rep["unused_cost"]).all()
