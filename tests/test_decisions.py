"""A workshop's decisions file: read, validated, applied to the settings, and shown in
the reports (``kam reports --decisions``)."""

from __future__ import annotations

import pandas as pd
import pytest

from kamlib import cli, decisions, rebates, selection, settings
from kamlib.errors import SettingsError

DECISIONS = """\
[workshop]
saved = "2026-12-01 15:40"

[scorecard]
goal = "custom"
weights = { profit = 4.0, growth = 2.0 }

[key_accounts]
min_score = 55.0
abc_top_share = 0.25

[[overrides]]
customer_id = "C0002"
customer_name = "for the reader"
key = true
reason = "strategic partner; new plant"

[[overrides]]
customer_id = "C0001"
key = false
reason = "leaves the market in 2026"

[rebate_schedule]
name = "workshop 2026"
method = "marginal"
basis = "kg"
tiers = [{ threshold = 30000, rate = 0.01 }, { threshold = 90000, rate = 0.025 }]
for_segment = "price"
"""


@pytest.fixture()
def dfile(tmp_path):
    p = tmp_path / "decisions.toml"
    p.write_text(DECISIONS, encoding="utf-8")
    return p


def _ka(**extra) -> pd.DataFrame:
    """Three customers as decide() returns them (the columns overrides touch)."""
    return pd.DataFrame({
        "is_key": [True, False, False],
        "reasons": pd.array(["KEY; class A", "not key: score below 60; class C",
                             "not key: no sales this year"], dtype="string"),
        **extra}, index=pd.Index(["A1", "B2", "C3"], name="customer_id"))


def test_overrides_win_over_the_rule_and_lead_the_reasons():
    ov = {"B2": selection.KeyOverride(True, "opens the Nordic market; partner"),
          "A1": selection.KeyOverride(False, "sold to a competitor")}
    out = selection.apply_overrides(_ka(), ov)
    assert list(out["is_key"]) == [False, True, False]
    assert list(out["override_reason"]) == ["sold to a competitor",
                                            "opens the Nordic market, partner", ""]
    assert out.loc["B2", "reasons"] == ("KEY by decision: opens the Nordic market, partner "
                                        "(the rule said: not key: score below 60); class C")
    assert out.loc["A1", "reasons"] == ("not key by decision: sold to a competitor "
                                        "(the rule said: KEY); class A")
    assert out.loc["C3", "reasons"] == "not key: no sales this year"


def test_an_override_for_an_unknown_customer_is_refused():
    with pytest.raises(SettingsError, match="Z9 is not a customer in the data"):
        selection.apply_overrides(_ka(), {"Z9": selection.KeyOverride(True, "x")})


def test_an_override_needs_a_reason():
    with pytest.raises(SettingsError, match="needs a reason"):
        selection.KeyOverride(True, "  ")


def test_load_and_apply(dfile):
    d = decisions.load_decisions(dfile)
    assert d.goal == "custom" and d.weights == {"profit": 4.0, "growth": 2.0}
    assert [o.customer_id for o in d.overrides] == ["C0002", "C0001"]
    s = decisions.apply_decisions(settings.Settings(), d)
    sc = s.selection.scorecard
    assert sc.effective_weights["profit"] == pytest.approx(4 / 6)
    assert s.selection.key_accounts.min_score == 55.0
    assert s.selection.abc.top_share == 0.25
    assert s.selection.key_accounts.overrides["C0001"] == selection.KeyOverride(
        False, "leaves the market in 2026")
    assert s.rebates.schedule_by_segment["price"] == "workshop 2026"
    sch = s.rebates.segment_schedule("price")
    assert sch.method == "marginal" and list(sch.thresholds) == [30000, 90000]
    # the other schedules are kept
    assert "current programme" in s.rebates.names
    # round trip through the file the app writes
    again = decisions.load_decisions(decisions.save_decisions(d, dfile.with_name("b.toml")))
    assert again == d
    # applied settings survive the settings file (what the reports read)
    back = settings.load(settings.save(s, dfile.with_name("s.toml")))
    assert back == s


@pytest.mark.parametrize("text, message", [
    ("[scorecard]\ngoal = 'custom'\nweigths = {profit = 1.0}\n",
     "unknown key 'weigths'. Did you mean 'weights'?"),
    ("[key_accounts]\nmin_scor = 50.0\n", "Did you mean 'min_score'?"),
    ("[[overrides]]\ncustomer_id = 'C0001'\nkey = true\n", "overrides #1 (C0001): "
     "a key-account override needs a reason"),
    ("[rebate_schedule]\nname = 'x'\ntiers = [{threshold = 9000, rate = 0.02}, "
     "{threshold = 5000, rate = 0.03}]\n", "tiers not ascending"),
    ("[key_accounts]\nmin_score = 150.0\n", "min_score is a score 0-100"),
])
def test_bad_decisions_name_the_file_and_the_key(tmp_path, text, message):
    p = tmp_path / "d.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as exc:
        decisions.load_decisions(p)
    assert str(exc.value).startswith(str(p))
    assert message in str(exc.value)


