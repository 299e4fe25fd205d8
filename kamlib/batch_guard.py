"""Running a batch safely in a shared folder: one batch per folder, private temporary
files, workers that die with their batch, environment errors as sentences.

Used by :mod:`kamlib.reports` (``kam reports``); nothing here knows about reports.

- **A lock on the output folder** (:func:`acquire`): ``OUT/.kam-batch.lock`` is created
  exclusively (``O_CREAT | O_EXCL``, atomic on local and network file systems) and
  holds who runs the batch (process id, its start time, host, user, command, start).
  A second batch finds it and is refused with those details. A lock whose process no
  longer runs (same host: the process id is gone, or now belongs to a process started
  later) is *stale*: it is taken over, and what the dead batch left is cleaned up
  (its private temporary folder, half-written files in ``OUT``).
- **Private temporary files** (:func:`private_tmpdir`): files holding customer data
  that are not reports (the portfolio handed to the workers) go to a folder made by
  :func:`tempfile.mkdtemp` (mode 0700, in the system's temporary folder, never in
  ``OUT``), removed on every way out; its path is written in the lock, so a batch
  killed with SIGKILL has it removed by the next batch.
- **Workers die with their parent** (:func:`die_with_parent`): on Linux the kernel
  sends the worker SIGTERM when the batch process dies (``prctl(PR_SET_PDEATHSIG)``),
  and everywhere a thread in the worker checks every half second that its parent is
  still the one that started it; either way the worker stops its kernel and exits.
- **Sentences for the environment** (:func:`describe_os_error`): a read-only or full
  disk, a missing folder, a permission: what failed, on which file, what to do.
"""

from __future__ import annotations

import datetime as _dt
import errno
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

LOCK_NAME = ".kam-batch.lock"
TMP_PREFIX = "kam-batch-"
LEFTOVER_PATTERNS = (".*.tmp", ".*.tmp.pdf", ".*.print.html", ".portfolio-*.pkl")
"""Half-written files a batch that was killed may leave in ``OUT`` (temporary names of
atomic writes) and the portfolio pickles of older versions: removed by the next batch
once it holds the lock."""
UNREADABLE_LOCK_GRACE_SECONDS = 10
"""A lock file that cannot be read yet (its writer is writing it) counts as held for
this long after its last change."""
DISK_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


class FolderError(ValueError):
    """The output folder cannot be used (held by another batch, read-only, full, holds
    other files): the message says what and how to go on."""


# ------------------------------------------------------------------- errors as text


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in DISK_FULL


def describe_os_error(exc: OSError, doing: str) -> str:
    """One sentence for an ``OSError`` met while ``doing`` (``"writing OUT/run.log"``)."""
    what = exc.strerror or str(exc)
    if is_disk_full(exc):
        hint = "the disk is full: free some space (`df -h` shows how much is left)"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        hint = "no permission: choose a folder you can write to, or ask for the right"
    elif exc.errno == errno.EROFS:
        hint = "the disk is read-only: choose a folder on a writable disk"
    elif exc.errno == errno.ENOENT:
        hint = "a folder on the way does not exist: create it or correct the path"
    elif exc.errno == errno.ENOTDIR:
        hint = "a part of the path is a file, not a folder: correct the path"
    else:
        hint = "check the disk and the path"
    return f"{doing} failed ({what}): {hint}"


# ------------------------------------------------------------------------ the lock


