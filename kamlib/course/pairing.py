"""The chapters as text: a jupytext py:percent file next to each executed notebook.

    make pair                  # (re)write notebooks/NN_*.py from notebooks/NN_*.ipynb
    kam pair --check           # exit 1 naming each chapter whose pair is out of date

The chapters are committed executed (``.ipynb`` with outputs), so a change to a lesson
is buried in JSON and base64 figures. The pair ``NN_name.py`` holds the same cells as
plain text (``# %% [markdown]`` cells as comments, code as code, tags kept:
``# %% tags=["solution"]``) and nothing else: no outputs, no metadata, no version
header, so a re-execution does not touch it and a review reads the lesson's diff.

The notebook stays the source that is edited and executed; the pair is generated from it
(``make pair``) and a test checks that every chapter's pair is in sync with its
notebook's cells. (The pair can be turned back into a notebook with
``jupytext --to ipynb``, e.g. to review a change made to the text.)
"""

from __future__ import annotations

import copy
from pathlib import Path

PAIR_FORMAT = "py:percent"
PAIR_SUFFIX = ".py"
_FILTERS = {"notebook_metadata_filter": "-all", "cell_metadata_filter": "tags,-all"}


def pair_path(nb_path: str | Path) -> Path:
    """``notebooks/01_select_key_customers.ipynb`` -> ``notebooks/01_select_key_customers.py``."""
    return Path(nb_path).with_suffix(PAIR_SUFFIX)


def _cells(nb) -> list[tuple[str, str, tuple[str, ...]]]:
    """What the pair keeps of each cell: its type, source and (non-empty) tags."""
    return [
        (c.cell_type, c.source, tuple(c.get("metadata", {}).get("tags", []) or ()))
        for c in nb.cells
    ]


def pair_text(nb) -> str:
    """The py:percent text of notebook ``nb`` (an nbformat node): cells and tags only."""
    import jupytext

    node = copy.deepcopy(nb)
    node.metadata = {"jupytext": dict(_FILTERS)}
    for cell in node.cells:
        tags = list(cell.get("metadata", {}).get("tags", []) or [])
        cell.metadata = {"tags": tags} if tags else {}
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return jupytext.writes(node, fmt=PAIR_FORMAT)


def write_pair(nb_path: str | Path) -> Path:
    """Write the pair of the notebook at ``nb_path`` next to it. Returns its path."""
    import nbformat

    nb = nbformat.read(Path(nb_path), as_version=4)
    target = pair_path(nb_path)
    text = pair_text(nb)
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return target


def differences(nb_path: str | Path) -> list[str]:
    """How the pair of the notebook at ``nb_path`` differs from the notebook's cells,
    one sentence each; ``[]`` when it is in sync. A missing pair is one difference."""
    import jupytext
    import nbformat

    nb_path = Path(nb_path)
    target = pair_path(nb_path)
    if not target.exists():
        return [f"{target.name} is missing: run `make pair`."]
    nb_cells = _cells(nbformat.read(nb_path, as_version=4))
    pair_cells = _cells(jupytext.read(target, fmt=PAIR_FORMAT))
    out = []
    if len(nb_cells) != len(pair_cells):
        out.append(f"{target.name} has {len(pair_cells)} cells, {nb_path.name} has "
                   f"{len(nb_cells)}: run `make pair`.")
    for i, (a, b) in enumerate(zip(nb_cells, pair_cells), start=1):
        if a != b:
            what = ("type" if a[0] != b[0] else "tags" if a[2] != b[2] else "source")
            first = (a[1].strip().splitlines() or [""])[0][:60]
            out.append(f"{target.name}: cell {i} ({what}) differs from {nb_path.name} "
                       f"(the notebook's cell starts `{first}`): run `make pair`.")
            if len(out) >= 5:
                break
    return out


def write_pairs(notebooks_dir: str | Path | None = None) -> list[Path]:
    """Write the pair of every chapter of ``notebooks_dir`` (default: the project's)."""
    from kamlib.runner import chapter_paths

    return [write_pair(p) for p in chapter_paths(notebooks_dir)]


def check_pairs(notebooks_dir: str | Path | None = None) -> list[str]:
    """Every difference between the chapters and their pairs (``[]``: all in sync)."""
    from kamlib.runner import chapter_paths

    out = []
    for p in chapter_paths(notebooks_dir):
        out.extend(differences(p))
    return out
