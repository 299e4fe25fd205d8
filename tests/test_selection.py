"""Choosing key customers: every metric pinned to answers computed by hand on small
tables (ties, zero or negative values, a single customer, negative profit, one year of
history), then the planted phenomena found on the bundled data."""

from __future__ import annotations

import dataclasses
import tomllib

import numpy as np
import pandas as pd
import pytest

from kamlib import formatting
from kamlib import costing, data, measures, schema, selection, settings
from kamlib.selection import (AbcSettings, FuzzySettings, KeyAccountSettings,
                              LifetimeValueSettings, PortfolioSettings,
                              ProfitabilitySettings, PyramidSettings, ScorecardSettings)


def S(values: dict) -> pd.Series:
    return pd.Series(values, dtype="float64").rename_axis("customer_id")


# =========================================================================== concentration


def test_gini_by_hand():
    assert selection.gini([1, 2, 3, 4]) == pytest.approx(0.25)
    assert selection.gini([0, 0, 0, 10]) == pytest.approx(0.75)  # (n - 1) / n
    assert selection.gini([5]) == 0.0  # a single customer
    assert selection.gini([2, 2]) == 0.0  # ties: perfect equality
    assert np.isnan(selection.gini([]))
    assert np.isnan(selection.gini([0, 0]))
    with pytest.raises(ValueError, match="≥ 0"):
        selection.gini([3, -1])


def test_lorenz_and_concentration_curves():
    lc = selection.lorenz_curve([3, 1])
    assert lc["customer_share"].tolist() == [0, 0.5, 1]
    assert lc["value_share"].tolist() == [0, 0.25, 1]
    cc = selection.concentration_curve([3, 1])
    assert cc["value_share"].tolist() == [0, 0.75, 1]


def test_top_share_reads_the_curve_linearly():
    v = [40, 30, 20, 10]
    assert selection.top_share(v, 0.25) == pytest.approx(0.40)
    assert selection.top_share(v, 0.30) == pytest.approx(0.46)
    assert selection.top_share(v, 0.50) == pytest.approx(0.70)
    assert selection.top_share(v, 1.0) == pytest.approx(1.0)
    assert selection.top_share([7], 0.2) == pytest.approx(0.2)  # one customer: the diagonal
    assert selection.customers_for_share(v, 0.5) == 2
    assert selection.customers_for_share(v, 0.4) == 1


def test_pareto_table_with_ties():
    t = selection.pareto_table(S({"a": 10, "b": 5, "c": 10}))
    assert t.index.tolist() == ["a", "c", "b"]
    assert t["rank"].tolist() == [1, 1, 3]
    assert t["cumulative_share"].tolist() == pytest.approx([0.4, 0.8, 1.0])
    assert t["customer_share"].tolist() == pytest.approx([1 / 3, 2 / 3, 1.0])


def test_concentration_leaves_out_zero_and_negative():
    df = pd.DataFrame({"revenue": [50.0, 30.0, 0.0, -5.0]}, index=list("abcd"))
    c = selection.concentration(df, columns=["revenue"], tops=(0.5,)).loc["revenue"]
    assert c["customers"] == 2 and c["excluded"] == 2
    assert c["total"] == 80
    assert c["gini"] == pytest.approx(0.125)  # ((-1)*30 + 1*50) / (2*80)
    assert c["top_50pct"] == pytest.approx(50 / 80)


# =========================================================================== boundary rule

VALS = S({"a": 50, "b": 30, "c": 10, "d": 10, "e": 0, "f": -3})


@pytest.mark.parametrize("cut, basis, boundary, expected", [
    (0.20, "customers", "include", {"a"}),
    (0.25, "customers", "include", {"a"}),  # b starts exactly at the cut: outside
    (0.25, "customers", "exclude", {"a"}),  # a ends exactly at the cut: inside
    (0.30, "customers", "include", {"a", "b"}),  # b crosses 30 %: included
    (0.30, "customers", "exclude", {"a"}),
    (0.60, "customers", "include", {"a", "b", "c", "d"}),  # tied c, d cross: both in
    (0.60, "customers", "exclude", {"a", "b"}),  # ... or both out
    (0.50, "value", "include", {"a"}),  # a = 50 % of the value
    (0.60, "value", "include", {"a", "b"}),  # b spans 50-80 %
    (0.60, "value", "exclude", {"a"}),
    (0.85, "value", "include", {"a", "b", "c", "d"}),
])
def test_boundary_rule(cut, basis, boundary, expected):
    cls = selection.cut_classes(VALS, [cut, 1.0], ["A", "rest"], basis=basis,
                                boundary=boundary)
    assert set(cls[cls == "A"].index) == expected
    assert cls["e"] == "inactive" and cls["f"] == "inactive"  # zero, negative


def test_boundary_is_exact_in_floating_point():
    v = pd.Series(np.arange(100, 0, -1, dtype=float), index=[f"c{i}" for i in range(100)])
    for share, n in [(0.07, 7), (0.2, 20), (0.29, 29), (0.58, 58)]:
        cls = selection.cut_classes(v, [share, 1.0], ["A", "rest"])
        assert (cls == "A").sum() == n


def test_cumulative_position_with_ties():
    p = selection.cumulative_position(VALS, "customers")
    assert p.loc["c", "start"] == p.loc["d", "start"] == 0.5
    assert p.loc["c", "end"] == p.loc["d", "end"] == 1.0
    assert np.isnan(p.loc["e", "start"])


# =========================================================================== pyramid


def test_pyramid_tiers_by_hand():
    v = pd.Series(np.arange(100, 0, -1, dtype=float), index=[f"c{i:03d}" for i in range(100)])
    t = selection.assign_tiers(v)
    assert t.value_counts().to_dict() == {"small": 80, "medium": 15, "big": 4, "top": 1}
    # ten customers: each holds 10 % of the count. The first spans 0-10 %, crossing the
    # top (1 %) and big (5 %) cuts: it goes up to the top; big stays empty; the second
    # (10-20 %) is medium; the third starts at 20 %, at the cut: small.
    t10 = selection.assign_tiers(v.iloc[:10])
    assert t10.tolist() == ["top", "medium"] + ["small"] * 8
    # a single customer is the top
    assert selection.assign_tiers(S({"x": 5})).tolist() == ["top"]
    assert selection.assign_tiers(S({"x": 0, "y": -1})).tolist() == ["inactive"] * 2


def test_pyramid_shares_must_sum_to_one():
    with pytest.raises(ValueError, match="sum to 1"):
        PyramidSettings(top_share=0.05, small_share=0.8)
    with pytest.raises(ValueError, match="leaves nothing for small"):
        PyramidSettings(top_share=0.5, big_share=0.4, medium_share=0.2)
    assert PyramidSettings(top_share=0.05).shares[3] == pytest.approx(0.76)  # the rest
    ps = PyramidSettings(top_share=0.02, big_share=0.08, medium_share=0.2, small_share=0.7)
    assert ps.cuts.tolist() == pytest.approx([0.02, 0.1, 0.3, 1.0])


