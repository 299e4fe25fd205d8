"""Every export profile (issue 10) through the three commands a new user runs:
``kam data check``, ``kam chapters`` and ``kam reports --accounts key`` - exit 0, no
traceback, no failed cell, and the words of the outputs fit the data: its currency and
unit (USD and t for ``usd_tonnes``, never EUR or kg), its years (2017-2019 for
``three_years_2019``, never 2025), never the sample company's name on another company.

Slow (each profile executes the six chapters and a batch of reports): run with
``make test-profiles`` (``pytest --profiles``), which ``.ci/run`` calls. Each test
prints its wall times, so the CI log holds the per-profile record.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kamlib import formatting, profiles

pytestmark = pytest.mark.profiles

KAM = [sys.executable, "-m", "kamlib.cli"]
REPORTS_LIMIT = int(os.environ.get("KAM_PROFILE_REPORTS", "8"))
"""Reports per profile in CI: the first N key accounts (``kam reports --limit``); 0 = all.
The by-hand record in the issue runs every key account."""
TIMEOUT = 1800

SAMPLE_WORDS = (formatting.SAMPLE_COMPANY.name, formatting.SAMPLE_COMPANY.product)


def _run(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run ``kam args``: the result, its wall seconds and its processor seconds (user +
    system of the command and the kernels it waited for)."""
    import resource

    t0, r0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    env = {**os.environ, "KAM_HEADLESS": "1"}
    p = subprocess.run(KAM + args, cwd=cwd, capture_output=True, text=True,
                       timeout=TIMEOUT, env=env)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return p, time.perf_counter() - t0, cpu


def _ok(p: subprocess.CompletedProcess, what: str) -> None:
    out = p.stdout + p.stderr
    assert p.returncode == 0, f"{what}: exit {p.returncode}\n{out[-4000:]}"
    assert "Traceback" not in out, f"{what}: traceback\n{out[-4000:]}"
    assert "Warning" not in p.stderr, f"{what}: a warning reached the user\n{p.stderr[-4000:]}"


NAN = r"\bnan\b|\binf\b|\bnan%|\binf%"
"""A missing or infinite number printed as such (``f"{x:.0%}"`` of NaN is "nan%"): an
unknown figure must say what is missing (``kamlib.unknowns``), never "nan"."""
NAN_IN_RESULT = r"\bNaN\b"
"""pandas' NaN in a printed result (a line with a digit; the chapters' definitions may
name NaN as a value)."""


def _cell_texts(nb: Path):
    """(cell number, its source, the text of its outputs; error outputs and what went
    to stderr, e.g. a RuntimeWarning) per code cell."""
    j = json.loads(nb.read_text(encoding="utf-8"))
    for i, c in enumerate(j["cells"]):
        if c["cell_type"] != "code":
            continue
        texts, errors = [], []
        for o in c.get("outputs", []):
            kind = o.get("output_type")
            if kind == "stream" and o.get("name") == "stderr":
                errors.append("stderr: " + "".join(o["text"])[:1000])
            elif kind == "stream":
                texts.append("".join(o["text"]))
            elif kind == "error":
                errors.append(f"{o['ename']}: {o['evalue']}")
            else:
                d = o.get("data", {})
                for mime in ("text/markdown", "text/html", "text/plain"):
                    if mime in d:
                        t = "".join(d[mime])
                        if mime == "text/html":
                            t = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(
                                r"<style.*?</style>", "", t, flags=re.S)))
                        texts.append(t)
                        break
        yield i, "".join(c["source"]), "\n".join(texts), errors


def _html_text(path: Path) -> str:
    t = path.read_text(encoding="utf-8", errors="replace")
    t = re.sub(r"<(style|script)\b.*?</\1>", " ", t, flags=re.S)
    t = re.sub(r"data:[a-z/+]+;base64,[A-Za-z0-9+/=]+", " ", t)
    return html.unescape(re.sub(r"<[^>]+>", " ", t))


# Words that must not appear in what the chapters computed on a profile, and the
# words that must. Prose printed as a table of definitions ("our kg / ...", the sample
# case's worked example) is the chapters' text, not a result: only printed results are
# checked, i.e. lines with a digit.
# Patterns (regular expressions) never found / words always found. A pack size in a
# product's name ("25 kg bag", "500 kg big bags", "25 kg drum") is the product, not a
# quantity in the wrong unit.
KG_QUANTITY = r"\d kg\b(?! (?:big )?(?:bag|drum|sack|box)s?\b)"


