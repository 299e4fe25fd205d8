"""What keeps the chapters fast on a large export: the segmentation indicators computed
once per loaded data and indicator settings (kamlib.segmentation._all_indicators)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from kamlib import data, features, segmentation, settings

WINDOW_INDICATORS = features.window_indicators  # the real one, uncounted


@pytest.fixture(scope="module")
def kd_s():
    kd = data.load("sample")
    s = settings.for_data(settings.load(settings.DEFAULT_SETTINGS_FILE), kd)
    return kd, s


def _counted(monkeypatch, module, name: str, memo):
    """Replace ``module.name`` by a wrapper that counts its calls; ``memo`` is emptied
    before and after. Yields the list of calls (one item per call)."""
    memo.clear()
    calls = []
    real = getattr(module, name)

    def counted(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(module, name, counted)
    yield calls
    memo.clear()


@pytest.fixture()
def passes(monkeypatch):
    """Counts the passes over the order lines (features.window_indicators)."""
    yield from _counted(monkeypatch, features, "window_indicators",
                        segmentation._INDICATOR_MEMO)


def _fresh(kd, s):
    seg, years = segmentation._sections(s, kd)
    out = WINDOW_INDICATORS(kd, seg, years, fit=segmentation._elasticity_fit)
    for name in segmentation.INDICATOR_NAMES:
        out[name] = out[name].astype(float)
    return out


def test_one_pass_for_every_question_on_the_same_data(kd_s, passes):
    kd, s = kd_s
    key = segmentation.key_account_ids(kd, s)
    first = segmentation.segments(kd, s, key)
    assert len(passes) == 1
    again = segmentation.segments(kd, s, key)
    segmentation.indicators(kd, s, key)
    segmentation.levers(kd, s, key)
    segmentation.profile(kd, s, key[0])
    # the rule's settings do not change the indicators: no new pass
    other = settings.replace(s, "segmentation.stand_out", 0.9)
    segmentation.segments(kd, other, key)
    assert len(passes) == 1
    pd.testing.assert_frame_equal(first, again)
    # the same answers as without the memo
    seg, years = segmentation._sections(s, kd)
    pd.testing.assert_frame_equal(segmentation._all_indicators(kd, seg, years),
                                  _fresh(kd, s))


def test_the_memo_gives_a_copy(kd_s, passes):
    kd, s = kd_s
    seg, years = segmentation._sections(s, kd)
    a = segmentation._all_indicators(kd, seg, years)
    a["volume_kg"] = -1.0
    b = segmentation._all_indicators(kd, seg, years)
    assert len(passes) == 1 and (b["volume_kg"] >= 0).all()


def test_other_data_or_indicator_settings_compute_again(kd_s, passes):
    kd, s = kd_s
    seg, years = segmentation._sections(s, kd)
    base = segmentation._all_indicators(kd, seg, years)
    # an indicator setting: a new pass, and its own answer
    wider = dataclasses.replace(seg, bad_delivery_window_days=seg.bad_delivery_window_days * 3)
    changed = segmentation._all_indicators(kd, wider, years)
    assert len(passes) == 2
    pd.testing.assert_frame_equal(changed, _fresh(kd, settings.replace(
        s, "segmentation.bad_delivery_window_days", seg.bad_delivery_window_days * 3)))
    # another window of years
    segmentation._all_indicators(kd, seg, years[1:])
    assert len(passes) == 3
    # equal data in another object (e.g. loaded again): never taken for the same
    other = dataclasses.replace(kd, orders=kd.orders.copy())
    n = len(passes)
    fewer = dataclasses.replace(kd, orders=kd.orders.iloc[: len(kd.orders) // 2].copy())
    half = segmentation._all_indicators(fewer, seg, years)
    assert len(passes) == n + 1
    assert half["volume_kg"].sum() < base["volume_kg"].sum()
    segmentation._all_indicators(other, seg, years)
    assert len(passes) == n + 2


# ------------------------------------------------ the key accounts, once per data and settings


@pytest.fixture()
def selections(monkeypatch):
    from kamlib import selection

    selection._FACTS_MEMO.clear()  # the facts are remembered too (whatever the goal)
    yield from _counted(monkeypatch, selection, "customer_facts", selection._KA_MEMO)
    selection._FACTS_MEMO.clear()


def test_the_key_accounts_are_computed_once_per_data_and_settings(kd_s, selections):
    from kamlib import selection

    kd, s = kd_s
    first = selection.key_accounts(kd, s)
    second = selection.key_accounts(kd, s)
    assert len(selections) == 1
    pd.testing.assert_frame_equal(first, second)
    assert first.attrs == second.attrs and first is not second
    # a copy: editing one answer leaves the next intact
    second["is_key"] = False
    second.attrs["warnings"].append("scribble")
    third = selection.key_accounts(kd, s)
    assert third["is_key"].sum() == first["is_key"].sum() > 0
    assert "scribble" not in third.attrs["warnings"]
    segmentation.key_account_ids(kd, s)
    assert len(selections) == 1
    # other settings, another data object, or facts passed in: computed again
    other = settings.replace(s, "selection.abc.top_share", 0.3)
    assert not selection.key_accounts(kd, other).equals(first)
    assert len(selections) == 2
    selection.key_accounts(dataclasses.replace(kd, orders=kd.orders.copy()), s)
    assert len(selections) == 3
    fresh = selection.decide(selection.customer_facts(kd, s), s)
    assert len(selections) == 4
    fresh.attrs["warnings"] = selection.warnings_about(fresh, s)
    pd.testing.assert_frame_equal(selection.key_accounts(kd, s), fresh)
