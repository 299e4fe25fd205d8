"""HTML for the account-plan reports: escaped text, tables, figures, and the document.

A report is one self-contained HTML file an account manager can open offline, read in
five minutes and forward:

- **no scripts at all**, no fonts, styles or images from the internet (nbconvert's
  default HTML pulls require.js and MathJax from a CDN and widgets from unpkg: neither
  belongs in a report). Figures are PNG images inlined as ``data:`` URIs; the style
  sheet is a small inline ``<style>``; fonts are the reader's system fonts.
  :func:`remote_resources` finds anything that would break this, and
  :func:`notebook_to_html` refuses to write such a document.
- **no code** and no raw DataFrame dumps: only the *outputs* of the executed template
  are rendered, and the template's cells display :class:`Html` blocks built here.
- **text from the data is escaped** (:func:`esc`): a customer called
  ``<b>Acme & Co</b>`` reads as exactly that, and cannot inject markup.

Building blocks (all return :class:`Html`, a ``str`` that is known to be safe markup):
:func:`esc`, :func:`tag`, :func:`table`, :func:`facts`, :func:`kpis`, :func:`badge`,
:func:`figure` (a Matplotlib figure as an inline PNG), :func:`section`. Jupyter shows an
:class:`Html` as HTML (``_repr_html_``), so a template cell is one call.
"""

from __future__ import annotations

import base64
import html as _html
import io
import re
from collections.abc import Iterable, Sequence

__all__ = [
    "Html", "esc", "tag", "table", "facts", "kpis", "badge", "figure", "section",
    "notebook_to_html", "remote_resources", "document", "STYLE", "HEADLINE_MIME",
    "SKIP_TAGS",
]

HEADLINE_MIME = "application/vnd.kam.headline+json"
"""Mimetype of the headline figures a report hands to the batch runner's index (never
rendered in the report)."""

SKIP_TAGS = frozenset({"parameters", "injected-parameters", "kam-reset", "remove-cell"})
"""Cells with one of these tags are left out of the document (outputs included)."""


class Html(str):
    """A string of markup that is safe to insert as is (already escaped/built here).

    Jupyter displays it as HTML; ``str`` operations on it return plain ``str``.
    """

    __slots__ = ()

    def _repr_html_(self) -> str:
        return str(self)

    def _repr_pretty_(self, p, cycle) -> None:  # short plain text, not the markup again
        p.text(f"(HTML block, {len(self):,} characters: shown as HTML)")

    def __add__(self, other) -> "Html":  # keep the type when joining blocks
        if isinstance(other, Html):
            return Html(str.__add__(self, other))
        return Html(str.__add__(self, esc(other)))


def esc(value) -> Html:
    """Escape text from the data for HTML (``&``, ``<``, ``>``, quotes). ``Html`` passes.

    ``None`` and NaN become an empty string.
    """
    if isinstance(value, Html):
        return value
    if value is None:
        return Html("")
    try:
        if value != value:  # NaN, pd.NA raises TypeError
            return Html("")
    except (TypeError, ValueError):
        return Html("")
    return Html(_html.escape(str(value), quote=True))


_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


def tag(name: str, content="", **attrs) -> Html:
    """``<name attr="...">content</name>``; content and attribute values are escaped
    unless they are :class:`Html`. ``class_`` gives ``class``. ``None`` attrs are left out.
    """
    if not _NAME.match(name):
        raise ValueError(f"not a tag name: {name!r}")
    parts = [name]
    for key, val in attrs.items():
        if val is None or val is False:
            continue
        key = key.rstrip("_").replace("_", "-")
        if not _NAME.match(key):
            raise ValueError(f"not an attribute name: {key!r}")
        parts.append(f'{key}="{esc(val)}"')
    if isinstance(content, (list, tuple)):
        inner = "".join(esc(c) for c in content)
    else:
        inner = esc(content)
    return Html(f"<{' '.join(parts)}>{inner}</{name}>")


def join(blocks: Iterable, sep: str = "") -> Html:
    """Concatenate blocks (text is escaped)."""
    return Html(sep.join(esc(b) for b in blocks))


def badge(text, level: str = "info") -> Html:
    """A small label; ``level`` is ``ok``, ``watch``, ``alert`` or ``info`` (colour *and*
    a symbol, so it reads in black and white)."""
    symbol = {"ok": "✓ ", "watch": "▲ ", "alert": "● ", "info": ""}.get(level, "")
    return tag("span", Html(esc(symbol) + esc(text)), class_=f"badge {level}")


