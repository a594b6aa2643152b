"""F-11, R-10: invitation and reset links follow the account's address. Correcting the email
of an account ends the links sent to the old address (a mistyped invitation cannot be used by
whoever got it; a fresh one goes to the corrected address), and a password set by one link
ends the other."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.models import Account, Office, Region
from tests.web.admin.conftest import body_of, outbox

NEW_PASSWORD = "correct horse battery staple"


def _link_path(message) -> str:
    link = re.search(r"https?://\S+", body_of(message)).group(0)
    return "/" + link.split("/", 3)[3]


def _create(c, find, email: str) -> Account:
    antwerp, port = find(Region, "be", "Antwerp"), find(Office, "be", "Antwerp Port")
    r = c.post(
        "/admin/accounts/new",
        data={
            "full_name": "Ana Peeters",
            "email": email,
            "role": "officer",
            "region_id": str(antwerp.id),
            "office_id": str(port.id),
            "active": "y",
        },
    )
    assert r.status_code == 303
    return find(Account, "be", email)


def test_f11_invitation_to_a_mistyped_address_dies_when_the_admin_corrects_it(
    app, login_as, find, client_for
):
    c = login_as("be", "admin")
    account = _create(c, find, "ana.peters@wrong.example")
    [invitation] = outbox(app)
    stranger_link = _link_path(invitation)
    r = c.post(
        f"/admin/accounts/{account.id}",
        data={
            "full_name": account.full_name,
            "email": "ana.peeters@customs-be.demo",
            "role": "officer",
            "region_id": str(account.region_id),
            "office_id": str(account.office_id),
            "active": "y",
        },
    )
    assert r.status_code == 303
    stranger = client_for("customs", "be")
    assert stranger.get(stranger_link).status_code == 404
    r = stranger.post(stranger_link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert r.status_code == 404
    # the new address confirms (F-13); the account then gets a fresh invitation there
    _, confirm, notice = outbox(app)
    assert confirm["To"] == "ana.peeters@customs-be.demo"
    assert notice["To"] == "ana.peters@wrong.example"
    owner = client_for("customs", "be")
    assert owner.post(_link_path(confirm)).status_code == 303
    [fresh] = [m for m in outbox(app)[3:] if "/set-password/" in body_of(m)]
    assert fresh["To"] == "ana.peeters@customs-be.demo"
    assert find(Account, "be", "ana.peeters@customs-be.demo").password_hash is None
    r = owner.post(_link_path(fresh), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert r.status_code == 303


def test_f11_password_set_by_a_reset_link_ends_the_invitation_link(
    app, login_as, find, client_for, demo
):
    c = login_as("be", "admin")
    account = _create(c, find, "ana.peeters@customs-be.demo")
    assert c.post(f"/admin/accounts/{account.id}/reset-password").status_code == 303
    invitation, reset = outbox(app)
    user = client_for("customs", "be")
    r = user.post(_link_path(reset), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert r.status_code == 303
    assert user.get(_link_path(invitation)).status_code == 404
    demo.expire_all()
    assert demo.scalar(select(Account.password_hash).where(Account.id == account.id))
