"""make site: the offline course site (kamlib.course.site)."""

from __future__ import annotations

import re

import nbformat
import pytest

from kamlib import runner
from kamlib.course import pages, site


def _project(tmp_path, *, glossary_link="../docs/glossary.md#otif"):
    """A tiny project: two chapters, a learning path, a glossary, a background."""
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "data").mkdir()
    (root / "kamlib").mkdir()
    (root / "kamlib" / "selection.py").write_text("x = 1\n")
    for name, title, text in (
        ("00_tour.ipynb", "00 · Tour", f"The [term]({glossary_link}); formula $$a_i \\le b$$. "
         "Next: [chapter 01](01_select.ipynb#Exercises). Data: [dictionary](../data/README.md)."),
        ("01_select.ipynb", "01 · Select", "## Exercises\n\nCode: [selection](../kamlib/selection.py); "
         "back to [the tour](00_tour.ipynb)."),
    ):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}\n\n{text}")]
        nbformat.write(nb, root / "notebooks" / name)
    (root / "notebooks" / "README.md").write_text(
        "# Learning path\n\n| chapter | question |\n|---|---|\n"
        "| [00](00_tour.ipynb) | What is in the data? |\n")
    (root / "docs" / "glossary.md").write_text(
        '# Glossary\n\n- <a id="otif"></a>**OTIF**: on time in full. *Chapter '
        '[00](../notebooks/00_tour.ipynb)*\n')
    (root / "docs" / "background.md").write_text("# Background\n\nSee the [glossary](glossary.md).\n")
    (root / "data" / "README.md").write_text("# Data dictionary\n")
    return root


def test_site_has_contents_chapters_docs_and_working_links(tmp_path):
    root = _project(tmp_path)
    out = tmp_path / "site"
    result = site.build(out, root=root)
    assert result.problems == []
    assert sorted(result.pages) == ["00_tour.html", "01_select.html", "background.html",
                                    "data-dictionary.html", "glossary.html", "index.html"]
    index = (out / "index.html").read_text()
    assert '<a href="00_tour.html">00 · Tour</a>' in index
    assert '<a href="glossary.html">Glossary</a>' in index
    assert "What is in the data?" in index  # the learning path is on the contents page
    tour = (out / "00_tour.html").read_text()
    assert 'href="glossary.html#otif"' in tour
    assert 'href="01_select.html#Exercises"' in tour
    assert 'href="data-dictionary.html"' in tour
    assert "<math" in tour and pages.problems(tour) == []
    # the link bar: contents, next chapter; the last chapter links back
    assert '<a href="01_select.html">01 · Select →</a>' in tour
    select = (out / "01_select.html").read_text()
    assert '<a href="00_tour.html">← 00 · Tour</a>' in select
    # a repository file that is not a page is copied and linked
    assert 'href="files/kamlib/selection.py"' in select
    assert (out / "files" / "kamlib" / "selection.py").read_text() == "x = 1\n"
    assert result.copied == ["kamlib/selection.py"]


def test_broken_links_and_anchors_are_reported(tmp_path):
    root = _project(tmp_path, glossary_link="../docs/glossary.md#no-such-term")
    nb = nbformat.read(root / "notebooks" / "01_select.ipynb", as_version=4)
    nb.cells[0].source += "\n\nSee [the review](05_review.ipynb)."
    nbformat.write(nb, root / "notebooks" / "01_select.ipynb")
    result = site.build(tmp_path / "site", root=root)
    assert any("00_tour.html" in p and "#no-such-term" in p and "glossary.html" in p
               for p in result.problems)
    assert any("01_select.html" in p and "05_review.ipynb" in p and "no file" in p
               for p in result.problems)
    assert len(result.problems) == 2


def test_refuses_to_build_over_the_sources(tmp_path):
    root = _project(tmp_path)
    with pytest.raises(ValueError, match="sources"):
        site.build(root / "notebooks", root=root)


def test_the_projects_site_builds_offline_with_working_links(tmp_path):
    """What `make site` does, on the committed chapters and docs: the CI check."""
    result = site.build(tmp_path / "site")
    assert result.problems == []
    names = set(result.pages)
    assert {"index.html", "glossary.html", "background.html"} <= names
    chapters = sorted(n for n in names if re.match(r"\d\d_", n))
    assert chapters == [p.with_suffix(".html").name for p in runner.chapter_paths()]
    for name in chapters:
        text = (tmp_path / "site" / name).read_text()
        assert "cdnjs" not in text and "unpkg" not in text


def test_a_chapter_the_learning_path_announces_is_shown_unlinked(tmp_path):
    root = _project(tmp_path)
    readme = root / "notebooks" / "README.md"
    readme.write_text(readme.read_text() + "| [05](05_review.ipynb) *(being written)* | Still key? |\n")
    result = site.build(tmp_path / "site", root=root)
    assert result.problems == []
    assert result.announced == ["notebooks/05_review.ipynb"]
    index = (tmp_path / "site" / "index.html").read_text()
    assert '<span class="kam-announced">05</span>' in index and "05_review" not in index
    # the same link in a chapter is a broken link, not an announcement
    nb = nbformat.read(root / "notebooks" / "01_select.ipynb", as_version=4)
    nb.cells[0].source += "\n\nNext: [05](05_review.ipynb)."
    nbformat.write(nb, root / "notebooks" / "01_select.ipynb")
    assert any("05_review.ipynb" in p for p in site.build(tmp_path / "site2", root=root).problems)