def test_pyramid_summary():
    t = pd.DataFrame({"pyramid_tier": ["top", "small", "small", "inactive"],
                      "revenue": [60.0, 30.0, 10.0, 0.0], "profit": [5.0, 10.0, -5.0, -1.0]})
    s = selection.pyramid_summary(t)
    assert s.loc["small", "customers"] == 2 and s.loc["big", "customers"] == 0
    assert s.loc["top", "customer_share"] == pytest.approx(1 / 3)
    assert s.loc["small", "revenue_share"] == pytest.approx(0.4)
    assert s.loc["top", "profit_share"] == pytest.approx(5 / 9)


def test_migration_matrix_by_hand():
    a = pd.Series({"a": "top", "b": "small", "c": "inactive", "e": "medium"})
    b = pd.Series({"a": "big", "b": "small", "c": "small", "d": "medium", "e": "big"})
    m = selection.migration_matrix(a, b)
    assert m.loc["top", "big"] == 1 and m.loc["small", "small"] == 1
    assert m.loc["inactive", "small"] == 1 and m.loc["inactive", "medium"] == 1  # d is new
    assert m.loc["medium", "big"] == 1
    assert m.to_numpy().sum() == 5
    assert selection.migration_summary(m) == {"up": 1, "down": 1, "same": 1, "new": 2,
                                              "lost": 0}


def test_simulate_moving_up_by_hand():
    t = pd.DataFrame({
        "pyramid_tier": ["top", "big", "big", "medium", "medium"] + ["small"] * 4,
        "revenue": [100.0, 50, 30, 10, 8, 4, 3, 2, 1],
        "profit": [20.0, 10, 3, 1, 1, 0.4, 0.3, 0.2, 0.1],
    })
    r = selection.simulate_moving_up(t, PyramidSettings(move_share=0.5))
    # movers: half of each tier below the top (1, 1, 2), the largest of each tier
    assert r["movers"].tolist() == [0, 1, 1, 2, 4]
    # big 50 -> top: mean top revenue 100 at the top's margin 20 %: profit 20
    # medium 10 -> big: mean big revenue 40 at 13/80: profit 6.5
    # small 4, 3 -> medium: mean medium revenue 9 at 2/18: profit 1 each
    assert r.loc["top", "revenue_after"] == pytest.approx(200)
    assert r.loc["big", "revenue_after"] == pytest.approx(70)
    assert r.loc["medium", "revenue_after"] == pytest.approx(26)
    assert r.loc["small", "revenue_after"] == pytest.approx(3)
    assert r.loc["total", "revenue_before"] == pytest.approx(208)
    assert r.loc["total", "revenue_after"] == pytest.approx(299)
    assert r.loc["total", "profit_before"] == pytest.approx(36)
    assert r.loc["total", "profit_after"] == pytest.approx(40 + 9.5 + 3 + 0.3)


# =========================================================================== ABC


def test_growth_rates_and_average_growth():
    y = pd.DataFrame({2023: [100.0, 0.0, 50.0], 2024: [110.0, 10.0, 50.0],
                      2025: [121.0, 20.0, 0.0]}, index=["g", "new", "gone"])
    g = selection.growth_rates(y, 2025, 2)
    assert g.loc["g"].tolist() == pytest.approx([0.10, 0.10])
    assert np.isnan(g.loc["new", "growth_2024"])  # growth from nothing is not a rate
    assert g.loc["new", "growth_2025"] == pytest.approx(1.0)
    assert g.loc["gone", "growth_2025"] == pytest.approx(-1.0)
    a = selection.average_growth(y, 2025, 2)
    assert a["g"] == pytest.approx(0.10)
    assert np.isnan(a["new"])


def test_abc_classes_by_hand():
    sales = S({"a": 100, "b": 50, "g": 30, "c": 20, "d": 10, "h": 8, "f": 5, "e": 0})
    growth = pd.DataFrame({
        "growth_2024": {"a": 0.0, "b": 0.2, "g": 0.2, "c": 0.1, "d": 0.2, "h": 0.0999,
                        "f": np.nan, "e": 0.5},
        "growth_2025": {"a": 0.0, "b": 0.2, "g": 0.2, "c": 0.1, "d": 0.15, "h": 0.2,
                        "f": np.nan, "e": 0.5},
    })
    loyalty = S({"a": 5, "b": 5, "g": 3, "c": 4, "d": np.nan, "h": 5, "f": 5, "e": 5})
    r = selection.abc_classes(sales, growth, loyalty, AbcSettings(top_share=0.2))
    # 7 active customers: 20 % -> the top 2 (b crosses the cut at 14-29 %)
    assert r["abc_class"].to_dict() == {
        "a": "A", "b": "A",   # b also grows, but A comes first
        "g": "C",             # grows, cooperation 3 < 4
        "c": "B",             # exactly +10 % twice, cooperation 4: B (the bound counts)
        "d": "C",             # grows, no assessment
        "h": "C",             # +9.99 % one year
        "f": "C",             # one year of history: growth unknown, never B
        "e": "C",             # no sales this year
    }
    r2 = selection.abc_classes(sales, growth, loyalty, AbcSettings(top_share=0.2,
                                                                   loyalty_min=3))
    assert r2.loc["g", "abc_class"] == "B"


def test_abc_value_basis():
    sales = S({"a": 70, "b": 20, "c": 10})
    r = selection.abc_classes(sales, pd.DataFrame(index=sales.index), S({}),
                              AbcSettings(top_share=0.8, basis="value"))
    assert r["abc_class"].tolist() == ["A", "A", "C"]  # b spans 70-90 %: crosses 80 %


# =========================================================================== scorecard


def test_rank_and_minmax_normalisation_with_ties():
    raw = pd.DataFrame({"revenue": [10.0, 20, 20, 40], "cooperation": [1, 3, 5, np.nan],
                        "discount_depth": [0.1, 0.2, 0.2, 0.4],
                        "share_of_wallet": [0.2, 1.3, np.nan, 0.5]})
    n = selection.normalise(raw, ScorecardSettings())
    assert n["revenue"].tolist() == pytest.approx([0, 0.5, 0.5, 1])
    assert n["discount_depth"].tolist() == pytest.approx([1, 0.5, 0.5, 0])  # less is better
    assert n["cooperation"].tolist() == pytest.approx([0, 0.5, 1, 0])  # missing -> 0
    assert n["share_of_wallet"].tolist() == pytest.approx([0.2, 1.0, 0, 0.5])
    m = selection.normalise(raw, ScorecardSettings(normalisation="minmax", missing_value=0.5))
    assert m["revenue"].tolist() == pytest.approx([0, 1 / 3, 1 / 3, 1])
    assert m["cooperation"].iloc[3] == 0.5


def test_normalisation_outside_the_universe_and_single_customer():
    raw = pd.DataFrame({"revenue": [10.0, 20, 30, 25, 5]})
    uni = pd.Series([True, True, True, False, False])
    n = selection.normalise(raw, universe=uni)["revenue"]
    assert n.tolist() == pytest.approx([0, 0.5, 1, 0.75, 0])
    one = selection.normalise(pd.DataFrame({"revenue": [7.0]}))["revenue"]
    assert one.tolist() == [0.5]


