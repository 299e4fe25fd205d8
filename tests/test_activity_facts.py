"""The service side's aggregates (kamlib.activity_facts) and what runs on them at scale:
known answers on a small world, the same tables over the files and over the loaded
data, the review's window sums against a direct pandas computation, the review with
the pipeline's results given, and the vectorised visit scheduler against the loop it
replaced."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from kamlib import activity_facts as af
from kamlib import costing, data, measures, review, selection, service, settings
from kamlib.review.health import trend_dates
from test_costing import _order, make_kd


# ----------------------------------------------------------------- a small world


@pytest.fixture()
def small():
    """A: SO1 (2 lines delivered 2025-03-09), SO2 (open); B: SO3 delivered; SO4 of B
    ordered 2024-12-20 and delivered 2025-01-05 (a 2025 sale); interactions of B and C."""
    orders = [_order("SO1", 1, "A"), _order("SO1", 2, "A"), _order("SO2", 1, "A", False),
              _order("SO3", 1, "B")]
    late = _order("SO4", 1, "B", year=2024)
    late.update(order_date="2024-12-20", promised_delivery_date="2024-12-30",
                actual_delivery_date="2025-01-05")
    orders.append(late)
    it = [
        {"interaction_id": "I1", "customer_id": "B", "date": "2025-02-01", "type": "visit",
         "effort_minutes": 90},
        {"interaction_id": "I2", "customer_id": "B", "date": "2025-05-01", "type": "visit",
         "effort_minutes": 150},
        {"interaction_id": "I3", "customer_id": "B", "date": "2025-06-01",
         "type": "complaint", "effort_minutes": None, "days_to_resolve": 4},
        {"interaction_id": "I4", "customer_id": "C", "date": "2025-07-01", "type": "visit",
         "effort_minutes": 100},
        {"interaction_id": "I5", "customer_id": "C", "date": "2024-07-01", "type": "visit",
         "effort_minutes": 100},
    ]
    return make_kd(orders, it)


def test_known_counts(small):
    a = af.activity_facts(small)
    it = a.interactions.set_index(["customer_id", "year"])
    assert it.loc[("B", 2025), "n_visit"] == 2
    assert it.loc[("B", 2025), "known_visit"] == 2
    assert it.loc[("B", 2025), "minutes_visit"] == pytest.approx(240.0)
    assert it.loc[("B", 2025), "n_complaint"] == 1
    assert it.loc[("B", 2025), "known_complaint"] == 0
    assert it.loc[("C", 2024), "n_visit"] == 1
    o = a.orders.set_index(["customer_id", "year"])
    # A: 3 lines in 2025, one order delivered (SO2 is open); B: SO3 and SO4 in 2025
    assert o.loc[("A", 2025), "line_count"] == 3
    assert o.loc[("A", 2025), "delivered_order_count"] == 1
    assert o.loc[("B", 2025), "line_count"] == 2
    assert o.loc[("B", 2025), "delivered_order_count"] == 2
    assert o.loc[("B", 2025), "volume_kg"] == pytest.approx(200.0)
    assert a.first_orders.loc["B", "first_order_date"] == pd.Timestamp("2024-12-20")
    assert list(a.complaints["customer_id"]) == ["B"]
    assert a.complaints["days_to_resolve"].iloc[0] == 4
    counts = a.interaction_counts(["A", "B", "C"], [2025])
    assert counts.loc["C", "visit"] == 1 and counts.loc["A"].sum() == 0


def test_years_restrict_and_are_checked(small):
    a = af.activity_facts(small, years=[2025])
    assert set(a.interactions["year"]) == {2025}
    assert a.years == (2025,)
    # the first order date still looks at every year
    assert a.first_orders.loc["B", "first_order_date"] == pd.Timestamp("2024-12-20")
    with pytest.raises(ValueError, match="cover 2025, not 2024"):
        costing.cost_to_serve(small, costing.CostingSettings(), years=[2024], activity=a)


def test_cost_to_serve_same_with_given_aggregates(small):
    c = costing.CostingSettings(minutes_source="recorded")
    a = af.activity_facts(small, years=[2025])
    pd.testing.assert_frame_equal(costing.cost_to_serve(small, c, [2025], activity=a),
                                  costing.cost_to_serve(small, c, [2025]))
    cts = costing.cost_to_serve(small, c, [2025])
    # B: 2 visits recorded 90 + 150 min; the complaint has no recorded time: standard
    assert cts.loc["B", "minutes_visit"] == pytest.approx(240.0)
    assert cts.loc["B", "minutes_complaint"] == pytest.approx(
        costing.DEFAULT_UNIT_MINUTES["complaint"])


def test_review_windows_known_sums(small):
    w = af.review_windows(small, [pd.Timestamp("2025-12-31")])
    sums, deliveries = w.at("2025-12-31")
    # SO1 and SO2: the open SO2 counts at its order date, as an order without kg
    assert sums["orders"].loc["A", 0] == 2
    assert sums["volume_kg"].loc["A", 0] == pytest.approx(200.0)
    assert sums["revenue"].loc["B", 0] == pytest.approx(1800.0)
    assert sums["gross_margin"].loc["B", 0] == pytest.approx(600.0)
    assert deliveries.loc["A", "delivered_lines"] == 2
    # SO4 was promised for 2024-12-30, delivered 2025-01-05: late
    assert deliveries.loc["B", "otif_lines"] == 1 and deliveries.loc["B", "delivered_lines"] == 2
    counts = w.interaction_counts("2025-12-31", ["B", "C"])
    assert counts.loc["B", "visit"] == 2 and counts.loc["C", "visit"] == 1
    with pytest.raises(KeyError, match="was not computed"):
        w.at("2025-09-30")


def test_an_order_delivered_in_two_quarters_counts_once_per_window():
    """Order SO5 of D: one line delivered 2025-02-10 (Q1), one 2025-08-10 (Q3), none
    between. Every 12-month window holding either delivery holds the order once; the
    quarter path (a plain count at the order's first quarter in the window) agrees
    with the range join (count of distinct order ids)."""
    a, b = _order("SO5", 1, "D"), _order("SO5", 2, "D")
    a.update(order_date="2025-02-01", promised_delivery_date="2025-02-20",
             actual_delivery_date="2025-02-10")
    b.update(order_date="2025-02-01", promised_delivery_date="2025-02-20",
             actual_delivery_date="2025-08-10")
    kd = make_kd([a, b, _order("SO6", 1, "D")])  # SO6: delivered 2025-03-09 (Q1)
    ends = [pd.Timestamp(d) for d in ("2025-06-30", "2025-12-31", "2026-06-30")]
    expect = {("2025-06-30", 0): 2, ("2025-12-31", 0): 2, ("2026-06-30", 0): 1,
              ("2026-06-30", 1): 2}
    for extra in ([], [pd.Timestamp("2025-11-15")]):  # quarter path, then range join
        w = af.review_windows(kd, ends + extra)
        for (d, k), n in expect.items():
            assert w.at(d)[0]["orders"].loc["D", k] == n, (extra, d, k)
        assert w.at("2025-06-30")[0]["volume_kg"].loc["D", 0] == pytest.approx(200.0)


# ----------------------------------------------------------------- the bundled data


@pytest.fixture(scope="module")
def sample():
    kd = data.load("sample")
    s = settings.for_data(settings.load(None), kd)
    return kd, s


def _sorted(t: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ("customer_id", "year", "date", "as_of", "window") if c in t]
    return t.sort_values(keys, kind="stable").reset_index(drop=True)


def test_files_and_loaded_tables_give_the_same_aggregates(sample):
    kd, s = sample
    y = s.period.analysis_year
    from_files = af.activity_facts("sample", years=[y - 1, y])
    loaded = af.activity_facts(kd, years=[y - 1, y])
    assert from_files.source.startswith("DuckDB over")
    for name in ("interactions", "complaints", "orders"):
        pd.testing.assert_frame_equal(_sorted(getattr(from_files, name)),
                                      _sorted(getattr(loaded, name)), check_dtype=False)
    pd.testing.assert_frame_equal(from_files.first_orders, loaded.first_orders,
                                  check_dtype=False)
    ends = trend_dates(y, 5)
    wf, wl = af.review_windows("sample", ends), af.review_windows(kd, ends)
    for name in ("sums", "deliveries", "interactions"):
        pd.testing.assert_frame_equal(_sorted(getattr(wf, name)), _sorted(getattr(wl, name)),
                                      check_dtype=False)


def test_review_windows_against_pandas(sample):
    """Window sums by a direct pandas computation on the loaded order lines."""
    kd, s = sample
    as_of = pd.Timestamp(f"{s.period.analysis_year}-09-30")
    sums, deliveries = af.review_windows(kd, [as_of]).at(as_of)
    o = kd.orders
    at = o["sales_date"].fillna(o["order_date"])
    for k in (0, 1, 2):
        lo, hi = as_of - pd.DateOffset(years=k + 1), as_of - pd.DateOffset(years=k)
        m = o.loc[(at > lo) & (at <= hi)]
        g = m.groupby(m["customer_id"].astype(str))
        exp_orders = g["order_id"].nunique()
        got = sums["orders"][k].astype(int)
        got = got[got > 0]
        got.index = got.index.astype(str)
        pd.testing.assert_series_equal(got.sort_index(), exp_orders.sort_index(),
                                       check_names=False, check_dtype=False)
        np.testing.assert_allclose(
            sums["revenue"][k].reindex(exp_orders.index.astype("string")).to_numpy(float),
            g["revenue"].sum().to_numpy(float), rtol=1e-12)
    d = o.loc[o["is_delivered"] & (o["actual_delivery_date"] > as_of - pd.DateOffset(years=1))
              & (o["actual_delivery_date"] <= as_of)]
    exp = d.groupby(d["customer_id"].astype(str))["on_time_in_full"].agg(["size", "sum"])
    got = deliveries.copy()
    got.index = got.index.astype(str)
    got = got.loc[exp.index]
    assert (got["delivered_lines"].to_numpy() == exp["size"].to_numpy()).all()
    assert (got["otif_lines"].to_numpy() == exp["sum"].to_numpy()).all()


def test_review_with_the_pipeline_results_is_the_same(sample):
    """account_review given this year's selection, the facts and the activity
    aggregates (as kamlib.analysis calls it) = account_review computing them itself."""
    kd, s = sample
    y = s.period.analysis_year
    plain = review.account_review(kd, s)
    cy = measures.customer_year(kd.orders)
    act = af.activity_facts(kd, years=[y - 1, y])
    now = selection.key_accounts(kd, s, customer_year=cy)
    given = review.account_review(kd, s, year=y, now=now, customer_year=cy, activity=act)
    pd.testing.assert_frame_equal(given, plain)


# ----------------------------------------------------------------- the visit scheduler


def _schedule_loop(release, deadline, customer, region, frequency, ideal, n_weeks, capacity):
    """The scheduler as it was written before it was vectorised (a Python loop over the
    candidate visits of each week): the oracle for the vectorised one."""
    n = len(release)
    placed = np.full(n, -1)
    note = np.full(n, "", dtype=object)
    last_visit = {}
    min_gap = np.maximum(1, np.floor(n_weeks / np.maximum(frequency, 1) / 2)).astype(int)
    early = ideal - np.maximum(1.0, (deadline - release + 1) / 4.0)
    for w in range(n_weeks):
        open_ = placed < 0
        avail = open_ & (release <= w) & (deadline >= w)
        if not avail.any():
            continue
        dl = np.sort(deadline[open_ & (deadline >= w)])
        uniq, cnt = np.unique(dl, return_counts=True)
        cum = np.cumsum(cnt)
        pace = int(np.ceil(np.max(cum / (uniq - w + 1)))) if len(uniq) else 0
        target = min(capacity, pace)
        chosen, used, route = [], set(), set()
        cand = np.flatnonzero(avail)
        lv = np.array([last_visit.get(c, -10 ** 6) for c in customer[cand]])
        order = cand[np.lexsort((customer[cand], lv, deadline[cand], ideal[cand],
                                 deadline[cand] != w))]

        def take(i):
            chosen.append(i)
            used.add(customer[i])
            route.add(region[i])

        for i in order:
            if len(chosen) >= capacity:
                break
            if deadline[i] == w and customer[i] not in used:
                take(i)
        while len(chosen) < target:
            rest = [i for i in order if i not in chosen and customer[i] not in used]
            if not rest:
                break
            same = [i for i in rest if region[i] in route]
            take(same[0] if same else rest[0])
        if route:
            for i in order:
                if len(chosen) >= capacity:
                    break
                if i in chosen or customer[i] in used or region[i] not in route:
                    continue
                if w >= early[i] and w - last_visit.get(customer[i], -10 ** 6) >= min_gap[i]:
                    take(i)
        for i in chosen:
            placed[i] = w
            last_visit[customer[i]] = w
        lost = (placed < 0) & (deadline == w)
        note[lost] = "capacity" if len(chosen) >= capacity else "same account"
    return placed, note


@pytest.mark.parametrize("seed,capacity", [(1, 3), (2, 8), (3, 1), (4, 5)])
def test_vectorised_scheduler_equals_the_loop(seed, capacity):
    rng = np.random.default_rng(seed)
    n_weeks, n_cust = 46, 60
    rows = []
    for c in range(n_cust):
        f = int(rng.choice([1, 2, 4, 6, 12]))
        span = n_weeks / f
        for k in range(f):
            r = int(k * span)
            d = max(r, int((k + 1) * span) - 1)
            rows.append((f"C{c:03d}", f"R{rng.integers(4)}", f, r, d))
    t = pd.DataFrame(rows, columns=["customer", "region", "frequency", "release", "deadline"])
    t["region"] = t.groupby("customer")["region"].transform("first")
    ideal = (t["release"] + (t["deadline"] - t["release"]) * rng.random(len(t))).to_numpy()
    args = (t["release"].to_numpy(), t["deadline"].to_numpy(),
            t["customer"].to_numpy(dtype=object), t["region"].to_numpy(dtype=object),
            t["frequency"].to_numpy(), ideal, n_weeks, capacity)
    placed, note = service._schedule(*args)
    placed_ref, note_ref = _schedule_loop(*args)
    assert (placed == placed_ref).all()
    assert (note == note_ref).all()
    if capacity == 1:
        assert (placed < 0).any()  # the check is not vacuous: some visits do not fit


def test_visit_plan_unplanned_reasons_name_weeks(sample):
    kd, s = sample
    s1 = dataclasses.replace(s, service=dataclasses.replace(
        s.service, visits=dataclasses.replace(s.service.visits, capacity_per_week=1)))
    acc = service.key_account_table(kd, s)
    plan = service.visit_plan(acc, s1, customers=kd.customers)
    assert len(plan.unplanned)
    r = plan.unplanned["reason"]
    assert r.str.startswith("capacity: ").any()
    assert r.str.contains(r"weeks \d+-\d+", regex=True).all()


def test_quarter_windows_equal_the_range_join(sample):
    """At quarter ends the windows are summed by quarter (no range join); with another
    date among the ends every window is a range join on the dates: same sums."""
    kd, s = sample
    y = s.period.analysis_year
    ends = trend_dates(y, 5)
    quarters = af.review_windows(kd, ends)
    ranges = af.review_windows(kd, ends + [pd.Timestamp(f"{y}-11-15")])
    for name in ("sums", "deliveries", "interactions"):
        r = getattr(ranges, name)
        r = r.loc[r["as_of"].isin(ends)]
        pd.testing.assert_frame_equal(_sorted(getattr(quarters, name)), _sorted(r),
                                      check_dtype=False)


def test_visit_calendar_shows_the_top_accounts(sample):
    import matplotlib

    matplotlib.use("Agg")
    from kamlib.plots import service as service_plots

    kd, s = sample
    plan = service.visit_plan(service.key_account_table(kd, s), s, customers=kd.customers)
    who = plan.visits["account_manager"].value_counts().index[0]
    n = plan.for_manager(who)["customer_id"].nunique()
    assert n > 3
    ax = service_plots.visit_calendar(plan, who, top=3)
    assert len(ax.get_yticklabels()) == 3
    assert f"{n - 3:,} more" in ax.get_title(loc="left")
    ax_all = service_plots.visit_calendar(plan, who, top=None)
    assert len(ax_all.get_yticklabels()) == n


def test_loaded_interactions_are_prepared_once_per_table(sample, monkeypatch):
    """The typed copy of loaded interactions the SQL reads is made once per table
    object (three calls for other years: one copy, the same counts as made afresh);
    another table object gets its own."""
    kd, _ = sample
    made = []
    real = af._interactions_frame
    monkeypatch.setattr(af, "_interactions_frame",
                        lambda it: made.append(len(it)) or real(it))
    af._FRAMES.clear()
    af._MEMO.clear()
    y = max(kd.years)
    a = af.activity_facts(kd, years=[y])
    af.activity_facts(kd, years=[y - 1])
    af.activity_facts(kd, years=[y - 2, y - 1])
    assert made == [len(kd.interactions)]
    af._FRAMES.clear()
    af._MEMO.clear()
    pd.testing.assert_frame_equal(af.activity_facts(kd, years=[y]).interactions,
                                  a.interactions)
    other = dataclasses.replace(kd, interactions=kd.interactions.copy())
    af.activity_facts(other, years=[y])
    assert made == [len(kd.interactions)] * 3


@pytest.mark.parametrize("profile", [None, "three_years_2019", "minimal"])
def test_some_years_are_the_rows_of_a_wider_pass(tmp_path, profile):
    """For loaded tables a request for some years is served from one pass over the
    data's last SPAN_YEARS years: the same rows, in the same order, as a pass of their
    own, for a year inside the span, outside it, a mix and a year with no data; the
    later years inside the span are served without another pass."""
    from kamlib import profiles

    bundled = data.load("sample")
    kd = bundled if profile is None else data.load(
        profiles.write_profile(profile, tmp_path / profile, bundled))
    last = int(kd.orders["year"].max())
    calls = []
    real = af._activity_facts
    af._MEMO.clear()
    try:
        af._activity_facts = lambda src, years=None: calls.append(years) or real(src, years)
        for ys in ([last], [last - 1], list(range(last - 3, last + 1)), [last - 6, last],
                   [last + 5]):
            got, own = af.activity_facts(kd, ys), real(kd, ys)
            for n in ("interactions", "complaints", "orders", "first_orders"):
                pd.testing.assert_frame_equal(getattr(got, n), getattr(own, n))
            assert got.years == own.years == tuple(sorted(ys))
        span = tuple(range(last - af.SPAN_YEARS + 1, last + 1))
        assert calls[:2] == [span, tuple(sorted({*span, last - 6}))]
        assert len(calls) == 3  # the span, the span with last - 6, the span with last + 5
    finally:
        af._activity_facts = real
        af._MEMO.clear()


def test_relationship_levels_count_contacts_from_the_activity_aggregates(sample):
    """The contacts the relationship levels count per key account come from the shared
    activity aggregates: the same table as counting the interactions themselves, for
    the analysis year, earlier years and a year without data."""
    kd, s = sample
    y = s.period.analysis_year
    ka = selection.key_accounts(kd, s)
    acc = ka.loc[ka["is_key"]]
    for yy in (y, y - 1, y - 3, y + 2):
        own = service._interaction_counts(kd.interactions, [yy], acc.index)
        pd.testing.assert_frame_equal(service._activity_counts(kd, yy, acc.index), own)
        it = kd.interactions
        n = int((it["date"].dt.year.eq(yy) & it["customer_id"].isin(acc.index)).sum())
        assert own.to_numpy().sum() == n


def test_review_windows_of_a_date_and_its_trend_are_one_pass(sample):
    """For loaded tables the windows of a review date are computed with those of the
    quarter ends before it: the date alone, then the trend, is one pass; each gives the
    same rows as a pass of its own (a date that is not a quarter end too)."""
    kd, _ = sample
    calls = []
    real = af._review_windows
    af._MEMO.clear()
    try:
        af._review_windows = lambda src, ends: calls.append(ends) or real(src, ends)
        y = int(kd.orders["year"].max())
        asks = [[f"{y}-12-31"], [f"{y}-03-31", f"{y}-06-30", f"{y}-09-30", f"{y}-12-31"],
                [f"{y}-06-30", f"{y}-12-31"], [f"{y}-11-15"]]
        for ends in asks:
            e = tuple(sorted(pd.Timestamp(x) for x in ends))
            got, own = af.review_windows(kd, e), real(kd, e)
            assert got.ends == own.ends == e
            for n in ("sums", "deliveries", "interactions"):
                a, b = getattr(got, n), getattr(own, n)
                k = [c for c in ("customer_id", "as_of", "window") if c in a.columns]
                pd.testing.assert_frame_equal(a.sort_values(k).reset_index(drop=True),
                                              b.sort_values(k).reset_index(drop=True),
                                              check_exact=False, rtol=1e-12)
                assert set(a["as_of"]) <= set(e)
        assert len(calls) == 2  # the year end with its quarters, then 15 November
    finally:
        af._review_windows = real
        af._MEMO.clear()
