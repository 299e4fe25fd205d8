"""Per-customer key account plans, in batch: one papermill report per key account.

    kam reports --data sample --accounts key --out build/reports --workers 2 --format html
    kam reports --accounts C0003,C0018 --format html,pdf --force

    from kamlib import reports
    result = reports.run_batch(data="sample", accounts="key", out=Path("build/reports"))
    result.index_path, result.succeeded, result.failed, result.seconds

The template ``notebooks/templates/account_plan.ipynb`` (papermill parameters
``customer_id``, ``data_source``, ``settings_file``, ``analysis_year``,
``show_personal_details``) is one customer's plan; its cells are thin calls to
:mod:`kamlib.report_sections`. For each account the runner parameterises the template
with papermill (``papermill.parameterize_notebook``), executes it with papermill's
engine API, and writes the *outputs* as a self-contained HTML report
(:mod:`kamlib.report_html`: no code, no script, nothing from the internet), and a PDF
where asked (headless Chromium from the system's packages).

**How it is fast.** Starting a kernel (≈ 0.8 s), importing pandas and Matplotlib
(≈ 1.6 s), loading the data and computing the portfolio-wide results (key-account list,
segments, visit plan... ≈ 3-4 s) and building an nbconvert exporter would dominate a
report that takes a fraction of a second to compute. So each worker process keeps
**one kernel alive** for its whole share of the batch (papermill's ``nbclient`` engine,
registered here as ``kam-kept-kernel``, given the worker's kernel manager and client),
the portfolio results are cached in that kernel (:func:`kamlib.report_sections.portfolio`,
keyed on the data files' sizes and modification times, the settings file's content and
the analysis year - shared, non-customer state, identical for every customer), and the
HTML is assembled directly from the executed notebook's outputs (no nbconvert exporter).

**No state carries from one customer to the next.** Before each customer the kernel
runs a reset cell (tag ``kam-reset``): open figures are closed, the user namespace is
wiped (IPython's ``reset``, as ``%reset -f``), the working directory is restored. The
template's cells then re-import what they use and build the customer's
:class:`kamlib.report_sections.Account` from scratch. A test runs a template that
would see the previous customer's variables and figures, on one reused kernel.

**Robust.** A failing account is recorded (the cell, the error; the executed notebook
is kept in ``OUT/failed/``) and the batch goes on; a kernel that dies or hangs is
restarted; a worker process that dies is replaced. The exit code is 1 when any account
failed. Reports are written to a temporary name and renamed, so a report appears
whole or not at all. A rerun skips the reports that are up to date (same template,
data files, settings file, kamlib source and options; files present) unless ``force``.

**Safe in a shared folder** (:mod:`kamlib.batch_guard`, :mod:`kamlib.paths`): file
names from the data are slugs checked to lie inside ``OUT``; one batch per folder (a
lock, stale locks recovered); a stop (SIGINT, SIGTERM, SIGHUP, a full disk) ends the
workers and kernels and records what was not done; workers die with a killed batch;
the portfolio (customer data) lives in a private temporary folder, never in ``OUT``.

**Outputs** in ``OUT``: one ``<customer_id>_<name>.html`` (and ``.pdf``) per account
(slugs: :func:`kamlib.paths.safe_name`),
``index.html`` (:mod:`kamlib.report_index`: the accounts with links, headline figures,
filters and totals, and the failed accounts with their error), ``actions.csv`` and
``objectives.csv`` (every planned account's actions and objectives), ``run.log`` (one line per account, errors in
full), ``reports.json`` (the manifest the up-to-date check reads).
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from kamlib import batch_guard as guard
from kamlib import paths

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TEMPLATE = PROJECT_ROOT / "notebooks" / "templates" / "account_plan.ipynb"
DEFAULT_SETTINGS_FILE = PROJECT_ROOT / "kam_settings.toml"
FORMATS = ("html", "pdf")
ENGINE_NAME = "kam-kept-kernel"
CELL_TIMEOUT_SECONDS = 300
"""A cell running longer than this fails its account (the kernel is restarted)."""
FALLBACK_TOP_N = 40
"""``accounts="key"`` without ``kamlib.selection.key_accounts``: the top N customers by
revenue of the analysis year stand in for the key accounts (said in the log)."""
MANIFEST = "reports.json"
PLAN_TABLES = ("actions.csv", "objectives.csv")
"""The batch's plan tables (:func:`kamlib.report_index.write_plan_tables`)."""
INDEX = "index.html"
RUN_LOG = "run.log"
FAILED_DIR = "failed"
RESET_TAG = "kam-reset"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
                  "chrome")
CHROMIUM_HELP = (
    "PDF output needs headless Chromium from the system's packages, and none was found "
    "(looked for: {names}). Install it, e.g. on Debian/Ubuntu: `sudo apt-get install "
    "chromium`, or set KAM_CHROMIUM to its path. The runner never downloads a browser. "
    "Meanwhile use --format html."
)


class ReportError(ValueError):
    """A batch that cannot start (bad options, no Chromium for PDF, ...): the message
    says how to fix it."""


@dataclass
class BatchResult:
    """What a batch did.

    ``index_path``: ``OUT/index.html``; ``succeeded``: customer ids with a report
    (written now or up to date); ``failed``: {customer_id: error}; ``skipped``: the
    up-to-date ones not re-run (also in ``succeeded``); ``written``: reports written
    by this run; ``seconds``: wall time; ``log_path``: ``OUT/run.log``;
    ``records``: {customer_id: manifest record}; ``accounts_note``: how the accounts
    were chosen (with the reason when there are none); ``company``: whose data it is
    (the index's title; :func:`kamlib.settings.company_for`).
    """

    index_path: Path
    company: str = ""
    succeeded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    seconds: float = 0.0
    log_path: Path | None = None
    out_dir: Path | None = None
    records: dict[str, dict] = field(default_factory=dict)
    accounts_note: str = ""

    @property
    def ok(self) -> bool:
        return not self.failed


# ------------------------------------------------------------------------ helpers


def slug(text: str, max_len: int = 40) -> str:
    """``'Nordfeed Premix GmbH' -> 'nordfeed-premix-gmbh'`` (ASCII, for file names;
    :func:`kamlib.paths.slug`)."""
    return paths.slug(text, max_len, default="customer")