def table(columns: Sequence[str], rows: Iterable[Sequence], *, numeric: Sequence[bool] |
          None = None, caption=None, note=None, class_: str = "") -> Html:
    """A table of already formatted cells (text is escaped, :class:`Html` passes).

    ``numeric``: per column, right-align (figures). ``note``: a line under the table.
    """
    cols = list(columns)
    num = list(numeric) if numeric is not None else [False] * len(cols)
    head = "".join(
        f'<th{" class=num" if n else ""} scope="col">{esc(c)}</th>' for c, n in zip(cols, num)
    )
    body = []
    for row in rows:
        cells = "".join(
            f'<td{" class=num" if n else ""}>{esc(v)}</td>' for v, n in zip(row, num)
        )
        body.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    out = (f'<table class="{esc(("data " + class_).strip())}">{cap}<thead><tr>{head}'
           f"</tr></thead><tbody>{''.join(body)}</tbody></table>")
    if note:
        out += f'<p class="note">{esc(note)}</p>'
    return Html(out)


def facts(pairs: Iterable[tuple], *, class_: str = "facts") -> Html:
    """A two-column list of ``(label, value)`` pairs (a definition list)."""
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in pairs)
    return Html(f'<dl class="{esc(class_)}">{items}</dl>')


def kpis(items: Iterable[tuple]) -> Html:
    """Headline figures as cards: ``(label, value, detail)`` triples (detail may be "")."""
    cards = []
    for label, value, detail in items:
        d = f'<span class="detail">{esc(detail)}</span>' if detail else ""
        cards.append(
            f'<div class="kpi"><span class="label">{esc(label)}</span>'
            f'<span class="value">{esc(value)}</span>{d}</div>'
        )
    return Html(f'<div class="kpis">{"".join(cards)}</div>')


def figure(fig, alt: str, caption=None, *, dpi: int = 96) -> Html:
    """A Matplotlib figure as an inline PNG (``data:`` URI): no file, no network.

    ``alt`` describes the figure for screen readers and when images are blocked.
    The figure is closed (if it came from pyplot) after rendering.
    """
    buf = io.BytesIO()
    # fixed layout (no bbox "tight": it draws the figure twice); fast PNG compression
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None},
                pil_kwargs={"compress_level": 1})
    try:  # figures made with pyplot must be released; plain Figure objects need not
        import matplotlib.pyplot as plt

        if plt.fignum_exists(getattr(fig, "number", -1)):
            plt.close(fig)
    except Exception:  # noqa: BLE001 - pyplot not importable: nothing to close
        pass
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    img = f'<img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return Html(f"<figure>{img}{cap}</figure>")


def section(title, *blocks, anchor: str | None = None, lead=None) -> Html:
    """A report section: a heading, an optional lead sentence, then the blocks."""
    aid = f' id="{esc(anchor)}"' if anchor else ""
    lead_html = f'<p class="lead">{esc(lead)}</p>' if lead else ""
    body = "".join(esc(b) for b in blocks if b is not None)
    return Html(f"<section{aid}><h2>{esc(title)}</h2>{lead_html}{body}</section>")


def paragraph(text, class_: str | None = None) -> Html:
    return tag("p", text, class_=class_)


def bullets(items: Iterable, class_: str | None = None) -> Html:
    lis = "".join(f"<li>{esc(i)}</li>" for i in items)
    cls = f' class="{esc(class_)}"' if class_ else ""
    return Html(f"<ul{cls}>{lis}</ul>")


# ---------------------------------------------------------------------- the document

