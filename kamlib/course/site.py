"""``make site``: the course as a browsable offline site in ``build/site/``.

    from kamlib.course import site
    result = site.build(Path("build/site"))        # kam site --out build/site
    result.problems                                # [] : links work, offline, no raw TeX

Pages: ``index.html`` (the table of contents and the learning path of
``notebooks/README.md``), one page per executed chapter (``NN_name.html``, from the
committed executed notebooks, or from ``--chapters DIR`` after ``kam chapters``),
``glossary.html`` and ``background.html`` (from ``docs/``) and ``data-dictionary.html``
(``data/README.md``). Every page has the same link bar: contents, previous and next
chapter, glossary, background.

Links are rewritten for the site: a link between the repository's files
(``../docs/glossary.md#abc-class``, ``02_segment_by_sensitivity.ipynb``,
``../data/README.md``) points at the page built from that file; a link to another file
of the repository (``../kamlib/selection.py``) points at a copy of it under
``files/``. After building, every page is checked: each relative link reaches a file of
the site (and the ``#anchor`` an element of that page), nothing is loaded from outside,
and no formula is left as TeX (:func:`kamlib.course.pages.problems`). Links to other
sites are left as they are (they are not loads) and are not followed.
"""

from __future__ import annotations

import html as html_lib
import posixpath
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from kamlib.course import pages

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FILES_DIR = "files"
"""Folder of the site holding copies of repository files that pages link to."""


@dataclass(frozen=True)
class SitePage:
    """One page: ``source`` (repository-relative path of what it is built from),
    ``name`` (file name in the site), ``title``."""

    source: str
    name: str
    title: str


@dataclass
class SiteResult:
    """What :func:`build` wrote: ``out_dir``, ``pages`` (file names), ``copied``
    (repository files copied under ``files/``), ``external_links`` (links to other
    sites, not followed), ``problems`` (broken links, loads, raw TeX; ``[]`` = fine) and
    ``announced`` (chapters the learning path names that do not exist yet: shown as text
    on the contents page, not linked)."""

    out_dir: Path
    pages: list[str] = field(default_factory=list)
    copied: list[str] = field(default_factory=list)
    external_links: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    announced: list[str] = field(default_factory=list)


