"""Offline pages: formulas as MathML, nothing loaded from outside (kamlib.course)."""

from __future__ import annotations

import nbformat
import pytest

from kamlib.course import mathml, pages


def test_display_and_inline_math_become_mathml():
    page = ("<p>The Gini: $$G = \\frac{a}{b}$$ and the margin $m$ per year; "
            "x &lt; y in $x &lt; y$.</p>")
    out = mathml.render_math(page)
    assert out.count("<math") == 3
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">' in out
    assert "<mfrac><mrow><mi>a</mi></mrow><mrow><mi>b</mi></mrow></mfrac>" in out
    assert "<mo>&#x0003C;</mo>" in out  # the escaped "<" was read as "less than"
    assert "$" not in mathml.visible_text(out)
    assert mathml.raw_tex(out) == []


def test_text_that_only_looks_like_math_is_left_alone():
    page = "<p>It costs between $5 and $6 a bag: prices, not a formula.</p>"
    assert mathml.render_math(page) == page
    code = "<pre>print(f'${x}$')</pre><code>$a$</code><script>var s='$$x$$';</script>"
    assert mathml.render_math(code) == code
    attr = '<a title="$x$">link</a>'
    assert mathml.render_math(attr) == attr


def test_raw_tex_is_found_in_visible_text_only():
    assert mathml.raw_tex("<p>$$G = \\frac{1}{2}$$</p>")
    assert mathml.raw_tex("<p>the margin $m$ per year</p>")
    assert mathml.raw_tex("<p>rate \\frac{r}{d}</p>")
    assert mathml.raw_tex("<pre>$$x$$ \\frac</pre><p>EUR 5 or $6</p>") == []


def test_a_formula_the_converter_cannot_read_is_named():
    with pytest.raises(mathml.MathError, match=r"\$\\frac\{a\}\{\$"):
        mathml.tex_to_mathml("\\frac{a}{", display=False)


def test_external_loads_are_found():
    page = """<html><head>
    <script src="https://cdn.example.org/mathjax.js"></script>
    <link rel="stylesheet" href="//fonts.example.org/a.css">
    <style>/* see https://docs.example.org */ body { background: url("https://img.example.org/b.png"); }
    @import "https://css.example.org/c.css";</style>
    <script>var s = document.createElement('script'); s.src = 'https://unpkg.example.org/w.js';</script>
    </head><body><a href="https://example.org/read-more">a link is fine</a>
    <img src="data:image/png;base64,AAAA"><img src="figure.png">
    <math xmlns="http://www.w3.org/1998/Math/MathML"><mi>x</mi></math></body></html>"""
    assert pages.external_loads(page) == [
        "//fonts.example.org/a.css",
        "https://cdn.example.org/mathjax.js",
        "https://css.example.org/c.css",
        "https://img.example.org/b.png",
        "https://unpkg.example.org/w.js",
    ]
    assert pages.external_loads("<a href='https://x.org'>x</a><img src='a.png'>") == []


def _notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title\n\nThe rule: $$x_{(1)} \\le x_{(2)}$$ with $n$ customers."),
        nbformat.v4.new_code_cell("print('$$not math$$')"),
    ]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="$$not math$$\n")]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {},
                              "version_major": 2, "version_minor": 0}}
    return nb


def test_notebook_page_opens_offline_and_shows_formulas():
    page = pages.notebook_html(_notebook(), title="Test chapter")
    assert pages.problems(page) == []
    assert page.count("<math") == 2
    assert "<title>Test chapter</title>" in page
    assert "$$not math$$" in page  # code and its output are shown as written


def test_plain_nbconvert_lab_page_would_fail_the_check():
    from nbconvert import HTMLExporter

    page, _ = HTMLExporter(template_name="lab").from_notebook_node(_notebook())
    found = pages.problems(page)
    assert any("mathjax" in p.lower() for p in found)
    assert any("formula source" in p for p in found)


def test_markdown_page_with_nav():
    page = pages.markdown_html("# Glossary\n\n**ABC class**: ... $r$", title="Glossary",
                               nav='<a href="index.html">Contents</a>')
    assert '<nav class="kam-nav"><a href="index.html">Contents</a></nav>' in page
    assert "<strong>ABC class</strong>" in page
    assert pages.problems(page) == []


def test_prose_cells_show_their_sentence_not_their_code():
    """A cell that only writes a sentence (``prose.say(...)``) renders as the sentence;
    other code cells keep their code."""
    import re

    nb = nbformat.v4.new_notebook()
    said = nbformat.v4.new_code_cell("prose.say(f'The answer is **{1 + 1}**.')")
    said.outputs = [nbformat.v4.new_output(
        "display_data", data={"text/markdown": "The answer is **2**.", "text/plain": "x"})]
    code = nbformat.v4.new_code_cell("total = 41 + 1\nprint(total)")
    nb.cells = [said, code]
    text = re.sub("<[^>]+>", "", pages.notebook_html(nb, title="t"))
    assert "The answer is" in text and "prose.say" not in text
    assert "print" in text and "total" in text
    assert "remove-input" not in nb.cells[0].metadata.get("tags", [])  # input untouched