def find_chromium() -> str | None:
    """The headless Chromium of the system (``KAM_CHROMIUM`` first), or ``None``."""
    env = os.environ.get("KAM_CHROMIUM")
    if env:
        return env if Path(env).exists() or shutil.which(env) else None
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def parse_formats(formats) -> tuple[str, ...]:
    """``"html,pdf"`` or a sequence -> ``("html", "pdf")``; refuses unknown formats."""
    if isinstance(formats, str):
        formats = [f for f in re.split(r"[,\s]+", formats) if f]
    out = []
    for f in formats:
        f = str(f).strip().lower()
        if f not in FORMATS:
            raise ReportError(f"unknown report format {f!r}: use html, pdf or html,pdf")
        if f not in out:
            out.append(f)
    if not out:
        raise ReportError("no report format given: use html, pdf or html,pdf")
    return tuple(out)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def kamlib_fingerprint() -> str:
    """A hash of kamlib's version and source files: a code change makes reports stale."""
    import kamlib

    h = hashlib.sha256(kamlib.__version__.encode())
    for p in sorted(Path(kamlib.__file__).parent.rglob("*.py")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def batch_signature(template: Path, data_path: Path, settings_file: Path | None,
                    analysis_year, show_personal_details: bool, formats) -> str:
    """What a report depends on, hashed: template, data files (names, sizes,
    modification times), settings file content, kamlib source, options."""
    return _sha(json.dumps(signature_parts(template, data_path, settings_file,
                                           analysis_year, show_personal_details, formats),
                           sort_keys=True, default=str).encode())


def signature_parts(template: Path, data_path: Path, settings_file: Path | None,
                    analysis_year, show_personal_details: bool, formats) -> dict:
    """The inputs of :func:`batch_signature`, one entry each (the log names the ones
    that changed since the last run)."""
    from kamlib import report_sections

    return {
        "template": _sha(Path(template).read_bytes()),
        "data": report_sections._file_signature(data_path),
        "settings": report_sections.settings_signature(settings_file),
        "kamlib": kamlib_fingerprint(),
        "analysis_year": analysis_year,
        "show_personal_details": bool(show_personal_details),
        "formats": sorted(formats),
    }


def _atomic_write(path: Path, data: str | bytes) -> None:
    """Write to a temporary name in the same folder, then rename: whole or nothing."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; a report is a normal file
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _plain(text: str) -> str:
    return _ANSI.sub("", text)


# --------------------------------------------------------------- choosing accounts


@dataclass(frozen=True)
class _Account:
    customer_id: str
    name: str
    stem: str  # file name without extension


def resolve_accounts(kd, s, accounts="key", *, key_table=None, key_status=None
                     ) -> tuple[list[_Account], dict[str, str], str]:
    """The accounts to report on: ``"key"``, ``"all"`` or ``"ID,ID,..."`` (or a list).

    ``"key"``: the key accounts of ``kamlib.selection.key_accounts`` (``is_key``), in
    the list's order of revenue; without that function, the top ``FALLBACK_TOP_N``
    customers by revenue of the analysis year (a stand-in, said in the note).
    ``"all"``: every customer of ``customers``. Ids not in the data are returned in
    the second value ({id: error}) and fail without running. Third value: a note.
    ``key_table``: the key-account list if already computed (``key_status`` "ok").
    """
    from kamlib import measures, selection

    cust = kd.customers.set_index("customer_id")
    names = cust["customer_name"].astype(str)
    note = ""
    unknown: dict[str, str] = {}
    if isinstance(accounts, str) and accounts.strip().lower() == "key":
        if key_table is not None or (key_status is None and hasattr(selection,
                                                                  "key_accounts")):
            ka = key_table if key_table is not None else selection.key_accounts(kd, s)
            why = list(ka.attrs.get("warnings") or [])
            ka = ka.loc[ka["is_key"].astype(bool)]
            if "revenue" in ka.columns:
                ka = ka.sort_values("revenue", ascending=False, kind="stable")
            ids = [str(i) for i in ka.index]
            note = f"key accounts of kamlib.selection.key_accounts: {len(ids)}"
            if not ids:  # never "0 reports" without the reason
                note += ". " + (" ".join(why) if why else "The key-account rule selects "
                                "nobody: see selection.key_accounts in the settings file.")
        else:
            year = s.period.analysis_year
            tot = measures.customer_totals(kd.orders, [year])
            ids = [str(i) for i in tot.sort_values("revenue", ascending=False,
                                                   kind="stable").index[:FALLBACK_TOP_N]]
            why = "is not available" if not key_status or key_status == "missing" else \
                f"failed: {key_status}"
            note = (f"STAND-IN for the key accounts (kamlib.selection.key_accounts {why}): "
                    f"the top {FALLBACK_TOP_N} customers by revenue in {year}")
    elif isinstance(accounts, str) and accounts.strip().lower() == "all":
        ids = [str(i) for i in cust.index]
        note = f"all customers: {len(ids)}"
    else:
        raw = accounts.split(",") if isinstance(accounts, str) else list(accounts)
        ids = []
        for x in raw:
            x = str(x).strip()
            if x and x not in ids:
                ids.append(x)
        if not ids:
            raise ReportError("no accounts given: use --accounts key, all or a list of "
                              "customer ids such as C0003,C0018")
        for x in ids:
            if x not in names.index:
                unknown[x] = (f"{x} is not a customer in the data ({len(names)} customers "
                              f"in customers.csv, e.g. {names.index[0]}): check the id")
        note = f"customers given: {len(ids)}"
    taken: set = set()  # file names are unique, also where case does not count
    out = [_Account(i, names.get(i, i), paths.safe_name(i, names.get(i, i), taken=taken))
           for i in ids if i not in unknown]
    return out, unknown, note


# ------------------------------------------------------------------ the worker side


_RESET_SOURCE = (
    "# kam-reset: each customer starts from a clean kernel namespace (the kernel is reused)\n"
    "from kamlib.reports import reset_kernel_state as _kam_reset\n"
    "_kam_reset({cwd!r})\n"
)


def reset_kernel_state(cwd: str | None = None) -> None:
    """Run inside the report kernel before each customer: close every Matplotlib
    figure, wipe the user namespace (IPython ``reset``, as ``%reset -f``: variables,
    input/output history; it also collects garbage) and restore the working directory.
    Modules stay imported (importing is what a kept kernel saves) - the only state
    kamlib keeps in them is the portfolio cache, which holds no customer-specific
    result."""
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    try:
        from IPython import get_ipython

        ip = get_ipython()
    except ImportError:  # pragma: no cover
        ip = None
    if ip is not None:
        ip.reset(new_session=False)
    if cwd:
        os.chdir(cwd)


def _kernel_environment() -> dict:
    """The environment of the report kernels.

    ``MPLBACKEND=Agg`` (the Makefile's) would stop ipykernel choosing its inline backend:
    drop it (report charts are drawn on plain Figures and do not need pyplot anyway).
    """
    env = dict(os.environ)
    backend = env.get("MPLBACKEND", "")
    if backend and "inline" not in backend:
        del env["MPLBACKEND"]
    env.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    env.setdefault("PYTHONHASHSEED", "0")
    return env


class _KernelPids:
    """In a worker: the list where each kernel started puts its pid (for a hard stop)."""

    sink: list | None = None


class KernelSession:
    """One kept-alive kernel (a worker's), and the papermill execution of the template
    on it, one customer after the other.

    ``cfg``: ``template`` (path), ``data_source``, ``settings_file``, ``analysis_year``,
    ``show_personal_details``, ``kernel_name``, ``timeout``, ``cwd``.
    """

    def __init__(self, cfg: dict):
        import nbformat

        self.cfg = cfg
        self.km = None
        self.kc = None
        self.reports = 0
        self.kernel_starts = 0
        self.seeded = None
        nb = nbformat.read(cfg["template"], as_version=4)
        reset = nbformat.v4.new_code_cell(_RESET_SOURCE.format(cwd=str(cfg["cwd"])))
        reset.metadata["tags"] = [RESET_TAG]
        nb.cells.insert(0, reset)
        nb.metadata.setdefault("papermill", {})
        for cell in nb.cells:
            cell.metadata.setdefault("tags", [])
        self.template_nb = nb
        # warm up (imports + portfolio) only for templates built on report_sections
        self.uses_portfolio = any("report_sections" in c.source for c in nb.cells
                                  if c.cell_type == "code")
        _register_engine()
        self.start()

    # -- kernel life
    def start(self) -> None:
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self.km = AsyncKernelManager(kernel_name=self.cfg.get("kernel_name", "python3"))
        if self.cfg.get("tmpdir"):  # the connection file (ports, key): private, removed
            self.km.connection_file = str(
                Path(self.cfg["tmpdir"]) / f"kernel-{os.getpid()}-{self.kernel_starts}.json")
        run_sync(self.km.start_kernel)(
            extra_arguments=["--IPKernelApp.log_level=CRITICAL",
                             "--HistoryManager.hist_file=:memory:"],
            cwd=str(self.cfg["cwd"]), env=_kernel_environment(),
        )
        pid = _kernel_pid(self)
        if pid and _KernelPids.sink is not None:
            _KernelPids.sink.append(pid)
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            run_sync(self.kc.wait_for_ready)(timeout=self.cfg.get("startup_timeout", 60))
        except RuntimeError:
            self.close()
            raise
        self.kernel_starts += 1

    def restart(self) -> None:
        self.close()
        self.start()
        self.seeded = None

    def close(self) -> None:
        from jupyter_core.utils import run_sync

        if self.kc is not None:
            try:
                self.kc.stop_channels()
            except Exception:  # noqa: BLE001 - closing anyway
                pass
            self.kc = None
        if self.km is not None:
            try:
                if run_sync(self.km.is_alive)():
                    run_sync(self.km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001
                pass
            try:
                run_sync(self.km.cleanup_resources)()
            except Exception:  # noqa: BLE001
                pass
            self.km = None

    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        try:
            return self.km is not None and bool(run_sync(self.km.is_alive)())
        except Exception:  # noqa: BLE001
            return False

    def warm_up(self) -> tuple[float, str]:
        """Import the libraries in the kernel before the first customer (the reset cell
        wipes the names; the modules stay)."""
        return self._run_code(
            "from kamlib import notebook as _n, report_sections as _rs, report_html as _h\n"
            "import kamlib.report_charts, matplotlib.figure, matplotlib.backends.backend_agg\n"
            "import gc as _gc\n_gc.collect()\n_gc.freeze()\n"
        )

    def seed(self, path: str) -> tuple[float, str]:
        """Put the portfolio computed by the batch process into the kernel's cache (it
        is used only if the kernel's own cache key - data files, settings, year -
        matches; otherwise the kernel computes it on first use)."""
        self.seeded = path
        return self._run_code(
            "from kamlib import report_sections as _rs\n"
            f"_rs.seed_cache({path!r}, {self.cfg['data_source']!r}, "
            f"{self.cfg['settings_file'] or None!r}, {self.cfg['analysis_year'] or None!r})\n"
            # what exists now (modules, the portfolio) lives as long as the kernel: keep
            # it out of the garbage collector's scans, so each customer's reset is quick
            "import gc as _gc\n_gc.collect()\n_gc.freeze()\n"
        )

    def _run_code(self, code: str) -> tuple[float, str]:
        import nbformat

        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
        nb.metadata["papermill"] = {}
        nb.cells[0].metadata["tags"] = []
        t0 = time.perf_counter()
        try:
            self._run(nb)
            err = next((f"{o.ename}: {o.evalue}" for c in nb.cells for o in c.outputs
                        if o.output_type == "error"), "")
        except Exception as exc:  # noqa: BLE001
            err = f"{type(exc).__name__}: {exc}"
        return time.perf_counter() - t0, err

    # -- execution
    def _run(self, nb):
        from papermill.engines import papermill_engines

        _KeptKernelEngine.session = self
        return papermill_engines.execute_notebook_with_engine(
            ENGINE_NAME, nb, kernel_name=self.cfg.get("kernel_name", "python3"),
            input_path=str(self.cfg["template"]), output_path=None, progress_bar=False,
            log_output=False, start_timeout=self.cfg.get("startup_timeout", 60),
            execution_timeout=self.cfg.get("timeout", CELL_TIMEOUT_SECONDS),
        )

    def execute(self, customer_id: str):
        """The template executed for one customer (papermill: parameterised, run on the
        kept kernel). Returns the executed notebook; cell errors are in its outputs."""
        from papermill.parameterize import parameterize_notebook

        params = {
            "customer_id": customer_id,
            "data_source": str(self.cfg["data_source"]),
            "settings_file": str(self.cfg["settings_file"] or ""),
            "analysis_year": int(self.cfg["analysis_year"] or 0),
            "show_personal_details": bool(self.cfg["show_personal_details"]),
        }
        nb = copy.deepcopy(self.template_nb)
        nb = parameterize_notebook(nb, params, kernel_name=self.cfg.get("kernel_name",
                                                                        "python3"),
                                   language="python", engine_name=ENGINE_NAME)
        self.reports += 1
        return self._run(nb)


_ENGINE_REGISTERED = False


def _register_engine() -> None:
    """Register papermill's nbclient engine bound to a kept kernel (once per process)."""
    global _ENGINE_REGISTERED, _KeptKernelEngine
    if _ENGINE_REGISTERED:
        return
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class KeptKernelEngine(NBClientEngine):
        """papermill's nbclient engine on the worker's live kernel: the kernel manager
        and client are handed in, so nbclient neither starts nor shuts down a kernel."""

        session: KernelSession | None = None

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                     stdout_file=None, stderr_file=None, start_timeout=60,
                                     execution_timeout=None, **kwargs):
            s = cls.session
            client = PapermillNotebookClient(
                nb_man, km=s.km, kernel_name=kernel_name, timeout=execution_timeout,
                startup_timeout=start_timeout, log_output=False, interrupt_on_timeout=True,
                stdout_file=stdout_file, stderr_file=stderr_file,
            )
            client.kc = s.kc  # reuse the live client: no new channels per customer
            return client.execute()

    papermill_engines.register(ENGINE_NAME, KeptKernelEngine)
    _KeptKernelEngine = KeptKernelEngine
    _ENGINE_REGISTERED = True


class _KeptKernelEngine:  # replaced by the real engine class on registration
    session = None


def _cell_error(nb) -> dict | None:
    """The first error of an executed notebook: cell source, ename, evalue, traceback."""
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                if out.get("ename") == "SystemExit" and out.get("evalue") in ("", "0"):
                    continue
                return {"index": i, "source": cell.source, "ename": out.get("ename", ""),
                        "evalue": out.get("evalue", ""),
                        "traceback": _plain("\n".join(out.get("traceback", [])))}
        if cell.get("metadata", {}).get("papermill", {}).get("exception"):
            return {"index": i, "source": cell.source, "ename": "CellExecutionError",
                    "evalue": "", "traceback": ""}
    return None


def _headline(nb) -> dict:
    from kamlib.report_html import HEADLINE_MIME

    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if HEADLINE_MIME in data:
                h = data[HEADLINE_MIME]
                return json.loads(h) if isinstance(h, str) else dict(h)
    return {}


def print_pdf(html_path: Path, pdf_path: Path, chromium: str, *, timeout: int = 120,
              profile_dir: Path | None = None) -> None:
    """Print an HTML file to PDF with headless Chromium (no network needed: the report
    is self-contained). Written to a temporary name, then renamed."""
    pdf_path = Path(pdf_path)
    tmp = pdf_path.with_name(f".{pdf_path.name}.{os.getpid()}.tmp.pdf")
    profile = profile_dir or Path(tempfile.mkdtemp(prefix="kam-chromium-"))
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--no-first-run", "--disable-extensions",
           "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
           f"--user-data-dir={profile}", "--no-pdf-header-footer",
           "--print-to-pdf-no-header", f"--print-to-pdf={tmp}",
           Path(html_path).resolve().as_uri()]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              check=False)
        if not tmp.exists() or tmp.stat().st_size == 0 or \
                tmp.read_bytes()[:5] != b"%PDF-":
            err = (proc.stderr or "").strip().splitlines()[-3:]
            raise RuntimeError(f"Chromium did not write the PDF (exit {proc.returncode}): "
                               + " | ".join(err))
        os.replace(tmp, pdf_path)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"Chromium took more than {timeout} s to print the PDF") from None
    finally:
        tmp.unlink(missing_ok=True)
        if profile_dir is None:
            shutil.rmtree(profile, ignore_errors=True)


