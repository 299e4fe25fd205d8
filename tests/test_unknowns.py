"""Partial exports: a figure the data cannot give is said to be unknown, never shown as a
0 or built on (issue 10). Invariants checked over every key account's plan of the
``minimal`` export profile (no costs, delivery dates, interactions, contacts or
assessments) and of the sample without interactions and contacts; the rendered
sections of a few accounts are checked as text."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest

from kamlib import data, profiles, unknowns
from kamlib import report_sections as rs

N_RENDERED = 3  # accounts whose whole plan is rendered (the plan tables: every account)


def _text(a) -> str:
    body = "\n".join(h._repr_html_() for h in rs.render_all(a))
    assert "Appendix: methods and rules" in body
    body = re.sub(r"<img[^>]*>", " ", body)
    body = re.sub(r"<(br|/p|/li|/tr|/h\d|/div|/td|/th|/dd|/dt)[^>]*>", "\n", body)
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    return text.split("Appendix: methods and rules")[0]  # the rules' own words aside


@pytest.fixture(scope="module")
def minimal(tmp_path_factory):
    rs.clear_cache()
    path = profiles.write_profile("minimal", tmp_path_factory.mktemp("minimal"), "sample")
    return str(path)


@pytest.fixture(scope="module")
def no_people(tmp_path_factory):
    """20 customers of the sample without interactions and contacts (costs, deliveries
    kept): the ``customers_20`` profile with two tables taken away."""
    out = profiles.write_profile("customers_20", tmp_path_factory.mktemp("no_people"),
                                 "sample")
    for name in ("interactions", "contacts"):
        (out / f"{name}.csv").unlink()
    return str(out)


def _key_ids(source) -> list[str]:
    p = rs.portfolio(source)
    k = p.tables["key"]
    return [str(i) for i in k.index[k["is_key"].astype(bool)]]


def test_unknowns_words_and_mask():
    avail = frozenset({"quantities"})
    assert unknowns.missing(avail, "gross_margin_pct") == "costs"
    assert unknowns.missing(avail, "revenue") is None
    assert unknowns.text("costs") == ("not in the data: add unit cost, cost amount or "
                                      "margin to see it")
    assert unknowns.cell(avail, "gross_margin", 0.0, str) == "not in the data"
    assert unknowns.cell(frozenset({"costs"}), "gross_margin", 0.0, str) == "0.0"
    df = pd.DataFrame({"revenue": [10.0], "gross_margin": [0.0], "complaints": [0]})
    m = unknowns.mask(df, avail)
    assert m["revenue"].tolist() == [10.0]
    assert m["gross_margin"].isna().all() and m["complaints"].isna().all()
    assert df["gross_margin"].tolist() == [0.0]  # the input is not changed
    assert unknowns.note(avail, {"gross_margin": "gross margin", "revenue": "revenue"}) == (
        "Not in the data: gross margin (add unit cost, cost amount or margin to see it).")
    assert unknowns.note(frozenset(unknowns.ADD), {"gross_margin": "gross margin"}) == ""


def test_minimal_export_lacks_what_the_tests_assume(minimal):
    kd = data.load(minimal)
    for cap in ("costs", "deliveries", "interactions", "contacts", "assessments"):
        assert not kd.has(cap), cap


def test_minimal_plans_never_build_on_unknowns(minimal):
    """Every key account's plan: no objective or action on an unknown figure."""
    p = rs.portfolio(minimal)
    plan = p.tables["plan"]
    ids = _key_ids(minimal)
    assert len(ids) and set(plan.customer_ids) == set(ids)
    obj, act = plan.objectives, plan.actions
    needing = {m for m in obj["metric"].unique() if unknowns.needs(m)}
    assert not needing, needing  # on time in full, complaints, buying centre...
    assert "relationship_level" not in set(obj["metric"])
    assert not act["objective"].map(lambda m: unknowns.is_unknown(p.kd.available, m)).any()
    assert not act["action"].str.contains("margin", case=False).any()
    assert not act["action"].str.contains("decision maker", case=False).any()
    for rule in ("decision makers", "relationship level"):
        st = plan.status[rule]
        assert set(st["level"]) == {"info"}, (rule, set(st["level"]))
    assert plan.status["decision makers"]["text"].str.contains("not in the data").all()
    # the portfolio tables: a margin the data cannot give is NaN, not 0
    for name in ("key", "accounts", "packages"):
        t = p.tables[name]
        for col in ("gross_margin", "profit", "gross_margin_pct"):
            if col in t.columns:
                assert t[col].isna().all(), (name, col)
    rel = p.tables["relationship"]
    assert rel["observed_level"].isna().all() and rel["recommended_level"].isna().all()
    assert (rel["margin_band"] == "unknown").all()


def test_minimal_rendered_plans_say_unknown(minimal):
    for cid in _key_ids(minimal)[:N_RENDERED]:
        a = rs.account(cid, minimal)
        t = _text(a)
        assert not re.search(r"Gross margin %?\s+0(\.0)?%", t), cid
        assert not re.search(r"Gross margin\s+0\b", t), cid
        assert not re.search(r"On time in full\s+(0|100)(\.0)?%", t), cid
        assert not re.search(r"Complaints( \d{4})?\s+0\b", t), cid
        assert "no decision maker known in" not in t and "no contacts recorded at" not in t
        assert not re.search(r"\bloses\b", t), cid  # an unknown profit is not a loss
        assert "not in the data: add unit cost, cost amount or margin to see it" in t
        assert "add promised and actual delivery dates to see it" in t
        rules = rs.appendix(a)._repr_html_()
        assert "{" not in rules and "Status rules" in rules  # thresholds filled in
        for x in rs.signals(a):  # an unknown is never an alert or a watch
            if unknowns.WORD in x["evidence"]:
                assert x["level"] == "info", x
        h = rs.headline(a).data
        assert h["gross_margin_pct"] is None and h["profit"] is None


