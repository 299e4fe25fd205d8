"""Every sentence a chapter builds with ``prose.say`` is shown.

``prose.say`` returns Markdown; a notebook shows it only as the last expression of its
cell, or through ``display(...)``. Inside an ``if`` or a ``for``, or before another
statement, the sentence is built and silently dropped: the reader sees nothing (this is
how the whale curve's "peaks at N % of total profit" went missing from chapter 01).
"""

from __future__ import annotations

import ast

import nbformat
import pytest

from kamlib import runner


def lost_says(source: str) -> list[int]:
    """The lines of ``prose.say(...)`` calls in a code cell that nothing shows."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: not a chapter's prose cell
        return []
    shown: set[int] = set()
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        shown |= {id(n) for n in ast.walk(tree.body[-1].value)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "display":
            for arg in node.args:
                shown |= {id(n) for n in ast.walk(arg)}
    return [n.lineno for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and n.func.attr == "say" and getattr(n.func.value, "id", None) == "prose"
            and id(n) not in shown]


def test_lost_says_finds_a_sentence_nobody_shows():
    assert lost_says('x = 1\nprose.say("shown")') == []
    assert lost_says('if x:\n    display(prose.say("shown"))') == []
    assert lost_says('prose.say("a") if x else print("b")') == []
    assert lost_says('if x:\n    prose.say("lost")') == [2]
    assert lost_says('prose.say("lost")\nprint(1)') == [1]
    assert lost_says('for i in y:\n    prose.say(f"{i}")\ndisplay(prose.say("ok"))') == [2]


@pytest.mark.parametrize("path", runner.chapter_paths(), ids=lambda p: p.name[:2])
def test_every_prose_sentence_of_a_chapter_is_shown(path):
    nb = nbformat.read(path, as_version=4)
    lost = [(i, line) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for line in lost_says(c.source)]
    assert not lost, (f"{path.name}: prose.say(...) built but not shown (cell, line): {lost}; "
                      "wrap it in display(...)")
