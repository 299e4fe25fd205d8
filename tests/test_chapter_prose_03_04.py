"""Chapters 03 and 04 quote no figure of the data in their Markdown cells.

Every sentence about the data is a code cell that shows Markdown built from the computed
values (``kamlib.course.prose.say``), so it cannot contradict the output when the data
change (another company's export, a regenerated sample). What is left in the Markdown
cells are the numbers of worked examples with given inputs (95 t at EUR 9.00/kg), of
formulas and rules (0 = basic … 4 = partnership), of the exercises' own questions, and of
standards (ISO 8601, RFC 5545). They are listed here per chapter: a number not on the
list fails the test, naming the cell and the sentence, so that a figure of the data typed
into the text is caught.
"""

from __future__ import annotations

from pathlib import Path

import pytest

prose = pytest.importorskip("kamlib.course.prose")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

# numbers of worked examples, formulas, settings shipped as defaults and exercise questions
ALLOWED = {
    "03_design_rebates_and_prices.ipynb": (
        # time estimate; the worked example (95 t at EUR 9.00/kg, tiers of the shipped settings)
        "60", "0.02", "2%", "1", "95", "9.00", "855,000", "85", "1%", "40", "80", "3%", "120",
        "17,100", "15", "400", "300", "6,300", "5%", "10", "0.05", "10,000", "4,500",
        # the marginal rebate rate, a typical margin, month arithmetic, an interim share
        "100%", "17%", "12", "0.8",
        # Nagle's break-even worked in the text
        "-0.02", "25%", "0.23", "8.7%", "15%", "15.4%", "-1", "20%",
        # pack sizes, validation rule, exercises and their model answers, the quiz
        "500", "25", "0", "118", "8.50", "2", "50", "100", "150", "18%", "-2.5", "0.10", "10%",
        "0.03", "0.15", "8%", "-6", "80%", "30%", "2.30", "2.85", "0.01", "0.97", "1.03",
        "0.18", "11.1%",
    ),
    "04_plan_service_and_visits.ipynb": (
        # time estimate, 12-month plan, rates per 100 orders
        "60", "12", "100",
        # the grid's steps (many 0, medium 1, few 2; 0 = basic ... 4 = partnership),
        # the class-B rule of chapter 01 (grown at least 10% in each of two years)
        "0", "1", "2", "4", "10%",
        # standards
        "8601", "5545", "10002",
        # the override example (+15%), exercises (4 visits, weeks 10 and 11, +8%), the quiz
        "15%", "10", "11", "8%", "20%", "90%",
    ),
}


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_markdown_quotes_no_figure_of_the_data(name):
    found = prose.chapter_literals(NOTEBOOKS / name, allow=ALLOWED[name])
    assert not found, (
        f"{name}: numbers in Markdown cells that are not worked examples, rules or "
        "questions — compute them in a code cell with kamlib.course.prose.say: "
        + "; ".join(f"cell {i}: {tok!r} in “{ctx.strip()[:90]}”" for i, tok, ctx in found)
    )


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_the_allowed_numbers_are_still_used(name):
    """An allowed number no chapter sentence uses any more is taken off the list (so the
    list does not grow into a loophole)."""
    used = {tok for _, tok, _ in prose.chapter_literals(NOTEBOOKS / name, allow=())}
    stale = sorted(set(ALLOWED[name]) - used)
    assert not stale, f"{name}: allowed but no longer in the text: {stale}"


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_model_answers_pass_their_own_checks(name):
    """Every solution cell that calls ``exercises.check`` shows *right* in the committed
    chapter: the model answer and the check compute the same thing."""
    import nbformat

    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code"
             and "solution" in c.metadata.get("tags", []) and "exercises.check(" in c.source]
    assert cells, f"{name}: no solution calls exercises.check"
    for c in cells:
        shown = " ".join(o.get("data", {}).get("text/markdown", "") for o in c.get("outputs", [])
                         if o.get("output_type") in ("execute_result", "display_data"))
        ids = [m for m in __import__("re").findall(r'exercises\.check\("(\d\d\.\d)"', c.source)]
        for eid in ids:
            assert f"Exercise {eid}: right" in shown, f"{name}: the model answer of {eid} does not pass its check"
