"""The chapters' prose cannot contradict their output (chapters 00-02; issue 16, point 1).

Every figure of the data that a chapter's text quotes is computed at run time
(``kamlib.course.prose`` formats it into Markdown the chapter *shows*), so the Markdown
cells quote only numbers that are rules, settings or worked examples of the method. The
allow-lists below name those numbers, chapter by chapter; a figure of the data pasted into
a Markdown cell ("82 %", "45 loss makers") fails here, naming the cell and the line.
"""

from pathlib import Path

import nbformat
import pytest

from kamlib import exercises
from kamlib.course import prose

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

# Numbers that are the method, not the data: rules of thumb and their sources' figures,
# settings' defaults the text explains, pack sizes of the catalogue, worked examples.
ALLOWED = {
    "00_tour_of_the_data": {
        "20",  # "About 20 minutes"
        "25", "500",  # pack sizes (kg) of the niacin catalogue
        "1", "5",  # the 1-5 assessment scale
        "1,000", "950", "9.00", "8,550",  # the worked order line of the self-check
    },
    "01_select_key_customers": {
        "90",  # "About 90 minutes"
        "80", "20", "20%", "0", "1", "2", "3", "4", "5",  # 80/20, scales 0-1 and 1-5, tiny examples
        "1%", "4%", "15%", "80%",  # the pyramid tiers (Curry)
        "2%", "10%", "50%", "5%", "0.05",  # the folklore "2 % up: +10 % revenue, +50 % profit"; exercise 7
        "30%", "25", "25%",  # the boundary example; exercise 2
        "100%", "150", "300%",  # the whale curve above 100 %, the literature's 150-300 %
        "0.5", "100", "60",  # membership example, 0-100 axes, the min_score default
        "240", "360",  # exercise 3: minutes of a visit
        "50,000", "85%", "8%", "0.85", "0.23", "184,783", "1.08", "234,783",  # exercise 5
        "-3", "-1", "10", "40", "0.25",  # exercise 1's Gini by hand
        "19.8%", "225,000", "275,000", "0.9", "0.1",  # self-check questions
    },
    "02_segment_by_sensitivity": {
        "45",  # "About 45 minutes"
        "5%", "14%", "-14", "5", "-2.8",  # the worked elasticity example
        "1%", "8",  # settings: elasticity_min_price_variation, elasticity_min_points
        "90", "-0.30", "30%",  # setting bad_delivery_window_days; the worked volume change
        "1.4826", "3", "0", "1.2533",  # the robust z-score constants, the clip at 3
        "0.4", "1", "0.5", "1,000",  # stand_out default, confidence scale, calibration companies
        "85%",  # the playbook's target accuracy
        "4",  # k = 4 clusters; n - 4 - 1
        "0.6", "0.25",  # exercise 6's confidence bar; the form of exercise 2's answer
        "10%", "8%", "2.1", "-0.3",  # self-check questions
    },
}
CHAPTERS = sorted(ALLOWED)


def test_literal_numbers_skips_what_is_not_a_figure():
    text = ("## 3. The cut\n1. In 2025 the top 20 % give 82 %; see chapter 01, section 4 and "
            "exercise 3.\n`x = 45` and $x_2 = 0.78$ and [a](../b/02_c.ipynb#x9) −3.3 % of "
            "1,234 customers\n$$G = 2$$")
    assert prose.literal_numbers(text) == ["20%", "82%", "-3.3%", "1,234"]


def test_formatters_known_answers():
    assert prose.pct(0.153) == "15%"
    assert prose.pct(0.004) == "0.4%"
    assert prose.pct(0) == "0%" and prose.pct(float("nan")) == "n/a"
    assert prose.signed_pct(-0.033) == "−3.3%"
    assert prose.count(1, "customer") == "1 customer"
    assert prose.count(1234, "customer") == "1,234 customers"
    assert prose.number(0.781, 2) == "0.78"
    assert prose.number(-0.001, 2) == "0.00"
    assert prose.names(["a", "b", "c"]) == "a, b and c"
    assert prose.names(list("abcdefg"), limit=5) == "a, b, c, d, e and 2 more"
    assert prose.names([]) == "none"
    assert prose.trend(-0.033) == "fell" and prose.trend(0.2) == "rose"
    assert prose.trend(0.005) == "stayed about the same"
    assert prose.more_less(3, 2) == "more" and prose.more_less(1, 2) == "less"
    assert prose.times(30, 10) == "3.0 times" and prose.times(1, 0) == "n/a"


