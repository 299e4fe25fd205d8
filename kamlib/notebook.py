"""The one setup call every chapter and report makes: determinism and display in one place.

    from kamlib import notebook
    notebook.setup()

Sets the random seed, pandas display options (rounded numbers, so checked outputs are
stable) and matplotlib defaults (small, labelled, black-and-white-readable figures; no
named styles, which libraries rename).
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd

SEED = 20251231


def setup(seed: int = SEED, *, precision: int = 2) -> None:
    """Seed the generators and set display and plot defaults. Safe to call twice."""
    random.seed(seed)
    np.random.seed(seed)
    pd.set_option("display.precision", precision)
    pd.set_option("display.float_format", lambda v: f"{v:,.{precision}f}")
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.max_rows", 40)
    pd.set_option("display.width", 120)
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.figsize": (7.0, 4.0),
            "figure.dpi": 90,
            "savefig.dpi": 90,
            "savefig.bbox": "tight",
            "font.size": 10,
            "axes.titlesize": 11,
            "axes.titleweight": "bold",
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
            "svg.hashsalt": "kam",
            "image.cmap": "viridis",
        }
    )
    from kamlib.plots import alt_text

    alt_text.install()  # each figure's title becomes the alt text of its image


def load(data_source="sample", settings_file=None, analysis_year: int = 0):
    """Load a chapter's data and settings: ``(kd, s)``.

    The analysis year is ``analysis_year`` when not 0, else the settings file's, else the
    latest complete year in the data (:func:`kamlib.settings.for_data`); the company of
    the text (:func:`kamlib.settings.company_for`: the sample company on the sample,
    neutral words on other data) becomes the current one of :mod:`kamlib.formatting`.
    Prints one line saying whose data it is and which year is analysed, and why.
    """
    from kamlib import data, settings

    kd = data.load(data_source)
    s = settings.load(settings_file)
    note = settings.period_note(s, kd, analysis_year)
    s = settings.for_data(s, kd, analysis_year)
    company = settings.use_company(s, kd)
    whose = (f"{company.name}, the bundled sample: the worked example of the chapters"
             if settings.is_sample(kd) else f"{company.name}: data from {kd.source}")
    print(f"{whose}. {note}")
    return kd, s


def pick(values, how: str = "max", *, what: str, fix: str = ""):
    """The id (index label) with the largest (``how="max"``) or smallest value of
    ``values``, or the first label (``how="first"``); ``None`` when there is none - then
    one sentence says so (``what``: what is missing, e.g. "class-B customer"; ``fix``:
    the setting to change) and the chapter goes on without the example."""
    import pandas as pd

    v = pd.Series(values) if not isinstance(values, (pd.Series, pd.Index)) else values
    if isinstance(v, pd.Series) and how != "first":
        v = v.dropna()
    if len(v) == 0:
        print(f"There is no {what} in this data, so the example below is skipped."
              + (f" {fix}" if fix else ""))
        return None
    if how == "first":
        return v[0] if isinstance(v, pd.Index) else v.index[0]
    return v.idxmax() if how == "max" else v.idxmin()


def ratio(a, b) -> float:
    """``a / b``, NaN when ``b`` is 0 or missing (a share of nothing reads "n/a")."""
    try:
        a, b = float(a), float(b)
    except (TypeError, ValueError):
        return float("nan")
    return a / b if b else float("nan")


def change(after, before, decimals: int = 1) -> str:
    """The change from ``before`` to ``after`` as a signed percentage (``'+2.9%'``),
    ``'n/a'`` when ``before`` is 0 or missing (e.g. profit without cost data)."""
    r = ratio(after, before)
    return "n/a" if r != r else f"{r - 1:+.{decimals}%}"


def warn(messages) -> None:
    """Print each warning of a result (e.g. ``key_accounts(...).attrs["warnings"]``)."""
    for m in messages or []:
        print(f"Note: {m}")


SHOW = 10
"""How many rows (or highlighted customers) a chapter shows of a long list."""

LIST = 40
"""The most rows a chapter prints of a list that grows with the number of customers
(then "... and N more"): on a large export every row would make a chapter of megabytes."""


def more(n_total: int, n_shown: int = SHOW, what: str = "customers") -> None:
    """Print "... and N more <what>" when a list was cut to its first ``n_shown``."""
    if n_total > n_shown:
        print(f"... and {n_total - n_shown:,} more {what} ({n_total:,} in all).")
