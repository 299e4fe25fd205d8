"""The account plan as data (kamlib.plan): rules on hand-made frames with known answers,
and the coherence invariants over every plan of a batch (the bundled data's key
accounts, and another company's smaller data)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from kamlib import formatting as fmt
from kamlib import plan, settings
from kamlib.plan import actions as pa
from kamlib.plan import forecast as pf
from kamlib.plan import objectives as po
from kamlib.plan import opportunities as pop
from kamlib.plan import status as pst
from kamlib.plan import strategy as pstr
from kamlib.plan.config import OWNER_ROLES, PlanSettings
from kamlib.rebates import RebateSchedule, RebateSettings

PS = PlanSettings()
AS_OF = pd.Timestamp("2025-12-31")


# ----------------------------------------------------------------- status rules


def _contacts(rows):
    return pd.DataFrame(rows, columns=["customer_id", "role", "is_decision_maker", "influence",
                                       "relationship_strength", "last_contact_date"])


def test_decision_makers_weak_relationship_is_never_ok():
    recent, old = AS_OF - pd.Timedelta(days=20), AS_OF - pd.Timedelta(days=200)
    c = _contacts([
        ("C1", "management", True, 5, 2, recent),   # influential and weak: alert
        ("C1", "purchasing", False, 3, 5, recent),
        ("C2", "technical", True, 3, 2, recent),    # weak, less influential: watch
        ("C3", "management", True, 5, 4, old),      # strong but not met for 200 days
        ("C4", "management", True, 5, 4, recent),   # strong and recent: ok
        ("C5", "purchasing", False, 4, 5, recent),  # no decision maker: alert
    ])
    out = pst.decision_makers(c, ["C1", "C2", "C3", "C4", "C5"], AS_OF, PS)
    assert out["level"].tolist() == ["alert", "watch", "watch", "ok", "alert"]
    assert "management (influence 5/5) has a relationship of only 2/5" in out.at["C1", "text"]
    assert "200 days" in out.at["C3", "text"]
    assert out.at["C1", "weak_influential"] == 1 and out.at["C1", "weakest"] == 2


def test_relationship_level_against_recommended():
    r = pd.DataFrame({"recommended_level": ["partnership", "proactive", "reactive", "basic"],
                      "observed_level": ["basic", "accountable", "reactive", "proactive"]},
                     index=pd.Index(["A", "B", "C", "D"], name="customer_id"))
    out = pst.relationship_level(r, list("ABCD"))
    assert out["level"].tolist() == ["alert", "watch", "ok", "ok"]
    assert out["gap"].tolist() == [4, 1, 0, -3]
    assert out.at["A", "text"] == "we work at basic; partnership is recommended"


def test_service_budget_is_like_with_like():
    p = pd.DataFrame({"cost_to_serve_budget": [7600.0, 5000.0, 5000.0],
                      "current_service_cost": [7000.0, 4000.0, 6500.0],
                      "current_cost_to_serve": [29000.0, 9000.0, 9000.0],
                      "within_budget": [True, False, True]},
                     index=pd.Index(["A", "B", "C"], name="customer_id"))
    with fmt.using(fmt.Company(currency="EUR", quantity_unit="kg")):
        out = pst.service_budget(p, ["A", "B", "C"])
    assert out["level"].tolist() == ["ok", "watch", "watch"]  # C: spent 30% over budget
    assert "EUR 7.6 k a year against EUR 7.0 k spent on the same activities" in out.at["A", "text"]
    assert "whole cost to serve last year" in out.at["A", "text"] and "EUR 29 k" in out.at["A", "text"]


def test_grade_follows_score():
    g = pst.grade_of_score([71, 72, 82, 30, 37.5, 62.5, 90, np.nan],
                           ["poor", "fair", "good", "excellent"], [25, 50, 75, 100])
    assert list(g) == ["good", "good", "good", "poor", "fair", "good", "excellent", None]


def test_segment_reconciled_with_elasticity():
    s = pd.DataFrame({"segment": ["service", "price", "price", "technology", "mixed"],
                      "mixed_types": ["", "", "", "", "price+service"],
                      "price_elasticity": [-1.46, 0.3, -2.0, 0.5, -1.8]},
                     index=pd.Index(list("ABCDE"), name="customer_id"))
    out = pst.segment_and_price(s, list("ABCDE"))
    assert out["level"].tolist() == ["watch", "info", "ok", "ok", "ok"]
    assert "-1.46" in out.at["A", "text"] and "service" in out.at["A", "text"]


def test_an_unclear_buying_driver_is_said_as_such():
    s = pd.DataFrame({"segment": ["unclear", "unclear", "service"],
                      "mixed_types": ["", "", ""],
                      "price_elasticity": [-2.45, -0.2, -0.3]},
                     index=pd.Index(list("ABC"), name="customer_id"))
    out = pst.segment_and_price(s, list("ABC"))
    assert out["level"].tolist() == ["watch", "ok", "ok"]
    assert out.at["A", "text"] == ("its volume responds strongly to price (elasticity -2.45) "
                                   "although its buying driver is unclear: change its price "
                                   "with care")
    assert out.at["B", "text"] == "buying driver unclear; price response -0.20"
    assert out.at["C", "text"] == "buys mainly on service; price response -0.30"
    assert not out["text"].str.contains("on unclear").any()


# ------------------------------------------------------------------ forecast


def _hist(**cols):
    n = len(next(iter(cols.values())))
    base = {"volume_kg": [100.0] * n, "volume_1y": [100.0] * n, "volume_2y": [100.0] * n,
            "revenue": [1000.0] * n, "net_price": [10.0] * n,
            "estimated_use_kg": [np.nan] * n, "share_of_wallet": [np.nan] * n,
            "share_2y": [np.nan] * n, "baseline_kg": [100.0] * n,
            "baseline_price": [10.0] * n, "edited_volume": [False] * n,
            "edited_price": [False] * n}
    base.update(cols)
    return pd.DataFrame(base, index=pd.Index([f"C{i}" for i in range(n)], name="customer_id"))


def test_plan_volume_follows_the_strategy():
    h = _hist(baseline_kg=[100.0, 100.0, 95.0, 95.0, 100.0, 120.0, 95.0],
              estimated_use_kg=[np.nan, 200.0, np.nan, np.nan, 105.0, np.nan, np.nan],
              share_of_wallet=[np.nan, 0.5, np.nan, np.nan, 100 / 105, np.nan, np.nan],
              edited_volume=[False, False, False, False, False, True, False])
    st = pd.Series(["growth", "win-back", "hold", "harvest", "growth", "growth", "recovery"],
                   index=h.index)
    fc = pf.plan_year(h.assign(loss=[False] * 6 + [True]), st, PS, max_share_of_wallet=0.9)
    # growth +3%; win-back to 55% of 200; hold stops the fall; harvest keeps the trend;
    # growth capped by the potential (never below last year); an edit wins; recovery holds
    assert fc["plan_volume_kg"].round(6).tolist() == [103.0, 110.0, 100.0, 95.0, 100.0,
                                                      120.0, 100.0]
    assert fc["plan_net_price"].round(6).tolist() == [10.0, 10.0, 10.0, 10.3, 10.0, 10.0,
                                                      10.3]
    # the proposal of +2% is held back for a win-back (and a relationship recovery)
    up = pf.plan_year(h.assign(baseline_price=[10.2] * 7, loss=[False] * 7), st, PS)
    assert up["plan_net_price"].round(6).tolist() == [10.2, 10.0, 10.2, 10.3, 10.2, 10.2,
                                                      10.0]
    assert fc.at["C1", "plan_share_of_wallet"] == pytest.approx(0.55)
    assert fc.at["C0", "plan_revenue"] == pytest.approx(1030.0)
    # a recovery of the relationship (no loss) does not raise the price
    fc = pf.plan_year(h.assign(loss=[False] * 7), st, PS, max_share_of_wallet=0.9)
    assert fc.at["C6", "plan_net_price"] == pytest.approx(10.0)


def test_strategy_rules_in_order():
    h = _hist(volume_kg=[100.0, 80.0, 100.0, 100.0, 100.0, 100.0],
              volume_1y=[100.0, 90.0, 100.0, 100.0, 100.0, 100.0],
              volume_2y=[100.0, 100.0, 100.0, 100.0, 100.0, 100.0],
              share_of_wallet=[0.5, 0.5, 0.4, 0.95, 0.5, 0.5],
              share_2y=[0.5, 0.5, 0.5, 0.95, 0.5, 0.5])
    key = pd.DataFrame({"portfolio_action": ["invest for growth", "invest for growth",
                                             "invest for growth", "invest for growth",
                                             "manage for cash", "maintain"],
                        "abc_class": ["A", "A", "A", "A", "A", "A"],
                        "profit": [10.0, 10.0, 10.0, 10.0, 10.0, -5.0]}, index=h.index)
    out = pstr.choose(h, key, None, PS)
    assert out["strategy"].tolist() == ["growth", "win-back", "win-back", "hold", "harvest",
                                        "recovery"]
    assert out.at["C2", "why"] == "share of wallet fell 10 points in two years"
    assert out.at["C3", "why"] == "little share of wallet left to win"
    # a review decision takes precedence over the portfolio position
    review = pd.DataFrame({"decision": ["keep", "develop", "keep", "keep", "drop", "keep"],
                           "decaying": [False] * 6}, index=h.index)
    out = pstr.choose(h, key, None, PS, review=review)
    assert out["strategy"].tolist() == ["hold", "win-back", "win-back", "hold", "harvest",
                                        "recovery"]


def _schedule_settings():
    sc = RebateSchedule("volume", "kg", "retroactive",
                        ((40_000, 0.01), (80_000, 0.02), (120_000, 0.03)))
    return SimpleNamespace(rebates=RebateSettings(schedules=(sc,), default_schedule="volume",
                                                  schedule_by_segment={"price": "volume"}))


def test_rebate_at_plan_volume_and_cliffs():
    s = _schedule_settings()
    fc = pd.DataFrame({"plan_volume_kg": [115_000.0, 82_000.0, 60_000.0],
                       "plan_revenue": [1_150_000.0, 820_000.0, 600_000.0],
                       "volume_kg": [100_000.0] * 3, "revenue": [1e6] * 3},
                      index=pd.Index(["A", "B", "C"], name="customer_id"))
    sch = pd.Series("volume", index=fc.index)
    r = pf.rebate_at_plan(s, fc, sch, PS)
    assert r["tier"].tolist() == [2, 2, 1]
    assert r["rebate"].tolist() == pytest.approx([23_000.0, 16_400.0, 6_000.0])
    assert r["to_next_tier"].tolist() == pytest.approx([5_000.0, 38_000.0, 20_000.0])
    # A: 5 t below the 3% tier (within 10% of 115 t): the retroactive cliff is warned
    assert r["cliff_above"].tolist() == [True, False, False]
    # B: 2 t above the 2% threshold: a shortfall of 2 t drops the whole year to 1%
    assert r["cliff_below"].tolist() == [False, True, False]
    out = pst.rebate_cliff(r, ["A", "B", "C"])
    assert out["level"].tolist() == ["watch", "watch", "info"]
    with fmt.using(fmt.Company(currency="EUR", quantity_unit="kg")):
        out = pst.rebate_cliff(r, ["A", "B", "C"])
    assert out.at["A", "text"].startswith("5.0 t above the plan the rate rises to 3.0%")
    assert "drops the whole year's rate to 1.0%" in out.at["B", "text"]


def test_rebate_history_against_the_programme_in_force(monkeypatch):
    s = _schedule_settings()
    orders = pd.DataFrame({"customer_id": ["A", "A"], "year": [2024, 2025],
                           "volume_kg": [130_000.0, 90_000.0],
                           "revenue": [1_300_000.0, 900_000.0]})
    kd = SimpleNamespace(rebates=pd.DataFrame({"customer_id": ["A", "A"], "year": [2024, 2025],
                                               "rebate_paid": [13_000.0, 18_000.0]}),
                         orders=orders)
    from kamlib import measures

    monkeypatch.setattr(measures, "customer_year", lambda o: o.groupby(
        ["customer_id", "year"])[["volume_kg", "revenue"]].sum())
    h = pf.rebate_history(kd, s, pd.Series("volume", index=["A"]),
                          PlanSettings(paid_rebate_schedule="volume"))
    # 2024: paid 1% while 130 t earn 3%; 2025: paid 2% and 90 t earn 2%
    assert h["paid_rate"].tolist() == pytest.approx([0.01, 0.02])
    assert h["schedule_rate"].tolist() == pytest.approx([0.03, 0.02])
    assert h["matches"].tolist() == [False, True]
    st = pst.rebate_history_status(h, ["A"])
    assert st.at["A", "level"] == "watch" and "2024: paid 1.0%" in st.at["A", "text"]


def test_objectives_headline_follows_the_strategy():
    h = _hist(share_of_wallet=[0.5, 0.5], estimated_use_kg=[200.0, 200.0])
    st = pd.DataFrame({"strategy": ["growth", "win-back"], "why": ["x", "y"]}, index=h.index)
    fc = pf.plan_year(h, st["strategy"], PS)
    qual = pd.DataFrame({"otif": [0.97, 0.80], "complaints": [0, 5],
                         "observed_level": ["reactive", "proactive"],
                         "recommended_level": ["proactive", "proactive"],
                         "weakest_dm": [4.0, 2.0], "roles_known": [3, 5], "roles_total": 5,
                         "executive_visits": [0, 0], "executive_target": [0, 1],
                         "joint_activities": [0, 2], "trainings_planned": [0, 1]},
                        index=h.index)
    empty = pf.rebate_at_plan(_schedule_settings(), fc, pd.Series(dtype=object), PS)
    o = po.objectives(fc, st, empty, pd.Series(dtype=float), qual, PS)
    top = o.loc[o["headline"] > 0].sort_values(["customer_id", "headline"])
    assert top.loc[top["customer_id"] == "C0", "metric"].tolist() == [
        "volume", "share_of_wallet", "relationship_level"]
    assert top.loc[top["customer_id"] == "C1", "metric"].tolist() == [
        "share_of_wallet", "volume", "decision_makers"]
    t = o.set_index(["customer_id", "metric"])["target"]
    assert t[("C0", "on_time_in_full")] == pytest.approx(0.97)  # above target: keep it
    assert t[("C1", "on_time_in_full")] == pytest.approx(0.95)
    assert t[("C1", "complaints")] == 2 and t[("C0", "relationship_level")] == "proactive"
    assert ("C0", "executive_visits") not in t.index and t[("C1", "executive_visits")] == 1
    # an unchanged target is never a headline objective: the next one is taken
    assert o.loc[(o["customer_id"] == "C1") & (o["metric"] == "relationship_level"),
                 "headline"].item() == 0


def test_owner_names_come_from_who_handled_the_account():
    kd = SimpleNamespace(
        customers=pd.DataFrame({"customer_id": ["A", "B"], "account_manager": ["Ann", "Bo"]}),
        interactions=pd.DataFrame({
            "customer_id": ["A", "A", "A", "B", "B"],
            "type": ["complaint", "service request", "complaint", "technical request",
                     "executive visit"],
            "handled_by": ["Customer Service (Luca Moretti)", "Customer Service (Petra Vogel)",
                           "Customer Service (Luca Moretti)", "Technical Service (Dr. Ines K)",
                           "Managing Director (Henrik Sand)"]}))
    own = pa.owners(kd, ["A", "B"], PlanSettings(owners={"logistics": "Jan Novak"}))
    assert own.loc["A"].to_dict() == {
        "account manager": "Ann", "customer service": "Luca Moretti", "logistics": "Jan Novak",
        "technical service": "", "sales management": "", "executive sponsor": "Henrik Sand"}
    assert own.at["B", "technical service"] == "Dr. Ines K"


def test_whitespace_against_comparable_customers():
    ids = [f"C{i}" for i in range(8)]
    cust = pd.DataFrame({"customer_id": ids, "industry": ["feed"] * 7 + ["pharma"],
                         "size_band": ["large"] * 8})
    rows = []
    for i, c in enumerate(ids[:7]):
        rows.append((c, "P1", 600.0 if i else 1000.0))
        if i:  # C0 does not buy P2; C1-C6 spend 40% of their money on it
            rows.append((c, "P2", 400.0))
    o = pd.DataFrame(rows, columns=["customer_id", "product_id", "revenue"])
    o["volume_kg"], o["year"] = 1.0, 2025
    kd = SimpleNamespace(orders=o, customers=cust, products=pd.DataFrame(
        {"product_id": ["P1", "P2"], "product_name": ["Feed grade", "Big bag"]}))
    w = pop.whitespace(kd, ["C0", "C7"], 2025, PlanSettings(min_group_size=5))
    assert w[["customer_id", "product_name", "comparable"]].values.tolist() == [
        ["C0", "Big bag", 6]]
    assert w.at[0, "buying_share"] == 1.0
    assert w.at[0, "value_at_stake"] == pytest.approx(0.4 * 1000.0)
    # a group smaller than the minimum is never used
    assert pop.whitespace(kd, ["C0"], 2025, PlanSettings(min_group_size=7)).empty


def test_plan_settings_refuse_bad_values():
    with pytest.raises(settings.SettingsError, match="plan.growth_min"):
        PlanSettings(growth_min=3)
    with pytest.raises(settings.SettingsError, match="unknown role 'warehouse'"):
        PlanSettings(owners={"warehouse": "X"})


# ------------------------------------------------------- coherence over a batch


CHECKED_PAIRS = [
    "volume objective = forecast plan volume = rebate projection's volume",
    "rebate-tier objective = rebate projection's tier",
    "peak-season stock = plan volume × peak share × (1 + safety)",
    "strategy ↔ volume objective (only harvest may aim lower)",
    "growth / win-back strategy ↔ share-of-wallet objective (win-back strictly higher)",
    "win-back action ↔ higher share-of-wallet target",
    "delivery-reliability action ↔ on-time target above the current rate",
    "complaints action ↔ complaints target below last year",
    "relationship action ↔ recommended level above the current one",
    "cliff warning ↔ cliff action",
    "executive sponsor ↔ sponsor action ↔ executive-visits objective",
    "price rise ↔ strategy (harvest, or recovery of a loss-making account only)",
    "strategy ↔ the strategy's own action",
    "win-back / recovery of a relationship ↔ no price rise",
    "strategy sentence ↔ plan volume",
    "first page ↔ three objectives that move",
    "decision-maker mark ↔ weakest relationship",
    "rebates paid ↔ rebate projection",
]
"""The pairs of the plan that must not contradict each other (checked below)."""


def check_invariants(P, kd, s) -> list[str]:
    """Every contradiction found in ``P`` (empty: coherent), the amounts compared in the
    units of the data's company, as the plan was written (``settings.company_for``)."""
    from kamlib import settings as ksettings

    with fmt.using(ksettings.company_for(s, kd)):
        return _invariants(P, kd, s)


