"""The operator's console on ops.<domain> (issue 17): its own host, its own accounts with MFA
always, customs and wallet sessions get nothing there, and its changes are audited."""

from __future__ import annotations

import re

from click.testing import CliRunner
from sqlalchemy import select

from portal.domain.rules import add_months
from portal.models import ApiClient, AuditEvent, CustomsAdministration, NewsItem, Operator
from tests.web.admin.conftest import field_error, outbox
from tests.web.info.conftest import OPERATOR_PASSWORD, totp_now


def _csrf_form(client, data: dict) -> dict:
    return {"csrf_token": client.csrf_token(), **data}


def test_ops_console_refuses_a_customs_session(login_as, client_for):
    customs = login_as("be", "admin")
    assert customs.get("/").status_code == 200
    ops = client_for("ops")
    with ops.session_transaction() as sess:  # the customs session's cookie replayed on ops
        sess["_user_id"] = f"c:{customs.session_id}"
        sess["_fresh"] = True
    response = ops.get("/console/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/console/login")
    assert ops.get("/console/news").status_code == 302


def test_ops_console_refuses_a_wallet_session(holder_client, client_for):
    assert holder_client.get("/info/news").status_code == 200  # a live wallet session
    ops = client_for("ops")
    with ops.session_transaction() as sess:
        sess["_user_id"] = f"h:{holder_client.session_id}"
        sess["_fresh"] = True
    response = ops.get("/console/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/console/login")


def test_ops_operator_session_gets_nothing_on_customs(make_operator, ops_session, client_for, demo):
    operator_id, _ = make_operator()
    ops = ops_session(operator_id)
    assert ops.get("/console/").status_code == 200
    customs = client_for("customs", "be")
    with customs.session_transaction() as sess:
        sess["_user_id"] = f"o:{ops.session_id}"
        sess["_fresh"] = True
    response = customs.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_ops_console_is_only_on_its_host(client_for, demo, operator_client):
    assert client_for("customs", "be").get("/console/login").status_code == 404
    assert client_for("wallet").get("/console/login").status_code == 404
    assert operator_client.get("/login").status_code == 404  # the customs login is not here
    assert client_for("ops").get("/console/login").status_code == 200


def test_ops_login_enrols_totp_then_asks_for_it_every_time(app, client_for, make_operator):
    operator_id, _ = make_operator(totp=False)
    client = client_for("ops")
    # wrong password: refused, nothing opened
    bad = client.post(
        "/console/login", data=_csrf_form(client, {"email": "op@ops.test", "password": "nope"})
    )
    assert bad.status_code == 422
    assert client.get("/console/").headers["Location"].endswith("/console/login")
    ok = client.post(
        "/console/login",
        data=_csrf_form(client, {"email": "op@ops.test", "password": OPERATOR_PASSWORD}),
    )
    assert ok.headers["Location"].endswith("/console/mfa")
    # password alone opens nothing: every page sends to the second factor
    assert client.get("/console/news").headers["Location"].endswith("/console/mfa")
    page = client.get("/console/mfa").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    wrong = client.post("/console/mfa", data=_csrf_form(client, {"code": "000000"}))
    assert wrong.status_code == 422
    done = client.post("/console/mfa", data=_csrf_form(client, {"code": totp_now(secret)}))
    assert done.headers["Location"].endswith("/console/")
    assert client.get("/console/").status_code == 200
    # next login: the code is asked, not enrolled again
    client.post("/console/logout", data=_csrf_form(client, {}))
    client.post(
        "/console/login",
        data=_csrf_form(client, {"email": "op@ops.test", "password": OPERATOR_PASSWORD}),
    )
    again = client.get("/console/mfa").get_data(as_text=True)
    assert "totp-secret" not in again
    from portal.extensions import db

    with db.new_session() as s:
        op = s.get(Operator, operator_id)
        assert op.totp_secret_enc and op.last_login_at is not None
        actions = list(
            s.scalars(select(AuditEvent.action).where(AuditEvent.actor_type == "operator"))
        )
    assert "operator.login" in actions and "operator.login_failed" in actions


def test_ops_cli_create_operator(app):
    runner = CliRunner()
    from portal.commands.ops import ops_cli

    with app.app_context():
        result = runner.invoke(
            ops_cli,
            ["create-operator", "--email", "Cli@Ops.Test", "--name", "Cli Op"],
            input=f"{OPERATOR_PASSWORD}\n{OPERATOR_PASSWORD}\n",
        )
        assert result.exit_code == 0, result.output
        weak = runner.invoke(
            ops_cli,
            ["create-operator", "--email", "weak@ops.test", "--name", "W", "--password", "abc"],
        )
    assert weak.exit_code != 0
    from portal.extensions import db

    with db.new_session() as s:
        emails = set(s.scalars(select(Operator.email)))
    assert emails == {"cli@ops.test"}