def test_scorecard_by_hand():
    norm = pd.DataFrame({"revenue": [1.0, 0.5], "profit": [0.0, 1.0]}, index=["x", "y"])
    card = selection.scorecard(norm, {"revenue": 3, "profit": 1, "growth": 0})
    assert card["score"].tolist() == pytest.approx([75.0, 62.5])
    assert card.loc["y", "revenue"] == pytest.approx(37.5)
    assert card.loc["y", "profit"] == pytest.approx(25.0)
    assert "growth" not in card.columns  # weight 0: not shown
    assert (card.drop(columns="score").sum(axis=1) == card["score"]).all()
    with pytest.raises(ValueError, match="at least one weight"):
        selection.scorecard(norm, {"revenue": 0})


def test_goal_presets_and_custom_weights():
    w = ScorecardSettings(goal="grow profit").effective_weights
    assert sum(w.values()) == pytest.approx(1.0)
    assert w["profit"] == pytest.approx(4 / 15)  # 4 of 4+3+2+2+1+1+1+1
    c = ScorecardSettings(goal="custom", weights={"profit": 2, "growth": 2})
    assert c.effective_weights["profit"] == 0.5 and c.effective_weights["revenue"] == 0
    table = selection.goal_weights()
    assert set(table.columns) == {"family"} | set(selection.GOAL_PRESETS)
    assert table.loc["target_industry", "build a distribution network"] > 0
    assert table.loc["revenue", "build a distribution network"] == 0


@pytest.mark.parametrize("kwargs, words", [
    ({"goal": "grow profits"}, "Did you mean 'grow profit'"),
    ({"goal": "custom"}, "needs weights"),
    ({"goal": "custom", "weights": {"profit": -1.0}}, "≥ 0"),
    ({"goal": "custom", "weights": {"profitt": 1.0}}, "Did you mean 'profit'"),
    ({"goal": "balanced", "weights": {"profit": 1.0}}, "Set goal = 'custom'"),
    ({"normalisation": "zscore"}, "'rank', 'minmax'"),
])
def test_scorecard_settings_errors(kwargs, words):
    with pytest.raises(settings.SettingsError, match=words):
        ScorecardSettings(**kwargs)


def test_family_scores_equal_weights_when_the_goal_gives_none():
    norm = pd.DataFrame({"revenue": [1.0], "growth": [0.0], "cooperation": [0.5],
                         "share_of_wallet": [1.0]})
    f = selection.family_scores(norm, {"revenue": 1.0, "growth": 1.0})
    assert f["potential"].iloc[0] == pytest.approx(50)
    assert f["relationship"].iloc[0] == pytest.approx(75)  # equal weights


# =========================================================================== fuzzy


def test_fuzzy_membership_triangles():
    mu = selection.fuzzy_membership([0.25, 1.0, -0.2, 0.5], (0.0, 0.5, 1.0))
    np.testing.assert_allclose(mu, [[0.5, 0.5, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]])
    x = np.linspace(-0.1, 1.1, 50)
    assert selection.fuzzy_membership(x, (0.125, 0.375, 0.625, 0.875)).sum(axis=1) == \
        pytest.approx(np.ones(50))


def test_fuzzy_evaluation_by_hand():
    fz = FuzzySettings(grades=("low", "mid", "high"), centres=(0.0, 0.5, 1.0),
                       values=(0.0, 50.0, 100.0), key_grades=("high",))
    norm = pd.DataFrame({"revenue": [1.0, 0.5, 0.25], "profit": [0.0, 0.5, 1.0]},
                        index=["x", "y", "z"])
    w = {"revenue": 3.0, "profit": 1.0}
    e = selection.fuzzy_evaluation(norm, w, fz)
    assert e.loc["x", ["low", "mid", "high"]].tolist() == pytest.approx([0.25, 0, 0.75])
    assert e.loc["x", "fuzzy_grade"] == "high" and e.loc["x", "fuzzy_score"] == pytest.approx(75)
    assert e.loc["y", "fuzzy_grade"] == "mid" and e.loc["y", "fuzzy_score"] == pytest.approx(50)
    # z: B = 0.75*(.5, .5, 0) + 0.25*(0, 0, 1) = (.375, .375, .25): a tie goes to the lower
    assert e.loc["z", ["low", "mid", "high"]].tolist() == pytest.approx([0.375, 0.375, 0.25])
    assert e.loc["z", "fuzzy_grade"] == "low"
    assert e.loc["z", "fuzzy_score"] == pytest.approx(43.75)
    m = selection.fuzzy_evaluation(norm, w, dataclasses.replace(fz, operator="max_min"))
    # z: low = max(min(.75, .5), min(.25, 0)) = .5, mid = .5, high = .25 -> / 1.25
    assert m.loc["z", ["low", "mid", "high"]].tolist() == pytest.approx([0.4, 0.4, 0.2])
    assert m.loc["z", "fuzzy_score"] == pytest.approx(40)


def test_fuzzy_settings_errors():
    with pytest.raises(settings.SettingsError, match="same length"):
        FuzzySettings(centres=(0.0, 1.0))
    with pytest.raises(settings.SettingsError, match="increase"):
        FuzzySettings(centres=(0.5, 0.2, 0.7, 0.9))


# =========================================================================== profitability


def test_whale_curve_by_hand():
    p = S({"a": 50, "b": 30, "c": -10, "d": 0})
    w = selection.whale_curve(p)
    assert w.index.tolist() == ["a", "b", "d", "c"]
    assert w["cumulative_profit"].tolist() == [50, 80, 80, 70]
    assert w["cumulative_share"].tolist() == pytest.approx([50 / 70, 80 / 70, 80 / 70, 1])
    s = selection.whale_summary(p)
    assert s["peak"] == 80 and s["peak_share"] == pytest.approx(80 / 70)
    assert s["peak_customer_share"] == 0.5
    assert s["top20_share"] == pytest.approx(40 / 70)  # 80 % of the way to the first
    assert s["losses"] == -10 and s["loss_makers"] == 1
    neg = selection.whale_summary(S({"a": -5, "b": 2}))
    assert np.isnan(neg["peak_share"]) and neg["loss_makers"] == 1


def test_shapiro_quadrants_by_hand():
    price = S({"ct": 0.9, "pa": 0.9, "bb": 0.8, "ag": 0.8, "edge": 0.85, "na": np.nan})
    cost = S({"ct": 0.1, "pa": 0.01, "bb": 0.01, "ag": 0.1, "edge": 0.05, "na": 0.1})
    q = selection.shapiro_quadrants(price, cost, 0.85, 0.05)
    assert q.drop("na").to_dict() == {"ct": "carriage trade", "pa": "passive",
                                      "bb": "bargain basement", "ag": "aggressive",
                                      "edge": "carriage trade"}  # at the cut: high
    assert pd.isna(q["na"])
    per = selection.shapiro_quadrants(price.iloc[:2], cost.iloc[:2],
                                      S({"ct": 0.95, "pa": 0.8}), 0.05)
    assert per.tolist() == ["aggressive", "passive"]