def test_sample_without_interactions_and_contacts(no_people):
    p = rs.portfolio(no_people)
    kd = p.kd
    assert kd.has("costs") and not kd.has("interactions") and not kd.has("contacts")
    plan = p.tables["plan"]
    bad = {"complaints", "relationship_level", "decision_makers", "contact_coverage",
           "joint_activities"}
    assert not bad & set(plan.objectives["metric"])
    assert not bad & set(plan.actions["objective"])
    assert (plan.status["relationship level"]["level"] == "info").all()
    # the margin is known here: shown as a figure, with the same value as the data
    ids = _key_ids(no_people)
    assert ids
    y = p.year
    o = kd.orders.loc[kd.orders["year"] == y]
    for cid in ids[:N_RENDERED]:
        a = rs.account(cid, no_people)
        t = _text(a)
        lines = o.loc[o["customer_id"].astype(str) == cid]
        pct = lines["gross_margin"].sum() / lines["revenue"].sum()
        glance = rs.at_a_glance(a)._repr_html_()
        assert f"{100 * pct:.0f}%" in glance, cid
        assert "add an interactions table" in t and "add a contacts table" in t
        assert not re.search(r"Complaints( \d{4})?\s+0\b", t), cid
        for x in rs.signals(a):
            if x["signal"] in ("Complaints", "Innovation", "Relationship level",
                               "Decision-maker relationships"):
                assert x["level"] == "info", x


def test_full_sample_shows_its_figures():
    """On the full data nothing is said to be missing (the mechanism is silent)."""
    ids = _key_ids("sample")
    a = rs.account(ids[0], "sample")
    t = _text(a)
    assert unknowns.WORD not in t
    assert not np.isnan(a.yearly["gross_margin"]).all()


# ---------------------------------------------------------------- Excel text numbers


def _book(path, header, rows):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sales"
    ws.append(header)
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


def test_excel_text_numbers_decided_per_column(tmp_path):
    """Numbers typed as text in a workbook follow one decision per column, made from
    all its text cells; real numbers in the same column are taken as they are."""
    import datetime as dt

    d = dt.datetime(2024, 3, 1)
    path = _book(tmp_path / "s.xlsx", ["Customer", "Order date", "Quantity", "Amount"],
                 [("C1", d, 10, "1.234,50"), ("C2", d, 20, 2000.0),
                  ("C3", d, "2.000", "9,80")])
    kd = data.load(path)
    o = kd.orders.set_index("customer_id")
    assert o.loc["C1", "net_amount"] == pytest.approx(1234.5)
    assert o.loc["C2", "net_amount"] == pytest.approx(2000.0)  # a real number stays
    assert o.loc["C3", "net_amount"] == pytest.approx(9.8)
    # "2.000" alone is ambiguous; the sheet's other text column writes decimal commas
    assert o.loc["C3", "quantity_kg"] == pytest.approx(2000.0)
    assert any("2.000" in n and "2000" in n for n in kd.notes)


def test_excel_ambiguous_text_numbers_are_a_problem(tmp_path):
    import datetime as dt

    d = dt.datetime(2024, 3, 1)
    path = _book(tmp_path / "a.xlsx", ["Customer", "Order date", "Quantity", "Amount"],
                 [("C1", d, 10, "2.000"), ("C2", d, 20, 1500.0), ("C3", d, 5, "1.500")])
    rep = data.check(path)
    assert not rep.ok
    (p,) = [p for p in rep.problems if p.column == "net_amount"]
    assert "sheet Sales" in p.file and list(p.rows) == [2, 4]
    assert "read two ways" in p.message and "Number" in p.fix


def test_excel_mixed_styles_in_text_cells_refused(tmp_path):
    import datetime as dt

    d = dt.datetime(2024, 3, 1)
    path = _book(tmp_path / "m.xlsx", ["Customer", "Order date", "Quantity", "Amount"],
                 [("C1", d, 10, "1.234,50"), ("C2", d, 20, "1,234.50")])
    rep = data.check(path)
    assert not rep.ok
    assert any(p.column == "net_amount" and "mixes decimal commas" in p.message
               for p in rep.problems)


def test_check_summary_speaks_the_company_currency(minimal):
    from kamlib import formatting as fmt

    rep = data.check(minimal)
    def sales(text):
        return [x for x in text.splitlines() if x.startswith(("Sales", "  by year"))]

    plain = sales(rep.text(fmt.NEUTRAL))
    assert len(plain) == 2 and not any("EUR" in x or " kg" in x for x in plain), plain
    usd = sales(rep.text(fmt.Company(currency="USD", quantity_unit="t")))
    assert usd[0].startswith("Sales (net value of the lines delivered): USD ")
    assert usd[0].endswith(" t.") and "USD" in usd[1] and not any("EUR" in x for x in usd)
    assert "EUR" in sales(data.check("sample").text(fmt.SAMPLE_COMPANY))[0]
