"""R-04 after the archive (issue #20 item 5): an archived carnet's history, details and
receipts as each administration saw them before — BE and FR inside the EU, CH at home —, the
Logs lists showing live carnets with a note for a carnet number searched whole, and the desk's
receipt of an archived transaction."""

from __future__ import annotations

from tests.support.archive import REMARK, closed_carnet, in_use, run_archive
from tests.support.factory import add_administration


def _archived(world):
    carnet, ids, cancelled = closed_carnet(world)
    in_use(world)
    assert run_archive(world).carnets == 1
    return carnet, ids, cancelled


def _pages(world, login_as, carnet, ids) -> dict:
    out = {}
    for cc in ("be", "fr", "ch"):
        client = login_as(cc, "controller")
        out[cc] = {
            "carnet": client.get(f"/monitoring/logs/carnets/{carnet.id}"),
            "import": client.get(f"/monitoring/logs/transactions/{ids['import']}"),
            "reimport": client.get(f"/monitoring/logs/transactions/{ids['reimport']}?receipt=1"),
        }
    return out


def test_r04_archived_carnet_pages_show_what_each_administration_saw(world, login_as):
    carnet, ids, _cancelled = closed_carnet(world)
    in_use(world)
    before = {
        cc: {what: (r.status_code, "FR-77" in r.get_data(as_text=True)) for what, r in p.items()}
        for cc, p in _pages(world, login_as, carnet, ids).items()
    }
    assert run_archive(world).carnets == 1
    after = _pages(world, login_as, carnet, ids)
    assert {
        cc: {what: (r.status_code, "FR-77" in r.get_data(as_text=True)) for what, r in p.items()}
        for cc, p in after.items()
    } == before
    # EU: BE and FR see the importation; CH (home) does not — on its history nor by id
    assert before["be"]["carnet"] == (200, True) and before["fr"]["import"] == (200, True)
    assert before["ch"]["carnet"] == (200, False) and before["ch"]["import"][0] == 404
    assert before["ch"]["reimport"][0] == 200  # the final re-importation, its receipt page
    be_import = after["be"]["import"].get_data(as_text=True)
    fr_import = after["fr"]["import"].get_data(as_text=True)
    assert REMARK not in be_import and REMARK in fr_import  # F-02: remarks stay with FR
    page = after["be"]["carnet"].get_data(as_text=True)
    assert 'id="archived-note"' in page and "Scanned the wrong voucher" in page


def test_f63_logs_lists_show_live_carnets_and_a_note_for_an_archived_number(world, login_as):
    carnet, _ids, _c = _archived(world)
    be = login_as("be", "controller")
    listed = be.get("/monitoring/logs").get_data(as_text=True)
    assert carnet.carnet_number not in listed and 'id="archived-note"' not in listed
    for tab in ("carnets", "transactions"):
        for q in (carnet.carnet_number.lower(), str(carnet.eata_id)):
            html = be.get(f"/monitoring/logs?tab={tab}&q={q}").get_data(as_text=True)
            assert 'id="archived-note"' in html, (tab, q)
            assert f"/monitoring/logs/carnets/{carnet.id}" in html
    # a carnet number given in part is no search of a whole number: no note
    part = be.get(f"/monitoring/logs?q={carnet.carnet_number[:-2]}").get_data(as_text=True)
    assert 'id="archived-note"' not in part


def test_f63_an_administration_whose_territory_it_never_entered_gets_no_note(world, login_as):
    carnet, _ids, _c = _archived(world)
    officer = add_administration(world, "no", "NO")  # in the carnet's countries, never entered
    officer.account.role = "controller"
    world.session.commit()
    no = login_as("no", "controller", account=officer.account)
    html = no.get(f"/monitoring/logs?q={carnet.carnet_number}").get_data(as_text=True)
    assert no.get("/monitoring/logs").status_code == 200
    assert 'id="archived-note"' not in html
    assert no.get(f"/monitoring/logs/carnets/{carnet.id}").status_code == 404


def test_f41_desk_receipt_of_an_archived_transaction_stays_available(world, login_as):
    _carnet, ids, _c = _archived(world)
    ch = login_as("ch", "officer")
    r = ch.get(f"/transactions/{ids['reimport']}/receipt")
    assert r.status_code == 200
    assert ch.get(f"/transactions/{ids['reimport']}/receipt.pdf").status_code == 200
    assert ch.get(f"/transactions/{ids['reimport']}/qr.svg").status_code == 200
    # another administration's archived transaction is a 404, as a live one is
    fr = login_as("fr", "officer")
    assert fr.get(f"/transactions/{ids['reimport']}/receipt").status_code == 404


def test_f44_desk_cancellation_of_an_archived_transaction_is_refused_as_closed(world, login_as):
    carnet, ids, _c = _archived(world)
    ch = login_as("ch", "officer")
    r = ch.post(
        f"/transactions/{ids['reimport']}/cancel",
        data={"cancellation_code": "AAAAAAAAAAAAA", "reason": "Late", "from": "receipt"},
    )
    assert r.status_code == 409
    assert "archived" in r.get_data(as_text=True) and carnet.carnet_number in r.get_data(
        as_text=True
    )