def _invariants(P, kd, s) -> list[str]:
    bad = []
    fc = P.forecast
    obj = P.objectives.set_index(["customer_id", "metric"])
    cur, tgt = obj["current"], obj["target"]
    acts = P.actions
    ps = PS
    y1 = P.plan_year
    for cid in P.customer_ids:
        f = fc.loc[cid]
        st = P.strategy.at[cid, "strategy"]
        a = acts.loc[acts["customer_id"] == cid]
        rules = set(a["rule"])
        if not np.isclose(float(tgt[(cid, "volume")]), f["plan_volume_kg"]):
            bad.append(f"{cid}: volume objective is not the forecast")
        if cid in P.rebate_plan.index:
            r = P.rebate_plan.loc[cid]
            if int(tgt[(cid, "rebate_tier")]) != int(r["tier"]):
                bad.append(f"{cid}: objective tier {tgt[(cid, 'rebate_tier')]} != "
                           f"projection tier {r['tier']}")
            if r["basis"] == "kg" and not np.isclose(r["plan_volume"], f["plan_volume_kg"]):
                bad.append(f"{cid}: rebate projected on another volume")
            warned = bool(r["cliff_above"] or r["cliff_below"])
            if warned != bool(rules & {"rebate cliff above", "rebate cliff below"}):
                bad.append(f"{cid}: cliff warning and cliff action disagree")
        if np.isfinite(f["plan_peak_kg"]) and not np.isclose(
                f["plan_peak_kg"], f["plan_volume_kg"] * f["peak_share"]):
            bad.append(f"{cid}: peak stock not from the plan volume")
        v0, v1 = float(cur[(cid, "volume")]), float(tgt[(cid, "volume")])
        if st != "harvest" and v1 < v0 - 1e-6:
            bad.append(f"{cid}: {st} plan aims at less volume ({v1:.0f} < {v0:.0f})")
        s0, s1 = float(cur[(cid, "share_of_wallet")]), float(tgt[(cid, "share_of_wallet")])
        if np.isfinite(s0) and st in ("growth", "win-back") and s1 < s0 - 1e-9:
            bad.append(f"{cid}: {st} plan with a lower share-of-wallet target")
        if "strategy: win-back" in rules and not (np.isfinite(s0) and s1 > s0 + 1e-9):
            bad.append(f"{cid}: win-back action without a higher share-of-wallet target")
        o0, o1 = float(cur[(cid, "on_time_in_full")]), float(tgt[(cid, "on_time_in_full")])
        if ("delivery reliability" in rules) != (np.isfinite(o0) and o0 < o1):
            bad.append(f"{cid}: delivery action and on-time target disagree")
        c0, c1 = float(cur[(cid, "complaints")]), float(tgt[(cid, "complaints")])
        if ("complaints" in rules) != (c0 > c1):
            bad.append(f"{cid}: complaints action and target disagree")
        gap = P.status["relationship level"].at[cid, "gap"]
        if ("relationship level" in rules) != (np.nan_to_num(gap) > 0):
            bad.append(f"{cid}: relationship action and level disagree")
        spons = bool(P.sponsored[cid])
        if spons != ("executive sponsor" in rules) or spons != ((cid, "executive_visits")
                                                                 in obj.index):
            bad.append(f"{cid}: executive sponsorship, action and objective disagree")
        rises = a["action"].str.startswith(("Raise the net price",
                                             "Return the account to profit")).any()
        margin_first = st == "harvest" or (st == "recovery" and P.strategy.at[cid, "loss"])
        if rises != margin_first or (f["plan_net_price"] > f["baseline_price"] + 1e-9) != (
                margin_first and not f["edited_price"]):
            bad.append(f"{cid}: price rise against a {st} strategy")
        if (st == "win-back" or (st == "recovery" and not P.strategy.at[cid, "loss"])) and \
                f["plan_net_price"] > f["net_price"] + 1e-9 and not f["edited_price"]:
            bad.append(f"{cid}: a price rise while winning back a {st} account")
        if ("strategy: " + st) not in rules:
            bad.append(f"{cid}: no action for its {st} strategy")
        if fmt.kg(f["plan_volume_kg"]) not in P.strategy.at[cid, "sentence"]:
            bad.append(f"{cid}: the strategy sentence does not name the plan volume")
        heads = P.objectives.loc[(P.objectives["customer_id"] == cid)
                                 & (P.objectives["headline"] > 0)]
        if sorted(heads["headline"]) != [1, 2, 3]:
            bad.append(f"{cid}: not three objectives for the first page")
        mine = P.objectives.loc[P.objectives["customer_id"] == cid]
        moving = (pd.to_numeric(mine["target"], errors="coerce")
                  != pd.to_numeric(mine["current"], errors="coerce")) & (
            mine["current"].astype(str) != mine["target"].astype(str))
        flat = heads.loc[(heads["current"].astype(str) == heads["target"].astype(str))
                         & (heads["headline"] > 1)]  # the strategy's first may be a "keep"
        if len(flat) and moving.sum() >= 3:
            bad.append(f"{cid}: an unchanged first-page objective though others move")
        if not a["owner_role"].isin(OWNER_ROLES).all():
            bad.append(f"{cid}: an action without a known owner role")
        if (a["owner_role"].eq("account manager") & a["owner"].eq("")).any():
            bad.append(f"{cid}: an account manager's action without a name")
        due = pd.to_datetime(a["due"])
        if not (due.dt.year == y1).all():
            bad.append(f"{cid}: an action due outside {y1}")
        if a.empty or a["action"].eq("").any() or a["measure"].eq("").any():
            bad.append(f"{cid}: an action without text or measure")
    # no "ok" on a weak decision-maker relationship
    c = kd.contacts.assign(customer_id=kd.contacts["customer_id"].astype(str))
    dm = c.loc[c["is_decision_maker"].astype(bool)]
    weak = set(dm.loc[dm["relationship_strength"] < ps.decision_maker_min_strength,
                      "customer_id"])
    okd = P.status["decision makers"]
    for cid in weak & set(P.customer_ids):
        if okd.at[cid, "level"] == "ok":
            bad.append(f"{cid}: ok mark on a weak decision-maker relationship")
    # every account paid rebates has a rebate projection
    rb = kd.rebates
    paid = set(rb.loc[(rb["rebate_paid"] > 0) & (rb["year"] <= P.year), "customer_id"]
               .astype(str)) if len(rb) else set()
    for cid in paid & set(P.customer_ids):
        if cid not in P.rebate_plan.index:
            bad.append(f"{cid}: paid rebates but no rebate projection")
    if (P.status["rebate section"]["level"] == "alert").any():
        bad.append("a rebate-section alert")
    return bad


