"""F-71 … F-74: the Global Transition Plan's use cases 1–6 through the engine (docs/transition.md).

Switzerland is made a paper country where a use case needs a paper departure; Türkiye (TR) is a
paper country in the published list."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from portal.db import now_utc
from portal.domain import DomainError, ata_status, transition
from portal.domain.transactions import cancel_transaction, place_of
from portal.domain.transition import PaperInput, record_paper_transaction
from portal.models import AuditEvent, Country, PaperTransaction, Transaction
from tests.support.factory import commit, issue, travel

TODAY = now_utc().date()
pytestmark = pytest.mark.usefixtures("ata_statuses")
BOX_P = ("BE", "FR", "DE", "TR")


def make_paper(world, code: str) -> None:
    """As the published list would say: `code`'s territory is (still) a paper country."""
    country = world.session.get(Country, code)
    for c in world.session.scalars(
        select(Country).where(Country.territory_id == country.territory_id)
    ):
        c.ata_status, c.digital_from, c.provisional_from = "paper", None, None
    world.session.commit()


def kinds(t) -> list[tuple[str, str]]:
    return [(v.kind, v.country_code) for v in t.vouchers]


def record(world, carnet, kind, country, *, by="fr", made_on=None, number="0001"):
    place = place_of(world.session, world.officer(by))
    row = record_paper_transaction(
        world.session,
        carnet,
        PaperInput(kind, country, f"{country} border office", made_on or TODAY, number),
        place=place,
        recorded_by=world.officer(by).account.email,
    )
    world.session.commit()
    return row


def events(world, action: str, carnet) -> list[AuditEvent]:
    return list(
        world.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == action, AuditEvent.object_id == str(carnet.eata_id)
            )
        )
    )


def test_f73_use_case_1_paper_to_paper_needs_no_digital_voucher(world):
    make_paper(world, "CH")
    advice = transition.advise(world.session, "CH", [("TR", None, "destination")])
    assert (advice.use_case, advice.options) == (1, ["paper"])
    carnet = issue(world, countries=BOX_P)
    with pytest.raises(DomainError, match="made with the paper carnet") as err:
        travel(world, carnet, "CH", "TR")
    assert err.value.code == "paper_only"
    # the history can still be made whole: both countries are paper, anything may be recorded
    record(world, carnet, "validation", "CH", number="V-1")
    record(world, carnet, "import", "TR", number="I-1")
    assert carnet.activated_at is not None  # the paper validation in a paper country


def test_f73_use_case_2_paper_departure_validated_automatically(world):
    make_paper(world, "CH")
    advice = transition.advise(world.session, "CH", [("FR", None, "destination")])
    assert (advice.use_case, advice.format) == (2, "paper_clone")
    carnet = issue(world, countries=BOX_P)
    out = travel(world, carnet, "CH", "FR")
    # validation and exportation happen on the paper carnet in Switzerland
    assert kinds(out) == [("import", "FR")]
    assert carnet.activated_at is None
    r = commit(world, out, "import", "fr")
    world.session.refresh(carnet)
    assert r.kind == "import" and carnet.status == "active" and carnet.activated_at is not None
    assert len(events(world, "carnet.validated_automatically", carnet)) == 1
    back = travel(world, carnet, "FR", "CH")
    assert kinds(back) == [("reexport", "FR")]  # the re-importation is on paper
    commit(world, back, "reexport", "be")
    # the paper exportation and re-importation, recorded so the history is whole
    record(world, carnet, "export", "CH", number="E-1")
    record(world, carnet, "reimport", "CH", number="R-1")
    view = transition.discharge_view(world.session, carnet)
    # all made today: within the day in the order of the trip (the paper re-importation after
    # the digital re-exportation, not before it)
    assert [(h.medium, h.kind) for h in view.lines] == [
        ("paper", "export"),
        ("digital", "import"),
        ("digital", "reexport"),
        ("paper", "reimport"),
    ]
    assert view.open_vouchers == 0


def test_f73_use_case_2_cancelling_the_validating_commit_undoes_the_validation(world):
    make_paper(world, "CH")
    carnet = issue(world, countries=BOX_P)
    out = travel(world, carnet, "CH", "FR")
    r = commit(world, out, "import", "fr")
    txn = world.session.get(Transaction, r.transaction_id)
    cancel_transaction(world.session, txn.id, world.officer("fr"), r.cancellation_code, "typo")
    world.session.commit()
    world.session.refresh(carnet)
    assert (carnet.status, carnet.activated_at) == ("issued", None)
    # the next commit abroad validates it again
    commit(world, out, "import", "fr")
    world.session.refresh(carnet)
    assert carnet.status == "active" and carnet.activated_at is not None
    assert len(events(world, "carnet.validated_automatically", carnet)) == 2


