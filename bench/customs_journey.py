"""Benchmark: the customs officer's journey (F-40: scan/type → check carnet → check goods →
commit → receipt) over HTTP against gunicorn + PostgreSQL + Redis.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_desk \\
    REDIS_URL=redis://127.0.0.1:6379/8 \\
    .venv/bin/python bench/customs_journey.py            # resets bench_desk!

It (re)creates the schema of the database named in DATABASE_URL (never point it at data you
keep), loads the demo administrations, issues one carnet + travel per journey (each gives a
validation voucher for the Swiss office), opens one server-side session per virtual officer,
starts gunicorn, then runs four phases with the same load generator:

1. 10 officers, with think time (locust-style users: a random pause of THINK seconds, uniform
   0.5–1.5 s by default, before every action the officer takes), for --duration seconds;
2. the same with 50 officers → requests/s, p50/p95 per step, errors;
3. saturation: 50 officers in a closed loop without think time → the step throughput;
4. the bare Flask route /healthz, 50 connections in a closed loop, same server, same
   generator → the ratio to beat (3 / 4); then, the same way, two reference routes of
   bench/reference_wsgi.py: one `SELECT 1` through the app's session, and the officer's
   session check alone — the floors under any desk step.

Then the bytes of every step as htmx fragment vs full page, and the first page with its assets
(--bytes-only: only that, with two vouchers and one gunicorn worker, no load phase).

The load generator shares the two cores with the server and PostgreSQL, so it is kept cheap:
--procs processes (default 2), each an asyncio loop speaking HTTP/1.1 on one keep-alive
connection per officer (no HTTP library), about 0.1 ms of CPU per request. An officer's
journey is what the browser sends: step 1 (the first time the full page, then the htmx
fragment), the office's last transactions (loaded by step 1), the look-up POST (303) and
step 2 (htmx follows the redirect), step 2's general list and history (loaded after it),
step 3, step 3's "Next: commit" POST (303) and step 4, the commit POST (303) and the
receipt, then the receipt's QR image. htmx requests carry HX-Request, the CSRF header and X-Desk-Panel
as scan.js does. Every journey commits.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import html
import multiprocessing as mp
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from urllib.parse import quote_plus

import requests
from sqlalchemy import create_engine, text

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

from nics_issue import free_port, pct  # noqa: E402

HOST = "customs-ch.eata.test"
INSTANCE = "/tmp/eata-bench-desk"
ENV = {"EATA_DOMAIN": "eata.test", "EATA_INSTANCE_DIR": INSTANCE, "RATELIMIT_ENABLED": "0"}
STEPS = (
    "1 scan page",
    "1 recent list",
    "1 look-up (POST)",
    "2 check carnet",
    "2 lists",
    "3 check goods",
    "3 next (POST)",
    "4 commit form",
    "4 commit (POST)",
    "5 receipt",
    "5 receipt QR",
)
MARKS = re.compile(r'name="(marks_\d+)" value="([^"]*)"')


def prepare(url: str, journeys: int, officers: int) -> tuple[list[tuple[int, str]], list[str]]:
    """Fresh schema and data; returns ([(eata_id, code)], [session cookie per officer])."""
    if not url.startswith("postgresql") or url.rsplit("/", 1)[-1] in ("test", "eata"):
        raise SystemExit("DATABASE_URL must name a PostgreSQL bench database (bench_desk)")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    os.environ.update(ENV)
    from portal import create_app
    from portal.domain.refdata import load_reference_data
    from portal.domain.sessions import open_session
    from portal.domain.vouchers import code_of
    from portal.extensions import db
    from portal.migrate import upgrade
    from tests.support.factory import issue, make_world, travel, voucher

    app = create_app({"DATABASE_URL": url})
    upgrade(url)
    codes, cookies = [], []
    with app.app_context(), db.new_session() as s:
        load_reference_data(s)
        world = make_world(s)
        t0 = time.time()
        for _ in range(journeys):
            carnet = issue(world, items=5)
            v = voucher(world, travel(world, carnet, "CH", "FR"), "validation")
            codes.append((carnet.eata_id, code_of(v)))
        print(f"prepared {journeys} vouchers in {time.time() - t0:.1f} s", flush=True)
        account = world.officer("ch").account
        serializer = app.session_interface.get_signing_serializer(app)
        for _ in range(officers):
            us = open_session(s, account)
            s.commit()
            cookies.append(serializer.dumps({"_user_id": f"c:{us.id}", "_fresh": True}))
        cookie_name = app.config["SESSION_COOKIE_NAME"]
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return codes, [f"{cookie_name}={c}" for c in cookies]


def start_gunicorn(port: int, workers: int, threads: int) -> subprocess.Popen:
    env = {**os.environ, **ENV}
    # wsgi:app plus the reference routes /bench/one-query and /bench/signed-in
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(workers),
        "--threads",
        str(threads),
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--keep-alive",
        "5",
        "bench.reference_wsgi:app",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    for _ in range(150):
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except requests.RequestException:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGTERM)
    raise SystemExit("gunicorn did not start")


# --- the load generator: one asyncio loop per process, one keep-alive connection per officer --


class Conn:
    """HTTP/1.1 over one keep-alive connection; reconnects when the server closed it."""

    def __init__(self, port: int):
        self.port, self.reader, self.writer = port, None, None

    async def request(self, method: str, path: str, headers: dict, body: bytes = b""):
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            head = [f"{method} {path} HTTP/1.1", f"Host: {HOST}"]
            head += [f"{k}: {v}" for k, v in headers.items()]
            if method == "POST":
                head += [
                    "Content-Type: application/x-www-form-urlencoded",
                    f"Content-Length: {len(body)}",
                ]
            try:
                self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
                raw = await self.reader.readuntil(b"\r\n\r\n")
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt == 2:
                    raise
                continue
            lines = raw.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            hdrs: dict[str, list[str]] = defaultdict(list)
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    hdrs[k.strip().lower()].append(v.strip())
            length = int(hdrs.get("content-length", ["0"])[0])
            data = await self.reader.readexactly(length) if length else b""
            if "close" in hdrs.get("connection", [""])[0].lower():
                self.close()
            return status, hdrs, data
        raise RuntimeError("unreachable")

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Officer:
    """One officer's browser: session cookie, CSRF token, the carnet panel shown."""

    def __init__(self, port: int, cookie: str, think: float, rng: random.Random, results: list):
        self.conn, self.cookie, self.csrf, self.panel = Conn(port), cookie, "", ""
        self.think, self.rng, self.results = think, rng, results

    async def pause(self):
        if self.think:
            await asyncio.sleep(self.think * self.rng.uniform(0.5, 1.5))

    async def call(self, step, method, path, data=None, htmx=True, expect=200):
        headers = {"Cookie": self.cookie, "Accept-Encoding": "identity"}
        if htmx:
            headers.update({"HX-Request": "true", "X-Desk-Panel": self.panel})
        if method == "POST":
            headers["X-CSRFToken"] = self.csrf
        body = "&".join(f"{k}={v}" for k, v in (data or {}).items()).encode()
        t0 = time.perf_counter()
        try:
            status, hdrs, payload = await self.conn.request(method, path, headers, body)
        except Exception as e:  # noqa: BLE001 — counted and shown
            self.results.append((step, time.perf_counter() - t0, False, 0))
            raise RuntimeError(f"{step}: {e!r}") from e
        self.results.append((step, time.perf_counter() - t0, status == expect, len(payload)))
        name = self.cookie.split("=", 1)[0]
        for h in hdrs.get("set-cookie", []):
            pair = h.split(";", 1)[0]
            if pair.split("=", 1)[0] == name:
                self.cookie = pair
        if status != expect:
            raise RuntimeError(f"{step}: {status} {payload[:200]!r}")
        return hdrs, payload.decode()

    async def journey(self, eata_id: int, code: str) -> None:
        first = not self.csrf
        _, page = await self.call("1 scan page", "GET", "/transactions/new", htmx=not first)
        if first:
            self.csrf = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
        self.panel = ""
        office = re.search(r'<option value="(\d+)" selected', page).group(1)
        await self.call("1 recent list", "GET", f"/transactions/recent?office_id={office}")
        await self.pause()  # types or scans the codes
        hdrs, _ = await self.call(
            "1 look-up (POST)",
            "POST",
            "/transactions/new",
            {"carnet": eata_id, "code": code, "office_id": office},
            expect=303,
        )
        step2 = hdrs["location"][0]
        base = step2.rsplit("/", 1)[0]
        _, page = await self.call("2 check carnet", "GET", step2)
        self.panel = re.search(r'data-key="(\d+)"', page).group(1)
        await self.call("2 lists", "GET", base + "/lists")  # loaded by htmx after the step
        await self.pause()
        _, page = await self.call("3 check goods", "GET", base + "/goods")
        await self.pause()
        # "Next: commit" posts step 3's form (its marks as shown) and follows the 303
        form = {k: quote_plus(html.unescape(v)) for k, v in MARKS.findall(page)}
        hdrs, _ = await self.call(
            "3 next (POST)", "POST", base + "/goods", {**form, "action": "next"}, expect=303
        )
        await self.call("4 commit form", "GET", hdrs["location"][0])
        await self.pause()
        hdrs, _ = await self.call(
            "4 commit (POST)", "POST", base + "/commit", {"goods_examined": "no"}, expect=303
        )
        receipt = hdrs["location"][0]
        await self.call("5 receipt", "GET", receipt)
        await self.call("5 receipt QR", "GET", receipt.replace("/receipt", "/qr.svg"))
        await self.pause()  # "New transaction"


