"""N participants open the workshop app at once: time until their key-account table
arrives, memory of the server and its kernels, kernels left after they close.

    .venv/bin/python benchmarks/bench_workshop.py --participants 20

(one command, < 5 minutes on the 2-core machine; it prints a table). For each preheat
setting (``--preheat 0 20``: 0 = a kernel is started and the notebook executed when a
page is opened; N = Voilà keeps N kernels started and the notebook executed ahead of
visitors, ``--preheat_kernel --pool_size N``) this starts ``kam workshop``'s server
on the bundled sample data, with idle kernels culled after ``--cull-idle`` seconds, and
lets N participants open the page at the same moment. Two kinds of participant
(``--client``):

- ``light`` (default): a participant is a few lines of Python in this process doing
  what the page's JavaScript does on the network and nothing else: GET the page (Voilà
  executes the notebook in a new kernel and sends the HTML), read the kernel id from
  it, open the kernel's websocket, ask the widget manager for every widget's state
  (``jupyter.widget.control`` / ``request_states``, as ipywidgets 8's front end does)
  and find the key-account table (the HTML widget with class ``kam-key-table``
  holding a ``<table``). It costs the machine almost nothing, so the time measured is
  the server's: Voilà plus the kernels.
- ``browser``: real headless Chromium pages (Debian's /usr/bin/chromium driven by
  Playwright), ``--browsers K`` separate browser processes sharing the N pages; the
  time is until ``.kam-key-table table`` is in the page's DOM. This adds rendering
  the JupyterLab front end N times on the same 2 cores.

Then half of the participants close the normal way (the page's unload handler posts
``/voila/api/shutdown/<kernel>``; a light client posts it too) and the other half
vanish (websocket dropped, browser killed: a laptop lid closed). Kernels are counted
right after and again after culling. Memory is the resident set (RSS) of the Voilà
server and all its kernels, sampled every 0.5 s; processor time is the CPU seconds of
the server and its kernels (each process's last reading). The load average of the
machine is printed before and after: the machine is shared, so read the times with it.

Measured 2026-12-02 on the shared 2-core machine (load average 20-29 from other jobs),
20 participants, prepared session: light clients, preheat 0: 20/20 tables, median
91 s, max 93 s, 3.6 GB peak, 71 CPU-s; preheat 20: 20/20, 110 / 111 s, 7.1 GB (Voilà
refills the pool while the room is served). Before the prepared session (load 9-18):
110 / 112 s, 4.5 GB. 20 browser pages in one Chromium on the same machine: 0/20 in
300 s (Chromium alone 6.3 GB): the client, not Voilà, was the bottleneck of the
earlier "1 of 20" figure. docs/workshop.md ("How many participants") says what it
means for a room.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kamlib.workshop import serve  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        # several pages in one browser: keep the ones not in front rendering like a
        # participant's own screen (Chromium throttles background pages otherwise)
        "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows"]
KERNEL_ID = re.compile(r'"kernelId"\s*:\s*"([0-9a-f-]{36})"')
TABLE_CLASS = "kam-key-table"
CONTROL_PROTOCOL = "1.0.0"  # ipywidgets 8's jupyter.widget.control


# ----------------------------------------------------------------- the server side

def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree(pid: int) -> list[psutil.Process]:
    try:
        proc = psutil.Process(pid)
        return [proc] + proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _is_kernel(p: psutil.Process) -> bool:
    try:
        return "ipykernel_launcher" in " ".join(p.cmdline())
    except psutil.Error:
        return False


def kernels(pid: int) -> int:
    """Kernel processes under the Voilà server."""
    return sum(_is_kernel(p) for p in _tree(pid)[1:])


def _kernels_cpu(pid: int) -> float:
    total = 0.0
    for p in _tree(pid)[1:]:
        try:
            if _is_kernel(p):
                t = p.cpu_times()
                total += t.user + t.system
        except psutil.Error:
            pass
    return total


def rss_mb(pid: int) -> float:
    total = 0
    for p in _tree(pid):
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


class Sampler(threading.Thread):
    """Peak RSS of the server tree and each process's last CPU seconds, every 0.5 s;
    ``cpu_seconds``: what the tree spent since the sampler started."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop, self.cpu = pid, 0.0, False, {}
        self.cpu0 = self._now()

    def _now(self) -> dict:
        out = {}
        for p in _tree(self.pid):
            try:
                t = p.cpu_times()
                out[p.pid] = t.user + t.system
            except psutil.Error:
                pass
        return out

    def run(self):
        while not self.stop:
            self.peak = max(self.peak, rss_mb(self.pid))
            self.cpu.update(self._now())
            time.sleep(0.5)

    @property
    def cpu_seconds(self) -> float:
        return sum(v - self.cpu0.get(pid, 0.0) for pid, v in self.cpu.items())

    @property
    def server_cpu_seconds(self) -> float:
        """Of :attr:`cpu_seconds`, the Voilà server's own (the rest: the kernels)."""
        return self.cpu.get(self.pid, 0.0) - self.cpu0.get(self.pid, 0.0)


