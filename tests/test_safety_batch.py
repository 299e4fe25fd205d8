"""Safe batches, run for real: hostile ids, stops, two batches, other years, full and
read-only disks, folders holding other files.

- customer ids with ``../``, ``/``, spaces and shell characters: every file lands in
  ``--out`` under a plain name, a failing account deletes nothing outside, the id is
  in the report and the index;
- ``kam reports`` in a subprocess, stopped with SIGTERM: exit 143, no process left (the
  workers and their kernels), no temporary file, the accounts not done recorded, and
  a rerun does only those; with SIGKILL: no process left either, the portfolio (the
  whole dataset) never in ``--out``, and the next run recovers the lock and removes
  the private temporary folder it left;
- a second batch into a folder in use is refused, naming the first;
- a report of another year is never "up to date"; a report file replaced by hand is
  redone;
- a full disk (a small tmpfs when running as root, else skipped; and a write made to
  fail with ENOSPC) and a read-only folder end in sentences;
- an ``--out`` holding other files is refused unless ``--force``.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import psutil
import pytest

from kamlib import batch_guard as guard
from kamlib import cli, paths, reports
from kamlib import report_html as H

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
pytestmark = pytest.mark.notebooks

HOSTILE = {"C0001": "../../victim", "C0002": "a/b", "C0003": "a b",
           "C0004": "x; rm -rf $(echo pwned) `id` |&", "C0005": "../../../tmp/x/pwned"}


def _template(path: Path, cells: list[str]) -> Path:
    """A small report template: the parameters cell, then ``cells``."""
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell('customer_id = "C0001"\ndata_source = "sample"\n'
                                  'settings_file = ""\nanalysis_year = 0\n'
                                  "show_personal_details = False")
    p.metadata["tags"] = ["parameters"]
    nb.cells = [p] + [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                 "display_name": "Python 3"}
    nbformat.write(nb, path)
    return path


SHOW = ("from IPython.display import HTML\nimport html\n"
        "HTML('<p>me:' + html.escape(customer_id) + '</p>'\n"
        "     + '<p>year:' + str(analysis_year) + '</p>')")


def _hostile_data(dest: Path) -> Path:
    """The bundled sample with five customer ids replaced by hostile ones."""
    dest.mkdir(parents=True)
    for f in SAMPLE.iterdir():
        if f.suffix != ".csv":
            continue
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
        if "customer_id" in df.columns:
            df["customer_id"] = df["customer_id"].replace(HOSTILE)
        df.to_csv(dest / f.name, index=False)
    return dest


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def test_hostile_ids_stay_inside_the_output_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(reports, "kamlib_fingerprint", lambda: "pinned")
    data = _hostile_data(tmp_path / "in" / "data")
    out = tmp_path / "a" / "b" / "out"
    # the files the old file names would have hit, outside the output folder
    victims = [tmp_path / "a" / "victim_customer.html", tmp_path / "a" / "victim.html",
               tmp_path / "a" / "b" / "victim.ipynb"]
    for v in victims:
        v.parent.mkdir(parents=True, exist_ok=True)
        v.write_text("not yours")
    template = _template(tmp_path / "in" / "t.ipynb", [
        SHOW, "if customer_id == '../../victim':\n    raise RuntimeError('forced')"])
    before = _files(tmp_path)
    ids = list(HOSTILE.values())
    res = reports.run_batch(data=str(data), accounts=ids, out=out, workers=1,
                            template=template, progress=False)
    assert list(res.failed) == ["../../victim"] and "forced" in res.failed["../../victim"]
    assert res.succeeded == ids[1:]
    new = _files(tmp_path) - before
    assert new and all(out.resolve() in p.resolve().parents for p in new), new
    assert all(v.read_text() == "not yours" for v in victims)
    assert not Path("/tmp/x/pwned_customer.html").exists()
    for p in new:
        assert all(c.isalnum() or c in "-_." for c in p.name), p.name
    index = (out / "index.html").read_text(encoding="utf-8")
    manifest = json.loads((out / "reports.json").read_text(encoding="utf-8"))
    for cid in ids[1:]:
        page = (out / manifest["accounts"][cid]["files"]["html"]).read_text("utf-8")
        assert f"<p>me:{H.esc(cid)}</p>" in page
        assert H.esc(cid) in index
    kept = manifest["accounts"]["../../victim"]["kept_notebook"]
    assert kept == f"failed/{paths.key_part('../../victim')}.ipynb"
    assert (out / kept).exists()


# ---------------------------------------------------------------- stops, for real


def _slow_template(tmp_path: Path, seconds: float = 1.5) -> Path:
    # the comment makes the runner hand the portfolio to the kernels (the pickle)
    return _template(tmp_path / "slow.ipynb", [
        "# uses kamlib.report_sections' portfolio\nimport time\n"
        f"time.sleep({seconds})", SHOW])


def _start(tmp_path: Path, out: Path, template: Path, ids: list[str]):
    tmp = tmp_path / "tmpdir"
    tmp.mkdir(exist_ok=True)
    env = dict(os.environ, TMPDIR=str(tmp))
    proc = subprocess.Popen(
        [sys.executable, "-m", "kamlib.cli", "reports", "--accounts", ",".join(ids),
         "--out", str(out), "--workers", "2", "--template", str(template),
         "--no-progress"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True)
    return proc, tmp


def _wait_for(what, seconds: float = 120.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        got = what()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError("timed out")


def _ok_lines(out: Path) -> list[str]:
    log = out / "run.log"
    text = log.read_text(encoding="utf-8") if log.exists() else ""
    return [ln.split()[3] for ln in text.splitlines() if ln[21:].startswith("ok     ")]


def _descendants(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def _gone(procs: list[psutil.Process], seconds: float = 20.0) -> list:
    _, alive = psutil.wait_procs(procs, timeout=seconds)
    return alive


IDS = [f"C{i:04d}" for i in range(1, 7)]


def test_sigterm_stops_workers_and_kernels_and_a_rerun_resumes(tmp_path):
    out = tmp_path / "out"
    proc, tmp = _start(tmp_path, out, _slow_template(tmp_path), IDS)
    try:
        _wait_for(lambda: _ok_lines(out))
        kids = _descendants(proc.pid)
        assert len(kids) >= 4  # 2 workers, 2 kernels (and the resource tracker)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err
    assert "stopped by SIGTERM" in err and "not done" in err
    assert "Run the same command again" in err
    assert _gone(kids) == []
    assert list(tmp.iterdir()) == []  # the private temporary folder is removed
    left = sorted(p.name for p in out.iterdir())
    assert left == sorted(["index.html", "reports.json", "run.log"]
                          + [p.name for p in out.glob("C*.html")])
    manifest = json.loads((out / "reports.json").read_text(encoding="utf-8"))["accounts"]
    done = [c for c in IDS if manifest[c]["status"] == "ok"]
    not_done = [c for c in IDS if manifest[c]["status"] == "not done"]
    assert done and not_done and len(done) + len(not_done) == len(IDS)
    assert "stopped by SIGTERM" in manifest[not_done[0]]["error"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(c in index for c in not_done)
    # the rerun does only what was not done
    again = reports.run_batch(accounts=IDS, out=out, workers=2,
                              template=tmp_path / "slow.ipynb", progress=False)
    assert again.ok and sorted(again.skipped) == sorted(done)
    assert sorted(again.written) == sorted(not_done)


def test_sigkill_leaves_no_process_and_the_next_run_cleans_up(tmp_path):
    out = tmp_path / "out"
    proc, tmp = _start(tmp_path, out, _slow_template(tmp_path), IDS)
    try:
        _wait_for(lambda: _ok_lines(out))
        kids = _descendants(proc.pid)
        assert len(kids) >= 4
        private = _wait_for(lambda: list(tmp.glob("kam-batch-*")))
        assert oct(private[0].stat().st_mode & 0o777) == "0o700"
        pkl = private[0] / "portfolio.pkl"  # the whole dataset: private, not in --out
        _wait_for(pkl.exists)
        assert oct(pkl.stat().st_mode & 0o777) == "0o600"
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert _gone(kids) == [], "workers or kernels outlived their batch"
    assert not list(out.glob("*.pkl")) and not list(out.glob(".*.pkl"))
    assert (out / guard.LOCK_NAME).exists()  # stale: its process is gone
    assert private[0].exists()
    # the next run takes the stale lock over, removes what was left, resumes
    res = reports.run_batch(accounts=IDS, out=out, workers=2,
                            template=tmp_path / "slow.ipynb", progress=False)
    assert res.ok and sorted(res.succeeded) == IDS
    assert not private[0].exists()
    assert not (out / guard.LOCK_NAME).exists()
    log = (out / "run.log").read_text(encoding="utf-8")
    assert f"recovered the lock of a batch that is gone (process {proc.pid}" in log
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_a_second_batch_into_a_folder_in_use_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    proc, _ = _start(tmp_path, out, _slow_template(tmp_path, 3), IDS[:4])
    try:
        _wait_for(lambda: (out / guard.LOCK_NAME).exists())
        with pytest.raises(guard.FolderError) as e:
            reports.run_batch(accounts="C0001", out=out, workers=1, progress=False)
        assert f"in use by another batch (process {proc.pid} of" in str(e.value)
        assert cli.main(["reports", "--accounts", "C0001", "--out", str(out),
                         "--no-progress"]) == 2
        assert "in use by another batch" in capsys.readouterr().err
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert not (out / guard.LOCK_NAME).exists()


# ------------------------------------------------------------- what "up to date" is


def test_a_report_of_another_year_is_never_up_to_date(tmp_path, monkeypatch):
    monkeypatch.setattr(reports, "kamlib_fingerprint", lambda: "pinned")
    template = _template(tmp_path / "t.ipynb", [SHOW])
    out = tmp_path / "out"
    ids = ["C0001", "C0002"]
    first = reports.run_batch(accounts=ids, out=out, workers=1, template=template,
                              progress=False, analysis_year=2025)
    assert first.written == ids
    other = reports.run_batch(accounts=ids, out=out, workers=1, template=template,
                              progress=False, analysis_year=2024)
    assert other.written == ids and other.skipped == []
    page = next(out.glob("C0001_*.html")).read_text(encoding="utf-8")
    assert "<p>year:2024</p>" in page
    same = reports.run_batch(accounts=ids, out=out, workers=1, template=template,
                             progress=False, analysis_year=2024)
    assert same.skipped == ids
    # a report of 2025 left in the folder is named as older in the index, not listed
    reports.run_batch(accounts="C0003", out=out, workers=1, template=template,
                      progress=False, analysis_year=2025)
    reports.run_batch(accounts=ids, out=out, workers=1, template=template,
                      progress=False, analysis_year=2024)
    index = (out / "index.html").read_text(encoding="utf-8")
    c3 = next(out.glob("C0003_*.html")).name
    assert "1 older report(s) made from other inputs" in index and c3 in index
    assert f'href="{c3}"' not in index
    # a report replaced by hand (or by another batch) is not this batch's: redone
    f = next(out.glob("C0002_*.html"))
    f.write_text(f.read_text(encoding="utf-8").replace("2024", "2025"), encoding="utf-8")
    redo = reports.run_batch(accounts=ids, out=out, workers=1, template=template,
                             progress=False, analysis_year=2024)
    assert redo.skipped == ["C0001"] and redo.written == ["C0002"]
    assert "<p>year:2024</p>" in f.read_text(encoding="utf-8")


# ---------------------------------------------------------------- the environment


def test_an_out_holding_other_files_is_refused_unless_force(tmp_path, capsys):
    out = tmp_path / "shared"
    out.mkdir()
    (out / "index.html").write_text("the team's own index")
    (out / "notes.txt").write_text("x")
    code = cli.main(["reports", "--accounts", "C9999", "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "holds 2 file(s) that no kam reports batch wrote" in err
    assert "index.html, notes.txt" in err and "--force" in err
    assert (out / "index.html").read_text() == "the team's own index"
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "notes.txt"]
    code = cli.main(["reports", "--accounts", "C9999", "--out", str(out), "--no-progress",
                     "--force"])
    assert code == 1  # C9999 is no customer; but the batch ran
    assert (out / "notes.txt").exists() and "C9999" in (out / "index.html").read_text()


def test_a_missing_out_is_created_and_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(reports.ReportError, match="is a file, not a folder"):
        reports.run_batch(accounts="C9999", out=tmp_path / "f", progress=False)
    res = reports.run_batch(accounts="C9999", out=tmp_path / "new" / "deep", workers=1,
                            progress=False, template=_template(tmp_path / "t.ipynb", [SHOW]))
    assert (tmp_path / "new" / "deep" / "index.html").exists() and not res.ok


def _mount_tmpfs(path: Path, options: str) -> bool:
    if os.geteuid() != 0:
        return False
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                       capture_output=True)
    return r.returncode == 0


def test_a_read_only_out_is_a_sentence(tmp_path, capsys):
    out = tmp_path / "ro"
    if not _mount_tmpfs(out, "ro,size=64k"):
        if os.geteuid() == 0:
            pytest.skip("cannot mount a read-only tmpfs here")
        out.mkdir()
        out.chmod(0o555)
    try:
        code = cli.main(["reports", "--accounts", "C0001", "--out", str(out),
                         "--no-progress"])
    finally:
        subprocess.run(["umount", str(out)], capture_output=True)
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"kam reports: cannot write into the output "
                                        f"folder {out}")
    assert "Traceback" not in err


def test_a_full_disk_stops_the_batch_with_what_was_written(tmp_path):
    """A real full disk: ``--out`` on a tmpfs with room for about one report."""
    out = tmp_path / "small"
    if not _mount_tmpfs(out, "size=256k"):
        pytest.skip("needs root to mount a small tmpfs (a full disk)")
    try:
        template = _template(tmp_path / "t.ipynb", [
            SHOW, "HTML('<p>' + 'x' * 30000 + '</p>')"])
        filler = out / "filler.bin"
        filler.write_bytes(b"\0" * (256 * 1024 - 70 * 1024))
        with pytest.raises(reports.BatchStopped) as e:  # --force: the filler is not ours
            reports.run_batch(accounts=IDS[:6], out=out, workers=1, template=template,
                              progress=False, force=True)
        msg = str(e.value)
        assert f"the disk holding {out} is full" in msg and "not done" in msg
        assert "Free some space first" in msg and "run the same command again" in msg
        res = e.value.result
        assert res.failed and not list(out.glob(".*.tmp"))
        # after freeing space, the rerun does the rest
        filler.unlink()
        again = reports.run_batch(accounts=IDS[:6], out=out, workers=1,
                                  template=template, progress=False)
        assert again.ok and sorted(again.skipped) == sorted(res.succeeded)
    finally:
        subprocess.run(["umount", str(out)], capture_output=True)


def test_a_manifest_the_disk_has_no_room_for_stops_cleanly(tmp_path, monkeypatch):
    """ENOSPC from the manifest write after the first report (any user)."""
    template = _template(tmp_path / "t.ipynb", [SHOW])
    calls = []
    real = reports._save_manifest

    def save(out, records, meta):
        calls.append(1)
        if len(calls) >= 2:  # the first write (accounts pending) fits, then full
            raise OSError(errno.ENOSPC, "No space left on device")
        real(out, records, meta)

    monkeypatch.setattr(reports, "_save_manifest", save)
    out = tmp_path / "out"
    with pytest.raises(reports.BatchStopped) as e:
        reports.run_batch(accounts=IDS[:3], out=out, workers=1, template=template,
                          progress=False)
    msg = str(e.value)
    assert "No space left on device" in msg and "not done" in msg
    assert "Free some space first" in msg
    assert not (out / guard.LOCK_NAME).exists()
    assert not list(out.glob(".*.tmp"))


def test_a_portfolio_the_temporary_disk_has_no_room_for_is_computed_by_the_kernels(
        tmp_path, monkeypatch):
    import pickle

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pickle, "dump", full)
    out = tmp_path / "out"
    res = reports.run_batch(accounts="C0001", out=out, workers=1, progress=False,
                            template=_slow_template(tmp_path, 0))
    assert res.ok
    log = (out / "run.log").read_text(encoding="utf-8")
    assert "No space left on device" in log and "each kernel computes it itself" in log
