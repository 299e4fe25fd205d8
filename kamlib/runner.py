"""Running the playbook: execute the chapters, write the learners' copies, the demo.

    from kamlib import runner
    results = runner.run_chapters(Path("build/chapters"))        # kam chapters
    runner.write_exercise_copies(Path("build/exercises"))        # kam exercises
    runner.demo(Path("build"))                                    # kam demo / make demo

The chapters are the notebooks ``notebooks/NN_*.ipynb`` (not ``notebooks/templates``).
Each is executed with papermill in its own process (in parallel, ``workers`` at a time),
with the notebooks folder as working directory so the relative paths of the chapters
work, into ``out_dir``; an HTML copy is written next to it for reading in a browser (it
needs no network: figures are embedded, formulas are MathML). A chapter that fails is named with the cell
that failed, and its executed notebook (with the error) is kept for inspection. The data
is read and validated once for the whole run, before the chapters start, and each
chapter's ``data.load`` / ``data.check`` returns a copy of that
(:mod:`kamlib.data.cache`: a private folder inside ``out_dir``, removed when the run ends).

The learners' copies are generated from the chapters, never edited by hand: every cell
tagged ``solution`` is replaced by an empty cell (``# Your answer here``), the
exercise's prompt (the markdown above it) is kept, and all outputs are cleared.

papermill and nbformat are imported inside the functions: importing them costs more
than a second, which ``kam --help`` and ``kam data check`` should not pay.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from kamlib import paths

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
CHAPTER_PATTERN = "[0-9][0-9]_*.ipynb"
"""Chapters are the notebooks named ``NN_verb_topic.ipynb`` directly in the folder."""

SOLUTION_TAG = "solution"
PARAMETERS_TAG = "parameters"
ANSWER_PLACEHOLDER = "# Your answer here"
MARKDOWN_ANSWER_PLACEHOLDER = "*Your answer here.*"
DEFAULT_DATA_SOURCE = "sample"
CELL_TIMEOUT_SECONDS = 600
"""A cell running longer than this is stopped and reported as failed."""


@dataclass(frozen=True)
class ChapterResult:
    """What happened to one chapter.

    ``name``: file name of the chapter; ``ok``: it ran without error; ``seconds``: wall
    time of the execution; ``output_path``: the executed notebook (kept also when it
    failed); ``error``: one readable paragraph naming the failing cell, or ``""``;
    ``html_path``: the HTML copy, or ``None`` when not written.
    """

    name: str
    ok: bool
    seconds: float
    output_path: Path
    error: str = ""
    html_path: Path | None = None


# ------------------------------------------------------------------------ discovery


def chapter_paths(notebooks_dir: str | Path | None = None) -> list[Path]:
    """The chapters ``NN_*.ipynb`` of ``notebooks_dir`` (default: the project's), in order."""
    folder = Path(notebooks_dir) if notebooks_dir is not None else NOTEBOOKS_DIR
    if not folder.is_dir():
        raise FileNotFoundError(f"no notebooks folder at {folder}")
    return sorted(folder.glob(CHAPTER_PATTERN))


def _check_not_source(out_dir: Path, notebooks_dir: Path) -> None:
    if out_dir.resolve() == notebooks_dir.resolve():
        raise ValueError(
            f"the output folder {out_dir} is the notebooks folder itself: that would "
            "overwrite the chapters. Choose another folder, e.g. build/chapters."
        )


# ------------------------------------------------------------------------ execution


@dataclass(frozen=True)
class _Task:
    input_path: Path
    output_path: Path
    cwd: Path
    parameters: dict
    html: bool
    kernel_name: str
    timeout: int


def _kernel_environment() -> None:
    """Environment the kernels inherit (called in the worker process only).

    ``MPLBACKEND=Agg`` (set by the Makefile for headless runs) would stop ipykernel from
    choosing its inline backend, and the chapters would lose their figures: drop it.
    """
    backend = os.environ.get("MPLBACKEND", "")
    if backend and "inline" not in backend:
        del os.environ["MPLBACKEND"]
    os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    # widgets cannot render headless, and widget cells can stall nbclient (#312): the
    # chapters' widget functions show a one-line note instead (kamlib.widgets)
    os.environ["KAM_HEADLESS"] = "1"
    # debugpy's "frozen modules" warning is noise on the console.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


WARM_UP = "kamlib.runner:share_first"
"""What the warm-up of a ``kam chapters`` run computes after storing the data."""


def share_first(source, columns=None) -> list[str]:
    """In the warm-up of a ``kam chapters`` run, on a large export (from
    :data:`kamlib.measures.SQL_FROM_LINES` loaded order lines): compute the results
    that depend on the data only - no setting - and that the chapters ask for first,
    and share them as a chapter would (:func:`kamlib.data.cache.share_result`): the
    per-customer-year and per-customer-month sums, each customer's first year, the
    activity counts of the last years and the review windows of the latest complete
    year and its trend. The first chapter that needs one then reads it instead of
    spending 3-9 s on it (at 13 million lines). Returns what was shared (nothing for a
    small export, or outside a run)."""
    from kamlib import activity_facts, measures
    from kamlib.data import cache
    from kamlib.review.config import ReviewSettings
    from kamlib.review.health import review_date, trend_dates

    kd = cache.cached_load(source, columns)
    if kd is None or not measures.large(kd.orders) or not len(kd.orders):
        return []
    measures.customer_year(kd.orders)
    measures.first_year(kd.orders)
    measures.customer_month(kd.orders)
    year, _ = measures.latest_complete_year(kd.orders)
    activity_facts.activity_facts(kd, [year])
    quarters = ReviewSettings().trend_quarters  # the review's default trend
    activity_facts.review_windows(kd, [review_date(year), *trend_dates(year, quarters)])
    return ["customer-year sums", "first years", "customer-month sums", "activity",
            "review windows"]


def _describe_failure(name: str, exc: BaseException, output_path: Path) -> str:
    from papermill.exceptions import PapermillExecutionError

    if output_path.exists():
        kept = f"The executed notebook, with the error, is kept at {output_path}."
    else:
        kept = "No executed notebook was written."
    if isinstance(exc, PapermillExecutionError):
        lines = [ln for ln in (exc.source or "").splitlines() if ln.strip()]
        first = lines[0].strip() if lines else "(empty cell)"
        count = f"In [{exc.exec_count}]" if exc.exec_count is not None else "a cell"
        return (
            f"{name}: the cell {count} starting `{first}` raised "
            f"{exc.ename}: {exc.evalue}\n    {kept}"
        )
    # nbclient's messages (CellTimeoutError, DeadKernelError, ...) say what happened in
    # their first line; a timeout also previews the cell between dashed lines.
    text = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    detail = text[0] if text else ""
    dashes = [i for i, ln in enumerate(text) if set(ln) == {"-"}]
    if len(dashes) >= 2 and dashes[1] > dashes[0] + 1:
        detail += f" The cell starts `{text[dashes[0] + 1]}`."
    return f"{name}: {type(exc).__name__}: {detail}\n    {kept}"


def _export_html(nb_path: Path) -> Path:
    """``NAME.html`` next to the executed notebook: opens offline (formulas as MathML,
    no script or style from the internet; see :mod:`kamlib.course.pages`)."""
    from kamlib.course import pages

    body = pages.notebook_html(nb_path)
    html_path = nb_path.with_suffix(".html")
    html_path.write_text(body, encoding="utf-8")
    return html_path


def _declared(path: Path, params: dict) -> dict:
    """The part of ``params`` that the notebook's parameters cell declares."""
    if not params:
        return {}
    import ast

    import nbformat

    nb = nbformat.read(path, as_version=4)
    names: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type == "code" and PARAMETERS_TAG in _tags(cell):
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            names |= {t.id for node in tree.body if isinstance(node, ast.Assign)
                      for t in node.targets if isinstance(t, ast.Name)}
    return {k: v for k, v in params.items() if k in names}


def _run_task(task: _Task) -> ChapterResult:
    """Execute one notebook (in a worker process). Never raises: returns the result."""
    _kernel_environment()
    import logging

    import papermill as pm

    # papermill's own warnings (a parameter it cannot place, a kernel name it guesses)
    # are for developers: a chapter only gets the parameters it declares (_declared)
    logging.getLogger("papermill").setLevel(logging.ERROR)

    name = task.input_path.name
    # never leave the executed notebook of an earlier run looking like this run's
    task.output_path.unlink(missing_ok=True)
    task.output_path.with_suffix(".html").unlink(missing_ok=True)
    start = time.perf_counter()
    error = ""
    try:
        pm.execute_notebook(
            str(task.input_path),
            str(task.output_path),
            parameters=task.parameters or None,
            cwd=str(task.cwd),
            kernel_name=task.kernel_name,
            progress_bar=False,
            log_output=False,
            execution_timeout=task.timeout,
            # Kernel log lines (an unencrypted-TCP warning at every start, a KeyboardInterrupt
            # at some shutdowns) are console noise: errors in cells are in the notebook.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except Exception as exc:  # noqa: BLE001 - reported, not raised, across processes
        error = _describe_failure(name, exc, task.output_path)
    seconds = time.perf_counter() - start
    html_path = None
    if task.html and task.output_path.exists():
        try:
            html_path = _export_html(task.output_path)
        except Exception as exc:  # noqa: BLE001 - the notebook itself is what matters
            print(f"  (no HTML copy of {name}: {type(exc).__name__}: {exc})", flush=True)
    return ChapterResult(name, not error, seconds, task.output_path, error, html_path)


def execute_notebook(
    input_path: str | Path,
    output_path: str | Path,
    parameters: dict | None = None,
    *,
    html: bool = False,
    kernel_name: str = "python3",
    timeout: int = CELL_TIMEOUT_SECONDS,
) -> ChapterResult:
    """Execute one notebook here (no worker process), with its folder as working directory.

    Used by the tests; :func:`run_chapters` does the same in worker processes. Never
    raises for an error inside the notebook: look at ``result.ok`` / ``result.error``.
    """
    input_path = Path(input_path).resolve()
    output_path = Path(output_path).resolve()
    output_path.parent.mkdir(parents=True, exist_ok=True)
    saved = {k: os.environ.get(k) for k in ("MPLBACKEND", "KAM_HEADLESS")}
    try:
        return _run_task(
            _Task(input_path, output_path, input_path.parent, dict(parameters or {}),
                  html, kernel_name, timeout)
        )
    finally:  # _kernel_environment changed them for the kernel; this process keeps its own
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _data_parameter(data_source: str | Path) -> dict:
    """The parameters to pass: none for the default, an absolute path otherwise.

    A relative path is the user's (relative to where they typed the command), while the
    chapters run in the notebooks folder: resolve it first.
    """
    if str(data_source) == DEFAULT_DATA_SOURCE:
        return {}
    path = Path(data_source).expanduser().resolve()
    if not path.exists():
        raise FileNotFoundError(
            f"no data at {path}: give the folder of CSV or Parquet files, or the Excel "
            "workbook, of your export (check it first with `kam data check PATH`)."
        )
    return {"data_source": str(path)}


def run_chapters(
    out_dir: str | Path,
    workers: int = 2,
    data_source: str | Path = DEFAULT_DATA_SOURCE,
    *,
    notebooks_dir: str | Path | None = None,
    html: bool = True,
    kernel_name: str = "python3",
    timeout: int = CELL_TIMEOUT_SECONDS,
    settings_file: str | Path | None = None,
    analysis_year: int | None = None,
    share_data: bool = True,
    only: tuple[str, ...] | list[str] | None = None,
) -> list[ChapterResult]:
    """Execute every chapter into ``out_dir``, ``workers`` at a time. Returns one result each.

    ``data_source`` is passed to the chapters' ``data_source`` parameter when it is not
    the bundled ``"sample"``; ``settings_file`` (a path) to ``settings_file`` and
    ``analysis_year`` to ``analysis_year`` when given. A chapter only receives the
    parameters its parameters cell declares (so papermill has nothing to warn about).
    ``html``: also write ``NAME.html`` next to each executed
    notebook. A failing chapter does not stop the others: every chapter runs, so one
    run shows every problem. Prints one line per chapter as it finishes, then the
    failures in full (to stderr). Results come back in chapter order.

    ``share_data``: load and validate the data once, before the chapters start, and let
    every chapter read that copy (:mod:`kamlib.data.cache`: a private folder inside
    ``out_dir``, removed at the end of the run) instead of validating it again.
    ``only``: run just the chapters whose file names start with one of these (``("00",
    "01")``); None: every chapter.
    """
    import contextlib
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from kamlib.data import cache as _data_cache

    folder = Path(notebooks_dir) if notebooks_dir is not None else NOTEBOOKS_DIR
    out_dir = Path(out_dir)
    _check_not_source(out_dir, folder)
    chapters = chapter_paths(folder)
    if only is not None:
        chapters = [p for p in chapters if p.name.startswith(tuple(str(o) for o in only))]
    if not chapters:
        print(f"No chapters (NN_*.ipynb) in {folder}.")
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    params = _data_parameter(data_source)
    if settings_file is not None:
        sp = Path(settings_file).expanduser().resolve()
        if not sp.is_file():
            raise FileNotFoundError(f"no settings file at {sp}: give the path of a "
                                    "settings file (`kam settings init --path FILE` makes one)")
        params["settings_file"] = str(sp)
    if analysis_year:
        params["analysis_year"] = int(analysis_year)
    tasks = [
        _Task(p.resolve(), paths.inside(out_dir, p.name), folder.resolve(),
              _declared(p, params), html, kernel_name, timeout)
        for p in chapters
    ]
    workers = max(1, min(int(workers), len(tasks)))
    print(f"Running {len(tasks)} chapter(s) from {folder} into {out_dir} "
          f"({workers} at a time)...", flush=True)
    started = time.perf_counter()
    results: dict[str, ChapterResult] = {}
    # "spawn": a clean interpreter per worker, the same on every platform, and no
    # fork of a process that may hold threads.
    ctx = multiprocessing.get_context("spawn")
    # the data is loaded and validated once for every chapter (kamlib.data.cache): a
    # private folder inside out_dir, set before the workers start so their kernels
    # inherit it, and removed when the run ends, whatever happens
    shared = (_data_cache.shared_for_run(out_dir, params.get("data_source", DEFAULT_DATA_SOURCE),
                                         then=WARM_UP)
              if share_data else contextlib.nullcontext())
    with shared, ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        if share_data:
            print(f"  data loaded and checked once for every chapter "
                  f"({time.perf_counter() - started:.1f} s)", flush=True)
        futures = {pool.submit(_run_task, t): t for t in tasks}
        for fut in as_completed(futures):
            t = futures[fut]
            try:
                r = fut.result()
            except Exception as exc:  # noqa: BLE001 - a worker that died
                r = ChapterResult(t.input_path.name, False, 0.0, t.output_path,
                                  f"{t.input_path.name}: the worker process failed: "
                                  f"{type(exc).__name__}: {exc}")
            results[r.name] = r
            print(f"  {'ok    ' if r.ok else 'FAILED'}  {r.name:<40} {r.seconds:6.1f} s",
                  flush=True)
    ordered = [results[p.name] for p in chapters]
    failed = [r for r in ordered if not r.ok]
    total = time.perf_counter() - started
    print(f"{len(ordered) - len(failed)} of {len(ordered)} chapter(s) ran without error "
          f"in {total:.1f} s.", flush=True)
    for r in failed:
        print(f"FAILED {r.error}", file=sys.stderr, flush=True)
    return ordered


# ------------------------------------------------------------------ learners' copies


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _is_path_parameter(name: str) -> bool:
    """A parameter naming a file or folder: ``settings_file``, ``calendar_dir``, ``…_path``."""
    return name.endswith(("_file", "_dir", "_path"))


def _is_output_parameter(name: str) -> bool:
    """A folder the chapter *writes* into (``calendar_dir``): a name ending in ``_dir``.
    ``…_file`` and ``…_path`` parameters are read (the settings file)."""
    return name.endswith("_dir")


def _copy_path(value: str, name: str, notebooks_dir: Path, out_dir: Path) -> str:
    """Where a learner's copy in ``out_dir`` finds (or writes) the chapter's relative path
    ``value`` of parameter ``name``.

    - A file the chapter reads (``settings_file``) is the same file: relative when
      ``out_dir`` is inside the project (the folder holding the notebooks folder),
      absolute otherwise.
    - A folder the chapter writes into (``calendar_dir``) lands *next to the copies*:
      the chapter's ``../build/calendars`` (the project's ``build/calendars``) is
      ``../calendars`` from ``out_dir``, i.e. ``build/calendars`` for ``make exercises``
      (``build/exercises``) and ``OUT/calendars`` for copies in ``OUT/exercises``, never
      the project's folder from a copy taken elsewhere. A folder outside the project's
      ``build/`` keeps its path relative to the copy.
    """
    target = (notebooks_dir / value).resolve()
    project = notebooks_dir.resolve().parent
    out = out_dir.resolve()
    if _is_output_parameter(name):
        build = project / "build"
        if target == build or build in target.parents:
            return Path(os.path.relpath(out.parent / target.relative_to(build), out)).as_posix()
        return Path(value).as_posix()
    if out == project or project in out.parents:  # copies inside the project
        return Path(os.path.relpath(target, out)).as_posix()
    return target.as_posix()  # copies taken elsewhere: the absolute path still finds the file


def _rewrite_settings_path(source: str, notebooks_dir: Path, out_dir: Path) -> str:
    """Rewrite each relative path parameter (``settings_file = "..."``, ``calendar_dir =
    "..."``: see :func:`_is_path_parameter`) for a learner's copy in ``out_dir``: it reads
    the same settings, and writes next to the copies (see :func:`_copy_path`).
    """
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = source.splitlines(keepends=True)
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and _is_path_parameter(node.targets[0].id)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and not Path(node.value.value).is_absolute()
            and node.lineno == node.end_lineno
        ):
            new = _copy_path(node.value.value, node.targets[0].id, notebooks_dir, out_dir)
            i = node.lineno - 1
            line = lines[i]
            v = node.value
            lines[i] = line[: v.col_offset] + repr(new).replace("'", '"') + line[v.end_col_offset:]
    return "".join(lines)


def exercise_copy(nb, notebooks_dir: Path | None = None, out_dir: Path | None = None):
    """The learner's copy of notebook ``nb`` (an nbformat node; a new one is returned).

    Cells tagged ``solution`` become ``# Your answer here`` (code) or ``*Your answer
    here.*`` (markdown), keeping their cell ids; every output and execution count is
    cleared, papermill's metadata and injected-parameter cells are dropped, and a note
    saying this is a generated copy is put under the title. When both folders are
    given, relative path parameters are rewritten: ``settings_file`` still points at the
    same file from ``out_dir``, and ``calendar_dir`` (a folder the chapter writes) lands
    next to the copies (``build/calendars`` for ``build/exercises``).
    """
    import copy

    import nbformat

    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        tags = _tags(cell)
        if "injected-parameters" in tags:
            continue
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if SOLUTION_TAG in tags:
            kept = [t for t in tags if t != SOLUTION_TAG]
            if kept:
                cell.metadata["tags"] = kept
            else:
                cell.metadata.pop("tags", None)
            cell.source = (
                ANSWER_PLACEHOLDER if cell.cell_type == "code" else MARKDOWN_ANSWER_PLACEHOLDER
            )
            cell.metadata.pop("jupyter", None)  # e.g. a collapsed solution
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            if (
                PARAMETERS_TAG in tags
                and notebooks_dir is not None
                and out_dir is not None
            ):
                cell.source = _rewrite_settings_path(cell.source, Path(notebooks_dir),
                                                     Path(out_dir))
        cells.append(cell)
    note = nbformat.v4.new_markdown_cell(
        "> **Learner's copy.** The solutions of the exercises are removed: write yours "
        f"where a cell says `{ANSWER_PLACEHOLDER}`, and run the copy from the top (*Run → Run "
        "All Cells*); a check cell says *not answered yet* until you answer. This copy is "
        "generated from the chapter by `kam exercises` (`make exercises`), which keeps it once "
        "you have written in it (delete it for a fresh one); edit the chapter, not this copy."
    )
    note["id"] = "learners-copy-note"
    cells.insert(1 if cells and cells[0].cell_type == "markdown" else 0, note)
    nb.cells = cells
    nb.metadata.pop("papermill", None)
    return nb


def write_exercise_copies(
    out_dir: str | Path, *, notebooks_dir: str | Path | None = None
) -> list[Path]:
    """Write the learners' copy of every chapter into ``out_dir``. Returns the paths.

    See :func:`exercise_copy` for what changes. The copies keep the chapters' file names.

    A copy the learner has worked in (a cell's text differs from what was written: an
    answer typed in) is **kept**, never overwritten (``make lab`` runs this every time),
    and said so: delete it to get a fresh copy. A copy only run, or never opened, is
    rewritten from the chapter. The text written is fingerprinted in the copy's metadata
    (``kam.learner_copy``) to tell the two apart.
    """
    import nbformat

    folder = Path(notebooks_dir) if notebooks_dir is not None else NOTEBOOKS_DIR
    out_dir = Path(out_dir)
    _check_not_source(out_dir, folder)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in chapter_paths(folder):
        nb = nbformat.read(path, as_version=4)
        copy_nb = exercise_copy(nb, folder, out_dir)
        copy_nb.metadata["kam"] = {"learner_copy": {"chapter": path.name,
                                                    "sources": _sources_digest(copy_nb)}}
        target = paths.inside(out_dir, path.name)  # checked: never outside out_dir
        if target.is_file() and _edited_by_learner(target):
            print(f"Kept {target}: it holds your work (delete it to get a fresh copy).")
        else:
            nbformat.write(copy_nb, target)
        written.append(target)
    return written


def _sources_digest(nb) -> str:
    """A fingerprint of a notebook's cells' text (types and sources, not outputs)."""
    import hashlib
    import json

    text = json.dumps([[c.cell_type, c.source] for c in nb.cells], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _edited_by_learner(path: Path) -> bool:
    """Has the learner changed the text of the copy at ``path`` since it was written?
    A copy without a fingerprint (written before there was one), or one that cannot be
    read, counts as edited: it is kept."""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - a damaged file is the learner's to look at
        return True
    recorded = nb.metadata.get("kam", {}).get("learner_copy", {}).get("sources")
    return recorded is None or recorded != _sources_digest(nb)


# ---------------------------------------------------------------------------- demo


def _check_bundled_data() -> bool:
    """Run ``kamlib.data.check`` on the bundled data when it exists. True if usable."""
    from kamlib import data

    if not hasattr(data, "check"):
        print("Data check: skipped (kamlib.data.check is not available).")
        return True
    report = data.check(data.SAMPLE_DIR)
    print(report.text())
    return bool(report.ok)


def _run_reports(out: Path, workers: int):
    """Produce the key-account reports when ``kamlib.reports.run_batch`` exists."""
    try:
        from kamlib import reports
    except ImportError:
        print("Reports: skipped (kamlib.reports is not available).")
        return None
    if not hasattr(reports, "run_batch"):
        print("Reports: skipped (kamlib.reports has no run_batch).")
        return None
    print(f"Writing the key-account reports into {out}...", flush=True)
    return reports.run_batch(
        data=DEFAULT_DATA_SOURCE, accounts="key", out=out, workers=workers,
        formats=("html",),
    )


def _write_calendars(out_dir: Path) -> list[Path]:
    """Each account manager's visit plan on the bundled data, as .ics files."""
    from kamlib import calendar_export, data, service, settings

    kd = data.load(DEFAULT_DATA_SOURCE)
    s = settings.for_data(settings.load(settings.DEFAULT_SETTINGS_FILE), kd)
    plan = service.visit_plan(service.key_account_table(kd, s), s, customers=kd.customers)
    paths = calendar_export.write_ics(plan, out_dir)
    print(f"Wrote {len(paths)} visit calendars into {out_dir}.")
    return paths


def demo(out_dir: str | Path, workers: int = 2) -> int:
    """The main job (``make demo``): check the bundled data, run the chapters, write
    the learners' copies and the key-account reports into ``out_dir``. Returns 0 when
    everything worked, 1 otherwise (and says what failed).

    Layout: ``OUT/chapters`` (executed chapters + HTML), ``OUT/exercises`` (learners'
    copies), ``OUT/calendars`` (visit plans, .ics), ``OUT/reports`` (one account plan per
    key account, ``index.html``).
    """
    out = Path(out_dir)
    started = time.perf_counter()
    ok = True
    if not _check_bundled_data():
        print("The bundled data has problems (see above): stopping.", file=sys.stderr)
        return 1
    results = run_chapters(out / "chapters", workers=workers)
    ok &= bool(results) and all(r.ok for r in results)
    exercises = write_exercise_copies(out / "exercises")
    print(f"Wrote {len(exercises)} learners' copies into {out / 'exercises'}.")
    calendars = _write_calendars(out / "calendars")
    batch = _run_reports(out / "reports", workers)
    report_failures = list(getattr(batch, "failed", []) or []) if batch is not None else []
    if report_failures:
        ok = False
        print(f"{len(report_failures)} report(s) failed: "
              + ", ".join(str(f) for f in report_failures), file=sys.stderr)

    print()
    print(f"Done in {time.perf_counter() - started:.0f} s. Open:")
    for r in results:
        shown = r.html_path if r.html_path is not None else r.output_path
        print(f"  {'' if r.ok else '(FAILED) '}{shown}")
    if exercises:
        print(f"  {out / 'exercises'}/   (learners' copies: open in JupyterLab, `make lab`)")
    if calendars:
        print(f"  {out / 'calendars'}/   (visit plans, one .ics per account manager)")
    index = getattr(batch, "index_path", None) if batch is not None else None
    if index is not None:
        print(f"  {index}   (the key-account reports)")
    if not ok:
        print("Some steps failed: see the messages above.", file=sys.stderr)
    return 0 if ok else 1


def tidy_executed(path: str | Path) -> None:
    """Drop the run-time stamps papermill and nbclient write into an executed notebook.

    Start and end times change at every run and would make every re-execution a diff
    of thousands of lines; what a reader sees (sources, outputs, counts) stays.
    """
    import nbformat

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        pm_meta = cell.metadata.get("papermill")
        if pm_meta is not None:
            for key in ("duration", "start_time", "end_time"):
                pm_meta.pop(key, None)
    pm_meta = nb.metadata.get("papermill")
    if pm_meta is not None:
        for key in ("duration", "start_time", "end_time", "input_path", "output_path"):
            pm_meta.pop(key, None)
    nbformat.write(nb, path)
