"""The course around the chapters: offline pages, the site, the glossary, paired sources.

- :mod:`kamlib.course.mathml`  formulas as MathML, and the check for TeX left visible;
- :mod:`kamlib.course.pages`   executed notebooks and Markdown as offline HTML pages;
- :mod:`kamlib.course.site`    ``make site``: chapters, glossary and background in build/site;
- :mod:`kamlib.course.glossary` the glossary (docs/glossary.md) and links to its terms;
- :mod:`kamlib.course.pairing` the chapters' jupytext py:percent pairs (``make pair``).
- :mod:`kamlib.course.prose`   numbers in a chapter's prose, formatted at run time, and the
  test helper that finds figures pasted into Markdown cells.

The learners' copies themselves are written by :mod:`kamlib.runner`; the exercise checks
are :mod:`kamlib.exercises`.
"""