async def _officers(port, jobs, think, duration, seed):
    """jobs: [(cookie, [(eata_id, code)…])] of this process. Returns (results, errors)."""
    results, errors = [], []
    deadline = time.perf_counter() + duration

    async def run(cookie, codes, i):
        o = Officer(port, cookie, think, random.Random(seed * 1000 + i), results)
        if think:  # officers do not all arrive in the same second
            await asyncio.sleep(o.rng.uniform(0, think * 2))
        for eata_id, code in codes:
            if time.perf_counter() > deadline:
                break
            try:
                await o.journey(eata_id, code)
            except Exception as e:  # noqa: BLE001
                errors.append(str(e)[:300])
                o.csrf = ""  # start again from a full page
        o.conn.close()

    await asyncio.gather(*(run(c, codes, i) for i, (c, codes) in enumerate(jobs)))
    return results, errors


async def _bare(port, connections, duration, path="/healthz", cookie=""):
    """A reference route in a closed loop (the bare route, or one of reference_wsgi's)."""
    results, errors = [], []
    deadline = time.perf_counter() + duration
    headers = {"Cookie": cookie} if cookie else {}

    async def loop():
        c = Conn(port)
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                status, _, data = await c.request("GET", path, headers)
                results.append((f"ref {path}", time.perf_counter() - t0, status == 200, len(data)))
            except Exception as e:  # noqa: BLE001
                errors.append(str(e))
        c.close()

    await asyncio.gather(*(loop() for _ in range(connections)))
    return results, errors


