"""The periodic review: each health component pinned on hand-made histories, the decay
flag, the decision rule, migration, validation, settings and ``kam review``.

Hand-made company (review date 2025-12-31, windows of 12 months ending then):

- ``A``: 12 monthly orders a year of 100 kg (2023), 80 kg (2024), 75 kg (2025) at
  EUR 10/kg; cost 7 (30 % margin) until 2024, 7.3 in 2025 (27 %); one complaint
  received on 2025-12-30; a decision maker last seen on 2025-07-04 (180 days); total
  use 2,000 kg in 2023 and 2025;
- ``B``: first order 2025-02-15 (short history), 11 monthly orders of 50 kg;
- ``C``: 12 monthly orders of 100 kg every year; six complaints in 2025; 9 of its 12
  deliveries of 2025 on time.
"""

from __future__ import annotations

import dataclasses
import importlib

import numpy as np
import pandas as pd
import pytest

from kamlib import data, review, schema, selection, settings
from kamlib.cli import main
from kamlib.errors import SettingsError
from kamlib.review import migration

H = importlib.import_module("kamlib.review.health")  # the module (review.health is the function)

AS_OF = pd.Timestamp("2025-12-31")

# --------------------------------------------------------------------------- helpers


def _table(name, rows):
    t = schema.TABLES[name]
    if not rows:
        return data.empty_table(t)
    df = pd.DataFrame(rows)
    for c in t.columns:
        if c.kind == "date" and c.name in df.columns:
            df[c.name] = pd.to_datetime(df[c.name])
    return data.coerce_table(df, t)


def make_kd(orders, interactions=(), contacts=(), assessments=(), customers=None):
    ids = sorted({o["customer_id"] for o in orders})
    cust = customers or [{"customer_id": c, "customer_name": f"Customer {c}",
                          "industry": "feed premix", "region": "R", "country": "X",
                          "account_manager": "AM"} for c in ids]
    return data.KamData(
        customers=_table("customers", cust), products=data.empty_table(schema.PRODUCTS),
        orders=data.add_order_measures(_table("orders", list(orders))),
        interactions=_table("interactions", list(interactions)),
        contacts=_table("contacts", list(contacts)),
        assessments=_table("assessments", list(assessments)),
        rebates=data.empty_table(schema.REBATES), source="test")


_n = {"order": 0, "it": 0}


def order(cid, date, kg, cost=7.0, late_days=0):
    _n["order"] += 1
    d = pd.Timestamp(date)
    return {"order_id": f"SO{_n['order']:05d}", "order_line": 1, "customer_id": cid,
            "product_id": "P1", "order_date": d, "quantity_kg": kg,
            "list_price_per_kg": 10.0, "net_price_per_kg": 10.0, "unit_cost_per_kg": cost,
            "promised_delivery_date": d + pd.Timedelta(days=5),
            "actual_delivery_date": d + pd.Timedelta(days=5 + late_days),
            "delivered_kg": kg, "deal_type": "none"}


def complaint(cid, date, days=None, type_="complaint"):
    _n["it"] += 1
    return {"interaction_id": f"I{_n['it']:05d}", "customer_id": cid,
            "date": pd.Timestamp(date), "type": type_, "effort_minutes": 30.0,
            "outcome": "resolved" if days is not None else "open",
            "complaint_reason": "quality" if type_ == "complaint" else None,
            "days_to_resolve": days}


def monthly(cid, year, kg, cost=7.0, months=range(1, 13), late=()):
    return [order(cid, f"{year}-{m:02d}-15", kg, cost, 3 if m in late else 0)
            for m in months]