def test_ops_api_clients_create_rotate_revoke(operator_client, session):
    from portal.domain.api_clients import create_nga

    nga = create_nga(session, "BE", "NGA test")
    session.commit()
    c = operator_client
    created = c.post(
        "/console/api-clients", data=_csrf_form(c, {"name": "NICS BE", "owner": f"nga:{nga.id}"})
    )
    assert created.status_code == 303
    shown = c.get("/console/api-clients").get_data(as_text=True)
    secret = re.search(r'id="client-secret">([^<]+)<', shown).group(1)
    client = session.scalar(select(ApiClient).where(ApiClient.name == "NICS BE"))
    old_hash = client.secret_hash
    rotated = c.post(
        f"/console/api-clients/{client.id}/rotate", data=_csrf_form(c, {"confirm": "yes"})
    )
    assert rotated.status_code == 303
    shown = c.get("/console/api-clients").get_data(as_text=True)
    new_secret = re.search(r'id="client-secret">([^<]+)<', shown).group(1)
    assert new_secret != secret
    c.post(f"/console/api-clients/{client.id}/revoke", data=_csrf_form(c, {"confirm": "yes"}))
    session.expire_all()
    client = session.get(ApiClient, client.id)
    assert client.secret_hash != old_hash and client.active is False
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == client.client_id)
    ).all()
    assert [e.action for e in events] == [
        "api_client.created",
        "api_client.rotated",
        "api_client.revoked",
    ]
    assert {e.actor_type for e in events} == {"operator"}
    assert {e.actor_id for e in events} == {c.operator_id}
    # without CSRF: refused
    assert c.post(f"/console/api-clients/{client.id}/rotate", csrf=False).status_code == 400


def test_ops_creates_an_administration_and_invites_its_admin(operator_client, session, app):
    c = operator_client
    data = {
        "code": "de",
        "name": "German Customs",
        "country": "DE",
        "admin_email": "first@zoll.test",
        "admin_name": "First Admin",
    }
    response = c.post("/console/administrations", data=_csrf_form(c, data))
    assert response.status_code == 303
    assert "set-password" in c.get("/console/administrations").get_data(as_text=True)
    assert session.scalar(select(CustomsAdministration).where(CustomsAdministration.code == "de"))
    again = c.post("/console/administrations", data=_csrf_form(c, data))
    assert again.status_code == 422
    assert "already exists" in again.get_data(as_text=True)


def test_r12_new_administration_refuses_an_invalid_first_admin_email(operator_client, session, app):
    from portal.models import Account

    c = operator_client
    data = {
        "code": "de",
        "name": "German Customs",
        "country": "DE",
        "admin_email": "anna@",
        "admin_name": "Anna Admin",
    }
    response = c.post("/console/administrations", data=_csrf_form(c, data))
    assert response.status_code == 422
    assert field_error(response, "admin_email") == (
        "Enter a valid email address, like name@example.com."
    )
    # nothing created, nothing sent
    assert (
        session.scalar(select(CustomsAdministration).where(CustomsAdministration.code == "de"))
        is None
    )
    assert session.scalar(select(Account).where(Account.email.like("anna%"))) is None
    assert outbox(app) == []
    refused = c.post(
        "/console/administrations",
        data=_csrf_form(c, {**data, "admin_email": "anna@zoll.test", "admin_name": "=cmd"}),
    )
    assert refused.status_code == 422
    assert field_error(refused, "admin_name").startswith('The full name cannot start with "="')
    ok = c.post(
        "/console/administrations",
        data=_csrf_form(c, {**data, "admin_email": "Anna@Zoll.test"}),
    )
    assert ok.status_code == 303
    assert [m["To"] for m in outbox(app)] == ["anna@zoll.test"]


def test_ops_writes_news_with_audit(operator_client, session):
    c = operator_client
    response = c.post(
        "/console/news/new",
        data=_csrf_form(
            c, {"title": "Hello", "body": "**hi**", "audience": "customs", "language": "en"}
        ),
    )
    assert response.status_code == 303
    item = session.scalar(select(NewsItem))
    assert item.title == "Hello" and item.author_id == c.operator_id
    refused = c.post(
        "/console/news/new",
        data=_csrf_form(c, {"title": "", "body": "x", "audience": "customs", "language": "en"}),
    )
    assert refused.status_code == 422
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "news.created"))