def test_now_future_quadrants_by_hand():
    now = S({"best": 10, "keep": 10, "invest": 1, "worst": 1, "shrinks": 10})
    fut = S({"best": 12, "keep": 4, "invest": 12, "worst": 1, "shrinks": 9})
    q = selection.now_future_quadrants(now, fut, 5, 5, must_grow=True)
    assert q.to_dict() == {"best": "best", "keep": "keep", "invest": "invest",
                           "worst": "worst", "shrinks": "keep"}
    assert selection.now_future_quadrants(now, fut, 5, 5)["shrinks"] == "best"


def test_future_profit_by_hand():
    ps = ProfitabilitySettings(horizon_years=2, headroom_capture=0.5, trend_cap=0.5)
    f = selection.future_profit(S({"x": 100, "y": 100, "z": -50}),
                                S({"x": 0.1, "y": 0.9, "z": np.nan}),
                                S({"x": 10, "y": 0, "z": np.nan}),
                                S({"x": 2, "y": 2, "z": 1}), ps)
    assert f["x"] == pytest.approx(100 * 1.21 + 0.5 * 10 * 2)
    assert f["y"] == pytest.approx(100 * 1.5 ** 2)  # trend capped at +50 %
    assert f["z"] == pytest.approx(-50)  # no trend, no headroom: as today


def test_peer_thresholds():
    x = S({"a": 1, "b": 3, "c": 10, "d": 20, "e": 99})
    act = pd.Series(True, index=x.index).where(x.index != "e", False)
    g = pd.Series({"a": "big", "b": "big", "c": "small", "d": "small", "e": "small"})
    t = selection.peer_thresholds(x, None, act, g)
    assert t.to_dict() == {"a": 2.0, "b": 2.0, "c": 15.0, "d": 15.0, "e": 15.0}
    assert selection.peer_thresholds(x, None, act) == 6.5
    assert selection.peer_thresholds(x, 0.3, act, g) == 0.3


# =========================================================================== lifetime value


def test_lifetime_value_conventions_by_hand():
    m = S({"x": 100, "loss": -100})
    end = selection.lifetime_value(m, LifetimeValueSettings(retention=0.9, discount_rate=0.1))
    assert end["x"] == pytest.approx(450)  # 100 * 0.9 / (1.1 - 0.9)
    assert end["loss"] == pytest.approx(-450)
    start = selection.lifetime_value(m, LifetimeValueSettings(
        retention=0.9, discount_rate=0.1, convention="start"))
    assert start["x"] == pytest.approx(550)  # 100 * 1.1 / 0.2
    q = 0.9 / 1.1
    fin = selection.lifetime_value(m, LifetimeValueSettings(
        retention=0.9, discount_rate=0.1, horizon_years=2))
    assert fin["x"] == pytest.approx(100 * (q + q * q))
    fin_s = selection.lifetime_value(m, LifetimeValueSettings(
        retention=0.9, discount_rate=0.1, horizon_years=2, convention="start"))
    assert fin_s["x"] == pytest.approx(100 * (1 + q))
    assert selection.margin_multiple(0.0, 0.1, "end") == 0.0
    assert selection.margin_multiple(0.0, 0.1, "start") == pytest.approx(1.0)
    # the finite sum tends to the closed form
    assert selection.margin_multiple(0.9, 0.1, "end", 100) == pytest.approx(4.5, rel=1e-6)
    with pytest.raises(settings.SettingsError, match="retention"):
        LifetimeValueSettings(retention=1.0)


# =========================================================================== portfolio, rule


def test_portfolio_actions_by_hand():
    att = S({"hh": 80, "hl": 80, "mm": 50, "ll": 20, "edge": 200 / 3})
    rel = S({"hh": 80, "hl": 10, "mm": 50, "ll": 10, "edge": 50})
    a = selection.portfolio_actions(att, rel)
    assert a["portfolio_action"].to_dict() == {
        "hh": "invest for growth", "hl": "invest selectively", "mm": "invest selectively",
        "ll": "withdraw", "edge": "invest for growth"}  # a cut goes to the higher band
    custom = PortfolioSettings(grid={"low-low": "manage for cash"})
    assert selection.portfolio_actions(att, rel, custom)["portfolio_action"]["ll"] == \
        "manage for cash"
    with pytest.raises(settings.SettingsError, match="Did you mean"):
        PortfolioSettings(grid={"high-high": "invest for grwth"})


def test_key_rules_by_hand():
    cls = pd.Series(["A", "A", "B", "C", "A"], index=list("pqrst"))
    score = pd.Series([70.0, 50, 30, 90, 80], index=cls.index)
    rank = score.rank(ascending=False, method="min")
    active = pd.Series([True, True, True, True, False], index=cls.index)
    nom, why = selection.key_rule(cls, score, rank, active, KeyAccountSettings())
    assert nom.tolist() == [True, False, True, False, False]  # B needs no confirmation
    assert why.tolist() == ["", "score below 60", "", "not class A/B", "no sales this year"]
    strict = KeyAccountSettings(confirm_classes=("A", "B"))
    assert selection.key_rule(cls, score, rank, active, strict)[0].tolist() == \
        [True, False, False, False, False]
    top2 = KeyAccountSettings(rule="score_top_n", top_n=2)
    # ranks: s 1, t 2, p 3: the two best are s and t, and t is inactive
    assert selection.key_rule(cls, score, rank, active, top2)[0].tolist() == \
        [False, False, False, True, False]
    assert selection.key_rule(cls, score, rank, active,
                              KeyAccountSettings(rule="abc"))[0].tolist() == \
        [True, True, True, False, False]


# =========================================================================== the key-account list


def _order(oid, cust, year, kg, net=9.0, cost=6.0, delivered=True):
    return {"order_id": oid, "order_line": 1, "customer_id": cust, "product_id": "P1",
            "order_date": f"{year}-03-01", "quantity_kg": kg, "list_price_per_kg": 10.0,
            "net_price_per_kg": net, "unit_cost_per_kg": cost,
            "promised_delivery_date": f"{year}-03-10",
            "actual_delivery_date": f"{year}-03-09" if delivered else None,
            "delivered_kg": kg if delivered else 0.0, "deal_type": "none"}


def make_kd(orders, interactions=(), assessments=(), rebates=(), ids=None):
    def table(rows, t):
        df = pd.DataFrame(list(rows)) if len(rows) else pd.DataFrame(
            {c: [] for c in t.column_names})
        return data.coerce_table(df, t)

    ids = ids or sorted({o["customer_id"] for o in orders})
    cust = [{"customer_id": c, "customer_name": f"Customer {c}",
             "industry": "distributor" if c == "MID" else "feed premix", "region": "R",
             "country": "X", "account_manager": "AM", "first_order_date": "2015-01-01"}
            for c in ids]
    return data.KamData(
        customers=table(cust, schema.CUSTOMERS), products=table([], schema.PRODUCTS),
        orders=data.add_order_measures(table(orders, schema.ORDERS)),
        interactions=table(interactions, schema.INTERACTIONS),
        contacts=table([], schema.CONTACTS), assessments=table(assessments, schema.ASSESSMENTS),
        rebates=table(rebates, schema.REBATES), source="test")


