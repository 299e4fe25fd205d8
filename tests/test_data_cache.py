"""kamlib.data.cache: the data read and validated once for every chapter of a run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from kamlib import data
from kamlib.data import cache

TABLES = ("customers", "products", "orders", "interactions", "contacts", "assessments",
          "rebates")


@pytest.fixture()
def export(tmp_path) -> Path:
    """A copy of the bundled sample as a company's export folder (CSV)."""
    folder = tmp_path / "export"
    shutil.copytree(data.SAMPLE_DIR, folder)
    return folder


@pytest.fixture()
def no_run(monkeypatch):
    monkeypatch.delenv(cache.ENV, raising=False)


def _same(a, b) -> None:
    for t in TABLES:
        pd.testing.assert_frame_equal(getattr(a, t), getattr(b, t), check_exact=True)
        assert getattr(a, t).dtypes.equals(getattr(b, t).dtypes)
    assert (a.source, a.notes, a.available, a.given) == (b.source, b.notes, b.available,
                                                         b.given)


def test_outside_a_run_nothing_is_cached(no_run, tmp_path):
    assert cache.folder_in_use() is None
    assert cache.cached_load("sample") is None
    assert cache.cached_check("sample") is None


def test_the_run_copy_is_the_same_data_and_report(no_run, tmp_path, monkeypatch, export):
    fresh = data.load(export)
    report = data.check(export)
    folder = tmp_path / "cache"
    folder.mkdir()
    written = cache.store(folder, export)
    assert sorted(p.name.split(".")[1] for p in written) == ["data", "report"]
    monkeypatch.setenv(cache.ENV, str(folder))
    copy = data.load(export)  # through the hook in data.load
    _same(copy, fresh)
    # read once per process: the chapter and its exercise checks get the same tables
    assert data.load(export) is copy
    checked = data.check(export)
    assert checked == report and checked.text() == report.text()
    # another source (the sample itself) is not in the cache: loaded as usual
    assert cache.cached_load("sample") is None
    _same(data.load("sample"), data.load(data.SAMPLE_DIR))


