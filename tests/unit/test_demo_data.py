"""The demo data of `make run`: idempotent, and its carnet can really be downloaded (F-30)."""

from sqlalchemy import func, select

from portal.domain.carnets import verify_download_pin
from portal.domain.demo import load_demo_carnet, load_demo_data
from portal.models import Account, Carnet


def test_demo_load_twice_changes_nothing_and_the_carnet_pin_works(app, session):
    load_demo_data(session)
    eata_id, number, pin = load_demo_carnet(session)
    session.commit()
    assert pin and number == "BEDEMO0000001"
    accounts = session.scalar(select(func.count()).select_from(Account))
    load_demo_data(session)
    again = load_demo_carnet(session)
    session.commit()
    assert again == (eata_id, number, None)
    assert session.scalar(select(func.count()).select_from(Account)) == accounts
    assert session.scalar(select(func.count()).select_from(Carnet)) == 1
    assert verify_download_pin(session, eata_id, pin).carnet_number == number
    assert verify_download_pin(session, eata_id, "00000000" if pin != "00000000" else "1") is None


def test_demo_load_command_prints_logins_and_the_carnet(app):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "admin@customs-be.demo" in result.output
    assert "Demo carnet BEDEMO0000001" in result.output and "with the PIN" in result.output


def test_f50_demo_has_one_pending_predeclaration_for_the_belgian_officer(app, session):
    from portal.domain.demo import load_demo_predeclaration
    from portal.models import Predeclaration

    load_demo_data(session)
    load_demo_carnet(session)
    assert load_demo_predeclaration(session) == "holder@wallet.demo"
    assert load_demo_predeclaration(session) is None  # idempotent
    session.commit()
    (p,) = session.scalars(select(Predeclaration)).all()
    assert p.state == "pending" and p.kind == "validation" and p.option == "automatic"
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