@pytest.fixture(scope="module")
def batch_plan():
    from kamlib import report_sections as rs

    p = rs.portfolio("sample")
    assert p.status["plan"] == "ok", p.status["plan"]
    return p


def test_every_plan_of_the_bundled_batch_is_coherent(batch_plan):
    P = batch_plan.tables["plan"]
    key = batch_plan.tables["key"]
    assert set(P.customer_ids) == {str(i) for i in key.index[key["is_key"]]}
    assert check_invariants(P, batch_plan.kd, batch_plan.s) == []
    # the strategies and owners are spread as a director expects, not one kind only
    assert P.strategy["strategy"].nunique() >= 3
    assert set(P.actions["owner_role"]) >= {"account manager", "logistics",
                                            "customer service", "executive sponsor"}


def test_the_invariants_catch_contradictions(batch_plan):
    import copy

    P = copy.deepcopy(batch_plan.tables["plan"])
    win = P.strategy.index[P.strategy["strategy"] == "win-back"][0]
    o = P.objectives
    m = (o["customer_id"] == win) & (o["metric"] == "share_of_wallet")
    o.loc[m, "target"] = o.loc[m, "current"]  # a win-back with a flat share target
    priced = P.rebate_plan.index[0]
    m = (o["customer_id"] == priced) & (o["metric"] == "rebate_tier")
    o.loc[m, "target"] = int(P.rebate_plan.at[priced, "tier"]) + 1
    P.actions.loc[P.actions.index[0], "due"] = pd.Timestamp("2027-01-15")
    dm = P.status["decision makers"]
    weak = dm.index[dm["weakest"] < PS.decision_maker_min_strength][0]
    dm.loc[weak, "level"] = "ok"
    found = "\n".join(check_invariants(P, batch_plan.kd, batch_plan.s))
    assert f"{win}: win-back action without a higher share-of-wallet target" in found
    assert f"{priced}: objective tier" in found
    assert f"{P.actions.at[0, 'customer_id']}: an action due outside 2026" in found
    assert f"{weak}: ok mark on a weak decision-maker relationship" in found