def company():
    orders = (monthly("A", 2023, 100) + monthly("A", 2024, 80) + monthly("A", 2025, 75, 7.3)
              + monthly("B", 2025, 50, months=range(2, 13))
              + monthly("C", 2023, 100) + monthly("C", 2024, 100)
              + monthly("C", 2025, 100, late=(1, 2, 3)))
    comps = [complaint("A", "2025-12-30")]
    comps += [complaint("C", d, days) for d, days in
              (("2025-02-01", 4), ("2025-03-01", 4), ("2025-04-01", 10),
               ("2025-05-01", 10), ("2025-06-01", 20), ("2025-12-01", None))]
    contacts = [
        {"contact_id": "K1", "customer_id": "A", "role": "management",
         "is_decision_maker": True, "last_contact_date": pd.Timestamp("2025-07-04")},
        {"contact_id": "K2", "customer_id": "A", "role": "technical",
         "is_decision_maker": False, "last_contact_date": pd.Timestamp("2024-01-01")},
        {"contact_id": "K3", "customer_id": "C", "role": "purchasing",
         "is_decision_maker": True, "last_contact_date": pd.Timestamp("2025-12-01")},
    ]
    assess = [{"customer_id": "A", "year": y, "information_sharing": 3, "cooperation": 3,
               "strategic_fit": 3, "growth_potential": 3, "estimated_annual_use_kg": 2000.0}
              for y in (2023, 2025)]
    return make_kd(orders, comps, contacts, assess)


@pytest.fixture(scope="module")
def kd():
    return company()


@pytest.fixture(scope="module")
def s():
    return settings.Settings()


@pytest.fixture(scope="module")
def h(kd, s):
    from kamlib import formatting

    with formatting.using(formatting.NEUTRAL):  # quantities without a unit
        return review.health(kd, s, 2025)


# --------------------------------------------------------------------------- scale


def test_scale_is_linear_between_bad_and_good_and_capped():
    assert H.scale(-0.125, -0.25, 0.0) == pytest.approx(50.0)
    assert H.scale([-1.0, 0.5], -0.25, 0.0).tolist() == [0.0, 100.0]
    # falling direction: more days is worse
    assert H.scale(195, 300, 90) == pytest.approx(50.0)
    assert np.isnan(H.scale(np.nan, 0, 1))


# --------------------------------------------------------------------------- components


def test_volume_trend_is_the_average_yearly_change_over_two_years(h):
    change = np.sqrt(900 / 1200) - 1  # 75 kg × 12 against 100 kg × 12
    assert h.loc["A", "volume_value"] == pytest.approx(change)
    assert h.loc["A", "volume_score"] == pytest.approx(100 * (change + 0.25) / 0.25)
    assert "(1200 → 960 → 900 in the last 12 months)" in h.loc["A", "volume_evidence"]
    assert h.loc["C", "volume_score"] == pytest.approx(100.0)  # flat volume: good


def test_volume_evidence_speaks_the_company_unit(kd, s):
    from kamlib import formatting

    with formatting.using(formatting.Company(quantity_unit="kg")):
        ev = review.health(kd, s, 2025).loc["A", "volume_evidence"]
    assert "(1 t → 960 kg → 900 kg in the last 12 months)" in ev
    with formatting.using(formatting.Company(quantity_unit="pcs")):
        ev = review.health(kd, s, 2025).loc["A", "volume_evidence"]
    assert "(1200 pcs → 960 pcs → 900 pcs" in ev


def test_short_history_has_no_volume_trend_and_is_left_out_of_the_health(kd, s, h):
    assert np.isnan(h.loc["B", "volume_score"]) and np.isnan(h.loc["B", "margin_score"])
    assert "history too short" in h.loc["B", "volume_evidence"]
    assert "2025-02-15" in h.loc["B", "volume_evidence"]
    w = s.review.weights.as_dict()
    used = {c: h.loc["B", f"{c}_score"] for c in review.COMPONENTS
            if not np.isnan(h.loc["B", f"{c}_score"])}
    assert set(used) == {"complaints", "resolution", "delivery", "service_gap"}
    # 3.5 of 10.5 weight points have evidence: below min_coverage 0.5, no health
    assert h.loc["B", "coverage"] == pytest.approx(3.5 / 10.5)
    assert np.isnan(h.loc["B", "health"]) and not h.loc["B", "decaying"]
    low = dataclasses.replace(s, review=dataclasses.replace(
        s.review, evidence=dataclasses.replace(s.review.evidence, min_coverage=0.3)))
    hb = review.health(kd, low, 2025).loc["B"]
    expected = sum(w[c] * v for c, v in used.items()) / sum(w[c] for c in used)
    assert hb["health"] == pytest.approx(expected)


