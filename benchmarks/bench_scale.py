"""Benchmark: the whole analysis (``kam analyse``) at 50,000 customers x 10 years.

    .venv/bin/python benchmarks/bench_scale.py            # or: make bench-scale
    .venv/bin/python benchmarks/bench_scale.py --growth   # also 5,000 and 25,000 customers
    .venv/bin/python benchmarks/bench_scale.py --before   # also the separate module calls
    .venv/bin/python benchmarks/bench_scale.py --without-review   # as the goals were set

Generates the data once per size (seed 1, Parquet, into the git-ignored
``benchmarks/data/scale_<customers>x<years>/``; the generator's own time and peak memory
are measured then and kept in ``generator.json`` beside it). Then, each in its own
process so that every peak memory is that run's alone:

1. the DuckDB floor: the per-customer-year facts (kg, revenue, list revenue, cost,
   distinct orders, lines, on-time-in-full) in one plain query straight from the
   Parquet file;
2. ``kam analyse --engine duckdb`` with each stage's wall time, processor time and peak
   memory (from its ``manifest.json``: data, facts, activity, key accounts, segments,
   account table, review, rebate projection, visit plan) and the whole run's wall time,
   processor time and peak; the periodic review is included (``--without-review``
   leaves it out, as when the goals were set, before ``kamlib.review`` existed);
3. with ``--before``: the modules called one after the other as a notebook did before
   the pipeline (each recomputing what it needs), for comparison.

Prints the ratio of our facts step to the floor (wall and processor time) and the totals
(wall and processor time: on a shared machine the processor time is the steadier
measure of the work) against the goals
(whole analysis <= 10 s and <= 2 GB; facts within 2x of the floor; generator <= 2 GB).
Results go to ``benchmarks/data/scale_results.json``. Asserts nothing.
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

LAST_CPU = [0.0]
GOAL_SECONDS = 10.0
GOAL_BYTES = 2 * 2**30
GOAL_FACTS_RATIO = 2.0

FLOOR = r"""
import sys, time, duckdb
t = time.perf_counter()
con = duckdb.connect()
con.execute('SET enable_progress_bar = false')
con.execute(f'''
    SELECT customer_id, year(order_date) AS year,
           sum(delivered_kg) AS kg,
           sum(delivered_kg * net_price_per_kg) AS revenue,
           sum(delivered_kg * list_price_per_kg) AS list_revenue,
           sum(delivered_kg * unit_cost_per_kg) AS cost,
           count(DISTINCT order_id) AS orders,
           count(*) AS lines,
           avg(CASE WHEN actual_delivery_date <= promised_delivery_date
                     AND delivered_kg >= quantity_kg THEN 1.0 ELSE 0.0 END)
               FILTER (WHERE actual_delivery_date IS NOT NULL) AS otif
    FROM read_parquet('{sys.argv[1]}') GROUP BY 1, 2''').df()
print(time.perf_counter() - t)
"""

BEFORE = r"""
import sys, time, resource
from kamlib import data, measures, rebates, segmentation, selection, service, settings
s = settings.load(sys.argv[2])
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF); return r.ru_utime + r.ru_stime
def t(label, fn):
    t0, c0 = time.perf_counter(), cpu(); r = fn()
    print(f"{label}\t{time.perf_counter() - t0:.3f}\t{cpu() - c0:.3f}", flush=True); return r
kd = t("data.load", lambda: data.load(sys.argv[1]))
t("measures.customer_year", lambda: measures.customer_year(kd.orders))
ka = t("selection.key_accounts", lambda: selection.key_accounts(kd, s))
ids = [str(c) for c in ka.index[ka["is_key"]]]
t("segmentation.segments", lambda: segmentation.segments(kd, s, customers=ids))
t("rebates.account_projection", lambda: rebates.account_projection(kd, s))
acc = t("service.key_account_table", lambda: service.key_account_table(kd, s))
t("service.visit_plan", lambda: service.visit_plan(acc, s, customers=kd.customers))
"""


def run(cmd: list[str], cwd: Path | None = None) -> tuple[float, int, str]:
    """Run ``cmd``; (wall seconds, peak resident bytes of that process, stdout).
    The process's processor time (all threads) is kept in ``LAST_CPU[0]``."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, text=True)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    LAST_CPU[0] = usage.ru_utime + usage.ru_stime
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        raise SystemExit(f"failed ({p.returncode}): {' '.join(cmd)}\n{out}")
    return time.perf_counter() - t, usage.ru_maxrss * 1024, out