def test_f73_use_case_2_cancel_keeps_a_validation_recorded_on_paper(world):
    make_paper(world, "CH")
    carnet = issue(world, countries=BOX_P)
    record(world, carnet, "validation", "CH", number="V-1")  # the paper validation, recorded
    out = travel(world, carnet, "CH", "FR")
    r = commit(world, out, "import", "fr")
    cancel_transaction(
        world.session, r.transaction_id, world.officer("fr"), r.cancellation_code, "typo"
    )
    world.session.commit()
    world.session.refresh(carnet)
    assert carnet.status == "active" and carnet.activated_at is not None


def test_f73_use_case_2_without_a_paper_departure_validation_is_still_required(world):
    """The rejection path: a digital departure country validates digitally (R-01)."""
    carnet = issue(world, countries=BOX_P)
    assert not transition.validated_automatically(world.session, carnet, "import", TODAY)
    assert not transition.validated_automatically(world.session, carnet, "export", TODAY)


def test_f73_use_case_3_digital_to_digital_unchanged(world):
    advice = transition.advise(world.session, "CH", [("FR", None, "destination")])
    assert (advice.use_case, advice.options) == (3, ["digital"])
    carnet = issue(world, countries=BOX_P)
    out = travel(world, carnet, "CH", "FR")
    assert kinds(out) == [("validation", "CH"), ("export", "CH"), ("import", "FR")]
    with pytest.raises(DomainError, match="not been validated"):
        commit(world, out, "import", "fr")
    commit(world, out, "validation", "ch")
    commit(world, out, "export", "ch")
    commit(world, out, "import", "fr")
    assert events(world, "carnet.validated_automatically", carnet) == []


def test_f73_use_case_4_digital_to_paper(world):
    advice = transition.advise(world.session, "CH", [("TR", None, "destination")])
    assert (advice.use_case, advice.format) == (4, "paper_clone")
    carnet = issue(world, countries=BOX_P)
    out = travel(world, carnet, "CH", "TR")
    assert kinds(out) == [("validation", "CH"), ("export", "CH")]  # importation on paper
    commit(world, out, "validation", "ch")
    commit(world, out, "export", "ch")
    # the Swiss office also stamps the paper cover (recorded); a paper exportation is refused
    record(world, carnet, "validation", "CH", by="ch", number="V-1")
    with pytest.raises(DomainError, match="made with the digital carnet, not on paper"):
        record(world, carnet, "export", "CH", by="ch", number="E-9")
    record(world, carnet, "import", "TR", by="ch", number="I-1")
    back = travel(world, carnet, "TR", "CH")
    assert kinds(back) == [("reimport", "CH")]
    commit(world, back, "reimport", "ch")
    view = transition.discharge_view(world.session, carnet)
    assert {h.medium for h in view.lines} == {"digital", "paper"}


def test_f73_use_case_5_paper_departure_to_paper_and_digital(world):
    make_paper(world, "CH")
    advice = transition.advise(
        world.session, "CH", [("TR", None, "transit"), ("FR", None, "destination")]
    )
    assert (advice.use_case, advice.options) == (5, ["paper_clone", "twin"])
    assert [leg.carnet for leg in advice.legs] == ["paper", "paper", "digital"]
    carnet = issue(world, countries=BOX_P)
    out = travel(world, carnet, "CH", "FR", transits=("TR",))
    assert kinds(out) == [("import", "FR")]  # Türkiye in transit on the paper carnet
    commit(world, out, "import", "fr")
    world.session.refresh(carnet)
    assert carnet.status == "active"


def test_f73_use_case_6_digital_departure_to_paper_and_digital(world):
    advice = transition.advise(
        world.session, "CH", [("TR", None, "transit"), ("FR", None, "destination")]
    )
    assert (advice.use_case, advice.options) == (6, ["paper_clone", "twin"])
    carnet = issue(world, countries=BOX_P)
    out = travel(world, carnet, "CH", "FR", transits=("TR",))
    assert kinds(out) == [("validation", "CH"), ("export", "CH"), ("import", "FR")]
    commit(world, out, "validation", "ch")
    record(world, carnet, "validation", "CH", by="ch")  # the green cover stamped too
    commit(world, out, "export", "ch")
    commit(world, out, "import", "fr")
    record(world, carnet, "transit_open", "TR", by="fr", number="T-1")
    record(world, carnet, "transit_close", "TR", by="fr", number="T-2")
    assert len(transition.paper_transactions(world.session, carnet)) == 3