def test_share_of_wallet_trend_in_points(h):
    # 1,200 / 2,000 = 60 % in 2023, 900 / 2,000 = 45 % in 2025: -15 points = the bad end
    assert h.loc["A", "share_of_wallet_value"] == pytest.approx(-0.15)
    assert h.loc["A", "share_of_wallet_score"] == pytest.approx(0.0)
    assert "60% in 2023" in h.loc["A", "share_of_wallet_evidence"]
    assert np.isnan(h.loc["C", "share_of_wallet_score"])  # no estimate of its use
    assert "no estimate" in h.loc["C", "share_of_wallet_evidence"]


def test_margin_trend_in_points(h):
    # 30 % in 2023, (10 - 7.3) / 10 = 27 % in 2025: -3 points, half-way to -6
    assert h.loc["A", "margin_value"] == pytest.approx(-0.03)
    assert h.loc["A", "margin_score"] == pytest.approx(50.0)


def test_one_complaint_in_the_last_days_is_not_a_trend(h):
    assert h.loc["A", "complaints_12m"] == 1
    assert h.loc["A", "complaints_score"] == pytest.approx(100.0)
    ev = h.loc["A", "complaints_evidence"]
    assert "2025-12-30" in ev and "not a trend" in ev
    assert h.loc["A", "resolution_score"] == pytest.approx(100.0)


def test_complaint_rate_is_measured_against_the_portfolio(h):
    # portfolio: 7 complaints / (12 + 11 + 12) orders = 20 per 100; C: 6 / 12 = 50
    assert h.attrs["portfolio_complaint_rate"] == pytest.approx(20.0)
    assert h.loc["C", "complaints_value"] == pytest.approx(2.5)
    assert h.loc["C", "complaints_score"] == pytest.approx(25.0)  # (2.5 - 3) / (1 - 3)


def test_resolution_time_counts_open_complaints_with_their_age(h):
    # 4, 4, 10, 10, 20 days and one open since 2025-12-01 (30 days): median 10
    assert h.loc["C", "resolution_value"] == pytest.approx(10.0)
    assert h.loc["C", "resolution_score"] == pytest.approx(100 * (10 - 20) / (5 - 20))
    assert h.loc["C", "open_complaints"] == 1


def test_a_complaint_closed_after_the_review_date_was_open_on_it(s):
    # received 2025-10-01, closed after 120 days (2026-01-29): open on 2025-12-31, 91 days
    kd = make_kd(monthly("X", 2025, 10), [complaint("X", "2025-10-01", 120),
                                          complaint("X", "2025-11-01", 2),
                                          complaint("X", "2025-11-02", 2)])
    h = review.health(kd, s, 2025)
    assert h.loc["X", "open_complaints"] == 1
    assert h.loc["X", "resolution_value"] == pytest.approx(2.0)  # median of 2, 2, 91
    kd2 = make_kd(monthly("X", 2025, 10), [complaint("X", "2025-10-01", 120),
                                           complaint("X", "2025-11-01", 70),
                                           complaint("X", "2025-11-02", 70)])
    h2 = review.health(kd2, s, 2025)
    assert h2.loc["X", "open_complaints"] == 3
    assert h2.loc["X", "resolution_value"] == pytest.approx(60.0)  # ages 91, 60, 59


def test_contacts_count_only_decision_makers(h):
    assert h.loc["A", "contacts_value"] == pytest.approx(180.0)  # not the 2024 technician
    assert h.loc["A", "contacts_score"] == pytest.approx(100 * (180 - 300) / (90 - 300))
    assert np.isnan(h.loc["B", "contacts_score"])
    assert "no decision maker" in h.loc["B", "contacts_evidence"]


def test_contact_dates_after_the_review_date_are_no_evidence(kd, s):
    h24 = review.health(kd, s, 2024)  # contacts dated 2025 say nothing about 2024
    assert np.isnan(h24.loc["A", "contacts_score"])
    assert "later than the review date" in h24.loc["A", "contacts_evidence"]


