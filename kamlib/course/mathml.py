"""Formulas without the network: the TeX of the chapters turned into MathML at build time.

    from kamlib.course import mathml
    page = mathml.render_math(page_html)      # $...$ and $$...$$ -> <math> elements
    mathml.raw_tex(page)                      # [] when no formula source is left visible

JupyterLab renders ``$...$`` with its own MathJax; an HTML copy of a chapter would need
MathJax from the internet, and offline every formula shows as ``$$G = \\frac{…}$$``.
Browsers render MathML natively (Firefox, Safari, Chrome and Edge since 2023), so the
copies and the site convert each formula once, when they are built, with
``latex2mathml`` (a pure-Python converter of the TeX subset the chapters use).

Only the text of the page is touched: tags, attributes, ``<script>``, ``<style>``,
``<pre>``, ``<code>`` and ``<textarea>`` (code and its output) are left as they are.
Display math is ``$$…$$``; inline math is ``$…$`` with no space just inside the dollars
and no digit just after the closing one (the rule pandoc uses, so "EUR 5 or $6" is text).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_SKIP_ELEMENTS = ("script", "style", "pre", "code", "textarea", "math")
_PROTECTED = re.compile(
    r"(<!--.*?-->|<(%s)\b[^>]*>.*?</\2\s*>|<[^>]*>)" % "|".join(_SKIP_ELEMENTS),
    re.S | re.I,
)
_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$\w])\$(?![\s$])((?:\\.|[^$\\]){1,400}?)(?<![\s\\])\$(?!\d)", re.S)
_RAW_TEX = re.compile(
    r"\$\$|\\(?:frac|sum|sqrt|text|mathrm|left|right|cdot|times|qquad|quad|le|ge|dots|"
    r"alpha|beta|gamma|delta|Delta|varepsilon|hat|lVert|rVert|underbrace|circ|tfrac)"
    r"(?![A-Za-z])|(?<![\w$])\$(?![\s$\d])[^$<>\n]{1,200}?(?<!\s)\$(?!\d)"
)


class MathError(ValueError):
    """A formula the converter could not read; the message quotes it."""


def tex_to_mathml(tex: str, display: bool = False) -> str:
    """One formula (TeX, without the dollars) as a MathML ``<math>`` element on one line.

    Raises :class:`MathError` quoting the formula when it cannot be converted.
    """
    import latex2mathml.converter

    source = " ".join(tex.split())
    try:
        out = latex2mathml.converter.convert(source, display="block" if display else "inline")
    except Exception as exc:  # noqa: BLE001 - the converter raises many kinds
        raise MathError(
            f"cannot convert the formula ${source}$ to MathML ({type(exc).__name__}: {exc}); "
            "simplify the TeX in the chapter (the converter reads standard LaTeX math)."
        ) from None
    # the TeX as annotation keeps the formula copyable; MathML renders without it
    annotation = html.escape(source, quote=False)
    out = out.replace("\n", "")
    if "<semantics>" not in out:
        body = out[out.index(">") + 1: out.rindex("</math>")]
        head = out[: out.index(">") + 1]
        out = (f"{head}<semantics><mrow>{body}</mrow>"
               f'<annotation encoding="application/x-tex">{annotation}</annotation>'
               "</semantics></math>")
    return out


def _convert_text(text: str) -> str:
    def display(m: re.Match) -> str:
        return tex_to_mathml(html.unescape(m.group(1)), display=True)

    def inline(m: re.Match) -> str:
        return tex_to_mathml(html.unescape(m.group(1)), display=False)

    text = _DISPLAY.sub(display, text)
    return _INLINE.sub(inline, text)


def render_math(page: str) -> str:
    """``page`` (HTML) with every ``$$…$$`` and ``$…$`` of its text replaced by MathML."""
    out = []
    pos = 0
    for m in _PROTECTED.finditer(page):
        out.append(_convert_text(page[pos:m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_convert_text(page[pos:]))
    return "".join(out)


class _VisibleText(HTMLParser):
    """The text a reader sees as prose: outside scripts, styles, code, MathML and the
    annotations that carry a formula's source."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP_ELEMENTS or tag == "annotation":
            self.skip += 1

    def handle_endtag(self, tag):
        if (tag in _SKIP_ELEMENTS or tag == "annotation") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    """The prose of an HTML page (code, scripts, styles and formulas left out)."""
    parser = _VisibleText()
    parser.feed(page)
    parser.close()
    return "".join(parser.parts)


def raw_tex(page: str) -> list[str]:
    """The pieces of formula source (``$$``, ``\\frac``, ``$x$``…) left in the visible
    text of ``page``, with a little context each; ``[]`` when there are none."""
    text = visible_text(page)
    found = []
    for m in _RAW_TEX.finditer(text):
        start, end = max(0, m.start() - 30), min(len(text), m.end() + 30)
        found.append(" ".join(text[start:end].split()))
    return found