STYLE = """
:root { --ink:#1d2733; --muted:#5b6675; --line:#d5dbe3; --soft:#f3f5f8; --accent:#1f5f8b;
        --ok:#1e7b4a; --watch:#9a6400; --alert:#b3261e; }
* { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; color: var(--ink); background: #fff; font-size: 15px; line-height: 1.45; }
body { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
h1 { font-size: 1.7rem; margin: 0 0 .2rem; color: var(--accent); }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; padding-bottom: .25rem;
     border-bottom: 2px solid var(--accent); }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
p { margin: .4rem 0; }
.lead { color: var(--muted); }
.note { color: var(--muted); font-size: .85rem; }
.subtitle { color: var(--muted); margin: 0 0 .8rem; }
.confidential { font-size: .8rem; color: var(--muted); border: 1px solid var(--line);
                padding: .3rem .6rem; border-radius: 4px; display: inline-block; }
table.data { border-collapse: collapse; width: 100%; margin: .5rem 0 .3rem;
             font-size: .9rem; }
table.data caption { text-align: left; font-weight: 600; padding-bottom: .3rem; }
table.data th, table.data td { border-bottom: 1px solid var(--line); padding: .3rem .45rem;
                               text-align: left; vertical-align: top; }
table.data th { background: var(--soft); font-weight: 600; }
table.data .num { text-align: right; font-variant-numeric: tabular-nums;
                  white-space: nowrap; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem;
           margin: .5rem 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(10.5rem, 1fr));
        gap: .6rem; margin: .6rem 0; }
.kpi { border: 1px solid var(--line); border-radius: 6px; padding: .5rem .7rem;
       background: var(--soft); }
.kpi .label { display: block; font-size: .8rem; color: var(--muted); }
.kpi .value { display: block; font-size: 1.25rem; font-weight: 650; }
.kpi .detail { display: block; font-size: .8rem; color: var(--muted); }
.badge { display: inline-block; padding: 0 .4rem; border-radius: 3px; font-size: .82rem;
         border: 1px solid currentColor; white-space: nowrap; }
.badge.ok { color: var(--ok); } .badge.watch { color: var(--watch); }
.badge.alert { color: var(--alert); font-weight: 600; } .badge.info { color: var(--muted); }
figure { margin: .6rem 0; page-break-inside: avoid; break-inside: avoid; }
figure img { max-width: 100%; height: auto; }
figcaption { font-size: .85rem; color: var(--muted); }
.unavailable { color: var(--muted); font-style: italic; border-left: 3px solid var(--line);
               padding-left: .6rem; }
.actions li { margin-bottom: .35rem; }
.toc { font-size: .9rem; color: var(--muted); }
.toc a { color: var(--accent); }
pre.output { background: var(--soft); padding: .5rem; overflow-x: auto; font-size: .85rem; }
footer { margin-top: 2.5rem; font-size: .8rem; color: var(--muted);
         border-top: 1px solid var(--line); padding-top: .5rem; }
@media print {
  html { font-size: 11pt; }
  body { max-width: none; padding: 0; }
  h2, h3, caption { page-break-after: avoid; break-after: avoid; }
  table.data, .kpis, dl.facts { page-break-inside: avoid; break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
@page { size: A4; margin: 14mm 12mm; }
"""


def document(title: str, body: str, *, lang: str = "en", extra_css: str = "") -> str:
    """A whole HTML page: ``<head>`` with an inline style sheet and no script, then body.

    ``body`` is inserted as is (it must be built with this module's functions).
    """
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="kamlib.reports">\n'
        # the page may use only itself: belt and braces for the no-network promise
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; style-src 'unsafe-inline'\">\n"
        f"<title>{esc(title)}</title>\n<style>{STYLE}{extra_css}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


_REMOTE = [
    (re.compile(r"<\s*script\b", re.I), "a <script> element"),
    (re.compile(r"<\s*(link|iframe|object|embed|base|frame|applet|audio|video|source|"
                r"track|form)\b", re.I), "an element that loads a resource"),
    (re.compile(r"""\b(src|href|srcset|poster|data|action|formaction|background|cite)
                    \s*=\s*["']?\s*(https?:|ftp:|//)""", re.I | re.X),
     "an attribute pointing at the internet"),
    (re.compile(r"""\b(src|href|action|formaction)\s*=\s*["']?\s*javascript:""", re.I),
     "a javascript: link"),
    (re.compile(r"""<[^>]*\son[a-z]+\s*=""", re.I), "an inline event handler (script)"),
]
_CSS = [
    (re.compile(r"@import", re.I), "a CSS @import"),
    (re.compile(r"url\(\s*['\"]?\s*(https?:|//)", re.I), "a CSS url() on the internet"),
    (re.compile(r"expression\s*\(", re.I), "a CSS expression (script)"),
]
_ATTRIBUTES = 2
"""``_REMOTE[_ATTRIBUTES:]`` look at attributes: only inside tags (text is not markup)."""
_TAG = re.compile(r"""<[A-Za-z](?:"[^"]*"|'[^']*'|[^'">])*>""")
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style>", re.I | re.S)
_STYLE_ATTR = re.compile(r"""\bstyle\s*=\s*("[^"]*"|'[^']*')""", re.I)