def test_delivery_performance_needs_enough_deliveries(h):
    assert h.loc["C", "delivery_value"] == pytest.approx(0.75)  # 9 of 12 on time
    assert h.loc["C", "delivery_score"] == pytest.approx(20.0)  # (0.75 - 0.70) / 0.25
    assert h.loc["A", "delivery_score"] == pytest.approx(100.0)
    kd = make_kd(monthly("Y", 2025, 10, months=range(1, 6)))
    hy = review.health(kd, settings.Settings(), 2025)
    assert np.isnan(hy.loc["Y", "delivery_score"])
    assert "only 5 deliveries" in hy.loc["Y", "delivery_evidence"]


def test_service_gap_recommended_minus_observed(h):
    # 3 active customers: none in the top 5 % or 20 % by revenue → "many" (step 0);
    # A's margin 27 % ≥ 25 % → high (step 2): recommended accountable; its only
    # contact is a complaint → observed reactive: gap 1
    assert h.loc["A", "recommended_level"] == "accountable"
    assert h.loc["A", "observed_level"] == "reactive"
    assert h.loc["A", "service_gap_value"] == 1
    assert h.loc["A", "service_gap_score"] == pytest.approx(100 * (1 - 3) / (0 - 3))
    assert h.loc["B", "observed_level"] == "basic"  # no contact at all


def test_observed_level_matches_the_service_module_at_the_year_end(sample, default_settings):
    from kamlib import service

    acc = service.key_account_table(sample, default_settings)
    lv = service.relationship_levels(sample, default_settings, acc)
    h = review.health(sample, default_settings, customers=list(acc.index),
                      abc_class=acc["abc_class"])
    assert (h["observed_level"] == lv["observed_level"].reindex(h.index)).all()
    assert (h["recommended_level"] == lv["recommended_level"].reindex(h.index)).all()


# --------------------------------------------------------------------------- the flag


def test_decaying_needs_low_health_and_enough_signals(kd, s):
    h = review.health(kd, s, 2025)
    # A: volume 46, share 0, margin 50, contacts 57 ... health below 55? compute:
    w = s.review.weights.as_dict()
    row = h.loc["A"]
    sc = {c: row[f"{c}_score"] for c in review.COMPONENTS if not np.isnan(row[f"{c}_score"])}
    assert row["health"] == pytest.approx(sum(w[c] * v for c, v in sc.items())
                                          / sum(w[c] for c in sc))
    assert row["signals"] == sum(v < 50 for v in sc.values())
    strict = dataclasses.replace(s, review=dataclasses.replace(
        s.review, health_threshold=100.0, decay_min_signals=row["signals"] + 1))
    assert not review.health(kd, strict, 2025).loc["A", "decaying"]
    loose = dataclasses.replace(s, review=dataclasses.replace(
        s.review, health_threshold=100.0, decay_min_signals=row["signals"]))
    hl = review.health(kd, loose, 2025)
    assert hl.loc["A", "decaying"]
    assert "share-of-wallet trend" in hl.loc["A", "reasons"]
    assert hl.loc["A", "main_signal"].startswith("share-of-wallet trend")  # the worst


def test_too_little_evidence_gives_no_health_and_no_flag(s):
    kd = make_kd(monthly("N", 2025, 10, months=(11, 12)))  # two orders, nothing else
    strict = dataclasses.replace(s, review=dataclasses.replace(
        s.review, evidence=dataclasses.replace(s.review.evidence, min_coverage=0.9)))
    h = review.health(kd, strict, 2025)
    assert np.isnan(h.loc["N", "health"]) and not h.loc["N", "decaying"]
    assert h.loc["N", "reasons"].startswith("not enough evidence")


def test_health_trend_has_one_row_per_quarter_end(kd, s):
    tr = review.health_trend(kd, s, 2025, ["A", "C"])
    assert sorted(tr["as_of"].unique()) == [pd.Timestamp(d) for d in
                                           ("2025-03-31", "2025-06-30", "2025-09-30",
                                            "2025-12-31")]
    last = tr.loc[tr["as_of"] == AS_OF].set_index("customer_id")
    assert last.loc["A", "health"] == pytest.approx(review.health(kd, s, 2025).loc["A",
                                                                                  "health"])