def gb(b: float) -> str:
    return f"{b / 2**30:.2f} GB"


def dataset(customers: int, years: int) -> tuple[Path, dict]:
    folder = HERE / "data" / f"scale_{customers}x{years}"
    info_file = folder.parent / f"scale_{customers}x{years}_generator.json"
    if not (folder / "orders.parquet").exists() or not info_file.exists():
        print(f"generating {customers:,} customers x {years} years (Parquet, once) ...",
              flush=True)
        secs, peak, _ = run([PY, "-m", "kamlib.cli", "data", "generate", "--customers",
                             str(customers), "--years", str(years), "--seed", "1",
                             "--out", str(folder), "--answer-key",
                             str(folder.parent / f"scale_{customers}x{years}_key"),
                             "--parquet", "--no-csv"], cwd=ROOT)
        info_file.write_text(json.dumps({"seconds": secs, "peak_bytes": peak}))
    return folder, json.loads(info_file.read_text())


def bench_size(customers: int, years: int, before: bool, settings: str,
               review: bool = False) -> dict:
    import pyarrow.parquet as pq

    folder, gen = dataset(customers, years)
    lines = pq.ParquetFile(folder / "orders.parquet").metadata.num_rows
    print(f"\n== {customers:,} customers x {years} years: {lines:,} order lines "
          f"(generator: {gen['seconds']:.1f} s, peak {gb(gen['peak_bytes'])})", flush=True)
    floors = []
    for _ in range(3):  # the floor is short: best of three
        wall, peak, out = run([PY, "-c", FLOOR, str(folder / "orders.parquet")])
        floors.append((float(out.strip()), peak, LAST_CPU[0]))
    floor_s, floor_peak, floor_cpu = min(floors)
    print(f"{'DuckDB floor (facts query only)':<34} {floor_s:7.2f} s  peak {gb(floor_peak)}"
          f"  (process cpu {floor_cpu:.1f} s)")

    out_dir = HERE / "data" / f"scale_{customers}x{years}_out"
    extra = [] if review else ["--without", "review"]
    wall, peak, text = run([PY, "-m", "kamlib.cli", "analyse", "--data", str(folder),
                            "--out", str(out_dir), "--engine", "duckdb",
                            "--settings", settings] + extra, cwd=ROOT)
    manifest = json.loads((out_dir / "manifest.json").read_text())
    cpu = LAST_CPU[0]
    for st in manifest["stages"]:
        print(f"  {st['stage']:<32} {st['seconds']:7.2f} s  peak {st['peak_gb']:.2f} GB"
              f"  cpu {st['cpu_seconds']:6.1f} s")
    facts = next(s["seconds"] for s in manifest["stages"] if s["stage"] == "facts")
    facts_cpu = next(s["cpu_seconds"] for s in manifest["stages"] if s["stage"] == "facts")
    # the analysis resets the kernel's peak mark per stage: the run's peak is the largest
    peak = max(peak, int(manifest["peak_gb"] * 2**30))
    print(f"{'kam analyse (whole process)':<34} {wall:7.2f} s  peak {gb(peak)}"
          f"  cpu {cpu:6.1f} s")
    res = {"customers": customers, "years": years, "order_lines": lines,
           "generator_seconds": gen["seconds"], "generator_peak_bytes": gen["peak_bytes"],
           "floor_seconds": floor_s, "floor_peak_bytes": floor_peak,
           "analyse_seconds": wall, "analyse_peak_bytes": peak, "analyse_cpu_seconds": cpu,
           "floor_cpu_seconds": floor_cpu,
           "stages": manifest["stages"], "facts_seconds": facts,
           "facts_over_floor": facts / floor_s, "facts_cpu_seconds": facts_cpu,
           "facts_cpu_over_floor": facts_cpu / max(floor_cpu, 1e-9),
           "review": review}
    if before:
        wall_b, peak_b, text_b = run([PY, "-c", BEFORE, str(folder), settings], cwd=ROOT)
        cpu_b = LAST_CPU[0]
        rows = [line.split("\t") for line in text_b.strip().splitlines()]
        print("before (the modules called one after the other):")
        for label, secs, c in rows:
            print(f"  {label:<32} {float(secs):7.2f} s                cpu {float(c):6.1f} s")
        print(f"{'  whole process':<34} {wall_b:7.2f} s  peak {gb(peak_b)}  cpu {cpu_b:6.1f} s")
        res["before"] = {"stages": {k: [float(v), float(c)] for k, v, c in rows},
                         "seconds": wall_b, "peak_bytes": peak_b, "cpu_seconds": cpu_b}
    return res


