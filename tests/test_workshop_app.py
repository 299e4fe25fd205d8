"""The workshop session (logic) and the app's widget tree, without a browser (the
browser test is tests/browser/, run by `make test-workshop`)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from kamlib import decisions, settings
from kamlib.workshop import app as workshop_app
from kamlib.workshop import serve
from kamlib.workshop.session import Session, load_session

NOW = dt.datetime(2026, 12, 1, 15, 40)


@pytest.fixture(scope="module")
def session(sample):
    return Session(sample, settings.Settings(), "sample")


def test_key_table_is_the_selection_list(session):
    t = session.key_table()
    ka = session.ka
    assert list(t.columns) == ["customer", "class", "tier", "score", "profit (EUR k)",
                               "decided", "why"]
    assert set(t.index) == set(ka.index[ka["is_key"]])
    assert t["score"].is_monotonic_decreasing
    assert (t["decided"] == "").all()
    assert t["why"].str.startswith("KEY").all()


def test_an_override_changes_the_list_and_the_decisions(sample, tmp_path):
    ss = Session(sample, settings.Settings(), "export.xlsx")
    outside = [cid for _, cid in ss.customer_choices() if cid not in ss.key_ids][0]
    n = len(ss.key_ids)
    with pytest.raises(ValueError, match="reason"):
        ss.set_override(outside, True, "  ")
    with pytest.raises(ValueError, match="not a customer"):
        ss.set_override("ZZ1", True, "x")
    ss.set_override(outside, True, "opens the Nordic market")
    assert outside in ss.key_ids and len(ss.key_ids) == n + 1
    row = ss.key_table().loc[outside]
    assert row["decided"] == "opens the Nordic market"
    assert row["why"].startswith("KEY by decision: opens the Nordic market")
    d = ss.decisions(now=NOW)
    assert d.goal == "balanced" and d.key_accounts == {}
    assert [(o.customer_id, o.key) for o in d.overrides] == [(outside, True)]
    assert d.workshop == {"saved": "2026-12-01 15:40", "data": "export.xlsx"}
    back = decisions.load_decisions(ss.save(tmp_path / "d.toml", now=NOW))
    assert back == d
    ss.remove_override(outside)
    assert len(ss.key_ids) == n


def test_segments_are_those_of_the_key_accounts(session):
    seg = session.segments()
    assert set(seg.index) == set(session.key_ids)
    assert seg["evidence"].str.len().min() > 20
    counts = session.segment_counts(seg)
    assert int(counts.sum()) == len(seg)
    price = session.price_sensitive_ids(seg)
    assert price and set(price) <= set(session.key_ids)
    assert all(seg.loc[p, "segment"] == "price" or "price" in seg.loc[p, "mixed_types"]
               for p in price)


def test_segmentation_thresholds_change_the_segments_and_are_saved(sample, tmp_path):
    ss = Session(sample, settings.Settings(), "sample")
    before = ss.segments()
    assert (before["segment"] != "unclear").any()
    # stand_out above z_clip (3.0): no family score (a weighted mean of clipped
    # standardised values) can reach it, so no key account has a driver
    ss.set_segmentation(stand_out=3.5)
    assert (ss.segments()["segment"] == "unclear").all()
    assert ss.price_sensitive_ids() == []
    d = ss.decisions(now=NOW)
    assert d.segmentation == {"stand_out": 3.5}
    back = decisions.load_decisions(ss.save(tmp_path / "d.toml", now=NOW))
    assert back.segmentation == {"stand_out": 3.5}
    assert ss.settings_now().segmentation.stand_out == 3.5
    with pytest.raises(settings.SettingsError, match="min_coverage is a share"):
        ss.set_segmentation(min_coverage=1.5)
    assert ss.segmentation == {"stand_out": 3.5}  # a refused value changes nothing
    ss.set_segmentation(stand_out=ss.base.segmentation.stand_out)  # back at the start
    assert ss.segmentation == {} and ss.decisions(now=NOW).segmentation == {}
    pd.testing.assert_frame_equal(ss.segments(), before)


def test_prepared_session_is_the_computed_one(tmp_path, monkeypatch):
    from kamlib.workshop import prepared

    monkeypatch.setenv(prepared.ENV_PREPARED, str(tmp_path))
    path = prepared.prepare("sample")
    assert path.parent == tmp_path and path.stat().st_size > 0
    assert prepared.prepare("sample") == path  # once
    fast = prepared.load_session("sample")
    slow = load_session("sample")
    pd.testing.assert_frame_equal(fast.facts, slow.facts)
    pd.testing.assert_frame_equal(fast.ka, slow.ka)
    pd.testing.assert_frame_equal(fast.segments(), slow.segments())
    # another settings file is another key: not prepared, computed
    other = tmp_path / "s.toml"
    other.write_text("[selection.key_accounts]\nmin_score = 70.0\n")
    assert prepared.cache_path("sample", other) != path
    assert not prepared.cache_path("sample", other).exists()
    assert prepared.load_session("sample", other).base.selection.key_accounts.min_score == 70
    # switched off (kam workshop's prepare=False): never read
    monkeypatch.setenv(prepared.ENV_PREPARED, "off")
    path.write_bytes(b"not a pickle")
    assert len(prepared.load_session("sample").ka) == len(slow.ka)


def test_other_data_takes_its_own_last_year(tmp_path):
    from kamlib import generate

    generate.write_dataset(generate.GeneratorConfig(n_customers=20, years=2, end_year=2019,
                                                    seed=5), tmp_path / "d",
                           answer_key_dir=tmp_path / "k")
    ss = load_session(tmp_path / "d")
    assert ss.s.period.analysis_year == 2019
    assert len(ss.key_table()) == len(ss.key_ids)


def test_app_widgets_recompute_and_save(monkeypatch, tmp_path):
    """The widget tree in a kernel-less Python: the same callbacks the page triggers."""
    monkeypatch.delenv("KAM_HEADLESS", raising=False)
    box = workshop_app.workshop_app("sample", decisions_file=str(tmp_path / "d.toml"))
    a = box.app
    assert "300 customers" in a.data_status.value
    before = a.key_table.value
    c = a.key_widget.controls
    c["weight_revenue"].value = 0.0
    c["weight_profit"].value = 0.0
    c["weight_cooperation"].value = 5.0
    assert c["goal"].value == "custom"
    assert a.key_table.value != before
    seg_before = a.segment_view.value
    a.seg_stand_out.value = 1.5
    assert a.segment_view.value != seg_before and "stand out 1.5" in a.seg_status.value
    a.seg_rule.value = "margin"
    assert not a.seg_margin.disabled
    a.tabs.selected_index = 2
    cost_before = a.cost.value
    # every customer of the schedule reaches the first tier, and every tier pays more:
    # the cost must rise whatever tier each customer stood in before
    a.schedule_widget.controls["thresholds"][0].value = 0.0
    for r in a.schedule_widget.controls["rates"]:
        r.value = r.value + 1.0
    assert a.cost.value != cost_before and "kam-cost-value" in a.cost.value
    a.tabs.selected_index = 3
    a._save()
    assert "Saved to" in a.save_status.value
    d = decisions.load_decisions(tmp_path / "d.toml")
    assert d.weights["cooperation"] == 5.0 and "revenue" not in d.weights
    assert d.schedule.tiers[0].threshold == 0.0
    assert d.schedule.description.startswith("Agreed in the workshop of ")
    assert d.segmentation == {"stand_out": 1.5, "mixed_rule": "margin"}


def test_bad_data_is_explained_in_the_page(monkeypatch, tmp_path):
    monkeypatch.delenv("KAM_HEADLESS", raising=False)
    (tmp_path / "customers.csv").write_text("customer_id,customer_name\nC1,A\n")
    box = workshop_app.workshop_app(str(tmp_path))
    assert "cannot be used yet" in box.app.data_status.value
    assert "orders" in box.app.data_status.value
    assert box.app.tabs.layout.display == "none"


def test_headless_runs_show_a_note(monkeypatch):
    monkeypatch.setenv("KAM_HEADLESS", "1")
    assert "workshop_app" in repr(workshop_app.workshop_app("sample"))


def test_voila_command_culls_idle_kernels_and_listens_locally():
    cmd = serve.voila_command(8870, preheat=3, cull_idle=120)
    assert "--Voila.ip=127.0.0.1" in cmd and "--port=8870" in cmd
    assert "--MappingKernelManager.cull_idle_timeout=120" in cmd
    assert "--MappingKernelManager.cull_connected=False" in cmd
    assert "--preheat_kernel=True" in cmd and "--pool_size=3" in cmd
    assert "--preheat_kernel=True" not in serve.voila_command(8870)
    # the page's Content-Security-Policy comes from the config file in CONFIG_DIR
    assert f"--Voila.config_file_paths={serve.CONFIG_DIR}" in cmd
    text = (serve.CONFIG_DIR / "voila.py").read_text()
    assert "CONTENT_SECURITY_POLICY" in text and "tornado_settings" in text
    assert "default-src 'self'" in serve.CONTENT_SECURITY_POLICY


def test_app_environment_has_absolute_paths_and_is_not_headless(monkeypatch, tmp_path):
    monkeypatch.setenv("KAM_HEADLESS", "1")
    env = serve.app_environment("sample", decisions_file="d.toml")
    assert "KAM_HEADLESS" not in env
    assert env[workshop_app.ENV_DATA] == "sample"
    assert env[workshop_app.ENV_DECISIONS].endswith("/d.toml")
    assert env[workshop_app.ENV_DECISIONS].startswith("/")


def test_kam_workshop_refuses_missing_data(tmp_path, capsys):
    from kamlib import cli

    assert cli.main(["workshop", "--data", str(tmp_path / "none")]) == 2
    assert "no data at" in capsys.readouterr().err