def test_csv_views_of_the_plan(batch_plan):
    P = batch_plan.tables["plan"]
    a = P.actions_csv()
    assert list(a.columns[:6]) == ["customer_id", "action", "owner", "due", "measure",
                                   "objective"]
    assert a["due"].str.match(r"^2026-\d\d-\d\d$").all()
    o = P.objectives_csv()
    assert list(o.columns[:6]) == ["customer_id", "metric", "current", "target", "unit", "why"]
    assert {"volume", "share_of_wallet", "on_time_in_full", "relationship_level"} <= \
        set(o["metric"])
    assert len(o.loc[o["metric"] == "volume"]) == len(P.customer_ids)


def test_one_account_plan_holds_only_its_own_rows(batch_plan):
    P = batch_plan.tables["plan"]
    cid = P.customer_ids[0]
    ap = P.for_customer(cid)
    for df in (ap.objectives, ap.actions, ap.whitespace, ap.product_mix, ap.swot,
               ap.rebate_history):
        assert set(df["customer_id"].astype(str)) <= {cid}
    assert P.for_customer("NOPE") is None


def test_other_company_data_plans_are_coherent(tmp_path):
    from kamlib import generate
    from kamlib import report_sections as rs

    cfg = generate.GeneratorConfig(n_customers=30, years=3, end_year=2019, seed=7)
    generate.write_dataset(cfg, tmp_path / "data")
    # another company's data makes its (neutral) company current: not for later tests
    with fmt.using(fmt.current_company()):
        p = rs.portfolio(str(tmp_path / "data"), None, 2019)
        assert p.status["plan"] == "ok", p.status["plan"]
        P = p.tables["plan"]
        assert P.plan_year == 2020 and len(P.customer_ids) > 0
        assert check_invariants(P, p.kd, p.s) == []
        assert set(P.objectives["unit"]) >= {"quantity", "money", "share"}


