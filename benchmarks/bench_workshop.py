"""20 participants open the workshop app at once: time until their key-account table
shows, memory of the server and its kernels, kernels left after they close.

    .venv/bin/python benchmarks/bench_workshop.py [--participants 20] [--preheat 0 5]

For each preheat setting (0 = a kernel is started and the notebook executed when a page
is opened; N = Voilà keeps N kernels started and executed ahead of visitors) this starts
``kam workshop``'s server on the bundled sample data (idle kernels culled after
``--cull-idle`` seconds), opens the page in N headless Chromium contexts at the same
moment (Debian's /usr/bin/chromium driven by Playwright, one context = one participant),
waits until each shows the key-account table, then:

- closes half of the pages the normal way (the page's unload handler asks Voilà to shut
  its kernel down) and *kills* the other half's browser contexts without unload (a
  laptop lid closed, a crashed tab);
- counts the kernels left right after, and again after the culling interval.

Memory is the resident set (RSS) of the Voilà server and all its kernel processes,
sampled every 0.5 s (peak reported). The machine is shared: run it when it is quiet and
read the figures as an upper bound.

Measured 2026-12-01 on the shared 2-core machine (load average 15-40 from other jobs;
the browser runs on the same 2 cores as the server, so the times include rendering 8-20
pages' JavaScript there):

- 8 participants at once, no preheat: 8/8 tables after 104-108 s (median 107 s; each
  page's HTML began after 10-11 s); server + kernels 80 MB idle, peak 1,805 MB
  (≈ 216 MB per participant); after closing (4 pages closed normally, 4 contexts
  killed) all 8 kernels were still running; after culling (300 s idle) 0 kernels,
  107 MB.
- 20 participants at once in one headless Chromium, no preheat: all 20 kernels started
  and executed the notebook (20 × ≈ 217 MB ≈ 4.3 GB), but only 1 page showed its table
  (after 224 s) within 7 minutes; the others' kernels sat idle, never connected. With a
  30 s cull timeout the kernels were culled before their pages connected. Not resolved:
  whether Voilà or one browser holding 20 pages on 2 busy cores is the bottleneck
  (a single page opened meanwhile showed its table in 18 s).
- A single page alone: 8-18 s to the first table.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kamlib.workshop import serve  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
WAIT_FOR_CULLING = True
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        # 20 pages in one browser: keep the ones not in front rendering like a real
        # participant's own screen (Chromium throttles background pages otherwise)
        "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows"]


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc] + proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def kernels(pid: int) -> int:
    """Kernel processes under the Voilà server."""
    n = 0
    for p in _tree(psutil.Process(pid))[1:]:
        try:
            if "ipykernel_launcher" in " ".join(p.cmdline()):
                n += 1
        except psutil.NoSuchProcess:
            pass
    return n


def rss_mb(pid: int) -> float:
    total = 0
    for p in _tree(psutil.Process(pid)):
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


class Sampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0.0, False

    def run(self):
        while not self.stop:
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.5)


async def participants(url: str, n: int, timeout_ms: int) -> tuple[list[float], object]:
    from playwright.async_api import async_playwright

    pw = await async_playwright().start()
    browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    contexts = [await browser.new_context(viewport={"width": 1280, "height": 900})
                for _ in range(n)]
    pages = [await c.new_page() for c in contexts]
    errors: list[str] = []
    for i, p in enumerate(pages[:2]):  # what the first pages' consoles say, if they fail
        p.on("console", lambda m, i=i: errors.append(f"page {i + 1}: {m.type}: {m.text}")
             if m.type == "error" else None)
        p.on("pageerror", lambda e, i=i: errors.append(f"page {i + 1}: {e}"))

    t_start = time.perf_counter()

    async def one(i, page) -> float:
        t0 = time.perf_counter()
        await page.goto(url, timeout=timeout_ms, wait_until="commit")
        t_page = time.perf_counter() - t0
        await page.wait_for_selector(".kam-key-table table", timeout=timeout_ms)
        t = time.perf_counter() - t0
        print(f"  participant {i + 1}: page answered after {t_page:.1f} s, table after "
              f"{t:.1f} s (at {time.perf_counter() - t_start:.1f} s)", flush=True)
        return t

    times = await asyncio.gather(*(one(i, p) for i, p in enumerate(pages)),
                                 return_exceptions=True)
    for e in errors[:10]:
        print("  console:", e[:300], flush=True)
    return times, (pw, browser, contexts, pages)


async def close_all(handles, half: int) -> None:
    pw, browser, contexts, pages = handles
    for p in pages[:half]:  # the normal way: unload handlers run
        await p.close(run_before_unload=True)
    await asyncio.sleep(1.0)
    await browser.close()  # the rest: gone without a goodbye
    await pw.stop()


def run_one(n: int, preheat: int, port: int, cull_idle: int, cull_interval: int,
            timeout_s: int) -> dict:
    proc, url = serve.start("sample", port, preheat=preheat, cull_idle=cull_idle,
                            cull_interval=cull_interval,
                            log=ROOT / "build" / "workshop" / f"bench_voila_{preheat}.log",
                            decisions_file="/tmp/kam-bench-decisions.toml")
    try:
        if preheat:  # let the pool fill (and execute the notebook) before the room arrives
            t0 = time.perf_counter()
            while kernels(proc.pid) < preheat and time.perf_counter() - t0 < 300:
                time.sleep(1)
            time.sleep(20)
        return asyncio.run(_scenario(proc.pid, url, n, preheat, cull_idle, cull_interval,
                                     timeout_s))
    finally:
        proc.terminate()
        proc.wait(timeout=60)


async def _scenario(pid, url, n, preheat, cull_idle, cull_interval, timeout_s) -> dict:
    base_mb = rss_mb(pid)
    sampler = Sampler(pid)
    sampler.start()
    t0 = time.perf_counter()
    times, handles = await participants(url, n, timeout_s * 1000)
    wall = time.perf_counter() - t0
    ok = [t for t in times if isinstance(t, float)]
    failed = [repr(t)[:160] for t in times if not isinstance(t, float)]
    open_kernels = kernels(pid)
    await asyncio.sleep(2)
    sampler.stop = True
    sampler.join()
    await close_all(handles, n // 2)
    await asyncio.sleep(5)
    after_close = kernels(pid)
    deadline = time.perf_counter() + cull_idle + 2 * cull_interval + 5
    while WAIT_FOR_CULLING and time.perf_counter() < deadline and kernels(pid) > preheat:
        await asyncio.sleep(2)
    return {"participants": n, "preheat": preheat, "ok": len(ok), "failed": failed,
            "first_table_s": ok, "wall_s": wall, "kernels_open": open_kernels,
            "rss_before_mb": base_mb, "rss_peak_mb": sampler.peak,
            "kernels_after_close": after_close, "kernels_after_cull": kernels(pid),
            "rss_after_cull_mb": rss_mb(pid)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--participants", type=int, default=20)
    ap.add_argument("--preheat", type=int, nargs="*", default=[0, 5])
    ap.add_argument("--port", type=int, default=8877)
    ap.add_argument("--cull-idle", type=int, default=30)
    ap.add_argument("--cull-interval", type=int, default=10)
    ap.add_argument("--timeout", type=int, default=600, help="seconds per page")
    ap.add_argument("--no-cull-wait", action="store_true",
                    help="do not wait for the culling (the last kernel count is then "
                         "'not measured')")
    a = ap.parse_args(argv)
    global WAIT_FOR_CULLING
    WAIT_FOR_CULLING = not a.no_cull_wait
    for ph in a.preheat:
        r = run_one(a.participants, ph, a.port, a.cull_idle, a.cull_interval, a.timeout)
        t = sorted(r["first_table_s"])
        line = (f"preheat {ph}: {r['ok']}/{r['participants']} pages showed the table; "
                f"time to first table median {statistics.median(t):.1f} s, "
                f"fastest {t[0]:.1f} s, slowest {t[-1]:.1f} s; " if t else
                f"preheat {ph}: no page showed the table; ")
        line += (f"kernels open {r['kernels_open']}; RSS server+kernels "
                 f"{r['rss_before_mb']:.0f} MB before, peak {r['rss_peak_mb']:.0f} MB "
                 f"({(r['rss_peak_mb'] - r['rss_before_mb']) / max(r['ok'], 1):.0f} MB per "
                 f"participant); after closing ({a.participants // 2} normally, the rest "
                 f"killed): {r['kernels_after_close']} kernels left; after culling "
                 f"({a.cull_idle} s idle): {r['kernels_after_cull']} kernels, "
                 f"{r['rss_after_cull_mb']:.0f} MB")
        print(line, flush=True)
        for f in r["failed"]:
            print("  failed:", f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
