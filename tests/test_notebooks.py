"""The notebooks follow the playbook's conventions, and every chapter runs.

Chapters are ``notebooks/NN_*.ipynb``; report templates are ``notebooks/templates/*.ipynb``.
Both are found by globbing, so a new chapter is checked as soon as it is added.

- exactly one ``parameters`` cell of plain literal assignments (papermill only warns
  when it is missing; the runner and the reports depend on it);
- chapters: the shape of a lesson (title and what you will learn, the setup call, at
  least one checked output, "What this means for the account manager", exercises with
  solutions, "Check your understanding");
- chapters are committed executed, top to bottom, without errors; templates without
  outputs; no notebook grows past 3 MB; no contact's personal details in outputs;
- every chapter executes under papermill with its defaults (one test per chapter, so
  ``pytest -n 2`` spreads them); the executed copies are kept in ``build/test-notebooks``.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import nbformat
import pytest

from kamlib import runner

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CHAPTERS = runner.chapter_paths(NOTEBOOKS)
TEMPLATES = sorted((NOTEBOOKS / "templates").glob("*.ipynb"))
EXECUTED = ROOT / "build" / "test-notebooks"
MAX_BYTES = 3 * 1024 * 1024

CHECK_MARK = "# NBVAL_CHECK_OUTPUT"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
MEMORY_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")


def _ids(paths):
    return [p.relative_to(NOTEBOOKS).as_posix() for p in paths]


chapters = pytest.mark.parametrize("path", CHAPTERS, ids=_ids(CHAPTERS))
templates = pytest.mark.parametrize("path", TEMPLATES, ids=_ids(TEMPLATES))
all_notebooks = pytest.mark.parametrize("path", CHAPTERS + TEMPLATES,
                                        ids=_ids(CHAPTERS + TEMPLATES))


@functools.lru_cache(maxsize=None)
def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def _headings(nb) -> list[tuple[int, str]]:
    """(cell index, heading text) of every markdown heading."""
    out = []
    for i, c in enumerate(nb.cells):
        if c.cell_type == "markdown":
            for line in c.source.splitlines():
                m = re.match(r"\s{0,3}#{1,6}\s+(.*)", line)
                if m:
                    out.append((i, m.group(1).strip()))
    return out


def _output_text(output) -> str:
    if output.output_type == "stream":
        return output.text
    if output.output_type == "error":
        return "\n".join(output.traceback)
    data = output.get("data", {})
    return "\n".join(v for k, v in data.items() if k.startswith("text/") and isinstance(v, str))


def _is_mark(line: str) -> bool:
    line = line.strip()
    return line.startswith("#") and line.lstrip("#").strip() == "NBVAL_CHECK_OUTPUT"


def _is_checked(cell) -> bool:
    """nbval's rule: a `# NBVAL_CHECK_OUTPUT` comment line anywhere, or the tag."""
    return "nbval-check-output" in _tags(cell) or any(
        _is_mark(ln) for ln in cell.source.splitlines()
    )


def _literal_assignments(source: str) -> dict:
    """Names → values of a parameters cell; AssertionError unless plain literals only."""
    tree = ast.parse(source)
    values = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            raise AssertionError(
                f"line {node.lineno}: `{ast.unparse(node)}` is not a plain assignment; "
                "the parameters cell holds only `name = literal` lines"
            )
        assert isinstance(target, ast.Name), f"line {node.lineno}: assign to a plain name"
        try:
            values[target.id] = ast.literal_eval(value)
        except ValueError:
            raise AssertionError(
                f"line {node.lineno}: `{ast.unparse(value)}` is not a literal (papermill "
                "replaces these values; computations belong in the next cells)"
            ) from None
    return values


# ------------------------------------------------------------------ found at all


def test_the_playbook_has_chapters():
    names = [p.name for p in CHAPTERS]
    assert "00_tour_of_the_data.ipynb" in names
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", n) for n in names), names


# ------------------------------------------------------------------ parameters


@all_notebooks
def test_exactly_one_parameters_cell_of_literals(path):
    nb = _read(path)
    tagged = [c for c in nb.cells if "parameters" in _tags(c)]
    assert len(tagged) == 1, (
        f"{path.name}: {len(tagged)} cells tagged 'parameters'; there must be exactly one"
    )
    cell = tagged[0]
    assert cell.cell_type == "code", f"{path.name}: the parameters cell must be a code cell"
    values = _literal_assignments(cell.source)
    assert values, f"{path.name}: the parameters cell assigns nothing"
    assert not any("injected-parameters" in _tags(c) for c in nb.cells), (
        f"{path.name}: holds papermill's injected parameters: re-execute it with its "
        "defaults before committing"
    )


@chapters
def test_chapter_defaults_run_on_the_bundled_data(path):
    cell = next(c for c in _read(path).cells if "parameters" in _tags(c))
    values = _literal_assignments(cell.source)
    assert values.get("data_source") == "sample", (
        f"{path.name}: the parameters cell must set data_source = \"sample\" "
        "(kam chapters --data passes another source through it)"
    )


# ------------------------------------------------------------------ shape of a lesson