def test_health_trend_reuses_the_health_at_the_review_date_only_when_it_fits(kd, s):
    """Given the review date's health (as account_review passes it) the trend is the
    same table; a health of other customers is not taken for theirs."""
    ids = ["A", "C"]
    plain = review.health_trend(kd, s, 2025, ids)
    given = review.health(kd, s, 2025, ids)
    pd.testing.assert_frame_equal(review.health_trend(kd, s, 2025, ids, at_review=given),
                                  plain)
    other = review.health(kd, s, 2025, ["A"])
    pd.testing.assert_frame_equal(review.health_trend(kd, s, 2025, ids, at_review=other),
                                  plain)


def test_health_without_words_has_the_same_numbers_and_no_text(sample, default_settings):
    """words=False (the trend's earlier quarter ends) computes every score, value and
    flag as with the words, at every quarter end, and leaves the texts empty."""
    s = default_settings
    for as_of in ("2024-09-30", "2025-12-31"):
        full = review.health(sample, s, 2025, as_of=as_of)
        lean = review.health(sample, s, 2025, full.index, as_of=as_of, words=False)
        text = [c for c in full.columns if c.endswith("_evidence")] + ["reasons", "main_signal"]
        assert len(text) == 10 and (full["reasons"] != "").all()
        pd.testing.assert_frame_equal(lean.drop(columns=text), full.drop(columns=text))
        for c in text:
            assert (lean[c].astype(str) == "").all(), c


# --------------------------------------------------------------------------- bundled data


@pytest.fixture(scope="module")
def sample_review(sample, default_settings):
    return review.account_review(sample, default_settings)


def test_every_planted_decaying_customer_is_flagged_on_the_sample(sample, answer_key,
                                                                   default_settings):
    h = review.health(sample, default_settings)
    v = review.validate(h, answer_key.reset_index())
    assert v["planted"] == int(answer_key["is_decaying"].sum()) >= 10
    assert v["recall"] >= 0.9
    assert v["precision"] >= 0.8


def test_account_review_contract(sample_review, sample, default_settings, answer_key):
    r = sample_review
    ka = selection.key_accounts(sample, default_settings)
    assert set(r.index) == set(ka.index[ka["is_key"]])
    for c in ("health", "decision", "decaying", "reasons", "action", "selected_for",
              "still_holds", "no_longer_holds", "health_trend", "selection_note"):
        assert c in r.columns
    for c in review.COMPONENTS:
        assert {f"{c}_score", f"{c}_evidence", f"{c}_value"} <= set(r.columns)
    assert r["health"].between(0, 100).all()
    assert set(r["decision"]) <= set(review.DECISIONS)
    assert r["decaying"].dtype == bool
    # the planted decaying key accounts: kept, with a recovery plan, and the note
    dec = r.loc[r["decaying"]]
    planted = set(r.index) & set(answer_key.index[answer_key["is_decaying"]])
    assert planted and set(dec.index) == planted
    assert (dec["decision"] == "keep").all()
    assert dec["action"].str.startswith("recovery plan").all()
    assert (dec["selection_note"].str.len() > 0).all()
    assert (r.loc[~r["decaying"], "selection_note"] == "").all()


def test_decision_rule_as_documented(sample, default_settings):
    old = selection.key_accounts(sample, settings.replace(default_settings,
                                                          "period.analysis_year", 2024))
    r = review.account_review(sample, default_settings, key_table=old)
    assert set(r.index) == set(old.index[old["is_key"]])
    holds = r["still_holds"] != "none"
    expected = np.select(
        [~r["qualifies_now"] & (~holds | r["decaying"]), ~r["qualifies_now"],
         r["decaying"]], ["drop", "downgrade", "keep"], "")
    m = expected != ""
    assert (r["decision"][m] == expected[m]).all()
    assert {"drop", "downgrade"} <= set(r["decision"])
    rest = r.loc[~m]
    assert set(rest["decision"]) <= {"keep", "develop"}
    dev = rest["decision"] == "develop"
    assert (rest.loc[dev, "health"] >= default_settings.review.develop_min_health).all()
    lost = r.loc[r["no_longer_holds"] != "none"]
    assert len(lost) and lost["reasons"].str.contains("no longer:").all()