def _child(kind, args, out):
    out.put(asyncio.run(_officers(*args) if kind == "officers" else _bare(*args)))


SERVER_PIDS: list[int] = []


def _cpu_of(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by these processes (from /proc)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


def _pg_cpu(url: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving the bench database."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            pids = conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = "
                    "current_database() AND pid <> pg_backend_pid()"
                )
            ).scalars()
            return {pid: _cpu_of([pid]) for pid in pids}
    finally:
        engine.dispose()


def _server_pids(root: int) -> list[int]:
    out = subprocess.run(["pgrep", "-g", str(root)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def run_phase(kind: str, per_proc_args: list[tuple]) -> tuple[list, list, float]:
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=_child, args=(kind, a, q)) for a in per_proc_args]
    server0, gen0 = _cpu_of(SERVER_PIDS), os.times()
    pg0 = _pg_cpu(os.environ["DATABASE_URL"])
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    results, errors = [], []
    for _ in procs:
        r, e = q.get()
        results += r
        errors += e
    wall = time.perf_counter() - t0
    for p in procs:
        p.join()
    gen1 = os.times()
    pg1 = _pg_cpu(os.environ["DATABASE_URL"])
    CPU["postgres"] = sum(v - pg0.get(pid, 0.0) for pid, v in pg1.items())
    CPU["server"] = _cpu_of(SERVER_PIDS) - server0
    CPU["generator"] = (
        gen1.children_user + gen1.children_system - gen0.children_user - gen0.children_system
    )
    return results, errors, wall