def test_from_state_writes_what_changed(default_settings):
    s = selection.with_goal(default_settings, "custom", {"profit": 2.0})
    s = settings.replace(s, "selection.key_accounts.top_n", 25)
    sch = rebates.RebateSchedule("room", "kg", "retroactive", [(10000, 0.01)])
    d = decisions.from_state(s, default_settings, [decisions.Override("C0001", True, "r")],
                             sch, data="x.xlsx")
    assert d.key_accounts == {"top_n": 25}
    assert d.goal == "custom" and d.weights == {"profit": 2.0}
    assert d.workshop["data"] == "x.xlsx"
    assert decisions.apply_decisions(default_settings, d).rebates.schedule("room") == sch


def test_the_key_list_follows_the_decisions(sample, dfile):
    d = decisions.load_decisions(dfile)
    s0 = settings.Settings()
    facts = selection.customer_facts(sample, s0)
    ka0 = selection.decide(facts, s0)
    ka = selection.decide(facts, decisions.apply_decisions(s0, d))
    assert bool(ka.loc["C0002", "is_key"]) and not bool(ka.loc["C0001", "is_key"])
    assert ka.loc["C0002", "reasons"].startswith("KEY by decision: strategic partner, new plant")
    assert (ka["override_reason"] != "").sum() == 2
    assert not ka0["reasons"].str.contains("by decision").any()


def test_decisions_from_another_export_are_refused(sample, tmp_path):
    p = tmp_path / "d.toml"
    p.write_text("[[overrides]]\ncustomer_id = 'X77'\nkey = true\nreason = 'r'\n")
    with pytest.raises(SettingsError, match=r"not in the data \(X77\)"):
        decisions.check_against_data(decisions.load_decisions(p), sample)


@pytest.mark.notebooks
def test_kam_reports_with_decisions_shows_the_rooms_list(tmp_path, dfile, capsys):
    out = tmp_path / "r"
    code = cli.main(["reports", "--accounts", "C0002", "--decisions", str(dfile),
                     "--out", str(out), "--no-progress", "--workers", "1"])
    assert code == 0, capsys.readouterr().err
    page = next(out.glob("C0002_*.html")).read_text(encoding="utf-8")
    assert "KEY ACCOUNT" in page
    assert "KEY by decision: strategic partner, new plant" in page
    written = settings.load(dfile.with_name("decisions.settings.toml"))
    assert written.rebates.schedule_by_segment["price"] == "workshop 2026"


def test_kam_reports_with_a_missing_decisions_file(tmp_path, capsys):
    code = cli.main(["reports", "--decisions", str(tmp_path / "none.toml"),
                     "--out", str(tmp_path / "r")])
    assert code == 1
    assert "no decisions file at" in capsys.readouterr().err


def _key_lists(out) -> tuple[set, pd.DataFrame]:
    """(ids in key_account_table.parquet, segments.parquet) written by kam analyse."""
    table = pd.read_parquet(out / "key_account_table.parquet")
    ids = set(table["customer_id"] if "customer_id" in table.columns else table.index)
    return {str(i) for i in ids}, pd.read_parquet(out / "segments.parquet")


def test_kam_analyse_with_decisions_writes_the_rooms_list(sample, tmp_path, capsys):
    """An override in, one out and a segmentation threshold: the tables `kam analyse`
    writes follow them (and without --decisions they do not)."""
    s0 = settings.for_data(settings.Settings(), sample)
    ka = selection.decide(selection.customer_facts(sample, s0), s0)
    active = ka["is_active"].astype(bool)
    outside = str(ka.index[active & ~ka["is_key"].astype(bool)][0])
    inside = str(ka.index[ka["is_key"].astype(bool)][0])
    p = tmp_path / "d.toml"
    # stand_out above segmentation.z_clip (3.0): no family can stand out (a family score
    # is a weighted mean of clipped standardised values), so every account is unclear
    p.write_text(f"[segmentation]\nstand_out = 3.5\n\n"
                 f"[[overrides]]\ncustomer_id = '{outside}'\nkey = true\nreason = 'new plant'\n\n"
                 f"[[overrides]]\ncustomer_id = '{inside}'\nkey = false\nreason = 'leaves'\n",
                 encoding="utf-8")
    base = ["analyse", "--data", "sample", "--settings", str(tmp_path / "none.toml"),
            "--without", "review", "--without", "rebate_projection",
            "--without", "visit_plan"]
    assert cli.main(base + ["--out", str(tmp_path / "plain")]) == 0
    assert cli.main(base + ["--out", str(tmp_path / "room"), "--decisions", str(p)]) == 0
    assert f"decisions of {p} applied" in capsys.readouterr().out
    plain, seg_plain = _key_lists(tmp_path / "plain")
    room, seg_room = _key_lists(tmp_path / "room")
    assert outside in room and outside not in plain
    assert inside in plain and inside not in room
    assert room == (plain - {inside}) | {outside}
    assert (seg_room["segment"] == "unclear").all()
    assert (seg_plain["segment"] != "unclear").any()


def test_kam_analyse_refuses_decisions_of_another_export(tmp_path, capsys):
    p = tmp_path / "d.toml"
    p.write_text("[[overrides]]\ncustomer_id = 'X77'\nkey = true\nreason = 'r'\n")
    assert cli.main(["analyse", "--out", str(tmp_path / "o"), "--decisions", str(p)]) == 2
    assert "not in the data (X77)" in capsys.readouterr().err
    assert cli.main(["analyse", "--out", str(tmp_path / "o"), "--decisions",
                     str(tmp_path / "none.toml")]) == 2
    assert "no decisions file at" in capsys.readouterr().err
