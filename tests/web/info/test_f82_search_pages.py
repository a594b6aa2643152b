"""F-82: the search page of the customs portal and of the wallet (one domain function)."""

from __future__ import annotations

from portal.domain.info import directory
from portal.domain.info import help as help_domain


def test_f82_customs_search_page(login_as, session, demo):
    help_domain.index_guides(session)
    directory.reindex(session)
    session.commit()
    client = login_as("be", "officer")
    html = client.get("/search?q=directory").get_data(as_text=True)
    assert 'data-kind="guide"' in html and "/help/guides/customs#directory" in html
    office = client.get("/search?q=antwerp").get_data(as_text=True)
    assert 'data-kind="office"' in office
    assert client.get("/search?q=%3Cscript%3E").status_code == 200


def test_f82_wallet_search_sees_no_customs_entries(holder_client, session, demo):
    help_domain.index_guides(session)
    directory.reindex(session)
    session.commit()
    html = holder_client.get("/info/search?q=antwerp").get_data(as_text=True)
    assert 'data-kind="office"' not in html
    assert 'data-kind="guide"' in holder_client.get("/info/search?q=voucher").get_data(as_text=True)
