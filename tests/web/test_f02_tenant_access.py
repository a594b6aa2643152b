"""F-02: routes load an administration's objects through one helper (tenancy.get_for_tenant_or_404).

A blueprint that calls `db.session.get(Model, …)` on a model owned by an administration (a
`customs_id` column, or a child of one) skips the tenant check: this test reads every blueprint
module and fails on such a call. Behaviour (another tenant's id is a 404) is proved per screen in
the web tests; this keeps the one way from being bypassed by the next route.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

import portal.models as models
from portal.db import Base

BLUEPRINTS = pathlib.Path(__file__).resolve().parents[2] / "portal" / "blueprints"
# owned through a parent that has the customs_id column
CHILDREN_OF_OWNED = {"ClaimEvidence", "ClaimEvent"}


def _owned_model_names() -> set[str]:
    names = set(CHILDREN_OF_OWNED)
    for mapper in Base.registry.mappers:
        if "customs_id" in mapper.local_table.c:
            names.add(mapper.class_.__name__)
    return names


def _modules() -> list[pathlib.Path]:
    return sorted(BLUEPRINTS.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(BLUEPRINTS)))
def test_f02_blueprints_load_tenant_owned_objects_only_through_the_helper(path):
    assert models  # the models are imported, so the mappers are configured
    owned = _owned_model_names()
    assert {"Account", "Office", "Region", "Claim", "Job"} <= owned
    offenders = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
        ):
            continue
        target = ast.unparse(node.func.value)
        model = node.args[0]
        if target.endswith("session") and isinstance(model, ast.Name) and model.id in owned:
            offenders.append(f"line {node.lineno}: {ast.unparse(node)}")
    assert not offenders, "load these through portal.tenancy.get_for_tenant_or_404: " + "; ".join(
        offenders
    )


def test_f02_the_check_sees_a_bypass():
    source = "def view(i):\n    return db.session.get(Claim, i)\n"
    calls = [
        n
        for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "get"
    ]
    assert calls and calls[0].args[0].id in _owned_model_names()
