"""HTML pages that open offline: executed notebooks and Markdown pages.

    from kamlib.course import pages
    html = pages.notebook_html(nb_path)        # a chapter's HTML copy
    pages.problems(html)                       # [] when it loads nothing and shows no TeX

A page is *offline* when it loads nothing from another machine: no ``<script src>``,
stylesheet, image, frame or font from the internet (links a reader may click are fine),
and its formulas are MathML (:mod:`kamlib.course.mathml`), not TeX waiting for MathJax.
nbconvert's JupyterLab template would load require.js, MathJax, Mermaid and the widget
manager from CDNs; the ``kam_offline`` template (``kamlib/course/templates``) keeps its
look and drops them. Figures are embedded in the notebook already.
"""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

from kamlib.course import mathml

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "kam_offline"

# An element that *loads* what its attribute names (an <a href> is a link, not a load).
_LOADING_ATTR = re.compile(
    r"<(script|img|link|iframe|frame|source|video|audio|embed|object|track|input|use|"
    r"image|feImage)\b[^>]*?\s(?:src|href|data|poster|srcset|xlink:href)\s*=\s*"
    r"[\"']?\s*((?:https?:)?//[^\"'\s>]+)",
    re.I,
)
_CSS_URL = re.compile(r"url\(\s*[\"']?\s*((?:https?:)?//[^\"')\s]+)", re.I)
_CSS_IMPORT = re.compile(r"@import\s+(?:url\()?\s*[\"']\s*((?:https?:)?//[^\"']+)", re.I)
# In a script, any string holding an address counts: scripts build <script src> at run
# time (nbconvert's widget loader does), so a quoted URL is a load unless proven otherwise.
_JS_URL = re.compile(r"[\"'`]((?:https?:)?//[\w.-]+[^\"'`\s]*)")
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.S | re.I)
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.S | re.I)


def external_loads(page: str) -> list[str]:
    """The addresses outside the page that a browser would load to show it (sorted,
    without repeats); ``[]`` for a page that opens offline."""
    found = {m.group(2) for m in _LOADING_ATTR.finditer(page)}
    for css in _STYLE.findall(page):
        css = _CSS_COMMENT.sub("", css)
        found.update(m.group(1) for m in _CSS_URL.finditer(css))
        found.update(m.group(1) for m in _CSS_IMPORT.finditer(css))
    for m in re.finditer(r"\sstyle\s*=\s*\"([^\"]*)\"", page, re.I):
        found.update(u.group(1) for u in _CSS_URL.finditer(html_lib.unescape(m.group(1))))
    for js in _SCRIPT.findall(page):
        found.update(m.group(1) for m in _JS_URL.finditer(js))
    return sorted(found)


def problems(page: str, name: str = "the page") -> list[str]:
    """What keeps ``page`` from being read offline, one sentence each: addresses it
    would load, and formula source left visible. ``[]`` when there is nothing."""
    out = [f"{name} loads {url} from outside" for url in external_loads(page)]
    out += [f"{name} shows formula source instead of a formula: …{t}…"
            for t in mathml.raw_tex(page)]
    return out


#: Code cells whose only job is to write a sentence from computed values
#: (:func:`kamlib.course.prose.say`): the page shows the sentence, not the code.
PROSE_CALL = "prose.say("
HIDE_INPUT_TAG = "remove-input"


def _exporter():
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_input_tags = {HIDE_INPUT_TAG}
    return HTMLExporter(
        config=c,
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
    )


def hide_prose_code(nb):
    """A copy of notebook ``nb`` whose prose cells (code starting with ``prose.say(``)
    carry the ``remove-input`` tag, so the rendered page shows their sentence only."""
    import copy

    node = copy.deepcopy(nb)
    for cell in node.cells:
        if cell.cell_type == "code" and cell.source.lstrip().startswith(PROSE_CALL):
            tags = list(cell.get("metadata", {}).get("tags", []) or [])
            if HIDE_INPUT_TAG not in tags:
                cell.setdefault("metadata", {})["tags"] = tags + [HIDE_INPUT_TAG]
    return node


def notebook_html(nb, *, title: str | None = None, nav: str = "") -> str:
    """An executed notebook (a path or an nbformat node) as one offline HTML page.

    ``title``: the page title (default: the file name without ``.ipynb``); ``nav``: HTML
    put at the top of the page (the site's table of contents link bar). Formulas are
    converted to MathML (:func:`kamlib.course.mathml.render_math`).
    """
    import nbformat

    if isinstance(nb, (str, Path)):
        path = Path(nb)
        node = nbformat.read(path, as_version=4)
        title = title or path.stem
    else:
        node = nb
        title = title or "notebook"
    body, _ = _exporter().from_notebook_node(
        hide_prose_code(node), resources={"metadata": {"name": title}, "kam_nav": nav}
    )
    return mathml.render_math(body)


def markdown_html(text: str, *, title: str, nav: str = "") -> str:
    """A Markdown page (the glossary, the background) as an offline HTML page with the
    chapters' look: rendered by the same exporter, as a one-cell notebook."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(text)]
    return notebook_html(nb, title=title, nav=nav)