def test_say_is_markdown():
    shown = prose.say("The top fifth make", f"**{prose.pct(1.87)}**", "of profit.")
    assert shown._repr_markdown_() == "The top fifth make **187%** of profit."


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_markdown_cells_quote_no_figure_of_the_data(chapter):
    found = prose.chapter_literals(NOTEBOOKS / f"{chapter}.ipynb", ALLOWED[chapter])
    assert not found, (
        f"{chapter}: numbers in Markdown cells that are not rules or settings; compute them "
        "with kamlib.course.prose in a code cell instead (or add a rule's number to ALLOWED): "
        + "; ".join(f"cell {i}: {tok!r} in {line!r}" for i, tok, line in found))


def test_a_pasted_figure_is_caught(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("The Gini is 0.78 and 45 customers lose money.\n"),
                nbformat.v4.new_markdown_cell("## Sources\n- Gini (1912), pp. 1-158.")]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    assert [t for _, t, _ in prose.chapter_literals(path)] == ["0.78", "45"]


def _cells(chapter):
    return nbformat.read(NOTEBOOKS / f"{chapter}.ipynb", as_version=4).cells


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_model_answers_are_solution_cells(chapter):
    """A model answer is in a cell tagged ``solution`` (so the learner's copy drops it)."""
    for i, cell in enumerate(_cells(chapter)):
        if "Model answer" in cell.source:
            assert "solution" in cell.metadata.get("tags", []), f"{chapter} cell {i}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_exercise_has_a_model_answer_and_checks_exist(chapter):
    cells = _cells(chapter)
    number = chapter[:2]
    asked = [c for c in cells if c.cell_type == "markdown" and "**Exercise " in c.source]
    solutions = [c for c in cells if "solution" in c.metadata.get("tags", [])]
    assert asked and len(solutions) >= len(asked)
    answered = sum("Model answer" in c.source for c in solutions)
    assert answered >= len(asked), f"{chapter}: {answered} model answers for {len(asked)} exercises"
    checked = {line.split('"')[1] for c in cells if c.cell_type == "code"
               for line in c.source.splitlines() if "exercises.check(\"" in line}
    assert checked, f"{chapter}: no exercise check"
    for ex_id in checked:
        assert ex_id.startswith(number) and ex_id in exercises.EXERCISES


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_checks_in_the_chapter_say_right(chapter):
    """The executed chapter's own check cells passed: its model answers are right."""
    for i, cell in enumerate(_cells(chapter)):
        if cell.cell_type == "code" and "exercises.check(\"" in cell.source:
            shown = " ".join(o.get("data", {}).get("text/markdown", "") + o.get("text", "")
                             for o in cell.get("outputs", []))
            assert "right" in shown and "not yet" not in shown, f"{chapter} cell {i}: {shown!r}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_course_frame(chapter):
    text = "\n".join(c.source for c in _cells(chapter) if c.cell_type == "markdown")
    assert "minutes" in text.split("##")[0] or "minutes" in text[:3000]
    assert "be able to do" in text and "You need" in text
    assert "## Sources" in text and "**Next:**" in text
    assert "glossary.md#" in text
    assert "primer" not in text.lower()


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem)
def test_every_chapter_keeps_its_model_answers_out_of_the_learners_copy(path):
    """All chapters (05 included, whose prose is not in ALLOWED): a model answer sits in a
    ``solution`` cell, so ``kam exercises`` drops it."""
    cells = nbformat.read(path, as_version=4).cells
    answers = [i for i, c in enumerate(cells) if "Model answer" in c.source]
    assert answers, f"{path.name} has no model answer"
    untagged = [i for i in answers if "solution" not in cells[i].metadata.get("tags", [])]
    assert untagged == [], f"{path.name}: cells {untagged} hold a model answer without the tag"
