"""The glossary (docs/glossary.md) and the helper that links chapters to it."""

from __future__ import annotations

import pytest

from kamlib import runner
from kamlib.course import glossary


def test_the_glossary_is_sound_and_every_term_is_taught_where_it_says():
    """Each term: one sentence, a unique anchor, a chapter that exists and uses it; each
    glossary link in a chapter names a term."""
    assert glossary.problems() == []
    terms = glossary.read()
    assert len(terms) >= 60
    chapters = {p.name for p in runner.chapter_paths()}
    for t in terms:
        assert t.target.startswith("../notebooks/") and t.target.split("/")[-1] in chapters


def test_link_gives_a_chapter_relative_markdown_link():
    assert glossary.link("ABC class") == "[ABC class](../docs/glossary.md#abc-class)"
    assert glossary.link("whale curve", "the whale curve") == (
        "[the whale curve](../docs/glossary.md#whale-curve)")
    with pytest.raises(KeyError, match="no term 'Whale curv'.*Did you mean 'Whale curve'"):
        glossary.link("Whale curv")


def test_mentions_ignores_case_hyphens_and_plurals():
    assert glossary.mentions("Loss maker", "the 41 loss-makers of section 4")
    assert glossary.mentions("ABC class", "ABC classes")
    assert not glossary.mentions("Tier", "a frontier")
    assert not glossary.mentions("Peak", "peaked")


def _write(tmp_path, entries, chapter_text="# 01 · Select\n\nThe ABC class of a customer."):
    import nbformat

    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(chapter_text)]
    nbformat.write(nb, nbdir / "01_select.ipynb")
    path = tmp_path / "glossary.md"
    path.write_text("# Glossary\n\n" + "\n".join(entries) + "\n")
    return path, nbdir


def test_problems_name_the_line_and_what_is_wrong(tmp_path):
    good = '- <a id="abc-class"></a>**ABC class**: A, B or C. *Chapter [01](../notebooks/01_select.ipynb)*'
    path, nbdir = _write(tmp_path, [
        good,
        good,  # twice
        '- <a id="whale"></a>**Whale curve**: Cumulative profit. Two sentences. *Chapter [01](../notebooks/01_select.ipynb)*',
        '- <a id="tier"></a>**Tier**: A level. *Chapter [02](../notebooks/02_segment.ipynb)*',
    ], chapter_text="# 01\n\nThe ABC class, see [tier](../docs/glossary.md#tiers).")
    found = glossary.problems(path, nbdir)
    assert "glossary.md, line 4 (ABC class): the term is in the glossary twice" in found
    assert "glossary.md, line 5 (Whale curve): the anchor should be 'whale-curve', not 'whale'" in found
    assert ("glossary.md, line 5 (Whale curve): the meaning should be one sentence ending "
            "with a full stop") in found
    assert "glossary.md, line 5 (Whale curve): chapter 01_select.ipynb never uses the term" in found
    assert "glossary.md, line 6 (Tier): its chapter ../notebooks/02_segment.ipynb does not exist" in found
    assert ("01_select.ipynb: links to glossary.md#tiers, which is no term of the glossary"
            in found)
    assert len(found) == 6


def test_a_malformed_line_is_refused_with_its_number(tmp_path):
    path, _ = _write(tmp_path, ["- **ABC class**: no anchor, no chapter."])
    with pytest.raises(glossary.GlossaryError, match="glossary.md, line 3: not a glossary entry"):
        glossary.read(path)


def test_first_mentions_say_where_a_link_would_go(tmp_path):
    path, nbdir = _write(tmp_path, [
        '- <a id="abc-class"></a>**ABC class**: A, B or C. *Chapter [01](../notebooks/01_select.ipynb)*',
        '- <a id="tier"></a>**Tier**: A level. *Chapter [01](../notebooks/01_select.ipynb)*',
    ])
    assert glossary.first_mentions(nbdir / "01_select.ipynb", path) == {"ABC class": 1}