def _describe(err: dict) -> str:
    lines = [ln.strip() for ln in (err.get("source") or "").splitlines()
             if ln.strip() and not ln.strip().startswith("#")]
    first = lines[0] if lines else "(empty cell)"
    ev = str(err.get("evalue", "")).strip().splitlines()
    return f"the cell `{first}` raised {err.get('ename')}: {ev[0] if ev else ''}".rstrip(": ")


def _stat(path: Path) -> list[int]:
    """(size, modification time in ns) of a written file: the up-to-date check sees a
    file replaced since (by hand, or by a batch of another year)."""
    st = Path(path).stat()
    return [st.st_size, st.st_mtime_ns]


def _make_report(session: KernelSession, task: dict, cfg: dict) -> dict:
    """One account's report (in a worker). Never raises: returns the manifest record."""
    from kamlib import report_html

    cid, stem = task["customer_id"], task["stem"]
    out = Path(cfg["out"])
    rec = {"customer_id": cid, "customer_name": task["name"], "status": "failed",
           "files": {}, "headline": {}, "error": "", "detail": "", "warnings": "",
           "signature": cfg["signature"]}
    t0 = time.perf_counter()
    nb = None
    try:
        nb = session.execute(cid)
        err = _cell_error(nb)
        if err:
            rec["error"] = _describe(err)
            rec["detail"] = err.get("traceback", "")
        else:
            footer = ""
            page, stderr = report_html.notebook_to_html(
                nb, title=f"Key account plan: {task['name']}", footer=footer)
            rec["warnings"] = _plain(stderr).strip()
            # the stem is a slug made by kamlib.paths: checked once more to be in OUT
            html_path = paths.inside(out, f"{stem}.html")
            pdf_path = paths.inside(out, f"{stem}.pdf")
            if "html" in cfg["formats"]:
                _atomic_write(html_path, page)
                rec["files"]["html"] = html_path.name
                rec["stat"] = {"html": _stat(html_path)}
            if "pdf" in cfg["formats"]:
                src = html_path
                if "html" not in cfg["formats"]:  # printed from the private folder
                    src = Path(cfg["tmpdir"]) / f"print-{os.getpid()}.html"
                    _atomic_write(src, page)
                try:
                    print_pdf(src, pdf_path, cfg["chromium"],
                              profile_dir=Path(cfg["profile_dir"]))
                finally:
                    if src != html_path:
                        src.unlink(missing_ok=True)
                rec["files"]["pdf"] = pdf_path.name
                rec.setdefault("stat", {})["pdf"] = _stat(pdf_path)
            rec["headline"] = _headline(nb)
            rec["status"] = "ok"
    except Exception as exc:  # noqa: BLE001 - one account's failure is recorded
        name = type(exc).__name__
        first = (str(exc).strip().splitlines() or [""])[0]
        if guard.is_disk_full(exc):
            rec["error"] = ("the disk is full: this report was not written ("
                            f"{exc.strerror} on {exc.filename or 'a file'} in {out})")
            rec["disk_full"] = True
        elif name in ("DeadKernelError", "CellTimeoutError") or not session.alive():
            what = "the kernel died" if name == "DeadKernelError" or not session.alive() \
                else "a cell ran too long"
            rec["error"] = f"{what} ({name}: {first}); the kernel was restarted"
            try:
                session.restart()
            except Exception as exc2:  # noqa: BLE001
                rec["error"] += f", but could not start again: {exc2}"
        else:
            rec["error"] = f"{name}: {first}"
        rec["detail"] = _plain(traceback.format_exc())
    failed_nb = paths.safe_path(out, cid, suffix=".ipynb", folder=FAILED_DIR)
    if rec["status"] != "ok":
        for f in ("html", "pdf"):  # no stale plan may stay next to a failure
            paths.inside(out, f"{stem}.{f}").unlink(missing_ok=True)
        if nb is not None:
            try:
                import nbformat

                failed_nb.parent.mkdir(exist_ok=True)
                _atomic_write(failed_nb, nbformat.writes(nb))
                rec["kept_notebook"] = str(failed_nb.relative_to(out))
            except Exception:  # noqa: BLE001 - e.g. a full disk: no empty folder left
                try:
                    failed_nb.parent.rmdir()
                except OSError:
                    pass
    else:
        failed_nb.unlink(missing_ok=True)
    rec["seconds"] = round(time.perf_counter() - t0, 3)
    rec["finished"] = _dt.datetime.now().isoformat(timespec="seconds")
    return rec


