"""Account-plan reports: HTML building blocks, the sections, and the papermill batch.

- the HTML of a report is self-contained (no script, nothing remote) and escapes the
  data; code and the headline figures never show;
- sections on the bundled data: figures checked against sums computed here from the raw
  CSV; no personal details unless asked for; portfolio comparisons are medians over
  groups of at least ``min_group_size``;
- the batch (real template, kept kernels, 2 workers): a forced failure in one account
  leaves the others done, is in index.html and run.log, and makes the run fail; every
  report is scanned for every other customer's name, id, contacts and exact revenue; a
  rerun skips the reports that are up to date, ``force`` redoes them;
- a reused kernel carries no state from one customer to the next (and the test would
  see it if it did: the same run without the reset cell leaks);
- PDF needs Chromium: a clear error without it, a PDF with it (skipped when absent).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from kamlib import cli, reports
from kamlib import report_html as H
from kamlib import report_sections as rs

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
PNG_1PX = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
           "AAAABJRU5ErkJggg==")


# ------------------------------------------------------------------ HTML building blocks


def test_escape_and_tags():
    assert H.esc('<b>"A&B"</b>') == "&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;"
    assert H.esc(None) == "" and H.esc(float("nan")) == ""
    assert H.tag("td", "<x>", class_="num") == '<td class="num">&lt;x&gt;</td>'
    # markup built here passes unescaped, once
    assert H.tag("p", H.tag("b", "a<b")) == "<p><b>a&lt;b</b></p>"
    t = H.table(["name", "EUR"], [["<i>x</i>", "1"]], numeric=[False, True])
    assert "&lt;i&gt;x&lt;/i&gt;" in t and "<i>" not in t
    assert '<td class=num>1</td>' in t


def test_remote_resources_are_found():
    assert H.remote_resources(H.document("t", "<p>plain</p>")) == []
    bad = {
        "<script>alert(1)</script>": "script",
        '<img src="https://cdn.example/x.png">': "internet",
        "<a href='//cdn.example/require.js'>x</a>": "internet",
        '<link rel="stylesheet" href="x.css">': "loads a resource",
        "<style>@import url(x.css);</style>": "@import",
        "<div style=\"background:url('http://x/y.png')\"></div>": "url()",
        '<p onclick="steal()">x</p>': "event handler",
    }
    for snippet, what in bad.items():
        found = H.remote_resources(H.document("t", snippet))
        assert found and what in " ".join(found), (snippet, found)
    # text that merely *mentions* these things, escaped, is fine
    text = H.esc('<script src="https://x"> @import url(http://x) javascript:')
    assert H.remote_resources(H.document("t", H.tag("p", text))) == []
    # inline images are fine
    assert H.remote_resources(f'<img src="data:image/png;base64,{PNG_1PX}">') == []


def _nb_with_outputs():
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell("customer_id = 'C1'\nSECRET_PARAMETER = 1")
    p.metadata["tags"] = ["parameters"]
    p.outputs = [nbformat.v4.new_output("stream", name="stdout", text="parameter echo")]
    title = nbformat.v4.new_markdown_cell("# Intro for the analyst")
    title.metadata["tags"] = ["remove-cell"]
    md = nbformat.v4.new_markdown_cell("## How to read\n\nA *short* note <b>raw</b>.")
    c = nbformat.v4.new_code_cell("rs.history(a)  # CODE_MARKER")
    c.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": "<h2>History</h2>",
                                                     "text/plain": "PLAIN_DUPLICATE"}),
        nbformat.v4.new_output("display_data", data={"image/png": PNG_1PX}),
        nbformat.v4.new_output("stream", name="stderr", text="FutureWarning: careful"),
        nbformat.v4.new_output("stream", name="stdout", text="<printed>"),
        nbformat.v4.new_output("display_data", data={H.HEADLINE_MIME: {"revenue": 1.0},
                                                     "text/plain": "HEADLINE_TEXT"}),
        nbformat.v4.new_output("display_data", data={
            "application/vnd.jupyter.widget-view+json": {"model_id": "x"},
            "text/plain": "WIDGET_TEXT"}),
    ]
    nb.cells = [title, p, md, c]
    return nb


def test_notebook_to_html_shows_outputs_only():
    page, stderr = H.notebook_to_html(_nb_with_outputs(), "Plan <A&B>")
    assert "<title>Plan &lt;A&amp;B&gt;</title>" in page
    assert "<h2>History</h2>" in page
    assert f"data:image/png;base64,{PNG_1PX}" in page
    assert "<em>short</em>" in page and "&lt;b&gt;raw&lt;/b&gt;" in page  # markdown, escaped
    assert "&lt;printed&gt;" in page  # stdout shown, escaped
    for hidden in ("CODE_MARKER", "rs.history", "SECRET_PARAMETER", "parameter echo",
                   "Intro for the analyst", "PLAIN_DUPLICATE", "HEADLINE_TEXT",
                   "WIDGET_TEXT", "FutureWarning"):
        assert hidden not in page, hidden
    assert "FutureWarning: careful" in stderr
    assert H.remote_resources(page) == []
    assert "<script" not in page.lower()


def test_notebook_to_html_refuses_remote_content():
    nb = _nb_with_outputs()
    nb.cells[-1].outputs.append(nbformat.v4.new_output(
        "display_data", data={"text/html": '<script src="https://cdn.example/require.js">'
                                           "</script>"}))
    with pytest.raises(ValueError, match="self-contained"):
        H.notebook_to_html(nb, "t")


def test_small_formatters():
    from kamlib import formatting

    with formatting.using(formatting.SAMPLE_COMPANY):  # EUR and kg, whatever ran before
        _small_formatters()


def _small_formatters():
    assert rs.change(110, 100) == "+10%"
    assert rs.change(99.9, 100) == "0%"
    assert rs.change(50, 0) == "new" and rs.change(float("nan"), 1) == "n/a"
    assert rs.points(0.48, 0.60) == "-12 pts"
    assert rs.date(pd.Timestamp("2025-10-04")) == "4 Oct 2025"
    assert rs.auto("price_elasticity", -1.234) == "-1.23"
    assert rs.auto("target_volume_kg", 12500.0) == "12.5 t"
    assert rs.auto("share_of_wallet", 0.456) == "46%"
    assert rs.auto("rebate_earned", 2500.0) == "EUR 2.5 k"
    assert reports.slug("Galdor Feed A.Ş.") == "galdor-feed-a-s"
    assert reports.parse_formats("html, pdf") == ("html", "pdf")
    with pytest.raises(reports.ReportError, match="html, pdf"):
        reports.parse_formats("docx")


def test_report_settings_refuse_tiny_comparison_groups():
    with pytest.raises(ValueError, match="privacy"):
        rs.ReportSettings(min_group_size=2)


# ------------------------------------------------------------- sections, no kernel


@pytest.fixture(scope="module")
def key_ids():
    p = rs.portfolio("sample")
    ka = p.tables.get("key")
    assert ka is not None, f"key-account list unavailable: {p.status.get('key')}"
    return [str(i) for i in ka.index[ka["is_key"].astype(bool)]]


@pytest.fixture(scope="module")
def raw():
    """The raw CSV tables, read here independently of kamlib."""
    read = lambda n: pd.read_csv(SAMPLE / f"{n}.csv", dtype={"customer_id": str})  # noqa: E731
    return {n: read(n) for n in ("customers", "orders", "contacts", "interactions")}


def test_history_figures_match_the_raw_orders(key_ids, raw):
    cid = key_ids[0]
    a = rs.account(cid, "sample")
    o = raw["orders"]
    o = o.loc[(o["customer_id"] == cid) & (o["order_date"].str[:4] == "2025")]
    kg = o["delivered_kg"].sum()
    revenue = (o["delivered_kg"] * o["net_price_per_kg"]).sum()
    it = raw["interactions"]
    complaints = ((it["customer_id"] == cid) & (it["type"] == "complaint")
                  & (it["date"].str[:4] == "2025")).sum()
    t = rs.history_table(a)
    assert t.loc["Volume", "2025"] == f"{kg / 1000:,.1f} t"
    assert t.loc["Revenue", "2025"] == rs.fmt.eur(revenue)
    assert t.loc["Net price", "2025"] == f"EUR {revenue / kg:.2f}/kg"
    assert t.loc["Complaints", "2025"] == f"{complaints:,}"
    assert t.loc["Orders", "2025"] == f"{o['order_id'].nunique():,}"


def test_buying_centre_hides_personal_details_unless_asked(key_ids, raw):
    cid = key_ids[1]
    mine = raw["contacts"].loc[raw["contacts"]["customer_id"] == cid]
    a = rs.account(cid, "sample")
    t = rs.contacts_table(a)
    assert list(t.columns) == ["Role", "Decision maker", "Influence", "Relationship",
                               "Last contact", "Days since"]
    assert len(t) == len(mine)
    assert (t["Decision maker"] == "yes").sum() == (mine["is_decision_maker"] == "yes").sum()
    page = str(rs.profile(a))
    for v in list(mine["contact_name"]) + list(mine["email"]):
        assert v not in page
    b = rs.account(cid, "sample", show_personal_details=True)
    page = str(rs.profile(b))
    for v in list(mine["contact_name"]) + list(mine["email"]):
        assert H.esc(v) in page
    # days since last contact, counted to the end of the analysis year
    dm = mine.loc[mine["is_decision_maker"] == "yes"]
    worst = (pd.Timestamp("2025-12-31") - pd.to_datetime(dm["last_contact_date"])).dt.days.max()
    assert f"was last seen {worst} days ago" in page


def test_peer_comparison_is_a_median_over_a_big_enough_group(key_ids):
    p = rs.portfolio("sample")
    yr = p.yearly.xs(2025, level="year").reindex(key_ids)
    assert p.peers["group"] == "key accounts" and p.peers["n"] == len(key_ids)
    assert p.peers["revenue"] == pytest.approx(yr["revenue"].median())
    # fewer key accounts than the minimum: the group widens to the active customers;
    # fewer customers than the minimum: no comparison at all
    small, huge = copy.copy(p), copy.copy(p)
    small.rs = rs.ReportSettings(min_group_size=len(key_ids) + 1)
    huge.rs = rs.ReportSettings(min_group_size=10_000)
    assert rs._peers(small)["group"] == "active customers"
    assert rs._peers(small)["n"] == int((yr_all := p.yearly.xs(2025, level="year"))
                                        ["revenue"].gt(0).sum())
    assert rs._peers(small)["revenue"] == pytest.approx(
        yr_all.loc[yr_all["revenue"] > 0, "revenue"].median())
    a = rs.account(key_ids[0], "sample")
    a.peers = rs._peers(huge)
    assert a.peers["revenue"] is None and rs.comparison_table(a) is None
    assert "comparisons use" not in str(rs.title(a))


def test_sections_escape_text_from_the_data(key_ids):
    a = rs.account(key_ids[2], "sample")
    a.name = '<script>alert("x")</script> & Sons'
    a.profile["industry"] = '<img src="https://evil.example/x.png">'
    page = H.document(a.name, "\n".join(rs.render_all(a)))
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Sons" in page
    assert "<script" not in page.lower()
    assert H.remote_resources(page) == []


def test_unknown_customer_is_named():
    with pytest.raises(rs.CustomerNotFound, match="C9999.*not in the data"):
        rs.account("C9999", "sample")


def test_the_portfolio_is_shared_and_keyed_without_the_customer(key_ids):
    a, b = rs.account(key_ids[0], "sample"), rs.account(key_ids[1], "sample")
    key = rs.portfolio_key("sample")
    assert rs.portfolio("sample") is rs.portfolio("sample")
    assert not any(c in str(key) for c in (a.customer_id, b.customer_id))
    # what an account gets is its own: changing it does not touch the next account
    a.peers["volume_by_year"].iloc[0] = -1.0
    a.yearly.iloc[0, 0] = -1.0
    c = rs.account(key_ids[0], "sample")
    assert c.peers["volume_by_year"].iloc[0] != -1.0 and c.yearly.iloc[0, 0] != -1.0


# ------------------------------------------------------------------ the batch


FAIL_CELL = (
    "if customer_id == {cid!r}:\n"
    "    raise RuntimeError('forced failure for the test')\n"
)


def _template_with_failure(path: Path, cid: str) -> Path:
    nb = nbformat.read(reports.DEFAULT_TEMPLATE, as_version=4)
    setup = next(i for i, c in enumerate(nb.cells) if "rs.account(" in c.source)
    nb.cells.insert(setup + 1, nbformat.v4.new_code_cell(FAIL_CELL.format(cid=cid)))
    nbformat.write(nb, path)
    return path


def _other_customers_text(raw, cid: str) -> list[str]:
    """What must not appear in ``cid``'s report: every other customer's name and id,
    every contact's name and e-mail (none by default), other customers' exact revenue."""
    cust = raw["customers"]
    others = cust.loc[cust["customer_id"] != cid]
    words = list(others["customer_name"]) + list(others["customer_id"])
    words += list(raw["contacts"]["contact_name"]) + list(raw["contacts"]["email"])
    o = raw["orders"].loc[raw["orders"]["order_date"].str[:4] == "2025"]
    rev = (o["delivered_kg"] * o["net_price_per_kg"]).groupby(o["customer_id"]).sum()
    for other, v in rev.drop(cid, errors="ignore").items():
        words += [f"{v:,.2f}", f"{v:.2f}"]
    return [w for w in words if isinstance(w, str) and len(w) > 3]


def test_signature_follows_every_input(tmp_path):
    t = tmp_path / "t.ipynb"
    t.write_text("{}")
    st = tmp_path / "s.toml"
    st.write_text("[company]\nname = 'A'\n")
    base = dict(template=t, data_path=SAMPLE, settings_file=st, analysis_year=None,
                show_personal_details=False, formats=("html",))
    sig = reports.batch_signature(**base)
    assert reports.batch_signature(**base) == sig
    for change in ({"show_personal_details": True}, {"formats": ("html", "pdf")},
                   {"analysis_year": 2024}, {"settings_file": None}):
        assert reports.batch_signature(**{**base, **change}) != sig, change
    st.write_text("[company]\nname = 'B'\n")
    assert reports.batch_signature(**base) != sig
    st.write_text("[company]\nname = 'A'\n")
    t.write_text('{"x": 1}')
    assert reports.batch_signature(**base) != sig


@pytest.mark.notebooks
def test_batch_reports_privacy_failures_and_reruns(tmp_path, key_ids, raw, monkeypatch):
    # other modules of kamlib may be edited while this runs (a shared checkout): pin the
    # code fingerprint so that the rerun below sees the same inputs
    monkeypatch.setattr(reports, "kamlib_fingerprint", lambda: "pinned")
    ok_ids = key_ids[:3]
    fail_id = key_ids[3]
    template = _template_with_failure(tmp_path / "plan_with_failure.ipynb", fail_id)
    out = tmp_path / "reports"
    asked = [ok_ids[0], fail_id, ok_ids[1], ok_ids[2]]
    res = reports.run_batch(data="sample", accounts=",".join(asked), out=out, workers=2,
                            template=template, progress=False)

    # a failure in one account is recorded; the batch goes on
    assert res.succeeded == ok_ids and res.written == ok_ids and res.skipped == []
    assert list(res.failed) == [fail_id]
    assert "forced failure for the test" in res.failed[fail_id]
    assert "raise RuntimeError" in res.failed[fail_id] or "if customer_id" in \
        res.failed[fail_id]
    assert (out / "failed" / f"{fail_id}.ipynb").exists()
    assert not list(out.glob(f"{fail_id}_*.html"))
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Failed (1)" in index and fail_id in index and "forced failure" in index
    log = (out / "run.log").read_text(encoding="utf-8")
    assert f"FAILED {fail_id}" in log and all(f"ok     {c}" in log for c in ok_ids)
    manifest = json.loads((out / "reports.json").read_text(encoding="utf-8"))
    assert manifest["accounts"][fail_id]["status"] == "failed"

    # every report: whole, self-contained, no code, its own customer only
    names = raw["customers"].set_index("customer_id")["customer_name"]
    for cid in ok_ids:
        files = list(out.glob(f"{cid}_*.html"))
        assert len(files) == 1, files
        page = files[0].read_text(encoding="utf-8")
        assert page.rstrip().endswith("</html>")
        assert f'href="{files[0].name}"' in index
        assert H.esc(names[cid]) in page
        for heading in ("At a glance", "Profile and buying centre", "History", "Position",
                        "Buying drivers and levers", "Rebates", "Service and relationship",
                        "Visit plan", "Objectives", "Risks and decay signals",
                        "Next actions", "How to read this plan"):
            assert f">{heading}</h2>" in page, (cid, heading)
        assert H.remote_resources(page) == [], cid
        assert "<script" not in page.lower()
        assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
        for code in ("rs.account(", "report_sections", "notebook.setup", "customer_id ="):
            assert code not in page, (cid, code)
        text = re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", "", page)  # pixels
        leaked = [w for w in _other_customers_text(raw, cid) if w in text
                  or H.esc(w) in text]
        assert not leaked, f"{cid}'s report shows other customers' data: {leaked[:5]}"
        assert page.count("data:image/png;base64,") >= 4  # charts, inline

    # a rerun skips what is up to date, without starting a kernel
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("*.html")}
    again = reports.run_batch(data="sample", accounts=",".join(ok_ids), out=out,
                              template=template, progress=False)
    assert again.skipped == ok_ids and again.written == [] and again.ok
    assert again.seconds < 20
    assert all(p.stat().st_mtime_ns == stamps[p.name] for p in out.glob(f"{ok_ids[0]}_*"))
    # force redoes them
    forced = reports.run_batch(data="sample", accounts=ok_ids[0], out=out, workers=1,
                               template=template, force=True, progress=False)
    assert forced.written == [ok_ids[0]] and forced.ok
    first = next(out.glob(f"{ok_ids[0]}_*.html"))
    second = next(out.glob(f"{ok_ids[1]}_*.html"))
    assert first.stat().st_mtime_ns > stamps[first.name]
    assert second.stat().st_mtime_ns == stamps[second.name]
    assert not list(out.glob(".*.tmp"))  # nothing half-written left behind


def test_cli_exit_code_is_non_zero_when_an_account_fails(tmp_path, capsys):
    out = tmp_path / "r"
    code = cli.main(["reports", "--accounts", "C9999", "--out", str(out), "--no-progress"])
    assert code == 1
    captured = capsys.readouterr()
    assert "C9999" in captured.err and "not a customer" in captured.err
    assert "C9999" in (out / "index.html").read_text(encoding="utf-8")


# ------------------------------------------------------------ a kept kernel, isolated


ISOLATION_CELLS = [
    # Agg: figures stay open after a cell (the inline backend would close them itself)
    "import os\nimport matplotlib.pyplot as plt\nfrom IPython.display import HTML\n"
    "plt.switch_backend('agg')",
    # what is left of the previous customer, if anything
    "leak = globals().get('previous_customer', 'none')\n"
    "HTML(f'<p>seen:{leak}</p><p>figures:{len(plt.get_fignums())}</p>'\n"
    "     f'<p>kernel:{os.getpid()}</p><p>me:{customer_id}</p>')",
    # state this customer leaves behind
    "previous_customer = customer_id\nfig = plt.figure()\nplt.plot([1, 2])",
]


def _isolation_template(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell('customer_id = "C0001"\ndata_source = "sample"\n'
                                  'settings_file = ""\nanalysis_year = 0\n'
                                  "show_personal_details = False")
    p.metadata["tags"] = ["parameters"]
    nb.cells = [p] + [nbformat.v4.new_code_cell(c) for c in ISOLATION_CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                 "display_name": "Python 3"}
    nbformat.write(nb, path)
    return path


def _seen(out: Path, cid: str) -> dict:
    page = next(out.glob(f"{cid}_*.html")).read_text(encoding="utf-8")
    return dict(re.findall(r"<p>(\w+):([^<]*)</p>", page))


@pytest.mark.notebooks
def test_a_reused_kernel_carries_no_state_between_customers(tmp_path, monkeypatch):
    ids = ["C0001", "C0002", "C0003"]
    template = _isolation_template(tmp_path / "isolation.ipynb")
    out = tmp_path / "clean"
    res = reports.run_batch(accounts=",".join(ids), out=out, workers=1, template=template,
                            progress=False)
    assert res.ok, res.failed
    seen = [_seen(out, c) for c in ids]
    assert len({s["kernel"] for s in seen}) == 1  # one kernel, reused
    for cid, s in zip(ids, seen):
        assert s == {"seen": "none", "figures": "0", "kernel": seen[0]["kernel"], "me": cid}

    # the check can fail: on a kept kernel without the reset cell, the next customer
    # sees the last one's variable and figure (same KernelSession the workers use)
    monkeypatch.setattr(reports, "_RESET_SOURCE", "# no reset here {cwd!r}\n")
    session = reports.KernelSession({"template": str(template), "data_source": "sample",
                                     "settings_file": "", "analysis_year": 0,
                                     "show_personal_details": False, "cwd": str(tmp_path)})
    try:
        pages = [H.notebook_to_html(session.execute(c), c)[0] for c in ids[:2]]
    finally:
        session.close()
    leaked = dict(re.findall(r"<p>(\w+):([^<]*)</p>", pages[1]))
    assert leaked["seen"] == ids[0] and leaked["figures"] == "1"


@pytest.mark.notebooks
def test_a_kernel_that_dies_is_replaced_and_the_batch_goes_on(tmp_path):
    template = _isolation_template(tmp_path / "dies.ipynb")
    nb = nbformat.read(template, as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell(
        "if customer_id == 'C0002':\n    os._exit(3)  # the kernel process dies"))
    nbformat.write(nb, template)
    out = tmp_path / "dies"
    res = reports.run_batch(accounts="C0001,C0002,C0003", out=out, workers=1,
                            template=template, progress=False)
    assert res.succeeded == ["C0001", "C0003"]
    assert list(res.failed) == ["C0002"] and "kernel died" in res.failed["C0002"]
    # a new kernel took over, and it starts clean
    assert _seen(out, "C0001")["kernel"] != _seen(out, "C0003")["kernel"]
    assert _seen(out, "C0003")["seen"] == "none"


# ---------------------------------------------------------------------------- PDF


def test_pdf_without_chromium_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(reports, "find_chromium", lambda: None)
    with pytest.raises(reports.ReportError, match="apt-get install chromium"):
        reports.run_batch(accounts="C0001", out=tmp_path, formats="html,pdf",
                          progress=False)
    assert not (tmp_path / "index.html").exists()  # refused before anything ran


@pytest.mark.notebooks
@pytest.mark.skipif(reports.find_chromium() is None,
                    reason="Chromium is not installed (apt-get install chromium): "
                           "PDF output cannot be tested here")
def test_pdf_reports_with_chromium(tmp_path):
    template = _isolation_template(tmp_path / "isolation.ipynb")
    res = reports.run_batch(accounts="C0001,C0002", out=tmp_path / "pdf", workers=1,
                            template=template, formats="pdf", progress=False)
    assert res.ok, res.failed
    for cid in ("C0001", "C0002"):
        pdf = next((tmp_path / "pdf").glob(f"{cid}_*.pdf"))
        assert pdf.read_bytes()[:5] == b"%PDF-"
        assert not list((tmp_path / "pdf").glob(f"{cid}_*.html"))  # only what was asked
    index = (tmp_path / "pdf" / "index.html").read_text(encoding="utf-8")
    assert ".pdf" in index