# ----------------------------------------------------------------- light clients

def _msg(msg_type: str, content: dict, session: str, metadata: dict | None = None) -> str:
    return json.dumps({
        "header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "bench",
                   "session": session, "date": "", "version": "5.3"},
        "parent_header": {}, "metadata": metadata or {}, "content": content,
        "channel": "shell",
        "buffers": []})


def _has_table(states: dict) -> bool:
    for st in states.values():
        s = st.get("state", {})
        if TABLE_CLASS in (s.get("_dom_classes") or ()) and "<table" in str(s.get("value", "")):
            return True
    return False


class LightParticipant:
    """One participant without a browser (see the module docstring)."""

    def __init__(self, base: str, i: int):
        self.base, self.i = base.rstrip("/"), i
        self.kernel_id = self.ws = self.xsrf = None
        self.t_page = self.t_table = None
        self.goodbye_status = None

    async def open(self, timeout: float, t_start: float) -> float:
        from tornado.httpclient import AsyncHTTPClient
        from tornado.websocket import websocket_connect

        t0 = time.perf_counter()
        resp = await AsyncHTTPClient().fetch(self.base + "/", request_timeout=timeout,
                                             connect_timeout=timeout)
        self.t_page = time.perf_counter() - t0
        m = KERNEL_ID.search(resp.body.decode("utf-8", "replace"))
        if not m:
            raise RuntimeError("no kernel id in the page")
        self.kernel_id = m.group(1)
        for c in resp.headers.get_list("Set-Cookie"):  # a POST needs the page's _xsrf
            if c.startswith("_xsrf="):
                self.xsrf = c.split(";", 1)[0].split("=", 1)[1]
        session = uuid.uuid4().hex
        ws_url = (self.base.replace("http", "ws", 1)
                  + f"/api/kernels/{self.kernel_id}/channels?session_id={session}")
        self.ws = await websocket_connect(ws_url, connect_timeout=timeout,
                                          max_message_size=200 * 2**20)
        comm = uuid.uuid4().hex
        await self.ws.write_message(_msg("comm_open", {
            "comm_id": comm, "target_name": "jupyter.widget.control", "data": {}},
            session, {"version": CONTROL_PROTOCOL}))
        await self.ws.write_message(_msg("comm_msg", {
            "comm_id": comm, "data": {"method": "request_states"}}, session))
        deadline = t0 + timeout
        while time.perf_counter() < deadline:
            raw = await asyncio.wait_for(self.ws.read_message(),
                                         max(1.0, deadline - time.perf_counter()))
            if raw is None:
                raise RuntimeError("the kernel's websocket closed")
            if isinstance(raw, bytes):
                continue
            m = json.loads(raw)
            data = m.get("content", {}).get("data", {}) if m.get("msg_type") == "comm_msg" \
                else {}
            if data.get("method") == "update_states":
                if not _has_table(data.get("states", {})):
                    raise RuntimeError("the widgets arrived without the key-account table")
                self.t_table = time.perf_counter() - t0
                print(f"  participant {self.i + 1}: page after {self.t_page:.1f} s, table "
                      f"after {self.t_table:.1f} s (at {time.perf_counter() - t_start:.1f} s)",
                      flush=True)
                return self.t_table
        raise TimeoutError("no widget state in time")

    async def close(self, goodbye: bool) -> None:
        from tornado.httpclient import AsyncHTTPClient

        if goodbye and self.kernel_id:  # what the page's beforeunload handler does
            headers = ({"Cookie": f"_xsrf={self.xsrf}", "X-XSRFToken": self.xsrf}
                       if self.xsrf else {})
            try:
                r = await AsyncHTTPClient().fetch(
                    f"{self.base}/voila/api/shutdown/{self.kernel_id}", method="POST",
                    body=b"", headers=headers, request_timeout=60, raise_error=False)
                self.goodbye_status = r.code
            except Exception as exc:  # noqa: BLE001 - counted as a kernel left
                self.goodbye_status = repr(exc)[:60]
        if self.ws is not None:
            self.ws.close()