@chapters
def test_opens_with_title_and_what_you_will_learn_then_setup(path):
    nb = _read(path)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.lstrip().startswith("# "), (
        f"{path.name}: the first cell is the title (a markdown '# ' heading)"
    )
    assert re.search(r"you('ll| will) learn", first.source, re.IGNORECASE), (
        f"{path.name}: the first cell says what you will learn"
    )
    assert any("notebook.setup()" in c.source for c in _code_cells(nb)), (
        f"{path.name}: no `notebook.setup()` call (seed, display and plot defaults)"
    )


@chapters
def test_has_checked_outputs_printed_as_plain_text(path):
    nb = _read(path)
    checked = [c for c in _code_cells(nb) if _is_checked(c)]
    assert checked, f"{path.name}: no cell starts with '{CHECK_MARK}'"
    for c in checked:
        code = [ln for ln in c.source.splitlines() if ln.strip() and not _is_mark(ln)]
        first = code[0].strip() if code else ""
        assert c.outputs, f"{path.name}: checked cell `{first}` has no output"
        for o in c.outputs:
            assert o.output_type == "stream", (
                f"{path.name}: checked cell `{first}` shows a {o.output_type}; checked "
                "cells print plain rounded text with print(...)"
            )
            assert not MEMORY_ADDRESS.search(o.text), (
                f"{path.name}: checked cell `{first}` prints a memory address"
            )


@chapters
def test_has_what_this_means_for_the_account_manager(path):
    headings = [h.lower() for _, h in _headings(_read(path))]
    assert any("what this means for the account manager" in h for h in headings), (
        f"{path.name}: no 'What this means for the account manager' section"
    )


@chapters
def test_has_exercises_with_solution_cells(path):
    nb = _read(path)
    starts = [i for i, h in _headings(nb) if h.lower().startswith("exercises")]
    assert starts, f"{path.name}: no 'Exercises' section"
    after = nb.cells[starts[0]:]
    solutions = [c for c in after if "solution" in _tags(c) and c.cell_type == "code"]
    assert solutions, f"{path.name}: the Exercises section has no code cell tagged 'solution'"
    for c in solutions:
        assert c.source.strip(), f"{path.name}: an empty solution cell"


@chapters
def test_ends_with_check_your_understanding(path):
    nb = _read(path)
    heads = [(i, h.lower()) for i, h in _headings(nb)]
    quiz = [i for i, h in heads if "check your understanding" in h]
    assert quiz, f"{path.name}: no 'Check your understanding' questionnaire"
    text = "\n".join(c.source for c in nb.cells[quiz[0]:] if c.cell_type == "markdown")
    assert "<details" in text, f"{path.name}: the answers go in a <details> block"


# ------------------------------------------------------------------ as committed


@chapters
def test_chapter_is_committed_executed_top_to_bottom(path):
    nb = _read(path)
    cells = [c for c in _code_cells(nb) if c.source.strip()]
    counts = [c.execution_count for c in cells]
    assert None not in counts, (
        f"{path.name}: {counts.count(None)} code cell(s) never executed; commit chapters "
        f"executed: `cd notebooks && ../.venv/bin/papermill {path.name} {path.name}`"
    )
    assert counts == list(range(1, len(cells) + 1)), (
        f"{path.name}: execution counts {counts[:12]}... are not 1, 2, 3, ...: re-run "
        "it top to bottom in a fresh kernel (papermill) before committing"
    )
    errors = [o for c in cells for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: committed with an error: {errors[0].ename}"
    assert not nb.metadata.get("papermill", {}).get("exception"), (
        f"{path.name}: papermill recorded a failure in this run"
    )


@templates
def test_template_is_committed_without_outputs(path):
    for c in _code_cells(_read(path)):
        assert c.outputs == [] and c.execution_count is None, (
            f"{path.name}: templates are committed without outputs (clear them: "
            "`jupyter nbconvert --clear-output --inplace`)"
        )


@all_notebooks
def test_notebook_is_small(path):
    size = path.stat().st_size
    assert size < MAX_BYTES, (
        f"{path.name} is {size / 1e6:.1f} MB; keep notebooks under 3 MB (fewer or "
        "smaller figures, shorter tables)"
    )


@functools.lru_cache(maxsize=1)
def _contact_details() -> frozenset[str]:
    """Names and e-mails of the sample's contacts (personal: never in outputs)."""
    import pandas as pd

    f = ROOT / "data" / "sample" / "contacts.csv"
    if not f.exists():
        return frozenset()
    df = pd.read_csv(f, dtype=str, keep_default_na=False)
    cols = [c for c in ("contact_name", "email") if c in df.columns]
    return frozenset(v for c in cols for v in df[c] if len(v) > 4)


@chapters
def test_no_personal_details_in_outputs(path):
    text = "\n".join(_output_text(o) for c in _code_cells(_read(path)) for o in c.outputs)
    m = EMAIL.search(text)
    assert m is None, f"{path.name}: an e-mail address in the outputs: {m.group(0)}"
    leaked = sorted(v for v in _contact_details() if v in text)
    assert not leaked, f"{path.name}: contacts' personal details in outputs: {leaked[:3]}"


# ------------------------------------------------------------------ runs


@pytest.mark.notebooks
@chapters
def test_chapter_executes_with_its_defaults(path):
    out = EXECUTED / path.name
    result = runner.execute_notebook(path, out)
    assert result.ok, result.error
    assert out.exists()
