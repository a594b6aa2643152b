"""F-14, R-17: an id beyond the database's integer range (typed in a URL, a filter or a posted
select) is an id that exists nowhere: a 404 in a URL, ignored in a filter, refused next to the
field; it never reaches the query."""

from __future__ import annotations

import pytest

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    "path",
    [
        f"/admin/accounts/{HUGE}",
        f"/admin/offices/{HUGE}",
        f"/admin/regions/{HUGE}",
        f"/admin/accounts/{HUGE}/delete",
        f"/bulk/sessions/{HUGE}",
        f"/bulk/sessions/{HUGE}/job",
        f"/admin/exports/{HUGE}",
        f"/admin/exports/{HUGE}/download",
        # beyond PostgreSQL's integer (int4) range, within bigint
        "/admin/accounts/2147483648",
        "/admin/exports/2147483648",
        "/bulk/sessions/2147483648",
    ],
)
def test_r17_out_of_range_id_in_a_url_is_404(login_as, demo, path):
    assert login_as("be", "admin").get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        f"/admin/accounts?region_id={HUGE}",
        f"/admin/accounts?office_id={HUGE}",
        f"/admin/offices?region_id={HUGE}",
        f"/admin/accounts/office-options?region_id={HUGE}",
    ],
)
def test_f14_out_of_range_filter_is_ignored(login_as, demo, path):
    assert login_as("be", "admin").get(path).status_code == 200


@pytest.mark.parametrize(
    "path,data,field_error",
    [
        (
            "/admin/regions/new",
            {"name": "North", "territory_id": HUGE},
            b"Choose a customs territory from the list.",
        ),
        (
            "/admin/offices/new",
            {"name": "Quay", "region_id": HUGE},
            b"Choose a region from the list.",
        ),
        (
            "/admin/accounts/new",
            {"full_name": "A", "email": "a@customs.example", "role": "officer", "region_id": HUGE},
            b"Choose a region from the list.",
        ),
        ("/account/office", {"office_id": HUGE}, None),
        ("/account/office", {"office_id": "2147483648"}, None),
        (
            "/admin/offices/new",
            {"name": "Quay", "region_id": "2147483648"},
            b"Choose a region from the list.",
        ),
        (
            "/admin/accounts/new",
            {
                "full_name": "A",
                "email": "a@customs.example",
                "role": "officer",
                "region_id": "2147483648",
                "office_id": "2147483648",
            },
            b"Choose a region from the list.",
        ),
    ],
)
def test_f15_out_of_range_id_in_a_form_is_refused_not_a_500(
    login_as, demo, path, data, field_error
):
    r = login_as("be", "admin").post(path, data=data)
    assert r.status_code == 422, r.status_code
    if field_error:
        assert field_error in r.data