def _costing():
    pools = (costing.ResourcePool("desk", 1, 60_000, 60_000),
             costing.ResourcePool("field", 2, 120_000, 40_000))
    minutes = {a: 0.0 for a in costing.ACTIVITIES}
    minutes.update({"order line": 10, "delivery": 20, "visit": 100})
    pool_of = {a: ("field" if a == "visit" else "desk") for a in costing.ACTIVITIES}
    return costing.CostingSettings(pools=pools, unit_minutes=minutes, activity_pool=pool_of,
                                   freight_per_delivery=100.0)


@pytest.fixture()
def small():
    """BIG: the largest, loses money; MID: profitable; GROW: +10 % twice, cooperative;
    NEW: one year of history; GONE: bought in 2024 only; SMALL: tiny."""
    orders = [
        _order("o1", "BIG", 2025, 10_000, net=6.2),
        _order("o2", "MID", 2025, 5_000),
        _order("o3", "GROW", 2023, 100), _order("o4", "GROW", 2024, 110),
        _order("o5", "GROW", 2025, 121),
        _order("o6", "NEW", 2025, 500),
        _order("o7", "GONE", 2024, 800),
        _order("o8", "SMALL", 2025, 50),
    ]
    visits = [{"interaction_id": f"v{i}", "customer_id": "BIG", "date": "2025-05-01",
               "type": "visit", "effort_minutes": 100} for i in range(10)]
    assess = [
        {"customer_id": "GROW", "year": 2025, "cooperation": 4, "information_sharing": 4,
         "strategic_fit": 3, "growth_potential": 5, "estimated_annual_use_kg": 400},
        {"customer_id": "MID", "year": 2025, "cooperation": 3, "information_sharing": 3,
         "strategic_fit": 3, "growth_potential": 3, "estimated_annual_use_kg": 10_000},
        {"customer_id": "NEW", "year": 2025, "cooperation": 5, "information_sharing": 5,
         "strategic_fit": 5, "growth_potential": 5, "estimated_annual_use_kg": 500},
    ]
    rebates = [{"customer_id": "BIG", "year": 2025, "rebate_paid": 1_000.0}]
    return make_kd(orders, visits, assess, rebates)


def _settings(**changes):
    # the hand-made orders end before December: 2025 is partial, so it is set explicitly
    s = settings.replace(settings.Settings(), "period.analysis_year", 2025)
    s = settings.replace(s, "selection.cost_to_serve", _costing())
    s = settings.replace(s, "selection.abc.top_share", 0.4)
    for k, v in changes.items():
        s = settings.replace(s, k, v)
    return s


def test_customer_facts_profit_by_hand(small):
    f = selection.customer_facts(small, _settings())
    big, mid = f.loc["BIG"], f.loc["MID"]
    # BIG: revenue 62,000, margin 2,000, rebate 1,000, cost to serve
    # 10 + 20 + 100 freight + 10 visits x 100 min x EUR 3 = 3,130
    assert big["revenue"] == pytest.approx(62_000)
    assert big["gross_margin"] == pytest.approx(2_000)
    assert big["cost_to_serve"] == pytest.approx(3_130)
    assert big["profit"] == pytest.approx(-2_130)
    assert big["discount_depth"] == pytest.approx(1 - (62_000 - 1_000) / 100_000)
    assert mid["profit"] == pytest.approx(15_000 - 130)
    assert mid["share_of_wallet"] == pytest.approx(0.5)
    assert mid["wallet_headroom_kg"] == pytest.approx(5_000)
    assert f.loc["GROW", "growth_2024"] == pytest.approx(0.1)
    assert f.loc["GROW", "growth"] == pytest.approx(0.1)
    assert np.isnan(f.loc["NEW", "growth_2025"])
    assert not f.loc["GONE", "is_active"] and f.loc["GONE", "revenue"] == 0
    assert f.loc["MID", "target_industry"] == 1.0 and f.loc["BIG", "target_industry"] == 0.0
    assert f.loc["MID", "tenure"] == pytest.approx((pd.Timestamp("2025-12-31")
                                                    - pd.Timestamp("2015-01-01")).days / 365.25)


CONTRACT = ["customer_name", "account_manager", "revenue", "gross_margin", "profit",
            "cost_to_serve", "abc_class", "pyramid_tier", "score", "score_rank",
            "profitability_quadrant", "shapiro_quadrant", "portfolio_action",
            "lifetime_value", "share_of_wallet", "is_key", "reasons"]


def test_key_accounts_on_a_small_table(small):
    s = _settings(**{"selection.key_accounts.rule": "abc"})
    with formatting.using(formatting.Company(currency="EUR")):  # the reasons' currency
        ka = selection.key_accounts(small, s)
    with formatting.using(formatting.NEUTRAL):
        assert "loses 2130 after rebates (1000)" in selection.key_accounts(small, s).loc[
            "BIG", "reasons"]
    assert set(CONTRACT) <= set(ka.columns)
    assert ka.index.name == "customer_id"
    assert sorted(ka.index) == sorted(["BIG", "MID", "GROW", "NEW", "GONE", "SMALL"])
    # 5 active: A = top 40 % of the customers -> BIG and MID
    assert ka["abc_class"].to_dict() == {"BIG": "A", "MID": "A", "GROW": "B", "NEW": "C",
                                         "GONE": "C", "SMALL": "C"}
    assert ka.loc["BIG", "pyramid_tier"] == "top" and ka.loc["GONE", "pyramid_tier"] == "inactive"
    # loss makers are excluded by default, with the reason in words
    assert ka["is_key"].to_dict() == {"BIG": False, "MID": True, "GROW": True, "NEW": False,
                                      "GONE": False, "SMALL": False}
    assert ka.loc["BIG", "is_loss_maker"]
    assert ka.loc["BIG", "reasons"].startswith("not key: loses money")
    assert "loses EUR 2130 after rebates (EUR 1000) and cost to serve (EUR 3130)" in \
        ka.loc["BIG", "reasons"]
    assert ka.loc["MID", "reasons"].startswith("KEY; class A (top 40% of customers by revenue, "
                                               "rank 2 of 5)")
    assert "class B (volume grew ≥ 10% in each of the last 2 years" in ka.loc["GROW", "reasons"]
    assert ka.loc["GONE", "reasons"].startswith("not key: no sales this year")
    # inactive customers score 0 and have no rank
    assert ka.loc["GONE", "score"] == 0 and pd.isna(ka.loc["GONE", "score_rank"])
    assert ka["score"].between(0, 100).all()
    assert ka.loc[ka["is_active"], "score_rank"].notna().all()
    # lifetime value: profit x 0.9 / (1.1 - 0.9)
    assert ka.loc["MID", "lifetime_value"] == pytest.approx(14_870 * 4.5)
    assert ka.loc["BIG", "lifetime_value"] < 0
    assert ka.loc["BIG", "profitability_quadrant"] == "worst"
    flagged = selection.key_accounts(small, _settings(**{
        "selection.key_accounts.rule": "abc", "selection.key_accounts.loss_makers": "flag"}))
    assert flagged.loc["BIG", "is_key"]
    assert flagged.loc["BIG", "reasons"].startswith("KEY, but LOSES MONEY")