def _title_of_notebook(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "chapter"


def _title_of_markdown(text: str, default: str) -> str:
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return default


_HREF = re.compile(r'(<a\b[^>]*?\shref\s*=\s*")([^"]*)(")', re.I)


_ANCHOR = re.compile(r'<a\b[^>]*?\shref\s*=\s*"([^"]*)"[^>]*>(.*?)</a\s*>', re.I | re.S)


def _unlink_announced(page: str, source: str, root: Path, announced: set[str]) -> str:
    """On the contents page only: a link to a chapter the learning path announces before
    it is written (``notebooks/NN_*.ipynb`` that does not exist) becomes plain text, and
    its path is added to ``announced`` (reported, so it is not forgotten)."""
    base = posixpath.dirname(source)

    def fix(m: re.Match) -> str:
        parts = urlsplit(html_lib.unescape(m.group(1)))
        if parts.scheme or parts.netloc or not parts.path:
            return m.group(0)
        repo_path = posixpath.normpath(posixpath.join(base, unquote(parts.path)))
        if re.fullmatch(r"notebooks/\d\d_[\w-]+\.ipynb", repo_path) and not (
            root / repo_path
        ).exists():
            announced.add(repo_path)
            return f'<span class="kam-announced">{m.group(2)}</span>'
        return m.group(0)

    return _ANCHOR.sub(fix, page)


def _rewrite_links(page: str, source: str, targets: dict[str, str], root: Path,
                   copies: set[str]) -> str:
    """Point the page's relative links at site pages (or at copies of repository files)."""
    base = posixpath.dirname(source)

    def fix(m: re.Match) -> str:
        href = html_lib.unescape(m.group(2))
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path:
            return m.group(0)  # another site, mailto:, or an anchor of this page
        repo_path = posixpath.normpath(posixpath.join(base, unquote(parts.path)))
        if repo_path.startswith(".."):
            return m.group(0)  # outside the repository: the check will name it
        if repo_path in targets:
            new = targets[repo_path]
        elif (root / repo_path).is_file():
            copies.add(repo_path)
            new = f"{FILES_DIR}/{repo_path}"
        else:
            return m.group(0)  # a missing file: the check will name it
        if parts.fragment:
            new += "#" + parts.fragment
        return m.group(1) + html_lib.escape(new, quote=True) + m.group(3)

    return _HREF.sub(fix, page)


def _nav(index: int, chapters: list[SitePage], extra: list[SitePage]) -> str:
    links = ['<a href="index.html">Contents</a>']
    if index >= 0:
        if index > 0:
            prev = chapters[index - 1]
            links.append(f'<a href="{prev.name}">← {html_lib.escape(prev.title)}</a>')
        if index + 1 < len(chapters):
            nxt = chapters[index + 1]
            links.append(f'<a href="{nxt.name}">{html_lib.escape(nxt.title)} →</a>')
    links += [f'<a href="{p.name}">{html_lib.escape(p.title)}</a>' for p in extra]
    return " ".join(links)


def _contents_markdown(chapters: list[SitePage], extra: list[SitePage], path_text: str) -> str:
    lines = ["# KAM Playbook: the course", "", "## Contents", ""]
    for p in chapters:
        lines.append(f"1. [{p.title}]({p.name})")
    lines.append("")
    for p in extra:
        lines.append(f"- [{p.title}]({p.name})")
    lines.append("")
    if path_text:
        # the learning path's own title is replaced by the contents above
        body = re.sub(r"\A# .*\n", "", path_text.lstrip())
        lines += [body]
    return "\n".join(lines)


_ID = re.compile(r'\s(?:id|name)\s*=\s*"([^"]*)"', re.I)


def check_links(out_dir: str | Path) -> tuple[list[str], list[str]]:
    """Check every ``<a href>`` of every page in ``out_dir``: (problems, external links).

    A relative link must reach a file of the site; with ``#anchor`` into an HTML page,
    an element with that id (or name) must exist there.
    """
    out_dir = Path(out_dir)
    problems: list[str] = []
    external: set[str] = set()
    ids: dict[Path, set[str]] = {}

    def ids_of(path: Path) -> set[str]:
        if path not in ids:
            # nbconvert's heading ids are percent-encoded themselves: compare decoded
            ids[path] = {unquote(html_lib.unescape(i)) for i in
                         _ID.findall(path.read_text(encoding="utf-8"))}
        return ids[path]

    for page in sorted(out_dir.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        for m in _HREF.finditer(text):
            href = html_lib.unescape(m.group(2))
            parts = urlsplit(href)
            if parts.scheme in ("http", "https") or parts.netloc:
                external.add(href)
                continue
            if parts.scheme:  # mailto:, data: ...
                continue
            target = page if not parts.path else (page.parent / unquote(parts.path))
            try:
                target.resolve().relative_to(out_dir.resolve())
            except ValueError:
                problems.append(f"{page.name}: the link {href!r} leaves the site")
                continue
            if not target.is_file():
                problems.append(f"{page.name}: the link {href!r} leads to no file of the site")
                continue
            if parts.fragment and target.suffix == ".html":
                if unquote(parts.fragment) not in ids_of(target):
                    problems.append(f"{page.name}: the link {href!r} names an anchor "
                                    f"#{parts.fragment} that {target.name} does not have")
    return problems, sorted(external)


def build(
    out_dir: str | Path,
    *,
    chapters_dir: str | Path | None = None,
    root: str | Path | None = None,
) -> SiteResult:
    """Build the site into ``out_dir`` (emptied first) and check it. Returns a
    :class:`SiteResult`; its ``problems`` list is empty when every link works, nothing
    is loaded from outside and no raw TeX is visible.

    ``chapters_dir``: where the executed chapters are (default: the committed executed
    notebooks in ``notebooks/``); ``root``: the project folder (for tests).
    """
    import nbformat

    from kamlib.runner import chapter_paths

    root = Path(root) if root is not None else PROJECT_ROOT
    out_dir = Path(out_dir)
    if out_dir.resolve() in (root.resolve(), (root / "notebooks").resolve(),
                             (root / "docs").resolve()):
        raise ValueError(f"{out_dir} holds the project's sources: build the site into "
                         "another folder, e.g. build/site.")
    chapters_src = Path(chapters_dir) if chapters_dir is not None else root / "notebooks"
    chapter_files = chapter_paths(chapters_src)
    if not chapter_files:
        raise FileNotFoundError(f"no executed chapters (NN_*.ipynb) in {chapters_src}: run "
                                "`kam chapters --out DIR` first, or leave out --chapters.")
    notebooks = {p.name: nbformat.read(p, as_version=4) for p in chapter_files}
    chapters = [SitePage(f"notebooks/{name}", Path(name).with_suffix(".html").name,
                         _title_of_notebook(nb)) for name, nb in notebooks.items()]
    docs = []
    for source, name, default in (("docs/glossary.md", "glossary.html", "Glossary"),
                                  ("docs/background.md", "background.html", "Background"),
                                  ("data/README.md", "data-dictionary.html", "Data dictionary")):
        path = root / source
        if path.is_file():
            docs.append((SitePage(source, name, _title_of_markdown(
                path.read_text(encoding="utf-8"), default)), path.read_text(encoding="utf-8")))
    extra = [p for p, _ in docs]
    targets = {p.source: p.name for p in chapters + extra}
    targets["notebooks/README.md"] = "index.html"
    targets["README.md"] = "index.html"

    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    result = SiteResult(out_dir)
    copies: set[str] = set()

    announced: set[str] = set()

    def write(name: str, page: str, source: str) -> None:
        if name == "index.html":
            page = _unlink_announced(page, source, root, announced)
        page = _rewrite_links(page, source, targets, root, copies)
        (out_dir / name).write_text(page, encoding="utf-8")
        result.pages.append(name)

    path_md = root / "notebooks" / "README.md"
    path_text = path_md.read_text(encoding="utf-8") if path_md.is_file() else ""
    write("index.html", pages.markdown_html(_contents_markdown(chapters, extra, path_text),
                                            title="KAM Playbook", nav=_nav(-1, chapters, extra)),
          "notebooks/README.md")
    for i, (p, nb) in enumerate(zip(chapters, notebooks.values())):
        write(p.name, pages.notebook_html(nb, title=p.title, nav=_nav(i, chapters, extra)),
              p.source)
    for p, text in docs:
        write(p.name, pages.markdown_html(text, title=p.title, nav=_nav(-1, chapters, extra)),
              p.source)
    for rel in sorted(copies):
        target = out_dir / FILES_DIR / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / rel, target)
        result.copied.append(rel)

    result.announced = sorted(announced)
    link_problems, result.external_links = check_links(out_dir)
    result.problems.extend(link_problems)
    for name in result.pages:
        result.problems.extend(pages.problems((out_dir / name).read_text(encoding="utf-8"),
                                              name))
    return result

