"""Arranging data in the suite's database and talking HTTP to its gunicorn.

Data is arranged in this process (the engine's test factory: demo administrations, a Swiss
NGA, carnets in a holder's wallet, travels, vouchers); requests go over real sockets to the
gunicorn of the stack with the Host header of the site (customs-ch.eata.test, api.eata.test).
"""

from __future__ import annotations

import base64
import html
import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from sqlalchemy import func, select

from portal.domain.vouchers import code_of
from portal.extensions import db
from portal.models import (
    AuditEvent,
    CustomsAdministration,
    HolderNotification,
    OutboxMessage,
    Transaction,
    TransactionItem,
)
from tests.reliability.procs import DOMAIN

API_HOST = f"api.{DOMAIN}"
DESK_HOST = f"customs-ch.{DOMAIN}"
MARKS = re.compile(r'name="(marks_\d+)" value="([^"]*)"')


@dataclass
class Ticket:
    """One voucher ready to commit at the Swiss office."""

    eata_id: int
    carnet_id: int
    carnet_number: str
    voucher_id: int
    code: str
    items: int


def new_tickets(world, n: int, items: int = 3) -> list[Ticket]:
    from tests.support.factory import issue, travel, voucher

    out = []
    for _ in range(n):
        carnet = issue(world, items=items)
        v = voucher(world, travel(world, carnet, "CH", "FR"), "validation")
        out.append(Ticket(carnet.eata_id, carnet.id, carnet.carnet_number, v.id, code_of(v), items))
    world.session.commit()
    return out


