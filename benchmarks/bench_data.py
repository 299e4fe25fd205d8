"""Benchmark: generating and analysing a large company's export.

Run by hand (``make bench`` or ``.venv/bin/python benchmarks/bench_data.py``); prints
figures, asserts nothing. Generates 50,000 customers x 10 years (~9 million order lines)
into benchmarks/data/ (git-ignored) the first time, as CSV and Parquet.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "data" / "large"


def timed(label, fn):
    t = time.perf_counter()
    result = fn()
    print(f"{label:<48} {time.perf_counter() - t:8.1f} s")
    return result


def main() -> int:
    from kamlib import data, generate, measures

    cfg = generate.GeneratorConfig(n_customers=50_000, years=10, seed=1)
    if not (OUT / "orders.parquet").exists():
        timed("generate 50k customers x 10 years (csv+parquet)",
              lambda: generate.write_dataset(cfg, OUT, answer_key_dir=HERE / "data" / "key",
                                             parquet=True))
    t = timed("generate only (in memory)", lambda: generate.generate(cfg))
    print(f"{'order lines':<48} {len(t['orders']):>10,}")
    print(f"{'interactions':<48} {len(t['interactions']):>10,}")
    del t
    kd = timed("data.load (folder: parquet/csv, validated)", lambda: data.load(OUT))
    timed("measures.customer_year", lambda: measures.customer_year(kd.orders))
    timed("measures.customer_totals (last year)",
          lambda: measures.customer_totals(kd.orders, [kd.years[-1]]))
    timed("measures.share_of_wallet", lambda: measures.share_of_wallet(kd.orders, kd.assessments))
    return 0


if __name__ == "__main__":
    sys.exit(main())
