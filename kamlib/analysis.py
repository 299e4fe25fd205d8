"""The whole analysis as one object: each result computed once, when first asked for.

    a = Analysis("path/to/export", settings="kam_settings.toml", year=2025)
    a.key_accounts        # computed now (and the facts it needs, once)
    a.segments            # reuses the key accounts above
    a.write("build/analysis")   # every table as Parquet and CSV

The chain (each step takes the results before it instead of recomputing them):

``data`` (:func:`kamlib.data.load`; with DuckDB the order lines and interactions
stay in their files, validated by SQL) → ``activity`` (``kamlib.activity_facts``, when
installed) → ``facts`` (per customer and year:
:func:`kamlib.measures.customer_year`, or the same table from DuckDB over the files,
:func:`kamlib.engine.customer_year`, for large exports) → ``key_accounts``
(:func:`kamlib.selection.key_accounts`) → ``segments`` of the key accounts
(:func:`kamlib.segmentation.segments`) → ``review`` (when ``kamlib.review`` exists) →
``account_table`` (:func:`kamlib.service.key_account_table`) → ``rebate_projection``
(:func:`kamlib.rebates.account_projection`, the price-sensitive key accounts) →
``visit_plan`` (:func:`kamlib.service.visit_plan`).

:attr:`Analysis.fingerprint` identifies the inputs - the data files (name, size,
modification time), the settings in force and the year - so a cache keyed on it is
always right. :attr:`Analysis.timings` records each stage's wall time and peak memory.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import resource
import sys
import time
from functools import cached_property
from pathlib import Path
from typing import Callable

import pandas as pd

from kamlib import engine as _engine

#: The stages in order, with the attribute that holds each result.
STAGES = ("data", "facts", "key_accounts", "segments", "account_table", "review",
          "rebate_projection", "visit_plan")

#: Stages nothing else depends on, which a run may leave out (``without``).
OPTIONAL_STAGES = ("review", "rebate_projection", "visit_plan")

EXCEL_MAX_ROWS = 1_048_575  # Excel's 1,048,576 rows, less the header


def _rss_peak_bytes() -> int:
    """Peak resident memory of this process so far (bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def _reset_peak() -> bool:
    """Reset the kernel's peak-memory mark (Linux), so a stage's own peak can be read;
    False where not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _vm_hwm_bytes() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


@dataclasses.dataclass(frozen=True)
class StageTime:
    """One stage's ``seconds`` (wall time), ``peak_bytes`` (the process's peak resident
    memory during the stage; since the start when the system cannot reset it) and
    ``cpu_seconds`` (processor time of all its threads: on a busy machine a steadier
    measure of the work than the wall time).
    """

    stage: str
    seconds: float
    peak_bytes: int
    cpu_seconds: float = float("nan")


def _cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def file_fingerprint(path: Path) -> list:
    """(name, size, modification time) of each file of a data folder or of one file."""
    path = Path(path)
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    return [[p.name, p.stat().st_size, p.stat().st_mtime_ns] for p in files]


class Analysis:
    """The analysis of one company's data under one settings file and analysis year.

    ``data``: a source for :func:`kamlib.data.load` (``"sample"``, a folder, a workbook)
    or an already loaded :class:`kamlib.data.KamData`. ``settings``: a
    :class:`kamlib.settings.Settings`, the path of a settings file, or None (the
    defaults). ``year``: the analysis year (None = ``period.analysis_year`` of the
    settings). ``engine``: ``"auto"`` (DuckDB computes the facts from order-line files
    above :data:`kamlib.engine.AUTO_THRESHOLD_BYTES`), ``"duckdb"`` or ``"pandas"``.
    ``progress``: called with one line of text after each stage (e.g. ``print``).
    ``without``: stages of :data:`OPTIONAL_STAGES` to leave out of :meth:`run` and
    :meth:`write` (e.g. ``("review",)``).
    """

    def __init__(self, data="sample", settings=None, year: int | None = None, *,
                 engine: str = "auto", progress: Callable[[str], None] | None = None,
                 without: tuple[str, ...] = ()):
        from kamlib import settings as _settings
        from kamlib.data import KamData

        if isinstance(settings, (str, Path)) or settings is None:
            settings = _settings.load(settings)
        if year is not None:
            settings = dataclasses.replace(
                settings, period=dataclasses.replace(settings.period, analysis_year=int(year)))
        self._settings_asked = settings
        self._year_asked = int(settings.period.analysis_year)  # 0: from the data
        self._kd = data if isinstance(data, KamData) else None
        self.source = None if self._kd is not None else data
        self.engine = engine
        self.use_duckdb = (_engine.use_engine(data, engine) if self._kd is None
                           else bool(getattr(data, "lazy", False)))  # lines in a file
        self.progress = progress
        unknown = sorted(set(without) - set(OPTIONAL_STAGES))
        if unknown:
            raise ValueError(f"cannot leave out {', '.join(unknown)}: only "
                             f"{', '.join(OPTIONAL_STAGES)} can be left out")
        self.without = tuple(without)
        self.timings: list[StageTime] = []
        self.notes: list[str] = []
        self._started = time.perf_counter()

    @cached_property
    def settings(self):
        """The settings in force, with the analysis year fixed: ``period.analysis_year``
        = 0 is the latest complete year of the data (:func:`kamlib.settings.for_data`)."""
        if self._year_asked:
            return self._settings_asked
        from kamlib import settings as _settings

        return _settings.for_data(self._settings_asked, self.data)

    @cached_property
    def year(self) -> int:
        """The analysis year (resolved against the data when the settings say 0)."""
        return int(self.settings.period.analysis_year)

    # ------------------------------------------------------------------ bookkeeping

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the inputs: data files (name, size, modification time) or the
        loaded tables' shapes and source, the settings in force, the year, the engine's
        facts query."""
        from kamlib import data, settings

        if self._kd is not None:
            d = ["loaded", self._kd.source] + [
                [n, len(getattr(self._kd, n))] for n in
                ("customers", "products", "orders", "interactions", "contacts",
                 "assessments", "rebates")]
        else:
            d = file_fingerprint(data.resolve_source(self.source))
        text = json.dumps({"data": d, "settings": settings.dumps(self._settings_asked),
                           "year": self._year_asked, "facts_sql": _engine.FACTS_SQL},
                          sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _timed(self, stage: str, fn):
        exact = _reset_peak()
        t0, c0 = time.perf_counter(), _cpu_seconds()
        result = fn()
        seconds = time.perf_counter() - t0
        peak = (_vm_hwm_bytes() if exact else None) or _rss_peak_bytes()
        self.timings.append(StageTime(stage, seconds, peak, _cpu_seconds() - c0))
        if self.progress is not None:
            self.progress(f"{stage:<18} {seconds:7.2f} s  peak {peak / 2**30:5.2f} GB"
                          f"  {_size_text(result)}")
        return result

    @property
    def peak_bytes(self) -> int:
        """The process's peak resident memory over every stage so far (bytes)."""
        return max([_rss_peak_bytes()] + [t.peak_bytes for t in self.timings])

    @property
    def seconds(self) -> float:
        """Wall time since this object was made (seconds)."""
        return time.perf_counter() - self._started

    # ---------------------------------------------------------------------- stages

    @cached_property
    def data(self):
        """The validated tables (:class:`kamlib.data.KamData`)."""
        if self._kd is not None:
            return self._kd
        from kamlib import data

        # the lines stay in their file only when every stage reads them through
        # aggregates (the cost to serve and the review through kamlib.activity_facts)
        how = "duckdb" if self.use_duckdb and _lazy_ready() else "pandas"
        return self._timed("data", lambda: data.load(self.source, engine=how))

    @cached_property
    def facts(self) -> pd.DataFrame:
        """Per customer and year (index customer_id, year): the columns of
        :func:`kamlib.measures.customer_year`.

        With DuckDB, the facts come from the file itself; they are then checked against
        the loaded order lines (same number of lines, same revenue), so a file DuckDB
        reads differently from :func:`kamlib.data.load` (unusual dates or decimal
        commas, renamed headers) is never used silently: with ``engine="auto"`` the
        facts are then computed by pandas (with a note), with ``engine="duckdb"`` it is
        an error.
        """
        from kamlib import measures

        if self.use_duckdb and self.data.lazy:
            # the lines were validated by SQL and read as the loader reads them
            return self._timed("facts", lambda: _engine.customer_year(self.data))
        if self.use_duckdb:
            import duckdb

            try:
                cy = self._timed("facts", lambda: _engine.customer_year(self.source))
                why = _disagreement(cy, self.data.orders)
            except duckdb.Error as exc:
                why = f"DuckDB could not read the order lines ({str(exc).splitlines()[0]})"
            if not why:
                return cy
            if self.engine == "duckdb":
                raise ValueError(f"{self.source}: {why}. Use --engine pandas for this "
                                 "export.")
            self.note(f"facts by pandas instead of DuckDB: {why}")
            self.use_duckdb = False
        kd = self.data
        return self._timed("facts", lambda: measures.customer_year(kd.orders))

    def note(self, text: str) -> None:
        """Record (and show, with ``progress``) something the run noticed."""
        self.notes.append(text)
        if self.progress is not None:
            self.progress(f"note: {text}")

    @cached_property
    def activity(self):
        """The activity counts of ``kamlib.activity_facts`` (order lines, deliveries and
        interactions per customer and period, for the cost to serve and the review),
        or None where that module is not installed."""
        try:
            from kamlib import activity_facts
        except ImportError:
            return None
        kd, years = self.data, self.activity_years
        return self._timed("activity", lambda: activity_facts.activity_facts(
            kd, years=years))

    @cached_property
    def activity_years(self) -> list[int]:
        """The calendar years the activity counts must cover: the analysis year and the
        one before (cost to serve of this year's and, for the review, last year's key
        accounts) and the years of the review's 12-month windows at its dates
        (:func:`kamlib.review.health._years_needed`). On a ten-year export that is a
        fifth of the interactions and order lines to count instead of all of them."""
        y = self.year
        years = {y - 1, y}
        if "review" not in self.without:
            try:
                import importlib

                health = importlib.import_module("kamlib.review.health")
            except ImportError:
                health = None
            if health is not None:
                n_q = health.review_settings(self.settings).trend_quarters
                ends = [health.review_date(y)] + (
                    health.trend_dates(y, n_q) if n_q > 1 else [])
                years |= set(health._years_needed(ends, volume=False))
        return sorted(years)

    def _activity_kw(self) -> dict:
        act = self.activity
        return {} if act is None else {"activity": act}

    @cached_property
    def key_accounts(self) -> pd.DataFrame:
        """:func:`kamlib.selection.key_accounts` (every customer, ``is_key``, reasons)."""
        from kamlib import selection

        kd, cy, more = self.data, self.facts, self._activity_kw()
        return self._timed("key_accounts", lambda: selection.key_accounts(
            kd, self.settings, customer_year=cy, **more))

    @cached_property
    def key_ids(self) -> list[str]:
        ka = self.key_accounts
        return [str(c) for c in ka.index[ka["is_key"].astype(bool).to_numpy()]]

    @cached_property
    def segments(self) -> pd.DataFrame:
        """:func:`kamlib.segmentation.segments` of the key accounts."""
        from kamlib import segmentation

        kd, ids = self.data, self.key_ids
        return self._timed("segments", lambda: segmentation.segments(
            kd, self.settings, customers=ids))

    @cached_property
    def review(self) -> pd.DataFrame | None:
        """:func:`kamlib.review.account_review` of this year's key accounts (the table
        ``kam review`` writes), or None where that module is not installed.

        (It is called as ``kam review`` calls it, without ``key_table``: given a table,
        the review takes its reasons as the reasons the accounts were chosen for, while
        the default compares with last year's selection. It selects the key accounts of
        this year and last year itself.)"""
        try:
            from kamlib import review
        except ImportError:
            return None
        kd = self.data
        if self.activity is None:
            return self._timed("review", lambda: review.account_review(
                kd, self.settings, year=self.year))
        now, cy, act = self.key_accounts, self.facts, self.activity
        return self._timed("review", lambda: review.account_review(
            kd, self.settings, year=self.year, now=now, customer_year=cy, activity=act))

    @cached_property
    def account_table(self) -> pd.DataFrame:
        """:func:`kamlib.service.key_account_table` from the results above."""
        from kamlib import service

        kd, ka, seg = self.data, self.key_accounts, self.segments
        return self._timed("account_table", lambda: service.key_account_table(
            kd, self.settings, key_accounts=ka, segments=seg))

    @cached_property
    def rebate_projection(self) -> pd.DataFrame:
        """:func:`kamlib.rebates.account_projection` of the price-sensitive key
        accounts (their segments from :attr:`segments`)."""
        from kamlib import rebates

        kd, seg, cy = self.data, self.segments, self.facts
        return self._timed("rebate_projection", lambda: rebates.account_projection(
            kd, self.settings, segments=seg, customer_year=cy))

    @cached_property
    def visit_plan(self):
        """:func:`kamlib.service.visit_plan` of the key accounts for the plan year."""
        from kamlib import service

        kd, acc = self.data, self.account_table
        return self._timed("visit_plan", lambda: service.visit_plan(
            acc, self.settings, customers=kd.customers))

    def run(self) -> "Analysis":
        """Compute every stage (in order); returns self."""
        self.facts, self.key_accounts, self.segments, self.account_table
        for stage in OPTIONAL_STAGES:
            if stage not in self.without:
                getattr(self, stage)
        return self

    # ---------------------------------------------------------------------- output

    def tables(self) -> dict[str, pd.DataFrame]:
        """The result tables by file name (computing what is missing)."""
        self.run()
        out = {
            "customer_year_facts": self.facts,
            "key_accounts": self.key_accounts,
            "segments": self.segments,
            "key_account_table": self.account_table,
        }
        if "review" not in self.without and self.review is not None:
            out["account_review"] = self.review
        if "rebate_projection" not in self.without:
            out["rebate_projection"] = self.rebate_projection
        if "visit_plan" not in self.without:
            out["visit_plan"] = self.visit_plan.visits
            out["visits_unplanned"] = self.visit_plan.unplanned
        return out

    def write(self, out_dir, *, csv: bool = True, parquet: bool = True,
              excel: bool = False) -> list[Path]:
        """Write every table to ``out_dir`` as ``<name>.parquet`` and ``<name>.csv``
        (and, with ``excel``, one workbook ``analysis.xlsx`` with a sheet per table when
        every table fits Excel's 1,048,576 rows; else a ValueError naming the table),
        plus ``manifest.json`` (fingerprint, year, stage timings). Returns the files.
        """
        out = Path(out_dir)
        tables = self.tables()
        if excel:
            too_big = [n for n, t in tables.items() if len(t) > EXCEL_MAX_ROWS]
            if too_big:
                raise ValueError(
                    f"{', '.join(too_big)}: more rows than Excel holds (1,048,576); "
                    "leave out --excel and open the CSV or Parquet files instead.")
        out.mkdir(parents=True, exist_ok=True)
        exact = _reset_peak()
        t0, c0 = time.perf_counter(), _cpu_seconds()
        written = []
        import pyarrow as pa
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        for name, t in tables.items():
            arrow = pa.Table.from_pandas(_flat(t), preserve_index=False)
            if parquet:
                p = out / f"{name}.parquet"
                pq.write_table(arrow, p)
                written.append(p)
            if csv:  # pyarrow's writer: several times faster than pandas' for big tables
                p = out / f"{name}.csv"
                pacsv.write_csv(arrow, p)
                written.append(p)
        if excel:
            p = out / "analysis.xlsx"
            with pd.ExcelWriter(p, engine="openpyxl") as xw:
                for name, t in tables.items():
                    _for_excel(_flat(t)).to_excel(xw, sheet_name=name[:31], index=False)
            written.append(p)
        self.timings.append(StageTime("write", time.perf_counter() - t0,
                                      (_vm_hwm_bytes() if exact else None) or _rss_peak_bytes(),
                                      _cpu_seconds() - c0))
        p = out / "manifest.json"
        p.write_text(json.dumps({
            "fingerprint": self.fingerprint, "analysis_year": self.year,
            "engine": "duckdb" if self.use_duckdb else "pandas", "notes": self.notes,
            "left_out": list(self.without),
            "tables": {n: len(t) for n, t in tables.items()},
            "seconds": round(self.seconds, 3), "peak_gb": round(self.peak_bytes / 2**30, 3),
            "cpu_seconds": round(_cpu_seconds(), 3),
            "stages": [{"stage": s.stage, "seconds": round(s.seconds, 3),
                        "cpu_seconds": round(s.cpu_seconds, 3),
                        "peak_gb": round(s.peak_bytes / 2**30, 3)} for s in self.timings],
        }, indent=2) + "\n", encoding="utf-8")
        written.append(p)
        return written


def _lazy_ready() -> bool:
    """True when the stages can work on order lines left in their file."""
    import importlib.util

    return importlib.util.find_spec("kamlib.activity_facts") is not None


def _disagreement(facts: pd.DataFrame, orders: pd.DataFrame) -> str:
    """Why facts computed from the file do not belong to the loaded order lines ('' when
    they agree: the same number of lines and the same revenue to a millionth)."""
    n = int(facts["line_count"].sum())
    if n != len(orders):
        return f"DuckDB read {n:,} order lines, the loader {len(orders):,}"
    rev_f = float(facts["revenue"].sum())
    rev_o = float(orders["revenue"].sum())
    if abs(rev_f - rev_o) > 1e-6 * max(abs(rev_o), 1.0):
        return f"DuckDB's revenue ({rev_f:,.2f}) differs from the loader's ({rev_o:,.2f})"
    return ""


def _flat(t: pd.DataFrame) -> pd.DataFrame:
    """The index as columns, attrs dropped (Parquet and CSV hold plain tables)."""
    f = t.reset_index() if any(n is not None for n in t.index.names) else t.reset_index(drop=True)
    f.attrs = {}
    return f


def _for_excel(t: pd.DataFrame) -> pd.DataFrame:
    """Excel holds no time zones."""
    out = t.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.DatetimeTZDtype):
            out[c] = out[c].dt.tz_localize(None)
    return out


def _size_text(result) -> str:
    if isinstance(result, pd.DataFrame):
        return f"{len(result):,} rows"
    visits = getattr(result, "visits", None)
    if isinstance(visits, pd.DataFrame):
        return f"{len(visits):,} visits"
    orders = getattr(result, "orders", None)
    if isinstance(orders, pd.DataFrame):
        return f"{len(orders):,} order lines"
    if orders is not None and hasattr(orders, "rows"):  # left in its file
        return f"{orders.rows:,} order lines (validated in the file)"
    return ""