def customs_token(stack, world, cc: str = "ch") -> str:
    from portal.domain import api_clients

    s = world.session
    admin = s.scalar(select(CustomsAdministration).where(CustomsAdministration.code == cc))
    client, secret = api_clients.create_client(
        s, f"{cc} bridge {secrets.token_hex(3)}", customs_id=admin.id
    )
    s.commit()
    base, headers = stack.base(API_HOST)
    basic = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
    r = requests.post(
        f"{base}/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={**headers, "Authorization": f"Basic {basic}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def nics_token(stack, world) -> str:
    from portal.domain import api_clients

    s = world.session
    client, secret = api_clients.create_client(s, f"NICS {secrets.token_hex(3)}", nga=world.nga)
    s.commit()
    base, headers = stack.base(API_HOST)
    basic = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
    r = requests.post(
        f"{base}/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={**headers, "Authorization": f"Basic {basic}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


class Api:
    """JSON over HTTP to api.<domain> with a bearer token."""

    def __init__(self, stack, token: str):
        self.base, self.headers = stack.base(API_HOST)
        self.headers = {**self.headers, "Authorization": f"Bearer {token}"}
        self.http = requests.Session()

    def post(self, path: str, body: dict, key: str | None = None, timeout: float = 30):
        headers = dict(self.headers)
        if key:
            headers["Idempotency-Key"] = key
        return self.http.post(self.base + path, json=body, headers=headers, timeout=timeout)

    def get(self, path: str, timeout: float = 30):
        return self.http.get(self.base + path, headers=self.headers, timeout=timeout)


def commit_body(ticket: Ticket, office_id: int) -> dict:
    return {
        "carnet": str(ticket.eata_id),
        "code": ticket.code,
        "office_id": office_id,
        "officer": "R. Test",
        "fields": {"goods_examined": True, "reference": "REL"},
    }


def officer_cookie(stack, world, cc: str = "ch") -> str:
    """A server-side session of the administration's officer, as the login would open it."""
    return account_cookie(stack, world, world.officer(cc).account)


def demo_account(world, cc: str, role: str):
    from portal.domain.demo import demo_email
    from portal.models import Account

    s = world.session
    admin = s.scalar(select(CustomsAdministration).where(CustomsAdministration.code == cc))
    return s.scalar(
        select(Account).where(Account.customs_id == admin.id, Account.email == demo_email(cc, role))
    )


def account_cookie(stack, world, account) -> str:
    from portal.domain.sessions import open_session

    s = world.session
    us = open_session(s, account)
    s.commit()
    app = stack.app
    signed = app.session_interface.get_signing_serializer(app).dumps(
        {"_user_id": f"c:{us.id}", "_fresh": True}
    )
    return f"{app.config['SESSION_COOKIE_NAME']}={signed}"


class Desk:
    """The officer's browser on the customs desk, without JavaScript (plain form posts)."""

    def __init__(self, stack, cookie: str = "session=", host: str = DESK_HOST):
        self.base, headers = stack.base(host)
        self.http = requests.Session()
        self.http.headers.update(headers)
        self.cookie = cookie  # set by hand: the site's cookie names its domain, not 127.0.0.1
        self.csrf = ""

    def _keep_cookie(self, r):
        name = self.cookie.split("=", 1)[0]
        for h in r.raw.headers.getlist("Set-Cookie"):
            pair = h.split(";", 1)[0]
            if pair.split("=", 1)[0] == name:
                self.cookie = pair
        return r

    def get(self, path: str, **kw):
        return self._keep_cookie(
            self.http.get(
                self.base + path,
                allow_redirects=False,
                timeout=30,
                headers={"Cookie": self.cookie},
                **kw,
            )
        )

    def post(self, path: str, data: dict, **kw):
        return self._keep_cookie(
            self.http.post(
                self.base + path,
                data=data,
                allow_redirects=False,
                timeout=30,
                headers={"X-CSRFToken": self.csrf, "Cookie": self.cookie},
                **kw,
            )
        )

    def to_commit_form(self, ticket: Ticket) -> str:
        """Steps 1–3 of the wizard; returns the path of the commit POST."""
        page = self.get("/transactions/new")
        assert page.status_code == 200, page.status_code
        self.csrf = re.search(r'"X-CSRFToken": "([^"]+)"', page.text).group(1)
        office = re.search(r'<option value="(\d+)" selected', page.text).group(1)
        r = self.post(
            "/transactions/new",
            {"carnet": ticket.eata_id, "code": ticket.code, "office_id": office},
        )
        assert r.status_code in (302, 303), (r.status_code, r.text[:300])
        step2 = urlsplit(r.headers["Location"]).path
        base = step2.rsplit("/", 1)[0]
        goods = self.get(base + "/goods")
        assert goods.status_code == 200, goods.status_code
        form = {k: html.unescape(v) for k, v in MARKS.findall(goods.text)}
        r = self.post(base + "/goods", {**form, "action": "next"})
        assert r.status_code in (302, 303), (r.status_code, r.text[:300])
        assert self.get(urlsplit(r.headers["Location"]).path).status_code == 200
        return base + "/commit"


def commit_rows(ticket: Ticket) -> dict:
    """What a commit of this voucher wrote: every count is 0 (absent) or complete."""
    with db.new_session() as s:
        txn_ids = list(
            s.scalars(select(Transaction.id).where(Transaction.voucher_id == ticket.voucher_id))
        )
        items = (
            s.scalar(
                select(func.count())
                .select_from(TransactionItem)
                .where(TransactionItem.transaction_id.in_(txn_ids))
            )
            if txn_ids
            else 0
        )
        audits = [
            a
            for a in s.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "transaction.committed",
                    AuditEvent.object_id == str(ticket.eata_id),
                )
            )
            if (a.data or {}).get("voucher_id") == ticket.voucher_id
        ]
        notes = list(
            s.scalars(
                select(HolderNotification.id).where(
                    HolderNotification.voucher_id == ticket.voucher_id,
                    HolderNotification.kind == "committed",
                )
            )
        )
        signals = [
            m
            for m in s.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "holder_notification")
            )
            if (m.payload or {}).get("notification_id") in notes
        ]
        emails = s.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.kind == "email",
                OutboxMessage.subject.contains(ticket.carnet_number),
                OutboxMessage.subject.contains("committed"),
            )
        )
    return {
        "transactions": len(txn_ids),
        "items": items,
        "audit": len(audits),
        "notifications": len(notes),
        "outbox_signals": len(signals),
        "emails": emails,
    }


def complete(ticket: Ticket) -> dict:
    return {
        "transactions": 1,
        "items": ticket.items,
        "audit": 1,
        "notifications": 1,
        "outbox_signals": 1,
        "emails": 1,
    }


ABSENT = {
    "transactions": 0,
    "items": 0,
    "audit": 0,
    "notifications": 0,
    "outbox_signals": 0,
    "emails": 0,
}


def office_id(world, cc: str = "ch") -> int:
    return world.officer(cc).office.id
