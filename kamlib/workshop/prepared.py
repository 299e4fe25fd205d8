"""The workshop's data, prepared once on disk so each participant's kernel starts fast.

Voilà runs the app in a new kernel for every participant. Without this, each kernel
reads and checks the export, computes every customer's facts, the segmentation
indicators and the first key-account list - several seconds of processor time each,
so 20 participants opening the page together queue 20 times that on the
facilitator's laptop. ``kam workshop`` calls :func:`prepare` once before it serves the
page; every kernel then unpickles the result (:func:`load_session`, a fraction of a
second).

The file is ``build/workshop/prepared/<key>.pickle`` where the key is a SHA-256 of the
data files (name, size, modification time), the settings in force and the kamlib
source files (name, size, modification time): a changed export, settings file or
kamlib version prepares again; an old file is never used for other inputs. The
pickle is written by this program and read only by it (never a file from elsewhere).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = PROJECT_ROOT / "build" / "workshop" / "prepared"
KAMLIB_DIR = Path(__file__).resolve().parents[1]
ENV_PREPARED = "KAM_WORKSHOP_PREPARED"
"""The folder of the prepared files (default :data:`CACHE_DIR`), or ``off``: kernels
then load and compute the data themselves (``kam workshop`` sets it)."""


def cache_dir() -> Path | None:
    """The folder of prepared files now (None when switched off)."""
    v = os.environ.get(ENV_PREPARED, "").strip()
    if v.lower() == "off":
        return None
    return Path(v) if v else CACHE_DIR


def _code_fingerprint() -> list:
    return [[str(p.relative_to(KAMLIB_DIR)), p.stat().st_size, p.stat().st_mtime_ns]
            for p in sorted(KAMLIB_DIR.rglob("*.py"))]


def cache_key(source, settings_file=None) -> str:
    """SHA-256 of what the prepared session depends on (see the module docstring)."""
    from kamlib import data
    from kamlib.analysis import file_fingerprint

    src = data.resolve_source(source)
    settings_text = (Path(settings_file).read_text(encoding="utf-8")
                     if settings_file and Path(settings_file).is_file() else "")
    text = json.dumps({"data": [str(src.resolve())] + file_fingerprint(src),
                       "settings": settings_text, "code": _code_fingerprint()},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_path(source, settings_file=None) -> Path:
    """Where the prepared file of these inputs is (in :func:`cache_dir`, or
    :data:`CACHE_DIR` when switched off)."""
    folder = cache_dir() or CACHE_DIR
    return folder / f"{cache_key(source, settings_file)[:32]}.pickle"


def prepare(source, settings_file=None, label: str = "") -> Path:
    """Load ``source`` into a session (:func:`kamlib.workshop.session.load_session`)
    and write its prepared state; returns the file. Already there: nothing computed.
    Raises what ``load_session`` raises (``DataError`` listing every problem...)."""
    from kamlib.workshop.session import load_session

    path = cache_path(source, settings_file)
    if path.is_file():
        return path
    ss = load_session(source, settings_file, label)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        pickle.dump(ss.prepared_state(), f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)  # whole or not at all, even with kernels reading at the same time
    return path


def load_session(source, settings_file=None, label: str = ""):
    """The :class:`kamlib.workshop.session.Session` of ``source``: from the prepared
    file when there is one for these inputs, else loaded (and not written: only
    :func:`prepare` writes, so a room of kernels never races to write)."""
    from kamlib.workshop import session

    path = cache_path(source, settings_file) if cache_dir() is not None else None
    if path is not None and path.is_file():
        try:
            with open(path, "rb") as f:
                state = pickle.load(f)
            return session.Session.from_prepared(state, label or str(source))
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, KeyError,
                TypeError):
            pass  # unreadable (a kamlib change the key missed): compute it instead
    return session.load_session(source, settings_file, label)
