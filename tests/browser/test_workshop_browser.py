"""End to end: a filled Excel template served by ``kam workshop``'s Voilà, used in a real
headless Chromium (Debian's /usr/bin/chromium driven by Playwright for Python; nothing
is downloaded at run time). `make test-workshop` installs both and runs this file.

The facilitator's path, with the commands docs/workshop.md gives: ``kam data template``
-> a copy filled in with openpyxl (as a sales administration would, from its own export)
-> ``kam data check copy.xlsx`` -> ``kam workshop --data copy.xlsx`` (the real command,
in a subprocess). The room's path: open the page -> the key-account table shows; move a
weight -> the table changes; decide a customer against the rule with a reason; make
the segmentation stricter -> the segments change; edit a rebate tier -> the cost
changes; save the decisions -> the file holds them all -> ``kam reports --decisions``
shows the agreed list with the reason. Screenshots are kept in build/workshop/.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from kamlib import decisions, generate, settings
from kamlib.workshop import serve, template

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "workshop"
KAM = ROOT / ".venv" / "bin" / "kam"
CHROMIUM = os.environ.get("KAM_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
PAGE_TIMEOUT_MS = 120_000


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fill(blank: Path, csv_dir: Path, out: Path) -> Path:
    """Fill a copy of the blank template the way a person does: each sheet's rows typed
    under its headers (from the company's CSV export), over the example row."""
    import csv

    import openpyxl

    wb = openpyxl.load_workbook(blank)
    for ws in wb.worksheets:
        f = csv_dir / f"{ws.title}.csv"
        if ws.title == template.README_SHEET or not f.exists():
            continue
        headers = [c.value for c in ws[1]]
        with open(f, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        ws.delete_rows(2)  # the yellow example row
        for r, row in enumerate(rows, start=2):
            for c, h in enumerate(headers, start=1):
                v = row.get(h, "")
                ws.cell(r, c, value=_typed(v))
    wb.save(out)
    return out


def _typed(v: str):
    """A CSV text as a person types it into Excel: numbers become numbers; codes with
    leading zeros, dates and names stay text."""
    if v == "":
        return None
    if re.fullmatch(r"-?(0|[1-9][0-9]*)", v):
        return int(v)
    if re.fullmatch(r"-?[0-9]+\.[0-9]+", v):
        return float(v)
    return v


def _kam(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(KAM), *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=900, **kw)


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    """Another company's export, as a facilitator brings it: generated data (60
    customers, 2022-2024) typed into a copy of the template ``kam data template``
    wrote, then checked with ``kam data check``."""
    tmp = tmp_path_factory.mktemp("export")
    src = tmp / "csv"
    generate.write_dataset(generate.GeneratorConfig(n_customers=60, years=3, end_year=2024,
                                                    seed=11), src, answer_key_dir=tmp / "key")
    r = _kam("data", "template", "--out", str(tmp / "kam_input.xlsx"))
    assert r.returncode == 0, r.stderr
    copy = _fill(tmp / "kam_input.xlsx", src, tmp / "company.xlsx")
    r = _kam("data", "check", str(copy))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "No problems found" in r.stdout
    return copy


@pytest.fixture(scope="module")
def app_url(workbook, tmp_path_factory):
    """``kam workshop --data company.xlsx`` (a free port), stopped afterwards."""
    out = tmp_path_factory.mktemp("room") / "decisions.toml"
    SHOTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log = open(SHOTS / "voila.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(KAM), "workshop", "--data", str(workbook), "--port",
                             str(port), "--decisions", str(out)], cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        serve.wait_until_up(url, proc, timeout=600)
        yield url, out
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()
    printed = (SHOTS / "voila.log").read_text(errors="replace")
    assert f"Workshop app ready: {url}" in printed


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), (
        f"no Chromium at {CHROMIUM}: `make test-workshop` installs Debian's package "
        "(apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


def _set_slider(page, label: str, value: float) -> None:
    """Type a value into the slider's readout (what a person does with the keyboard)."""
    slider = page.locator(".widget-slider", has=page.locator(
        "label", has_text=re.compile(rf"^{re.escape(label)}$"))).first
    readout = slider.locator(".widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(f"{value:g}")
    page.keyboard.press("Enter")


def _wait_change(page, selector: str, before: str, timeout_ms: int = PAGE_TIMEOUT_MS) -> str:
    page.wait_for_function(
        "([sel, old]) => { const e = document.querySelector(sel);"
        " return e && e.innerText.length > 0 && e.innerText !== old; }",
        arg=[selector, before], timeout=timeout_ms)
    return page.locator(selector).inner_text()


@pytest.fixture()
def page(browser):
    """A page; its last state is kept as build/workshop/failure.png when a step fails."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    yield page
    if not page.is_closed():
        page.screenshot(path=str(SHOTS / "failure.png"), full_page=True)
        page.close()


def test_the_room_agrees_and_saves(app_url, page, workbook):
    url, decisions_file = app_url
    # nothing from outside the app: Voilà's template links a CDN stylesheet, which the
    # server's Content-Security-Policy makes the browser refuse before any request
    def outside(r) -> bool:
        return not r.url.startswith(url) and not r.url.startswith(("data:", "blob:"))

    answered: list[str] = []
    refused: list[tuple[str, str]] = []
    page.on("response", lambda r: answered.append(r.url) if outside(r.request) else None)
    page.on("requestfailed", lambda r: refused.append((r.url, r.failure or ""))
            if outside(r) else None)
    page.goto(url)
    table = ".kam-key-table"
    page.wait_for_selector(f"{table} table")
    assert "company.xlsx" in page.locator(".kam-data-status").inner_text()
    assert "def " not in page.content() and "import " not in page.inner_text("body"), \
        "Voilà must not show code"
    page.screenshot(path=str(SHOTS / "01_key_accounts.png"), full_page=True)
    before = page.locator(table).inner_text()

    # 1. the room moves the weights: size stops counting, cooperation counts most
    _set_slider(page, "revenue", 0)
    _set_slider(page, "profit", 0)
    _set_slider(page, "cooperation", 5)
    after = _wait_change(page, table, before)
    assert after != before
    assert page.locator(".widget-dropdown select").first.input_value() == "custom"
    page.screenshot(path=str(SHOTS / "02_weights_moved.png"), full_page=True)

    # ... and decides one customer against the rule, with a reason
    picker = page.locator(".widget-dropdown", has=page.locator("label", has_text="Customer:"))
    options = picker.locator("option").evaluate_all("els => els.map(e => e.textContent)")
    options = [o.replace("\xa0", " ") for o in options]  # ipywidgets shows nbsp
    index = next((i for i, o in enumerate(options) if "not key now" in o), None)
    assert index is not None, f"no customer outside the list to decide on: {options[:5]}"
    choice = options[index]
    picker.locator("select").select_option(index=index)
    page.locator(".widget-text", has=page.locator("label", has_text="Reason:")) \
        .locator("input").fill("opens the new feed plant in 2026")
    page.get_by_role("button", name="Add this decision").click()
    page.wait_for_selector(f"{table} tr.decided")
    decided_name = choice.split(" (")[0]
    assert decided_name in page.locator(f"{table} tr.decided").first.inner_text()
    page.screenshot(path=str(SHOTS / "03_decided.png"), full_page=True)

    # 2. segments with their evidence
    page.get_by_role("tab", name="2. Segments").click()
    page.wait_for_selector(".kam-segments table")
    assert "Evidence" in page.locator(".kam-segments").inner_text() or \
        "reaches" in page.locator(".kam-segments").inner_text()
    # ... under a stricter rule: a driver must stand out more
    seg_before = page.locator(".kam-segments").inner_text()
    _set_slider(page, "A driver stands out at:", 1.5)
    _wait_change(page, ".kam-segments", seg_before)
    assert "stand out 1.5" in page.locator(".kam-seg-status").inner_text()
    page.screenshot(path=str(SHOTS / "03b_segments.png"), full_page=True)

    # 3. the rebate schedule: the first tier from 0 kg (every customer earns its rate),
    # the cost changes
    page.get_by_role("tab", name="3. Rebate schedule").click()
    cost = ".kam-cost"
    page.wait_for_selector(f"{cost} .kam-cost-value")
    cost_before = page.locator(cost).inner_text()
    tier = page.locator(".widget-text", has=page.locator("label", has_text="tier 1 from"))
    tier.locator("input").fill("0")
    tier.locator("input").press("Enter")
    cost_after = _wait_change(page, cost, cost_before)
    assert cost_after != cost_before
    page.screenshot(path=str(SHOTS / "04_schedule.png"), full_page=True)

    # 4. save the decisions
    page.get_by_role("tab", name="4. Save the decisions").click()
    page.locator(".kam-save").click()
    page.wait_for_selector(".kam-save-status .kam-ok")
    assert "Saved to" in page.locator(".kam-save-status").inner_text()
    page.screenshot(path=str(SHOTS / "05_saved.png"), full_page=True)
    page.close()
    assert answered == [], f"the page loaded something from outside the app: {answered[:3]}"
    assert all(why in ("csp", "net::ERR_BLOCKED_BY_CSP") for _, why in refused), refused[:3]

    d = decisions.load_decisions(decisions_file)
    assert d.goal == "custom"
    assert d.weights.get("cooperation") == 5.0
    assert "revenue" not in d.weights and "profit" not in d.weights
    assert [(o.customer_name, o.key, o.reason) for o in d.overrides] == [
        (decided_name, True, "opens the new feed plant in 2026")]
    assert d.schedule is not None and d.schedule.tiers[0].threshold == 0
    assert d.workshop["data"] == "company.xlsx" or d.workshop["data"].endswith("company.xlsx")
    assert d.segmentation == {"stand_out": 1.5}

    # after the day: the plans show the agreed list, with the room's reason
    cid = d.overrides[0].customer_id
    out = decisions_file.parent / "plans"
    r = _kam("reports", "--data", str(workbook), "--decisions", str(decisions_file),
             "--accounts", cid, "--out", str(out), "--no-progress", "--workers", "1")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    plan = next(out.glob(f"{cid}_*.html")).read_text(encoding="utf-8")
    assert "KEY by decision: opens the new feed plant in 2026" in plan
    agreed = settings.load(decisions_file.with_name("decisions.settings.toml"))
    assert agreed.segmentation.stand_out == 1.5