def test_new_candidates_are_key_now_and_not_on_the_list(sample, default_settings):
    nc = review.new_candidates(sample, default_settings)
    old = selection.key_accounts(sample, settings.replace(default_settings,
                                                          "period.analysis_year", 2024))
    now = selection.key_accounts(sample, default_settings)
    expected = set(now.index[now["is_key"]]) - set(old.index[old["is_key"]])
    assert set(nc.index) == expected and len(nc) > 0
    assert nc["score"].is_monotonic_decreasing
    assert nc["reasons"].str.contains("health").all()


def test_review_of_an_empty_list_is_an_empty_table(sample, default_settings):
    r = review.account_review(sample, default_settings, key_table=[])
    assert len(r) == 0 and "decision" in r.columns


def test_a_key_table_without_ids_or_with_unknown_ids_is_refused(sample, default_settings):
    with pytest.raises(ValueError, match="customer_id column"):
        review.account_review(sample, default_settings,
                              key_table=pd.DataFrame({"abc_class": ["A"]}))
    with pytest.raises(ValueError, match=r"not in the data: \['C9999'\]"):
        review.account_review(sample, default_settings, key_table=["C0136", "C9999"])


def test_other_company_without_optional_tables(tmp_path, default_settings):
    from kamlib import generate

    cfg = generate.GeneratorConfig(n_customers=20, years=3, end_year=2019, seed=5)
    generate.write_dataset(cfg, tmp_path / "t", answer_key_dir=tmp_path / "k")
    for name in ("contacts.csv", "assessments.csv"):
        (tmp_path / "t" / name).unlink()
    kd = data.load(tmp_path / "t")
    # without assessments the scorecard makes nobody key: review the company's own list
    t = review.health(kd, default_settings, 2019)
    own = list(t.sort_values("revenue_12m").index[-4:])
    # customers that bought in the first year (a new one has no volume trend yet)
    established = pd.Index(own).isin(kd.orders.loc[kd.orders["year"] == 2017, "customer_id"])
    r = review.account_review(kd, default_settings, year=2019, key_table=own)
    assert sorted(r.index) == sorted(own)
    # a list of ids carries no reasons: this year's selection says why (the 4 largest
    # of 20 customers are the top 20 %: class A)
    assert r["selected_for"].str.contains("size").all()
    assert r["contacts_evidence"].str.startswith("not in the data: add a contacts table").all()
    assert r["share_of_wallet_score"].isna().all()
    assert established.sum() >= 3
    assert r.loc[pd.Index(own)[established], "health"].notna().all()


# --------------------------------------------------------------------------- migration


def test_movers_and_matrix():
    before = pd.Series({"a": "A", "b": "B", "c": "C"})
    after = pd.Series({"a": "C", "b": "B", "d": "A"})
    order = migration.ABC_ORDER
    m = migration._matrix(before, after, order)
    assert m.loc["A", "C"] == 1 and m.loc["B", "B"] == 1
    assert m.loc["C", "inactive"] == 1 and m.loc["inactive", "A"] == 1
    mv = migration.movers(before, after, order)
    assert set(mv.index) == {"a", "c", "d"}
    assert mv.loc["a", "direction"] == "down" and mv.loc["a", "steps"] == -2
    assert mv.loc["d", "direction"] == "up" and mv.loc["d", "steps"] == 3


def test_pyramid_and_abc_migration_on_the_sample(sample, default_settings):
    m, mv = review.pyramid_migration(sample, default_settings)
    assert int(m.to_numpy().sum()) == len(selection.customer_index(sample))
    assert (mv["from"] != mv["to"]).all()
    m2, mv2 = review.abc_migration(sample, default_settings)
    assert int(m2.to_numpy().sum()) == len(selection.customer_index(sample))
    off_diag = int(m2.to_numpy().sum() - np.trace(m2.to_numpy()))
    assert off_diag == len(mv2)


