"""kamlib.exercises: right or wrong, never the answer; answers from the data."""

from __future__ import annotations

import re

import nbformat
import pandas as pd
import pytest

from kamlib import exercises, runner


def _toy(monkeypatch, expected, kind, **kw):
    ex = exercises.Exercise("99.1", "a toy question", lambda c: expected, kind,
                            "look at the toy table", **kw)
    monkeypatch.setitem(exercises.EXERCISES, "99.1", ex)


@pytest.fixture(scope="module")
def sample():
    from kamlib import data, settings

    return data.load("sample"), settings.load(settings.DEFAULT_SETTINGS_FILE)


def test_numbers_counts_and_percentages(monkeypatch, sample):
    kd, s = sample
    _toy(monkeypatch, 0.2, "number", tolerance=0.001)
    assert exercises.check("99.1", 0.2004, data_source=kd, settings_file=s).ok
    assert not exercises.check("99.1", 0.25, data_source=kd, settings_file=s).ok
    pct = exercises.check("99.1", 20, data_source=kd, settings_file=s)
    assert pct.ok and "percentage" in pct.message
    assert exercises.check("99.1", "0.2", data_source=kd, settings_file=s).ok
    table = exercises.check("99.1", pd.Series([0.2]), data_source=kd, settings_file=s)
    assert not table.ok and "one number" in table.message
    _toy(monkeypatch, 28, "count")
    assert exercises.check("99.1", 28, data_source=kd, settings_file=s).ok
    assert exercises.check("99.1", 28.0, data_source=kd, settings_file=s).ok
    assert not exercises.check("99.1", 29, data_source=kd, settings_file=s).ok
    assert not exercises.check("99.1", True, data_source=kd, settings_file=s).ok


def test_words_ids_groups_and_parts(monkeypatch, sample):
    kd, s = sample
    _toy(monkeypatch, "Food & beverage", "word")
    assert exercises.check("99.1", "  food &  BEVERAGE ", data_source=kd, settings_file=s).ok
    assert not exercises.check("99.1", "pharma", data_source=kd, settings_file=s).ok
    _toy(monkeypatch, ["C0013", "C0026", "C0052"], "group")
    assert exercises.check("99.1", {"C0052", "C0013", "C0026"}, data_source=kd, settings_file=s).ok
    assert exercises.check("99.1", pd.Index(["C0026", "C0013", "C0052"]), data_source=kd,
                           settings_file=s).ok
    few = exercises.check("99.1", ["C0013"], data_source=kd, settings_file=s)
    assert not few.ok and "missing (1 given)" in few.message
    many = exercises.check("99.1", ["C0013", "C0026", "C0052", "C0001"], data_source=kd,
                           settings_file=s)
    assert "too many (4 given)" in many.message
    mixed = exercises.check("99.1", ["C0013", "C0001", "C0002"], data_source=kd, settings_file=s)
    assert "1 of your 3 are right" in mixed.message
    _toy(monkeypatch, {"accounts short": 2, "visits missing": 5}, "parts",
         parts=("accounts short", "visits missing"), part_kinds=("count", "count"))
    assert exercises.check("99.1", (2, 5), data_source=kd, settings_file=s).ok
    assert exercises.check("99.1", {"Accounts short": 2, "visits_missing": 5},
                           data_source=kd, settings_file=s).ok
    half = exercises.check("99.1", (2, 4), data_source=kd, settings_file=s)
    assert not half.ok and "not yet right: visits missing." in half.message
    assert "give 2 values" in exercises.check("99.1", (2,), data_source=kd, settings_file=s).message


def test_the_message_never_gives_the_answer_away(monkeypatch, sample):
    kd, s = sample
    _toy(monkeypatch, 4821, "count")
    r = exercises.check("99.1", 12, data_source=kd, settings_file=s)
    assert not r.ok and "4821" not in r.message and "4,821" not in r.message
    assert "Hint: look at the toy table" in r.message
    assert r._repr_markdown_().startswith("❌")
    assert exercises.check("99.1", 4821, data_source=kd, settings_file=s)._repr_markdown_() \
        .startswith("✅")
    # the real exercises: a wrong answer's message holds none of the expected values
    for eid in ("00.1", "00.3", "02.1", "04.4"):
        expected = exercises.EXERCISES[eid].expected(exercises._context(kd, s, 2025))
        msg = exercises.check(eid, "zzz" if isinstance(expected, str) else -1,
                              data_source=kd, settings_file=s, analysis_year=2025).message
        assert str(expected) not in msg