def _worker_main(wid: int, cfg: dict, tasks, results) -> None:
    """A worker process: one kept kernel, reports until the queue says stop."""
    os.environ.update({k: v for k, v in _kernel_environment().items()
                       if k in ("JUPYTER_PLATFORM_DIRS", "PYDEVD_DISABLE_FILE_VALIDATION")})
    profile = Path(tempfile.mkdtemp(prefix=f"chromium-{wid}-", dir=cfg["tmpdir"]))
    cfg = dict(cfg, profile_dir=str(profile))
    session = None
    broken = ""
    kernels: list[int] = []  # the pids of this worker's kernels, for a hard stop

    def hard_stop() -> None:  # the batch died or stopped us: no kernel may stay
        for pid in kernels:
            guard.kill_process_tree(pid)
        shutil.rmtree(profile, ignore_errors=True)

    guard.die_with_parent(hard_stop, parent=cfg.get("parent_pid"))
    _KernelPids.sink = kernels
    try:
        session = KernelSession(cfg)
        secs, err = session.warm_up() if session.uses_portfolio else (0.0, "")
        results.put(("ready", wid, round(secs, 2), err))
    except Exception as exc:  # noqa: BLE001 - every task of this worker fails clearly
        broken = f"the report kernel could not start: {type(exc).__name__}: {exc}"
        results.put(("ready", wid, 0.0, broken))
    try:
        while True:
            task = tasks.get()
            if task is None:
                break
            results.put(("start", wid, task["customer_id"]))
            if session is not None and task.get("portfolio") and \
                    task["portfolio"] != session.seeded:
                session.seed(task["portfolio"])
            if session is None:
                rec = {"customer_id": task["customer_id"], "customer_name": task["name"],
                       "status": "failed", "files": {}, "headline": {}, "error": broken,
                       "detail": "", "warnings": "", "signature": cfg["signature"],
                       "seconds": 0.0}
            else:
                rec = _make_report(session, task, cfg)
            rec["worker"] = wid
            rec["kernel_pid"] = _kernel_pid(session)
            results.put(("done", wid, rec))
    finally:
        if session is not None:
            session.close()
        shutil.rmtree(profile, ignore_errors=True)
        results.put(("exit", wid))


def _kernel_pid(session) -> int | None:
    try:
        return int(session.km.provisioner.pid)
    except Exception:  # noqa: BLE001
        return None


# -------------------------------------------------------------------- the batch


def _load_manifest(out: Path) -> dict:
    f = out / MANIFEST
    if not f.exists():
        return {}
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
        return dict(data.get("accounts", {}))
    except (OSError, ValueError, AttributeError):
        return {}


def _load_meta(out: Path) -> dict:
    f = out / MANIFEST
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
        return {k: v for k, v in data.items() if k != "accounts"}
    except (OSError, ValueError, AttributeError):
        return {}


def _save_manifest(out: Path, records: dict, meta: dict) -> None:
    _atomic_write(out / MANIFEST, json.dumps({"version": 1, **meta, "accounts": records},
                                             indent=1, sort_keys=True, default=str))


def _up_to_date(rec: dict | None, signature: str, out: Path, formats) -> bool:
    """A report is up to date when its record is ``ok`` with this run's signature and
    each file is there, unchanged since the batch wrote it (size and modification
    time as recorded: a file copied in from elsewhere is not this batch's)."""
    if not rec or rec.get("status") != "ok" or rec.get("signature") != signature:
        return False
    files, stats = rec.get("files", {}), rec.get("stat", {})
    for f in formats:
        if f not in files:
            return False
        try:
            p = paths.inside(out, files[f])
            if f in stats and _stat(p) != list(stats[f]):
                return False
            if not p.is_file():
                return False
        except (OSError, paths.UnsafePathError):
            return False
    return True


