"""An operator's invitation link is used once (docs/operator.md): of two submits of the same
link at once, the one that reads the link before the other has set the password is still
refused — the password is set by a conditional UPDATE, not a read then a write."""

from __future__ import annotations

import pytest

from portal.domain import DomainError
from portal.domain.api_clients import OPERATOR
from portal.domain.info import operators
from portal.extensions import db as database
from portal.models import Operator


def test_ops_invitation_link_used_once_even_when_read_twice_at_once(app, monkeypatch):
    with database.new_session() as s:
        operator, raw = operators.invite_operator(s, "nina@ops.test", "Nina Ops", actor=OPERATOR)
        s.commit()
        operator_id = operator.id
    with database.new_session() as slow, database.new_session() as fast:
        # the slow submit read the link while it was still unused …
        stale = operators.invited(slow, raw)
        assert stale is not None
        # … the fast one sets the password and commits first
        operators.accept_invitation(fast, raw, "correct horse battery staple 42", ip=None)
        fast.commit()
        monkeypatch.setattr(operators, "invited", lambda _session, _raw: stale)
        with pytest.raises(DomainError, match="not valid any more"):
            operators.accept_invitation(slow, raw, "violet tractor umbrella 9001", ip=None)
        slow.rollback()
    with database.new_session() as s:
        row = s.get(Operator, operator_id)
        assert row.invite_hash is None
        # the first password stands
        assert (
            operators.check_login(s, "nina@ops.test", "correct horse battery staple 42")[0] == "ok"
        )