CPU: dict[str, float] = {}


def officers_phase(port, cookies, codes, think, duration, procs, seed=1):
    n = len(cookies)
    per = len(codes) // n
    jobs = [(cookies[i], codes[i * per : (i + 1) * per]) for i in range(n)]
    args = [(port, jobs[k::procs], think, duration, seed + k) for k in range(procs)]
    return run_phase("officers", args)


def summary(title: str, results, errors, wall, load) -> float:
    by_step = defaultdict(list)
    for step, elapsed, ok, size in results:
        by_step[step].append((elapsed * 1000, ok, size))
    # requests/s over the time the officers were working (the last journeys end unevenly)
    rate = len(results) / wall
    bad = sum(1 for r in results if not r[2]) + len(errors)
    commits = len(by_step.get("4 commit (POST)", []))
    print(
        f"\n{title}: {len(results)} requests in {wall:.1f} s = {rate:.1f} req/s, "
        f"{commits} journeys ({commits / wall:.2f}/s); errors {bad}; "
        f"load average before/after {load[0]:.2f} / {load[1]:.2f}"
    )
    for step in [s for s in STEPS if s in by_step] + [s for s in by_step if s not in STEPS]:
        ms = [m for m, _, _ in by_step[step]]
        print(
            f"  {step:17s} n={len(ms):5d}  p50 {pct(ms, 50):6.1f} ms  p95 {pct(ms, 95):6.1f} ms"
            f"  max {max(ms):7.1f} ms  errors {sum(1 for _, ok, _ in by_step[step] if not ok)}"
            f"  bytes {statistics.mean(s for _, _, s in by_step[step]):.0f}"
        )
    n = max(len(results), 1)
    print(
        f"  CPU per request: gunicorn workers {1000 * CPU['server'] / n:.2f} ms, PostgreSQL "
        f"backends {1000 * CPU['postgres'] / n:.2f} ms, load generator "
        f"{1000 * CPU['generator'] / n:.2f} ms (of {CPU['server']:.1f} + {CPU['postgres']:.1f}"
        f" + {CPU['generator']:.1f} s; Redis and the machine's other users not counted)"
    )
    for e in errors[:3]:
        print("  error:", e)
    return rate