def verdict(r: dict) -> None:
    def ok(x: bool) -> str:
        return "meets" if x else "MISSES"

    print(f"\n== against the goals ({r['customers']:,} customers, {r['order_lines']:,} lines)")
    what = "with the review" if r.get("review") else "without the review"
    print(f"whole analysis time   {r['analyse_seconds']:7.2f} s   goal <= {GOAL_SECONDS:.0f} s"
          f"    {ok(r['analyse_seconds'] <= GOAL_SECONDS)}  ({what}; wall, load "
          f"{os.getloadavg()[0]:.1f})")
    print(f"  processor time      {r['analyse_cpu_seconds']:7.2f} s   goal <= "
          f"{GOAL_SECONDS:.0f} s    {ok(r['analyse_cpu_seconds'] <= GOAL_SECONDS)}")
    print(f"whole analysis memory {gb(r['analyse_peak_bytes']):>9}   goal <= 2 GB"
          f"    {ok(r['analyse_peak_bytes'] <= GOAL_BYTES)}")
    print(f"facts / DuckDB floor  {r['facts_over_floor']:7.2f} x   goal <= {GOAL_FACTS_RATIO:.0f} x"
          f"     {ok(r['facts_over_floor'] <= GOAL_FACTS_RATIO)}  (processor time "
          f"{r['facts_cpu_over_floor']:.2f} x)")
    print(f"generator memory      {gb(r['generator_peak_bytes']):>9}   goal <= 2 GB"
          f"    {ok(r['generator_peak_bytes'] <= GOAL_BYTES)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=50_000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--growth", action="store_true",
                    help="also 5,000 and 25,000 customers (1 M and 5.5 M lines)")
    ap.add_argument("--before", action="store_true",
                    help="also time the separate module calls (needs about 7 GB)")
    ap.add_argument("--settings", default=str(ROOT / "kam_settings.toml"))
    ap.add_argument("--without-review", action="store_true",
                    help="leave the periodic review (kamlib.review) out, as when the "
                    "goals were set (before it existed)")
    ap.add_argument("--review", action="store_true", help=argparse.SUPPRESS)  # the default
    a = ap.parse_args(argv)
    sizes = ([5_000, 25_000] if a.growth else []) + [a.customers]
    results = [bench_size(n, a.years, a.before and n == a.customers, a.settings,
                          not a.without_review) for n in sizes]
    if a.growth:
        print("\n== growth")
        print(f"{'order lines':>12} {'floor s':>8} {'facts s':>8} {'analyse s':>10} "
              f"{'peak GB':>8} {'gen s':>6} {'gen GB':>7}")
        for r in results:
            print(f"{r['order_lines']:>12,} {r['floor_seconds']:8.2f} {r['facts_seconds']:8.2f}"
                  f" {r['analyse_seconds']:10.2f} {r['analyse_peak_bytes'] / 2**30:8.2f}"
                  f" {r['generator_seconds']:6.1f} {r['generator_peak_bytes'] / 2**30:7.2f}")
    verdict(results[-1])
    (HERE / "data").mkdir(exist_ok=True)
    (HERE / "data" / "scale_results.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