async def light_room(url: str, n: int, timeout: float):
    from tornado.httpclient import AsyncHTTPClient

    AsyncHTTPClient.configure(None, max_clients=max(10, 2 * n))
    room = [LightParticipant(url, i) for i in range(n)]
    t_start = time.perf_counter()
    times = await asyncio.gather(*(p.open(timeout, t_start) for p in room),
                                 return_exceptions=True)

    async def close_all():
        await asyncio.gather(*(p.close(goodbye=k < n // 2) for k, p in enumerate(room)))
        codes = [p.goodbye_status for p in room[:n // 2]]
        print(f"  shutdown requests of the {n // 2} closed normally answered: "
              f"{sorted(set(map(str, codes)))}", flush=True)

    return times, close_all


# ----------------------------------------------------------------- browsers

async def browser_room(url: str, n: int, timeout: float, n_browsers: int):
    from playwright.async_api import async_playwright

    pw = await async_playwright().start()
    browsers = [await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for _ in range(max(1, min(n_browsers, n)))]
    contexts = [await browsers[i % len(browsers)].new_context(
        viewport={"width": 1280, "height": 900}) for i in range(n)]
    pages = [await c.new_page() for c in contexts]
    t_start = time.perf_counter()

    async def one(i, page) -> float:
        t0 = time.perf_counter()
        await page.goto(url, timeout=timeout * 1000, wait_until="commit")
        t_page = time.perf_counter() - t0
        await page.wait_for_selector(f".{TABLE_CLASS} table", timeout=timeout * 1000)
        t = time.perf_counter() - t0
        print(f"  participant {i + 1}: page after {t_page:.1f} s, table after {t:.1f} s "
              f"(at {time.perf_counter() - t_start:.1f} s)", flush=True)
        return t

    times = await asyncio.gather(*(one(i, p) for i, p in enumerate(pages)),
                                 return_exceptions=True)

    async def close_all():
        for p in pages[:n // 2]:  # the normal way: unload handlers run
            try:
                await p.close(run_before_unload=True)
            except Exception:  # noqa: BLE001
                pass
        await asyncio.sleep(1.0)
        for b in browsers:  # the rest: gone without a goodbye
            await b.close()
        await pw.stop()

    return times, close_all


# ----------------------------------------------------------------- one run

def run_one(n: int, preheat: int, client: str, *, port: int, cull_idle: int,
            cull_interval: int, timeout: float, browsers: int, wait_cull: bool,
            prepare: bool = True) -> dict:
    log = ROOT / "build" / "workshop" / f"bench_voila_{client}_{preheat}.log"
    port = port or _free_port()
    t_serve = time.perf_counter()
    proc, url = serve.start("sample", port, preheat=preheat, cull_idle=cull_idle,
                            cull_interval=cull_interval, log=log, prepare=prepare,
                            decisions_file="/tmp/kam-bench-decisions.toml")
    r_prepare = time.perf_counter() - t_serve
    r = {"participants": n, "preheat": preheat, "client": client,
         "load_before": os.getloadavg()[0], "prepared": prepare,
         "server_up_s": r_prepare}
    try:
        if preheat:  # let the pool fill (and execute the notebook) before the room arrives
            while kernels(proc.pid) < preheat and time.perf_counter() - t_serve < 240:
                time.sleep(1)
            # executed = the kernels' processor time has stopped growing (3 × 2 s)
            last, quiet = -1.0, 0
            while time.perf_counter() - t_serve < 300 and quiet < 3:
                cpu = _kernels_cpu(proc.pid)
                quiet = quiet + 1 if cpu - last < 0.3 else 0
                last = cpu
                time.sleep(2)
            r["pool_ready_s"] = time.perf_counter() - t_serve
        r.update(asyncio.run(_scenario(proc.pid, url, n, client, cull_idle, cull_interval,
                                       timeout, browsers, wait_cull, preheat)))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except Exception:  # noqa: BLE001
            proc.kill()
    r["load_after"] = os.getloadavg()[0]
    return r


async def _scenario(pid, url, n, client, cull_idle, cull_interval, timeout, browsers,
                    wait_cull, preheat) -> dict:
    base_mb = rss_mb(pid)
    sampler = Sampler(pid)
    sampler.start()
    t0 = time.perf_counter()
    if client == "light":
        times, close_all = await light_room(url, n, timeout)
    else:
        times, close_all = await browser_room(url, n, timeout, browsers)
    wall = time.perf_counter() - t0
    ok = [t for t in times if isinstance(t, float)]
    failed = [repr(t)[:160] for t in times if not isinstance(t, float)]
    open_kernels = kernels(pid)
    await asyncio.sleep(1)
    sampler.stop = True
    sampler.join()
    await close_all()
    await asyncio.sleep(5)
    after_close = kernels(pid)
    t_close = time.perf_counter()
    deadline = t_close + cull_idle + 2 * cull_interval + 10
    while wait_cull and time.perf_counter() < deadline and kernels(pid) > preheat:
        await asyncio.sleep(2)
    return {"ok": len(ok), "failed": failed, "first_table_s": ok, "wall_s": wall,
            "kernels_open": open_kernels, "rss_before_mb": base_mb,
            "rss_peak_mb": sampler.peak, "cpu_s": sampler.cpu_seconds,
            "server_cpu_s": sampler.server_cpu_seconds,
            "kernels_after_close": after_close,
            "kernels_after_cull": kernels(pid) if wait_cull else None,
            "cull_s": time.perf_counter() - t_close, "rss_after_cull_mb": rss_mb(pid)}


def table(rows: list[dict], cull_idle: int) -> str:
    head = ("| client | preheat | participants | tables shown | first table median / max "
            "(s) | server+kernels RSS peak (MB) | MB per participant | CPU (s): all / Voilà "
            "server | kernels "
            f"after close | after culling ({cull_idle} s idle) | load avg before/after |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        t = sorted(r["first_table_s"])
        times = f"{statistics.median(t):.1f} / {t[-1]:.1f}" if t else "-"
        per = (r["rss_peak_mb"] - r["rss_before_mb"]) / max(r["ok"], 1)
        culled = "not measured" if r["kernels_after_cull"] is None else \
            f"{r['kernels_after_cull']} ({r['cull_s']:.0f} s)"
        lines.append(
            f"| {r['client']} | {r['preheat']} | {r['participants']} | {r['ok']} | {times} | "
            f"{r['rss_peak_mb']:,.0f} | {per:.0f} | {r['cpu_s']:.0f} / "
            f"{r['server_cpu_s']:.0f} | "
            f"{r['kernels_after_close']} | {culled} | "
            f"{r['load_before']:.1f} / {r['load_after']:.1f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--participants", type=int, default=20)
    ap.add_argument("--preheat", type=int, nargs="*", default=None,
                    help="pool sizes to measure (default: 0 and the number of participants)")
    ap.add_argument("--client", choices=("light", "browser"), nargs="*", default=["light"])
    ap.add_argument("--browsers", type=int, default=1,
                    help="browser processes sharing the pages (--client browser)")
    ap.add_argument("--port", type=int, default=0, help="0: a free port for each run")
    ap.add_argument("--cull-idle", type=int, default=45,
                    help="seconds (short, to measure culling; kam workshop uses 900: a "
                         "preheated kernel is idle from its start until its page connects)")
    ap.add_argument("--cull-interval", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=240, help="seconds per participant")
    ap.add_argument("--no-prepare", action="store_true",
                    help="do not prepare the data on disk first: every kernel loads and "
                         "computes it (the app before the prepared file)")
    ap.add_argument("--no-cull-wait", action="store_true",
                    help="do not wait for the culling ('not measured')")
    ap.add_argument("--json", default=str(ROOT / "build" / "workshop" / "bench_workshop.json"))
    a = ap.parse_args(argv)
    preheats = a.preheat if a.preheat is not None else [0, a.participants]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"({psutil.cpu_count()} cores)", flush=True)
    rows = []
    for client in a.client:
        for ph in preheats:
            print(f"{client} clients, preheat {ph}:", flush=True)
            r = run_one(a.participants, ph, client, port=a.port, cull_idle=a.cull_idle,
                        cull_interval=a.cull_interval, timeout=a.timeout,
                        browsers=a.browsers, wait_cull=not a.no_cull_wait,
                        prepare=not a.no_prepare)
            print(f"  server up (data prepared: {r['prepared']}) after "
                  f"{r['server_up_s']:.0f} s", flush=True)
            if "pool_ready_s" in r:
                print(f"  the pool of {ph} was ready {r['pool_ready_s']:.0f} s after the "
                      "server started", flush=True)
            for f in r["failed"]:
                print("  failed:", f, flush=True)
            rows.append(r)
    print()
    print(table(rows, a.cull_idle))
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
