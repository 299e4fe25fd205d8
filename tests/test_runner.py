"""kamlib.runner: learners' copies (solutions stripped) and running chapters in parallel."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from kamlib import runner


def _nb(*cells):
    nb = new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def _code(source, tags=(), outputs=None, count=None):
    c = new_code_cell(source, metadata={"tags": list(tags)} if tags else {})
    c.outputs = outputs or []
    c.execution_count = count
    return c


def _stream(text):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def _write(folder: Path, name: str, nb) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    nbformat.write(nb, path)
    return path


# ------------------------------------------------------------------ learners' copies


def _chapter():
    """A small executed chapter: title, parameters, a lesson cell, two exercises."""
    return _nb(
        new_markdown_cell("# 01 A chapter\n\nWhat you will learn: adding."),
        _code('data_source = "sample"\nsettings_file = "../kam_settings.toml"\n'
              "analysis_year = 2025", tags=["parameters"], count=1),
        _code("# NBVAL_CHECK_OUTPUT\nprint(2 + 2)", outputs=[_stream("4\n")], count=2),
        new_markdown_cell("## Exercises\n\n**Exercise 1.** Add three and four."),
        _code("answer = 3 + 4\nprint(answer)", tags=["solution"],
              outputs=[_stream("7\n")], count=3),
        new_markdown_cell("**Exercise 2.** Why is 7 the answer?"),
        new_markdown_cell("Because counting on from three gives seven.",
                          metadata={"tags": ["solution"]}),
        _code("print('still here')", tags=["solution", "keep-me"], count=4),
    )


def test_exercise_copy_removes_solutions_keeps_prompts_clears_outputs(tmp_path):
    nb = _chapter()
    out = runner.exercise_copy(nb, tmp_path / "notebooks", tmp_path / "build" / "exercises")

    sources = [c.source for c in out.cells]
    # 8 cells + the learner's-copy note under the title
    assert len(out.cells) == 9
    assert out.cells[1].id == "learners-copy-note"
    assert "Learner's copy" in out.cells[1].source
    # solutions gone, replaced in place by empty answer cells of the same kind
    assert not any("3 + 4" in s or "counting on" in s or "still here" in s for s in sources)
    assert out.cells[5].cell_type == "code" and out.cells[5].source == "# Your answer here"
    assert out.cells[7].cell_type == "markdown"
    assert out.cells[7].source == "*Your answer here.*"
    assert out.cells[8].source == "# Your answer here"
    assert out.cells[8].metadata["tags"] == ["keep-me"]  # other tags are kept
    assert all("solution" not in c.metadata.get("tags", []) for c in out.cells)
    # prompts and lesson cells kept word for word
    assert out.cells[4].source == "## Exercises\n\n**Exercise 1.** Add three and four."
    assert out.cells[6].source == "**Exercise 2.** Why is 7 the answer?"
    assert out.cells[3].source == "# NBVAL_CHECK_OUTPUT\nprint(2 + 2)"
    # outputs and counts cleared everywhere
    for c in out.cells:
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None
    # the settings file still points at <root>/kam_settings.toml, now from build/exercises
    assert 'settings_file = "../../kam_settings.toml"' in out.cells[2].source
    assert 'data_source = "sample"' in out.cells[2].source
    # copies written outside the project get the absolute path
    elsewhere = runner.exercise_copy(nb, tmp_path / "project" / "notebooks", tmp_path / "x")
    expected = (tmp_path / "project" / "kam_settings.toml").as_posix()
    assert f'settings_file = "{expected}"' in elsewhere.cells[2].source
    # the source notebook is untouched
    assert nb.cells[4].source == "answer = 3 + 4\nprint(answer)"
    assert nb.cells[4].outputs
    nbformat.validate(out)


def test_exercise_copy_drops_papermill_traces():
    nb = _chapter()
    nb.metadata["papermill"] = {"duration": 1.0}
    nb.cells[2].metadata["papermill"] = {"duration": 0.1}
    nb.cells.insert(2, _code('data_source = "/elsewhere"', tags=["injected-parameters"]))
    out = runner.exercise_copy(nb)
    assert "papermill" not in out.metadata
    assert all("papermill" not in c.metadata for c in out.cells)
    assert not any("/elsewhere" in c.source for c in out.cells)
    # without folders, the settings path is left as it is
    assert 'settings_file = "../kam_settings.toml"' in out.cells[2].source


def test_write_exercise_copies_only_chapters(tmp_path):
    nbdir = tmp_path / "notebooks"
    _write(nbdir, "01_a_chapter.ipynb", _chapter())
    _write(nbdir, "scratch.ipynb", _chapter())  # not a chapter: no NN_ prefix
    _write(nbdir / "templates", "02_template.ipynb", _chapter())  # templates excluded
    out_dir = tmp_path / "ex"
    written = runner.write_exercise_copies(out_dir, notebooks_dir=nbdir)
    assert written == [out_dir / "01_a_chapter.ipynb"]
    text = written[0].read_text(encoding="utf-8")
    assert "3 + 4" not in text
    assert "Exercise 1." in text
    copy_nb = nbformat.read(written[0], as_version=4)
    assert copy_nb.cells[5].source == "# Your answer here"
    # twice gives the same bytes (no random cell ids, no timestamps)
    runner.write_exercise_copies(out_dir, notebooks_dir=nbdir)
    assert written[0].read_text(encoding="utf-8") == text


def test_refuses_to_write_over_the_chapters(tmp_path):
    _write(tmp_path, "01_a_chapter.ipynb", _chapter())
    with pytest.raises(ValueError, match="overwrite the chapters"):
        runner.write_exercise_copies(tmp_path, notebooks_dir=tmp_path)
    with pytest.raises(ValueError, match="overwrite the chapters"):
        runner.run_chapters(tmp_path, notebooks_dir=tmp_path)


# ------------------------------------------------------------------------ running


def test_data_parameter(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert runner._data_parameter("sample") == {}
    (tmp_path / "exports" / "acme").mkdir(parents=True)
    # a relative path is the user's, resolved from where they are, not the notebooks
    assert runner._data_parameter("exports/acme") == {
        "data_source": str(tmp_path / "exports" / "acme")
    }
    with pytest.raises(FileNotFoundError, match="no data at .*exports.acme2.*kam data check"):
        runner._data_parameter("exports/acme2")


@pytest.mark.notebooks
def test_run_chapters_reports_the_failing_chapter_and_runs_the_others(tmp_path, monkeypatch):
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    (nbdir / "input.txt").write_text("read from the notebooks folder", encoding="utf-8")
    _write(nbdir, "01_works.ipynb", _nb(
        new_markdown_cell("# Works"),
        _code('data_source = "sample"', tags=["parameters"]),
        _code("import json, matplotlib\n"
              "print(json.dumps({'text': open('input.txt').read(),\n"
              "                  'data_source': data_source,\n"
              "                  'backend': matplotlib.get_backend()}))"),
    ))
    _write(nbdir, "02_breaks.ipynb", _nb(
        new_markdown_cell("# Breaks"),
        _code('data_source = "sample"', tags=["parameters"]),
        _code("x = 1"),
        _code("y = x + 1\nraise ValueError('planted failure')"),
        _code("print('never reached')"),
    ))
    # the Makefile exports MPLBACKEND=Agg; the chapters must still get inline figures
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_export").mkdir()
    out = tmp_path / "out"
    results = runner.run_chapters(out, workers=2, data_source="my_export",
                                  notebooks_dir=nbdir, html=True)

    assert [r.name for r in results] == ["01_works.ipynb", "02_breaks.ipynb"]
    works, breaks = results
    assert works.ok and works.error == ""
    assert not breaks.ok
    # the message names the notebook, the cell and the error
    assert "02_breaks.ipynb" in breaks.error
    assert "y = x + 1" in breaks.error
    assert "ValueError: planted failure" in breaks.error
    # executed: parameters In [1], injected parameters In [2], x = 1 In [3]
    assert "In [4]" in breaks.error
    # both executed notebooks are kept
    assert works.output_path == (out / "01_works.ipynb").resolve()
    assert breaks.output_path.exists() and str(breaks.output_path) in breaks.error
    failed_nb = nbformat.read(breaks.output_path, as_version=4)
    errors = [o for c in failed_nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert [e.evalue for e in errors] == ["planted failure"]

    ran = nbformat.read(works.output_path, as_version=4)
    printed = json.loads(ran.cells[-1].outputs[0].text)
    assert printed["text"] == "read from the notebooks folder"  # cwd = notebooks folder
    assert printed["data_source"] == str(tmp_path / "my_export")  # resolved, passed
    assert "inline" in printed["backend"]
    assert works.html_path is not None and works.html_path.suffix == ".html"
    assert "read from the notebooks folder" in works.html_path.read_text(encoding="utf-8")
    assert works.seconds > 0


@pytest.mark.notebooks
def test_default_data_source_is_not_passed(tmp_path):
    nbdir = tmp_path / "nb"
    _write(nbdir, "00_only.ipynb", _nb(
        _code('data_source = "sample"', tags=["parameters"]),
        _code("print(data_source)"),
    ))
    [r] = runner.run_chapters(tmp_path / "out", workers=2, notebooks_dir=nbdir, html=False)
    assert r.ok, r.error
    assert r.html_path is None
    ran = nbformat.read(r.output_path, as_version=4)
    assert not any("injected-parameters" in c.metadata.get("tags", []) for c in ran.cells)
    assert ran.cells[-1].outputs[0].text == "sample\n"


@pytest.mark.notebooks
def test_a_cell_over_the_time_limit_fails_clearly(tmp_path):
    nb_path = _write(tmp_path / "nb", "03_slow.ipynb", _nb(
        _code('data_source = "sample"', tags=["parameters"]),
        _code("import time\ntime.sleep(60)"),
    ))
    stale = tmp_path / "out" / "03_slow.ipynb"
    stale.parent.mkdir()
    stale.write_text("an old run", encoding="utf-8")
    r = runner.execute_notebook(nb_path, stale, timeout=2)
    assert not r.ok
    assert r.error.startswith("03_slow.ipynb: ")
    assert "timed out" in r.error and "after 2 seconds" in r.error
    assert "The cell starts `import time`" in r.error
    assert r.seconds < 30
    # what is at the output path now is this run's notebook, not the stale file
    ran = nbformat.read(stale, as_version=4)
    assert ran.cells[1].source == "import time\ntime.sleep(60)"


def test_widgets_show_a_note_when_headless(monkeypatch):
    """Headless runs (papermill, nbval, kam chapters) never build widgets: they cannot
    render there and can stall the notebook client."""
    from kamlib import widgets
    from kamlib.widgets import selection as selection_widgets

    monkeypatch.setenv("KAM_HEADLESS", "1")
    w = selection_widgets.lifetime_value_explorer()
    assert isinstance(w, widgets.Placeholder)
    assert "make lab" in w._repr_markdown_()
    monkeypatch.setenv("KAM_HEADLESS", "0")
    assert not isinstance(selection_widgets.lifetime_value_explorer(), widgets.Placeholder)


def test_execute_notebook_leaves_the_callers_environment(tmp_path, monkeypatch):
    import os

    monkeypatch.delenv("KAM_HEADLESS", raising=False)
    nb = tmp_path / "01_x.ipynb"
    nbformat = pytest.importorskip("nbformat")
    cell = nbformat.v4.new_code_cell("import os\nprint(os.environ.get('KAM_HEADLESS'))")
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), nb)
    result = runner.execute_notebook(nb, tmp_path / "out.ipynb")
    assert result.ok, result.error
    out = nbformat.read(tmp_path / "out.ipynb", 4).cells[0].outputs[0]["text"]
    assert out.strip() == "1"          # the kernel runs headless
    assert "KAM_HEADLESS" not in os.environ  # this process is as before


def test_learner_copy_writes_calendars_where_the_chapter_does(tmp_path):
    """ch04's ``calendar_dir = "../build/calendars"`` from build/exercises is ../calendars
    (build/calendars), not build/build/calendars; data_source and other values stay."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 04 · Plan"),
        _code('data_source = "sample"\nsettings_file = "../kam_settings.toml"\n'
              'calendar_dir = "../build/calendars"  # where the .ics files go\n'
              'account_manager = ""\nanalysis_year = 2025', tags=["parameters"]),
    ]
    root = tmp_path / "project"
    out = runner.exercise_copy(nb, root / "notebooks", root / "build" / "exercises")
    src = out.cells[2].source
    assert 'calendar_dir = "../calendars"  # where the .ics files go' in src
    assert 'settings_file = "../../kam_settings.toml"' in src
    assert 'data_source = "sample"' in src and 'account_manager = ""' in src
    # both point at the same places as the chapter's own values
    ex = root / "build" / "exercises"
    assert (ex / "../calendars").resolve() == (root / "notebooks" / "../build/calendars").resolve()
    # copies taken outside the project read its settings file but write next to themselves
    elsewhere = runner.exercise_copy(nb, root / "notebooks", tmp_path / "elsewhere")
    assert 'calendar_dir = "../calendars"' in elsewhere.cells[2].source
    assert f'settings_file = "{(root / "kam_settings.toml").as_posix()}"' in elsewhere.cells[2].source