class _Log:
    """``OUT/run.log``: appended, one line per event, errors in full. A log that cannot
    be written (disk full) does not stop the batch: it says so once on stderr."""

    def __init__(self, path: Path):
        self.path = path
        self.broken = ""
        try:
            self.f = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        except OSError as exc:
            raise guard.FolderError(guard.describe_os_error(exc, f"opening {path}")
                                    ) from None

    def __call__(self, text: str) -> None:
        if self.broken:
            return
        stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        try:
            for i, line in enumerate(str(text).splitlines() or [""]):
                self.f.write(f"{stamp}  {line}\n" if i == 0 else f"{'':21}{line}\n")
            self.f.flush()
        except OSError as exc:
            self.broken = guard.describe_os_error(exc, f"writing {self.path}")
            print(f"kam reports: {self.broken}; the batch goes on without its log.",
                  file=sys.stderr)

    def close(self) -> None:
        try:
            self.f.close()
        except OSError:
            pass


class _Pool:
    """The worker processes of a batch and their queues (spawned: clean interpreters).
    Each worker watches its parent (:func:`kamlib.batch_guard.die_with_parent`)."""

    def __init__(self, cfg: dict, n: int, log):
        import multiprocessing

        self.ctx = multiprocessing.get_context("spawn")
        self.cfg = cfg
        self.log = log
        self.tasks, self.results = self.ctx.Queue(), self.ctx.Queue()
        self.procs: dict[int, object] = {}
        self.exited: set[int] = set()
        self.closed = False
        for wid in range(n):
            self.spawn(wid)

    def spawn(self, wid: int) -> None:
        p = self.ctx.Process(target=_worker_main, args=(wid, self.cfg, self.tasks,
                                                        self.results),
                             name=f"kam-report-worker-{wid}", daemon=False)
        p.start()
        self.procs[wid] = p

    def stop(self) -> None:
        """No more tasks: one stop signal per live worker."""
        for _ in range(len(self.procs) - len(self.exited)):
            self.tasks.put(None)

    def drain(self, seconds: float = 2.0) -> list:
        """The messages still in the results queue (after the workers stopped); gives
        up after ``seconds`` (a worker killed while sending leaves half a message)."""
        import threading

        got: list = []

        def read():
            while True:
                try:
                    got.append(self.results.get(timeout=0.2))
                except Exception:  # noqa: BLE001 - empty or broken: done
                    return

        t = threading.Thread(target=read, daemon=True)
        t.start()
        t.join(seconds)
        return list(got)

    def close(self, terminate: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        for p in self.procs.values():
            if terminate and p.is_alive():
                p.terminate()  # SIGTERM: the worker kills its kernel and exits
        for p in self.procs.values():
            p.join(timeout=10 if terminate else 30)
            if p.is_alive():  # pragma: no cover - a worker that ignores SIGTERM
                p.kill()
                p.join(timeout=5)
        if terminate:
            self.tasks.cancel_join_thread()
        self.tasks.close()
        self.results.close()


def _failed_record(cid: str, name: str, err: str, signature: str,
                   status: str = "failed") -> dict:
    return {"customer_id": cid, "customer_name": name, "status": status, "files": {},
            "headline": {}, "error": err, "detail": "", "signature": signature}


class BatchStopped(ReportError):
    """A batch that stopped before the end: a signal (SIGINT, SIGTERM, SIGHUP), a full
    disk, a folder that became unwritable. What was done is in ``result`` (and in
    ``OUT/index.html``, ``run.log``, ``reports.json``); ``exit_code``: 128 + the signal
    number, or 1. The message says what was written, what not, how to resume."""

    def __init__(self, message: str, result: BatchResult, exit_code: int = 1):
        super().__init__(message)
        self.result = result
        self.exit_code = exit_code


class _Halt(Exception):
    """Inside a batch: stop now (disk full, folder unwritable), for ``reason``."""

    def __init__(self, reason: str, hint: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


def _foreign_files(out: Path, manifest: dict, has_manifest: bool) -> list[str]:
    """The entries of ``out`` that no batch wrote: not the batch's own files (index,
    log, manifest, lock, ``failed/``, ``actions.csv``, ``objectives.csv``) and not a file
    named in the manifest."""
    own = {guard.LOCK_NAME}
    if has_manifest:
        own |= {INDEX, RUN_LOG, MANIFEST, FAILED_DIR, *PLAN_TABLES}
        for rec in manifest.values():
            if isinstance(rec, dict):
                own |= {str(v) for v in (rec.get("files") or {}).values()}
    return sorted(p.name for p in out.iterdir() if p.name not in own
                  and not p.name.startswith(guard.LOCK_NAME + "."))


def _prepare_out(out: Path) -> Path:
    """Create ``out`` (and its parents) or say in a sentence why it cannot be used."""
    if out.exists() and not out.is_dir():
        raise ReportError(f"--out {out} is a file, not a folder: give a folder for the "
                          "reports (it is created when missing).")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(guard.describe_os_error(exc, f"creating the output folder {out}")
                          + ". Give --out a folder you can write to.") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise ReportError(f"cannot write into the output folder {out} (no permission, or "
                          "a read-only disk): choose a folder you can write to with --out.")
    return out


def run_batch(data="sample", accounts="key", out: str | Path = "build/reports",
              workers: int = 2, formats=("html",), force: bool = False,
              settings_file: str | Path | None = None,
              show_personal_details: bool = False, *, analysis_year: int | None = None,
              template: str | Path | None = None, progress: bool = True,
              timeout: int = CELL_TIMEOUT_SECONDS, kernel_name: str = "python3",
              limit: int | None = None) -> BatchResult:
    """Write the account plans of ``accounts`` into ``out``. See the module docstring.

    ``data``: ``"sample"`` or the path of a company export; ``accounts``: ``"key"``,
    ``"all"``, ``"C0003,C0018"`` or a list; ``workers``: worker processes (one kept
    kernel each); ``formats``: ``("html",)``, ``("pdf",)`` or both (PDF needs
    Chromium: :func:`find_chromium`); ``force``: re-run reports that are up to date,
    and write into a folder that holds files no batch wrote; ``settings_file``: the
    settings (default: the project's ``kam_settings.toml`` when it exists, else the
    defaults); ``show_personal_details``: contacts' names and e-mails in the buying
    centre; ``analysis_year``: override the settings' year; ``template``: another
    template (tests); ``timeout``: seconds per cell; ``limit``: only the first ``limit``
    accounts of the list (a trial run on a large export; the index says so).

    Order of work: the workers start their kernels while this process computes the
    portfolio once (:func:`kamlib.report_sections.portfolio`: it also gives the
    key-account list); the portfolio is then handed to the kernels as a pickle in a
    private temporary folder (checked against their own cache key: same data files,
    settings, year), so no kernel recomputes it.

    Safe in a shared folder (:mod:`kamlib.batch_guard`): one batch per folder at a
    time (a lock; a second batch is refused, naming the first); file names from the
    data are slugs inside ``out`` (:mod:`kamlib.paths`); SIGINT / SIGTERM / SIGHUP
    stop the workers and kernels, record the accounts not done, write the index and
    manifest and raise :class:`BatchStopped`; no temporary file stays.

    Raises :class:`ReportError` for options that cannot work (before any report runs),
    :class:`kamlib.batch_guard.FolderError` for a folder in use or unwritable,
    :class:`BatchStopped` for a batch stopped before its end. Failures of single
    accounts do not raise: see ``result.failed``.
    """
    from kamlib import data as kdata
    from kamlib import settings as ksettings

    started = time.perf_counter()
    formats = parse_formats(formats)
    chromium = None
    if "pdf" in formats:
        chromium = find_chromium()
        if chromium is None:
            raise ReportError(CHROMIUM_HELP.format(names=", ".join(CHROMIUM_NAMES)))
    template = Path(template) if template else DEFAULT_TEMPLATE
    if not template.exists():
        raise ReportError(f"no report template at {template}")
    data_path = kdata.resolve_source(data).resolve()
    if not data_path.exists():
        raise ReportError(f"no data at {data_path}: give the folder of the company's "
                          "export (check it with `kam data check PATH`) or 'sample'.")
    if settings_file is None:
        settings_path = DEFAULT_SETTINGS_FILE if DEFAULT_SETTINGS_FILE.exists() else None
    else:
        settings_path = Path(settings_file).resolve()
        if not settings_path.exists():
            raise ReportError(f"no settings file at {settings_path}")
    # read now: a settings file that cannot be used stops the batch before it starts
    s = ksettings.load(settings_path) if settings_path else ksettings.Settings()
    if analysis_year:
        s = ksettings.replace(s, "period.analysis_year", int(analysis_year))
    out = _prepare_out(Path(out))
    lock = guard.acquire(out, "kam reports")
    try:
        with guard.on_stop():
            return _run_locked(
                lock, started, data, data_path, accounts, out, max(1, int(workers)),
                formats, force, settings_path, s, show_personal_details, analysis_year,
                template, progress, timeout, kernel_name, chromium, limit=limit)
    finally:
        lock.release()


def _run_locked(lock, started, data, data_path, accounts, out, workers, formats, force,
                settings_path, s, show_personal_details, analysis_year, template,
                progress, timeout, kernel_name, chromium, limit=None) -> BatchResult:
    """:func:`run_batch` once it holds the lock on ``out``."""
    import queue as _queue

    from kamlib import data as kdata
    from kamlib import settings as ksettings
    from kamlib import report_sections

    has_manifest = (out / MANIFEST).is_file()
    manifest = _load_manifest(out)
    foreign = _foreign_files(out, manifest, has_manifest)
    if foreign and not force:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more"
                                          if len(foreign) > 5 else "")
        raise ReportError(
            f"{out} holds {len(foreign)} file(s) that no kam reports batch wrote there "
            f"({shown}). A batch writes {INDEX}, {RUN_LOG}, {MANIFEST} and one file per "
            "account, and would overwrite files of those names: choose a new or empty "
            f"folder with --out (e.g. {out / 'account_plans'}), or add --force to write "
            "into this one anyway (files with other names are left alone)."
        )
    cleaned = lock.cleaned
    if has_manifest or lock.recovered is not None:  # our folder: our leftovers
        cleaned = cleaned + guard.clean_leftovers(out, None)
    data_param = "sample" if str(data) == "sample" else str(data_path)
    year = s.period.analysis_year
    log = _Log(out / RUN_LOG)
    tmpdir = None
    try:
        log(f"=== kam reports: data {data_path}, accounts {accounts!s:.80}, year {year}, "
            f"formats {','.join(formats)}, workers {workers}, force {force}, settings "
            f"{settings_path or 'defaults'}, template {template}")
        if lock.recovered is not None:
            log(f"recovered the lock of a batch that is gone ({guard.holder_text(lock.recovered)})"
                + (f"; removed what it left: {', '.join(cleaned)}" if cleaned else ""))
        elif cleaned:
            log(f"removed half-written files of an earlier batch: {', '.join(cleaned)}")
        if foreign:
            log(f"--force: writing into a folder that holds {len(foreign)} other file(s)")
        tmpdir = guard.private_tmpdir()
        lock.update(tmpdir=str(tmpdir))
        parts = signature_parts(template, data_path, settings_path, year,
                                show_personal_details, formats)
        parts["data_folder"] = str(data_path)
        signature = _sha(json.dumps(parts, sort_keys=True, default=str).encode())
        cfg = {"template": str(template.resolve()), "data_source": data_param,
               "settings_file": str(settings_path) if settings_path else "",
               "analysis_year": analysis_year or 0,
               "show_personal_details": bool(show_personal_details),
               "formats": formats, "out": str(out.resolve()), "chromium": chromium,
               "signature": signature, "kernel_name": kernel_name, "timeout": timeout,
               "cwd": str(template.resolve().parent), "tmpdir": str(tmpdir),
               "parent_pid": os.getpid()}
        return _run_batch_body(cfg, log, started, data_param, accounts, out, workers,
                               formats, force, settings_path, s, analysis_year,
                               template, progress, parts, signature, manifest, _queue,
                               kdata, report_sections, limit=limit)
    finally:
        log.close()
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)


