"""F-32, F-33, F-41: a full outbound and return journey."""

from tests.support.factory import commit, issue, travel


def test_f41_full_journey(world):
    carnet = issue(world)
    out = travel(world, carnet, "CH", "FR")
    assert [v.kind for v in out.vouchers] == ["validation", "export", "import"]
    commit(world, out, "validation", "ch")
    commit(world, out, "export", "ch")
    r = commit(world, out, "import", "fr")
    assert r.kind == "import" and len(r.verification_code) == 13
    back = travel(world, carnet, "FR", "CH")
    assert [v.kind for v in back.vouchers] == ["reexport", "reimport"]
    commit(world, back, "reexport", "be")
    commit(world, back, "reimport", "ch")
