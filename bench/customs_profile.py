"""In-process profile of the customs officer's journey: SQL statements, wall/CPU time and the
top cProfile entries per step, through Flask's test client against PostgreSQL (no HTTP server,
no contention). Resets the bench database like customs_journey.py.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_desk \\
    REDIS_URL=redis://127.0.0.1:6379/8 \\
    .venv/bin/python bench/customs_profile.py --journeys 20 [--cprofile "2 check carnet"]
"""

from __future__ import annotations

import argparse
import cProfile
import html
import io
import os
import pstats
import re
import statistics
import sys
import time
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

from customs_journey import ENV, HOST, MARKS, prepare  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--journeys", type=int, default=20)
    ap.add_argument("--cprofile", default="", help="step name to profile (substring)")
    ap.add_argument("--sort", default="cumulative", help="cProfile order (cumulative, tottime)")
    ap.add_argument("--sql", default="", help="print the SQL of this step (substring)")
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    codes, cookies = prepare(url, args.journeys, 1)
    os.environ.update(ENV)
    from sqlalchemy import event

    from portal import create_app
    from portal.extensions import db

    app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False})
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    client = app.test_client()
    name, _, value = cookies[0].partition("=")
    client.set_cookie(name, value, domain=HOST)
    base = f"http://{HOST}"
    stats = defaultdict(list)
    prof = cProfile.Profile(time.process_time)  # CPU, not waiting for PostgreSQL
    csrf = ""

    panel = {"key": ""}

    def call(step, method, path, data=None, htmx=True, expect=200):
        headers = {"HX-Request": "true", "X-Desk-Panel": panel["key"]} if htmx else {}
        if method == "POST":
            headers["X-CSRFToken"] = csrf
        statements.clear()
        profiling = args.cprofile and args.cprofile in step
        c0, t0 = time.process_time(), time.perf_counter()
        if profiling:
            prof.enable()
        resp = client.open(base + path, method=method, data=data, headers=headers)
        if profiling:
            prof.disable()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        assert resp.status_code == expect, (
            step,
            resp.status_code,
            resp.get_data(as_text=True)[:500],
        )
        stats[step].append((wall * 1000, cpu * 1000, len(statements), len(resp.data)))
        if args.sql and args.sql in step and len(stats[step]) == 2:
            print(f"--- SQL of {step}")
            for s in statements:
                print("  ", " ".join(s.split())[:300])
        return resp

    for j, (eata_id, code) in enumerate(codes):
        page = call("1 scan page", "GET", "/transactions/new", htmx=j > 0)
        if j == 0:
            csrf = re.search(r'"X-CSRFToken": "([^"]+)"', page.get_data(as_text=True)).group(1)
        office = re.search(r'<option value="(\d+)" selected', page.get_data(as_text=True)).group(1)
        call("1 recent list", "GET", f"/transactions/recent?office_id={office}")
        panel["key"] = ""
        r = call(
            "1 look-up (POST)",
            "POST",
            "/transactions/new",
            {"carnet": str(eata_id), "code": code, "office_id": office},
            expect=303,
        )
        step2 = r.headers["Location"]
        b = step2.rsplit("/", 1)[0]
        page = call("2 check carnet", "GET", step2)
        panel["key"] = re.search(r'data-key="(\d+)"', page.get_data(as_text=True)).group(1)
        call("2 lists", "GET", b + "/lists")
        page = call("3 check goods", "GET", b + "/goods")
        form = {k: html.unescape(v) for k, v in MARKS.findall(page.get_data(as_text=True))}
        r = call("3 next (POST)", "POST", b + "/goods", {**form, "action": "next"}, expect=303)
        call("4 commit form", "GET", r.headers["Location"])
        r = call("4 commit (POST)", "POST", b + "/commit", {"goods_examined": "no"}, expect=303)
        receipt = r.headers["Location"]
        call("5 receipt", "GET", receipt)
        call("5 receipt QR", "GET", receipt.replace("/receipt", "/qr.svg"))

    print(f"\n{len(codes)} journeys, in process (median of runs after the first):")
    print(f"  {'step':18s} {'wall ms':>8s} {'cpu ms':>7s} {'SQL':>4s} {'bytes':>6s}")
    for step in sorted(stats):
        rows = stats[step][1:] or stats[step]
        print(
            f"  {step:18s} {statistics.median(r[0] for r in rows):8.1f} "
            f"{statistics.median(r[1] for r in rows):7.1f} "
            f"{statistics.median(r[2] for r in rows):4.0f} "
            f"{statistics.median(r[3] for r in rows):6.0f}"
        )
    if args.cprofile:
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats(args.sort).print_stats(45)
        print(out.getvalue())


if __name__ == "__main__":
    main()