def _run_batch_body(cfg, log, started, data_param, accounts, out, workers, formats,
                    force, settings_path, s, analysis_year, template, progress, parts,
                    signature, manifest, _queue, kdata, report_sections, limit=None
                    ) -> BatchResult:
    from kamlib import settings as ksettings

    uses_portfolio = "report_sections" in template.read_text(encoding="utf-8")
    # start the kernels now, while the portfolio is computed here - unless this looks
    # like a rerun that will find everything up to date (then no kernel is needed)
    n_asked = None  # how many accounts, when known before loading anything
    if not (isinstance(accounts, str) and accounts.strip().lower() in ("key", "all")):
        raw = accounts.split(",") if isinstance(accounts, str) else list(accounts)
        n_asked = len({str(x).strip() for x in raw if str(x).strip()})
    n_pre = min(workers, n_asked) if n_asked is not None else workers
    pool = None
    bar = None
    result = BatchResult(index_path=out / INDEX, log_path=out / RUN_LOG, out_dir=out)
    meta = {"data": str(cfg["data_source"]), "settings": str(settings_path or "defaults"),
            "template": str(template), "formats": list(formats),
            "inputs": json.loads(json.dumps(parts, default=str))}
    chosen: list[_Account] = []
    unknown: dict[str, str] = {}
    todo: list[_Account] = []
    note = ""
    try:
        if (force or not manifest) and n_pre > 0:
            pool = _Pool(cfg, n_pre, log)
        port = None

        def compute_portfolio():
            t0 = time.perf_counter()
            p = report_sections.portfolio(data_param, settings_path, analysis_year)
            missing = ", ".join(k for k, v in p.status.items() if v != "ok")
            log(f"portfolio computed in {time.perf_counter() - t0:.1f} s"
                + (f" (not available: {missing})" if missing else ""))
            return p

        if isinstance(accounts, str) and accounts.strip().lower() == "key":
            port = compute_portfolio()  # it holds the key-account list
            kd, s = port.kd, port.s
        else:
            kd = kdata.load(data_param)
            s = ksettings.for_data(s, kd, analysis_year)  # 0 = the latest complete year
        result.company = ksettings.company_for(s, kd).name
        chosen, unknown, note = resolve_accounts(
            kd, s, accounts, key_table=port.tables.get("key") if port else None,
            key_status=port.status.get("key") if port else None)
        if limit is not None and 0 < limit < len(chosen):
            note += f"; the first {limit} of {len(chosen)} (--limit {limit})"
            chosen = chosen[:limit]
        log(f"accounts: {note}")
        result.accounts_note = note
        previous = _load_meta(out).get("inputs", {})
        changed = [k for k in parts if previous and json.dumps(previous.get(k), default=str)
                   != json.dumps(parts[k], default=str)]
        if changed and not force:
            log("inputs changed since the last run (reports made before are out of date): "
                + ", ".join(changed))
        for acc in chosen:
            rec = manifest.get(acc.customer_id)
            if not force and _up_to_date(rec, signature, out, formats):
                result.skipped.append(acc.customer_id)
                result.records[acc.customer_id] = rec
            else:
                todo.append(acc)
        for cid, err in unknown.items():
            result.records[cid] = _failed_record(cid, "", err, signature)
            log(f"FAILED {cid}: {err}")
        if result.skipped:
            log(f"up to date, not re-run (use --force to redo): {len(result.skipped)} "
                "report(s)")
        if todo:
            # the files this run may write are named in the manifest before any is
            # written: a batch killed half-way leaves no file the next run calls foreign
            for acc in todo:
                rec = _failed_record(acc.customer_id, acc.name, "not done yet (the batch "
                                     "writing it was stopped)", signature, "pending")
                rec["files"] = {f: f"{acc.stem}.{f}" for f in formats}
                manifest[acc.customer_id] = rec
            _write(lambda: _save_manifest(out, manifest, meta), out / MANIFEST)
        if todo and uses_portfolio and port is None:
            port = compute_portfolio()
        if todo:
            from tqdm.auto import tqdm

            portfolio_ref = None
            if port is not None and uses_portfolio:
                portfolio_ref = _pickle_portfolio(port, Path(cfg["tmpdir"]), log)
            bar = tqdm(total=len(todo), unit="report", desc="account plans",
                       disable=not progress, file=sys.stderr, dynamic_ncols=True)
            n_workers = min(workers, len(todo))
            if pool is None:
                pool = _Pool(cfg, n_workers, log)
            for acc in todo:
                pool.tasks.put({"customer_id": acc.customer_id, "name": acc.name,
                                "stem": acc.stem, "portfolio": portfolio_ref})
            pool.stop()
            _collect(pool, todo, result, manifest, meta, signature, out, log, bar,
                     portfolio_ref, _queue)
        elif pool is not None:
            pool.stop()
    except (guard.Stopped, _Halt) as exc:
        if bar is not None:
            bar.close()
        _stopped(exc, pool, chosen, unknown, todo, result, manifest, meta, signature,
                 out, log, started, note, s)
    except BaseException:
        if pool is not None:
            pool.close(terminate=True)
        raise
    finally:
        if bar is not None:
            bar.close()
    if pool is not None:
        pool.close()
    _tally(result, chosen, unknown, manifest)
    result.seconds = time.perf_counter() - started
    older = sorted(c for c, r in manifest.items() if isinstance(r, dict)
                   and r.get("status") == "ok" and r.get("signature") != signature
                   and c not in result.records)
    if older:  # said, so nobody hands them out as this run's
        files = [f for c in older for f in (manifest[c].get("files") or {}).values()]
        said = (f"{len(older)} older report(s) made from other inputs (another year, "
                f"settings, data or template) are still in this folder and not listed "
                f"here: {', '.join(files[:5])}{' ...' if len(files) > 5 else ''}")
        log(said)
        note = f"{note}. {said}" if note else said
    _write(lambda: _save_manifest(out, manifest, meta), out / MANIFEST, done=result)
    _write(lambda: _write_index(result, chosen, unknown, note, s, out), out / INDEX,
           done=result)
    if uses_portfolio and result.succeeded:  # the plans' actions and objectives
        from kamlib import report_index

        if port is None:
            port = compute_portfolio()
        _write(lambda: [log(f"wrote {p.name}") for p in report_index.write_plan_tables(
            out, port, result.succeeded, _atomic_write)], out / PLAN_TABLES[0], done=result)
    log(f"done: {len(result.succeeded)} ok ({len(result.written)} written, "
        f"{len(result.skipped)} up to date), {len(result.failed)} failed, "
        f"{result.seconds:.1f} s; index {out / INDEX}")
    return result


