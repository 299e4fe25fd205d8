"""Workshop widgets, one submodule per chapter (ipywidgets imported only there).

A widget only works with a live kernel: in a headless run (papermill, nbval, the
``kam chapters`` runner, which set ``KAM_HEADLESS=1``) or in a page read on the web it
cannot render, and executing widget cells headless can stall the notebook client
(nbclient#312). So every public widget function is wrapped with :func:`interactive`:
when ``KAM_HEADLESS`` is set it builds nothing and shows a one-line note saying how to
use the widget; otherwise it returns the real widget. The lesson never depends on a
widget: each chapter shows the static result first.
"""

from __future__ import annotations

import functools
import os

HEADLESS_VARIABLE = "KAM_HEADLESS"


def headless() -> bool:
    """True in headless runs (``KAM_HEADLESS`` set to anything but empty or ``0``)."""
    return os.environ.get(HEADLESS_VARIABLE, "") not in ("", "0")


class Placeholder:
    """What a widget shows in a headless run: where and how to use it."""

    def __init__(self, name: str):
        self.name = name

    def text(self) -> str:
        return (f"[Interactive widget `{self.name}`: open this chapter in JupyterLab "
                "(`make lab`) and run the cells to use it.]")

    def __repr__(self) -> str:
        return self.text()

    def _repr_markdown_(self) -> str:
        return f"*{self.text()}*"


def interactive(build):
    """Decorator for widget-building functions: a :class:`Placeholder` when headless."""

    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        if headless():
            return Placeholder(build.__name__)
        return build(*args, **kwargs)

    return wrapper
