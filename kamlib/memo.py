"""A small memo for results computed from loaded tables (one process, one run).

The chapters, their exercise checks and the pipeline ask for the same derived table of
the same loaded data several times (the key-account list, the segmentation indicators,
the activity counts); on a large export each is seconds of work. :class:`TableMemo`
remembers the last few results, each under

- the **very table objects** it was computed from, held by weak references: the memo
  never keeps a table alive and a result is never matched by another object that
  happens to have the same ``id``;
- a **key** the caller builds from everything else the result depends on (settings,
  years, unit, company of the text).

Values edited in place inside a loaded table would not be seen: kamlib and the chapters
never do that (:class:`kamlib.data.KamData` is read as read-only).
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Sequence


class TableMemo:
    """The last ``size`` results, newest last. ``copy``: applied to a result when it is
    stored and when it is returned (``None``: the result itself, for immutable ones)."""

    def __init__(self, size: int, copy: Callable[[Any], Any] | None = None):
        self.size = int(size)
        self._copy = copy or (lambda x: x)
        self._entries: list[tuple[tuple, Any, Any]] = []  # (weak refs, key, result)

    def get(self, tables: Sequence[Any], key: Any) -> Any | None:
        """The result stored for these very ``tables`` and ``key``, else ``None``."""
        for refs, k, result in self._entries:
            if k == key and len(refs) == len(tables) and all(
                    r() is t for r, t in zip(refs, tables)):
                return self._copy(result)
        return None

    def put(self, tables: Sequence[Any], key: Any, result: Any) -> None:
        """Remember ``result``; a table that takes no weak reference (``None``, a plain
        value) means no memo."""
        try:
            refs = tuple(weakref.ref(t) for t in tables)
        except TypeError:
            return
        # entries whose tables are gone can never match again: dropped, not kept
        self._entries = [e for e in self._entries if all(r() is not None for r in e[0])]
        self._entries.append((refs, key, self._copy(result)))
        del self._entries[:-self.size]

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