# --------------------------------------------------------- the rendered plan


def _director_accounts(p) -> list[str]:
    """One key account of each strategy the plans give (hold, growth, win-back, …: the
    large A, the growing B, the price-driven and the decaying accounts of the batch), the
    largest first; taken from the plans, so a new sample keeps the test meaningful."""
    st = p.tables["plan"].strategy
    return list(dict.fromkeys(st.groupby("strategy", sort=True).head(1).index.astype(str)))


@pytest.mark.parametrize("pick", range(4))
def test_rendered_plan_reads_for_a_director(batch_plan, pick):
    """One account per strategy: the HTML says what the plan object says, with methods
    only in the appendix and marks that agree with the actions."""
    import re

    from kamlib import report_html as H
    from kamlib import report_sections as rs

    picks = _director_accounts(batch_plan)
    assert len(picks) >= 3, picks  # the batch gives at least three strategies
    if pick >= len(picks):
        pytest.skip(f"the batch gives {len(picks)} strategies")
    cid = picks[pick]
    a = rs.account(cid)
    html = "".join(str(x) for x in rs.render_all(a))
    body = html.split('id="appendix"')[0]
    for name in ("Shapiro", "Kotler", "Levitt", "V = U + B", "goal '", "kamlib."):
        assert name not in body, (cid, name)
    ap = a.plan
    first = html.split('id="glance"')[0]
    assert H.esc(ap.sentence) in first
    top = ap.objectives.loc[ap.objectives["headline"] > 0]
    assert len(top) == 3 and all(H.esc(x) in first for x in top["label"])
    for act in ap.actions["action"].head(5):
        assert H.esc(act) in first
    # a weak decision-maker relationship never reads "ok"
    sig = {x["signal"]: x["level"] for x in rs.signals(a)}
    dm = ap.status["decision makers"]
    assert sig["Decision-maker relationships"] == dm["level"]
    if dm["weakest"] < PS.decision_maker_min_strength:
        assert sig["Decision-maker relationships"] != "ok"
    # the on-time mark agrees with the delivery action
    has_action = (ap.actions["rule"] == "delivery reliability").any()
    assert (sig["On time in full"] == "watch") == has_action
    # the rebate section shows the plan volume's tier
    if ap.rebate is not None:
        tier = int(ap.rebate["tier"])
        assert (f"tier {tier} at" in html) or (tier == 0 and "below the first threshold" in html)
    page = H.document("x", html, extra_css=H.running_css(f"Key account plan: {a.name}"))
    assert re.search(r'@top-left \{ content: "Key account plan: [^"]+"', page)
    assert 'counter(page) " of " counter(pages)' in page and '"Confidential"' in page