def test_ops_every_console_page_answers(operator_client, session):
    from portal.domain.api_clients import create_issuing_association, create_nga
    from portal.domain.info import help as help_domain
    from portal.domain.info import news

    nga = create_nga(session, "BE", "NGA pages (t)")
    ia = create_issuing_association(session, nga, "IA pages (t)")
    item = news.save_news(session, None, title="N", body="b", audience="all", language="en",
                          publish_at=None, expires_at=None)  # fmt: skip
    page = help_domain.save_page(session, None, {"title": "P", "body": "b"})
    session.commit()
    for path in (
        "/console/",
        "/console/ngas",
        f"/console/ngas/{nga.id}",
        "/console/associations/new",
        f"/console/associations/{ia.id}",
        "/console/api-clients",
        "/console/administrations",
        "/console/ata-status",
        "/console/news",
        "/console/news/new",
        f"/console/news/{item.id}",
        "/console/help-pages",
        "/console/help-pages/new",
        f"/console/help-pages/{page.id}",
    ):
        assert operator_client.get(path).status_code == 200, path
    assert operator_client.get("/console/ngas/999999").status_code == 404


def test_ops_changes_an_ata_status(operator_client, session, ata_statuses):
    import datetime as dt

    from portal.models import Country

    country = session.scalar(select(Country).where(Country.ata_status == "paper"))
    day = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    c = operator_client
    response = c.post(
        "/console/ata-status",
        data=_csrf_form(c, {"country": country.code, "action": "announce", "digital_from": day,
                            "reason": "notified"}),
    )  # fmt: skip
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    session.expire_all()
    assert session.get(Country, country.code).provisional_from.isoformat() == day
    bad = c.post(
        "/console/ata-status",
        data=_csrf_form(c, {"country": country.code, "action": "announce", "digital_from": "x"}),
    )
    assert bad.status_code == 422


def test_f70_short_notice_quotes_the_dates_as_the_table_shows_them(
    operator_client, session, ata_statuses, app
):
    """The digital date is picked in a date input: the refusal quotes its dates as the table
    of statuses shows them (the app's date format), next to the field."""
    import datetime as dt

    from portal.i18n import fmt_date
    from portal.models import Country

    country = session.scalar(select(Country).where(Country.ata_status == "paper"))
    before = country.provisional_from
    today = dt.date.today()
    day = today + dt.timedelta(days=30)
    c = operator_client
    r = c.post(
        "/console/ata-status",
        data=_csrf_form(c, {"country": country.code, "action": "announce",
                            "digital_from": day.isoformat()}),
    )  # fmt: skip
    assert r.status_code == 422
    earliest = add_months(today, 3)
    message = re.search(r'<small id="digital_from-error" class="field-error">([^<]*)<', r.text)
    with app.test_request_context():
        today_, earliest_, day_ = fmt_date(today), fmt_date(earliest), fmt_date(day)
    assert message.group(1) == (
        "A digital date must be notified at least three months ahead: with a notification "
        f"received on {today_}, the earliest digital date is {earliest_} (not {day_})."
    )
    session.expire_all()
    assert session.get(Country, country.code).provisional_from == before


def test_ops_wrong_codes_lock_the_waiting_session_too(client_for, make_operator):
    """Five wrong codes after the right password lock the operator and end the session that
    waited for the code: the right code after that opens nothing."""
    _, secret = make_operator()
    client = client_for("ops")
    ok = client.post(
        "/console/login",
        data=_csrf_form(client, {"email": "op@ops.test", "password": OPERATOR_PASSWORD}),
    )
    assert ok.headers["Location"].endswith("/console/mfa")

    def wrong() -> str:
        code = totp_now(secret)
        return code[:-1] + str((int(code[-1]) + 1) % 10)

    answers = [
        client.post("/console/mfa", data=_csrf_form(client, {"code": wrong()})) for _ in range(5)
    ]
    assert [r.status_code for r in answers[:4]] == [422] * 4
    assert answers[4].headers["Location"].endswith("/console/login")
    client.get("/console/login")
    late = client.post("/console/mfa", data=_csrf_form(client, {"code": totp_now(secret)}))
    assert late.headers["Location"].endswith("/console/login")
    assert client.get("/console/").headers["Location"].endswith("/console/login")