def remote_resources(html_text: str) -> list[str]:
    """What in ``html_text`` would run a script or load something from the internet.

    An empty list means the page is self-contained: it opens the same with the network
    off. Checks the markup for ``<script>``, ``<link>``/``<iframe>``/``<object>``/
    ``<embed>``..., ``src=``/``href=``... to ``http(s)://`` or ``//``, ``javascript:``
    links, inline event handlers; and the style sheets (``<style>`` and ``style=``) for
    ``@import`` and remote ``url()``. Escaped text (``&lt;script&gt;``) is text, not
    markup, and is not reported.
    """
    found = []

    def note(m, what, text):
        start = max(0, m.start() - 30)
        found.append(f"{what}: ...{text[start:m.end() + 40]}...")

    for pattern, what in _REMOTE[:_ATTRIBUTES]:
        m = pattern.search(html_text)
        if m:
            note(m, what, html_text)
    # attributes exist only inside tags: escaped text such as ``src=javascript:`` or
    # ``href=http://x`` in a paragraph is text, not markup (no false alarm for it)
    no_css = _STYLE_BLOCK.sub("<style></style>", html_text)
    tags = [m.group(0) for m in _TAG.finditer(no_css)]
    for pattern, what in _REMOTE[_ATTRIBUTES:]:
        for tag in tags:
            m = pattern.search(tag)
            if m:
                note(m, what, tag)
                break
    css = [m.group(1) for m in _STYLE_BLOCK.finditer(html_text)]
    css += [m.group(1) for tag in tags for m in _STYLE_ATTR.finditer(tag)]
    for pattern, what in _CSS:
        for text in css:
            m = pattern.search(text)
            if m:
                note(m, what, text)
                break
    return found


# ------------------------------------------------------------- notebook -> document


_markdown = None


def markdown(text: str) -> Html:
    """Markdown of the template's own markdown cells, as HTML (mistune, as nbconvert).

    Raw HTML in the markdown is escaped (the template is text, not markup).
    """
    global _markdown
    if _markdown is None:
        import mistune

        _markdown = mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])
    return Html(_markdown(text))


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _output_html(output: dict) -> tuple[str, str]:
    """One output of a code cell as (html, stderr text). Unknown kinds render nothing."""
    kind = output.get("output_type")
    if kind == "stream":
        text = _text(output.get("text", ""))
        if output.get("name") == "stderr":
            return "", text
        return (f'<pre class="output">{esc(text)}</pre>' if text.strip() else ""), ""
    if kind in ("display_data", "execute_result"):
        data = output.get("data", {})
        if HEADLINE_MIME in data:
            return "", ""
        if "text/html" in data:
            return _text(data["text/html"]), ""
        if "image/png" in data:
            png = _text(data["image/png"]).replace("\n", "")
            return f'<figure><img src="data:image/png;base64,{esc(png)}" alt="figure"></figure>', ""
        if "text/markdown" in data:
            return markdown(_text(data["text/markdown"])), ""
        if "text/plain" in data and not any(k.startswith("application/vnd.jupyter.widget")
                                            for k in data):
            return f'<pre class="output">{esc(_text(data["text/plain"]))}</pre>', ""
        return "", ""
    if kind == "error":  # a failed report is never written; shown for completeness
        return (f'<pre class="output">{esc(output.get("ename", ""))}: '
                f'{esc(output.get("evalue", ""))}</pre>'), ""
    return "", ""


def notebook_to_html(nb, title: str, *, footer: str = "") -> tuple[str, str]:
    """The executed template as a report: outputs only, no code, nothing remote.

    Markdown cells are rendered (mistune); code cells contribute their outputs:
    ``text/html`` as is (the template's sections build it with this module, escaping
    the data), PNG images inline, markdown rendered, plain text escaped in ``<pre>``.
    Cells tagged in :data:`SKIP_TAGS` are left out; widget outputs and the headline
    figures are not rendered; ``stderr`` (warnings) is collected, not shown.

    Returns ``(html, stderr_text)``. Raises ``ValueError`` when the result would load
    anything from the internet or run a script (see :func:`remote_resources`).
    """
    parts: list[str] = []
    stderr: list[str] = []
    for cell in nb.get("cells", []):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & SKIP_TAGS:
            continue
        if cell.get("cell_type") == "markdown":
            src = _text(cell.get("source", ""))
            if src.strip():
                parts.append(markdown(src))
        elif cell.get("cell_type") == "code":
            for out in cell.get("outputs", []):
                h, err = _output_html(out)
                if h:
                    parts.append(h)
                if err:
                    stderr.append(err)
    body = "\n".join(parts)
    if footer:
        body += f"\n<footer>{esc(footer)}</footer>"
    page = document(title, body)
    problems = remote_resources(page)
    if problems:
        raise ValueError(
            "the report would not be self-contained (it must open offline, without "
            "scripts): " + "; ".join(problems)
        )
    return page, "".join(stderr)