def _write(fn, path: Path, done: BatchResult | None = None) -> None:
    """Run the write ``fn``; an ``OSError`` becomes a :class:`_Halt` (during the batch)
    or a :class:`ReportError` saying what is done (``done``: after the reports)."""
    try:
        fn()
    except OSError as exc:
        text = guard.describe_os_error(exc, f"writing {path}")
        if done is None:
            raise _Halt(text, "free some space first (`df -h`)"
                        if guard.is_disk_full(exc) else "") from None
        raise ReportError(
            f"{text}. The reports are written ({len(done.succeeded)} ok, "
            f"{len(done.failed)} failed); run the same command again once this is fixed "
            "to write the index: it redoes nothing that is up to date.") from None


def _pickle_portfolio(port, tmpdir: Path, log) -> str | None:
    """The portfolio, pickled into the private temporary folder for the workers; on a
    full disk, ``None`` (each kernel then computes it itself, said in the log)."""
    import pickle

    path = tmpdir / "portfolio.pkl"
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as f:
            pickle.dump((port.key, port), f, protocol=pickle.HIGHEST_PROTOCOL)
        return str(path)
    except OSError as exc:
        path.unlink(missing_ok=True)
        log(guard.describe_os_error(exc, f"writing the portfolio for the workers to {path}")
            + "; each kernel computes it itself instead (slower)")
        return None


def _tally(result: BatchResult, chosen, unknown, manifest) -> None:
    """``succeeded`` / ``written`` / ``failed`` of ``result``, in the order asked for."""
    result.succeeded.clear()
    result.written.clear()
    result.failed.clear()
    for acc in chosen:
        rec = result.records.get(acc.customer_id)
        if rec is None:
            continue
        if rec.get("status") == "ok":
            result.succeeded.append(acc.customer_id)
            if acc.customer_id not in result.skipped:
                result.written.append(acc.customer_id)
        else:
            result.failed[acc.customer_id] = rec.get("error", "failed")
    for cid in unknown:
        result.failed[cid] = unknown[cid]
        manifest[cid] = result.records[cid]


def _write_index(result, chosen, unknown, note, s, out) -> None:
    order = [a.customer_id for a in chosen] + list(unknown)
    html = index_html([result.records[c] for c in order if c in result.records], result,
                      note=note, year=s.period.analysis_year,
                      company=result.company)
    _atomic_write(out / INDEX, html)


def _stopped(exc, pool, chosen, unknown, todo, result, manifest, meta, signature, out,
             log, started, note, s) -> None:
    """Stop a batch cleanly and raise :class:`BatchStopped`: workers and kernels
    stopped, the reports done are recorded, the accounts not done are named, the index
    and manifest written (as far as the disk lets), no temporary file left."""
    if isinstance(exc, guard.Stopped):
        reason, hint, code = f"stopped by {exc.name}", "", 128 + exc.signum
    else:
        reason, hint, code = exc.reason, exc.hint, 1
    log(f"STOPPING: {reason}")
    if pool is not None:
        pool.close(terminate=True)
        for msg in pool.drain():
            if msg[0] == "done" and msg[2].get("customer_id") in manifest:
                rec = msg[2]
                manifest[rec["customer_id"]] = result.records[rec["customer_id"]] = rec
    guard.clean_leftovers(out, None)  # half-written files of the stopped workers
    not_done = []
    for acc in todo:
        rec = result.records.get(acc.customer_id)
        if rec is None or rec.get("status") == "pending":
            not_done.append(acc.customer_id)
            rec = dict(manifest.get(acc.customer_id) or _failed_record(
                acc.customer_id, acc.name, "", signature, "pending"))
            rec.update(status="not done", error=f"not done: the batch was {reason}"
                       if isinstance(exc, guard.Stopped) else f"not done: {reason}")
            manifest[acc.customer_id] = result.records[acc.customer_id] = rec
    _tally(result, chosen, unknown, manifest)
    result.seconds = time.perf_counter() - started
    problems = []
    for what, fn in ((MANIFEST, lambda: _save_manifest(out, manifest, meta)),
                     (INDEX, lambda: _write_index(result, chosen, unknown, note, s, out))):
        try:
            fn()
        except OSError as e:
            problems.append(guard.describe_os_error(e, f"writing {out / what}"))
    shown = ", ".join(not_done[:5]) + (f" and {len(not_done) - 5} more"
                                       if len(not_done) > 5 else "")
    text = (f"the batch {reason}" if isinstance(exc, guard.Stopped) else reason) + (
        f". Written or up to date: {len(result.succeeded)} report(s); failed: "
        f"{len(result.failed) - len(not_done)}; not done: {len(not_done)}"
        + (f" ({shown})" if not_done else "") + ". ")
    text += (f"{out / INDEX} and {out / RUN_LOG} list them. " if not problems else
             "Also: " + "; ".join(problems) + ". ")
    text += ((hint[:1].upper() + hint[1:] + ", then r") if hint else "R") + (
        "un the same command again to do the rest: reports already written are kept "
        "and not redone.")
    log(text)
    raise BatchStopped(text, result, code) from None