def test_f72_paper_carnet_accepted_before_a_switch_keeps_its_return(world):
    """Norway paper first; a carnet imported there on paper; Norway switches: the paper
    re-exportation is still accepted there, a new paper importation is not."""
    make_paper(world, "NO")
    before = TODAY - dt.timedelta(days=200)
    carnet = issue(world, countries=("NO", "FR"), issue_date=before - dt.timedelta(days=5))
    record(world, carnet, "import", "NO", made_on=before, number="I-1")
    no = world.session.get(Country, "NO")
    no.ata_status, no.digital_from = "digital", TODAY - dt.timedelta(days=30)
    world.session.commit()
    record(world, carnet, "reexport", "NO", number="X-1")
    other = issue(world, countries=("NO", "FR"), issue_date=before - dt.timedelta(days=5))
    with pytest.raises(DomainError, match="made with the digital carnet, not on paper"):
        record(world, other, "import", "NO", number="I-2")
    with pytest.raises(DomainError, match="only when its importation was made there on paper"):
        record(world, other, "reexport", "NO", number="X-2")
    assert (
        world.session.scalar(
            select(PaperTransaction.id).where(PaperTransaction.carnet_id == other.id)
        )
        is None
    )


def test_f73_trip_paper_ch_digital_eu_digital_ch_across_the_switch(world):
    """Paper CH → digital EU → CH once digital: the carnet left on paper, so it comes back on
    paper (F-72), recorded by the Swiss office."""
    make_paper(world, "CH")
    t0 = TODAY - dt.timedelta(days=150)
    switch = TODAY - dt.timedelta(days=10)
    carnet = issue(world, countries=BOX_P, issue_date=t0 - dt.timedelta(days=1), valid_days=360)
    ata_status.announce_provisional(world.session, "CH", switch, today=t0)
    ata_status.confirm_digital(world.session, "CH", switch, today=t0)
    world.session.commit()
    start = dt.datetime.combine(t0, dt.time(9))
    out = travel(world, carnet, "CH", "FR", now=start)
    assert kinds(out) == [("import", "FR")]
    commit(world, out, "import", "fr", today=t0, now=start)
    back = travel(world, carnet, "FR", "CH")
    assert kinds(back) == [("reexport", "FR")]
    commit(world, back, "reexport", "fr")
    record(world, carnet, "reimport", "CH", by="ch", number="R-1")
    kinds_done = world.session.scalars(
        select(Transaction.kind).where(Transaction.carnet_id == carnet.id)
    ).all()
    assert sorted(kinds_done) == ["import", "reexport"]
    # a new carnet from (now digital) Switzerland is validated digitally again
    fresh = issue(world, countries=BOX_P)
    assert kinds(travel(world, fresh, "CH", "FR"))[0] == ("validation", "CH")


def test_f71_advice_across_a_switch_date(world):
    make_paper(world, "NO")
    no = world.session.get(Country, "NO")
    no.ata_status, no.digital_from = "digital", TODAY + dt.timedelta(days=100)
    world.session.commit()
    early = transition.advise(world.session, "CH", [("NO", TODAY, "destination")])
    late = transition.advise(
        world.session, "CH", [("NO", TODAY + dt.timedelta(days=120), "destination")]
    )
    assert (early.use_case, late.use_case) == (4, 3)
    assert "still paper" in early.legs[1].why
    with pytest.raises(DomainError, match="before the departure"):
        transition.advise(
            world.session, "CH", [("NO", TODAY - dt.timedelta(days=1), "destination")]
        )
    with pytest.raises(DomainError, match="departure customs territory"):
        transition.advise(world.session, "FR", [("BE", None, "destination")])


def test_f72_goods_exported_on_paper_get_no_digital_exportation(world):
    """Paper CH (validated and exported on paper, recorded) → CH digital since: the goods are
    abroad, so the next travel from CH to digital France starts from there — its importation
    only, no digital exportation (nor validation) at home; back home, the re-importation is on
    paper (F-72). Once the goods are back (re-importation recorded), a new exportation from
    digital Switzerland is digital again."""
    make_paper(world, "CH")
    t0 = TODAY - dt.timedelta(days=150)
    switch = TODAY - dt.timedelta(days=10)
    carnet = issue(world, countries=BOX_P, issue_date=t0 - dt.timedelta(days=1), valid_days=360)
    ata_status.announce_provisional(world.session, "CH", switch, today=t0)
    ata_status.confirm_digital(world.session, "CH", switch, today=t0)
    world.session.commit()
    record(world, carnet, "validation", "CH", by="ch", made_on=t0, number="V-1")
    record(world, carnet, "export", "CH", by="ch", made_on=t0, number="E-1")
    assert transition.left_home_on_paper(world.session, carnet)
    out = travel(world, carnet, "CH", "FR")
    assert kinds(out) == [("import", "FR")]
    # the goods come back (recorded on paper): a new exportation is digital
    record(world, carnet, "reimport", "CH", by="ch", made_on=t0 + dt.timedelta(days=5))
    assert not transition.left_home_on_paper(world.session, carnet)
    again = travel(world, carnet, "CH", "FR")
    assert ("export", "CH") in kinds(again)
