"""F-02 safety net (tenancy._scope_tenant_owned): a session bound to an administration only loads
that administration's rows — also through a statement built once and run for several
administrations in turn (the scoped copy of such a statement is kept per administration)."""

from __future__ import annotations

from sqlalchemy import select

from portal.domain.sessions import live_session, open_session
from portal.extensions import db as database
from portal.models import CustomsAdministration, Office

OFFICES = select(Office).order_by(Office.id)  # built once, run for each administration


def _admin_id(session, code: str) -> int:
    return session.scalar(
        select(CustomsAdministration.id).where(CustomsAdministration.code == code)
    )


def _offices_seen_by(code: str | None) -> set[int]:
    with database.new_session() as s:
        if code is not None:
            s.info["customs_id"] = _admin_id(s, code)
        return {o.customs_id for o in s.scalars(OFFICES)}


def test_f02_a_statement_built_once_loads_each_administrations_rows_only(app, world):
    with database.new_session() as s:
        be, fr = _admin_id(s, "be"), _admin_id(s, "fr")
    for _ in range(2):  # the scoped copies are kept: each still sees its own rows
        assert _offices_seen_by("be") == {be}
        assert _offices_seen_by("fr") == {fr}
    assert {be, fr} <= _offices_seen_by(None)  # a session bound to no administration


def test_f02_a_session_row_of_another_administration_comes_without_its_account(app, world):
    from datetime import timedelta

    limits = {"idle": timedelta(minutes=30), "absolute": timedelta(hours=12)}
    with database.new_session() as s:
        account = world.officer("be").account
        sid = open_session(s, s.merge(account)).id
        s.commit()
    for _ in range(2):
        with database.new_session() as s:
            s.info["customs_id"] = _admin_id(s, "be")
            assert live_session(s, sid, **limits).account.id == account.id
        with database.new_session() as s:
            s.info["customs_id"] = _admin_id(s, "fr")
            assert live_session(s, sid, **limits) is None  # the account is filtered out
