"""The glossary (``docs/glossary.md``): read it, link to its terms, check it.

    from kamlib.course import glossary
    glossary.link("ABC class")            # '[ABC class](../docs/glossary.md#abc-class)'
    glossary.link("whale curve", "the whale curve")   # other words, same term
    glossary.first_mentions(chapter_path) # where a chapter first uses each term

One line per term, in this form (the anchor is the term in lower case, words joined by
``-``; the chapter is the one where the term is taught)::

    - <a id="abc-class"></a>**ABC class**: One plain sentence. *Chapter [01](../notebooks/01_select_key_customers.ipynb)*

:func:`link` is what a chapter calls to link a term from generated Markdown
(``display(Markdown(...))``) or what an author pastes into a Markdown cell; the link is
relative to the ``notebooks`` folder, where the chapters are, and the site
(:mod:`kamlib.course.site`) turns it into a link to ``glossary.html#abc-class``.
:func:`problems` checks the glossary (each term's chapter exists and uses the term, one
anchor per term) and every glossary link of the chapters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GLOSSARY_FILE = PROJECT_ROOT / "docs" / "glossary.md"
LINK_FROM_NOTEBOOKS = "../docs/glossary.md"
"""The glossary as a chapter links to it (chapters live in ``notebooks/``)."""

_ENTRY = re.compile(
    r'^- <a id="(?P<anchor>[a-z0-9-]+)"></a>\*\*(?P<term>[^*]+)\*\*: (?P<meaning>.+?) '
    r"\*Chapter \[(?P<chapter>\d\d)\]\((?P<target>[^)]+)\)\*\s*$"
)
_LINK = re.compile(r"\]\((?:\.\./)?(?:docs/)?glossary\.md#([^)\s]+)\)")


@dataclass(frozen=True)
class Term:
    """One entry: ``term`` (as written), ``anchor``, ``meaning`` (one sentence),
    ``chapter`` ("01"), ``target`` (the chapter's path relative to ``docs/``), ``line``."""

    term: str
    anchor: str
    meaning: str
    chapter: str
    target: str
    line: int


def anchor_of(term: str) -> str:
    """``"ABC class" -> "abc-class"``; ``"Time-driven activity-based costing" ->
    "time-driven-activity-based-costing"``."""
    return re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-")


class GlossaryError(ValueError):
    """A glossary line that does not follow the form; the message names the line."""


def read(path: str | Path | None = None) -> list[Term]:
    """The terms of the glossary, in file order. Raises :class:`GlossaryError` for a
    list line that is not an entry of the form above (naming the file and line)."""
    path = Path(path) if path is not None else GLOSSARY_FILE
    terms = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.startswith("- "):
            continue
        m = _ENTRY.match(line)
        if not m:
            raise GlossaryError(
                f"{path.name}, line {number}: not a glossary entry. Write "
                '`- <a id="term-anchor"></a>**Term**: One plain sentence. '
                "*Chapter [NN](../notebooks/NN_name.ipynb)*`."
            )
        terms.append(Term(m["term"], m["anchor"], m["meaning"], m["chapter"], m["target"],
                          number))
    return terms


def _by_key(terms: list[Term]) -> dict[str, Term]:
    return {t.term.lower(): t for t in terms} | {t.anchor: t for t in terms}


def link(term: str, text: str | None = None, *, path: str | Path | None = None) -> str:
    """A Markdown link to ``term`` in the glossary, from a chapter: ``[text](../docs/
    glossary.md#anchor)``. ``text`` defaults to the term as given. Raises ``KeyError``
    naming the closest terms when the glossary has no such term."""
    terms = read(path)
    found = _by_key(terms).get(term.lower()) or _by_key(terms).get(anchor_of(term))
    if found is None:
        import difflib

        close = difflib.get_close_matches(term, [t.term for t in terms], n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise KeyError(f"the glossary (docs/glossary.md) has no term {term!r}.{hint} "
                       "Add it there first, with the chapter that teaches it.")
    return f"[{text or term}]({LINK_FROM_NOTEBOOKS}#{found.anchor})"


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[-–_*`]", " ", text.lower()).split())


def _chapter_text(nb_path: Path) -> list[str]:
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


def mentions(term: str, text: str) -> bool:
    """Whether ``text`` uses ``term`` (case, hyphens and a plural -s aside)."""
    words = re.escape(_normal(term)).replace(r"\ ", " ")
    return re.search(rf"(?<![a-z0-9]){words}(?:s|es)?(?![a-z0-9])", _normal(text)) is not None


def first_mentions(nb_path: str | Path, path: str | Path | None = None) -> dict[str, int]:
    """For each glossary term a chapter uses, the number (from 1) of the first Markdown
    cell that uses it: where a link to the glossary would go."""
    import nbformat

    nb = nbformat.read(Path(nb_path), as_version=4)
    out: dict[str, int] = {}
    for term in read(path):
        for i, cell in enumerate(nb.cells, start=1):
            if cell.cell_type == "markdown" and mentions(term.term, cell.source):
                out[term.term] = i
                break
    return out


def problems(path: str | Path | None = None, notebooks_dir: str | Path | None = None) -> list[str]:
    """What is wrong with the glossary and the chapters' links to it, one sentence each.

    Each term: its anchor is :func:`anchor_of` its term and unique, its meaning is one
    sentence, its chapter file exists, has the number the entry says and uses the term.
    Each ``glossary.md#anchor`` link in a chapter names a term of the glossary.
    """
    from kamlib.runner import chapter_paths

    path = Path(path) if path is not None else GLOSSARY_FILE
    terms = read(path)
    out = []
    seen: set[str] = set()
    chapters = {p.name: p for p in chapter_paths(notebooks_dir)}
    texts: dict[str, str] = {}
    for t in terms:
        where = f"{path.name}, line {t.line} ({t.term})"
        if t.anchor != anchor_of(t.term):
            out.append(f"{where}: the anchor should be {anchor_of(t.term)!r}, not {t.anchor!r}")
        if t.anchor in seen:
            out.append(f"{where}: the term is in the glossary twice")
        seen.add(t.anchor)
        if len(re.findall(r"[.!?](?:\s|$)", t.meaning)) != 1 or not t.meaning.endswith("."):
            out.append(f"{where}: the meaning should be one sentence ending with a full stop")
        name = Path(t.target).name
        if name not in chapters:
            out.append(f"{where}: its chapter {t.target} does not exist")
            continue
        if not name.startswith(t.chapter + "_"):
            out.append(f"{where}: the chapter number {t.chapter} does not match {name}")
        if name not in texts:
            texts[name] = "\n".join(_chapter_text(chapters[name]))
        if not mentions(t.term, texts[name]):
            out.append(f"{where}: chapter {name} never uses the term")
    anchors = {t.anchor for t in terms}
    for name, nb_path in chapters.items():
        for cell_text in _chapter_text(nb_path):
            for anchor in _LINK.findall(cell_text):
                if anchor not in anchors:
                    out.append(f"{name}: links to glossary.md#{anchor}, which is no term "
                               "of the glossary")
    return out
