"""File names made from values in the data, safe by construction.

A customer id, a customer's name or an account manager's name comes from the company's
export, and an export can hold anything: ``../../victim``, ``a/b``, ``C 12; rm -rf``,
a control character, a name that differs from another only in case. Every path that
contains such a value (reports, PDFs, failed notebooks, calendars, exported tables) is
made by :func:`safe_path`, which

- turns the value into a *slug* (ASCII letters, digits, ``-`` and ``_``; no ``/``,
  ``..``, spaces, shell or control characters);
- keeps it unique: a key that had to be changed gets a short hash of the original
  (``a/b`` and ``a b`` both become ``a-b``, so they get different hashes), and a name
  already given in the same folder - compared without case, as Windows and macOS
  compare - gets the hash of the original too;
- resolves the result (symbolic links followed) and checks that it lies inside the
  output folder, raising :class:`UnsafePathError` otherwise (a symbolic link inside
  the folder pointing elsewhere is refused, not followed).

The original value stays in the file's content and in the batch's index; only the
file *name* is a slug::

    from kamlib import paths
    taken = set()
    paths.safe_path(out, "C0003", "Nordfeed Premix GmbH", suffix=".html", taken=taken)
    # out/C0003_nordfeed-premix-gmbh.html
    paths.safe_path(out, "../../victim", "X", suffix=".html", taken=taken)
    # out/victim-3c1f9e2a_x.html
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

KEY_MAX = 48
"""Characters kept of a key (an id) in a file name; a longer key is cut and hashed."""
LABEL_MAX = 40
"""Characters kept of a label (a name) in a file name."""

_PLAIN = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "ł": "l",
                        "Ł": "L", "đ": "d", "Đ": "D", "þ": "th", "Þ": "Th", "ı": "i"})
_KEY_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


class UnsafePathError(ValueError):
    """A path that would leave the output folder; the message names both."""


def _ascii(text) -> str:
    t = unicodedata.normalize("NFKD", str(text).translate(_PLAIN))
    return t.encode("ascii", "ignore").decode("ascii")


def slug(text, max_len: int = LABEL_MAX, default: str = "unnamed") -> str:
    """``'Nordfeed Premix GmbH' -> 'nordfeed-premix-gmbh'``; ``'Ben Ødegård' ->
    'ben-odegard'`` (lower-case ASCII letters and digits joined by ``-``)."""
    t = re.sub(r"[^a-zA-Z0-9]+", "-", _ascii(text)).strip("-").lower()
    return t[:max_len].rstrip("-") or default


def digest(value, n: int = 8) -> str:
    """The first ``n`` hex digits of the SHA-256 of ``str(value)`` (stable, seedless)."""
    return hashlib.sha256(str(value).encode("utf-8", "surrogatepass")).hexdigest()[:n]


def key_part(key) -> str:
    """The file-name part of a key such as a customer id.

    A key that is already safe (letters, digits, ``-``, ``_``; at most ``KEY_MAX``
    characters; starting with a letter or digit) is kept as it is, case included:
    ``C0003 -> C0003``. Anything else is slugged (case kept) and gets ``-`` and a hash
    of the original, so that two different keys never share a name:
    ``../../victim -> victim-<hash>``, ``a/b -> a-b-<hash>``, ``a b -> a-b-<hash>``.
    """
    raw = str(key)
    if _KEY_SAFE.fullmatch(raw) and len(raw) <= KEY_MAX:
        return raw
    t = re.sub(r"[^A-Za-z0-9_]+", "-", _ascii(raw)).strip("-_")
    t = t[:KEY_MAX].rstrip("-_") or "id"
    return f"{t}-{digest(raw)}"


def inside(out_dir: str | Path, relative: str | Path) -> Path:
    """``out_dir / relative``, resolved, checked to be inside ``out_dir`` (resolved).

    Raises :class:`UnsafePathError` when it is not (``..``, an absolute path, or a
    symbolic link inside the folder that points out of it).
    """
    root = Path(out_dir).resolve()
    rel = Path(relative)
    target = (root / rel).resolve()
    if rel.is_absolute() or target == root or root not in target.parents:
        raise UnsafePathError(
            f"refused to write {relative!s}: it would land at {target}, outside the output "
            f"folder {root}. File names made from the data are slugs; this is a bug or a "
            "symbolic link in the output folder that points elsewhere - remove the link."
        )
    return target


def safe_name(key, label=None, *, suffix: str = "", taken: set | None = None) -> str:
    """The file name ``<key>[_<label>]<suffix>`` for values from the data (no folder).

    ``key``: an identifying value (customer id; :func:`key_part`); ``label``: a
    readable value (a name; :func:`slug`), or ``None``; ``suffix``: ``".html"``,
    ``".ics"``, ... (ours, not from the data) or ``""`` for a stem; ``taken``: the
    names already given in the same folder, compared case-insensitively - a clash gets
    the hash of ``(key, label)`` added, and the new name is added to ``taken``.
    """
    if not re.fullmatch(r"(\.[a-z0-9]+)*", suffix):
        raise ValueError(f"suffix must look like '.html', got {suffix!r}")
    stem = key_part(key)
    if label is not None:
        stem = f"{stem}_{slug(label)}"
    name = stem + suffix
    if taken is not None:
        n = 1
        while name.casefold() in taken:
            extra = (str(key), str(label)) if n == 1 else (str(key), str(label), n)
            name = f"{stem}-{digest(extra)}{suffix}"
            n += 1
        taken.add(name.casefold())
    return name


def safe_path(out_dir: str | Path, key, label=None, *, suffix: str, folder: str = "",
              taken: set | None = None) -> Path:
    """``out_dir[/folder]/`` + :func:`safe_name`, resolved and checked to be inside
    ``out_dir`` (else :class:`UnsafePathError`). ``folder``: a fixed sub-folder of
    ours (``"failed"``), never a value from the data."""
    if folder and not re.fullmatch(r"[a-z0-9_-]+", folder):
        raise ValueError(f"folder must be a plain name of ours, got {folder!r}")
    name = safe_name(key, label, suffix=suffix, taken=taken)
    return inside(out_dir, Path(folder) / name if folder else name)