def _expect(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    never = tuple(re.escape(w) for w in SAMPLE_WORDS) if name != "usd_tonnes" else ()
    if name == "usd_tonnes":  # its settings name the company and the units
        return ("EUR", KG_QUANTITY), ("USD",)
    if name == "three_years_2019":
        return never + ("2025", "2024", "EUR"), ("2019",)
    return never + ("EUR",), ()


def _result_lines(text: str):
    """The lines of a cell's output that carry a result (a digit), except those that
    present the sample company's worked example as such (e.g. chapter 04's eight steps,
    "example (the sample company, niacin)")."""
    if "the sample company" in text:
        return []
    return [ln for ln in text.splitlines() if re.search(r"\d", ln)]


# the largest first, so that the two workers finish together
ORDER = sorted(profiles.PROFILES, key=lambda n: n != "customers_20000")


@pytest.mark.parametrize("name", ORDER)
def test_profile_runs_check_chapters_and_reports(name, tmp_path):
    root = Path(__file__).resolve().parents[1]
    src = profiles.write_profile(name, tmp_path / "data")
    settings = tmp_path / "data" / "kam_settings.toml"
    extra = ["--settings", str(settings)] if settings.exists() else []
    times, cpu = {}, {}

    p, times["check"], cpu["check"] = _run(["data", "check", str(src)], root)
    _ok(p, "kam data check")
    assert "What the data allows:" in p.stdout

    p, times["chapters"], cpu["chapters"] = _run(["chapters", "--data", str(src), "--out",
                                 str(tmp_path / "chapters"), "--workers", "1"] + extra, root)
    _ok(p, "kam chapters")
    nbs = sorted((tmp_path / "chapters").glob("[0-9][0-9]_*.ipynb"))
    assert len(nbs) == len(sorted(root.glob("notebooks/[0-9][0-9]_*.ipynb"))), nbs

    never, must = _expect(name)
    seen_must = {w: False for w in must}
    bad = []
    said_missing: dict[str, int] = {}  # chapter -> cells that said their data is missing
    for nb in nbs:
        for i, src_, out, errors in _cell_texts(nb):
            where = f"{nb.name} cell {i}"
            if re.search(r"The data has no |The data names no |in this data, so "
                         r"|no key account|[Nn]ot in the data", out):
                said_missing[nb.name[:2]] = said_missing.get(nb.name[:2], 0) + 1
            assert not errors, f"{where}: {errors}\n{src_}"
            assert "Traceback" not in out, f"{where}: {out[-2000:]}"
            bad += [f"{where}: {ln.strip()[:160]!r}" for ln in out.splitlines()
                    if re.search(NAN, ln)]
            for line in _result_lines(out):
                if re.search(NAN_IN_RESULT, line):
                    bad.append(f"{where}: NaN in {line.strip()[:160]!r}")
                bad += [f"{where}: {w!r} in {line.strip()[:160]!r}" for w in never
                        if re.search(w, line)]
                for w in must:
                    seen_must[w] = seen_must[w] or w in line
    assert not bad, "\n".join(bad[:30])
    assert all(seen_must.values()), seen_must

    limit = ["--limit", str(REPORTS_LIMIT)] if REPORTS_LIMIT else []
    p, times["reports"], cpu["reports"] = _run(["reports", "--data", str(src), "--accounts", "key",
                                "--out", str(tmp_path / "reports"), "--workers", "1",
                                "--no-progress"] + limit + extra, root)
    _ok(p, "kam reports")
    m = re.search(r"(\d+) report\(s\) ready .*?(\d+) failed", p.stdout)
    assert m and int(m.group(1)) > 0 and int(m.group(2)) == 0, p.stdout[-2000:]
    assert not REPORTS_LIMIT or int(m.group(1)) <= REPORTS_LIMIT, p.stdout[-2000:]
    pages = sorted((tmp_path / "reports").glob("*.html"))
    assert any(pg.name == "index.html" for pg in pages)
    bad = []
    for pg in pages:
        text = _html_text(pg)
        assert "Traceback" not in text, pg.name
        for hit in re.finditer(f"{NAN}|{NAN_IN_RESULT}", text):
            bad.append(f"{pg.name}: ...{text[max(0, hit.start() - 80):hit.end() + 40]!r}")
        for w in never:
            hit = re.search(w, text)
            if hit:
                bad.append(f"{pg.name}: {w!r} in ...{text[max(0, hit.start() - 80):hit.end() + 80]!r}")
        if pg.name != "index.html":
            for w in must:
                assert w in text, (pg.name, w)
    assert not bad, "\n".join(bad[:30])
    record = os.environ.get("KAM_PROFILE_RECORD")  # a file: one JSON line per profile
    if record:
        with open(record, "a", encoding="utf-8") as f:
            f.write(json.dumps({"profile": name, "seconds": times, "cpu_seconds": cpu,
                                "reports": m.group(1),
                                "cells_saying_data_missing": said_missing}) + "\n")
    # captured, and shown by `make test-profiles` (-rP) in the log's "PASSES" section
    # (a worker of pytest-xdist has no terminal of its own)
    print(f"\n[profile {name}] " + ", ".join(f"{k} {v:.0f} s (processor {cpu[k]:.0f} s)"
                                             for k, v in times.items()))