def test_stage_migration_marks_the_decaying_key_accounts(sample, default_settings,
                                                          sample_review, answer_key):
    """The stage rule (volume down more than 5 % in each of the last two years) is a
    cruder decay signal than the review's health: it marks the planted decaying key
    accounts far more often than the others, and some others too (two small yearly
    falls are not decay)."""
    from kamlib import service

    m, mv = review.stage_migration(sample, default_settings)
    assert int(m.to_numpy().sum()) == len(sample_review)
    stage = service.relationship_levels(
        sample, default_settings, service.key_account_table(sample, default_settings))["stage"]
    planted = stage.index.isin(answer_key.index[answer_key["is_decaying"]])
    dis = stage.eq("disintegrating").to_numpy()
    assert planted.any()
    assert dis[planted].mean() >= 0.5
    assert dis[planted].mean() > 2 * dis[~planted].mean()


# --------------------------------------------------------------------------- validation


def test_validate_counts_recall_and_precision():
    t = pd.DataFrame({"decaying": [True, True, True, False, False]},
                     index=pd.Index(list("abcde"), name="customer_id"))
    key = pd.DataFrame({"customer_id": list("abcde"),
                        "is_decaying": [True, True, False, True, False]})
    v = review.validate(t, key)
    assert (v["planted"], v["flagged"], v["caught"], v["false_alarms"]) == (3, 3, 2, 1)
    assert v["recall"] == pytest.approx(2 / 3) and v["precision"] == pytest.approx(2 / 3)
    assert v["missed_ids"] == "d"


def test_choose_threshold_takes_the_lowest_with_enough_pooled_recall():
    curves = pd.DataFrame({"seed": [1, 1, 2, 2], "threshold": [50, 55, 50, 55],
                           "caught": [9, 10, 8, 10], "planted": [10, 10, 10, 10]})
    assert review.choose_threshold(curves) == 55.0  # 50 pools to 17/20 = 85 %
    assert review.choose_threshold(curves, min_recall=0.8) == 50.0


def test_default_threshold_is_the_one_chosen_on_other_companies(default_settings):
    curves = review.calibrate(default_settings, thresholds=range(40, 71, 5))
    assert 4 not in set(curves["seed"])  # never the bundled sample's seed
    assert review.choose_threshold(curves) == default_settings.review.health_threshold


def test_calibration_companies_are_generated_once(monkeypatch, default_settings):
    """A second calibration (other settings, as chapter 05 does) reads the companies
    generated for the first: the generator runs once per seed, and the curves are
    those of freshly generated companies."""
    from kamlib import generate
    from kamlib.review import validation

    validation._generate_company.cache_clear()
    calls = []
    real = generate.write_dataset
    monkeypatch.setattr(generate, "write_dataset",
                        lambda cfg, *a, **k: calls.append(cfg.seed) or real(cfg, *a, **k))
    first = review.calibrate(default_settings, thresholds=[50, 60], seeds=(11, 12),
                             n_customers=120)
    other = settings.replace(default_settings, "review.weights.contacts", 0.0)
    review.calibrate(other, thresholds=[50, 60], seeds=(11, 12), n_customers=120)
    assert calls == [11, 12]
    validation._generate_company.cache_clear()
    fresh = review.calibrate(default_settings, thresholds=[50, 60], seeds=(11, 12),
                             n_customers=120)
    pd.testing.assert_frame_equal(first, fresh)
    assert calls == [11, 12, 11, 12] and first["planted"].sum() > 0
    validation._generate_company.cache_clear()


# --------------------------------------------------------------------------- settings


def test_review_settings_are_in_the_settings_file():
    s = settings.load(settings.DEFAULT_SETTINGS_FILE)
    assert s.review == review.ReviewSettings()


