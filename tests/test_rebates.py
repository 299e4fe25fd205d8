"""Rebates and price levers: the arithmetic pinned on hand-computed cases.

Running example (by hand): a customer buys at 10 EUR/kg; the retroactive schedule
pays 2 % from 1 000 kg and 5 % from 2 000 kg.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kamlib import data, generate, rebates, schema, settings
from kamlib.rebates import RebateSchedule, RebateSettings, RebateTier

TIERS = [(1000, 0.02), (2000, 0.05)]
RETRO = RebateSchedule("retro", "kg", "retroactive", TIERS)
MARGINAL = RebateSchedule("stepped", "kg", "marginal", TIERS)


def volumes(kg, price=10.0, **extra):
    kg = np.asarray(kg, dtype=float)
    df = pd.DataFrame({"volume_kg": kg, "revenue": kg * price},
                      index=pd.Index([f"C{i}" for i in range(len(kg))], name="customer_id"))
    for k, v in extra.items():
        df[k] = v
    return df


# ------------------------------------------------------------------ refused schedules


@pytest.mark.parametrize("tiers, words", [
    ([(2000, 0.02), (1000, 0.05)], "not ascending"),
    ([(1000, 0.02), (1000, 0.05)], "overlapping bands"),
    ([(1000, 2.0)], "outside 0-100 %"),
    ([(1000, -0.01)], "outside 0-100 %"),
    ([(-5, 0.01)], "negative"),
    ([(1000, 0.05), (2000, 0.02)], "rate falls"),
    ([], "at least one tier"),
])
def test_bad_schedules_are_refused_with_a_clear_message(tiers, words):
    with pytest.raises(ValueError, match=words):
        RebateSchedule("bad", "kg", "retroactive", tiers)


def test_a_rate_written_as_percent_gets_a_hint():
    with pytest.raises(ValueError, match=r"write 2 % as 0\.02"):
        RebateTier(1000, 2)


@pytest.mark.parametrize("kwargs, words", [
    ({"basis": "tonnes"}, "basis must be 'kg' or 'EUR'"),
    ({"basis": "eur"}, "write 'EUR'"),
    ({"method": "retroactiv"}, "Did you mean 'retroactive'"),
    ({"interim_months": (3, 12)}, "interim_months"),
    ({"interim_months": (6, 3)}, "interim_months"),
    ({"interim_share": 1.5}, "interim_share"),
    ({"baseline_years": 0}, "baseline_years"),
])
def test_bad_schedule_options_are_refused(kwargs, words):
    with pytest.raises(ValueError, match=words):
        RebateSchedule("bad", tiers=TIERS, **kwargs)


def test_settings_refuse_unknown_schedule_names_and_duplicates():
    with pytest.raises(ValueError, match="Did you mean 'growth'"):
        RebateSettings(default_schedule="growht")
    with pytest.raises(ValueError, match="schedule_by_segment.price"):
        RebateSettings(schedule_by_segment={"price": "nope"})
    with pytest.raises(ValueError, match="names must be unique"):
        RebateSettings(schedules=(RETRO, RETRO), default_schedule="retro",
                       schedule_by_segment={})
    with pytest.raises(ValueError, match="negative"):
        RebateSettings(default_elasticity=0.5)
    with pytest.raises(ValueError, match="no rebate schedule called 'x'"):
        RebateSettings().schedule("x")


def test_a_bad_schedule_in_the_settings_file_names_the_file(tmp_path):
    f = tmp_path / "kam.toml"
    f.write_text('[[rebates.schedules]]\nname = "mine"\n'
                 'tiers = [{threshold = 5000, rate = 0.02}, {threshold = 5000, rate = 0.03}]\n'
                 '[rebates]\ndefault_schedule = "mine"\nschedule_by_segment = {}\n',
                 encoding="utf-8")
    with pytest.raises(settings.SettingsError, match=r"kam.toml.*overlapping bands"):
        settings.load(f)


def test_settings_round_trip_and_replace(tmp_path):
    s = settings.Settings()
    assert settings.from_dict(settings.to_dict(s)) == s
    mine = RebateSchedule("mine", "EUR", "marginal", [(0, 0.01), (50_000, 0.02)],
                          interim_months=(6,), interim_share=0.8)
    s2 = settings.replace(s, "rebates.schedules", s.rebates.with_schedule(mine).schedules)
    s2 = settings.replace(s2, "rebates.schedule_by_customer", {"C0042": "mine"})
    assert settings.from_dict(settings.to_dict(s2)) == s2
    path = settings.save(s2, tmp_path / "kam.toml")
    assert settings.load(path) == s2
    assert settings.load(path).rebates.schedule("mine").tiers[1] == RebateTier(50_000, 0.02)
    with pytest.raises(settings.SettingsError, match=r"schedules\[0\].*not ascending"):
        settings.replace(s, "rebates.schedules",
                         [{"name": "x", "tiers": [{"threshold": 5, "rate": 0.01},
                                                  {"threshold": 1, "rate": 0.02}]}])


# ------------------------------------------------------------------ retroactive


def test_retroactive_by_hand():
    a = rebates.apply_schedule(volumes([0, 999, 1000, 1500, 2000, 3000]), RETRO)
    assert a["tier"].tolist() == [0, 0, 1, 1, 2, 2]
    assert a["rate"].tolist() == [0, 0, 0.02, 0.02, 0.05, 0.05]
    # 1 000 kg exactly at the threshold reach tier 1: 2 % of 10 000 EUR
    assert a["rebate"].tolist() == pytest.approx([0, 0, 200, 300, 1000, 1500])
    assert a["to_next_tier"].iloc[:4].tolist() == pytest.approx([1000, 1, 1000, 500])
    assert a["to_next_tier"].iloc[4:].isna().all()  # top tier
    assert a["next_tier_rate"].iloc[:4].tolist() == [0.02, 0.02, 0.05, 0.05]
    # 1 500 kg -> 2 000 kg: 5 % of 20 000 = 1 000, minus the 300 earned now
    assert a["value_of_next_tier"].iloc[3] == pytest.approx(700)
    # 999 kg: one more kg (10 EUR) earns 200 EUR: the cliff, 20 EUR per EUR bought
    assert a["value_of_next_tier"].iloc[1] == pytest.approx(200)
    assert a["marginal_rebate_rate"].iloc[1] == pytest.approx(20)
    assert a["effective_rate"].iloc[3] == pytest.approx(0.02)


def test_zero_volume_earns_nothing():
    a = rebates.apply_schedule(volumes([0.0]), RETRO).iloc[0]
    assert a["rebate"] == 0 and a["tier"] == 0 and a["effective_rate"] == 0
    assert a["to_next_tier"] == 1000
    assert math.isnan(a["value_of_next_tier"])  # no price to value kg at
    eur = RebateSchedule("eur", "EUR", "retroactive", [(10_000, 0.02)])
    b = rebates.apply_schedule(volumes([0.0]), eur).iloc[0]
    assert b["rebate"] == 0 and b["to_next_tier"] == 10_000
    assert b["value_of_next_tier"] == pytest.approx(200)  # 2 % of 10 000 EUR


def test_single_tier():
    one = RebateSchedule("one", "kg", "retroactive", [(500, 0.03)])
    a = rebates.apply_schedule(volumes([499, 500, 800], price=8.0), one)
    assert a["rebate"].tolist() == pytest.approx([0, 0.03 * 4000, 0.03 * 6400])
    assert a["tier"].tolist() == [0, 1, 1]
    assert a["to_next_tier"].iloc[0] == 1
    assert a["to_next_tier"].iloc[1:].isna().all()
    everything = RebateSchedule("flat", "kg", "retroactive", [(0, 0.03)])
    b = rebates.apply_schedule(volumes([0, 100]), everything)
    assert b["tier"].tolist() == [1, 1]
    assert b["rebate"].tolist() == pytest.approx([0, 30])


def test_eur_basis_measures_tiers_on_revenue():
    eur = RebateSchedule("eur", "EUR", "retroactive", [(10_000, 0.02), (20_000, 0.05)])
    # 1 000 kg at 10 EUR = 10 000 EUR: exactly at the threshold; 900 kg at 12 = 10 800
    df = pd.DataFrame({"volume_kg": [1000.0, 900.0, 1000.0],
                       "revenue": [10_000.0, 10_800.0, 9_999.0]})
    a = rebates.apply_schedule(df, eur)
    assert a["tier"].tolist() == [1, 1, 0]
    assert a["rebate"].tolist() == pytest.approx([200, 216, 0])
    assert a["to_next_tier"].tolist() == pytest.approx([10_000, 9_200, 1])
    assert a["value_of_next_tier"].iloc[2] == pytest.approx(200)


# ------------------------------------------------------------------ marginal


def test_marginal_by_hand():
    a = rebates.apply_schedule(volumes([999, 1000, 1500, 2000, 3000]), MARGINAL)
    # 1 500 kg: 2 % on the 500 kg in band 1 at 10 EUR = 100
    # 3 000 kg: 2 % on 1 000 kg + 5 % on 1 000 kg = (20 + 50) × 10 = 700
    assert a["rebate"].tolist() == pytest.approx([0, 0, 100, 200, 700])
    assert a["tier"].tolist() == [0, 1, 1, 2, 2]
    # no cliff: the next kg earns the band's rate, nothing more
    assert a["value_of_next_tier"].iloc[2] == pytest.approx(0.02 * 500 * 10)
    assert a["marginal_rebate_rate"].iloc[2] == pytest.approx(0.02)
    assert a["marginal_rebate_rate"].iloc[0] == pytest.approx(0.0)


def test_marginal_never_pays_more_than_retroactive():
    v = volumes(np.linspace(0, 5000, 501))
    r = rebates.apply_schedule(v, RETRO)["rebate"]
    m = rebates.apply_schedule(v, MARGINAL)["rebate"]
    assert (m <= r + 1e-9).all()
    assert (np.diff(m.to_numpy()) >= -1e-9).all()  # continuous and rising


# ------------------------------------------------------------------ growth


GROWTH = RebateSchedule("growth", "kg", "growth", [(0, 0.03), (500, 0.05)])


def test_growth_by_hand():
    a = rebates.apply_schedule(volumes([1000, 1500, 2000], baseline=1200.0), GROWTH)
    # 1 500 kg: 300 kg above the baseline at 3 % × 10 EUR = 90
    # 2 000 kg: 800 kg above, past 500 kg -> 5 % on all 800 kg = 400
    assert a["rebated_volume"].tolist() == [0, 300, 800]
    assert a["rebate"].tolist() == pytest.approx([0, 90, 400])
    assert a["tier"].tolist() == [1, 1, 2]
    assert a["to_next_tier"].iloc[1] == pytest.approx(200)


def test_growth_below_baseline_pays_nothing():
    a = rebates.apply_schedule(volumes([1000], baseline=1200.0), GROWTH).iloc[0]
    assert a["rebate"] == 0 and a["rebated_volume"] == 0
    # the next tier needs 500 kg above 1 200: 700 kg more, worth 5 % of 500 kg × 10
    assert a["to_next_tier"] == pytest.approx(700)
    assert a["value_of_next_tier"] == pytest.approx(250)
    later = RebateSchedule("g2", "kg", "growth", [(100, 0.04)])
    b = rebates.apply_schedule(volumes([1000], baseline=1200.0), later).iloc[0]
    assert b["tier"] == 0 and b["to_next_tier"] == pytest.approx(300)


def test_growth_uplift():
    up = RebateSchedule("g", "kg", "growth", [(0, 0.03)], baseline_uplift=0.1)
    a = rebates.apply_schedule(volumes([1500], baseline=1200.0), up).iloc[0]
    assert a["rebated_volume"] == pytest.approx(180)  # above 1 320 kg
    assert a["rebate"] == pytest.approx(54)


# ------------------------------------------------------------------ the cliff


def test_cliffs_by_hand():
    c = rebates.cliffs(RETRO, price_per_kg=10.0)
    assert c["rebate_jump"].tolist() == pytest.approx([200, 600])
    # dead zone t (r1 - r0) / (1 - r1): 1000 × 0.02 / 0.98, 2000 × 0.03 / 0.95
    assert c["dead_zone"].tolist() == pytest.approx([1000 * 0.02 / 0.98, 2000 * 0.03 / 0.95])
    m = rebates.cliffs(MARGINAL, price_per_kg=10.0)
    assert (m["rebate_jump"] == 0).all() and (m["dead_zone"] == 0).all()


def test_rebate_curve_shows_the_dead_zone():
    end = 1000 / 0.98
    curve = rebates.rebate_curve(RETRO, [999, 1000, end, 1030], price_per_kg=10.0)
    pay = curve["net_payment"].tolist()
    assert pay[0] == pytest.approx(9990)
    assert pay[1] == pytest.approx(9800)  # more kg, less money
    assert pay[2] == pytest.approx(10_000)  # the dead zone ends where the payment is back
    assert pay[3] > pay[0]


# ------------------------------------------------------------------ accrual


def monthly(rows):
    df = pd.DataFrame(rows, columns=["customer_id", "month", "volume_kg"])
    df["revenue"] = df["volume_kg"] * 10.0
    return df


A_THEN_NOTHING = [("A", m, 300.0) for m in (1, 2, 3)]
B_STEADY = [("B", m, 100.0) for m in range(1, 13)]


def test_accrual_run_rate_and_interim_larger_than_final():
    acc = rebates.accrue(monthly(A_THEN_NOTHING + B_STEADY), RETRO, forecast="run_rate")
    a = acc.loc[acc["customer_id"] == "A"].set_index("month")
    # after March: 900 kg, run rate 3 600 kg -> tier 2 (5 %) on 9 000 EUR = 450, paid
    assert a.loc[3, "forecast_volume"] == pytest.approx(3600)
    assert a.loc[3, "accrued_to_date"] == pytest.approx(450)
    assert a.loc[3, "interim_payment"] == pytest.approx(450)
    # after June: run rate 1 800 -> 2 %: accrued 180, a reversal of 270 booked
    assert a.loc[6, "accrued_to_date"] == pytest.approx(180)
    assert a.loc[6, "accrual"] == pytest.approx(-270)
    assert a.loc[6, "interim_payment"] == 0  # interim payments are not clawed back
    # the year ends at 900 kg: nothing earned, 450 paid -> final settlement -450
    assert a.loc[12, "accrued_to_date"] == 0
    assert a.loc[12, "final_settlement"] == pytest.approx(-450)
    assert a["accrual"].sum() == pytest.approx(0)
    b = acc.loc[acc["customer_id"] == "B"].set_index("month")
    # 1 200 kg all year: 2 % accrued every month; 60 paid after months 3, 6 and 9
    assert b["interim_payment"].loc[[3, 6, 9]].tolist() == pytest.approx([60, 60, 60])
    assert b.loc[12, "final_settlement"] == pytest.approx(240 - 180)
    st = rebates.settlement(acc)
    assert st.loc["A", "earned"] == 0 and st.loc["A", "interim_paid"] == pytest.approx(450)
    assert st.loc["A", "final_settlement"] == pytest.approx(-450)
    assert st.loc["B", "earned"] == pytest.approx(240)
    assert st.loc["A", "largest_forecast_error"] == pytest.approx(3600 / 900 - 1)


def test_accrual_interim_share_and_last_year_forecast():
    half = RebateSchedule("retro", "kg", "retroactive", TIERS, interim_share=0.5)
    acc = rebates.accrue(monthly(A_THEN_NOTHING), half, forecast="last_year",
                         last_year=pd.Series({"A": 2500.0}))
    a = acc.set_index("month")
    # forecast = last year's 2 500 kg -> 5 %: 450 accrued after March, half paid
    assert a.loc[3, "forecast_volume"] == 2500
    assert a.loc[3, "interim_payment"] == pytest.approx(225)
    assert a.loc[12, "final_settlement"] == pytest.approx(-225)


def test_accrual_seasonal_forecast():
    # a customer that usually has a quarter of its year by the end of March
    shares = pd.DataFrame([np.linspace(1 / 12, 1, 12)], index=["B"], columns=range(1, 13))
    shares.loc["B", 3] = 0.25
    shares.loc["B", 1] = 0.01  # too little of a year to extrapolate: run rate
    acc = rebates.accrue(monthly(B_STEADY), RETRO, forecast="seasonal", seasonal=shares)
    b = acc.set_index("month")
    assert b.loc[3, "forecast_volume"] == pytest.approx(300 / 0.25)
    assert b.loc[1, "forecast_volume"] == pytest.approx(100 * 12)
    assert b.loc[12, "forecast_volume"] == 1200


def test_accrual_no_purchase_and_growth_baseline():
    acc = rebates.accrue(monthly([("Z", 5, 0.0)]), RETRO)
    assert (acc["accrued_to_date"] == 0).all() and acc["final_settlement"].iloc[-1] == 0
    g = rebates.accrue(monthly(B_STEADY), GROWTH, baseline=pd.Series({"B": 1000.0}))
    # 1 200 kg against a 1 000 kg baseline: 3 % on 200 kg × 10 EUR = 60 earned
    assert g["accrued_to_date"].iloc[-1] == pytest.approx(60)


# ------------------------------------------------------------------ break-even


def test_break_even_volume_change_by_hand():
    # Nagle & Müller: a 2 % cut at a 25 % margin needs 0.02 / 0.23 more volume
    assert rebates.break_even_volume_change(-0.02, 0.25) == pytest.approx(0.0869565, abs=1e-6)
    # a 5 % price rise at 20 %: -0.05 / 0.25 = -20 % volume can be lost
    assert rebates.break_even_volume_change(0.05, 0.20) == pytest.approx(-0.2)
    # a cut that eats the whole margin can never be earned back
    assert rebates.break_even_volume_change(-0.3, 0.25) == math.inf
    # with a cost change (big pack: 0.40 cheaper, 0.22 cheaper to make, price 9.80)
    be = rebates.break_even_volume_change(-0.40 / 9.8, 2.85 / 9.8, -0.22 / 9.8)
    assert be == pytest.approx(0.18 / 2.67)


def test_volume_response_and_break_even_elasticity():
    assert rebates.volume_response(-0.03, -2.5) == pytest.approx(0.0791, abs=1e-4)
    e = rebates.break_even_elasticity(-0.02, 0.20)
    assert e == pytest.approx(math.log(0.2 / 0.18) / math.log(0.98))
    assert e == pytest.approx(-5.215, abs=1e-3)
    assert rebates.volume_response(-0.02, e) == pytest.approx(0.02 / 0.18)


def sim_one(kg, revenue, margin):
    v = pd.DataFrame({"volume_kg": [kg], "revenue": [revenue], "gross_margin": [margin]},
                     index=pd.Index(["C1"], name="customer_id"))
    return v


def test_respond_by_hand():
    flat = RebateSchedule("flat", "kg", "retroactive", [(0, 0.02)])
    v = sim_one(1000.0, 10_000.0, 2_500.0)
    sim = v.join(rebates.apply_schedule(v, flat))
    r = rebates.respond(sim, flat, -1.0).iloc[0]
    # ΔP = -2 %; ε = -1: volume × 0.98^-1 = 1 020.41 kg; rebate 2 % of 10 204.08
    assert r["price_change"] == pytest.approx(-0.02)
    assert r["volume_after_kg"] == pytest.approx(1000 / 0.98)
    assert r["rebate_after"] == pytest.approx(0.02 * 10_000 / 0.98)
    assert r["incremental_margin"] == pytest.approx(2500 / 0.98 - 200 / 0.98 - 2500)
    assert r["break_even_volume_change"] == pytest.approx(0.02 / 0.23)
    assert not r["earns_back"]
    # ε = -6 is beyond the break-even elasticity ln(0.25/0.23)/ln(0.98) = -4.13
    r6 = rebates.respond(sim, flat, pd.Series({"C1": -6.0})).iloc[0]
    assert r6["break_even_elasticity"] == pytest.approx(math.log(0.25 / 0.23) / math.log(0.98))
    assert r6["earns_back"]
    assert r6["incremental_margin"] == pytest.approx((2500 - 200) * 0.98 ** -6 - 2500)


def test_respond_threshold_effect():
    one = RebateSchedule("one", "kg", "retroactive", [(1000, 0.02)])
    v = sim_one(950.0, 9_500.0, 2_375.0)
    sim = v.join(rebates.apply_schedule(v, one))
    assert rebates.respond(sim, one, -2.0)["volume_change"].iloc[0] == 0  # nothing earned
    r = rebates.respond(sim, one, -2.0, reach_share=0.1).iloc[0]
    # 50 kg short of 1 000 (5 %): buys up to the threshold; 2 % of 10 000 = 200 paid,
    # 50 kg × 2.5 EUR margin gained: 2 500 - 200 - 2 375 = -75
    assert r["reaches_next_tier"] and r["volume_after_kg"] == pytest.approx(1000)
    assert r["rebate_after"] == pytest.approx(200)
    assert r["incremental_margin"] == pytest.approx(-75)
    with pytest.raises(ValueError, match="no elasticity"):
        rebates.respond(sim, one, pd.Series({"other": -1.0}))


# ------------------------------------------------------------------ other levers


def test_deal_arithmetic_by_hand():
    d = rebates.deal_arithmetic(1000, 10.0, 9.2, 7.0, 0.5).iloc[0]
    # 500 kg would have been bought anyway: 0.80 EUR given away on each = 400;
    # 500 kg are new at 9.20 - 7.00 = 2.20 margin = 1 100
    assert d["concession"] == pytest.approx(400)
    assert d["margin_on_new"] == pytest.approx(1100)
    assert d["margin_effect"] == pytest.approx(700)
    assert d["break_even_new_share"] == pytest.approx(0.8 / 3.0)
    at_be = rebates.deal_arithmetic(1000, 10.0, 9.2, 7.0, 0.8 / 3.0).iloc[0]
    assert at_be["margin_effect"] == pytest.approx(0, abs=1e-9)


def test_economy_arithmetic_by_hand():
    eff, be = rebates.economy_arithmetic(1000, 2.85, 2.30, 0.6)
    assert eff == pytest.approx(1000 * (2.30 - 0.6 * 2.85))  # 590
    assert be == pytest.approx(2.30 / 2.85)


PRODUCTS = pd.DataFrame({
    "product_id": ["P01", "P02", "P03", "P05"],
    "product_family": ["niacin"] * 4, "grade": ["feed", "feed", "feed", "food"],
    "purity_pct": [99.5, 99.5, 98.0, 99.5],
    "is_economy_grade": [False, False, True, False], "is_custom": [False] * 4,
    "pack_type": ["bag", "big bag", "bag", "bag"], "pack_size_kg": [25.0, 500, 25, 25],
    "list_price_per_kg": [9.80, 9.40, 8.60, 12.5],
    "unit_cost_per_kg": [6.95, 6.75, 6.30, 8.4],
    "packaging_cost_per_kg": [0.14, 0.04, 0.14, 0.14],
})


def test_pack_twins_by_hand():
    t = rebates.pack_twins(PRODUCTS, settings.Settings())
    assert list(t.index) == ["P01"]  # food grade has no big bag; economy neither
    r = t.loc["P01"]
    assert r["big_product"] == "P02"
    assert r["price_difference"] == pytest.approx(0.40)
    assert r["packaging_saving"] == pytest.approx(0.10)
    # margin 9.80 - 6.95 = 2.85 in bags; 9.40 - 6.75 + 0.02 other saving = 2.67
    assert r["margin_change_per_kg"] == pytest.approx(-0.18)
    assert r["break_even_volume_change"] == pytest.approx(0.18 / 2.67)


def test_economy_twins_by_hand():
    t = rebates.economy_twins(PRODUCTS, settings.Settings())
    r = t.loc["P03"]
    assert r["standard_product"] == "P01"
    assert r["price_discount"] == pytest.approx(1 - 8.60 / 9.80)
    assert r["break_even_cannibalisation"] == pytest.approx(2.30 / 2.85)
    d = rebates.economy_design(10.0, 7.0, settings.Settings())
    # 12 % cheaper (8.80), 10 % cheaper to make (6.30): margin 2.50 vs 3.00
    assert d["margin_economy"] == pytest.approx(2.5)
    assert d["break_even_cannibalisation"] == pytest.approx(2.5 / 3.0)
    assert d["margin_effect"] == pytest.approx(2.5 - 0.6 * 3.0)


# ------------------------------------------------------------------ on a hand-made company


def tiny_company():
    """Two customers, two years, at 10 EUR/kg list and 6 EUR/kg cost.

    C1: 2024 1 000 kg; 2025 1 000 kg normal at 9 EUR + 500 kg off-season at 8 EUR.
    C2: 2024 2 500 kg; 2025 1 000 kg at 10 EUR.
    """
    rows = [
        ("S1", "C1", "P01", "2024-03-01", 1000, 9.0, "none"),
        ("S2", "C2", "P01", "2024-04-01", 2500, 10.0, "none"),
        ("S3", "C1", "P01", "2025-02-01", 1000, 9.0, "none"),
        ("S4", "C1", "P01", "2025-07-01", 500, 8.0, "off-season"),
        ("S5", "C2", "P01", "2025-10-01", 1000, 10.0, "none"),
    ]
    o = pd.DataFrame(rows, columns=["order_id", "customer_id", "product_id", "order_date",
                                    "quantity_kg", "net_price_per_kg", "deal_type"])
    o["order_line"] = 1
    o["order_date"] = pd.to_datetime(o["order_date"])
    o["list_price_per_kg"] = 10.0
    o["unit_cost_per_kg"] = 6.0
    o["promised_delivery_date"] = o["order_date"] + pd.Timedelta(days=10)
    o["actual_delivery_date"] = o["promised_delivery_date"]
    o["delivered_kg"] = o["quantity_kg"].astype(float)
    orders = data.add_order_measures(data.coerce_table(o, schema.ORDERS))
    customers = data.coerce_table(pd.DataFrame({
        "customer_id": ["C1", "C2"], "customer_name": ["One", "Two"],
        "industry": ["feed premix"] * 2, "region": ["West"] * 2, "country": ["FR"] * 2,
        "account_manager": ["Ann"] * 2}), schema.CUSTOMERS)
    paid = data.coerce_table(pd.DataFrame({"customer_id": ["C1"], "year": [2025],
                                           "rebate_paid": [150.0]}), schema.REBATES)
    empty = {t: data.empty_table(schema.TABLES[t])
             for t in ("products", "interactions", "contacts", "assessments")}
    return data.KamData(customers=customers, orders=orders, rebates=paid, **empty)


def test_simulate_on_a_hand_made_company():
    kd = tiny_company()
    s = settings.replace(settings.Settings(), "rebates.schedules",
                         settings.Settings().rebates.with_schedule(RETRO).schedules)
    sim = rebates.simulate(kd, s, "retro", 2025)
    # C1: 1 500 kg, 13 000 EUR -> tier 1, 2 % = 260; C2: 1 000 kg exactly -> 2 % of 10 000
    assert sim.loc["C1", "rebate"] == pytest.approx(260)
    assert sim.loc["C2", "rebate"] == pytest.approx(200)
    assert sim.loc["C1", "rebate_paid"] == 150 and sim.loc["C2", "rebate_paid"] == 0
    # margins: C1 13 000 - 9 000 = 4 000; C2 10 000 - 6 000 = 4 000
    assert sim.loc["C1", "rebate_pct_of_margin"] == pytest.approx(260 / 4000)
    tot = rebates.simulation_summary(sim)
    assert tot["rebate"] == pytest.approx(460)
    assert tot["rebate_pct_of_revenue"] == pytest.approx(460 / 23_000)
    counts = rebates.tier_counts(sim, RETRO)
    assert counts["customers"].tolist() == [0, 2, 0]
    # growth against 2024: C1 +500 kg, exactly the 500 kg of tier 2 -> 5 % on the
    # 500 kg valued at its average price 13 000 / 1 500; C2 is below its 2 500 kg
    g = rebates.simulate(kd, s.rebates.with_schedule(GROWTH), GROWTH, 2025)
    assert g.loc["C1", "tier"] == 2
    assert g.loc["C1", "rebate"] == pytest.approx(0.05 * 500 * 13_000 / 1500)
    assert g.loc["C2", "rebate"] == 0 and g.loc["C2", "to_next_tier"] == pytest.approx(2000)
    # a customer list with someone who bought nothing that year
    z = rebates.simulate(kd, s, "retro", 2024, customers=["C1", "C2"])
    assert z.loc["C1", "tier"] == 1 and z.loc["C2", "tier"] == 2
    with pytest.raises(ValueError, match="unknown customer id"):
        rebates.simulate(kd, s, "retro", 2025, customers=["C9"])


def test_near_threshold_on_a_hand_made_company():
    kd = tiny_company()
    sc = RebateSchedule("near", "kg", "retroactive", [(1600, 0.02), (5000, 0.04)])
    s = settings.Settings()
    s = settings.replace(s, "rebates.schedules", s.rebates.with_schedule(sc).schedules)
    sim = rebates.simulate(kd, s, "near", 2025)
    # C1 has 1 500 kg: 100 kg short of 1 600 (6 % of it, within 15 %); C2 600 kg short
    assert sim["near_threshold"].to_dict() == {"C1": True, "C2": False}
    n = rebates.near_threshold(sim)
    assert list(n.index) == ["C1"] and n.loc["C1", "to_next_tier"] == pytest.approx(100)
    # reaching 1 600 kg at 13 000 / 1 500 EUR/kg pays 2 % of 13 866.67
    assert n.loc["C1", "value_of_next_tier"] == pytest.approx(0.02 * 1600 * 13_000 / 1500)


def test_deal_effect_on_a_hand_made_company():
    kd = tiny_company()
    d = rebates.deal_effect(kd, settings.Settings(), "off-season", 2025).loc["C1"]
    # normal price 9 (its own price for P01 without a deal); deal 8; cost 6
    assert d["deal_kg"] == 500
    assert d["deal_discount"] == pytest.approx(1 / 9)
    assert d["new_share"] == pytest.approx(0.5)  # 1 - pull_forward_share
    # 250 kg new × (8 - 6) - 250 kg pulled forward × (9 - 8) = 250
    assert d["margin_effect"] == pytest.approx(250)
    assert d["break_even_new_share"] == pytest.approx(1 / 3)
    ss = rebates.season_shares(kd, settings.Settings(), 2025)
    assert ss.loc["C1", "off_season_share"] == pytest.approx(500 / 1500)
    assert ss.loc["C2", "off_season_share"] == 0


def test_monthly_accrual_on_a_hand_made_company():
    kd = tiny_company()
    s = settings.replace(settings.Settings(), "rebates.forecast", "last_year")
    s = settings.replace(s, "rebates.schedules", s.rebates.with_schedule(RETRO).schedules)
    acc = rebates.accrual(kd, s, "retro", 2025)
    c2 = acc.loc[acc["customer_id"] == "C2"].set_index("month")
    # C2 bought 2 500 kg last year -> forecast tier 2 (5 %) all year; nothing bought
    # before October, so nothing accrued or paid; it ends at 1 000 kg: 2 %
    assert c2.loc[9, "forecast_tier"] == 2 and c2.loc[9, "interim_paid_to_date"] == 0
    assert c2.loc[10, "accrued_to_date"] == pytest.approx(500)
    assert c2.loc[12, "final_settlement"] == pytest.approx(200)


def test_account_projection_contract_with_customers_given(monkeypatch):
    kd = tiny_company()
    seg = pd.DataFrame({"segment": ["price", "mixed"], "mixed_types": ["", "price+service"],
                        "price_elasticity": [-2.0, np.nan]},
                       index=pd.Index(["C1", "C2"], name="customer_id"))
    for part in (rebates.response, rebates.customers):  # where it is looked up
        monkeypatch.setattr(part, "_segmentation_table", lambda kd, s, ids: seg)
    s = settings.replace(settings.Settings(), "period.analysis_year", 2025)  # data ends mid-2025
    s = settings.replace(s, "rebates.schedules", s.rebates.with_schedule(RETRO).schedules)
    s = settings.replace(s, "rebates.schedule_by_segment",
                         {"price": "retro", "price+service": "stepped volume"})
    p = rebates.account_projection(kd, s, customers=["C1", "C2"])
    assert list(p.columns) == [
        "schedule", "basis", "last_year_volume", "projected_volume", "tier_reached",
        "rate", "projected_rebate", "rebate_pct_of_revenue", "rebate_pct_of_margin",
        "to_next_tier", "next_tier_rate", "value_of_next_tier", "elasticity_used"]
    assert p.index.name == "customer_id"
    assert p.loc["C1", "schedule"] == "retro"
    assert p.loc["C2", "schedule"] == "stepped volume"
    assert p.loc["C1", "elasticity_used"] == -2.0
    assert p.loc["C2", "elasticity_used"] == s.rebates.default_elasticity
    # C1: 1 500 kg earns 2 % -> 1 500 × 0.98^-2 kg, 2 % of the new revenue
    f = 0.98 ** -2.0
    assert p.loc["C1", "projected_volume"] == pytest.approx(1500 * f)
    assert p.loc["C1", "projected_rebate"] == pytest.approx(0.02 * 13_000 * f)
    assert p.loc["C1", "to_next_tier"] == pytest.approx(2000 - 1500 * f)
    # C2: 1 000 kg, under the default stepped schedule (40 t) nothing
    assert p.loc["C2", "projected_rebate"] == 0 and p.loc["C2", "tier_reached"] == 0
    assert p.loc["C2", "to_next_tier"] == pytest.approx(39_000)
    # the per-customer override wins over the segment
    s2 = settings.replace(s, "rebates.schedule_by_customer", {"C2": "retro"})
    assert rebates.account_projection(kd, s2, customers=["C2"]).loc["C2", "schedule"] == "retro"


# ------------------------------------------------------------------ the bundled data


def test_current_programme_reproduces_the_rebates_paid(sample, answer_key, default_settings):
    """The sample's accounting paid the current programme (retroactive 1/2/3 % from
    50/150/300 t) - ``generate.LOSS_REBATE_BONUS`` (two points) more to the planted
    large loss-makers."""
    for year in (2024, 2025):
        sim = rebates.simulate(sample, default_settings, "current programme", year)
        loss = answer_key["is_loss_making_large"].reindex(sim.index).fillna(False).astype(bool)
        ordinary = sim.loc[~loss]
        assert (ordinary["rebate"] - ordinary["rebate_paid"]).abs().max() < 1.0
        lm = sim.loc[loss & (sim["revenue"] > 0)]
        extra = lm["rebate_paid"] - lm["rebate"]
        assert np.allclose(extra, generate.LOSS_REBATE_BONUS * lm["revenue"], atol=1.0)


def test_account_projection_finds_price_sensitive_key_customers(sample, answer_key,
                                                                default_settings):
    p = rebates.account_projection(sample, default_settings)
    assert len(p) >= 5
    truth = answer_key.loc[p.index]
    price_like = (truth["sensitivity"] == "price") | truth["mixed_types"].fillna("").str.contains("price")
    assert price_like.mean() >= 0.8
    assert (p["elasticity_used"] < 0).all()
    assert (p["schedule"] == default_settings.rebates.schedule_by_segment["price"]).all()
    top = p["tier_reached"] == len(default_settings.rebates.schedule().tiers)
    assert p.loc[top, "to_next_tier"].isna().all()
    assert (p.loc[~top, "to_next_tier"] > 0).all()


def test_deals_in_the_sample_carry_the_planted_discounts(sample, default_settings):
    off = rebates.deal_effect(sample, default_settings, "off-season")
    big = off.loc[off["deal_kg"] >= 1000, "deal_discount"]
    assert 0.06 < big.median() < 0.11  # 8 % off the customer's own price
    bun = rebates.deal_effect(sample, default_settings, "bundle")
    assert 0.08 < bun.loc[bun["deal_kg"] >= 1000, "deal_discount"].median() < 0.14


def test_accrual_on_the_sample_ends_at_what_was_earned(sample, default_settings):
    sim = rebates.simulate(sample, default_settings, "current programme")
    acc = rebates.accrual(sample, default_settings, "current programme",
                          customers=sim.index)
    st = rebates.settlement(acc)
    assert np.allclose(st["earned"], sim["rebate"].reindex(st.index))
    assert np.allclose(st["interim_paid"] + st["final_settlement"], st["earned"])


def test_account_projection_without_segmentation(monkeypatch):
    kd = tiny_company()
    for part in (rebates.response, rebates.customers):  # where it is looked up
        monkeypatch.setattr(part, "_segmentation_table", lambda kd, s, ids: None)
    s = settings.Settings()
    p = rebates.account_projection(kd, s, customers=["C1"])
    assert p.loc["C1", "schedule"] == s.rebates.default_schedule
    assert p.loc["C1", "elasticity_used"] == s.rebates.default_elasticity
    with pytest.raises(ValueError, match="pass the customers explicitly"):
        rebates.account_projection(kd, s)


def test_schedule_for_segments_and_mixed_pairs():
    seg = pd.DataFrame({"segment": ["price", "mixed", "mixed", "service"],
                        "mixed_types": ["", "price+technology", "price+service", ""]},
                       index=pd.Index(["A", "B", "C", "D"], name="customer_id"))
    rs = RebateSettings(default_schedule="stepped volume",
                        schedule_by_segment={"price": "cumulative volume",
                                             "price+service": "growth"},
                        schedule_by_customer={"A": "current programme"})
    names = rebates.schedule_for(rs, seg)
    assert names.to_dict() == {"A": "current programme", "B": "cumulative volume",
                               "C": "growth", "D": "stepped volume"}
    assert list(rebates.price_sensitive(seg)) == ["A", "B", "C"]


def test_seasonal_shares_by_hand():
    o = tiny_company().orders
    own = rebates.seasonal_shares(o, 2025, history_years=1)
    assert own.loc["C1", 2] == 0 and own.loc["C1", 3] == 1  # all of 2024 in March
    comp = rebates.seasonal_shares(o, 2025, history_years=1, by="company", ids=["C1", "C2"])
    # 2024: 1 000 kg in March, 2 500 kg in April
    assert comp.loc["C2", 3] == pytest.approx(1000 / 3500)
    assert comp.loc["C1", 4] == 1


def test_forecast_errors_by_hand():
    kd = tiny_company()
    s = settings.Settings()
    s = settings.replace(s, "rebates.schedules", s.rebates.with_schedule(RETRO).schedules)
    e = rebates.forecast_errors(kd, s, "retro", 2025, months=(3,))
    r = e.loc[("run_rate", 3)]
    # after March C1 has 1 000 kg -> run rate 4 000 vs 1 500 actual (error 5/3);
    # C2 nothing yet -> forecast 0 vs 1 000 (error 1)
    assert r["median_error"] == pytest.approx((5 / 3 + 1) / 2)
    assert r["weighted_error"] == pytest.approx((2500 + 1000) / 2500)
    assert r["wrong_tier"] == pytest.approx(1.0)  # C1 forecast tier 2, C2 tier 0
    assert set(e.index.get_level_values("forecast")) == set(rebates.FORECASTS)


def test_the_package_keeps_every_name_of_the_former_module():
    """kamlib.rebates is a package with one file per part; everything the single module
    offered is still importable from kamlib.rebates, and each name is defined once, in
    the part that owns it."""
    import importlib

    for name in ("RebateSchedule", "RebateSettings", "apply_schedule", "simulate",
                 "compare_schedules", "accrual", "forecast_errors", "deal_effect",
                 "bundle_pairs", "pack_twins", "economy_design", "account_projection",
                 "_rebate_settings", "_YEAR_MEMO"):
        assert hasattr(rebates, name), name
    parts = ("schedules", "history", "response", "accruals", "customers", "deals", "packs")
    owners = {}
    for part in parts:
        mod = importlib.import_module(f"kamlib.rebates.{part}")
        for name in rebates.__all__:
            obj = getattr(mod, name, None)
            if callable(obj) and getattr(obj, "__module__", "") == mod.__name__:
                owners.setdefault(name, []).append(part)
    for name in rebates.__all__:
        obj = getattr(rebates, name)
        if callable(obj) and not isinstance(obj, type(rebates)):
            assert owners.get(name, [None])[0] is not None and len(owners[name]) == 1, name
    assert owners["accrual"] == ["accruals"] and owners["deal_effect"] == ["deals"]