def _collect(pool: _Pool, todo, result, manifest, meta, signature, out, log, bar,
             portfolio_ref, _queue) -> None:
    """Receive the workers' results until every task is done; replace dead workers.
    A report the disk had no room for stops the batch (:class:`_Halt`)."""
    names = {a.customer_id: a for a in todo}
    pending = {a.customer_id for a in todo}
    in_flight: dict[int, str] = {}
    respawns = 0
    n_workers = len(pool.procs)
    log(f"running {len(todo)} report(s) on {n_workers} worker(s), one kept kernel each")

    def fail(cid: str, err: str) -> None:
        pending.discard(cid)
        manifest[cid] = result.records[cid] = _failed_record(cid, names[cid].name, err,
                                                             signature)
        log(f"FAILED {cid}: {err}")
        bar.update(1)

    while pending or len(pool.exited) < len(pool.procs):
        try:
            msg = pool.results.get(timeout=1.0)
        except _queue.Empty:
            # a worker that died without saying goodbye: fail its account, replace it
            for wid, p in list(pool.procs.items()):
                if wid in pool.exited or p.is_alive():
                    continue
                pool.exited.add(wid)
                cid = in_flight.pop(wid, None)
                if cid and cid in pending:
                    fail(cid, f"the worker process died (exit code {p.exitcode}) while "
                              "writing this report")
                if pending and respawns < 2 * n_workers:
                    respawns += 1
                    new = max(pool.procs) + 1
                    pool.spawn(new)
                    pool.tasks.put(None)
                    log(f"worker {wid} died; started worker {new}")
            if pending and all(w in pool.exited for w in pool.procs):
                for cid in sorted(pending):
                    fail(cid, "no worker left to write this report (see run.log)")
            continue
        kind, wid = msg[0], msg[1]
        if kind == "ready":
            secs, err = msg[2], msg[3]
            log(f"worker {wid}: kernel ready in {secs:.1f} s"
                + (f" (problem: {err})" if err else ""))
        elif kind == "start":
            in_flight[wid] = msg[2]
        elif kind == "done":
            rec = msg[2]
            cid = rec["customer_id"]
            in_flight.pop(wid, None)
            pending.discard(cid)
            manifest[cid] = result.records[cid] = rec
            if rec["status"] == "ok":
                log(f"ok     {cid} {rec['seconds']:6.2f} s  "
                    f"{', '.join(rec['files'].values())}")
                if rec.get("warnings"):
                    log(f"       {cid} warnings:\n{rec['warnings']}")
            else:
                log(f"FAILED {cid}: {rec['error']}"
                    + (f"\n{rec['detail']}" if rec.get("detail") else ""))
            bar.update(1)
            bar.set_postfix_str(cid)
            if rec.get("disk_full"):
                raise _Halt(f"the disk holding {out} is full ({cid} could not be written)",
                            f"free some space first (`df -h {out}`)")
            _write(lambda: _save_manifest(out, manifest, meta), out / MANIFEST)
        elif kind == "exit":
            pool.exited.add(wid)


# ------------------------------------------------------------------------ index

from kamlib.report_index import index_html  # noqa: E402  (moved; kept importable here)


# -------------------------------------------------------------------------- CLI


def _cmd_reports(a) -> int:
    settings_file = a.settings
    if getattr(a, "decisions", None):  # a workshop's decisions over the settings
        from kamlib import data as kdata
        from kamlib import decisions

        base = a.settings or (DEFAULT_SETTINGS_FILE if DEFAULT_SETTINGS_FILE.exists()
                              else None)
        settings_file = decisions.settings_with_decisions(
            a.decisions, base, kd=kdata.load(a.data))
        print(f"decisions of {a.decisions} applied: {settings_file}")
    try:
        result = run_batch(
            data=a.data, accounts=a.accounts, out=Path(a.out), workers=a.workers,
            formats=a.format, force=a.force, settings_file=settings_file,
            show_personal_details=a.personal_details, analysis_year=a.year,
            template=a.template, progress=not a.no_progress, limit=a.limit,
        )
    except BatchStopped as exc:
        print(f"kam reports: {exc}", file=sys.stderr)
        print(exc.result.index_path)
        return exc.exit_code
    except (ReportError, guard.FolderError) as exc:
        print(f"kam reports: {exc}", file=sys.stderr)
        return 2
    except guard.Stopped as exc:  # before any report ran: nothing to record
        print(f"kam reports: stopped by {exc.name} before any report was written.",
              file=sys.stderr)
        return 128 + exc.signum
    print(f"{len(result.succeeded)} report(s) ready ({len(result.written)} written, "
          f"{len(result.skipped)} up to date), {len(result.failed)} failed, "
          f"{result.seconds:.1f} s.")
    for cid, err in result.failed.items():
        print(f"FAILED {cid}: {err}", file=sys.stderr)
    if not result.succeeded and not result.failed and result.accounts_note:
        print(f"No report: {result.accounts_note}")  # never 0 reports without the reason
    print(result.index_path)
    return 0 if result.ok else 1


def add_cli(sub) -> None:
    """Add ``kam reports`` to the ``kam`` command's subparsers."""
    r = sub.add_parser(
        "reports", help="write a key account plan per account (papermill batch)",
        description="Execute the account-plan template for each account and write "
                    "self-contained HTML (and PDF) reports with an index.html. Exit code "
                    "1 when any account failed.")
    r.add_argument("--data", default="sample",
                   help="'sample' (the bundled data) or the folder of a company export")
    r.add_argument("--accounts", default="key",
                   help="key (the key-account list), all, or customer ids: C0003,C0018")
    r.add_argument("--out", default="build/reports", help="folder for the reports")
    r.add_argument("--workers", type=int, default=2,
                   help="worker processes, one kept kernel each (default 2)")
    r.add_argument("--format", default="html",
                   help="html, pdf or html,pdf (PDF needs Chromium installed)")
    r.add_argument("--force", action="store_true",
                   help="re-run reports that are up to date, and write into a folder "
                        "that holds files no batch wrote")
    r.add_argument("--settings", default=None,
                   help="settings file (default: kam_settings.toml of the project)")
    r.add_argument("--decisions", default=None,
                   help="a workshop's decisions file (TOML, saved by the workshop app): "
                        "its key-account list, overrides and schedule win over the settings")
    r.add_argument("--year", type=int, default=None, help="analysis year (default: settings)")
    r.add_argument("--personal-details", action="store_true",
                   help="show contacts' names and e-mails (personal data: only on request)")
    r.add_argument("--template", default=None, help=argparse_suppress())
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--limit", type=int, default=None, metavar="N",
                   help="only the first N accounts of the list (a trial run on a large "
                        "export)")
    r.set_defaults(func=_cmd_reports)


def argparse_suppress():
    import argparse

    return argparse.SUPPRESS
