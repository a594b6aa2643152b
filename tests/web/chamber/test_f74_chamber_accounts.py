"""The chamber portal's accounts (F-74 "the issuing association … on a page"): its own host,
staff accounts with password and TOTP always, the operator invites an association's first staff
admin, who invites colleagues; other sites' sessions get nothing there; audited."""

from __future__ import annotations

import datetime as dt
import html
import re

from sqlalchemy import select

from portal.models import AuditEvent, ChamberStaff, ChamberToken
from tests.web.admin.conftest import field_error, outbox
from tests.web.chamber.conftest import STAFF_PASSWORD, last_link, totp_now


def _form(client, data: dict) -> dict:
    return {"csrf_token": client.csrf_token(), **data}


def test_f74_chamber_portal_only_on_its_host(client_for, demo, chamber_client):
    assert client_for("customs", "be").get("/chamber/login").status_code == 404
    assert client_for("wallet").get("/chamber/login").status_code == 404
    assert client_for("ops").get("/chamber/carnets").status_code == 404
    assert chamber_client.get("/login").status_code == 404  # the customs login is not here
    assert chamber_client.get("/console/login").status_code == 404
    assert client_for("chamber").get("/chamber/login").status_code == 200
    assert chamber_client.get("/chamber/carnets").status_code == 200


def test_f74_login_enrols_totp_then_asks_for_it(app, client_for, make_staff, session):
    staff_id, _ = make_staff(totp=False)
    client = client_for("chamber")
    bad = client.post(
        "/chamber/login", data=_form(client, {"email": "chloe@cci.test", "password": "nope"})
    )
    assert bad.status_code == 422 and "not correct" in bad.text
    assert client.get("/chamber/carnets").headers["Location"].endswith("/chamber/login")
    ok = client.post(
        "/chamber/login",
        data=_form(client, {"email": "chloe@cci.test", "password": STAFF_PASSWORD}),
    )
    assert ok.headers["Location"].endswith("/chamber/mfa")
    # the password alone opens nothing: every page sends to the second factor
    assert client.get("/chamber/carnets").headers["Location"].endswith("/chamber/mfa")
    assert client.get("/chamber/advice").headers["Location"].endswith("/chamber/mfa")
    page = client.get("/chamber/mfa").text
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    wrong = client.post("/chamber/mfa", data=_form(client, {"code": "000000"}))
    assert wrong.status_code == 422
    done = client.post("/chamber/mfa", data=_form(client, {"code": totp_now(secret)}))
    assert done.headers["Location"].endswith("/chamber/carnets")
    assert client.get("/chamber/carnets").status_code == 200
    staff = session.get(ChamberStaff, staff_id)
    assert staff.totp_secret_enc and secret not in staff.totp_secret_enc
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"chamber_staff.login_failed", "chamber_staff.login"} <= actions


def test_f74_no_mfa_no_carnet(make_staff, staff_session, associations, issue_for):
    staff_id, _ = make_staff()
    carnet = issue_for(associations[0], in_wallet=False)
    client = staff_session(staff_id, mfa_done=False)
    for path in ("/chamber/carnets", f"/chamber/carnets/{carnet.id}", "/chamber/staff"):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].endswith("/chamber/mfa")
    r = client.post(f"/chamber/carnets/{carnet.id}/discharge", data=_form(client, {}))
    assert r.status_code == 302 and r.headers["Location"].endswith("/chamber/mfa")


def test_f74_lockout_after_failed_passwords(client_for, make_staff):
    make_staff()
    client = client_for("chamber")
    for _ in range(5):
        client.post(
            "/chamber/login", data=_form(client, {"email": "chloe@cci.test", "password": "x"})
        )
    r = client.post(
        "/chamber/login",
        data=_form(client, {"email": "chloe@cci.test", "password": STAFF_PASSWORD}),
    )
    assert r.status_code == 422 and "locked" in r.text


def test_f74_login_is_rate_limited(client_for, make_staff):
    client = client_for("chamber")
    statuses = [
        client.post(
            "/chamber/login", data=_form(client, {"email": f"x{i}@cci.test", "password": "x"})
        ).status_code
        for i in range(11)
    ]
    assert statuses == [422] * 10 + [429]


