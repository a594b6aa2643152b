"""CPU per request of the soak's mix, in process: the application's own cost per route.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_cpu \\
    REDIS_URL=redis://127.0.0.1:6379/8 \\
    .venv/bin/python bench/request_cpu.py [--n 40] [--cprofile "customs home"] [--sql ROUTE]

Resets the PostgreSQL database named in DATABASE_URL (never point it at data you keep) and
builds the soak's world there (demo administrations, a Swiss NGA, the wallet holder with four
carnets, one voucher per API commit and per desk commit), then sends every route of
bench/soak.py's mix --n times through Flask's test client — no HTTP server, no contention, the
production password hashing — and prints per route the median CPU milliseconds of this process
(time.process_time: the application's Python, not PostgreSQL's) and the SQL statements it sent,
then the mean over the soak's mix (its CYCLE weights). --cprofile ROUTE profiles that route's
requests (CPU time) and prints the top entries; --sql ROUTE prints the statements of one of its
requests.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import html
import io
import os
import pstats
import re
import secrets
import statistics
import sys
import time
from collections import defaultdict
from urllib.parse import urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sqlalchemy import create_engine, event, text  # noqa: E402

DOMAIN = "eata.test"
DESK = f"customs-ch.{DOMAIN}"
WALLET = f"wallet.{DOMAIN}"
API = f"api.{DOMAIN}"
INSTANCE = "/tmp/eata-bench-request-cpu"
MARKS = re.compile(r'name="(marks_\d+)" value="([^"]*)"')
CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')

# route → requests of it per cycle of bench/soak.py (its CYCLE: an API commit 10, a wizard 2
# × 6 requests, a wallet visit 6 × 2 (the carnet or the notifications at random), a NICS read
# 12, a NICS issue 3, the customs home 8, a controller page 16 (one of three at random))
WEIGHTS = {
    "api commit": 10,
    "wizard 1 form": 2,
    "wizard 1 look-up POST": 2,
    "wizard 2 goods": 2,
    "wizard 2 goods POST": 2,
    "wizard 3 commit form": 2,
    "wizard 4 commit POST": 2,
    "wallet carnets": 6,
    "wallet carnet": 3,
    "wallet notifications": 3,
    "nics read": 12,
    "nics issue": 3,
    "customs home": 8,
    "controller logs": 16 / 3,
    "controller logs?tab=transactions": 16 / 3,
    "controller transits": 16 / 3,
}


def prepare(url: str, n: int):
    if not url.startswith("postgresql") or url.rsplit("/", 1)[-1] in ("test", "eata"):
        raise SystemExit("DATABASE_URL must name a PostgreSQL bench database")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    redis_url = os.environ.get("REDIS_URL", "")
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
    os.environ.update(
        {"EATA_DOMAIN": DOMAIN, "EATA_INSTANCE_DIR": INSTANCE, "NICS_RATE_LIMIT": "100000/minute"}
    )
    from portal import create_app

    app = create_app(
        {
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "EATA_DOMAIN": DOMAIN,
            "INSTANCE_DIR": INSTANCE,
            "STORAGE_DIR": os.path.join(INSTANCE, "storage"),
            "MAIL_OUTBOX_DIR": os.path.join(INSTANCE, "mail"),
            "RATELIMIT_STORAGE_URI": redis_url or "memory://",
            # the limits stay on (their Redis calls are part of the cost), counted apart per run
            "RATELIMIT_KEY_PREFIX": f"request-cpu-{os.getpid()}",
        }
    )
    from portal.domain.passwords import use_fast_hashing
    from portal.domain.refdata import load_reference_data
    from portal.extensions import db
    from portal.migrate import upgrade

    upgrade(url)
    with app.app_context():
        with db.new_session() as s:
            load_reference_data(s)
            s.commit()
        # arranging only (as the soak does): the world's carnet PINs with the fast profile
        use_fast_hashing(True)
        try:
            world = arrange(app, n)
        finally:
            use_fast_hashing(app.config["PASSWORD_HASH_FAST"])
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return app, world


def arrange(app, n: int) -> dict:
    import dataclasses

    from portal.domain import api_clients
    from portal.domain import wallet as wallet_domain
    from portal.extensions import db
    from portal.models import Holder
    from tests.reliability.helpers import demo_account, new_tickets
    from tests.support.factory import issue, make_world

    s = db.new_session().__enter__()
    world = make_world(s)
    t0 = time.time()
    api_tickets = new_tickets(world, n + 1)
    desk_tickets = new_tickets(world, n + 1)
    holder = Holder(
        kind="private",
        given_names="Anne",
        surname="Peeters",
        email=f"anne2-{secrets.token_hex(4)}@example.test",
        country_code="CH",
    )
    s.add(holder)
    s.commit()
    mine = dataclasses.replace(world, holder=holder)
    carnets = [issue(mine, items=5) for _ in range(4)]
    hs = wallet_domain.open_holder_session(s, holder, mfa_pending=False)
    hs.unlocked_at = hs.created_at
    s.commit()
    print(f"arranged {2 * (n + 1)} vouchers and a wallet in {time.time() - t0:.0f} s", flush=True)
    from portal.domain.sessions import open_session

    serializer = app.session_interface.get_signing_serializer(app)

    def cookie(user_id: str) -> str:
        return serializer.dumps({"_user_id": user_id, "_fresh": True})

    officer = open_session(s, world.officer("ch").account)
    controller = open_session(s, demo_account(world, "ch", "controller"))
    s.commit()
    from portal.models import CustomsAdministration

    ch = s.query(CustomsAdministration).filter_by(code="ch").one()
    customs_client = api_clients.create_client(s, "ch bridge", customs_id=ch.id)
    nics_client = api_clients.create_client(s, "NICS", nga=world.nga)
    s.commit()
    return {
        "session": s,
        "api_tickets": api_tickets,
        "desk_tickets": desk_tickets,
        "office_id": world.officer("ch").office.id,
        "officer": cookie(f"c:{officer.id}"),
        "controller": cookie(f"c:{controller.id}"),
        "holder": cookie(f"h:{hs.id}"),
        "wallet_carnets": [c.id for c in carnets],
        "clients": {
            "customs": (customs_client[0].client_id, customs_client[1]),
            "nics": (nics_client[0].client_id, nics_client[1]),
        },
    }


def low_percentile(values: list[float], p: float = 20) -> float:
    values = sorted(values)
    return values[int(len(values) * p / 100)]


def calibration() -> float:
    """CPU milliseconds of a fixed piece of pure Python (dicts, strings, calls): the machine's
    speed at the moment, which the other sessions of a shared machine change by half."""

    def work(i: int) -> str:
        d = {"a": i, "b": str(i)}
        return d["b"] + "x" * (i % 7)

    c0 = time.process_time()
    for i in range(20000):
        work(i)
    return (time.process_time() - c0) * 1000


def token(client, client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    r = client.post(
        f"http://{API}/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()["access_token"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=40, help="requests per route")
    ap.add_argument("--cprofile", default="", help="route to profile (substring)")
    ap.add_argument("--sort", default="cumulative", help="cProfile order (cumulative, tottime)")
    ap.add_argument("--top", type=int, default=60)
    ap.add_argument("--sql", default="", help="print the SQL of one request of this route")
    ap.add_argument("--dump", default="", help="also write the profile to this file (pstats)")
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    app, w = prepare(url, args.n)

    from portal.extensions import db
    from tests.support.factory import carnet_body

    statements: list[str] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    cookie_name = app.config["SESSION_COOKIE_NAME"]
    desk = app.test_client()
    desk.set_cookie(cookie_name, w["officer"], domain=DESK)
    ctl = app.test_client()
    ctl.set_cookie(cookie_name, w["controller"], domain=DESK)
    wallet = app.test_client()
    wallet.set_cookie(cookie_name, w["holder"], domain=WALLET)
    api = app.test_client()
    customs_auth = {"Authorization": f"Bearer {token(api, *w['clients']['customs'])}"}
    nics_auth = {"Authorization": f"Bearer {token(api, *w['clients']['nics'])}"}

    stats: dict[str, list[tuple[float, int]]] = defaultdict(list)
    prof = cProfile.Profile(time.process_time)
    csrf = {"token": ""}

    def call(route, client, method, url_, expect=200, **kw):
        statements.clear()
        # the first request of each route (compiling templates, statements) is not profiled
        profiling = bool(args.cprofile) and args.cprofile in route and bool(stats[route])
        c0 = time.process_time()
        if profiling:
            prof.enable()
        r = client.open(url_, method=method, **kw)
        if profiling:
            prof.disable()
        cpu = time.process_time() - c0
        assert r.status_code == expect, (route, r.status_code, r.get_data(as_text=True)[:400])
        stats[route].append((cpu * 1000, len(statements)))
        if args.sql and args.sql == route and len(stats[route]) == 3:
            print(f"--- SQL of {route}")
            for st in statements:
                print("  ", " ".join(st.split())[:400])
        return r

    def desk_post(client, route, path, data, expect=303):
        return call(
            route,
            client,
            "POST",
            f"http://{DESK}{path}",
            expect=expect,
            data=data,
            headers={"X-CSRFToken": csrf["token"]},
        )

    eata_ids = [t.eata_id for t in w["api_tickets"]]
    t_start = time.process_time()
    speed: list[float] = []
    for i in range(args.n + 1):
        speed.append(calibration())
        # the customs API commit
        t = w["api_tickets"][i]
        body = {
            "carnet": str(t.eata_id),
            "code": t.code,
            "office_id": w["office_id"],
            "officer": "R. Test",
            "fields": {"goods_examined": True, "reference": "REL"},
        }
        call(
            "api commit",
            api,
            "POST",
            f"http://{API}/v1/customs/vouchers/commit",
            expect=201,
            json=body,
            headers={**customs_auth, "Idempotency-Key": f"cpu-{t.code}"},
        )
        # the desk's wizard, as a browser without JavaScript (bench/soak.py, Desk)
        t = w["desk_tickets"][i]
        page = call("wizard 1 form", desk, "GET", f"http://{DESK}/transactions/new")
        text_ = page.get_data(as_text=True)
        csrf["token"] = CSRF.search(text_).group(1)
        office = re.search(r'<option value="(\d+)" selected', text_).group(1)
        r = desk_post(
            desk,
            "wizard 1 look-up POST",
            "/transactions/new",
            {"carnet": t.eata_id, "code": t.code, "office_id": office},
        )
        base = urlsplit(r.headers["Location"]).path.rsplit("/", 1)[0]
        goods = call("wizard 2 goods", desk, "GET", f"http://{DESK}{base}/goods")
        form = {k: html.unescape(v) for k, v in MARKS.findall(goods.get_data(as_text=True))}
        r = desk_post(desk, "wizard 2 goods POST", f"{base}/goods", {**form, "action": "next"})
        call(
            "wizard 3 commit form",
            desk,
            "GET",
            f"http://{DESK}{urlsplit(r.headers['Location']).path}",
        )
        desk_post(desk, "wizard 4 commit POST", f"{base}/commit", {"goods_examined": "no"})
        # the holder's wallet
        cid = w["wallet_carnets"][i % len(w["wallet_carnets"])]
        call("wallet carnets", wallet, "GET", f"http://{WALLET}/my/carnets")
        call("wallet carnet", wallet, "GET", f"http://{WALLET}/my/carnets/{cid}")
        call("wallet notifications", wallet, "GET", f"http://{WALLET}/my/notifications")
        # NICS
        call(
            "nics read",
            api,
            "GET",
            f"http://{API}/v1/carnets/{eata_ids[i % len(eata_ids)]}",
            headers=nics_auth,
        )
        b = carnet_body(items=5, carnet_number=f"CH{secrets.token_hex(5).upper()}", currency="CHF")
        call(
            "nics issue",
            api,
            "POST",
            f"http://{API}/v1/carnets",
            expect=201,
            json=b,
            headers={**nics_auth, "Idempotency-Key": b["carnet_number"]},
        )
        # the customs home and the controller's pages
        call("customs home", desk, "GET", f"http://{DESK}/")
        for path in ("logs", "logs?tab=transactions", "transits"):
            call(f"controller {path}", ctl, "GET", f"http://{DESK}/monitoring/{path}")
    total = time.process_time() - t_start - sum(speed) / 1000

    print(f"\n{args.n} requests per route after a first one (not counted), in process:")
    print(f"  {'route':34s} {'CPU ms':>7s} {'p20':>6s} {'SQL':>4s}")
    mix = {"median": 0.0, "p20": 0.0, "sql": 0.0}
    weights = 0.0
    for route, weight in WEIGHTS.items():
        rows = stats[route][1:]
        cpu = statistics.median(r[0] for r in rows)
        low = low_percentile([r[0] for r in rows])
        sql = statistics.median(r[1] for r in rows)
        print(f"  {route:34s} {cpu:7.1f} {low:6.1f} {sql:4.0f}")
        mix["median"] += weight * cpu
        mix["p20"] += weight * low
        mix["sql"] += weight * statistics.mean(r[1] for r in rows)
        weights += weight
    print(
        f"  {'the soak mix (weighted)':34s} {mix['median'] / weights:7.1f}"
        f" {mix['p20'] / weights:6.1f} {mix['sql'] / weights:4.1f}"
    )
    print(
        f"  (whole run {total:.1f} s CPU; calibration {statistics.median(speed):.2f} ms"
        f" median, {min(speed):.2f}–{max(speed):.2f}. On a shared machine the other sessions"
        " slow every CPU millisecond down in bursts: p20 is the least disturbed figure)"
    )
    if args.cprofile:
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats(args.sort).print_stats(args.top)
        if args.dump:
            prof.dump_stats(args.dump)
        print(out.getvalue())
    w["session"].close()


if __name__ == "__main__":
    main()
