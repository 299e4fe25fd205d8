"""Checking the decay flag against the truth of generated companies.

The generator plants decaying relationships (``is_decaying`` in its answer key: among
the larger customers, volume falls about 20 % a year over the last two years while the
customer's total use does not, complaints rise, visits thin out, trials stop, decision
makers go unseen for months). :func:`validate` counts how many the review flags
(recall) and how many of its flags are right (precision). :func:`calibrate` does the
same on companies generated with *other seeds* for a range of health thresholds: the
default ``review.health_threshold`` is chosen there, then only checked - not tuned - on
the bundled sample, so that the sample's result is an honest estimate.

    recall = flagged and planted / planted
    precision = flagged and planted / flagged
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

CALIBRATION_SEEDS = (11, 12, 13)
"""Seeds of the calibration companies (the bundled sample is seed 4)."""
CALIBRATION_CUSTOMERS = 600


def _truth(answer_key: pd.DataFrame) -> pd.Series:
    ak = answer_key
    if "customer_id" in ak.columns:
        ak = ak.set_index("customer_id")
    if "is_decaying" not in ak.columns:
        raise ValueError("the answer key has no is_decaying column (it comes from "
                         "kamlib.generate; real company data have no answer key)")
    t = ak["is_decaying"]
    if t.dtype == object or str(t.dtype) in ("string", "str"):
        t = t.astype(str).str.lower().isin(["true", "1", "yes"])
    t.index = t.index.astype("string")
    return t.astype(bool)


def validate(health_table: pd.DataFrame, answer_key: pd.DataFrame,
             flag: str = "decaying") -> pd.Series:
    """Recall and precision of ``health_table[flag]`` against the planted decay.

    Counts only the customers of ``health_table`` (e.g. every active customer, or the
    key accounts). Returns a Series: ``customers``, ``planted``, ``flagged``,
    ``caught`` (flagged and planted), ``missed``, ``false_alarms`` (counts), ``recall``
    and ``precision`` (0-1; NaN when there is nothing to divide by), and ``missed_ids``
    (text, comma separated).
    """
    truth = _truth(answer_key).reindex(health_table.index).fillna(False).astype(bool)
    flagged = health_table[flag].fillna(False).astype(bool)
    caught = int((truth & flagged).sum())
    planted, n_flag = int(truth.sum()), int(flagged.sum())
    missed = truth & ~flagged
    return pd.Series({
        "customers": len(health_table), "planted": planted, "flagged": n_flag,
        "caught": caught, "missed": planted - caught,
        "false_alarms": n_flag - caught,
        "recall": caught / planted if planted else np.nan,
        "precision": caught / n_flag if n_flag else np.nan,
        "missed_ids": ", ".join(missed.index[missed.to_numpy()].astype(str)),
    }, dtype=object)


def generated_company(seed: int, n_customers: int = CALIBRATION_CUSTOMERS,
                      end_year: int = 2025, years: int = 5):
    """A company made by :mod:`kamlib.generate` with ``seed``: (KamData, answer key).
    Written to a temporary folder, loaded like any export, and the folder removed.

    The generator is deterministic, so the last few companies are remembered in the
    process: a chapter that calibrates again under other settings (1-1.5 s a company)
    reads the same tables. They are read, never changed."""
    return _generate_company(int(seed), int(n_customers), int(end_year), int(years))


@functools.lru_cache(maxsize=6)
def _generate_company(seed: int, n_customers: int, end_year: int, years: int):
    from kamlib import data, generate

    cfg = generate.GeneratorConfig(n_customers=n_customers, years=years,
                                   end_year=end_year, seed=seed)
    with tempfile.TemporaryDirectory(prefix="kam-review-") as tmp:
        base = Path(tmp)
        generate.write_dataset(cfg, base / "tables", answer_key_dir=base / "key",
                               parquet=True, csv=False)
        kd = data.load(base / "tables")
        key = data.load_answer_key(base / "key" / "answer_key.csv")
    return kd, key


def threshold_curve(health_table: pd.DataFrame, answer_key: pd.DataFrame, s,
                    thresholds) -> pd.DataFrame:
    """Recall and precision of the decay flag for each health threshold (the other
    rules of ``s.review`` unchanged). Index ``threshold``; columns ``flagged``,
    ``caught``, ``planted``, ``recall``, ``precision``."""
    from kamlib.review.health import review_settings

    rv = review_settings(s)
    h = health_table
    ok = h["health"].notna() & (h["signals"] >= rv.decay_min_signals)
    rows = {}
    for t in thresholds:  # a handful of thresholds
        flag = ok & (h["health"] < t)
        v = validate(h.assign(_flag=flag), answer_key, "_flag")
        rows[float(t)] = {k: v[k] for k in ("flagged", "caught", "planted", "recall",
                                            "precision")}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "threshold"
    return out.astype(float)


def calibrate(s, thresholds=tuple(range(35, 76, 5)), seeds=CALIBRATION_SEEDS,
              n_customers: int = CALIBRATION_CUSTOMERS) -> pd.DataFrame:
    """Recall and precision per threshold on companies generated with ``seeds``.

    Returns one row per (seed, threshold) with the columns of :func:`threshold_curve`
    (index reset; ``seed`` and ``threshold`` columns). :func:`choose_threshold` picks
    the threshold from it.
    """
    from kamlib.review.health import health

    frames = []
    for seed in seeds:  # a few generated companies
        kd, key = generated_company(seed, n_customers)
        year = max(kd.years)
        h = health(kd, s, year)
        frames.append(threshold_curve(h, key, s, thresholds).reset_index()
                      .assign(seed=seed))
    out = pd.concat(frames, ignore_index=True)
    return out[["seed", "threshold", "flagged", "caught", "planted", "recall", "precision"]]


def choose_threshold(curves: pd.DataFrame, min_recall: float = 0.9) -> float:
    """The threshold to use: the lowest one (fewest false alarms) whose recall, pooled
    over the calibration companies (caught / planted), is at least ``min_recall``;
    the highest threshold tried when none reaches it."""
    pooled = curves.groupby("threshold")[["caught", "planted"]].sum()
    recall = pooled["caught"] / pooled["planted"]
    good = recall.index[recall.to_numpy() >= min_recall]
    return float(good.min()) if len(good) else float(recall.index.max())