def test_bad_review_settings_name_the_key(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text("[review.weights]\nvolume = -1\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="review.weights.volume"):
        settings.load(f)
    f.write_text("[review]\nhealth_treshold = 50\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="health_threshold"):
        settings.load(f)
    with pytest.raises(SettingsError, match="scales"):
        review.HealthScales(otif_bad=0.9, otif_good=0.9)


# --------------------------------------------------------------------------- command


def test_kam_review_writes_csv_and_excel(tmp_path, capsys, sample_review):
    from kamlib import formatting

    before = formatting.current_company()
    out = tmp_path / "review.csv"
    assert main(["review", "--out", str(out)]) == 0
    assert formatting.current_company() == before  # the run leaves no company behind
    t = pd.read_csv(out, dtype={"customer_id": str})
    assert {"customer_id", "health", "decision", "decaying", "reasons"} <= set(t.columns)
    assert len(t) == len(sample_review)
    assert t["decaying"].sum() == sample_review["decaying"].sum()
    assert t["volume_evidence"].str.contains(" t ").any()  # the sample's unit: kg, in t
    assert "key accounts reviewed" in capsys.readouterr().out
    x = tmp_path / "review.xlsx"
    assert main(["review", "--out", str(x), "--year", "2025"]) == 0
    tx = pd.read_excel(x, sheet_name="review", dtype={"customer_id": str})
    assert list(tx["customer_id"]) == list(t["customer_id"])


def test_kam_review_refuses_bad_output_and_year(tmp_path, capsys):
    assert main(["review", "--out", str(tmp_path / "r.txt")]) == 2
    assert ".csv or .xlsx" in capsys.readouterr().err
    assert main(["review", "--out", str(tmp_path / "r.csv"), "--year", "2019"]) == 1
    err = capsys.readouterr().err
    assert "2019" in err and "2021-2025" in err
    assert not (tmp_path / "r.csv").exists()


# --------------------------------------------------------------------------- plots


def test_review_plots_draw_what_they_are_given(h, s):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kamlib.plots import review as plots

    try:
        ax = plots.health_components(h.loc["B"], s.review.weights.as_dict())
        # eight components: four with evidence, four hatched "no evidence" bars
        assert len(ax.patches) == 8
        assert sum(t.get_text() == "no evidence" for t in ax.texts) == 4
        assert ax.get_title().startswith("Health: not enough evidence")
        key = pd.DataFrame({"customer_id": ["A", "B", "C"],
                            "is_decaying": [True, False, False]})
        ax = plots.health_by_truth(h.fillna({"health": 50.0}), key, 55)
        assert len(ax.collections) == 2  # planted and others
        assert ax.collections[1].get_offsets().shape[0] == 1
        m = migration._matrix(pd.Series({"a": "A"}), pd.Series({"a": "C"}),
                              migration.ABC_ORDER)
        ax = plots.migration(m, what="ABC class", years=(2024, 2025))
        assert ax.get_xlabel() == "ABC class in 2025"
        trend = review.health_trend(company(), s, 2025, ["A"], quarters=2)
        ax = plots.health_trend(trend, ["A"], threshold=55)
        assert len(ax.lines[0].get_xdata()) == 2
    finally:
        plt.close("all")


def test_components_the_export_cannot_give_have_no_evidence(tmp_path):
    """A minimal export (customer, date, quantity, amount: no costs, deliveries,
    interactions, contacts or assessments) is reviewed on the volume trend alone: the
    other components are 'not in the data' (score NaN, out of the coverage), never a
    perfect margin or a complaint-free account read from nothing."""
    from kamlib import profiles
    from kamlib.review.config import COMPONENT_NEEDS, COMPONENTS

    profiles.minimal(data.load("sample"), tmp_path)
    kd = data.load(tmp_path)
    s = settings.for_data(settings.Settings(), kd) if hasattr(settings, "for_data") \
        else settings.Settings()
    h = review.health(kd, s)
    assert len(h) > 0
    for c, cap in COMPONENT_NEEDS.items():
        assert not kd.has(cap)
        assert h[f"{c}_score"].isna().all(), c
        assert h[f"{c}_evidence"].str.startswith("not in the data").all(), c
    rv = review.config.ReviewSettings()
    w = rv.weights.as_dict()
    volume_share = w["volume"] / sum(w[c] for c in COMPONENTS)
    assert np.allclose(h["coverage"], np.where(h["volume_score"].notna(), volume_share, 0))
    # what remains is the volume trend: a health only where it carries enough weight
    known = h["health"].notna()
    assert known.any() == (volume_share >= rv.evidence.min_coverage)
    assert np.allclose(h.loc[known, "health"], h.loc[known, "volume_score"])
