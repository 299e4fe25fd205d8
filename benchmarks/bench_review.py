"""Benchmark: the periodic review on companies of growing size.

Run by hand (``make bench`` or ``.venv/bin/python benchmarks/bench_review.py``); prints
figures (seconds, and recall / precision against the generator's answer key), asserts
nothing. Companies are generated with seed 3 into a temporary folder and removed.
"""

from __future__ import annotations

import sys
import time


def timed(label, fn):
    t = time.perf_counter()
    result = fn()
    print(f"{label:<48} {time.perf_counter() - t:8.1f} s")
    return result


def main() -> int:
    from kamlib import review, settings
    from kamlib.review import validation

    s = settings.Settings()
    for n in (300, 2_000, 5_000):
        kd, key = timed(f"generate and load {n:,} customers",
                        lambda n=n: validation.generated_company(3, n))
        h = timed(f"  review.health ({len(kd.orders):,} order lines)",
                  lambda: review.health(kd, s, max(kd.years)))
        r = timed("  review.account_review (with the 4-quarter trend)",
                  lambda: review.account_review(kd, s, max(kd.years)))
        v = review.validate(h, key)
        print(f"  {len(r)} key accounts; decay alert: recall {v['recall']:.0%}, "
              f"precision {v['precision']:.0%} ({v['planted']} planted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
