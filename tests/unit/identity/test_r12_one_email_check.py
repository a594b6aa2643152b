"""R-12 for the email of every kind of account: one check (portal/domain/values.py), the same
refusal in the same words next to the field the address was typed in, before anything is
created or mailed — a chamber's staff, an operator, a customs administration's first admin, a
wallet holder, a customs account's new login email and its multifactor address."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.domain import DomainError, api_clients, chambers, identity, mfa, values
from portal.domain import wallet as wallet_domain
from portal.domain.info import operators
from portal.models import ChamberStaff, CustomsAdministration, Holder, Operator

INVALID = "Enter a valid email address, like name@example.com."
BAD = ["anna@", "anna", "@cci.example", "anna@cci", "anna@@cci.example", "anna @cci.example"]


@pytest.fixture
def association(session):
    nga = api_clients.create_nga(session, "CH", "NGA (one email check)")
    association = api_clients.create_issuing_association(session, nga, "CCI (one email check)")
    session.commit()
    return association


def _holder_form(email: str) -> dict:
    return {
        "kind": "private",
        "given_names": "Anna",
        "surname": "Peeters",
        "email": email,
        "street": "Rue Haute 12",
        "postal_code": "1000",
        "city": "Bruxelles",
        "country_code": "BE",
        "phone": "+32 470 12 34 56",
    }


def _paths(session, association, account):
    """(what is created, field of the address, call with an address)."""
    return [
        (
            ChamberStaff,
            "email",
            lambda e: chambers.create_staff(
                session, association, e, "Anna", "staff", actor=api_clients.OPERATOR
            ),
        ),
        (
            ChamberStaff,
            "email",
            lambda e: chambers.first_admin(session, association, e, "Anna", api_clients.OPERATOR),
        ),
        (
            Operator,
            "email",
            lambda e: operators.invite_operator(session, e, "Anna", actor=api_clients.OPERATOR),
        ),
        (
            Operator,
            "email",
            lambda e: operators.create_operator(session, e, "Anna", "operator-passw0rd-long"),
        ),
        (
            CustomsAdministration,
            "admin_email",
            lambda e: identity.create_administration(
                session, code="de", name="Zoll", country_code="DE", admin_email=e, admin_name="A"
            ),
        ),
        (
            Holder,
            "email",
            lambda e: wallet_domain.register(
                session,
                _holder_form(e),
                "holder-passw0rd-long",
                "482915",
                confirm_url="http://wallet.eata.test/my/confirm/{token}",
                accepted_terms=True,
            ),
        ),
        (None, "email", lambda e: identity.request_email_change(session, account, e)),
        (None, "address", lambda e: mfa.check_alternative_email(account, e)),
    ]


def test_r12_every_account_email_is_refused_by_the_one_check(
    app, session, demo, association, account_of
):
    account = account_of("be", "officer")
    for model, field, call in _paths(session, association, account):
        count = session.scalar(select(func.count()).select_from(model)) if model else None
        for email in BAD:
            with pytest.raises(DomainError) as refused:
                call(email)
            assert (refused.value.field, refused.value.message) == (field, INVALID), email
            with pytest.raises(DomainError) as again:
                values.email_address(email, field)  # the same words as the one check's
            assert again.value.message == refused.value.message
            session.rollback()
        if model is not None:
            assert session.scalar(select(func.count()).select_from(model)) == count


def test_r12_the_one_check_keeps_the_address_it_accepts(app):
    assert values.email_address(" Anna.Peeters@CCI.Example ") == "anna.peeters@cci.example"
    with pytest.raises(DomainError) as empty:
        values.email_address("  ", "admin_email")
    assert (empty.value.field, empty.value.message) == ("admin_email", "Enter an email address.")
    assert values.email_address("", required=False) == ""
    with pytest.raises(DomainError, match="at most 254"):
        values.email_address("a" * 250 + "@cci.example")
