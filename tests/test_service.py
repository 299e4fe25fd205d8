"""kamlib.service and kamlib.calendar_export: known answers on hand-made tables.

The planning logic is pinned here: the weekly capacity is never exceeded, every key
account gets its visit frequency or is listed as unplanned with a reason, visits fall
one per period, a week's visits share a route, the iCalendar files are valid RFC 5545;
complaint metrics, supply priority, relationship levels and objectives are computed by
hand on small logs. The last tests check the bundled data for what it was planted with.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from kamlib import calendar_export, costing, data, schema, service, settings
from kamlib.data import KamData

# --------------------------------------------------------------------------- helpers


def make_kd(customers, orders=None, interactions=None, assessments=None) -> KamData:
    """A KamData from small hand-made tables (typed like data.load does)."""

    def table(name, rows):
        t = schema.TABLES[name]
        if rows is None:
            return data.empty_table(t)
        df = pd.DataFrame(rows)
        for c in t.columns:
            if c.kind == "date" and c.name in df.columns:
                df[c.name] = pd.to_datetime(df[c.name])
        return data.coerce_table(df, t)

    o = table("orders", orders)
    return KamData(
        customers=table("customers", customers),
        products=data.empty_table(schema.PRODUCTS),
        orders=data.add_order_measures(o),
        interactions=table("interactions", interactions),
        contacts=data.empty_table(schema.CONTACTS),
        assessments=table("assessments", assessments),
        rebates=data.empty_table(schema.REBATES),
    )


def order(oid, cid, date, kg, price=10.0, cost=7.0, pid="P1", delivered=None, line=1):
    d = pd.Timestamp(date)
    return {
        "order_id": oid, "order_line": line, "customer_id": cid, "product_id": pid,
        "order_date": d, "quantity_kg": kg, "list_price_per_kg": price,
        "net_price_per_kg": price, "unit_cost_per_kg": cost,
        "promised_delivery_date": d + pd.Timedelta(days=10),
        "actual_delivery_date": d + pd.Timedelta(days=10),
        "delivered_kg": kg if delivered is None else delivered, "deal_type": "none",
    }


_IID = iter(range(1, 10 ** 6))


def interaction(cid, date, kind, days=None, pid=None, reason=None):
    return {
        "interaction_id": f"I{next(_IID):06d}", "customer_id": cid,
        "date": pd.Timestamp(date), "type": kind, "effort_minutes": 60.0,
        "days_to_resolve": days, "product_id": pid,
        "complaint_reason": reason if kind == "complaint" else None,
    }


def customer(cid, am="Anna", region="North", country="Norway", first="2015-01-01"):
    return {"customer_id": cid, "customer_name": f"Customer {cid}", "industry": "feed premix",
            "region": region, "country": country, "account_manager": am,
            "first_order_date": pd.Timestamp(first)}


def accounts(rows) -> pd.DataFrame:
    """rows: (customer_id, abc_class, segment, account_manager, region[, score])."""
    out = []
    for r in rows:
        cid, cls, seg, am, region = r[:5]
        out.append({"customer_id": cid, "abc_class": cls, "segment": seg,
                    "account_manager": am, "region": region, "country": region,
                    "score": r[5] if len(r) > 5 else 0.0})
    return pd.DataFrame(out).set_index("customer_id")


def with_visits(s: settings.Settings, **changes) -> settings.Settings:
    v = dataclasses.replace(s.service.visits, **changes)
    return dataclasses.replace(s, service=dataclasses.replace(s.service, visits=v))


def working_weeks_by_month(year, blocked):
    """Independent of kamlib: ISO weeks of ``year`` by the month of their Thursday."""
    out = {m: [] for m in range(1, 13)}
    d = dt.date(year, 1, 1)
    while d.isocalendar()[0] != year or d.isocalendar()[2] != 4:
        d += dt.timedelta(days=1)
    while d.isocalendar()[0] == year:
        w = d.isocalendar()[1]
        if w not in blocked:
            out[d.month].append(w)
        d += dt.timedelta(days=7)
    return out


# analysis year 2025, plan year 2026 (set: the hand-made data ends before December)
S = settings.replace(settings.Settings(), "period.analysis_year", 2025)


# --------------------------------------------------------------------------- settings


def test_service_settings_round_trip_through_the_file(tmp_path):
    s = settings.replace(S, "service.visits.capacity_per_week", 6)
    s = settings.replace(s, "service.objectives.overrides", {"C0042.target_volume_kg": 5e4})
    assert settings.from_dict(settings.to_dict(s)) == s
    path = settings.save(s, tmp_path / "kam.toml")
    assert settings.load(path) == s


@pytest.mark.parametrize(
    "dotted, value, words",
    [
        ("service.visits.per_year_by_class", {"A": 5}, "5 visits a year"),
        ("service.visits.per_year_by_class_segment", {"A-price": 4}, "class:segment"),
        ("service.visits.capacity_per_week", 0, "at least 1"),
        ("service.visits.blocked_weeks", [54], "ISO weeks"),
        ("service.objectives.overrides", {"C1.volume": 3.0}, "target_volume_kg"),
        ("service.relationship.margin_basis", "profit", "'gross' or 'net'"),
        ("service.supply.peak_months", [13], "months 1-12"),
    ],
)
def test_service_settings_refuse_impossible_values(dotted, value, words):
    with pytest.raises(settings.SettingsError, match=re.escape(words)):
        settings.replace(S, dotted, value)


def test_a_service_item_needs_a_known_kind():
    with pytest.raises(ValueError, match="kind"):
        service.ServiceItem("Free lunch", "gift")


# --------------------------------------------------------------------------- frequencies


def test_visit_frequencies_by_class_segment_and_executive_visits():
    acc = accounts([
        ("C1", "A", "price", "Anna", "N", 9.0),
        ("C2", "B", "technology", "Anna", "N", 8.0),
        ("C3", "B", "price", "Anna", "N", 7.0),
        ("C4", "C", "service", "Anna", "N", 1.0),
        ("C5", "C", "unclear", "Anna", "N", 2.0),
    ])
    s = with_visits(S, executive_top_n=2, executive_per_year=2)
    f = service.visit_frequencies(acc, s)
    assert f["visits_per_year"].to_dict() == {"C1": 12, "C2": 6, "C3": 4, "C4": 2, "C5": 1}
    assert f["visit_cycle"].to_dict() == {"C1": "monthly", "C2": "every two months",
                                          "C3": "quarterly", "C4": "half-yearly",
                                          "C5": "annual"}
    assert f["executive_visits_per_year"].to_dict() == {"C1": 2, "C2": 2, "C3": 0,
                                                        "C4": 0, "C5": 0}


# --------------------------------------------------------------------------- visit plan


def _big_instance(n=60, seed=3):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        rows.append((f"C{i:03d}", rng.choice(["A", "B", "C"], p=[0.4, 0.4, 0.2]),
                     rng.choice(["price", "service", "technology", "unclear"]),
                     rng.choice(["Anna", "Ben"]), rng.choice(["North", "South", "East"]),
                     float(rng.random())))
    return accounts(rows)


@pytest.mark.parametrize("capacity", [1, 3, 8])
def test_capacity_is_never_exceeded_and_every_account_is_planned_or_listed(capacity):
    acc = _big_instance()
    s = with_visits(S, capacity_per_week=capacity, capacity_by_manager={"Ben": 2},
                    executive_top_n=5)
    plan = service.visit_plan(acc, s, 2026)
    v = plan.visits
    cap = {"Anna": capacity, "Ben": 2}
    load = v.groupby(["account_manager", "week"]).size()
    for (am, _week), n in load.items():
        assert n <= cap[am]
    # at most one visit per account and week; never in a blocked week
    assert not v.duplicated(["customer_id", "week"]).any()
    assert not v["week"].isin(s.service.visits.blocked_weeks).any()
    # frequency met, or the shortfall is listed with a reason
    f = plan.frequencies
    got = v.groupby(["customer_id", "visit_type"]).size()
    listed = plan.unplanned.set_index(["customer_id", "visit_type"])
    for cid, row in f.iterrows():
        for vtype, need in (("visit", row["visits_per_year"]),
                            ("executive visit", row["executive_visits_per_year"])):
            n = int(got.get((cid, vtype), 0))
            if n < need:
                assert (cid, vtype) in listed.index, (cid, vtype, n, need)
                r = listed.loc[(cid, vtype)]
                assert r["visits_required"] == need and r["visits_planned"] == n
                assert "capacity" in r["reason"]
            else:
                assert n == need
                assert (cid, vtype) not in listed.index
    if capacity == 8:
        assert plan.unplanned.query("account_manager == 'Anna'").empty


def test_monthly_accounts_over_capacity_get_exactly_the_weeks_of_each_month():
    # one manager, capacity 1 a week, six monthly accounts: each month can hold only as
    # many visits as it has working weeks; the rest are unplanned, month by month
    acc = accounts([(f"C{i}", "A", "unclear", "Anna", "N") for i in range(6)])
    s = with_visits(S, capacity_per_week=1, executive_top_n=0)
    plan = service.visit_plan(acc, s, 2026)
    weeks = working_weeks_by_month(2026, s.service.visits.blocked_weeks)
    per_month = plan.visits.groupby("month").size().reindex(range(1, 13), fill_value=0)
    assert per_month.to_dict() == {m: min(6, len(weeks[m])) for m in range(1, 13)}
    missing = sum(max(0, 6 - len(weeks[m])) for m in range(1, 13))
    unpl = plan.unplanned
    assert (unpl["visits_required"] - unpl["visits_planned"]).sum() == missing
    assert unpl["reason"].str.contains("capacity: Anna can make 1 visits a week").all()
    assert not plan.is_complete


def test_visits_fall_one_per_month_and_one_per_quarter():
    acc = accounts([("M1", "A", "price", "Anna", "N"), ("M2", "A", "service", "Anna", "S"),
                    ("Q1", "B", "price", "Anna", "N"), ("Y1", "C", "unclear", "Anna", "S")])
    s = with_visits(S, executive_top_n=0)
    plan = service.visit_plan(acc, s, 2026)
    v = plan.visits
    assert plan.is_complete
    for cid in ("M1", "M2"):
        x = v.loc[v["customer_id"] == cid]
        assert sorted(x["month"]) == list(range(1, 13))
        assert (x["date"].dt.month == x["month"]).all()  # dated inside its month
    q = v.loc[v["customer_id"] == "Q1", "date"]
    assert sorted(q.dt.quarter) == [1, 2, 3, 4]
    assert len(v.loc[v["customer_id"] == "Y1"]) == 1
    assert (v["date"].dt.year == 2026).all()
    assert (v["date"].dt.day_of_week < 5).all()  # Monday-Friday


def test_a_weeks_visits_share_one_route():
    # ids alternate North/South: grouping must come from the route, not the id order
    acc = accounts([("C1", "A", "unclear", "Anna", "North"),
                    ("C2", "A", "unclear", "Anna", "South"),
                    ("C3", "A", "unclear", "Anna", "North"),
                    ("C4", "A", "unclear", "Anna", "South")])
    s = with_visits(S, capacity_per_week=2, executive_top_n=0, route_by="region")
    plan = service.visit_plan(acc, s, 2026)
    assert plan.is_complete
    routes = plan.visits.groupby("week")["region"].nunique()
    assert (routes == 1).all(), routes[routes > 1]
    # and the two North accounts travel together at least once a month
    v = plan.visits
    north_weeks = v.loc[v["region"] == "North"].groupby("week").size()
    assert (north_weeks == 2).sum() >= 10


def test_routes_by_country_by_default():
    acc = accounts([("C1", "A", "unclear", "Anna", "Europe"),
                    ("C2", "A", "unclear", "Anna", "Europe"),
                    ("C3", "A", "unclear", "Anna", "Europe"),
                    ("C4", "A", "unclear", "Anna", "Europe")])
    acc["country"] = ["Norway", "Spain", "Norway", "Spain"]
    plan = service.visit_plan(acc, with_visits(S, capacity_per_week=2, executive_top_n=0),
                              2026)
    assert (plan.visits.groupby("week")["country"].nunique() == 1).all()


def test_executive_visits_for_the_top_accounts_only():
    acc = accounts([("C1", "A", "unclear", "Anna", "N", 3.0),
                    ("C2", "A", "unclear", "Anna", "N", 9.0),
                    ("C3", "B", "unclear", "Anna", "N", 5.0)])
    plan = service.visit_plan(acc, with_visits(S, executive_top_n=2), 2026)
    ex = plan.visits.loc[plan.visits["visit_type"] == "executive visit"]
    assert sorted(ex["customer_id"]) == ["C2", "C3"]
    assert ex["purpose"].str.startswith("Executive visit").all()


def test_accounts_without_manager_and_start_date():
    acc = accounts([("C1", "A", "unclear", "Anna", "N"), ("C2", "A", "unclear", None, "N")])
    plan = service.visit_plan(acc, with_visits(S, executive_top_n=0), 2026,
                              start_date="2026-07-01")
    v = plan.visits
    # from July: six monthly visits, none before the start
    assert sorted(v.loc[v["customer_id"] == "C1", "month"]) == [7, 8, 9, 10, 11, 12]
    assert (v["date"] >= pd.Timestamp("2026-07-01")).all()
    # C2 names no account manager: its six visits are planned all the same, under
    # "unassigned" (one person's capacity), and the plan says so
    assert plan.unassigned == ("C2",)
    c2 = v.loc[v["customer_id"] == "C2"]
    assert len(c2) == 6 and (c2["account_manager"] == service.UNASSIGNED).all()
    assert sorted(c2["month"]) == [7, 8, 9, 10, 11, 12]
    assert plan.unplanned.empty
    note = service.unassigned_note(plan)
    assert "1 key account(s)" in note and "account_manager" in note
    assert service.unassigned_note(service.visit_plan(
        acc.iloc[:1], with_visits(S, executive_top_n=0), 2026)) == ""


def test_purposes_follow_the_season():
    acc = accounts([("C1", "A", "technology", "Anna", "N")])
    v = service.visit_plan(acc, with_visits(S, executive_top_n=0), 2026).visits
    by_month = v.set_index("month")["purpose"]
    assert by_month[1].startswith("Agree this year's key account plan")
    assert by_month[6].startswith("Agree peak-season needs")      # before stock building
    assert by_month[7].startswith("Stock build-up")                  # lead months Jul-Aug
    assert by_month[10].startswith("Peak season")
    assert by_month[12].startswith("Annual review")
    assert by_month[3].startswith("Technical follow-up")            # segment strategy


# --------------------------------------------------------------------------- iCalendar


def _unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def test_ics_is_valid_rfc5545():
    acc = accounts([("C1", "A", "unclear", "Anna", "N"), ("C2", "B", "unclear", "Anna", "N"),
                    ("C3", "B", "unclear", "Ben", "N")])
    name = 'Smørrebrød, Bäckerei; "Nord" \\ Zweig\nGmbH with a long name ' + "ü" * 30
    acc["customer_name"] = [name, "Plain AS", "Other"]
    plan = service.visit_plan(acc, with_visits(S, executive_top_n=1), 2026)
    text = calendar_export.to_ics(plan, "Anna")
    raw = text.encode("utf-8")
    # CRLF line endings only, and a final CRLF
    assert raw.endswith(b"\r\n")
    assert raw.count(b"\n") == raw.count(b"\r\n") and raw.count(b"\r") == raw.count(b"\r\n")
    # folded at 75 octets, never inside a UTF-8 character
    for line in raw.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")
    lines = _unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(ln.startswith("PRODID:") for ln in lines)
    n_visits = int((plan.visits["account_manager"] == "Anna").sum())
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == n_visits
    events, current = [], None
    for ln in lines:
        if ln == "BEGIN:VEVENT":
            current = {}
        elif ln == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None:
            key, _, value = ln.partition(":")
            current[key] = value
    uids = [e["UID"] for e in events]
    assert len(set(uids)) == len(uids)
    for e in events:
        assert {"UID", "DTSTAMP", "DTSTART;VALUE=DATE", "DTEND;VALUE=DATE",
                "SUMMARY"} <= set(e)
        assert re.fullmatch(r"\d{8}T\d{6}Z", e["DTSTAMP"])
        assert re.fullmatch(r"\d{8}", e["DTSTART;VALUE=DATE"])
        # no unescaped , or ; in text values
        assert not re.search(r"(?<!\\)[,;]", e["SUMMARY"].replace("\\\\", ""))
    v = plan.for_manager("Anna").sort_values(["date", "customer_id", "visit_type"])
    assert [e["DTSTART;VALUE=DATE"] for e in events] == list(v["date"].dt.strftime("%Y%m%d"))
    summaries = [_unescape(e["SUMMARY"]) for e in events]
    assert f"Visit: {name} (C1)" in summaries
    # deterministic
    assert calendar_export.to_ics(plan, "Anna") == text


def test_ics_escaping_and_folding_by_hand():
    assert calendar_export.escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "SUMMARY:" + "x" * 70
    folded = calendar_export.fold_line(line)
    assert folded == "SUMMARY:" + "x" * 67 + "\r\n " + "x" * 3
    # an escape is never split between two lines
    line = "SUMMARY:" + "x" * 66 + "\\,yz"
    assert calendar_export.fold_line(line) == "SUMMARY:" + "x" * 66 + "\r\n \\,yz"


def test_write_ics_one_file_per_manager(tmp_path):
    acc = accounts([("C1", "A", "unclear", "Anna Berg", "N"),
                    ("C2", "B", "unclear", "Ben Ødegård", "N")])
    plan = service.visit_plan(acc, with_visits(S, executive_top_n=0), 2026)
    paths = calendar_export.write_ics(plan, tmp_path / "cal")
    assert [p.name for p in paths] == ["visits_2026_anna-berg.ics", "visits_2026_ben-odegard.ics"]
    assert paths[0].read_bytes().decode("utf-8").count("BEGIN:VEVENT") == 12
    with pytest.raises(ValueError, match="Managers in the plan: Anna Berg"):
        calendar_export.to_ics(plan, "Nobody")


# --------------------------------------------------------------------------- complaints


@pytest.fixture(scope="module")
def complaint_kd():
    customers = [customer("A", am="Xavier"), customer("B", am="Yvonne")]
    orders = [
        order("O1", "A", "2025-02-01", 500, pid="P1"),
        order("O1", "A", "2025-02-01", 500, pid="P2", line=2),
        order("O2", "A", "2025-05-01", 500, pid="P1"),
        order("O3", "A", "2025-08-01", 250, pid="P2"),
        order("O4", "A", "2025-11-01", 250, pid="P2"),
        order("O5", "B", "2025-03-01", 300, pid="P1"),
        order("O6", "B", "2025-09-01", 200, pid="P1", delivered=150),
        order("O0", "A", "2024-03-01", 9000, pid="P1"),
    ]
    interactions = [
        interaction("A", "2025-02-10", "complaint", 3, "P1", "quality"),
        interaction("A", "2025-08-10", "complaint", 8, "P2", "late delivery"),
        interaction("B", "2025-09-20", "complaint", None, "P1", "short delivery"),
        interaction("A", "2024-04-01", "complaint", 1, "P1", "quality"),  # other year
        interaction("A", "2025-03-01", "visit"),
    ]
    return make_kd(customers, orders, interactions)


def test_complaint_metrics_by_customer(complaint_kd):
    m = service.complaint_metrics(complaint_kd, "customer_id", years=2025)
    a, b = m.loc["A"], m.loc["B"]
    assert a["complaints"] == 2 and a["open_complaints"] == 0 and a["orders"] == 4
    assert a["volume_t"] == pytest.approx(2.0)
    assert a["complaints_per_100_orders"] == pytest.approx(50.0)
    assert a["complaints_per_tonne"] == pytest.approx(1.0)
    assert a["mean_days_to_resolve"] == pytest.approx(5.5)
    assert a["resolved_within_target"] == pytest.approx(0.5)  # 3 days yes, 8 days no
    assert a["account_manager"] == "Xavier"
    assert b["complaints"] == 1 and b["open_complaints"] == 1
    assert b["complaints_per_tonne"] == pytest.approx(1 / 0.45)
    assert np.isnan(b["resolved_within_target"])  # nothing closed yet
    assert b["on_time_in_full_rate"] == pytest.approx(0.5)  # O6 short
    assert list(m.index) == ["A", "B"]  # most complaints first


def test_complaint_metrics_by_product_and_manager(complaint_kd):
    p = service.complaint_metrics(complaint_kd, "product_id", years=[2025])
    # P1: complaints from A (Feb) and B (Sep); orders with a P1 line: O1, O2, O5, O6
    assert p.loc["P1", "complaints"] == 2 and p.loc["P1", "orders"] == 4
    assert p.loc["P1", "complaints_per_100_orders"] == pytest.approx(50.0)
    assert p.loc["P2", "complaints"] == 1 and p.loc["P2", "orders"] == 3
    assert p.loc["P2", "main_reason"] == "late delivery"
    am = service.complaint_metrics(complaint_kd, "account_manager", years=2025)
    assert am.loc["Xavier", "complaints"] == 2 and am.loc["Yvonne", "open_complaints"] == 1
    every = service.complaint_metrics(complaint_kd, "customer_id")  # all years
    assert every.loc["A", "complaints"] == 3 and every.loc["A", "orders"] == 5
    with pytest.raises(ValueError, match="by must be one of"):
        service.complaint_metrics(complaint_kd, "region")


def test_complaint_trend_flags_rising_complaints():
    customers = [customer("A"), customer("B")]
    orders = [order(f"O{c}{y}{i}", c, f"{y}-0{i + 1}-01", 100)
              for c in "AB" for y in (2023, 2024, 2025) for i in range(5)]
    inter = ([interaction("A", "2025-03-01", "complaint", 2) for _ in range(3)]
             + [interaction("B", "2023-03-01", "complaint", 2)]
             + [interaction("B", "2025-03-01", "complaint", 2)])
    t = service.complaint_trend(make_kd(customers, orders, inter), S)
    # A: 0 -> 60 per 100 orders; B: 20 -> 20
    assert t.loc["A", 2025] == pytest.approx(60.0) and t.loc["A", "change"] == pytest.approx(60)
    assert t.loc["B", "change"] == pytest.approx(0.0)
    assert t["rising"].to_dict() == {"A": True, "B": False}


# --------------------------------------------------------------------------- supply


def _seasonal_orders(cid, years, scale):
    rows = []
    for y, k in zip(years, scale, strict=True):
        for mth in range(1, 13):
            kg = (300 if mth in (9, 10, 11) else 100) * k
            rows.append(order(f"{cid}{y}{mth:02d}", cid, f"{y}-{mth:02d}-15", kg))
    return rows


def test_supply_priority_seasonal_average_times_trend():
    customers = [customer("G"), customer("N", first="2025-01-01")]
    orders = (_seasonal_orders("G", [2023, 2024, 2025], [1.0, 1.0, 1.5])
              + _seasonal_orders("N", [2025], [1.0]))
    kd = make_kd(customers, orders)
    acc = accounts([("G", "A", "price", "Anna", "N"), ("N", "B", "price", "Anna", "N")])
    sp = service.supply_priority(kd, S, acc)
    # G: profile = p x 7/6, trend = 1.5 / (7/6) = 9/7, expected = 1.5 p
    assert sp.loc["G", "trend"] == pytest.approx(9 / 7)
    assert sp.loc["G", "Jul"] == pytest.approx(150.0)
    assert sp.loc["G", "Sep"] == pytest.approx(450.0)
    assert sp.loc["G", "peak_kg"] == pytest.approx(3 * 450.0)
    assert sp.loc["G", "reserve_kg"] == pytest.approx(3 * 450.0 * 1.10)
    # N started in 2025: only that year counts, trend 1
    assert sp.loc["N", "trend"] == pytest.approx(1.0)
    assert sp.loc["N", "Oct"] == pytest.approx(300.0)
    assert list(sp.columns[1:6]) == ["Jul", "Aug", "Sep", "Oct", "Nov"]
    assert (sp["agree_by"] == pd.Timestamp("2026-07-01")).all()
    assert sp["share_of_peak"].sum() == pytest.approx(1.0)
    # the trend is bounded
    s = settings.replace(S, "service.supply.trend_max", 1.2)
    sp2 = service.supply_priority(kd, s, acc)
    assert sp2.loc["G", "Sep"] == pytest.approx(300 * 7 / 6 * 1.2)


def test_supply_window_wraps_around_the_year():
    s = settings.replace(S, "service.supply.peak_months", [12, 1, 11])
    assert service.supply_window(s) == ([9, 10], [11, 12, 1])
    assert service.supply_window(S) == ([7, 8], [9, 10, 11])


# --------------------------------------------------------------------------- relationship


@pytest.fixture(scope="module")
def relationship_kd():
    # 20 customers; revenue rank = id number (C01 largest); margins via unit cost
    customers = [customer(f"C{i:02d}") for i in range(1, 21)]
    customers[4]["first_order_date"] = pd.Timestamp("2024-06-01")  # C05 is new
    margin = {1: 0.30, 2: 0.30, 3: 0.20, 10: 0.10}
    orders = []
    for i in range(1, 21):
        kg = 1000 * (21 - i)
        cost = 10 * (1 - margin.get(i, 0.20))
        for y in (2023, 2024, 2025):
            k = {2023: 1.5, 2024: 1.2, 2025: 1.0}[y] if i == 10 else 1.0  # C10 falls
            orders.append(order(f"O{i}{y}", f"C{i:02d}", f"{y}-05-01", kg * k, cost=cost))
    inter = (
        [interaction("C01", f"2025-{m:02d}-03", "visit") for m in range(1, 8)]
        + [interaction("C01", "2025-09-01", "executive visit")]
        + [interaction("C01", "2025-04-01", "trial"), interaction("C01", "2025-05-01",
                                                                  "training")]
        + [interaction("C02", "2025-02-01", "visit"), interaction("C02", "2025-06-01",
                                                                  "visit")]
        + [interaction("C03", "2025-02-01", "call")]
        + [interaction("C10", f"2025-{m:02d}-03", "visit") for m in range(1, 6)]
        + [interaction("C10", "2025-07-01", "training")]
        + [interaction("C02", f"2024-{m:02d}-03", "visit") for m in range(1, 13)]  # old
    )
    assess = [{"customer_id": c, "year": 2025, "estimated_annual_use_kg": use}
              for c, use in (("C01", 25000.0), ("C02", 38000.0), ("C03", 90000.0))]
    return make_kd(customers, orders, inter, assess)


def test_relationship_levels_recommended_observed_and_gap(relationship_kd):
    acc = accounts([(c, "A", "unclear", "Anna", "N") for c in ("C01", "C02", "C03", "C05",
                                                               "C10")])
    lv = service.relationship_levels(relationship_kd, S, acc)
    # ranks among 20 active customers: top 5% = 1 customer (few), top 20% = 4 (medium)
    assert lv["customers_band"].to_dict() == {"C01": "few", "C02": "medium",
                                              "C03": "medium", "C05": "many",
                                              "C10": "many"}
    assert lv["margin_band"].to_dict() == {"C01": "high", "C02": "high", "C03": "medium",
                                           "C05": "medium", "C10": "low"}
    assert lv["recommended_level"].to_dict() == {
        "C01": "partnership", "C02": "proactive", "C03": "accountable",
        "C05": "reactive", "C10": "basic"}
    assert lv["observed_level"].to_dict() == {
        "C01": "partnership", "C02": "accountable", "C03": "reactive",
        "C05": "basic", "C10": "proactive"}
    assert lv["gap"].to_dict() == {"C01": 0, "C02": 1, "C03": 1, "C05": 1, "C10": -3}
    assert lv.loc["C10", "action"].startswith("more than the margin pays for")
    assert lv.loc["C02", "action"] == "raise by 1 level(s)"
    # stages: C01 integrated (partnership, sow 0.8); C02 cooperative (sow 0.5);
    # C03 basic (sow 0.2); C05 exploratory (first order 2024); C10 disintegrating
    assert lv["share_of_wallet"].round(2).to_dict()["C01"] == 0.8
    assert lv["stage"].to_dict() == {"C01": "integrated", "C02": "cooperative",
                                     "C03": "basic", "C05": "exploratory",
                                     "C10": "disintegrating"}


def test_growth_class_is_recommended_one_level_more(relationship_kd):
    """A class-B account is chosen for its growth: Kotler's grid (today's size and
    margin) plus one level, capped at partnership; the setting can switch it off."""
    acc = accounts([("C01", "B", "unclear", "Anna", "N"), ("C03", "B", "unclear", "Anna", "N"),
                    ("C10", "B", "unclear", "Anna", "N")])
    lv = service.relationship_levels(relationship_kd, S, acc)
    # grid alone: C01 partnership (cap), C03 accountable, C10 basic
    assert lv["recommended_level"].to_dict() == {
        "C01": "partnership", "C03": "proactive", "C10": "reactive"}
    s = settings.replace(S, "service.relationship.growth_classes", [])
    lv = service.relationship_levels(relationship_kd, s, acc)
    assert lv["recommended_level"].to_dict() == {
        "C01": "partnership", "C03": "accountable", "C10": "basic"}


def test_relationship_levels_net_margin_needs_profit(relationship_kd):
    acc = accounts([("C01", "A", "unclear", "Anna", "N")])
    s = settings.replace(S, "service.relationship.margin_basis", "net")
    with pytest.raises(ValueError, match="profit"):
        service.relationship_levels(relationship_kd, s, acc)
    acc["profit"] = [-500.0]
    assert service.relationship_levels(relationship_kd, s, acc).loc[
        "C01", "margin_band"] == "low"


# --------------------------------------------------------------------------- packages


def test_service_packages_by_segment_and_class():
    customers = [customer(c) for c in ("P", "T", "U", "M")]
    orders = [order(f"O{c}", c, "2025-03-01", 2000) for c in ("P", "T", "U", "M")]
    kd = make_kd(customers, orders)
    acc = accounts([("P", "A", "price", "Anna", "N"), ("T", "C", "technology", "Anna", "N"),
                    ("U", "C", "unclear", "Anna", "N"), ("M", "C", "mixed", "Anna", "N")])
    acc["mixed_types"] = ["", "", "", "price+service"]
    s = with_visits(S, executive_top_n=0)
    menu = service.service_menu(acc, s)
    got = menu.groupby("customer_id")["service"].apply(list).to_dict()
    assert got["T"] == ["Supply priority: agree peak-season needs and stock",
                        "Monthly industry technical news"]
    assert got["U"] == ["Supply priority: agree peak-season needs and stock",
                        "Buying-centre interview: find what drives the account"]
    assert "Off-season stocking offer (June-August)" in got["P"]
    assert "Big-pack and economy-grade proposal" in got["P"]
    assert "Custom grade development" not in got["P"]
    # mixed price+service (class C): both drivers' C-class items, once each
    assert "Off-season stocking offer (June-August)" in got["M"]
    assert "Reminder of the services the customer is entitled to" in got["M"]
    assert len(got["M"]) == len(set(got["M"]))
    pk = service.service_packages(kd, s, acc)
    # T: supply priority 60 min of sales + technical news 60 min of technical service
    # + one visit; prices from the costing chapter's price list (inputs here)
    rate = costing.pool_rates()["rate_per_minute"]
    visit = costing.activity_rates().loc["visit", "cost_per_unit"]
    budget = 60 * rate["sales"] + 60 * rate["technical service"] + 1 * visit
    assert pk.loc["T", "cost_to_serve_budget"] == pytest.approx(budget)
    assert pk.loc["T", "service_minutes"] == 120
    # gross margin 2000 kg x (10 - 7) = 6000 EUR
    assert pk.loc["T", "budget_share_of_margin"] == pytest.approx(budget / 6000)
    assert budget / 6000 < 0.15 and bool(pk.loc["T", "within_budget"])
    # P: class A, twelve visits a year -> far above 15% of a 6000 EUR margin
    assert pk.loc["P", "visit_cost"] == pytest.approx(12 * visit)
    assert not bool(pk.loc["P", "within_budget"])


def test_service_packages_refuse_an_unknown_pool():
    kd = make_kd([customer("T")], [order("O", "T", "2025-03-01", 10)])
    acc = accounts([("T", "C", "unclear", "Anna", "N")])
    menu = (service.ServiceItem("Buying-centre interview", "commercial", pool="R&D lab"),)
    s = settings.replace(S, "service.packages.menu", menu)
    with pytest.raises(ValueError, match="R&D lab"):
        service.service_packages(kd, s, acc)


# --------------------------------------------------------------------------- objectives


@pytest.fixture(scope="module")
def objective_kd():
    customers = [customer(c) for c in ("C1", "C2", "C3", "C4")]
    orders = [order("O1", "C1", "2025-03-01", 1000), order("O2", "C2", "2025-03-01", 1000),
              # C3 grew 25% a year, C4 fell 36% a year over two years
              order("O3a", "C3", "2023-03-01", 640), order("O3b", "C3", "2025-03-01", 1000),
              order("O4a", "C4", "2023-03-01", 1000), order("O4b", "C4", "2025-03-01", 409.6)]
    assess = [{"customer_id": "C1", "year": 2025, "estimated_annual_use_kg": 1100.0},
              {"customer_id": "C2", "year": 2025, "estimated_annual_use_kg": 5000.0},
              {"customer_id": "C3", "year": 2025, "estimated_annual_use_kg": 9000.0}]
    return make_kd(customers, orders, None, assess)


OBJ_ACC = accounts([("C1", "A", "price", "Anna", "N"), ("C2", "B", "technology", "Anna", "N"),
                    ("C3", "A", "unclear", "Anna", "N"), ("C4", "A", "unclear", "Anna", "N")])


def test_objectives_proposed_from_history_and_potential(objective_kd):
    o = service.objectives(objective_kd, S, OBJ_ACC)
    # C1: +3% would pass 90% of its 1100 kg use (990) -> capped, but not below last year
    assert o.loc["C1", "target_volume_kg"] == pytest.approx(1000.0)
    assert o.loc["C1", "target_net_price"] == pytest.approx(10.0)       # price: +0%
    # C2: class B +10%, technology +2%
    assert o.loc["C2", "target_volume_kg"] == pytest.approx(1100.0)
    assert o.loc["C2", "volume_growth"] == pytest.approx(0.10)
    assert o.loc["C2", "target_net_price"] == pytest.approx(10.2)
    assert o.loc["C2", "target_revenue"] == pytest.approx(11220.0)
    assert o.loc["C2", "target_share_of_wallet"] == pytest.approx(0.22)
    assert o.loc["C2", "visit_cycle"] == "every two months"
    # two trainings a year for technology: one per half-year, on planned visit dates
    dates = o.loc["C2", "training_dates"].split(", ")
    assert [pd.Timestamp(d).month <= 6 for d in dates] == [True, False]
    plan = service.visit_plan(OBJ_ACC, S, 2026)
    assert set(dates) <= set(plan.for_customer("C2")["date"].dt.strftime("%Y-%m-%d"))
    # own growth moves the proposal half-way from the class growth (A: 3%):
    # C3: 3% + 0.5 x (25% - 3%) = 14%; C4: 3% + 0.5 x (-36% - 3%) = -16.5% -> floor -10%
    assert o.loc["C3", "volume_growth"] == pytest.approx(0.14)
    assert o.loc["C4", "volume_growth"] == pytest.approx(-0.10)
    assert o.loc["C4", "target_volume_kg"] == pytest.approx(409.6 * 0.9)
    assert np.isnan(o.loc["C4", "target_share_of_wallet"])  # no estimate of its use
    assert o.loc["C1", "training_dates"] == ""
    assert "Custom grade development" not in o.loc["C2", "services"]  # class A only
    assert "Free application trial on site" in o.loc["C2", "services"]
    assert (o["edited"] == "").all()


def test_objectives_edits_from_settings_and_csv(objective_kd, tmp_path, monkeypatch):
    s = settings.replace(S, "service.objectives.overrides", {"C2.target_volume_kg": 2000.0})
    o = service.objectives(objective_kd, s, OBJ_ACC)
    assert o.loc["C2", "target_volume_kg"] == 2000.0
    assert o.loc["C2", "target_revenue"] == pytest.approx(2000 * 10.2)  # recomputed
    assert o.loc["C2", "target_share_of_wallet"] == pytest.approx(0.4)
    assert o.loc["C2", "edited"] == "target_volume_kg"
    monkeypatch.chdir(tmp_path)
    pd.DataFrame({"customer_id": ["C1"], "target_net_price": [11.0],
                  "services": ["Quarterly rebate review"]}).to_csv("edits.csv", index=False)
    s2 = settings.replace(s, "service.objectives.overrides_file", "edits.csv")
    o2 = service.objectives(objective_kd, s2, OBJ_ACC)
    assert o2.loc["C1", "target_net_price"] == 11.0
    assert o2.loc["C1", "target_revenue"] == pytest.approx(11000.0)
    assert o2.loc["C1", "services"] == "Quarterly rebate review"
    assert o2.loc["C1", "edited"] == "target_net_price, services"
    bad = settings.replace(S, "service.objectives.overrides", {"C9.target_volume_kg": 1.0})
    with pytest.raises(ValueError, match="not key accounts"):
        service.objectives(objective_kd, bad, OBJ_ACC)
    missing = settings.replace(S, "service.objectives.overrides_file", "nope.csv")
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        service.objectives(objective_kd, missing, OBJ_ACC)


# --------------------------------------------------------------------------- bundled data


@pytest.fixture(scope="module")
def sample_accounts(sample, default_settings):
    return service.key_account_table(sample, default_settings)


def test_sample_loss_making_large_customers_get_more_service_than_their_margin_pays(
        sample, default_settings, answer_key):
    # every active customer, as if all were key: the grid must single out the planted
    # large loss-makers (deep discounts, heavy service) as served beyond their margin
    active = sample.orders.loc[sample.orders["year"] == 2025, "customer_id"].unique()
    everyone = pd.DataFrame({"abc_class": "A"}, index=pd.Index(active, name="customer_id"))
    lv = service.relationship_levels(sample, default_settings, everyone)
    lossy = answer_key.index[answer_key["is_loss_making_large"]].intersection(lv.index)
    assert len(lossy) >= 3
    assert (lv.loc[lossy, "margin_band"] == "low").all()
    assert (lv.loc[lossy, "gap"] < 0).all()
    assert (lv.drop(lossy)["gap"] < 0).mean() < 0.5


def test_sample_rising_complaints_point_at_decaying_relationships(sample, default_settings,
                                                                   answer_key):
    t = service.complaint_trend(sample, default_settings).join(answer_key["is_decaying"])
    rate = t.groupby("is_decaying")["rising"].mean()
    assert rate[True] >= 0.4 and rate[True] >= 2.5 * rate[False]


def test_sample_supply_backtest_finds_the_peak_season(sample, default_settings,
                                                     sample_accounts):
    # forecast 2025 from 2022-2024; the peak months' share of the year must match
    need = service.seasonal_need(sample, default_settings, sample_accounts.index, 2025)
    actual = service.monthly_volume(sample, sample_accounts.index, [2025])[2025]
    n = need[list(range(1, 13))].sum()
    assert n[[9, 10, 11]].sum() / n.sum() == pytest.approx(
        actual[[9, 10, 11]].sum() / actual.sum(), abs=0.03)
    assert n[[9, 10, 11]].min() > n[[6, 7, 8]].max()


def test_sample_visit_plan_is_complete_and_within_capacity(sample, default_settings,
                                                          sample_accounts):
    plan = service.visit_plan(sample_accounts, default_settings,
                              customers=sample.customers)
    assert plan.is_complete, plan.unplanned.head()
    assert plan.load().to_numpy().max() <= default_settings.service.visits.capacity_per_week
    f = plan.frequencies
    assert (f["visits_planned"] == f["visits_per_year"]).all()


# --------------------------------------------------------------------------- pictures


def test_every_service_picture_draws_on_hand_made_data(relationship_kd, complaint_kd):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kamlib.plots import service as sp

    acc = accounts([(c, "A", "unclear", "Anna", "N", float(i))
                    for i, c in enumerate(("C01", "C02", "C03", "C10"))])
    kd = relationship_kd
    lv = service.relationship_levels(kd, S, acc)
    plan = service.visit_plan(acc, S, 2026, customers=kd.customers)
    axes = [
        sp.relationship_grid(lv),
        sp.relationship_gap(lv),
        sp.visit_calendar(plan, "Anna"),
        sp.visit_load(plan),
        sp.complaint_workflow(),
        sp.complaint_rates(service.complaint_metrics(complaint_kd, "customer_id",
                                                     years=2025)),
        sp.supply_profile(service.seasonal_need(kd, S, acc.index),
                          service.monthly_volume(kd, acc.index), S),
        sp.cost_vs_margin(service.service_packages(kd, S, acc), 0.15),
        sp.objectives_volume(service.objectives(kd, S, acc, plan=plan)),
    ]
    for ax in axes:
        assert ax.get_title() or ax.get_title(loc="left")
        assert ax.get_xlabel() or not ax.axison
    # the workflow shows every role of the primer
    texts = " ".join(t.get_text() for t in axes[4].texts)
    for role in ("Customer service", "Key account manager", "Sales administration",
                 "Area manager", "Production", "Sales VP"):
        assert role in texts
    plt.close("all")


def test_visit_plan_widget_builds_headless(tmp_path):
    pytest.importorskip("ipywidgets")
    import matplotlib

    matplotlib.use("Agg")
    from kamlib.widgets import service as sw

    acc = accounts([("C1", "A", "unclear", "Anna", "N"), ("C2", "B", "unclear", "Anna", "N")])
    box = sw.visit_plan_explorer(acc, S, settings_file=tmp_path / "kam.toml")
    summary = box.children[2]
    assert "18</b> visits planned" in summary.value  # 12 + 4 + 2 executive visits
    box.children[0].children[0].value = 4  # class A quarterly
    assert "10</b> visits planned" in summary.value
    box.children[4].children[0].click()
    saved = settings.load(tmp_path / "kam.toml")
    assert saved.service.visits.per_year_by_class["A"] == 4


# --------------------------------------------------------------------------- key accounts


def test_key_account_table_stand_in_follows_the_primer_abc_rule(monkeypatch):
    from kamlib import segmentation, selection

    monkeypatch.delattr(selection, "key_accounts", raising=False)
    monkeypatch.delattr(segmentation, "segments", raising=False)
    customers = [customer(f"C{i:02d}") for i in range(1, 11)]
    orders = [order(f"O{i}", f"C{i:02d}", "2025-05-01", 100 * (11 - i)) for i in range(1, 11)]
    # C09 grew 10%+ in each of the last two years (150 -> 173 -> 200 kg)
    orders += [order("G23", "C09", "2023-05-01", 150), order("G24", "C09", "2024-05-01", 173)]
    orders += [order("H23", "C05", "2023-05-01", 600), order("H24", "C05", "2024-05-01", 600)]
    acc = service.key_account_table(make_kd(customers, orders), S)
    assert acc["abc_class"].to_dict() == {"C01": "A", "C02": "A", "C09": "B"}
    assert (acc["segment"] == "unclear").all()
    assert acc.attrs["stand_in"] is True and "STAND-IN" in acc.attrs["source"]
    assert acc.loc["C01", "country"] == "Norway"


def test_key_account_table_on_the_bundled_data(sample, default_settings, sample_accounts):
    acc = sample_accounts
    assert acc.index.name == "customer_id" and acc.index.is_unique
    assert {"abc_class", "segment", "account_manager", "region", "country"} <= set(acc.columns)
    assert set(acc.attrs) == {"stand_in", "source", "analysis_year"}
    assert acc.attrs["analysis_year"] == 2025  # the latest complete year of the sample
    assert 20 <= len(acc) <= 120


def test_cli_calendars_writes_one_file_per_account_manager(tmp_path):
    from kamlib import cli, data

    assert cli.main(["calendars", "--out", str(tmp_path)]) == 0
    files = sorted(tmp_path.glob("visits_*.ics"))
    managers = data.load("sample").customers["account_manager"].nunique()
    assert 1 <= len(files) <= managers
    text = files[0].read_bytes().decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert text.count("BEGIN:VEVENT") == text.count("END:VEVENT") > 0