def test_f74_other_sites_sessions_get_nothing(login_as, client_for, chamber_client, demo):
    customs = login_as("be", "admin")
    chamber = client_for("chamber")
    with chamber.session_transaction() as sess:  # a customs session's cookie replayed here
        sess["_user_id"] = f"c:{customs.session_id}"
        sess["_fresh"] = True
    assert chamber.get("/chamber/carnets").headers["Location"].endswith("/chamber/login")
    be = client_for("customs", "be")
    with be.session_transaction() as sess:  # a staff session's cookie replayed on customs
        sess["_user_id"] = f"s:{chamber_client.session_id}"
        sess["_fresh"] = True
    r = be.get("/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_f74_logout_ends_the_session(chamber_client):
    r = chamber_client.post("/chamber/logout", data=_form(chamber_client, {}))
    assert r.headers["Location"].endswith("/chamber/login")
    assert chamber_client.get("/chamber/carnets").headers["Location"].endswith("/chamber/login")


def test_f74_console_invites_the_first_staff_admin(
    app, operator_client, associations, session, client_for
):
    ours, _theirs = associations
    page = operator_client.get("/console/ngas")
    assert f"/console/associations/{ours.id}/staff" in page.text
    r = operator_client.post(
        f"/console/associations/{ours.id}/staff",
        data=_form(operator_client, {"email": "First@CCI.test", "full_name": "Fanny First"}),
    )
    assert r.status_code == 303, r.text
    r = operator_client.get(f"/console/associations/{ours.id}/staff")
    link = re.search(r"<code>(http://chamber\.[^<]+/chamber/invitation/[^<]+)</code>", r.text)
    assert link
    staff = session.scalar(select(ChamberStaff).where(ChamberStaff.email == "first@cci.test"))
    assert staff.staff_role == "admin" and staff.association_id == ours.id
    assert staff.password_hash is None
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "chamber_staff.invited"))
    assert event.actor_type == "operator" and event.object_id == str(staff.id)
    # a second "first" admin: refused next to the field (the admin invites colleagues)
    again = operator_client.post(
        f"/console/associations/{ours.id}/staff",
        data=_form(operator_client, {"email": "second@cci.test", "full_name": "S"}),
    )
    assert again.status_code == 422 and "has not set a password yet" in again.text
    # an association left without an active admin: the operator invites one again
    staff.active = False
    session.commit()
    third = operator_client.post(
        f"/console/associations/{ours.id}/staff",
        data=_form(operator_client, {"email": "third@cci.test", "full_name": "T"}),
    )
    assert third.status_code == 303
    assert "third@cci.test" in operator_client.get(third.headers["Location"]).text
    staff.active = True
    session.commit()
    # the link sets the password once; then the person logs in (and enrols TOTP)
    path = link.group(1).split("chamber.", 1)[1].split("/", 1)[1]
    assert last_link(app, "first@cci.test") == f"/{path}"  # the same link, emailed
    chamber = client_for("chamber")
    assert chamber.get(f"/{path}").status_code == 200
    short = chamber.post(f"/{path}", data=_form(chamber, {"password": "x", "confirm": "x"}))
    assert short.status_code == 422
    done = chamber.post(
        f"/{path}", data=_form(chamber, {"password": STAFF_PASSWORD, "confirm": STAFF_PASSWORD})
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("/chamber/login")
    assert chamber.get(f"/{path}").status_code == 404  # used up
    r = chamber.post(
        "/chamber/login",
        data=_form(chamber, {"email": "first@cci.test", "password": STAFF_PASSWORD}),
    )
    assert r.headers["Location"].endswith("/chamber/mfa")


def test_f74_staff_admin_invites_a_colleague_staff_cannot(
    make_staff, staff_session, session, chamber_client
):
    r = chamber_client.post(
        "/chamber/staff",
        data=_form(
            chamber_client, {"email": "colleague@cci.test", "full_name": "Cole", "role": "staff"}
        ),
    )
    assert r.status_code == 303, r.text
    colleague = session.scalar(
        select(ChamberStaff).where(ChamberStaff.email == "colleague@cci.test")
    )
    assert colleague.staff_role == "staff"
    assert "colleague@cci.test" in chamber_client.get("/chamber/staff").text
    dup = chamber_client.post(
        "/chamber/staff",
        data=_form(
            chamber_client, {"email": "colleague@cci.test", "full_name": "Cole", "role": "staff"}
        ),
    )
    assert dup.status_code == 422 and "already exists" in dup.text
    # a staff member (not an admin): the staff page is refused, and the refusal audited
    staff_id, _ = make_staff("plain@cci.test", role="staff")
    plain = staff_session(staff_id)
    assert plain.get("/chamber/staff").status_code == 403
    assert (
        plain.post(
            "/chamber/staff",
            data=_form(plain, {"email": "x@cci.test", "full_name": "X", "role": "admin"}),
        ).status_code
        == 403
    )
    assert 'href="/chamber/staff"' not in plain.get("/chamber/carnets").text
    denied = session.scalar(select(AuditEvent).where(AuditEvent.action == "permission.denied"))
    assert denied.actor_type == "chamber_staff" and denied.actor_id == staff_id
    assert session.scalar(select(ChamberStaff).where(ChamberStaff.email == "x@cci.test")) is None


def test_f74_demo_chamber_staff_sees_the_demo_carnet(demo, client_for, staff_session):
    from portal.domain.demo import (
        DEMO_CARNET_NUMBER,
        DEMO_CHAMBER_EMAIL,
        DEMO_PASSWORD,
        load_demo_carnet,
        load_demo_chamber,
    )

    load_demo_carnet(demo)
    assert load_demo_chamber(demo) == DEMO_CHAMBER_EMAIL
    demo.commit()
    assert load_demo_chamber(demo) == DEMO_CHAMBER_EMAIL  # idempotent
    demo.commit()
    assert len(demo.scalars(select(ChamberStaff)).all()) == 1
    client = client_for("chamber")
    r = client.post(
        "/chamber/login",
        data=_form(client, {"email": DEMO_CHAMBER_EMAIL, "password": DEMO_PASSWORD}),
    )
    assert r.headers["Location"].endswith("/chamber/mfa")
    staff = demo.scalar(select(ChamberStaff).where(ChamberStaff.email == DEMO_CHAMBER_EMAIL))
    page = staff_session(staff.id).get("/chamber/carnets")
    assert f'data-carnet="{DEMO_CARNET_NUMBER}"' in page.text


def test_f74_staff_admin_disables_enables_and_reinvites(
    app, make_staff, staff_session, associations, session, chamber_client, client_for
):
    colleague_id, _ = make_staff("colleague@cci.test", role="staff")
    colleague = staff_session(colleague_id)
    assert colleague.get("/chamber/carnets").status_code == 200
    r = chamber_client.post(
        f"/chamber/staff/{colleague_id}/deactivate", data=_form(chamber_client, {})
    )
    assert r.status_code == 303
    # disabled: the running session ends at once, and the password no longer opens anything
    assert colleague.get("/chamber/carnets").headers["Location"].endswith("/chamber/login")
    fresh = colleague.post(
        "/chamber/login",
        data=_form(colleague, {"email": "colleague@cci.test", "password": STAFF_PASSWORD}),
    )
    assert fresh.status_code == 422
    assert 'data-staff="colleague@cci.test"' in chamber_client.get("/chamber/staff").text
    chamber_client.post(f"/chamber/staff/{colleague_id}/reactivate", data=_form(chamber_client, {}))
    session.expire_all()
    assert session.get(ChamberStaff, colleague_id).active
    actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert "chamber_staff.disabled" in actions and "chamber_staff.enabled" in actions
    # a new link: an invitation not used in time, or a forgotten password (the link sets a new
    # password, the authenticator app stays); never for a disabled colleague
    r = chamber_client.post(f"/chamber/staff/{colleague_id}/invite", data=_form(chamber_client, {}))
    assert r.status_code == 303
    assert session.scalar(select(ChamberToken).where(ChamberToken.staff_id == colleague_id))
    link = last_link(app, "colleague@cci.test")
    reset = client_for("chamber")
    assert "the code of your authenticator app" in reset.get(link).text
    new_password = "another-chamber-passw0rd"
    r = reset.post(link, data=_form(reset, {"password": new_password, "confirm": new_password}))
    assert r.status_code == 303
    session.expire_all()
    assert session.get(ChamberStaff, colleague_id).totp_secret_enc is not None  # stays
    r = reset.post(
        "/chamber/login",
        data=_form(reset, {"email": "colleague@cci.test", "password": new_password}),
    )
    assert r.headers["Location"].endswith("/chamber/mfa")
    chamber_client.post(f"/chamber/staff/{colleague_id}/deactivate", data=_form(chamber_client, {}))
    chamber_client.post(f"/chamber/staff/{colleague_id}/invite", data=_form(chamber_client, {}))
    assert "is disabled: enable them first" in chamber_client.get("/chamber/staff").text
    invited_id, _ = make_staff("new@cci.test", role="staff", password=False)
    r = chamber_client.post(f"/chamber/staff/{invited_id}/invite", data=_form(chamber_client, {}))
    assert r.status_code == 303
    assert "A new invitation link was sent" in chamber_client.get("/chamber/staff").text
    # never oneself; another association's staff is a 404
    me = chamber_client.staff_id
    chamber_client.post(f"/chamber/staff/{me}/deactivate", data=_form(chamber_client, {}))
    session.expire_all()
    assert session.get(ChamberStaff, me).active
    theirs_id, _ = make_staff("vaud@cci.test", association=associations[1])
    r = chamber_client.post(
        f"/chamber/staff/{theirs_id}/deactivate", data=_form(chamber_client, {})
    )
    assert r.status_code == 404
    session.expire_all()
    assert session.get(ChamberStaff, theirs_id).active


def test_f74_staff_admin_resets_a_lost_authenticator_app(
    make_staff, staff_session, session, chamber_client, client_for
):
    colleague_id, _ = make_staff("colleague@cci.test", role="staff")
    colleague = staff_session(colleague_id)
    r = chamber_client.post(
        f"/chamber/staff/{colleague_id}/reset_totp", data=_form(chamber_client, {})
    )
    assert r.status_code == 303
    session.expire_all()
    assert session.get(ChamberStaff, colleague_id).totp_secret_enc is None
    # their session ended; after the password they enrol a new app before anything else
    assert colleague.get("/chamber/carnets").headers["Location"].endswith("/chamber/login")
    fresh = client_for("chamber")
    fresh.post(
        "/chamber/login",
        data=_form(fresh, {"email": "colleague@cci.test", "password": STAFF_PASSWORD}),
    )
    assert 'id="totp-secret"' in fresh.get("/chamber/mfa").text
    assert fresh.get("/chamber/carnets").headers["Location"].endswith("/chamber/mfa")
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "chamber_staff.totp_reset")
    )
    assert event.actor_id == chamber_client.staff_id and event.object_id == str(colleague_id)
    # not one's own, not as a plain staff member
    me = chamber_client.staff_id
    chamber_client.post(f"/chamber/staff/{me}/reset_totp", data=_form(chamber_client, {}))
    session.expire_all()
    assert session.get(ChamberStaff, me).totp_secret_enc is not None
    plain = staff_session(make_staff("plain@cci.test", role="staff")[0])
    assert plain.post(f"/chamber/staff/{me}/reset_totp", data=_form(plain, {})).status_code == 403


