"""The batch index (kamlib.report_index): filters, totals, plain subtitles."""

from __future__ import annotations

from kamlib import formatting as fmt
from kamlib import report_html as H
from kamlib import report_index
from kamlib.reports import BatchResult


def _rec(cid, am, cls, seg, strat, decision, rev, plan, profit, alerts):
    return {"customer_id": cid, "customer_name": f"Name {cid}", "status": "ok",
            "files": {"html": f"{cid}_x.html"},
            "headline": {"account_manager": am, "abc_class": cls, "tier": "big",
                         "segment": seg, "strategy": strat, "health": "80/100",
                         "decision": decision, "revenue": rev, "plan_revenue": plan,
                         "profit": profit, "alerts": alerts, "revenue_change": 0.1,
                         "share_of_wallet": 0.5, "first_action": "Call"}}


def test_index_filters_totals_and_plain_words(tmp_path):
    recs = [_rec("C1", "Ann", "A", "price", "growth", "develop", 1_000_000, 1_100_000,
                 200_000, 2),
            _rec("C2", "Bo", "B", "service", "hold", "keep", 500_000, 510_000, -20_000, 0),
            {"customer_id": "C3", "customer_name": "Bad", "status": "failed", "error": "boom"}]
    res = BatchResult(index_path=tmp_path / "index.html", written=["C1", "C2"], seconds=3)
    with fmt.using(fmt.Company(currency="EUR", quantity_unit="kg")):
        page = report_index.index_html(recs, res, note="key accounts of "
                                       "kamlib.selection.key_accounts: 2", year=2025)
    assert "kamlib." not in page.split("<body>")[1].split("<script>")[0]
    assert "accounts: 2 key accounts" in page and "Key account plans 2026" in page
    for key, options in (("am", ["Ann", "Bo"]), ("class", ["A", "B"]),
                         ("strategy", ["growth", "hold"]), ("decision", ["develop", "keep"])):
        assert f'data-key="{key}"' in page
        for o in options:
            assert f'<option value="{o}">' in page
    assert 'data-key="alerts"' in page
    # portfolio totals of the accounts shown (all, without a script)
    assert 'data-t="revenue">EUR 1.50 m<' in page and 'data-t="plan">EUR 1.61 m<' in page
    assert 'data-t="profit">EUR 180 k<' in page and 'data-t="alerts">2<' in page
    assert 'data-am="Ann"' in page and 'data-strategy="hold"' in page
    assert "Failed (1)" in page and "boom" in page
    assert 'href="actions.csv"' in page and 'href="objectives.csv"' in page
    # nothing remote; the only script is the inline one
    assert H.remote_resources(page.replace("<script>", "<scr1pt>")) == []


def test_plain_note():
    assert report_index.plain_note("key accounts of kamlib.selection.key_accounts: 55") == \
        "55 key accounts"
    assert report_index.plain_note(
        "STAND-IN for the key accounts (kamlib.selection.key_accounts failed: X): the top "
        "40 customers by revenue in 2025") == ("the 40 largest customers by revenue in 2025 "
                                               "(the key-account list could not be made)")
    assert report_index.plain_note("customers given: 3") == "customers given: 3"
