"""Benchmark: each chapter on a large export, against the goals (under 1 minute, under 3 MB).

    .venv/bin/python benchmarks/bench_chapters.py                       # 50,000 customers x 10 years
    .venv/bin/python benchmarks/bench_chapters.py --profile customers_20000
    .venv/bin/python benchmarks/bench_chapters.py --data DIR [--settings FILE]
    .venv/bin/python benchmarks/bench_chapters.py --profile customers_20000 --only 00 01
    .venv/bin/python benchmarks/bench_chapters.py --profile customers_20000 --no-share  # before

Runs the chapters as ``kam chapters --workers 1`` does (one at a time, each in its own
kernel, so that one chapter's time is its own), on data generated once into the
git-ignored ``benchmarks/data/`` (``--customers N --years Y``: the generator with seed 1,
Parquet only, as ``bench_scale.py``; ``--profile NAME``: an export profile of
``kam data generate``). The data is read and validated once for all chapters
(:mod:`kamlib.data.cache`) with the setting-free results the chapters ask for first
(:func:`kamlib.runner.share_first`), timed on its own; ``--no-share`` makes every chapter load
and validate the data itself, as before the cache.

Prints, per chapter: wall time, the sum of its cells' times, its slowest cell, and the
executed notebook's size, each next to the goal (issue 14: under 1 minute and under
3 MB on 50,000 customers), plus the machine's load average before and after (on a
shared machine the wall times are several times a quiet machine's). Results go to
``benchmarks/data/chapters_<name>.json``. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
sys.path.insert(0, str(ROOT))

GOAL_SECONDS = 60.0
GOAL_BYTES = 3 * 10**6


def _load() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def dataset(a) -> tuple[Path, str, str | None]:
    """(data folder, name, settings file or None), generating the data once."""
    if a.data:
        return Path(a.data).resolve(), Path(a.data).name, a.settings
    if a.profile:
        name = f"profile_{a.profile}"
        args = ["--profile", a.profile]
    else:
        name = f"scale_{a.customers}x{a.years}"
        args = ["--customers", str(a.customers), "--years", str(a.years), "--seed", "1",
                "--answer-key", str(HERE / "data" / f"{name}_key"), "--parquet", "--no-csv"]
    folder = (HERE / "data" / name).resolve()  # as kam chapters passes it to the chapters
    if not any(folder.glob("orders.*")):
        print(f"generating {name} (once) ...", flush=True)
        t = time.perf_counter()
        subprocess.run([PY, "-m", "kamlib.cli", "data", "generate", *args, "--out",
                        str(folder)], cwd=ROOT, check=True)
        print(f"  {time.perf_counter() - t:.0f} s", flush=True)
    settings = a.settings or (str(folder / "kam_settings.toml")
                              if (folder / "kam_settings.toml").is_file() else None)
    return folder, name, settings


def _cells(path: Path) -> tuple[float, float, str]:
    """(sum of the cells' times, slowest cell's time, its first line) of an executed
    notebook (papermill's per-cell durations)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    rows = []
    for c in nb["cells"]:
        if c["cell_type"] != "code":
            continue
        src = c["source"] if isinstance(c["source"], str) else "".join(c["source"])
        first = next((ln for ln in src.splitlines()
                      if ln.strip() and not ln.startswith("# NBVAL")), "")
        rows.append((float(c.get("metadata", {}).get("papermill", {}).get("duration")
                           or 0.0), first.strip()[:60]))
    if not rows:
        return 0.0, 0.0, ""
    worst = max(rows)
    return sum(r[0] for r in rows), worst[0], worst[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=50_000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--profile", default=None, help="an export profile, e.g. customers_20000")
    ap.add_argument("--data", default=None, help="an export folder instead of generating")
    ap.add_argument("--settings", default=None)
    ap.add_argument("--only", nargs="*", default=None, help="chapter numbers, e.g. 00 01")
    ap.add_argument("--no-share", action="store_true",
                    help="every chapter loads and validates the data itself (before)")
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args()

    from kamlib import runner
    from kamlib.data import cache

    folder, name, settings = dataset(a)
    out = HERE / "data" / f"chapters_{name}_out"
    print(f"chapters on {folder} ({'each loads itself' if a.no_share else 'data shared'}), "
          f"load average before: {_load()}", flush=True)
    started = time.perf_counter()
    shared_s = 0.0
    if a.no_share:
        results = runner.run_chapters(out, workers=a.workers, data_source=folder,
                                      settings_file=settings, share_data=False, only=a.only)
    else:
        t = time.perf_counter()
        with cache.shared_for_run(out, folder, then=runner.WARM_UP) as _:
            shared_s = time.perf_counter() - t
            print(f"data read and validated once: {shared_s:.1f} s", flush=True)
            results = runner.run_chapters(out, workers=a.workers, data_source=folder,
                                          settings_file=settings, share_data=False,
                                          only=a.only)
    total = time.perf_counter() - started
    rows = []
    print(f"\n{'chapter':<34} {'wall':>7} {'cells':>7}  {'goal':>5}  {'size':>8}  {'goal':>5}"
          "  slowest cell")
    for r in results:
        size = r.output_path.stat().st_size if r.output_path.exists() else 0
        cells, worst_s, worst = _cells(r.output_path) if size else (0.0, 0.0, "")
        ok_t = "ok" if r.seconds < GOAL_SECONDS else "OVER"
        ok_b = "ok" if size < GOAL_BYTES else "OVER"
        print(f"{r.name:<34} {r.seconds:6.1f}s {cells:6.1f}s  {ok_t:>5}  "
              f"{size / 1e6:6.2f}MB  {ok_b:>5}  {worst_s:5.1f}s {worst}"
              + ("" if r.ok else "  (FAILED)"))
        rows.append({"chapter": r.name, "ok": r.ok, "seconds": round(r.seconds, 1),
                     "cell_seconds": round(cells, 1), "bytes": size,
                     "slowest_cell": worst, "slowest_cell_seconds": round(worst_s, 1)})
    print(f"\nshared load {shared_s:.1f} s; whole run {total:.1f} s; "
          f"load average after: {_load()}")
    res = HERE / "data" / f"chapters_{name}{'_noshare' if a.no_share else ''}.json"
    res.write_text(json.dumps({"data": str(folder), "shared_load_seconds": round(shared_s, 1),
                               "total_seconds": round(total, 1), "chapters": rows,
                               "load_average_after": _load()}, indent=2) + "\n")
    print(f"results: {res}")


if __name__ == "__main__":
    main()
