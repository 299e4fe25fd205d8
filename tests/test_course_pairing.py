"""The chapters' jupytext py:percent pairs (kamlib.course.pairing, make pair)."""

from __future__ import annotations

import nbformat
import pytest

from kamlib import runner
from kamlib.course import pairing

CHAPTERS = runner.chapter_paths()


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_each_chapter_has_a_pair_in_sync_with_its_notebook(path):
    assert pairing.differences(path) == [], "run `make pair` and commit the .py files"


def _nb():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 09 · Test\n\nSome *text*."),
        nbformat.v4.new_code_cell('data_source = "sample"', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("x = 1\nprint(x)", metadata={"tags": ["solution"],
                                                                "papermill": {"status": "ok"}}),
    ]
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    nb.cells[2].execution_count = 3
    return nb


def test_pair_text_holds_cells_and_tags_only():
    text = pairing.pair_text(_nb())
    assert text == (
        "# %% [markdown]\n# # 09 · Test\n#\n# Some *text*.\n\n"
        '# %% tags=["parameters"]\ndata_source = "sample"\n\n'
        '# %% tags=["solution"]\nx = 1\nprint(x)\n'
    )


def test_differences_name_the_cell_and_the_fix(tmp_path):
    path = tmp_path / "09_test.ipynb"
    nbformat.write(_nb(), path)
    assert pairing.differences(path) == ["09_test.py is missing: run `make pair`."]
    pairing.write_pair(path)
    assert pairing.differences(path) == []
    nb = _nb()
    nb.cells[2].source = "x = 2\nprint(x)"
    nbformat.write(nb, path)
    (found,) = pairing.differences(path)
    assert "cell 3 (source)" in found and "`x = 2`" in found and "make pair" in found
    nb.cells[2].metadata["tags"] = []
    nb.cells[2].source = "x = 1\nprint(x)"
    nbformat.write(nb, path)
    assert "cell 3 (tags)" in pairing.differences(path)[0]
    nb.cells.append(nbformat.v4.new_markdown_cell("new"))
    nbformat.write(nb, path)
    assert "has 3 cells, 09_test.ipynb has 4" in pairing.differences(path)[0]


def test_write_pairs_covers_only_chapters(tmp_path):
    nbformat.write(_nb(), tmp_path / "09_test.ipynb")
    nbformat.write(_nb(), tmp_path / "scratch.ipynb")
    assert pairing.write_pairs(tmp_path) == [tmp_path / "09_test.py"]
    assert pairing.check_pairs(tmp_path) == []
    before = (tmp_path / "09_test.py").stat().st_mtime_ns
    pairing.write_pairs(tmp_path)  # unchanged: not rewritten
    assert (tmp_path / "09_test.py").stat().st_mtime_ns == before
