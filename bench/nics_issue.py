"""Benchmark: issue N carnets of M goods items through the NICS API over HTTP, then read them
back — against a real gunicorn + PostgreSQL (+ Redis for the rate limiter).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_nics \\
    REDIS_URL=redis://127.0.0.1:6379/13 \\
    /work/main/.venv/bin/python bench/nics_issue.py --count 10000 --items 20 --concurrency 16

It (re)creates the schema of the database named in DATABASE_URL (never point it at data you
keep), loads the reference data, registers an NGA and an API client, starts gunicorn on a free
port, takes a token, issues the carnets from a pool of threads, reads every one back (checking
the decrypted holder and goods), and prints carnets/s and latency percentiles.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import create_engine, text

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def prepare_database(url: str) -> tuple[str, str]:
    """Fresh schema, reference data, one NGA with one client; returns (client_id, secret)."""
    if not url.startswith("postgresql"):
        raise SystemExit("DATABASE_URL must point at a PostgreSQL bench database")
    if url.rsplit("/", 1)[-1] in ("test", "eata"):
        raise SystemExit("refusing to wipe that database: use a bench database (bench_nics)")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    from portal import create_app
    from portal.domain import api_clients
    from portal.domain.refdata import load_reference_data
    from portal.extensions import db
    from portal.migrate import upgrade

    app = create_app({"DATABASE_URL": url, "INSTANCE_DIR": "/tmp/eata-bench-instance"})
    upgrade(url)
    with app.app_context(), db.new_session() as s:
        load_reference_data(s)
        nga = api_clients.create_nga(s, "BE", "Bench NGA")
        client, secret = api_clients.create_client(s, "bench NICS", nga=nga)
        s.commit()
        return client.client_id, secret


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int, workers: int, threads: int) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        {
            "EATA_DOMAIN": f"localhost:{port}",
            "NICS_RATE_LIMIT": "100000/minute",
            "NICS_TOKEN_RATE_LIMIT": "1000/minute",
            "EATA_INSTANCE_DIR": "/tmp/eata-bench-instance",
        }
    )
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
        "wsgi:app",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def carnet_body(i: int, items: int, today: dt.date) -> dict:
    return {
        "carnet_number": f"BE{today:%Y}{i:08d}",
        "carnet_type": "ATA",
        "format": "digital",
        "issue_date": today.isoformat(),
        "valid_until": (today + dt.timedelta(days=364)).isoformat(),
        "intended_use": "professional_equipment",
        "currency": "EUR",
        "holder": {
            "name": f"Bench Holder {i} SA",
            "address": {
                "street": f"Rue de la Loi {i}",
                "postal_code": "1000",
                "city": "Bruxelles",
                "country": "BE",
            },
        },
        "representatives": [{"name": f"Representative {i}", "id_number": f"ID-{i}"}],
        "items": [
            {
                "item_no": n,
                "pieces": 1 + n % 4,
                "description": f"Professional camera equipment, serial SN-{i}-{n}",
                "origin_country": "DE",
                "value": 1000 + n,
                "quantity": 1.5,
                "unit": "kg",
                "marks": f"MARK-{i}-{n}",
            }
            for n in range(1, items + 1)
        ],
        "countries": ["CH", "FR", "NO", "US"],
        "sets": {"export_reimport": 1, "import_reexport": 4, "transit": 2},
    }


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def report(name: str, latencies: list[float], wall: float) -> str:
    ms = [x * 1000 for x in latencies]
    return (
        f"{name}: {len(ms)} in {wall:.1f} s = {len(ms) / wall:.1f}/s; latency ms "
        f"p50 {pct(ms, 50):.0f}, p95 {pct(ms, 95):.0f}, p99 {pct(ms, 99):.0f}, "
        f"max {max(ms):.0f}, mean {statistics.mean(ms):.0f}"
    )


def main() -> None:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    ap.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    client_id, secret = prepare_database(url)
    port = free_port()
    server = start_gunicorn(port, args.workers, args.threads)
    base = f"http://127.0.0.1:{port}"
    host = {"Host": f"api.localhost:{port}"}
    try:
        token_lock = threading.Lock()
        token_state = {"token": "", "renew_at": 0.0}

        def bearer() -> str:
            """A valid token, renewed a minute before it expires (as a real NICS would)."""
            with token_lock:
                if time.time() >= token_state["renew_at"]:
                    r = httpx.post(
                        f"{base}/v1/oauth/token",
                        auth=(client_id, secret),
                        data={"grant_type": "client_credentials"},
                        headers=host,
                    )
                    r.raise_for_status()
                    token_state["token"] = r.json()["access_token"]
                    token_state["renew_at"] = time.time() + r.json()["expires_in"] - 60
                return token_state["token"]

        headers = {**host, "Authorization": f"Bearer {bearer()}"}
        today = dt.date.today()
        local = threading.local()

        def http() -> httpx.Client:
            if not hasattr(local, "client"):
                local.client = httpx.Client(base_url=base, headers=host, timeout=60)
            local.client.headers["Authorization"] = f"Bearer {bearer()}"
            return local.client

        def issue(i: int):
            body = carnet_body(i, args.items, today)
            t0 = time.perf_counter()
            resp = http().post(
                "/v1/carnets", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
            )
            elapsed = time.perf_counter() - t0
            if resp.status_code != 201:
                raise RuntimeError(f"carnet {i}: {resp.status_code} {resp.text[:300]}")
            return i, resp.json()["eata_id"], elapsed

        print(
            f"issuing {args.count} carnets of {args.items} items, concurrency "
            f"{args.concurrency}, gunicorn {args.workers}x{args.threads}",
            flush=True,
        )
        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            issued = list(pool.map(issue, range(1, args.count + 1)))
        issue_wall = time.perf_counter() - t0
        print(report("issue", [x[2] for x in issued], issue_wall), flush=True)

        def read(entry):
            i, eata_id, _ = entry
            t0 = time.perf_counter()
            resp = http().get(f"/v1/carnets/{eata_id}")
            elapsed = time.perf_counter() - t0
            data = resp.json()
            if (
                resp.status_code != 200
                or data["holder"]["name"] != f"Bench Holder {i} SA"
                or len(data["items"]) != args.items
                or data["items"][-1]["description"]
                != f"Professional camera equipment, serial SN-{i}-{args.items}"
            ):
                raise RuntimeError(f"read back of carnet {i} differs: {resp.status_code}")
            return elapsed

        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            reads = list(pool.map(read, issued))
        read_wall = time.perf_counter() - t0
        print(report("read back (full carnet, decrypted, checked)", reads, read_wall))
        t0 = time.perf_counter()
        pages = 0
        with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
            page = 1
            while True:
                data = c.get("/v1/carnets", params={"page": page, "per_page": 200}).json()
                pages += 1
                if page * 200 >= data["total"]:
                    break
                page += 1
        print(
            f"list: {pages} pages of 200 in {time.perf_counter() - t0:.1f} s "
            f"(total {data['total']})"
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
