"""Operator accounts in the console (issue 17 item 1): the list, an invitation whose link sets
the password (TOTP enrolled at the first login, as for CLI-made operators), deactivating and
reactivating — never oneself nor the last active operator —, resetting the second factor;
each change audited as the operator's."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.domain.info import operators
from portal.models import AuditEvent, Operator, OperatorSession
from tests.web.admin.conftest import body_of, field_error, outbox
from tests.web.info.conftest import OPERATOR_PASSWORD


def _csrf_form(client, data: dict) -> dict:
    return {"csrf_token": client.csrf_token(), **data}


def _events(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_ops_operator_accounts_listed(operator_client, make_operator):
    make_operator("second@ops.test")
    page = operator_client.get("/console/operators")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'data-operator="op@ops.test"' in text and 'data-operator="second@ops.test"' in text
    assert "/console/operators" in operator_client.get("/console/").get_data(as_text=True)


def test_ops_invited_operator_sets_password_then_enrols_totp(
    app, operator_client, client_for, session
):
    c = operator_client
    response = c.post(
        "/console/operators",
        data=_csrf_form(c, {"email": "New@Ops.Test", "full_name": "Nina New"}),
    )
    assert response.status_code == 303  # PRG: a reload invites nobody twice
    response = c.get("/console/operators")
    link = re.search(r"<code>(https?://[^<]+/console/welcome/[^<]+)</code>", response.get_data(
        as_text=True)).group(1)  # fmt: skip
    assert "/console/welcome/" not in c.get("/console/operators").get_data(as_text=True)
    [mail] = outbox(app)
    assert mail["To"] == "new@ops.test" and link in body_of(mail)
    new = session.scalar(select(Operator).where(Operator.email == "new@ops.test"))
    assert new.password_hash is None and new.totp_secret_enc is None
    invited = _events(session, "operator.invited")
    assert invited[0].actor_id == c.operator_id and invited[0].ip == "127.0.0.1"
    # no password yet: the login refuses
    visitor = client_for("ops")
    path = link.split("://", 1)[1].split("/", 1)[1]
    refused = visitor.post(
        "/console/login",
        data=_csrf_form(visitor, {"email": "new@ops.test", "password": OPERATOR_PASSWORD}),
    )
    assert refused.status_code == 422
    # a weak password is refused by the password policy
    page = visitor.get(f"/{path}")
    assert page.status_code == 200
    weak = visitor.post(f"/{path}", data=_csrf_form(visitor, {"password": "abc", "confirm": "abc"}))
    assert weak.status_code == 422
    done = visitor.post(
        f"/{path}",
        data=_csrf_form(visitor, {"password": OPERATOR_PASSWORD, "confirm": OPERATOR_PASSWORD}),
    )
    assert done.headers["Location"].endswith("/console/login")
    # the link works once
    assert visitor.get(f"/{path}").status_code == 404
    ok = visitor.post(
        "/console/login",
        data=_csrf_form(visitor, {"email": "new@ops.test", "password": OPERATOR_PASSWORD}),
    )
    assert ok.headers["Location"].endswith("/console/mfa")
    assert 'id="totp-secret"' in visitor.get("/console/mfa").get_data(as_text=True)
    assert visitor.get("/console/operators").headers["Location"].endswith("/console/mfa")


def test_ops_invitation_refuses_a_known_email(operator_client):
    c = operator_client
    response = c.post(
        "/console/operators", data=_csrf_form(c, {"email": "op@ops.test", "full_name": "Dup"})
    )
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)


def test_r12_operator_invitation_says_which_field_is_wrong(app, operator_client, session):
    c = operator_client

    def invite(email: str, name: str):
        return c.post("/console/operators", data=_csrf_form(c, {"email": email, "full_name": name}))

    for email in ("anna@", "anna", "anna@ops"):
        response = invite(email, "Anna")
        assert response.status_code == 422, email
        assert field_error(response, "email") == (
            "Enter a valid email address, like name@example.com."
        )
        assert field_error(response, "full_name") is None
    # a name the domain refuses: said next to the name, the address is fine
    response = invite("anna@ops.test", "=HYPERLINK()")
    assert response.status_code == 422
    assert field_error(response, "email") is None
    assert field_error(response, "full_name").startswith('The full name cannot start with "="')
    # both: each next to its field
    response = invite("anna@", "=x")
    assert field_error(response, "email") and field_error(response, "full_name")
    assert "email and name" not in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(Operator).where(Operator.email.like("anna%"))) is None
    assert outbox(app) == [] and _events(session, "operator.invited") == []


def test_ops_unknown_or_expired_invitation_link_is_refused(client_for, session):
    import datetime as dt

    from portal.domain.api_clients import OPERATOR

    op, raw = operators.invite_operator(session, "late@ops.test", "Late", actor=OPERATOR)
    op.invite_expires_at = op.invite_expires_at - dt.timedelta(days=30)
    session.commit()
    visitor = client_for("ops")
    assert visitor.get(f"/console/welcome/{raw}").status_code == 404
    assert visitor.get("/console/welcome/not-a-token").status_code == 404


def test_ops_deactivate_ends_sessions_and_login_then_reactivate(
    operator_client, make_operator, ops_session, session
):
    other_id, _secret = make_operator("other@ops.test")
    other = ops_session(other_id)
    assert other.get("/console/").status_code == 200
    c = operator_client
    response = c.post(f"/console/operators/{other_id}/deactivate", data=_csrf_form(c, {}))
    assert response.status_code == 303
    assert other.get("/console/").headers["Location"].endswith("/console/login")
    session.expire_all()
    assert session.get(Operator, other_id).active is False
    assert session.scalar(
        select(OperatorSession.revoked_at).where(OperatorSession.operator_id == other_id)
    )
    outcome, _op = operators.check_login(session, "other@ops.test", OPERATOR_PASSWORD)
    assert outcome == "bad"
    event = _events(session, "operator.deactivated")[0]
    assert (event.actor_type, event.actor_id, event.object_id) == (
        "operator", c.operator_id, str(other_id))  # fmt: skip
    c.post(f"/console/operators/{other_id}/reactivate", data=_csrf_form(c, {}))
    session.expire_all()
    assert session.get(Operator, other_id).active is True
    assert _events(session, "operator.reactivated")
    assert operators.check_login(session, "other@ops.test", OPERATOR_PASSWORD)[0] == "ok"


def test_ops_operator_cannot_deactivate_themself(operator_client, make_operator, session):
    make_operator("other@ops.test")
    c = operator_client
    response = c.post(f"/console/operators/{c.operator_id}/deactivate", data=_csrf_form(c, {}))
    assert response.status_code == 422
    assert "your own account" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Operator, c.operator_id).active is True
    assert not _events(session, "operator.deactivated")


def test_ops_last_active_operator_cannot_be_deactivated(session):
    from portal.domain import DomainError
    from portal.domain.api_clients import Actor

    me = operators.create_operator(session, "me@ops.test", "Me", OPERATOR_PASSWORD)
    last = operators.create_operator(session, "last@ops.test", "Last", OPERATOR_PASSWORD)
    actor = Actor("operator", me.id, me.email)
    operators.set_active(session, me, False, actor=Actor("operator", None, "cli"))
    try:
        operators.set_active(session, last, False, actor=actor)
    except DomainError as exc:
        assert "last active operator" in exc.message
    else:
        raise AssertionError("the last active operator was deactivated")
    assert last.active is True


def test_ops_reset_mfa_makes_the_operator_enrol_again(
    operator_client, make_operator, ops_session, session
):
    other_id, _secret = make_operator("other@ops.test")
    other = ops_session(other_id)
    c = operator_client
    response = c.post(f"/console/operators/{other_id}/reset-mfa", data=_csrf_form(c, {}))
    assert response.status_code == 303
    session.expire_all()
    op = session.get(Operator, other_id)
    assert op.totp_secret_enc is None and op.totp_last_counter is None
    assert other.get("/console/").headers["Location"].endswith("/console/login")
    assert _events(session, "operator.mfa_reset")[0].actor_id == c.operator_id


def test_ops_operator_actions_need_csrf_and_a_known_operator(operator_client):
    c = operator_client
    assert c.post(f"/console/operators/{c.operator_id}/reset-mfa", csrf=False).status_code == 400
    assert c.post("/console/operators/999999/deactivate", data=_csrf_form(c, {})).status_code == 404


def test_ops_new_link_replaces_the_old_one_only_before_the_password(
    operator_client, client_for, session
):
    from portal.domain.api_clients import OPERATOR

    op, old = operators.invite_operator(session, "slow@ops.test", "Slow", actor=OPERATOR)
    session.commit()
    c = operator_client
    sent = c.post(f"/console/operators/{op.id}/invite", data=_csrf_form(c, {}))
    assert sent.status_code == 303
    page = c.get("/console/operators")
    new = re.search(r"/console/welcome/([^<\s]+)</code>", page.get_data(as_text=True)).group(1)
    visitor = client_for("ops")
    assert visitor.get(f"/console/welcome/{old}").status_code == 404
    assert visitor.get(f"/console/welcome/{new}").status_code == 200
    member = operators.create_operator(session, "member@ops.test", "Member", OPERATOR_PASSWORD)
    member_id = member.id
    session.commit()
    refused = c.post(f"/console/operators/{member_id}/invite", data=_csrf_form(c, {}))
    assert refused.status_code == 422
    assert "already set a password" in refused.get_data(as_text=True)