def page_weight(base: str, cookie: str, codes) -> None:
    """Bytes per step, htmx fragment vs full page, and the first page with its assets."""
    http = requests.Session()
    hdr = {"Host": HOST, "Cookie": cookie, "Accept-Encoding": "identity"}

    def get(url, htmx=False, panel=""):
        h = dict(hdr)
        if htmx:
            h.update({"HX-Request": "true", "X-Desk-Panel": panel})
        return http.get(base + url, headers=h, allow_redirects=False)

    first = get("/transactions/new")
    name = cookie.split("=", 1)[0]
    for h in first.raw.headers.getlist("Set-Cookie"):  # the CSRF token went into the session
        if h.split("=", 1)[0] == name:
            hdr["Cookie"] = h.split(";", 1)[0]
    csrf = re.search(r'"X-CSRFToken": "([^"]+)"', first.text).group(1)
    office = re.search(r'<option value="(\d+)" selected', first.text).group(1)
    post = {**hdr, "X-CSRFToken": csrf, "HX-Request": "true"}
    eata_id, code = codes[-1]
    r = http.post(
        base + "/transactions/new",
        headers=post,
        allow_redirects=False,
        data={"carnet": str(eata_id), "code": code, "office_id": office},
    )
    if r.status_code != 303:
        raise SystemExit(f"page weight: look-up answered {r.status_code}: {r.text[:3000]}")
    step2 = r.headers["Location"]
    b = step2.rsplit("/", 1)[0]
    key = re.search(r'data-key="(\d+)"', get(step2).text).group(1)

    def measure(rows):
        for name, url, panel in rows:
            full, frag = get(url), get(url, True, panel)
            if full.status_code != 200 or frag.status_code != 200:
                raise SystemExit(
                    f"page weight: {name} answered {full.status_code} / {frag.status_code}"
                )
            full, frag = full.content, frag.content
            zf, zr = len(gzip.compress(full)), len(gzip.compress(frag))
            print(
                f"  {name:25s} full {len(full):5d} / {zf:4d}   fragment {len(frag):5d} / "
                f"{zr:4d}   ({100 * len(frag) / len(full):.0f} % / {100 * zr / zf:.0f} %)"
            )

    print("\nbytes per step, uncompressed / gzip -6: htmx fragment vs full page")
    # steps 2–4 before the commit (after it, they lead to the receipt)
    measure(
        [
            ("2 check carnet (arrival)", step2, ""),
            ("2 check carnet (back)", step2, key),
            ("3 check goods", b + "/goods", key),
            ("4 commit form", b + "/commit", key),
        ]
    )
    r = http.post(
        base + b + "/commit", headers=post, allow_redirects=False, data={"goods_examined": "no"}
    )
    receipt = r.headers["Location"]
    measure([("5 receipt", receipt, key), ("1 scan (from receipt)", "/transactions/new", key)])
    for name, url in (
        ("recent list (step 1)", f"/transactions/recent?office_id={office}"),
        ("lists (step 2)", b + "/lists"),
        ("hold/reject (step 2)", b + "/actions"),
        ("receipt QR (step 5)", receipt.replace("/receipt", "/qr.svg")),
    ):
        body = get(url, True, key).content
        print(f"  {name:25s} {len(body):5d} / {len(gzip.compress(body)):4d} (own request)")
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', first.text)
    total = len(gzip.compress(first.content))
    print("\nfirst full page + assets, gzip -6:")
    print(f"  /transactions/new {len(first.content)} → {total}")
    for a in assets:
        body = http.get(base + a, headers={"Host": HOST}).content
        z = len(gzip.compress(body))
        total += z
        print(f"  {a} {len(body)} → {z}")
    print(f"  total {total / 1024:.1f} KB (without the scanner library)")
    for a in ("/static/vendor/qr-scanner.umd.min.js", "/static/vendor/qr-scanner-worker.min.js"):
        body = http.get(base + a, headers={"Host": HOST}).content
        z = len(gzip.compress(body))
        total += z
        print(f"  + {a} (on 'Start the camera' only) {len(body)} → {z}")
    print(f"  total with the scanner {total / 1024:.1f} KB")


