"""Numbers in a chapter's prose, computed at run time so the text cannot contradict the output.

    from kamlib.course import prose
    prose.say(f"The most profitable fifth make **{prose.pct(top_share)}** of total profit; "
              f"{prose.count(n_loss, 'customer')} lose money.")

A chapter's Markdown cells are written once; the data behind them change (another
company's export, a regenerated sample). A sentence that quotes a figure ("the top 20 %
give 82 %", "45 loss makers") is therefore written as a code cell that *shows* Markdown
built from the computed values (:func:`say`), and the words that depend on the direction
of a number ("rose" / "fell") are chosen from it too (:func:`trend`, :func:`more_less`).
Markdown cells keep only the numbers that are rules or settings of the method (the 20 %
of the ABC rule), never a figure of the data.

The formatters follow :mod:`kamlib.formatting` (the current company's currency and unit,
``settings.use_company``) and :mod:`kamlib.tables` (a non-zero share under 1 % keeps one
decimal, so it does not read as zero).

For the tests: :func:`literal_numbers` lists the numbers a Markdown text quotes, after
removing what is not a quoted figure (code, formulas, link targets, heading and list
numbers, chapter references, years); :func:`chapter_literals` applies it to the Markdown
cells of a chapter, outside its *Sources* section, against a list of allowed numbers.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Iterable

from kamlib import formatting


def say(*parts: str):
    """The Markdown to show: ``parts`` joined by a space, as an ``IPython.display.Markdown``
    (the last expression of a cell shows it; or ``display(prose.say(...))``).

    Glossary links work as in Markdown cells (``[key account](../docs/glossary.md#key-account)``);
    keep TeX out of it (formulas belong in the Markdown cells)."""
    from IPython.display import Markdown

    return Markdown(" ".join(str(p).strip() for p in parts if str(p).strip()))


def _nan(x) -> bool:
    try:
        return x is None or math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def pct(x, decimals: int = 0) -> str:
    """A fraction as a percentage: ``pct(0.153) -> '15%'``; ``pct(0.004) -> '0.4%'`` (a
    non-zero share that would round to 0 keeps one decimal); ``'n/a'`` when missing."""
    if _nan(x):
        return "n/a"
    p = 100.0 * float(x)
    if decimals == 0 and p != 0 and abs(p) < 1:
        return f"{p:.1f}%"
    text = f"{p:,.{decimals}f}%"
    return re.sub(r"^-(?=0(\.0+)?%$)", "", text)


def signed_pct(x, decimals: int = 1) -> str:
    """A change as a signed percentage: ``signed_pct(-0.033) -> '−3.3%'``, ``'+2.9%'``."""
    if _nan(x):
        return "n/a"
    text = f"{100.0 * float(x):+,.{decimals}f}%"
    return text.replace("-", "−")


def money(x, decimals: int | None = None) -> str:
    """An amount, rounded as a salesperson says it: ``'EUR 1.23 m'`` (:func:`kamlib.formatting.money`)."""
    return formatting.money(x, None, decimals)


def amount(x, decimals: int = 0) -> str:
    """An exact amount: ``amount(1234567) -> 'EUR 1,234,567'`` (:func:`kamlib.formatting.amount`)."""
    return formatting.amount(x, None, decimals)


def quantity(x) -> str:
    """A quantity in the company's unit: ``'12.5 t'`` / ``'800 kg'`` (:func:`kamlib.formatting.quantity`)."""
    return formatting.quantity(x)


def number(x, decimals: int = 0) -> str:
    """A plain number with thousands separators: ``number(1234.5) -> '1,235'``,
    ``number(0.781, 2) -> '0.78'``; a value that rounds to zero has no minus sign."""
    if _nan(x):
        return "n/a"
    text = f"{float(x):,.{decimals}f}"
    return re.sub(r"^-(?=0(\.0+)?$)", "", text)


def count(n, noun: str | None = None, plural: str | None = None) -> str:
    """A whole count: ``count(1234) -> '1,234'``; with a noun ``count(1, 'customer') ->
    '1 customer'``, ``count(3, 'customer') -> '3 customers'`` (``plural`` when the plural
    is not noun + s)."""
    if _nan(n):
        return "n/a"
    k = int(round(float(n)))
    text = f"{k:,}"
    if noun is None:
        return text
    word = noun if k == 1 else (plural or noun + "s")
    return f"{text} {word}"


def times(a, b, decimals: int = 1) -> str:
    """How many times ``a`` is ``b``: ``times(30, 10) -> '3.0 times'``; ``'n/a'`` when b is 0."""
    if _nan(a) or _nan(b) or float(b) == 0:
        return "n/a"
    return f"{float(a) / float(b):,.{decimals}f} times"


def names(items: Iterable, limit: int = 5, what: str = "more") -> str:
    """A list in words: ``'C0001, C0002 and C0003'``; past ``limit`` items
    ``'C0001, …, C0005 and 4 more'`` (``what``: the word after the count); ``'none'``."""
    items = [str(i) for i in items]
    if not items:
        return "none"
    if len(items) > limit:
        rest = len(items) - limit
        return ", ".join(items[:limit]) + f" and {rest:,} {what}"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def trend(change, up: str = "rose", down: str = "fell",
          flat: str = "stayed about the same", tol: float = 0.01) -> str:
    """The verb a change calls for: ``up`` above ``+tol``, ``down`` below ``−tol``, else
    ``flat``. ``trend(-0.033) -> 'fell'``; so a sentence stays true when the data move."""
    if _nan(change):
        return flat
    c = float(change)
    if c > tol:
        return up
    if c < -tol:
        return down
    return flat


def more_less(a, b, more: str = "more", less: str = "less", same: str = "as much",
              tol: float = 0.0) -> str:
    """``more`` when ``a`` exceeds ``b`` by more than ``tol`` (relative to |b|), ``less``
    when below, else ``same``."""
    if _nan(a) or _nan(b):
        return same
    a, b = float(a), float(b)
    margin = tol * abs(b)
    if a > b + margin:
        return more
    if a < b - margin:
        return less
    return same


def choose(condition: bool, yes: str, no: str) -> str:
    """``yes`` if ``condition`` else ``no`` — for a clause that is true only sometimes."""
    return yes if bool(condition) else no


# ------------------------------------------------------------------- for tests

_FENCE = re.compile(r"```.*?```", re.S)
_CODE = re.compile(r"`[^`]*`")
_MATH_BLOCK = re.compile(r"\$\$.*?\$\$", re.S)
_MATH = re.compile(r"\$[^$\n]+\$")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_HTML_TAG = re.compile(r"<[^>]+>")
_HEADING_NUMBER = re.compile(r"^(#+\s*)(\d+(\.\d+)*\.?)", re.M)
_LIST_NUMBER = re.compile(r"^(\s*)\d+\.\s", re.M)
_CHAPTER_REF = re.compile(
    r"(\b(chapters?|ch\.|section|sections|exercise|exercises|step|steps|point|points)|§)"
    r"\s*\d+([–-]\d+)?((,\s*|\s+and\s+|\s+or\s+)\d+)*", re.I)
_CHAPTER_ID = re.compile(r"(?<![\d.,])(0[0-9])(?![\d.,%])")  # 00..09: a chapter number
_YEAR = re.compile(r"(?<![\d.,])(1[89]\d\d|20\d\d)(?!\d|,\d|\.\d)")
_NUMBER = re.compile(r"(?<![\w.])[−-]?\d[\d,]*(\.\d+)?(\s?%)?")


def clean(text: str) -> str:
    """``text`` without what is not a quoted figure: code (spans and fences), formulas
    (``$…$``, ``$$…$$``), link targets, HTML tags, heading and list numbering, chapter /
    section / exercise references and years (1800–2099). Lines are kept."""
    keep_lines = lambda m: "\n" * m.group(0).count("\n") or " "
    t = _FENCE.sub(keep_lines, text)
    t = _MATH_BLOCK.sub(keep_lines, t)
    t = _CODE.sub(" ", t)
    t = _MATH.sub(" ", t)
    t = _LINK_TARGET.sub("] ", t)
    t = _HTML_TAG.sub(" ", t)
    t = _HEADING_NUMBER.sub(r"\1", t)
    t = _LIST_NUMBER.sub(r"\1", t)
    t = _CHAPTER_REF.sub(" ", t)
    t = _YEAR.sub(" ", t)
    return _CHAPTER_ID.sub(" ", t)


def literal_numbers(text: str) -> list[str]:
    """The numbers a Markdown text quotes, as written (``'82%'``, ``'0.78'``, ``'45'``),
    after :func:`clean`. Spaces before ``%`` are dropped (``'20 %'`` -> ``'20%'``), a
    minus sign is written ``-``."""
    out = []
    for m in _NUMBER.finditer(clean(text)):
        token = m.group(0).replace(" ", "").replace("−", "-").rstrip(",")
        if token:
            out.append(token)
    return out


def _before_sources(source: str) -> str:
    """The part of a Markdown cell before a ``## Sources`` heading (references are full
    of years, volumes and pages that are not figures of the data)."""
    m = re.search(r"^#+\s*Sources\b", source, re.M)
    return source if m is None else source[: m.start()]


def chapter_literals(nb_path: str | Path, allow: Iterable[str] = ()) -> list[tuple[int, str, str]]:
    """The numbers quoted in the Markdown cells of the notebook at ``nb_path`` that are not
    in ``allow`` (compared as written by :func:`literal_numbers`, e.g. ``"20%"``), as
    ``(cell index, number, the line it is on)``. The *Sources* section and everything
    after it is skipped. ``[]`` when every number the prose quotes is allowed."""
    import nbformat

    allowed = {a.replace(" ", "") for a in allow}
    nb = nbformat.read(Path(nb_path), as_version=4)
    found = []
    in_sources = False
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        if in_sources:
            continue
        text = _before_sources(cell.source)
        if text != cell.source:
            in_sources = True
        for line in clean(text).splitlines():
            for token in literal_numbers(line):
                if token not in allowed:
                    found.append((i, token, " ".join(line.split())))
    return found