def _proc_start(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot (Linux), else None:
    with the pid, it tells a process from a later one that got the same pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    except OSError:
        return False
    return True


def _user() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name is no reason to fail
        return "?"


@dataclass
class FolderLock:
    """A held lock on ``folder`` (see :func:`acquire`). ``recovered``: the details of a
    stale lock taken over (``None`` when there was none)."""

    folder: Path
    path: Path
    info: dict
    recovered: dict | None = None
    cleaned: list[str] = field(default_factory=list)
    released: bool = False

    def update(self, **values) -> None:
        """Add details to the lock file (e.g. ``tmpdir``), rewritten in place."""
        self.info.update(values)
        tmp = self.path.with_name(f"{self.path.name}.{self.info['token']}.tmp")
        tmp.write_text(json.dumps(self.info, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)

    def release(self) -> None:
        """Remove the lock file, if it is still ours."""
        if self.released:
            return
        self.released = True
        held = _read_lock(self.path)
        if held is not None and held.get("token") == self.info.get("token"):
            self.path.unlink(missing_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def _read_lock(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def holder_text(info: dict) -> str:
    """``process 4711 of anna on host ws12, started 2026-12-01 20:31:02: kam reports ...``"""
    return (f"process {info.get('pid', '?')} of {info.get('user', '?')} on host "
            f"{info.get('host', '?')}, started {info.get('started', '?')}: "
            f"{info.get('command', '?')}")


def is_stale(info: dict) -> bool:
    """Whether the batch that wrote lock ``info`` is gone (only knowable on its host)."""
    if info.get("host") != socket.gethostname():
        return False
    pid = int(info.get("pid", 0) or 0)
    if pid <= 0 or not _alive(pid):
        return True
    start = info.get("proc_start")
    now = _proc_start(pid)
    return bool(start and now and start != now)  # the pid belongs to a later process


def acquire(folder: Path, what: str = "kam reports") -> FolderLock:
    """Take the lock on ``folder`` or raise :class:`FolderError` naming its holder.

    A stale lock (:func:`is_stale`) is taken over; then its private temporary folder
    and the half-written files it left in ``folder`` (``LEFTOVER_PATTERNS``, also in
    ``folder/failed``) are removed (``lock.cleaned`` lists them).
    """
    folder = Path(folder)
    path = folder / LOCK_NAME
    info = {"pid": os.getpid(), "proc_start": _proc_start(os.getpid()),
            "host": socket.gethostname(), "user": _user(),
            "started": _dt.datetime.now().isoformat(sep=" ", timespec="seconds"),
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])[:300] or what,
            "what": what, "token": uuid.uuid4().hex}
    recovered = None
    for _ in range(5):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            held = _read_lock(path)
            if held is None:
                try:
                    age = time.time() - path.stat().st_mtime
                except FileNotFoundError:
                    continue  # released meanwhile: try again
                if age < UNREADABLE_LOCK_GRACE_SECONDS:
                    raise FolderError(
                        f"{folder} is in use: another batch is starting there (lock file "
                        f"{path}). Wait for it to finish, or choose another --out."
                    ) from None
                held = {"pid": 0, "host": socket.gethostname(), "unreadable": True}
            if not is_stale(held):
                raise FolderError(
                    f"{folder} is in use by another batch ({holder_text(held)}). Two "
                    "batches in one folder would mix their reports: wait for it to "
                    "finish, stop it, or choose another --out. If that process is "
                    f"surely gone (e.g. on another computer), delete {path}."
                ) from None
            # take over: move the stale lock aside, and check it is the one judged
            aside = path.with_name(f"{path.name}.stale.{info['token']}")
            try:
                os.replace(path, aside)
            except FileNotFoundError:
                continue
            moved = _read_lock(aside)
            if moved is not None and moved.get("token") != held.get("token"):
                try:  # another batch took it over first: give it back
                    os.link(aside, path)
                except OSError:
                    pass
                aside.unlink(missing_ok=True)
                continue
            aside.unlink(missing_ok=True)
            recovered = held
            continue
        except OSError as exc:
            raise FolderError(describe_os_error(exc, f"creating the lock file {path}")
                              + f". The batch needs to write into {folder}.") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(json.dumps(info, indent=1))
        except OSError as exc:
            path.unlink(missing_ok=True)
            raise FolderError(describe_os_error(exc, f"writing the lock file {path}")
                              ) from None
        lock = FolderLock(folder, path, info, recovered)
        if recovered is not None:
            lock.cleaned = clean_leftovers(folder, recovered.get("tmpdir"))
        else:
            lock.cleaned = clean_leftovers(folder, None)
        return lock
    raise FolderError(f"{folder}: could not take the lock {path} (other batches keep "
                      "starting there); try again, or choose another --out.")


def clean_leftovers(folder: Path, tmpdir: str | None) -> list[str]:
    """Remove what a killed batch left: half-written files in ``folder`` (and
    ``folder/failed``) and its private temporary folder ``tmpdir`` (only a folder named
    ``kam-batch-*`` owned by this user). Call only while holding the lock."""
    removed = []
    for where in (folder, folder / "failed"):
        if not where.is_dir():
            continue
        for pattern in LEFTOVER_PATTERNS:
            for p in where.glob(pattern):
                if p.is_file() and not p.is_symlink():
                    p.unlink(missing_ok=True)
                    removed.append(str(p))
    if tmpdir:
        t = Path(tmpdir)
        try:
            ours = (t.is_absolute() and t.name.startswith(TMP_PREFIX) and t.is_dir()
                    and not t.is_symlink() and t.stat().st_uid == os.getuid())
        except OSError:
            ours = False
        if ours:
            shutil.rmtree(t, ignore_errors=True)
            removed.append(str(t))
    return removed


# ------------------------------------------------------------- private temporary files


def private_tmpdir() -> Path:
    """A new private temporary folder (mode 0700, the system's temporary folder)."""
    return Path(tempfile.mkdtemp(prefix=TMP_PREFIX))


# ------------------------------------------------------------ signals and parent death


class Stopped(BaseException):
    """Raised in the batch process by SIGINT / SIGTERM / SIGHUP (see :func:`on_stop`).
    A ``BaseException`` like ``KeyboardInterrupt``: no ``except Exception`` swallows it."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


STOP_SIGNALS = tuple(s for s in (getattr(signal, n, None) for n in
                                 ("SIGINT", "SIGTERM", "SIGHUP")) if s is not None)


class on_stop:
    """``with on_stop():`` - SIGINT, SIGTERM and SIGHUP raise :class:`Stopped` (once:
    further signals are ignored while the batch cleans up). Outside the main thread
    (where Python cannot set handlers) it does nothing."""

    def __enter__(self):
        self.old = {}
        self.stopping = False
        if threading.current_thread() is not threading.main_thread():
            return self
        for s in STOP_SIGNALS:
            self.old[s] = signal.signal(s, self._handler)
        return self

    def _handler(self, signum, frame):
        if self.stopping:
            return
        self.stopping = True
        raise Stopped(signum)

    def __exit__(self, *exc):
        for s, h in self.old.items():
            signal.signal(s, h)
        return False


def _set_pdeathsig(sig: int) -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(sig), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except Exception:  # noqa: BLE001 - the watch thread covers it
        pass


def die_with_parent(cleanup, interval: float = 0.5, parent: int | None = None) -> None:
    """In a worker process: when the parent (the batch) dies or sends SIGTERM / SIGHUP,
    call ``cleanup()`` (stop the kernel, remove temporary files) and exit at once.

    SIGINT is ignored: Ctrl-C in a terminal reaches every process of the foreground
    group; the batch process handles it and stops its workers itself.
    ``parent``: the batch's pid as the batch saw it (a worker whose parent died before
    this call already has another parent); default: the current parent.
    """
    parent = parent or os.getppid()

    def finish(code: int) -> None:
        try:
            cleanup()
        finally:
            os._exit(code)

    def on_signal(signum, frame):
        finish(128 + signum)

    # a Python handler, not SIG_IGN: an ignored signal would be inherited by the kernels
    signal.signal(signal.SIGINT, lambda signum, frame: None)
    for s in STOP_SIGNALS:
        if s != signal.SIGINT:
            signal.signal(s, on_signal)
    _set_pdeathsig(signal.SIGTERM)

    def watch():
        while True:
            if os.getppid() != parent or not _alive(parent):
                finish(1)
            time.sleep(interval)

    if os.getppid() != parent:  # pragma: no cover - died between fork and here
        finish(1)
    threading.Thread(target=watch, name="kam-parent-watch", daemon=True).start()


def kill_process_tree(pid: int | None,
                      sig: int = getattr(signal, "SIGKILL", signal.SIGTERM)) -> None:
    """Kill process ``pid`` and its process group when it leads one (a kernel started
    by jupyter_client runs in its own session). Errors (already gone) are ignored."""
    if not pid:
        return
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except (OSError, AttributeError):
        pass
