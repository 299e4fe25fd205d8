"""Benchmark: loading and checking a large company export (``kamlib.data``).

Run by hand (``.venv/bin/python benchmarks/bench_load.py [FOLDER]``); prints figures,
asserts nothing. Without FOLDER, generates ~10 million order lines (46,000 customers x
10 years, seed 1) as Parquet into ``benchmarks/data/load_46000x10/`` (git-ignored) the
first time. Also times the CSV reader on the first million order lines written as CSV
(the CSV path is the slower one: text has to be parsed).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def timed(label, fn):
    t = time.perf_counter()
    result = fn()
    print(f"{label:<52} {time.perf_counter() - t:8.1f} s", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    from kamlib import data

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", help="a folder of Parquet/CSV tables")
    ap.add_argument("--customers", type=int, default=46_000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--csv-lines", type=int, default=1_000_000)
    a = ap.parse_args(argv)

    folder = Path(a.folder) if a.folder else HERE / "data" / f"load_{a.customers}x{a.years}"
    if not (folder / "orders.parquet").exists() and not (folder / "orders.csv").exists():
        from kamlib import generate

        cfg = generate.GeneratorConfig(n_customers=a.customers, years=a.years, seed=1)
        timed(f"generate {a.customers:,} customers x {a.years} years (parquet)",
              lambda: generate.write_dataset(cfg, folder, answer_key_dir=folder.parent /
                                             f"{folder.name}_key", parquet=True, csv=False))

    kd = timed("data.load (read, validate, type, order measures)", lambda: data.load(folder))
    print(f"{'order lines':<52} {len(kd.orders):>10,}")
    print(f"{'interactions':<52} {len(kd.interactions):>10,}")
    report = timed("data.check (read, validate, summary)", lambda: data.check(folder))
    print(f"{'problems found':<52} {len(report.problems):>10,}")

    if a.csv_lines:
        import pandas as pd

        small = HERE / "data" / f"load_csv_{a.csv_lines}"
        small.mkdir(parents=True, exist_ok=True)
        if not (small / "orders.csv").exists():
            head = kd.orders.iloc[: a.csv_lines][list(data.schema.ORDERS.standard_columns)]
            ids = pd.Index(head["customer_id"].unique())
            cust = kd.customers[kd.customers["customer_id"].isin(ids)]
            timed(f"write {len(head):,} order lines as CSV",
                  lambda: (head.to_csv(small / "orders.csv", index=False,
                                       date_format="%Y-%m-%d"),
                           cust.to_csv(small / "customers.csv", index=False,
                                       date_format="%Y-%m-%d")))
        del kd
        kd_csv = timed(f"data.load CSV ({a.csv_lines:,} order lines)",
                       lambda: data.load(small))
        print(f"{'order lines (CSV)':<52} {len(kd_csv.orders):>10,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
