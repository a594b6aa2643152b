"""Benchmark: the customs officer's journey (F-40: scan/type → check carnet → check goods →
commit → receipt) over HTTP against gunicorn + PostgreSQL + Redis, at 10 and 50 concurrent
officers, with a bare Flask route (/healthz) served the same way as the ratio to beat.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_desk \\
    REDIS_URL=redis://127.0.0.1:6379/8 \\
    /work/main/.venv/bin/python bench/customs_journey.py --journeys 8

It (re)creates the schema of the database named in DATABASE_URL (never point it at data you
keep), loads the demo administrations, issues one carnet + travel per journey (each gives a
validation voucher for the Swiss office), opens one server-side session per virtual officer,
starts gunicorn, and runs the journeys from a pool of threads (one thread = one officer, each
with its own session cookie). Every journey commits. The step requests are htmx requests
(HX-Request), as in the browser; the first page of each officer is the full page. It then
prints requests/s, p50/p95 per step, errors, the bytes of each step as fragment vs full page,
and the first full page with its assets gzip-compressed.
"""
from __future__ import annotations

import argparse
import gzip
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import create_engine, text

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

from nics_issue import free_port, pct  # noqa: E402

HOST = "customs-ch.eata.test"
INSTANCE = "/tmp/eata-bench-desk"
ENV = {"EATA_DOMAIN": "eata.test", "EATA_INSTANCE_DIR": INSTANCE, "RATELIMIT_ENABLED": "0"}


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
    from tests.unit.engine.factory import issue, make_world, travel, voucher

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
    return codes, [f"{cookie_name}={c}" for c in cookies]


def start_gunicorn(port: int, workers: int, threads: int) -> subprocess.Popen:
    env = {**os.environ, **ENV}
    cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", str(threads),
           "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    for _ in range(150):
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except requests.RequestException:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGTERM)
    raise SystemExit("gunicorn did not start")


class Officer:
    """One officer's browser: a session cookie, the CSRF token of the page, htmx headers."""

    def __init__(self, base: str, cookie: str, stats, sizes, lock):
        self.base, self.http = base, requests.Session()
        self.cookie, self.csrf = cookie, ""
        self.stats, self.sizes, self.lock = stats, sizes, lock

    def _update_cookie(self, resp) -> None:
        for header in resp.raw.headers.getlist("Set-Cookie"):
            pair = header.split(";", 1)[0]
            if pair.split("=", 1)[0] == self.cookie.split("=", 1)[0]:
                self.cookie = pair

    def call(self, step: str, method: str, path: str, data=None, htmx=True, expect=200):
        headers = {"Host": HOST, "Cookie": self.cookie, "Accept-Encoding": "identity"}
        if htmx:
            headers["HX-Request"] = "true"
        if method == "POST":
            headers["X-CSRFToken"] = self.csrf
        t0 = time.perf_counter()
        resp = self.http.request(method, self.base + path, data=data, headers=headers,
                                 allow_redirects=False, timeout=60)
        elapsed = time.perf_counter() - t0
        self._update_cookie(resp)
        ok = resp.status_code == expect
        with self.lock:
            self.stats[step].append((elapsed, ok))
            self.sizes[step].append(len(resp.content))
        if not ok:
            raise RuntimeError(f"{step}: {resp.status_code} {resp.text[:300]}")
        return resp

    def journey(self, eata_id: int, code: str, first: bool) -> None:
        page = self.call("1 scan page", "GET", "/transactions/new", htmx=not first)
        if first:
            self.csrf = re.search(r'"X-CSRFToken": "([^"]+)"', page.text).group(1)
        office = re.search(r'<option value="(\d+)" selected', page.text).group(1)
        r = self.call("1 look-up (POST)", "POST", "/transactions/new",
                      {"carnet": str(eata_id), "code": code, "office_id": office}, expect=303)
        step2 = r.headers["Location"]
        base = step2.rsplit("/", 1)[0]
        self.call("2 check carnet", "GET", step2)
        self.call("3 check goods", "GET", base + "/goods")
        self.call("4 commit form", "GET", base + "/commit")
        r = self.call("4 commit (POST)", "POST", base + "/commit", {"goods_examined": "no"},
                      expect=303)
        self.call("5 receipt", "GET", r.headers["Location"])


def run_journeys(base, cookies, codes, stats, sizes) -> tuple[float, int]:
    lock = threading.Lock()
    per = len(codes) // len(cookies)
    errors = []

    def officer_run(i: int) -> None:
        o = Officer(base, cookies[i], stats, sizes, lock)
        for j in range(per):
            eata_id, code = codes[i * per + j]
            try:
                o.journey(eata_id, code, first=(j == 0) or not o.csrf)
            except Exception as e:  # noqa: BLE001 — counted and shown
                errors.append(str(e))

    t0 = time.perf_counter()
    with ThreadPoolExecutor(len(cookies)) as pool:
        list(pool.map(officer_run, range(len(cookies))))
    wall = time.perf_counter() - t0
    for e in errors[:3]:
        print("  error:", e)
    return wall, len(errors)