@pytest.mark.notebooks
def test_a_learners_copy_runs_where_it_is_written(tmp_path):
    """The tour's learner copy, written into a folder inside the project's build/ (as
    `make exercises` does), runs from there with its solutions blanked."""
    out = runner.PROJECT_ROOT / "build" / "test-exercises" / tmp_path.name
    try:
        (copy,) = [p for p in runner.write_exercise_copies(out) if p.name.startswith("00_")]
        nb = nbformat.read(copy, as_version=4)
        assert not any("solution" in c.metadata.get("tags", []) for c in nb.cells)
        result = runner.execute_notebook(copy, tmp_path / "ran.ipynb")
        assert result.ok, result.error
    finally:
        import shutil

        shutil.rmtree(out, ignore_errors=True)
        if out.parent.is_dir() and not any(out.parent.iterdir()):
            out.parent.rmdir()


@pytest.mark.notebooks
def test_the_chapters_of_a_run_share_one_validated_load(tmp_path, monkeypatch):
    import shutil

    from kamlib import data
    from kamlib.data import cache

    monkeypatch.delenv(cache.ENV, raising=False)
    export = tmp_path / "export"
    shutil.copytree(data.SAMPLE_DIR, export)
    nbdir = tmp_path / "nb"
    for name in ("01_a.ipynb", "02_b.ipynb"):
        _write(nbdir, name, _nb(
            _code('data_source = "sample"', tags=["parameters"]),
            _code("import json, os\nfrom kamlib import data\nfrom kamlib.data import cache\n"
                  "kd = data.load(data_source)\n"
                  "print(json.dumps({'shared': cache.cached_load(data_source) is not None,\n"
                  "                  'lines': len(kd.orders),\n"
                  "                  'checked': data.check(data_source).ok}))"),
        ))
    out = tmp_path / "out"
    results = runner.run_chapters(out, workers=2, data_source=export, notebooks_dir=nbdir,
                                  html=False)
    expected = {"shared": True, "lines": len(data.load(export).orders), "checked": True}
    for r in results:
        assert r.ok, r.error
        ran = nbformat.read(r.output_path, as_version=4)
        assert json.loads(ran.cells[-1].outputs[0].text) == expected
    # nothing of the data is left behind: only the executed chapters
    assert sorted(p.name for p in out.iterdir()) == ["01_a.ipynb", "02_b.ipynb"]
    assert cache.ENV not in __import__("os").environ
    # without sharing, each chapter loads the data itself
    [r] = runner.run_chapters(out, data_source=export, notebooks_dir=nbdir, html=False,
                              share_data=False, only=["01"])
    ran = nbformat.read(r.output_path, as_version=4)
    assert json.loads(ran.cells[-1].outputs[0].text) == {**expected, "shared": False}