def test_a_single_customer(small):
    one = make_kd([_order("o1", "X", 2024, 100), _order("o2", "X", 2025, 120)])
    ka = selection.key_accounts(one, _settings(**{"selection.key_accounts.rule": "abc"}))
    assert len(ka) == 1
    x = ka.loc["X"]
    assert x["abc_class"] == "A" and x["pyramid_tier"] == "top" and x["score_rank"] == 1
    assert 0 <= x["score"] <= 100 and x["is_key"]
    c = selection.concentration(selection.customer_values(one, 2025))
    assert c.loc["revenue", "gini"] == 0 and c.loc["revenue", "top_20pct"] == pytest.approx(0.2)


def test_zero_revenue_customer_is_inactive():
    kd = make_kd([_order("o1", "A", 2025, 100), _order("o2", "Z", 2025, 100,
                                                       delivered=False)])
    ka = selection.key_accounts(kd, _settings())
    assert not ka.loc["Z", "is_active"]
    assert ka.loc["Z", "abc_class"] == "C" and ka.loc["Z", "pyramid_tier"] == "inactive"
    assert not ka.loc["Z", "is_key"]


def test_analysis_year_without_orders_is_explained(small):
    s = settings.replace(settings.Settings(), "period.analysis_year", 2030)
    with pytest.raises(ValueError, match="analysis_year"):
        selection.key_accounts(small, s)


def test_goal_changes_the_scores(small):
    f = selection.customer_facts(small, _settings())
    a = selection.decide(f, selection.with_goal(_settings(), "grow profit"))
    b = selection.decide(f, selection.with_goal(_settings(), "build a distribution network"))
    assert a.loc["BIG", "score"] != b.loc["BIG", "score"]
    net = selection.with_goal(_settings(), "build a distribution network")
    bd_net = selection.score_breakdown(f, net, ["MID", "BIG"])
    # the distributor MID gets target_industry's full weight: 100 x 3/16 points
    assert bd_net.loc["MID", "target_industry"] == pytest.approx(100 * 3 / 16)
    assert bd_net.loc["BIG", "target_industry"] == 0
    assert "target_industry" not in selection.score_breakdown(
        f, selection.with_goal(_settings(), "grow profit"), ["MID"]).columns
    bd = selection.score_breakdown(f, _settings(), ["MID"])
    assert bd.drop(columns="score").sum(axis=1).iloc[0] == pytest.approx(bd["score"].iloc[0])


# =========================================================================== settings


def test_selection_settings_round_trip():
    s = settings.Settings()
    s = settings.replace(s, "selection.scorecard",
                         ScorecardSettings(goal="custom", weights={"profit": 2.0, "growth": 1.5},
                                           target_industries=("distributor", "pharma")))
    s = settings.replace(s, "selection.pyramid.top_share", 0.02)  # small takes the rest
    s = settings.replace(s, "selection.pyramid.small_share", 0.79)
    s = settings.replace(s, "selection.profitability.now_threshold", 10_000.0)
    s = settings.replace(s, "selection.lifetime_value.horizon_years", 5)
    s = settings.replace(s, "selection.fuzzy.operator", "max_min")
    s = settings.replace(s, "selection.key_accounts.key_classes", ["A"])
    assert settings.from_dict(settings.to_dict(s)) == s
    assert settings.from_dict(tomllib.loads(settings.dumps(s))) == s
    d = settings.Settings()
    assert settings.from_dict(tomllib.loads(settings.dumps(d))) == d


def test_settings_file_errors_name_the_key(tmp_path):
    p = tmp_path / "kam.toml"
    p.write_text("[selection.abc]\ntop_share = 1.5\n", encoding="utf-8")
    with pytest.raises(settings.SettingsError, match="selection.abc.top_share"):
        settings.load(p)
    p.write_text("[selection.pyramid]\ntop_share = 0.1\nsmall_share = 0.8\n",
                 encoding="utf-8")
    with pytest.raises(settings.SettingsError, match="sum to 1"):
        settings.load(p)
    p.write_text("[selection.key_accounts]\nrule = 'top_n'\n", encoding="utf-8")
    with pytest.raises(settings.SettingsError, match="score_top_n"):
        settings.load(p)


# =========================================================================== bundled data


@pytest.fixture(scope="module")
def ka_sample(sample):
    return selection.key_accounts(sample, settings.Settings())


def test_sample_concentration(sample):
    c = selection.concentration(selection.customer_values(sample, 2025)).loc["revenue"]
    assert 0.75 <= c["top_20pct"] <= 0.85
    assert 0.7 <= c["gini"] <= 0.85


def test_sample_loss_making_large_customers_are_found(ka_sample, answer_key):
    loss = answer_key.index[answer_key["is_loss_making_large"]]
    k = ka_sample.loc[loss]
    assert (k["abc_class"] == "A").all()
    assert (k["profit"] < 0).all()
    assert not k["is_key"].any()
    # planted: net prices below our unit cost - a low price realisation against the
    # active customers; against their pyramid tier (the default peers, where they are
    # many of the few) all but one are "aggressive" (low price, high cost to serve)
    active_price = ka_sample.loc[ka_sample["is_active"], "price_realisation"].median()
    assert (k["price_realisation"] < active_price).all()
    assert (k["shapiro_quadrant"] == "aggressive").sum() >= len(k) - 1
    assert (k["profitability_quadrant"] == "worst").all()
    # and the profit view finds no other large loss maker
    a = ka_sample.loc[ka_sample["abc_class"] == "A"]
    assert set(a.index[a["is_loss_maker"]]) == set(loss)


def test_sample_growing_customers_are_class_b_and_key(ka_sample, answer_key):
    grow = answer_key.index[answer_key["is_growing"]]
    b = ka_sample.index[ka_sample["abc_class"] == "B"]
    assert ka_sample.loc[grow, "abc_class"].eq("B").mean() >= 0.8
    assert answer_key.loc[b, "is_growing"].mean() >= 0.8  # B is the planted growers
    assert ka_sample.loc[b, "is_key"].all()


def test_sample_key_list_size_and_reasons(ka_sample):
    n = int(ka_sample["is_key"].sum())
    assert 30 <= n <= 60
    assert ka_sample["reasons"].str.len().gt(20).all()
    assert ka_sample.loc[ka_sample["is_key"], "reasons"].str.startswith("KEY").all()