def bare(base: str, concurrency: int, total: int) -> float:
    def one(_):
        requests.get(base + "/healthz", headers={"Host": HOST}, timeout=30)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(total)))
    return total / (time.perf_counter() - t0)


def page_weight(base: str, cookie: str, codes) -> None:
    """Bytes per step, fragment vs full page, and the first page with its assets gzipped."""
    o = Officer(base, cookie, defaultdict(list), defaultdict(list), threading.Lock())
    first = o.call("page", "GET", "/transactions/new", htmx=False)
    o.csrf = re.search(r'"X-CSRFToken": "([^"]+)"', first.text).group(1)
    office = re.search(r'<option value="(\d+)" selected', first.text).group(1)
    eata_id, code = codes[-1]
    r = o.call("x", "POST", "/transactions/new",
               {"carnet": str(eata_id), "code": code, "office_id": office}, expect=303)
    step2 = r.headers["Location"]
    b = step2.rsplit("/", 1)[0]
    urls = [("1 scan page", "/transactions/new"), ("2 check carnet", step2),
            ("3 check goods", b + "/goods"), ("4 commit form", b + "/commit")]
    r = o.call("x", "POST", b + "/commit", {"goods_examined": "no"}, expect=303)
    urls.append(("5 receipt", r.headers["Location"]))
    print("\nbytes per step (uncompressed / gzip): full page vs htmx fragment")
    for name, url in urls:
        full = o.call("f", "GET", url, htmx=False).content
        frag = o.call("h", "GET", url, htmx=True).content
        print(f"  {name:16s} full {len(full):6d} / {len(gzip.compress(full)):5d}   fragment "
              f"{len(frag):6d} / {len(gzip.compress(frag)):5d}   ({100 * len(frag) / len(full):.0f} %)")
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', first.text)
    total = len(gzip.compress(first.content))
    print("\nfirst full page + assets, gzip -6:")
    print(f"  /transactions/new {len(first.content)} → {total}")
    for a in assets:
        body = requests.get(base + a, headers={"Host": HOST}).content
        z = len(gzip.compress(body))
        total += z
        print(f"  {a} {len(body)} → {z}")
    print(f"  total {total / 1024:.1f} KB (without the scanner library)")
    for a in ("/static/vendor/qr-scanner.umd.min.js", "/static/vendor/qr-scanner-worker.min.js"):
        body = requests.get(base + a, headers={"Host": HOST}).content
        z = len(gzip.compress(body))
        total += z
        print(f"  + {a} (on 'Start the camera' only) {len(body)} → {z}")
    print(f"  total with the scanner {total / 1024:.1f} KB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--journeys", type=int, default=8, help="journeys per officer")
    ap.add_argument("--levels", default="10,50", help="concurrent officers")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    need = sum(n * args.journeys for n in levels) + 1
    codes, cookies = prepare(os.environ.get("DATABASE_URL", ""), need, max(levels) + 1)
    port = free_port()
    server = start_gunicorn(port, args.workers, args.threads)
    base = f"http://127.0.0.1:{port}"
    try:
        offset = 0
        print(f"gunicorn -w {args.workers} --threads {args.threads}; journeys per officer "
              f"{args.journeys}")
        for n in levels:
            stats, sizes = defaultdict(list), defaultdict(list)
            chunk = codes[offset:offset + n * args.journeys]
            offset += n * args.journeys
            wall, errors = run_journeys(base, cookies[:n], chunk, stats, sizes)
            reqs = sum(len(v) for v in stats.values())
            rate_bare = bare(base, n, 2000)
            print(f"\n{n} officers: {n * args.journeys} journeys, {reqs} requests in {wall:.1f} s"
                  f" = {reqs / wall:.1f} req/s, {n * args.journeys / wall:.2f} journeys/s; "
                  f"errors {errors}; bare /healthz {rate_bare:.0f} req/s "
                  f"(ratio {reqs / wall / rate_bare:.2f})")
            for step in sorted(stats):
                ms = [e * 1000 for e, _ in stats[step]]
                bad = sum(1 for _, ok in stats[step] if not ok)
                print(f"  {step:16s} n={len(ms):4d} p50 {pct(ms, 50):6.0f} ms  p95 "
                      f"{pct(ms, 95):6.0f} ms  mean {statistics.mean(ms):6.0f} ms  errors {bad}"
                      f"  bytes {statistics.mean(sizes[step]):.0f}")
        page_weight(base, cookies[-1], codes[offset:])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
