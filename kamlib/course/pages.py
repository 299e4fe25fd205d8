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


_IMG = re.compile(r"<img\b[^>]*>", re.I)
_ALT = re.compile(r"\salt\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", re.I)
MEANINGLESS_ALT = {"", "figure", "image", "no description has been provided for this image"}
"""Alt texts that tell a reader nothing (nbconvert writes the last one itself)."""


def images_without_description(page: str) -> list[str]:
    """The ``<img>`` tags of ``page`` (first 80 characters each, ``src`` cut short) whose
    alt text is missing or says nothing (:data:`MEANINGLESS_ALT`)."""
    out = []
    for tag in _IMG.findall(page):
        m = _ALT.search(tag)
        alt = html_lib.unescape((m.group(1) or m.group(2) or "") if m else "")
        if alt.strip().lower() in MEANINGLESS_ALT:
            out.append(re.sub(r"base64,[^\"']*", "base64,…", tag)[:80])
    return out


def problems(page: str, name: str = "the page") -> list[str]:
    """What keeps ``page`` from being read offline, one sentence each: addresses it
    would load, formula source left visible, and images without a description (a
    reader who cannot see them learns nothing). ``[]`` when there is nothing."""
    out = [f"{name} loads {url} from outside" for url in external_loads(page)]
    out += [f"{name} has an image without a description (alt text): {tag}"
            for tag in images_without_description(page)]
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


IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def _plain(text: str) -> str:
    text = _MD_LINK.sub(r"\1", text)
    return re.sub(r"\s+", " ", re.sub(r"[*_`$]", "", text)).strip()


def describe_images(nb):
    """A copy of notebook ``nb`` in which every image output has a description (``alt``
    in its metadata, written into ``<img alt>`` by the ``kam_offline`` template).

    A figure shown by a chapter after :func:`kamlib.notebook.setup` carries its title
    and axes already (:mod:`kamlib.plots.alt_text`); an image without one (a notebook
    executed before, a picture made otherwise) is described by the heading of the
    section it is in: ``Figure in section “1. How concentrated is the business?”``."""
    import copy

    from kamlib.plots.alt_text import ALT_KEY

    node = copy.deepcopy(nb)
    heading = ""
    for cell in node.cells:
        if cell.cell_type == "markdown":
            found = _HEADING.findall(cell.source)
            if found:
                heading = _plain(found[-1])
            continue
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            for mime in IMAGE_TYPES:
                if mime not in data:
                    continue
                meta = output.setdefault("metadata", {}).setdefault(mime, {})
                if not str(meta.get(ALT_KEY, "")).strip():
                    meta[ALT_KEY] = (f"Figure in section “{heading}”" if heading
                                     else "Figure of this chapter")
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
        describe_images(hide_prose_code(node)), resources={"metadata": {"name": title}, "kam_nav": nav}
    )
    return mathml.render_math(body)


def markdown_html(text: str, *, title: str, nav: str = "") -> str:
    """A Markdown page (the glossary, the background) as an offline HTML page with the
    chapters' look: rendered by the same exporter, as a one-cell notebook."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(text)]
    return notebook_html(nb, title=title, nav=nav)