def test_sample_decaying_customers_are_keep(ka_sample, answer_key):
    """The now-versus-future matrix sees the planted decline: every decaying customer
    whose profit matters (EUR 5,000 or more) has a future profit below today's and is
    "keep" (profitable now, not in future). The smallest ones, and one that buys most
    of its need elsewhere (share of wallet among the lowest tenth of the customers),
    can read otherwise: their falling purchases leave headroom that the future
    estimate counts."""
    dec = answer_key.index[answer_key["is_decaying"]]
    d = ka_sample.loc[dec]
    low_share = ka_sample["share_of_wallet"].quantile(0.1)
    matters = (d["profit"] >= 5000) & ~(d["share_of_wallet"] < low_share)
    assert matters.sum() >= 5
    assert (d.loc[matters, "future_profit"] < d.loc[matters, "profit"]).all()
    assert d.loc[matters, "profitability_quadrant"].eq("keep").all()


def test_sample_goal_changes_who_is_key(sample):
    s = settings.Settings()
    f = selection.customer_facts(sample, s)
    bal = selection.decide(f, selection.with_goal(s, "balanced"))
    net = selection.decide(f, selection.with_goal(s, "build a distribution network"))
    assert set(bal.index[bal["is_key"]]) != set(net.index[net["is_key"]])
    share = {n: t.loc[t["is_key"], "industry"].eq("distributor").mean()
             for n, t in (("balanced", bal), ("network", net))}
    assert share["network"] > share["balanced"]
    # the golden-key lesson: the network goal picks smaller customers
    assert net.loc[net["is_key"], "revenue"].median() < bal.loc[bal["is_key"], "revenue"].median()


def test_sample_disagreements_are_shown(ka_sample):
    d = selection.disagreements(ka_sample)
    findings = set(d["finding"])
    assert any(f.startswith("big customer, not key: it loses money") for f in findings)
    assert any(f.startswith("key although not among the biggest") for f in findings)
    agree = selection.method_agreement(ka_sample)
    assert agree.loc["key-account list", "share_key"] == 1.0


# =========================================================================== widgets


def test_workshop_widget_recomputes_and_saves(sample, tmp_path):
    """The workshop builds headless, a goal change updates the list, and the save button
    writes settings that reproduce the same list."""
    pytest.importorskip("ipywidgets")
    import matplotlib

    matplotlib.use("Agg")
    from kamlib.widgets import selection as selection_widgets

    s = settings.Settings()
    facts = selection.customer_facts(sample, s)
    path = tmp_path / "kam_settings.toml"
    w = selection_widgets.key_account_workshop(sample, s, settings_file=str(path),
                                               facts=facts, show_chart=False)
    goal, _, buttons, summary = w.children[:4]
    n_default = int(selection.decide(facts, s)["is_key"].sum())
    assert summary.value.startswith(f"<b>{n_default} key accounts</b>")
    goal.value = "build a distribution network"
    n_net = int(selection.decide(facts, selection.with_goal(s, goal.value))["is_key"].sum())
    assert summary.value.startswith(f"<b>{n_net} key accounts</b>") and n_net != n_default
    buttons.children[0].click()
    saved = settings.load(path)
    assert saved.selection.scorecard.goal == "build a distribution network"
    assert int(selection.decide(facts, saved)["is_key"].sum()) == n_net


