"""Regions (F-15): list with search/filter/pagination via htmx, create, edit, delete (R-12)."""

from sqlalchemy import select

from portal.models import AuditEvent, CustomsAdministration, Office, Region
from tests.web.admin.conftest import field_error


def test_f15_region_list_full_page_and_htmx_fragment(login_as):
    c = login_as("be", "admin")
    page = c.get("/admin/regions")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<html" in text and "Antwerp" in text and "Brussels" in text
    assert 'hx-trigger="input changed delay:300ms, search"' in text
    assert 'hx-push-url="true"' in text
    assert "css/admin.css" in text

    frag = c.get("/admin/regions?q=brus", headers={"HX-Request": "true"})
    body = frag.get_data(as_text=True)
    assert frag.status_code == 200
    assert "<html" not in body and "<form" not in body
    assert "Brussels" in body and "Antwerp" not in body
    assert "HX-Request" in frag.headers["Vary"]

    # a history restore (back button) needs the whole page
    restore = c.get(
        "/admin/regions?q=brus",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in restore.get_data(as_text=True)


def test_f15_region_list_filters_by_status_and_paginates(login_as, demo):
    be = demo.scalar(select(CustomsAdministration).where(CustomsAdministration.code == "be"))
    for i in range(25):
        demo.add(
            Region(
                customs_id=be.id,
                name=f"Zone {i:02d}",
                territory_id=be.territory_id,
                active=i % 5 != 0,
            )
        )
    demo.commit()
    c = login_as("be", "admin")
    first = c.get("/admin/regions?q=zone").get_data(as_text=True)
    assert "1–20 of 25" in first and "Zone 19" in first and "Zone 20" not in first
    assert "page=2" in first
    second = c.get("/admin/regions?q=zone&page=2", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "21–25 of 25" in second and "Zone 24" in second and "Zone 00" not in second
    inactive = c.get("/admin/regions?q=zone&active=0").get_data(as_text=True)
    assert "of 5" in inactive and "Zone 05" in inactive and "Zone 06" not in inactive


def test_f15_create_region_defaults_to_the_administration_territory(login_as, find):
    c = login_as("be", "admin")
    form = c.get("/admin/regions/new").get_data(as_text=True)
    assert "selected" in form and "EU" in form
    r = c.post("/admin/regions/new", data={"name": "Liège", "territory_id": "", "active": "y"})
    assert r.status_code == 303
    region = find(Region, "be", "Liège")
    be_antwerp = find(Region, "be", "Antwerp")
    assert region.territory_id == be_antwerp.territory_id
    assert region.active is True
    followed = c.get(r.headers["Location"]).get_data(as_text=True)
    assert "Region “Liège” created." in followed


def test_f15_region_name_is_unique_within_the_administration(login_as, count, find):
    c = login_as("be", "admin")
    r = c.post("/admin/regions/new", data={"name": "antwerp", "active": "y"})
    assert r.status_code == 422
    assert field_error(r, "name") == "A region called “antwerp” already exists."
    assert count(Region, "be") == 2
    # the same name in another administration is fine
    assert find(Region, "fr", "Normandie") is not None
    ok = c.post("/admin/regions/new", data={"name": "Normandie", "active": "y"})
    assert ok.status_code == 303


def test_f15_region_validation_errors_stand_next_to_their_field(login_as, count):
    c = login_as("be", "admin")
    r = c.post("/admin/regions/new", data={"name": "", "active": "y"})
    assert r.status_code == 422
    assert field_error(r, "name") == "Enter the region name."
    assert 'aria-invalid="true"' in r.get_data(as_text=True)
    r = c.post("/admin/regions/new", data={"name": "X", "territory_id": "999999"})
    assert r.status_code == 422
    assert field_error(r, "territory_id") == "Choose a customs territory from the list."
    assert count(Region, "be") == 2


def test_f15_edit_region_and_audit_before_after(login_as, find, demo):
    c = login_as("be", "admin")
    region = find(Region, "be", "Brussels")
    r = c.get(f"/admin/regions/{region.id}")
    assert r.status_code == 200 and 'value="Brussels"' in r.get_data(as_text=True)
    r = c.post(
        f"/admin/regions/{region.id}",
        data={"name": "Bruxelles-Brussel", "territory_id": str(region.territory_id)},
    )
    assert r.status_code == 303
    region = find(Region, "be", "Bruxelles-Brussel")
    assert region is not None and region.active is False
    event = demo.scalar(select(AuditEvent).where(AuditEvent.action == "region.update"))
    assert event.object_id == str(region.id)
    assert event.data["before"] == {"name": "Brussels", "active": True}
    assert event.data["after"] == {"name": "Bruxelles-Brussel", "active": False}
    assert event.actor_label == "admin@customs-be.demo"


def test_f15_r12_delete_region_refused_while_offices_reference_it(login_as, find, demo, count):
    be = find(Region, "be", "Brussels")
    lonely = Region(customs_id=be.customs_id, name="Lonely", territory_id=be.territory_id)
    demo.add(lonely)
    demo.flush()
    for i in range(3):
        demo.add(Office(customs_id=be.customs_id, region_id=lonely.id, name=f"Lonely {i}"))
    demo.commit()
    c = login_as("be", "admin")
    confirm = c.get(f"/admin/regions/{lonely.id}/delete")
    assert confirm.status_code == 200 and "Delete region “Lonely”?" in confirm.get_data(
        as_text=True
    )
    r = c.post(f"/admin/regions/{lonely.id}/delete")
    assert r.status_code == 409
    assert "This region still has 3 offices: move or delete them first." in r.get_data(as_text=True)
    assert find(Region, "be", "Lonely") is not None

    antwerp = find(Region, "be", "Antwerp")
    r = c.post(f"/admin/regions/{antwerp.id}/delete")
    assert r.status_code == 409
    assert (
        "This region still has 2 offices and 3 accounts: move or delete them first."
        in r.get_data(as_text=True)
    )


def test_f15_delete_unused_region(login_as, find, demo):
    be = find(Region, "be", "Brussels")
    demo.add(Region(customs_id=be.customs_id, name="Empty", territory_id=be.territory_id))
    demo.commit()
    empty = find(Region, "be", "Empty")
    c = login_as("be", "admin")
    r = c.post(f"/admin/regions/{empty.id}/delete")
    assert r.status_code == 303
    assert find(Region, "be", "Empty") is None
    assert demo.scalar(select(AuditEvent).where(AuditEvent.action == "region.delete")).data == {
        "before": {"name": "Empty"}
    }


def test_f13_regions_are_for_admins_only(login_as, find):
    region = find(Region, "be", "Antwerp")
    for role in ("regional_manager", "controller", "officer"):
        c = login_as("be", role)
        assert c.get("/admin/regions").status_code == 403
        assert c.post("/admin/regions/new", data={"name": "Sneaky"}).status_code == 403
        assert c.post(f"/admin/regions/{region.id}/delete").status_code == 403
    assert find(Region, "be", "Sneaky") is None
    assert find(Region, "be", "Antwerp") is not None


def test_f15_region_pages_need_login(client_for, demo):
    r = client_for("customs", "be").get("/admin/regions")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
