"""How fast are the key-account reports? Three ways side by side, per report.

    .venv/bin/python benchmarks/bench_reports.py            # 20 accounts, 3 for the naive loop
    .venv/bin/python benchmarks/bench_reports.py --accounts 55 --naive 3 --workers 2

(a) the naive loop: per account, the papermill CLI executes the template, then the
    nbconvert CLI writes HTML (what a first script would do);
(b) our runner: ``kamlib.reports.run_batch`` (kept kernel per worker, cached portfolio,
    own HTML writer), ``--workers`` processes, forced (nothing skipped);
(c) the floor: the same section functions in one fresh process, no kernel, no
    papermill: import, load, portfolio once, then every report rendered and written.

Figures are wall time per report; (b) and (c) include their one-time start-up (kernels,
imports, loading the data) spread over the accounts, as a user waits for it. The goal
(issue 7): (b) within 2x of (c), and (a) at least 10x (b). Prints both ratios and
whether the goal is met; exit code 0 either way (a benchmark reports, it does not fail
the build), 1 only if a run failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

FLOOR_SCRIPT = r"""
import sys, time
t0 = time.perf_counter()
from pathlib import Path
from kamlib import notebook, report_sections as rs, report_html as H
notebook.setup()
out = Path(sys.argv[1]); ids = sys.argv[2].split(",")
p = rs.portfolio("sample")
t1 = time.perf_counter()
for cid in ids:
    a = rs.account(cid, "sample")
    page = H.document(f"Key account plan: {a.name}", "\n".join(rs.render_all(a)))
    (out / f"{cid}.html").write_text(page, encoding="utf-8")
t2 = time.perf_counter()
print(f"{t2 - t0:.3f} {t2 - t1:.3f} {t1 - t0:.3f}")
"""


def key_ids(n: int) -> list[str]:
    from kamlib import data, selection, settings

    kd = data.load("sample")
    ka = selection.key_accounts(kd, settings.Settings())
    ka = ka.loc[ka["is_key"].astype(bool)].sort_values("revenue", ascending=False)
    return [str(i) for i in ka.index[:n]]


def naive(ids: list[str], tmp: Path) -> float:
    """papermill CLI + nbconvert CLI per account; seconds per report."""
    from kamlib import reports

    env = dict(os.environ, JUPYTER_PLATFORM_DIRS="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
    env.pop("MPLBACKEND", None)
    t0 = time.perf_counter()
    for cid in ids:
        nb = tmp / f"naive_{cid}.ipynb"
        subprocess.run([str(BIN / "papermill"), str(reports.DEFAULT_TEMPLATE), str(nb),
                        "-p", "customer_id", cid, "-k", "python3", "--no-progress-bar",
                        "--log-level", "ERROR"], check=True, env=env,
                       capture_output=True)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                        str(nb)], check=True, env=env, capture_output=True)
    return (time.perf_counter() - t0) / len(ids)


def runner(ids: list[str], tmp: Path, workers: int) -> float:
    from kamlib import reports

    t0 = time.perf_counter()
    res = reports.run_batch(data="sample", accounts=",".join(ids), out=tmp / "runner",
                            workers=workers, force=True, progress=False)
    dt = time.perf_counter() - t0
    if res.failed:
        raise SystemExit(f"runner failed: {res.failed}")
    return dt / len(ids)


def floor(ids: list[str], tmp: Path) -> tuple[float, float, float]:
    out = tmp / "floor"
    out.mkdir()
    r = subprocess.run([sys.executable, "-c", FLOOR_SCRIPT, str(out), ",".join(ids)],
                       check=True, capture_output=True, text=True,
                       env=dict(os.environ, MPLBACKEND="Agg"))
    total, loop, setup = (float(x) for x in r.stdout.split())
    return total / len(ids), loop / len(ids), setup


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=20,
                    help="key accounts for the runner and the floor (default 20)")
    ap.add_argument("--naive", type=int, default=3,
                    help="accounts for the slow naive loop (default 3; 0 skips it)")
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args(argv)
    ids = key_ids(a.accounts)
    print(f"Account plans on the bundled data: {len(ids)} key accounts "
          f"(naive loop on {min(a.naive, len(ids))}), {a.workers} workers, "
          f"{os.cpu_count()} cores.", flush=True)
    with tempfile.TemporaryDirectory(prefix="kam-bench-") as d:
        tmp = Path(d)
        f_total, f_loop, f_setup = floor(ids, tmp)
        print(f"(c) floor, one process, no kernel : {f_total:6.2f} s/report "
              f"(render {f_loop:.2f} s/report + start-up {f_setup:.1f} s once)", flush=True)
        r = runner(ids, tmp, a.workers)
        print(f"(b) kam reports runner            : {r:6.2f} s/report "
              f"(wall time incl. start-up, {a.workers} workers)", flush=True)
        n = naive(ids[: a.naive], tmp) if a.naive > 0 else None
        if n is not None:
            print(f"(a) naive papermill + nbconvert   : {n:6.2f} s/report", flush=True)
    print()
    print(f"runner / floor = {r / f_total:5.2f}   (goal <= 2)   "
          f"{'MET' if r <= 2 * f_total else 'MISSED'}")
    if n is not None:
        print(f"naive / runner = {n / r:5.1f}   (goal >= 10)  "
              f"{'MET' if n >= 10 * r else 'MISSED'}")
    print(f"(runner / floor's steady-state rendering alone = {r / f_loop:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