def _wrong(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def test_f74_wrong_codes_lock_the_waiting_session_too(client_for, make_staff):
    """A known password buys no unlimited guesses at the code: the lock that five wrong codes
    set ends the session waiting for its code, and the right code after it opens nothing."""
    _, secret = make_staff()
    client = client_for("chamber")
    ok = client.post(
        "/chamber/login",
        data=_form(client, {"email": "chloe@cci.test", "password": STAFF_PASSWORD}),
    )
    assert ok.headers["Location"].endswith("/chamber/mfa")
    answers = [
        client.post("/chamber/mfa", data=_form(client, {"code": _wrong(totp_now(secret))}))
        for _ in range(5)
    ]
    assert [r.status_code for r in answers[:4]] == [422] * 4
    assert answers[4].status_code == 302
    assert answers[4].headers["Location"].endswith("/chamber/login")
    # the right code now: the session is gone, nothing opens
    client.get("/chamber/login")
    late = client.post("/chamber/mfa", data=_form(client, {"code": totp_now(secret)}))
    assert late.headers["Location"].endswith("/chamber/login")
    assert client.get("/chamber/carnets").headers["Location"].endswith("/chamber/login")
    again = client.post(
        "/chamber/login",
        data=_form(client, {"email": "chloe@cci.test", "password": STAFF_PASSWORD}),
    )
    assert again.status_code == 422 and "locked" in again.text


def test_f74_each_small_portal_counts_its_own_login_attempts(client_for, make_staff):
    """The chamber portal and the operator console share their sign-in views
    (portal/portal_login.py) but not their rate-limit buckets: ten refused chamber logins
    block the chamber's eleventh, not the console's first; each portal's second-factor step is
    limited as well."""
    chamber = client_for("chamber")
    for i in range(10):
        chamber.post(
            "/chamber/login", data=_form(chamber, {"email": f"x{i}@cci.test", "password": "x"})
        )
    assert (
        chamber.post(
            "/chamber/login", data=_form(chamber, {"email": "y@cci.test", "password": "x"})
        ).status_code
        == 429
    )
    ops = client_for("ops")
    r = ops.post("/console/login", data=_form(ops, {"email": "y@ops.test", "password": "x"}))
    assert r.status_code == 422 and "not correct" in r.text
    mfa = [
        chamber.post("/chamber/mfa", data=_form(chamber, {"code": "1"})).status_code
        for _ in range(11)
    ]
    assert mfa[-1] == 429 and 429 not in mfa[:10]


# --- refusals of a new staff account, and the staff's states (issue 14) ----------------------

INVALID_EMAIL = "Enter a valid email address, like name@example.com."


def _staff_emails(session) -> set[str]:
    session.expire_all()
    return set(session.scalars(select(ChamberStaff.email)))


def _invitations(session) -> int:
    return len(
        session.scalars(
            select(AuditEvent.id).where(AuditEvent.action == "chamber_staff.invited")
        ).all()
    )


def test_r12_staff_admin_invite_refuses_an_invalid_email_next_to_the_field(
    app, session, chamber_client
):
    before, invited_before = _staff_emails(session), _invitations(session)
    r = chamber_client.post(
        "/chamber/staff",
        data=_form(chamber_client, {"email": "anna@", "full_name": "Anna", "role": "staff"}),
    )
    assert r.status_code == 422
    assert field_error(r, "email") == INVALID_EMAIL
    assert field_error(r, "full_name") is None
    # both fields wrong: both messages at once, each next to its field
    r = chamber_client.post(
        "/chamber/staff",
        data=_form(chamber_client, {"email": "anna@cci", "full_name": "=1+1", "role": "staff"}),
    )
    assert r.status_code == 422
    assert field_error(r, "email") == INVALID_EMAIL
    assert field_error(r, "full_name").startswith('The full name cannot start with "="')
    assert _staff_emails(session) == before  # nothing created
    assert outbox(app) == []  # and nothing sent
    assert _invitations(session) == invited_before  # nor audited
    # the same form with a good address invites
    r = chamber_client.post(
        "/chamber/staff",
        data=_form(
            chamber_client, {"email": " Anna@CCI.test ", "full_name": "Anna", "role": "staff"}
        ),
    )
    assert r.status_code == 303
    assert "anna@cci.test" in _staff_emails(session)
    assert [m["To"] for m in outbox(app)] == ["anna@cci.test"]


def test_r12_console_first_staff_admin_refuses_an_invalid_email_next_to_the_field(
    app, operator_client, associations, session
):
    ours, _theirs = associations
    r = operator_client.post(
        f"/console/associations/{ours.id}/staff",
        data=_form(operator_client, {"email": "anna@", "full_name": "Anna"}),
    )
    assert r.status_code == 422
    assert field_error(r, "email") == INVALID_EMAIL
    assert _staff_emails(session) == set()
    assert outbox(app) == []
    # the form is still there to correct the address
    assert 'name="email"' in r.text and 'value="anna@"' in r.text


def test_f74_console_first_admin_form_only_while_the_association_has_no_admin(
    operator_client, associations, session, make_staff
):
    ours, _theirs = associations
    page = operator_client.get(f"/console/associations/{ours.id}/staff")
    assert 'name="email"' in page.text and 'id="admins-invite"' not in page.text
    r = operator_client.post(
        f"/console/associations/{ours.id}/staff",
        data=_form(operator_client, {"email": "first@cci.test", "full_name": "Fanny First"}),
    )
    assert r.status_code == 303
    # invited: the page shows the link once, and no second "first admin" form
    r = operator_client.get(f"/console/associations/{ours.id}/staff")
    assert "/chamber/invitation/" in r.text
    assert 'name="email"' not in r.text and 'id="admin-pending"' in r.text
    page = operator_client.get(f"/console/associations/{ours.id}/staff")
    assert "/chamber/invitation/" not in page.text
    assert 'name="email"' not in page.text and 'id="admin-pending"' in page.text
    # once they set a password: their association's admins invite their colleagues
    first = session.scalar(select(ChamberStaff).where(ChamberStaff.email == "first@cci.test"))
    first.password_hash = "set"
    session.commit()
    page = operator_client.get(f"/console/associations/{ours.id}/staff")
    sentence = f"{ours.name} already has a staff admin: they invite their colleagues themselves."
    assert sentence in html.unescape(page.text) and 'id="admins-invite"' in page.text
    assert "Send a new invitation" not in page.text
    # a staff member who is not an admin does not count; a disabled admin neither
    first = session.scalar(select(ChamberStaff).where(ChamberStaff.email == "first@cci.test"))
    first.active = False
    session.commit()
    make_staff("plain@cci.test", role="staff")
    page = operator_client.get(f"/console/associations/{ours.id}/staff")
    assert 'name="email"' in page.text and 'id="admins-invite"' not in page.text


def _state(page_html: str, email: str) -> str:
    """The text of the State column (the 4th) in the console's row of `email`."""
    row = re.search(rf'<tr data-staff="{re.escape(email)}">(.*?)</tr>', page_html, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", cells[3])).strip()


def test_f74_console_staff_list_says_where_each_account_stands(
    app, operator_client, associations, session, make_staff, staff_session
):
    from portal.db import now_utc
    from portal.domain import chambers
    from portal.i18n import fmt_date, fmt_datetime

    ours, _theirs = associations
    active_id, _ = make_staff("active@cci.test", role="admin")
    locked_id, _ = make_staff("locked@cci.test", role="staff")
    disabled_id, _ = make_staff("disabled@cci.test", role="staff")
    invited_id, _ = make_staff("invited@cci.test", role="staff", password=False)
    late_id, _ = make_staff("late@cci.test", role="staff", password=False)
    now = now_utc()
    invited = session.get(ChamberStaff, invited_id)
    chambers.issue_invitation(session, invited, days=14)
    late = session.get(ChamberStaff, late_id)
    chambers.issue_invitation(session, late, days=14)
    for token in session.scalars(select(ChamberToken).where(ChamberToken.staff_id == late_id)):
        token.expires_at = now - dt.timedelta(hours=1)
    locked = session.get(ChamberStaff, locked_id)
    locked.locked_until = now + dt.timedelta(minutes=15)
    session.get(ChamberStaff, disabled_id).active = False
    session.commit()
    expires = session.scalar(
        select(ChamberToken.expires_at).where(
            ChamberToken.staff_id == invited_id, ChamberToken.used_at.is_(None)
        )
    )
    page = operator_client.get(f"/console/associations/{ours.id}/staff")
    assert page.status_code == 200
    assert "<th>State</th>" in page.text
    with app.test_request_context():
        expires_text, locked_text = fmt_date(expires), fmt_datetime(locked.locked_until)
    assert _state(page.text, "active@cci.test") == "active"
    assert _state(page.text, "invited@cci.test") == f"invited — link expires {expires_text}"
    assert _state(page.text, "late@cci.test") == "invitation expired"
    assert _state(page.text, "locked@cci.test") == f"locked until {locked_text}"
    assert _state(page.text, "disabled@cci.test") == "disabled"
    # the chamber portal's staff page says the same to the association's admin
    mine = staff_session(active_id).get("/chamber/staff")
    for email, state in (
        ("invited@cci.test", f"invited — link expires {expires_text}"),
        ("late@cci.test", "invitation expired"),
        ("locked@cci.test", f"locked until {locked_text}"),
        ("disabled@cci.test", "disabled"),
    ):
        assert _state(mine.text, email) == state
