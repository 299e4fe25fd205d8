"""The loaded data, shared by the chapters of one ``kam chapters`` run.

    with cache.shared_for_run(out_dir, data_source) as folder:   # kamlib.runner
        ...  # the chapters' kernels get KAM_DATA_CACHE=folder
    kd = data.load(data_source)     # inside a chapter: the run's copy when there is one

Every chapter starts with ``notebook.load``, which reads and validates the whole export
(:func:`kamlib.data.load`). On a large export that is most of a chapter's time (39-85 s
per chapter at 20,000 customers), and six chapters did it six times. In a ``kam
chapters`` run the data is now read and validated **once**, before the chapters start,
and kept as a pickle of the validated :class:`kamlib.data.KamData` and of the
:class:`kamlib.data.CheckReport`; :func:`kamlib.data.load` and :func:`kamlib.data.check`
(default engine) return that copy (read once per kernel, a few seconds) instead of
validating again, so the chapters' code is unchanged.

Why a pickle, and where (the choice, with privacy in mind):

- The chapters run in separate kernel processes, so an in-memory copy cannot be shared;
  a file is the only way. A pickle gives back the very same frames (dtypes, index,
  ``attrs``, notes), which Parquet or CSV would not for every column type.
- The numeric columns are stored apart from the pickle (protocol 5 out-of-band
  buffers) and the reader **maps** the file copy-on-write instead of reading it: the
  columns point into the system's file cache, a chapter's own changes stay its own, and
  a chapter starts in 2-3 s instead of 7-14 s at 13 million order lines (copying 4 GB
  into each kernel was the time).
- The file lives in a private folder **inside the run's output folder**
  (``OUT/.kam-data-cache-XXXXXXXX``, readable by the owner only), next to the executed
  chapters, which show the same company's data anyway: nothing goes to the system's
  temporary folder. The folder is removed when the run ends, also when a chapter fails
  or the run is interrupted (Ctrl+C, ``kill``: ``try/finally``); a folder left by a
  run that could not clean up (``kill -9``, a power cut) is removed by the next run
  into the same output folder (:func:`remove_stale`).
- The entry is keyed on the data's fingerprint (:func:`fingerprint`: the resolved path,
  and each file's name, size and modification time) and the column map, and checked
  again when read: a file changed during the run is loaded afresh, never served stale.
- Only this module writes the folder, and only the run that made it points the kernels
  at it (environment variable :data:`ENV`); outside a run (a learner opening a chapter
  in JupyterLab, ``kam analyse``, the reports) nothing is cached.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mmap
import os
import pickle
import shutil
import signal
import struct
import tempfile
from pathlib import Path

ENV = "KAM_DATA_CACHE"
"""Environment variable naming the run's cache folder (set by :mod:`kamlib.runner`)."""

PREFIX = ".kam-data-cache-"
"""Name of the cache folder inside the output folder: ``PREFIX`` + random letters."""

SUFFIX = ".kamdata.pickle"


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file())
    return [path] if path.exists() else []