def test_every_figure_draws(sample, ka_sample):
    """Each figure function of chapter 01 draws on the bundled data and returns its Axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kamlib.plots import selection as plots

    s = settings.Settings()
    values = selection.customer_values(sample, 2025)
    pyr = selection.pyramid_summary(ka_sample)
    facts = selection.customer_facts(sample, s)
    best = ka_sample.loc[ka_sample["is_active"]].sort_values("score").index[-5:]
    losers = list(ka_sample.index[ka_sample["is_loss_maker"] & ka_sample["abc_class"].eq("A")])
    prof = selection.profitability(sample, s)
    calls = [
        lambda: plots.lorenz(values["revenue"]),
        lambda: plots.pareto(values["revenue"]),
        lambda: plots.pyramid(pyr),
        lambda: plots.tier_shares(pyr),
        lambda: plots.migration(selection.migration_matrix(
            selection.pyramid_by_year(sample, s, 2024), ka_sample["pyramid_tier"])),
        lambda: plots.goal_weights(selection.goal_weights()),
        lambda: plots.score_breakdown(selection.score_breakdown(facts, s, best),
                                      ka_sample["customer_name"]),
        lambda: plots.fuzzy_memberships(),
        lambda: plots.fuzzy_vs_score(ka_sample),
        lambda: plots.whale(ka_sample["profit"]),
        lambda: plots.profit_waterfall(prof.loc[losers[0]], from_gross_margin=True),
        lambda: plots.shapiro(ka_sample, highlight=losers),
        lambda: plots.now_future(ka_sample, highlight=losers),
        lambda: plots.portfolio(ka_sample, highlight=losers),
        lambda: plots.cost_to_serve_by_pool(costing.cost_by_pool(sample, s).loc[losers],
                                            ka_sample["customer_name"]),
        lambda: plots.capacity(costing.capacity_report(sample, s)),
        lambda: plots.margin_multiples(),
        lambda: plots.key_account_counts(pd.Series({"a": 3, "b": 5})),
    ]
    for call in calls:
        ax = call()
        assert isinstance(ax, matplotlib.axes.Axes)
        assert ax.get_title()
        plt.close(ax.figure)


def test_an_empty_key_account_list_is_explained_and_assumptions_flagged():
    cols = {"is_active": [True, True, True], "profit": [-10.0, -5.0, 20.0],
            "cost_to_serve": [30.0, 10.0, 5.0], "is_key": [False, False, False],
            "abc_class": ["A", "B", "C"], "is_loss_maker": [True, True, False],
            "score": [70.0, 40.0, 30.0]}
    ka = pd.DataFrame(cols, index=pd.Index(["X", "Y", "Z"], name="customer_id"))
    w = selection.warnings_about(ka, settings.Settings())
    # X and Y are profitable before cost to serve (20, 5) and lose money after it: 2 of 3
    assert w[0].startswith("Assumption check: 2 of 3 active customers (67%)")
    assert "No key account" in w[1] and "2 of them are in the classes A/B" in w[1]
    assert "2 lose money and are excluded" in w[1] and "1 reach the score 60" in w[1]
    ka["is_key"] = [False, False, True]
    ka["profit"] = [10.0, 5.0, 20.0]
    assert selection.warnings_about(ka, settings.Settings()) == []


def test_service_plans_on_no_key_accounts_are_empty_not_errors(sample, default_settings):
    from kamlib import service

    none = service.key_account_table(sample, default_settings).iloc[0:0]
    assert service.service_packages(sample, default_settings, none).empty
    plan = service.visit_plan(none, default_settings, customers=sample.customers)
    assert plan.visits.empty and plan.is_complete and plan.year == 2026
    obj = service.objectives(sample, default_settings, none, plan=plan)
    assert obj.empty and obj.attrs["plan_year"] == 2026
    assert list(obj.columns) == service.OBJECTIVE_COLUMNS
    sup = service.supply_priority(sample, default_settings, none)
    assert sup.empty and "peak_kg" in sup.columns


def test_without_costs_nobody_is_a_loss_maker_and_the_score_drops_profit(small):
    import dataclasses

    o = small.orders.assign(cost_of_goods=np.nan, gross_margin=np.nan)
    kd = dataclasses.replace(small, orders=o)
    ka = selection.key_accounts(kd, _settings())
    assert ka["gross_margin"].isna().all() and ka["profit"].isna().all()
    assert not ka["is_loss_maker"].any()
    assert "profit" in ka.attrs["criteria_without_data"]
    assert ka.attrs["warnings"][0].startswith("The data has no cost of goods")
    # with costs, BIG is excluded as a loss maker; without them it is not
    assert "loses money" not in ka.loc["BIG", "reasons"]


def test_score_points_names_the_criteria_in_words(small):
    f = selection.customer_facts(small, _settings())
    net = selection.with_goal(_settings(), "build a distribution network")
    pts = selection.score_points(f, net, "MID")
    bd = selection.score_breakdown(f, net, ["MID"])
    assert pts.index.name == "criterion"
    # plain names from the criteria's labels, never the ids of the settings file
    assert "target industry" in pts.index and "target_industry" not in pts.index
    assert not any("_" in c for c in pts.index)
    assert pts.loc["target industry", "points"] == pytest.approx(100 * 3 / 16)
    assert pts.index[-1] == "total score"
    assert pts.loc["total score", "points"] == pytest.approx(bd["score"].iloc[0])
    assert pts["points"].iloc[:-1].sum() == pytest.approx(bd["score"].iloc[0])
    assert pts.loc["target industry", "family"] == selection.CRITERIA["target_industry"].family


def test_key_accounts_without_words_decide_the_same(sample, default_settings):
    """words=False (the review's look at last year's list) changes no decision, class,
    score or figure: only the reasons are left empty."""
    for year in (2024, 2025):
        s = dataclasses.replace(default_settings, period=dataclasses.replace(
            default_settings.period, analysis_year=year))
        cy = measures.customer_year(sample.orders)
        full = selection.key_accounts(sample, s, customer_year=cy)
        lean = selection.key_accounts(sample, s, customer_year=cy, words=False)
        assert full["is_key"].sum() > 0 and (full["reasons"].astype(str) != "").all()
        assert (lean["reasons"].astype(str) == "").all()
        pd.testing.assert_frame_equal(lean.drop(columns="reasons"),
                                      full.drop(columns="reasons"))


def test_key_accounts_without_words_reuse_the_remembered_list(sample, default_settings):
    """A list already computed (with its words) for the same tables and settings is
    returned to a call without words instead of being computed again; a call without
    words is not remembered as the list with words."""
    selection._KA_MEMO.clear()
    lean = selection.key_accounts(sample, default_settings, words=False)
    assert (lean["reasons"].astype(str) == "").all() and len(selection._KA_MEMO) == 0
    full = selection.key_accounts(sample, default_settings)
    assert (full["reasons"].astype(str) != "").all() and len(selection._KA_MEMO) == 1
    again = selection.key_accounts(sample, default_settings, words=False)
    pd.testing.assert_frame_equal(again, full)


def test_customer_values_and_retention_from_the_yearly_sums(sample):
    """customer_values (several years) and observed_retention come from the
    per-customer-year sums: the same as summing and matching the order lines
    themselves."""
    o = sample.orders
    ys = [2023, 2024, 2025]
    got = selection.customer_values(sample, ys)
    lines = o.loc[o["year"].isin(ys)].groupby("customer_id")[
        ["volume_kg", "revenue", "gross_margin"]].sum()
    lines.index = lines.index.astype("string")
    pd.testing.assert_frame_equal(got, lines.reindex(got.index).fillna(0.0), rtol=1e-12)
    for y in (2024, 2025):
        prev = set(o.loc[o["year"] == y - 1, "customer_id"])
        cur = set(o.loc[o["year"] == y, "customer_id"])
        assert selection.observed_retention(sample, y) == len(prev & cur) / len(prev)
    assert np.isnan(selection.observed_retention(sample, min(sample.years)))


def test_a_list_under_another_goal_decides_again_on_the_same_facts(sample, default_settings,
                                                                   monkeypatch):
    """The facts do not depend on the goal: a list under another goal (or other weights)
    is decided on the facts already computed, and equals the list computed from fresh
    facts; another analysis year or a changed cost-to-serve setting computes them anew."""
    from kamlib import settings as st

    selection._KA_MEMO.clear()
    selection._FACTS_MEMO.clear()
    calls = []
    real = selection.customer_facts
    monkeypatch.setattr(selection, "customer_facts",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    selection.key_accounts(sample, default_settings)
    goals = [selection.with_goal(default_settings, g) for g in
             ("build a distribution network", "grow volume")]
    goals.append(selection.with_goal(default_settings, "custom", {"revenue": 1.0}))
    lists = [selection.key_accounts(sample, g) for g in goals]
    assert len(calls) == 1
    for g, got in zip(goals, lists):
        fresh = selection.decide(real(sample, g), g)
        pd.testing.assert_frame_equal(got.drop(columns="reasons"),
                                      fresh.drop(columns="reasons"))
    assert lists[0]["score"].ne(lists[2]["score"]).any()  # the goal did change the list
    y = default_settings.period.analysis_year or measures.latest_complete_year(sample.orders)[0]
    selection.key_accounts(sample, st.replace(default_settings, "period.analysis_year",
                                              y - 1))
    assert len(calls) == 2
    minutes = {**default_settings.selection.cost_to_serve.unit_minutes, "visit": 999.0}
    selection.key_accounts(sample, st.replace(
        default_settings, "selection.cost_to_serve.unit_minutes", minutes))
    assert len(calls) == 3
    selection._KA_MEMO.clear()
    selection._FACTS_MEMO.clear()


def test_goal_comparison_is_each_goals_own_list(sample, default_settings):
    """Who is key under each goal preset: each column is that goal's own list (the
    decisions with their words), ``key_under`` counts the goals, customers key under no
    goal are left out, the most-agreed customers come first."""
    s = settings.for_data(default_settings, sample)
    facts = selection.customer_facts(sample, s)
    cmp = selection.goal_comparison(facts, s)
    goals = list(selection.GOAL_PRESETS)
    own = {g: selection.decide(facts, selection.with_goal(s, g))["is_key"] for g in goals}
    for g in goals:
        assert set(cmp.index[cmp[g]]) == set(own[g].index[own[g]])
    union = set().union(*(set(own[g].index[own[g]]) for g in goals))
    assert set(cmp.index) == union and len(union) > 0
    assert (cmp["key_under"] == cmp[goals].sum(axis=1)).all()
    assert cmp["key_under"].is_monotonic_decreasing
    assert cmp["key_under"].max() == len(goals)  # some customers are key whatever the goal
    base = selection.decide(facts, selection.with_goal(s, goals[0]))
    pd.testing.assert_series_equal(cmp["abc_class"], base.loc[cmp.index, "abc_class"])