def bytes_only() -> None:
    """The bytes per step alone: two vouchers, one gunicorn worker, no load (cheap)."""
    codes, cookies = prepare(os.environ.get("DATABASE_URL", ""), 2, 1)
    port = free_port()
    server = start_gunicorn(port, 1, 2)
    try:
        page_weight(f"http://127.0.0.1:{port}", cookies[-1], codes)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--levels", default="10,50", help="concurrent officers with think time")
    ap.add_argument(
        "--think", type=float, default=1.0, help="mean think time in seconds (uniform 0.5×–1.5×)"
    )
    ap.add_argument("--duration", type=float, default=60, help="seconds per think-time phase")
    ap.add_argument("--saturation", type=int, default=50, help="officers in the closed loop")
    ap.add_argument("--sat-duration", type=float, default=30)
    ap.add_argument("--procs", type=int, default=2, help="load generator processes")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument(
        "--sat-journeys", type=int, default=20, help="vouchers per officer, closed loop"
    )
    ap.add_argument(
        "--bytes-only",
        action="store_true",
        help="only the bytes per step (fragment vs full page): no load phases",
    )
    args = ap.parse_args()
    if args.bytes_only:
        bytes_only()
        return
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    # enough vouchers for every officer to go on for the whole phase
    per_think = int(args.duration / (5 * args.think * 0.9) + 2) if args.think else 40
    warmup = (8, 2)  # every gunicorn worker compiles its templates and queries first: not measured
    plan = [warmup] + [(n, per_think) for n in levels] + [(args.saturation, args.sat_journeys)]
    need = sum(n * j for n, j in plan) + 1
    codes, cookies = prepare(os.environ.get("DATABASE_URL", ""), need, max(n for n, _ in plan) + 1)
    port = free_port()
    server = start_gunicorn(port, args.workers, args.threads)
    SERVER_PIDS.extend(_server_pids(server.pid))
    base = f"http://127.0.0.1:{port}"
    try:
        print(
            f"gunicorn -w {args.workers} --threads {args.threads}; load generator: "
            f"{args.procs} processes; think time {args.think} s (uniform "
            f"{args.think * 0.5:.2f}–{args.think * 1.5:.2f} s) before each action"
        )
        offset = 0
        n, journeys = plan[0]
        officers_phase(port, cookies[:n], codes[: n * journeys], 0, 30, args.procs)
        offset = n * journeys
        for n, journeys in plan[1:-1]:
            chunk = codes[offset : offset + n * journeys]
            offset += n * journeys
            load0 = os.getloadavg()[0]
            res, err, wall = officers_phase(
                port, cookies[:n], chunk, args.think, args.duration, min(args.procs, n)
            )
            summary(
                f"{n} officers, think time {args.think} s",
                res,
                err,
                wall,
                (load0, os.getloadavg()[0]),
            )
        n, journeys = plan[-1]
        chunk = codes[offset : offset + n * journeys]
        offset += n * journeys
        load0 = os.getloadavg()[0]
        res, err, wall = officers_phase(port, cookies[:n], chunk, 0, args.sat_duration, args.procs)
        steps_rate = summary(
            f"saturation: {n} officers, closed loop (no think time)",
            res,
            err,
            wall,
            (load0, os.getloadavg()[0]),
        )
        refs = {}
        for path, cookie, what in (
            ("/healthz", "", "bare route /healthz"),
            ("/bench/one-query", "", "one SELECT 1 through the app's session"),
            ("/bench/signed-in", cookies[0], "the officer's session checked, nothing else"),
        ):
            load0 = os.getloadavg()[0]
            per = [
                (
                    port,
                    n // args.procs + (1 if k < n % args.procs else 0),
                    args.sat_duration,
                    path,
                    cookie,
                )
                for k in range(args.procs)
            ]
            res, err, wall = run_phase("bare", per)
            refs[path] = summary(
                f"reference {path} ({what}): {n} connections, closed loop",
                res,
                err,
                wall,
                (load0, os.getloadavg()[0]),
            )
        bare_rate = refs["/healthz"]
        print(
            f"\nratio step throughput / bare route: {steps_rate:.1f} / {bare_rate:.1f} = "
            f"{steps_rate / bare_rate:.2f} (target ≥ 0.25)"
        )
        for path in ("/bench/one-query", "/bench/signed-in"):
            print(
                f"ratio {path} / bare route: {refs[path]:.1f} / {bare_rate:.1f} = "
                f"{refs[path] / bare_rate:.2f}"
            )
        page_weight(base, cookies[-1], codes[offset:])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