def fingerprint(source, columns: dict | None = None) -> str:
    """SHA-256 of what :func:`kamlib.data.load` reads: ``source`` as given and its
    resolved path, each file's name, size and modification time (ns), and the column map.

    Any change of a data file (rewritten, touched, added, removed) changes it."""
    from kamlib.data.sources import resolve_source

    path = resolve_source(source).resolve()
    files = [[p.name, st.st_size, st.st_mtime_ns]
             for p in _files(path) for st in [p.stat()]]
    text = json.dumps({"source": str(source), "path": str(path), "files": files,
                       "columns": sorted((columns or {}).items())}, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _entry(folder: Path, key: str, part: str) -> Path:
    return Path(folder) / f"{key}.{part}{SUFFIX}"


def folder_in_use() -> Path | None:
    """The run's cache folder (named by :data:`ENV`), or None outside a run."""
    value = os.environ.get(ENV)
    return Path(value) if value and Path(value).is_dir() else None


def compute(source, columns: dict | None = None):
    """Read and validate ``source`` once: ``(report, kd)``, what :func:`kamlib.data.check`
    and :func:`kamlib.data.load` return (``kd`` None when the data has problems)."""
    from kamlib import data

    chk = data._run(source, columns)
    report = data.CheckReport(source=chk.source, problems=tuple(chk.problems),
                              summary=chk.summary())
    kd = None if chk.problems else data._kamdata(chk)
    return report, kd


MAGIC = b"KAMDATA2"
"""First bytes of an entry: pickle protocol 5 with its large buffers stored apart."""

_ALIGN = 64


def _write(target: Path, key: str, value) -> None:
    """Write ``{"key": key, "value": value}`` to ``target``.

    The layout: :data:`MAGIC`, the number of buffers and the pickle's length, each
    buffer's offset and length, the pickle (protocol 5), then each buffer (the frames'
    numeric columns) at a 64-byte boundary. The reader maps the file and the columns
    point into it (:func:`_read`), so a chapter does not copy gigabytes to start."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".writing-", suffix=SUFFIX)
    try:
        buffers: list = []
        head = pickle.dumps({"key": key, "value": value}, protocol=5,
                            buffer_callback=buffers.append)
        views = [b.raw() for b in buffers]
        offsets, pos = [], _aligned(24 + 16 * len(views) + len(head))
        for v in views:
            offsets.append(pos)
            pos = _aligned(pos + v.nbytes)
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC + struct.pack("<QQ", len(views), len(head)))
            for o, v in zip(offsets, views):
                f.write(struct.pack("<QQ", o, v.nbytes))
            f.write(head)
            for o, v in zip(offsets, views):
                f.seek(o)
                f.write(v)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _aligned(n: int) -> int:
    return (n + _ALIGN - 1) // _ALIGN * _ALIGN


def _read(path: Path):
    """The object :func:`_write` stored in ``path``: the file is mapped copy-on-write
    (pages read from the system's file cache when first used, a chapter's changes stay
    its own) and the large buffers are views of it. Raises ValueError for a file of
    another layout (an entry of an older version: then it is loaded as if absent)."""
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
    view = memoryview(mm)
    if bytes(view[:8]) != MAGIC:
        raise ValueError(f"{path.name}: not a kamlib cache entry")
    n, head_len = struct.unpack_from("<QQ", mm, 8)
    table = [struct.unpack_from("<QQ", mm, 24 + 16 * i) for i in range(n)]
    start = 24 + 16 * n
    if start + head_len > len(mm) or any(o + ln > len(mm) for o, ln in table):
        raise ValueError(f"{path.name}: cut short")
    return pickle.loads(view[start:start + head_len],  # noqa: S301 - written by _write()
                        buffers=[view[o:o + ln] for o, ln in table])


def store(folder: str | Path, source, columns: dict | None = None) -> list[Path]:
    """Validate ``source`` once and write its check report and (when it has no problems)
    its data into the cache ``folder``; returns the files written.

    The fingerprint is taken *before* reading, so a file changed while it was read
    makes the entries never match; each pickle is written to a temporary name, then
    renamed: a reader never sees half a file."""
    key = fingerprint(source, columns)
    report, kd = compute(source, columns)
    written = []
    for part, value in (("report", report), ("data", kd)):
        if value is not None:
            target = _entry(Path(folder), key, part)
            _write(target, key, value)
            written.append(target)
    return written


def lookup(part: str, source, columns: dict | None = None,
           folder: str | Path | None = None):
    """The stored ``part`` (``"data"``: the KamData, ``"report"``: the CheckReport) for
    ``source``, or None: no cache (``folder`` default: :func:`folder_in_use`), no entry,
    the files changed since, or an entry that cannot be read (then the caller loads as
    if there were none)."""
    folder = Path(folder) if folder is not None else folder_in_use()
    if folder is None:
        return None
    try:
        key = fingerprint(source, columns)
        entry = _entry(folder, key, part)
        if not entry.is_file():
            return None
        stored = _read(entry)  # written by store() in a private folder
    except (OSError, ValueError, pickle.UnpicklingError, EOFError, AttributeError,
            ImportError, TypeError, struct.error):
        return None
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    return stored.get("value")


_IN_PROCESS: dict = {}  # the entry read in this process: {"key": ..., "kd": ...}


def cached_load(source, columns: dict | None = None):
    """The run's copy of ``data.load(source, columns)``, or None when there is none
    (:func:`kamlib.data.load` then loads as usual).

    Within one kernel the entry is read once and the same object is returned to every
    caller: the chapter's ``notebook.load`` and its exercise checks (which load the data
    for themselves) work on the very same tables, so the answers are checked against
    the data the chapter used, the memory is held once (4.6 GB at 50,000 customers x 10
    years), and the results remembered for those tables (the key accounts, the
    segmentation indicators) serve both. The chapters never edit the loaded tables in
    place (and with pandas' copy-on-write, nothing derived from them can)."""
    folder = folder_in_use()
    if folder is None:
        return None
    key = (str(folder), fingerprint(source, columns))
    if _IN_PROCESS.get("key") == key:
        return _IN_PROCESS["kd"]
    kd = lookup("data", source, columns)
    if kd is None:
        return None
    _IN_PROCESS.clear()
    _IN_PROCESS.update(key=key, kd=kd)
    return kd


# ---------------------------------------------------------- results shared by the chapters
#
# The chapters of one run compute the same derived tables of the same data again, each
# in its own kernel: the key-account list (every chapter from 01), the segmentation
# indicators (02-05), the per-customer-year sums. On 50,000 customers x 10 years each
# is 10-30 s of pandas work per chapter. A result computed from the run's own copy of
# the data is therefore written next to that copy (same private folder, same removal
# at the end of the run) and read by the next chapter that asks for it.
#
# Only results of the very tables :func:`cached_load` handed out are shared (checked by
# identity: a table the chapter filtered or changed is another object and is never
# matched), under the data's fingerprint, the result's kind and the caller's key (the
# settings, years, unit and company the result depends on, as text). A file that
# cannot be read, or whose stored key differs, is ignored.

RESULT_SUFFIX = ".result.pickle"
_TABLE_NAMES = ("customers", "products", "orders", "interactions", "contacts",
                "assessments", "rebates")


def _run_tables(tables) -> tuple | None:
    """The names of ``tables`` in this kernel's copy of the run's data (None for a
    table not given), or None when one of them is not a table of that copy."""
    kd = _IN_PROCESS.get("kd")
    if kd is None or folder_in_use() is None:
        return None
    names = []
    for t in tables:
        if t is None:
            names.append(None)
            continue
        for n in _TABLE_NAMES:
            if getattr(kd, n, None) is t:
                names.append(n)
                break
        else:
            return None
    return tuple(names)


def _result_entry(kind: str, tables, key) -> tuple[Path, str] | None:
    names = _run_tables(tables)
    if names is None:
        return None
    text = json.dumps({"kind": kind, "data": _IN_PROCESS["key"][1], "tables": names,
                       "key": repr(key)})
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return folder_in_use() / f"{digest}.{kind}{RESULT_SUFFIX}", text


def shared_result(kind: str, tables, key):
    """The result of ``kind`` another chapter of this run stored for these very tables
    of the run's data and ``key``, or None (outside a run, other tables, not stored)."""
    entry = _result_entry(kind, tables, key)
    if entry is None or not entry[0].is_file():
        return None
    try:
        stored = _read(entry[0])  # written by share_result() in a private folder
    except (OSError, ValueError, pickle.UnpicklingError, EOFError, AttributeError,
            ImportError, TypeError, struct.error):
        return None
    if not isinstance(stored, dict) or stored.get("key") != entry[1]:
        return None
    return stored.get("value")


def share_result(kind: str, tables, key, value) -> bool:
    """Store ``value`` for the next chapters of the run (see :func:`shared_result`);
    False when there is nothing to share it with (outside a run, other tables)."""
    entry = _result_entry(kind, tables, key)
    if entry is None:
        return False
    try:
        _write(entry[0], entry[1], value)
    except OSError:  # no room: the next chapter computes it again
        return False
    return True


def cached_check(source, columns: dict | None = None):
    """The run's copy of ``data.check(source, columns)``, or None when there is none."""
    return lookup("report", source, columns)


def remove_stale(out_dir: str | Path) -> list[Path]:
    """Remove the cache folders a killed run left in ``out_dir``; returns them."""
    out_dir = Path(out_dir)
    gone = []
    if out_dir.is_dir():
        for p in out_dir.glob(PREFIX + "*"):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
                gone.append(p)
    return gone


def _warm(folder: str, source, columns, then: str = "") -> None:
    """Store ``source`` in the cache ``folder`` (in a process of its own); then, when the
    data was stored, call ``then`` ("module:function", given by the caller: a higher
    layer, e.g. :func:`kamlib.runner.share_first`) with the source and columns, the
    folder in use, so what it computes from the run's copy is shared with the chapters."""
    try:
        written = store(folder, source, columns)
    except Exception:  # noqa: BLE001 - the chapters then load as usual and say what is wrong
        return
    if not then or not any(p.name.endswith(f".data{SUFFIX}") for p in written):
        return
    import importlib

    os.environ[ENV] = str(folder)
    module, _, name = then.partition(":")
    try:
        getattr(importlib.import_module(module), name)(source, columns)
    except Exception:  # noqa: BLE001 - the chapters compute those results themselves
        pass


def _exit_on_sigterm():
    """Make SIGTERM (``kill PID``) end the run through its ``finally`` blocks, so the
    cache folder is removed then too (Ctrl+C already does). Returns the handler it
    replaced, or None where it cannot be set (not the main thread)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def _stop(signum, frame):
        raise SystemExit(128 + signum)

    try:
        return signal.signal(signal.SIGTERM, _stop)
    except (ValueError, OSError):
        return None


@contextlib.contextmanager
def shared_for_run(out_dir: str | Path, source="sample", columns: dict | None = None, *,
                   warm: bool = True, then: str = ""):
    """A private cache folder inside ``out_dir`` for the length of a ``with`` block.

    Sets :data:`ENV` for the block (the chapters' kernels inherit it), with ``warm``
    loads ``source`` into it first (in a separate process, so the memory the loading
    takes is given back before the chapters start), and removes the folder and the
    variable at the end, whatever happens. Yields the folder (None when it cannot be
    made: then nothing is shared and each chapter loads the data itself). ``then``: see
    :func:`_warm`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale(out_dir)
    try:
        folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=out_dir))  # mode 0700
    except OSError:  # no room for it: the chapters load the data themselves
        yield None
        return
    before = os.environ.get(ENV)
    os.environ[ENV] = str(folder)
    old_handler = _exit_on_sigterm()
    try:
        if warm:
            import subprocess
            import sys

            # a fresh interpreter: the memory the loading takes is given back at its end
            code = ("import json, sys; from kamlib.data import cache; "
                    "cache._warm(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), "
                    "sys.argv[4])")
            subprocess.run([sys.executable, "-c", code, str(folder), str(source),
                            json.dumps(columns), then], check=False)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if old_handler is not None:
            signal.signal(signal.SIGTERM, old_handler)
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before
