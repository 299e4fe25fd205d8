"""A description of every figure, for the alt text of its image in the HTML copies.

    from kamlib.plots import alt_text
    alt_text.describe(fig)     # 'The whale curve. x: share of customers; y: profit'
    alt_text.install()         # called by kamlib.notebook.setup()

A reader who cannot see a figure (a screen reader, an image that did not load) gets its
title, the titles of its panels and what its axes show. :func:`install` makes the
notebook's PNG of each figure carry that description as ``alt`` metadata; the chapters'
HTML export (:mod:`kamlib.course.pages`) writes it into ``<img alt="...">``.
"""

from __future__ import annotations

import re

ALT_KEY = "alt"
"""Key of the description in an image output's metadata (``metadata["image/png"]``)."""

_WRAPPED = "_kam_alt_text"


def _clean(text: str) -> str:
    text = re.sub(r"\$([^$]*)\$", r"\1", text or "")  # mathtext: keep the letters
    return re.sub(r"\s+", " ", text).strip()


def describe(fig) -> str:
    """The figure's description: its suptitle, then each panel's title and the labels of
    its axes (``"Title. x: ...; y: ..."``), panels separated by `` | ``. A figure with no
    title or label at all is described as ``"Figure (no title)"`` so the gap is visible."""
    parts = []
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and _clean(sup.get_text()):
        parts.append(_clean(sup.get_text()))
    panels = []
    for ax in fig.get_axes():
        if not ax.get_visible() or not ax.axison and not ax.get_title():
            continue
        title = _clean(ax.get_title()) or _clean(ax.get_title(loc="left"))
        axes = [f"{k}: {v}" for k, v in (("x", _clean(ax.get_xlabel())),
                                          ("y", _clean(ax.get_ylabel()))) if v]
        text = title
        if axes:
            text = (title.rstrip(".") + ". " if title else "") + "; ".join(axes)
        if text and text not in panels and text != (parts[0] if parts else None):
            panels.append(text)
    parts += panels
    return " | ".join(parts) if parts else "Figure (no title)"


def install() -> bool:
    """Make each figure shown in this IPython kernel carry :func:`describe` as the
    ``alt`` metadata of its PNG. Safe to call twice; ``False`` outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of the notebooks
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return False
    from matplotlib.figure import Figure

    import matplotlib as mpl

    if "inline" in str(mpl.get_backend()):
        # the inline backend registers its own PNG formatter when it is loaded: load it
        # first, so that the formatter wrapped below is the one it registered
        import matplotlib_inline.backend_inline  # noqa: F401
    png = shell.display_formatter.formatters["image/png"]
    try:
        base = png.lookup_by_type(Figure)
    except KeyError:
        from functools import partial

        from IPython.core.pylabtools import print_figure

        base = partial(print_figure, fmt="png", base64=True)
    if getattr(base, _WRAPPED, False):
        return True

    def with_alt(fig):
        data = base(fig)
        meta = {}
        if isinstance(data, tuple) and len(data) == 2:
            data, meta = data
        if data is None:
            return None
        meta = dict(meta or {})
        meta.setdefault(ALT_KEY, describe(fig))
        return data, meta

    setattr(with_alt, _WRAPPED, True)
    png.for_type(Figure, with_alt)
    return True