def test_unknown_exercise_lists_the_checkable_ones():
    with pytest.raises(KeyError, match=r"no check for exercise '07.9'.*00\.1, 00\.2"):
        exercises.check("07.9", 1)


def _solution_output(chapter_prefix: str, index: int) -> str:
    """The printed output of the index-th solution code cell (from 1) of a committed
    chapter (model answers in prose are solution cells too, in Markdown)."""
    path = next(p for p in runner.chapter_paths() if p.name.startswith(chapter_prefix))
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells
             if c.cell_type == "code" and "solution" in c.metadata.get("tags", [])]
    out = []
    for o in cells[index - 1].get("outputs", []):
        if o.get("output_type") == "stream":
            out.append(o["text"])
        elif "text/plain" in o.get("data", {}):
            out.append(o["data"]["text/plain"])
    return "".join(out)


# (exercise, chapter, solution cell, regex on its printed output, how to read the match)
AGREES_WITH_THE_CHAPTER = [
    ("00.1", "00", 1, r"but not in \d{4}: (\d+)", int),
    ("01.3", "01", 3, r"loss makers now: (\d+)", int),  # the chapter's solution code cells
    ("02.3", "02", 3, r"technology\s+(\d+)", int),
    ("04.4", "04", 4, r"^(P\d+) ", str),
    ("04.3", "04", 3, r"((?:^C\d{4}\s.*(?:\n|$))+)",  # every row of the table
     lambda v: re.findall(r"^(C\d{4})\s", v, re.M)),
]


@pytest.mark.parametrize("eid,chapter,cell,pattern,read", AGREES_WITH_THE_CHAPTER,
                         ids=[a[0] for a in AGREES_WITH_THE_CHAPTER])
def test_checks_agree_with_the_chapters_model_answers(eid, chapter, cell, pattern, read, sample):
    """The check computes the same answer as the chapter's executed solution (read from
    the committed notebook), and refuses a different one."""
    kd, s = sample
    m = re.search(pattern, _solution_output(chapter, cell), re.M)
    assert m, f"the model answer of {eid} is not in the chapter's output"
    answer = read(m.group(1))
    assert exercises.check(eid, answer, data_source=kd, settings_file=s, analysis_year=2025).ok
    wrong = answer + 1 if isinstance(answer, int) else ["C9999"] if isinstance(answer, list) else "P99"
    assert not exercises.check(eid, wrong, data_source=kd, settings_file=s, analysis_year=2025).ok


def test_every_registered_check_computes_on_the_sample(sample):
    kd, s = sample
    ctx = exercises._context(kd, s, 2025)
    for eid, ex in exercises.EXERCISES.items():
        value = ex.expected(ctx)
        assert value is not None, eid
        if ex.kind == "parts" and ex.parts:
            assert list(value) == list(ex.parts), eid
        assert exercises.check(eid, value, data_source=kd, settings_file=s,
                               analysis_year=2025).ok, eid


def test_answers_follow_the_data(tmp_path):
    """On other data the expected answers change with it (nothing is written down)."""
    from kamlib import data, generate, settings

    generate.write_dataset(generate.GeneratorConfig(n_customers=20, years=3, end_year=2019,
                                                    seed=1), tmp_path / "d")
    kd = data.load(tmp_path / "d")
    s = settings.load(settings.DEFAULT_SETTINGS_FILE)
    ctx = exercises._context(kd, s, None)
    assert ctx.year == 2019
    first = set(kd.orders.loc[kd.orders["year"] == 2017, "customer_id"])
    now = set(kd.orders.loc[kd.orders["year"] == 2019, "customer_id"])
    assert exercises.check("00.1", len(now - first), data_source=kd, settings_file=s).ok
    assert exercises.available()["exercise"].tolist() == list(exercises.EXERCISES)


def test_an_unanswered_exercise_is_not_answered_yet(monkeypatch):
    """The learner's copy starts with ``answer_1 = None``: the check says so, and computes
    nothing (no data is loaded for it)."""
    monkeypatch.setattr(exercises, "_context", lambda *a, **k: pytest.fail("computed"))
    for answer in (None, ...):
        r = exercises.check("00.1", answer)
        assert not r.ok and "Exercise 00.1: not answered yet" in r.message
        assert "Hint" not in r.message and r._repr_markdown_().startswith("❌")
    monkeypatch.undo()
    assert "not answered yet" not in exercises.check("00.3", 0).message  # an answer, wrong
