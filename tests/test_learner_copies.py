"""The learners' copies of every chapter, made as `kam exercises` makes them, run end to end.

Each copy is written into a temporary folder (``<tmp>/exercises``, as ``build/exercises``)
and executed there with papermill, on the bundled data:

- it runs to the end: no error, no traceback in any output (an exercise left unanswered
  must not break a later cell of the chapter);
- every check cell the learner sees says *not answered yet* (the learner has not
  written anything), never *right* and never a computed verdict;
- it holds no solution: no cell tagged ``solution``, and no line of a solution cell's
  code or prose that the chapter does not also show outside its solutions;
- what it writes lands next to the copies (ch04's calendars in ``<tmp>/calendars``, as
  ``build/calendars`` for ``build/exercises``), nowhere inside the copies' folder and
  not in the project.

All six chapters take about three minutes on two cores.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from kamlib import runner

CHAPTERS = [p.name for p in runner.chapter_paths()]


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    """The learners' copies of every chapter, in ``<tmp>/exercises``."""
    root = tmp_path_factory.mktemp("learner")
    written = runner.write_exercise_copies(root / "exercises")
    return root, {p.name: p for p in written}


def _text(cell) -> str:
    out = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            out.append(o.get("text", ""))
        elif o.get("output_type") == "error":
            out.append(f"{o.get('ename')}: {o.get('evalue')}\n" + "\n".join(o.get("traceback", [])))
        else:
            data = o.get("data", {})
            out.append(data.get("text/markdown") or data.get("text/plain", ""))
    return "\n".join(out)


def _solution_lines(chapter: Path) -> set[str]:
    """The lines of the chapter's solution cells (code and prose) that appear nowhere else
    in the chapter: what a copy must not contain."""
    nb = nbformat.read(chapter, as_version=4)

    def lines(cells):
        return {ln.strip() for c in cells for ln in c.source.splitlines() if len(ln.strip()) >= 12}

    solution = [c for c in nb.cells if runner.SOLUTION_TAG in c.metadata.get("tags", [])]
    others = [c for c in nb.cells if runner.SOLUTION_TAG not in c.metadata.get("tags", [])]
    return lines(solution) - lines(others)


def test_every_chapter_has_a_copy(copies):
    _, written = copies
    assert sorted(written) == sorted(CHAPTERS) and len(CHAPTERS) == 6


@pytest.mark.parametrize("name", CHAPTERS)
def test_copy_holds_no_solution(copies, name):
    _, written = copies
    chapter = runner.NOTEBOOKS_DIR / name
    secret = _solution_lines(chapter)
    assert secret, f"{name}: the chapter has no solution text to hide (is any cell tagged?)"
    nb = nbformat.read(written[name], as_version=4)
    assert not [c.id for c in nb.cells if runner.SOLUTION_TAG in c.metadata.get("tags", [])]
    shown = "\n".join(c.source for c in nb.cells)
    leaked = sorted(ln for ln in secret if ln in shown)
    assert not leaked, f"{name}: the learner's copy shows solution lines: {leaked[:5]}"
    # each solution became a placeholder, in place
    placeholders = [c for c in nb.cells if c.source in (runner.ANSWER_PLACEHOLDER,
                                                        runner.MARKDOWN_ANSWER_PLACEHOLDER)]
    n_solutions = sum(runner.SOLUTION_TAG in c.metadata.get("tags", [])
                      for c in nbformat.read(chapter, as_version=4).cells)
    assert len(placeholders) == n_solutions


@pytest.mark.notebooks
@pytest.mark.parametrize("name", CHAPTERS)
def test_copy_runs_to_the_end_where_it_is(copies, name):
    root, written = copies
    ran = root / "ran" / name
    result = runner.execute_notebook(written[name], ran)
    assert result.ok, result.error
    nb = nbformat.read(ran, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), f"{name}: not every cell ran"
    for c in code:
        text = _text(c)
        assert not any(o.get("output_type") == "error" for o in c.outputs), (name, c.source)
        assert "Traceback" not in text and not re.search(r"\b\w+Error\b:", text), (name, c.source, text)
    # the check cells the learner sees: the answer is still None, so "not answered yet"
    checks = [c for c in code if "exercises.check(" in c.source]
    if name[:2] in ("00", "01", "02"):  # these chapters give an answer variable and a check cell
        assert checks, f"{name}: no check cell in the learner's copy"
    for c in checks:
        text = _text(c)
        if "The check knows the automatic example only" in text:  # example_customer set
            continue
        assert "not answered yet" in text, (name, c.source, text)
        assert "right." not in text
    # what the copy writes lands next to the copies, never among them nor in build/build
    made = {p.relative_to(root).parts[0] for p in root.iterdir()}
    assert made <= {"exercises", "ran", "calendars"}, made
    inside = [p.name for p in (root / "exercises").iterdir()]
    assert sorted(inside) == sorted(CHAPTERS), inside
    if name.startswith("04_"):
        ics = sorted((root / "calendars").glob("*.ics"))
        assert ics, "ch04's learner copy wrote no calendar next to the copies"
        params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        assert 'calendar_dir = "../calendars"' in params.source


def test_make_lab_keeps_a_copy_the_learner_worked_in(tmp_path, capsys):
    """`make lab` writes the copies each time: a copy with an answer typed in is kept (and
    said so); a copy only run is rewritten from the chapter; a changed chapter reaches the
    copies nobody worked in."""
    nbdir, out = tmp_path / "notebooks", tmp_path / "exercises"
    nbdir.mkdir()

    def chapter(prompt):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell("# 01 · A chapter"),
                    nbformat.v4.new_markdown_cell(prompt),
                    nbformat.v4.new_code_cell("print(3 + 4)", metadata={"tags": ["solution"]})]
        for i, c in enumerate(nb.cells):
            c["id"] = f"c{i}"
        return nb

    for name in ("01_a.ipynb", "02_b.ipynb"):
        nbformat.write(chapter("**Exercise 1.** Add 3 and 4."), nbdir / name)
    first = runner.write_exercise_copies(out, notebooks_dir=nbdir)
    mine = nbformat.read(first[0], as_version=4)
    answer = next(c for c in mine.cells if c.source == runner.ANSWER_PLACEHOLDER)
    answer.source = "print(7)  # my answer"
    nbformat.write(mine, first[0])
    ran = nbformat.read(first[1], as_version=4)  # only run: an output, the text as written
    ran.cells[-1].outputs = [nbformat.v4.new_output("stream", text="7\n")]
    nbformat.write(ran, first[1])
    for name in ("01_a.ipynb", "02_b.ipynb"):
        nbformat.write(chapter("**Exercise 1.** Add 3 and 5."), nbdir / name)
    capsys.readouterr()
    again = runner.write_exercise_copies(out, notebooks_dir=nbdir)
    assert again == first
    said = capsys.readouterr().out
    assert f"Kept {first[0]}" in said and "02_b" not in said
    kept = first[0].read_text(encoding="utf-8")
    assert "my answer" in kept and "Add 3 and 4" in kept
    fresh = first[1].read_text(encoding="utf-8")
    assert "Add 3 and 5" in fresh and '"7\\n"' not in fresh
    first[0].unlink()  # deleted: a fresh copy again
    runner.write_exercise_copies(out, notebooks_dir=nbdir)
    assert "my answer" not in first[0].read_text(encoding="utf-8")
