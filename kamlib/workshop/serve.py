"""``kam workshop --data PATH``: serve the workshop app with Voilà on this computer.

Voilà (https://voila.readthedocs.io) runs ``notebooks/workshop.ipynb`` in a fresh
kernel for every page view and sends the browser only the outputs - the widgets - never
the code (``strip_sources``, Voilà's default). The data, settings and decisions paths
reach the notebook's kernel through the environment (``KAM_WORKSHOP_DATA``, ...).

Kernels: Voilà starts one kernel per page view. Its page asks the server to shut the
kernel down when the tab is closed, but a tab that is killed, a laptop that sleeps or
a lost network leaves the kernel running (each ≈ 175-220 MB with the sample data;
measured: closed pages left every kernel running until culled), so idle kernels are
**culled**: jupyter_server's ``MappingKernelManager.cull_idle_timeout`` (default here 15
minutes without activity; ``cull_connected`` stays False, so a page still open is never
culled, however long the room discusses). Do not set it much lower: a kernel is idle
between executing the notebook and the browser connecting to it, and on a loaded
machine that took minutes (a 30 s timeout culled kernels whose pages were still
loading). Before serving, the data is read, checked and computed once and kept on disk
(:mod:`kamlib.workshop.prepared`): a kernel unpickles it instead of reading the export
(measured: a single page's table in 13 s instead of 26 s on a busy machine, 5 instead
of 6 processor-seconds per participant). ``preheat`` keeps that
many kernels started *and the notebook executed* ahead of the next visitor (Voilà's
``preheat_kernel`` / ``pool_size``); ``benchmarks/bench_workshop.py`` measures whether
it helps.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = PROJECT_ROOT / "notebooks" / "workshop.ipynb"
CONFIG_DIR = Path(__file__).resolve().parent / "voila_config"
DEFAULT_PORT = 8866
CULL_IDLE_SECONDS = 900
CULL_INTERVAL_SECONDS = 60
CONTENT_SECURITY_POLICY = ("default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:; "
                           "connect-src 'self' ws: wss:; frame-ancestors 'self'")
"""Sent with every page: the browser loads nothing from outside this server (Voilà's page
template links Font Awesome from a CDN; the icons it needs are bundled anyway), so a
workshop runs offline and no third party learns the page was opened."""


class ServeError(RuntimeError):
    """The app cannot start (port taken, Voilà missing...): the message says why."""


def voila_command(port: int, *, ip: str = "127.0.0.1", preheat: int = 0,
                  cull_idle: int = CULL_IDLE_SECONDS,
                  cull_interval: int = CULL_INTERVAL_SECONDS,
                  notebook: Path = NOTEBOOK) -> list[str]:
    """The command line that serves ``notebook`` (a list for :mod:`subprocess`)."""
    cmd = [sys.executable, "-m", "voila", str(notebook), "--no-browser",
           f"--port={int(port)}", f"--Voila.ip={ip}", "--Voila.port_retries=0",
           "--strip_sources=True", "--show_tracebacks=False",
           f"--MappingKernelManager.cull_idle_timeout={int(cull_idle)}",
           f"--MappingKernelManager.cull_interval={int(cull_interval)}",
           "--MappingKernelManager.cull_connected=False",
           "--MappingKernelManager.cull_busy=False",
           f"--Voila.config_file_paths={CONFIG_DIR}"]  # voila.py there: the CSP header
    if preheat > 0:
        cmd += ["--preheat_kernel=True", f"--pool_size={int(preheat)}"]
    return cmd


def app_environment(data, settings_file=None, decisions_file=None) -> dict:
    """The environment of the Voilà server (and so of its kernels): the paths the app
    reads, absolute; never headless (widgets must be built)."""
    from kamlib.workshop import app

    env = dict(os.environ)
    env.pop("KAM_HEADLESS", None)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env[app.ENV_DATA] = "sample" if str(data) == "sample" else str(Path(data).resolve())
    if settings_file is None:  # the settings in force, as `kam reports` reads them
        default = PROJECT_ROOT / "kam_settings.toml"
        settings_file = default if default.exists() else None
    if settings_file:
        env[app.ENV_SETTINGS] = str(Path(settings_file).resolve())
    env[app.ENV_DECISIONS] = str(Path(decisions_file or app.DEFAULT_DECISIONS).resolve())
    return env


def port_free(port: int, ip: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((ip, port))
        except OSError:
            return False
    return True


def wait_until_up(url: str, proc: subprocess.Popen | None = None,
                  timeout: float = 120.0) -> float:
    """Seconds until the server of ``url`` accepts connections (a TCP connect: asking
    for a page would start a kernel); raises ServeError if the server process ends
    first or ``timeout`` passes."""
    from urllib.parse import urlparse

    u = urlparse(url)
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc is not None and proc.poll() is not None:
            raise ServeError(f"Voilà stopped (exit code {proc.returncode}) before the page "
                             "was up: see its messages above.")
        try:
            with socket.create_connection((u.hostname, u.port), timeout=2):
                return time.perf_counter() - t0
        except OSError:
            time.sleep(0.3)
    raise ServeError(f"the app did not come up at {url} within {timeout:.0f} s")


def start(data, port: int = DEFAULT_PORT, *, settings_file=None, decisions_file=None,
          ip: str = "127.0.0.1", preheat: int = 0, cull_idle: int = CULL_IDLE_SECONDS,
          cull_interval: int = CULL_INTERVAL_SECONDS, quiet: bool = False,
          log: str | Path | None = None,
          prepare: bool = True) -> tuple[subprocess.Popen, str]:
    """Start Voilà in the background; return (process, URL) once it listens. The caller
    ends it (``proc.terminate()``). ``quiet``: no server messages; ``log``: write them
    to this file instead; ``prepare``: first load the data and keep the prepared
    session on disk for the kernels (:mod:`kamlib.workshop.prepared`; False: every
    kernel loads the data itself - for measuring). Raises :class:`ServeError`."""
    try:
        import voila  # noqa: F401
    except ImportError:
        raise ServeError("Voilà is not installed in this environment: run `make setup` "
                         "(it is a dependency of kamlib).") from None
    from kamlib import data as kdata

    src = kdata.resolve_source(data)
    if not src.exists():
        raise ServeError(f"no data at {src}: give a folder of CSV files or an .xlsx "
                         "workbook (check it first with `kam data check PATH`).")
    if not port_free(port, ip):
        raise ServeError(f"port {port} on {ip} is in use (another workshop running?): "
                         "stop it, or pass another --port.")
    env = app_environment(data, settings_file, decisions_file)
    from kamlib.workshop import app, prepared

    if not prepare:
        env[prepared.ENV_PREPARED] = "off"
    elif prepared.cache_dir() is not None:  # once here: no kernel reads the export again
        try:
            prepared.prepare(env[app.ENV_DATA], env.get(app.ENV_SETTINGS))
        except kdata.DataError as exc:
            raise ServeError(f"the data cannot be used yet:\n{exc}") from None
    url = f"http://{ip}:{port}/"
    out = subprocess.DEVNULL if quiet else None
    if log is not None:
        Path(log).parent.mkdir(parents=True, exist_ok=True)
        out = open(log, "ab")  # noqa: SIM115 - handed to the child, closed with it
    proc = subprocess.Popen(
        voila_command(port, ip=ip, preheat=preheat, cull_idle=cull_idle,
                      cull_interval=cull_interval),
        env=env, cwd=str(PROJECT_ROOT),
        stdout=out, stderr=out)
    try:
        wait_until_up(url, proc)
    except BaseException:
        proc.terminate()
        proc.wait(timeout=20)
        raise
    return proc, url


def run(data, port: int = DEFAULT_PORT, **kwargs) -> int:
    """``kam workshop``: start, print the URL, serve until Ctrl+C."""
    import signal

    print(f"Reading and checking {data} once for every participant's page ...", flush=True)
    proc, url = start(data, port, quiet=kwargs.pop("quiet", False), **kwargs)
    print(f"\nWorkshop app ready: {url}\n(open it in a browser; Ctrl+C stops it)",
          flush=True)

    def _stop(signum, frame):  # a terminated `kam workshop` takes Voilà with it
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        return 0
