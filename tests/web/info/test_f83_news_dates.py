"""F-83: the wallet's news show their time with its zone like the customs portal (one filter,
`|datetime`, on every site), and Spanish dates have a four-digit year like the others."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.domain.info import news
from portal.models import Account, Holder

WINTER = dt.datetime(2026, 1, 15, 10, 0)  # UTC


@pytest.fixture
def item(session):
    made = news.save_news(session, None, title="Winter news", body="", audience="all",
                          language="en", publish_at=WINTER, expires_at=None)  # fmt: skip
    session.commit()
    return made


@pytest.mark.parametrize(
    "language, zone, shown",
    [
        ("es", "Europe/Brussels", "15/01/2026, 11:00 CET"),
        ("fr", "Europe/Brussels", "15/01/2026 11:00 CET"),
        ("en", None, "15/01/2026, 10:00 UTC"),
    ],
)
def test_f83_wallet_news_times_name_their_zone(holder_client, item, session, language, zone, shown):
    holder = session.get(Holder, holder_client.holder_id)
    holder.language, holder.timezone = language, zone
    session.commit()
    assert shown in holder_client.get("/info/news").get_data(as_text=True)
    assert shown in holder_client.get(f"/info/news/{item.id}").get_data(as_text=True)


def test_f83_spanish_customs_dates_have_four_digit_years(login_as, item, session, account_of):
    session.get(Account, account_of("be", "officer").id).language = "es"
    session.commit()
    page = login_as("be", "officer").get("/news").get_data(as_text=True)
    assert "15/01/2026, 11:00 CET" in page  # the office's zone (Brussels)
    assert "15/1/26" not in page