def test_a_changed_file_is_never_served_from_the_cache(no_run, tmp_path, monkeypatch,
                                                        export):
    folder = tmp_path / "cache"
    folder.mkdir()
    cache.store(folder, export)
    monkeypatch.setenv(cache.ENV, str(folder))
    assert cache.cached_load(export) is not None
    before = cache.fingerprint(export)
    # drop the last customer's lines: same files, one smaller
    orders = export / "orders.csv"
    lines = orders.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = data.load(export)  # the copy this process holds
    orders.write_text("".join(lines[:-1]), encoding="utf-8")
    assert cache.fingerprint(export) != before
    assert cache.cached_load(export) is None and cache.cached_check(export) is None
    assert len(data.load(export).orders) == len(lines) - 2  # read afresh: header, one less
    assert len(kept.orders) == len(lines) - 1
    # only the modification time changes: a miss too
    cache.store(folder, export)
    assert cache.cached_load(export) is not None
    st = orders.stat()
    os.utime(orders, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert cache.cached_load(export) is None
    # a file added to the folder, or a different column map: a miss
    cache.store(folder, export)
    assert cache.cached_load(export, {"net_amount": "Netwr"}) is None
    (export / "extra.csv").write_text("a\n1\n", encoding="utf-8")
    assert cache.cached_load(export) is None


def test_a_source_with_problems_keeps_its_report_and_still_raises(no_run, tmp_path,
                                                                  monkeypatch, export):
    (export / "orders.csv").write_text("customer_id,order_date\nC1,not a date\n",
                                       encoding="utf-8")
    expected = data.check(export)
    assert not expected.ok
    folder = tmp_path / "cache"
    folder.mkdir()
    written = cache.store(folder, export)
    assert [p.name.split(".")[1] for p in written] == ["report"]  # no data stored
    monkeypatch.setenv(cache.ENV, str(folder))
    assert data.check(export) == expected
    with pytest.raises(data.DataError) as err:
        data.load(export)
    assert str(err.value) == expected.problems_text()


def test_an_unreadable_entry_is_ignored(no_run, tmp_path, monkeypatch, export):
    folder = tmp_path / "cache"
    folder.mkdir()
    [_, entry] = sorted(cache.store(folder, export))  # data, report
    entry.write_bytes(b"not a pickle")
    monkeypatch.setenv(cache.ENV, str(folder))
    assert cache.cached_check(export) is None
    assert data.check(export).ok


def test_the_run_folder_is_private_and_removed_whatever_happens(no_run, tmp_path, export):
    out = tmp_path / "out"
    with cache.shared_for_run(out, export) as folder:
        assert folder.parent == out and folder.name.startswith(cache.PREFIX)
        assert os.environ[cache.ENV] == str(folder)
        assert (folder.stat().st_mode & 0o077) == 0  # the owner's only
        assert len(list(folder.iterdir())) == 2
        _same(data.load(export), cache.compute(export)[1])
    assert not folder.exists() and list(out.iterdir()) == []
    assert cache.ENV not in os.environ
    with pytest.raises(RuntimeError, match="a chapter broke"):
        with cache.shared_for_run(out, export, warm=False) as folder:
            raise RuntimeError("a chapter broke")
    assert not folder.exists() and list(out.iterdir()) == []
    assert cache.ENV not in os.environ


def test_a_folder_left_by_a_killed_run_is_removed_by_the_next(no_run, tmp_path):
    out = tmp_path / "out"
    left = out / f"{cache.PREFIX}abc123"
    left.mkdir(parents=True)
    (left / "x.data.kamdata.pickle").write_bytes(b"customer data")
    (out / "01_chapter.ipynb").write_text("{}", encoding="utf-8")
    assert cache.remove_stale(out) == [left]
    assert sorted(p.name for p in out.iterdir()) == ["01_chapter.ipynb"]
    with cache.shared_for_run(out, "sample", warm=False):
        pass
    assert sorted(p.name for p in out.iterdir()) == ["01_chapter.ipynb"]


def test_a_run_stopped_with_kill_removes_its_folder(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "out"
    code = ("import sys, time\nfrom kamlib.data import cache\n"
            f"with cache.shared_for_run({str(out)!r}, warm=False) as f:\n"
            "    print(f, flush=True)\n    time.sleep(60)\n")
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    folder = Path(p.stdout.readline().strip())
    assert folder.is_dir() and folder.parent == out
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=30) == 128 + signal.SIGTERM
    time.sleep(0.1)
    assert not folder.exists() and list(out.iterdir()) == []


def test_no_room_for_the_folder_means_no_sharing(no_run, tmp_path, monkeypatch):
    import tempfile

    def refuse(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    with cache.shared_for_run(tmp_path / "out", "sample") as folder:
        assert folder is None and cache.folder_in_use() is None
    assert list((tmp_path / "out").iterdir()) == []


def _new_kernel(monkeypatch):
    """What a chapter's fresh kernel sees: nothing read, nothing remembered."""
    from kamlib import measures, segmentation, selection

    monkeypatch.setattr(cache, "_IN_PROCESS", {})
    for memo in (selection._KA_MEMO, segmentation._INDICATOR_MEMO, measures._SUMS_MEMO):
        memo.clear()


def test_results_of_the_run_data_are_shared_with_the_next_chapters(no_run, tmp_path,
                                                                    monkeypatch, export):
    """A key-account list, the segmentation indicators and the yearly sums computed from
    the run's copy of the data are stored beside it, and the next chapter (a fresh
    kernel) reads them instead of computing them: the same tables. A table the chapter
    changed, other settings, or the data outside a run are never served from there."""
    import dataclasses

    from kamlib import measures, segmentation, selection, settings

    folder = tmp_path / "cache"
    folder.mkdir()
    cache.store(folder, export)
    monkeypatch.setenv(cache.ENV, str(folder))
    _new_kernel(monkeypatch)
    kd = data.load(export)
    s = settings.for_data(settings.load(None), kd)
    ka = selection.key_accounts(kd, s)
    seg = segmentation.segments(kd, s)
    cy = measures.customer_year(kd.orders)
    kinds = sorted(p.name.split(".")[1] for p in folder.glob("*" + cache.RESULT_SUFFIX))
    assert {"key_accounts", "indicators", "sums", "activity"} <= set(kinds)

    _new_kernel(monkeypatch)  # the next chapter
    kd2 = data.load(export)
    assert kd2 is not kd
    monkeypatch.setattr(selection, "decide", lambda *a, **k: pytest.fail("computed again"))
    monkeypatch.setattr(measures, "_aggregate", lambda *a, **k: pytest.fail("summed again"))
    pd.testing.assert_frame_equal(selection.key_accounts(kd2, s), ka)
    pd.testing.assert_frame_equal(measures.customer_year(kd2.orders), cy)
    from kamlib import features

    monkeypatch.setattr(features, "window_indicators",
                        lambda *a, **k: pytest.fail("indicators computed again"))
    pd.testing.assert_frame_equal(segmentation.segments(kd2, s), seg)
    monkeypatch.undo()

    # not from the store: a changed table, other settings, the data outside a run
    monkeypatch.setenv(cache.ENV, str(folder))
    _new_kernel(monkeypatch)
    kd3 = data.load(export)
    fewer = dataclasses.replace(kd3, orders=kd3.orders.iloc[: len(kd3.orders) // 2])
    assert cache.shared_result("sums", (fewer.orders,), ("customer_year",)) is None
    assert len(measures.customer_year(fewer.orders)) < len(cy)
    other = settings.replace(s, "selection.key_accounts.min_score", 90.0)
    assert cache.shared_result("key_accounts", tuple(
        getattr(kd3, n) for n in selection._KA_TABLES),
        selection._memo_key(kd3, other)[1:]) is None
    monkeypatch.delenv(cache.ENV)
    assert cache.shared_result("sums", (kd3.orders,), ("customer_year",)) is None


def test_an_entry_maps_the_frames_copy_on_write(tmp_path):
    """An entry gives back the same frames (every dtype the data model uses), their
    numbers point into the mapped file, a chapter can change its copy and the file (and
    the next chapter's copy) stay as written; an entry of the older layout (a plain
    pickle) or one cut short is refused, so the data is loaded as if it were absent."""
    import pickle

    import numpy as np

    frame = pd.DataFrame({
        "customer_id": pd.array(["C1", None, "Ä"], dtype="string"),
        "kg": [1.5, np.nan, 3.0], "n": pd.array([1, None, 3], dtype="Int64"),
        "ok": pd.array([True, None, False], dtype="boolean"), "flag": [True, False, True],
        "day": pd.to_datetime(["2024-01-02", None, "2025-12-31"]),
        "tier": pd.Categorical(["A", "B", "A"]), "note": ["x", None, 3],
        "big": np.arange(3, dtype="int64") * 10**12,
    }, index=pd.Index(["r1", "r2", "r3"], name="row"))
    frame.attrs["source"] = "test"
    entry = tmp_path / f"k{cache.SUFFIX}"
    cache._write(entry, "k", {"orders": frame, "n": 7, "arr": np.arange(1000.0)})
    first = cache._read(entry)
    assert first["key"] == "k" and first["value"]["n"] == 7
    got = first["value"]["orders"]
    pd.testing.assert_frame_equal(got, frame)
    assert got.attrs == {"source": "test"}
    arr = first["value"]["arr"]
    assert not arr.flags.owndata and arr.flags.writeable  # a view of the mapped file
    assert arr.ctypes.data % 64 == 0
    before = entry.read_bytes()
    got.loc["r1", "kg"] = -1.0
    arr[2] = -2.0
    assert entry.read_bytes() == before
    again = cache._read(entry)["value"]
    pd.testing.assert_frame_equal(again["orders"], frame)
    assert again["arr"][2] == 2.0 and arr[2] == -2.0

    old = tmp_path / f"old{cache.SUFFIX}"
    old.write_bytes(pickle.dumps({"key": "k", "value": frame}))
    with pytest.raises(ValueError, match="not a kamlib cache entry"):
        cache._read(old)
    short = tmp_path / f"short{cache.SUFFIX}"
    short.write_bytes(before[: len(before) // 2])
    with pytest.raises(ValueError, match="cut short"):
        cache._read(short)


def test_the_warm_up_shares_the_first_results_of_a_large_export(no_run, tmp_path,
                                                                 monkeypatch, export):
    """On a large export the warm-up of a run (kamlib.runner.share_first, called by
    cache._warm after storing the data) computes the setting-free results the chapters
    ask for first; a chapter's fresh kernel then reads them - the yearly and monthly sums, the
    activity counts of the analysis year, the review's windows and health - without a
    pass over the lines, and gets what it would have computed. A small export shares
    nothing (its chapters compute them in well under a second)."""
    from kamlib import activity_facts as af
    from kamlib import measures, review, runner, settings

    folder = tmp_path / "cache"
    folder.mkdir()
    monkeypatch.setenv(cache.ENV, str(folder))  # _warm sets it (in its own process)
    monkeypatch.setattr(measures, "SQL_FROM_LINES", 10**12)
    cache._warm(str(folder), str(export), None, "kamlib.runner:share_first")
    assert not list(folder.glob("*" + cache.RESULT_SUFFIX))  # small: nothing shared

    for p in folder.iterdir():
        p.unlink()
    monkeypatch.setattr(measures, "SQL_FROM_LINES", 0)  # as if it were large
    _new_kernel(monkeypatch)
    af._MEMO.clear()
    cache._warm(str(folder), str(export), None, "kamlib.runner:share_first")
    kinds = sorted({p.name.split(".")[1] for p in folder.glob("*" + cache.RESULT_SUFFIX)})
    assert kinds == ["activity", "sums"]  # review windows are activity results

    monkeypatch.setenv(cache.ENV, str(folder))
    _new_kernel(monkeypatch)  # a chapter's kernel
    af._MEMO.clear()
    kd = data.load(export)
    s = settings.for_data(settings.load(None), kd)
    year = s.period.analysis_year
    for name in ("_aggregate", "_aggregate_sql", "_aggregate_pandas",
                 "_customer_month_sql", "_customer_month_pandas"):
        monkeypatch.setattr(measures, name, lambda *a, **k: pytest.fail("summed again"))
    monkeypatch.setattr(af, "_activity_facts", lambda *a, **k: pytest.fail("counted again"))
    monkeypatch.setattr(af, "_review_windows", lambda *a, **k: pytest.fail("windows again"))
    cy = measures.customer_year(kd.orders)
    cm = measures.customer_month(kd.orders)
    act = af.activity_facts(kd, [year])
    shared_health = review.health(kd, s)
    monkeypatch.undo()  # the environment as before the test: no run

    assert cache.ENV not in os.environ  # the same, computed outside a run
    _new_kernel(monkeypatch)
    af._MEMO.clear()
    own = data.load(export)
    pd.testing.assert_frame_equal(cy, measures._aggregate(own.orders, ["customer_id", "year"],
                                                          sql_from_lines=0))
    pd.testing.assert_frame_equal(cm, measures._customer_month_sql(
        own.orders[["customer_id", "year", "month", *measures.MONTH_COLUMNS]]))
    pd.testing.assert_frame_equal(act.interactions, af._activity_facts(own, [year]).interactions)
    pd.testing.assert_frame_equal(shared_health, review.health(own, s))
    assert runner.share_first(str(export)) == []  # outside a run: nothing to share with
    af._MEMO.clear()
