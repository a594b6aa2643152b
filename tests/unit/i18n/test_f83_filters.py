"""F-83: dates and numbers are formatted by the request's language, through the app's filters."""

import datetime as dt

from flask import render_template_string

WHEN = dt.datetime(2026, 12, 3, 14, 5)
TEMPLATE = "{{ d|date }}|{{ d|time }}|{{ 1234.5|number }}"


def _render(app, accept_language):
    with app.test_request_context("/", headers={"Accept-Language": accept_language}):
        return render_template_string(TEMPLATE, d=WHEN)


def test_f83_filters_follow_the_browser_language(app):
    assert _render(app, "fr-BE,fr;q=0.9") == "03/12/2026|14:05 UTC|1\u202f234,5"
    assert _render(app, "en-US,en;q=0.9").endswith("|1,234.5")


def test_f83_unshipped_language_falls_back_to_the_first(app):
    assert _render(app, "de-DE") == _render(app, "en")


def test_f83_with_locale_writes_for_someone_else(app):
    """An email to a holder who chose Spanish, sent while the request is in French."""
    from flask_babel import gettext

    from portal.i18n import with_locale

    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert gettext("Yes") == "Oui"
        with with_locale("es"):
            assert gettext("Yes") == "Sí"
            assert render_template_string("{{ d|date }}", d=WHEN) == "03/12/2026"
        with with_locale("xx"):  # not shipped: the first language
            assert gettext("Yes") == "Yes"
        assert gettext("Yes") == "Oui"


def test_f83_every_site_names_the_zone(app):
    from flask import g

    from portal.tenancy import Site

    with app.test_request_context("/"):
        g.site = Site(kind="customs", code="be")
        g.timezone = "Asia/Tokyo"
        assert render_template_string("{{ d|datetime }}", d=WHEN) == "03/12/2026, 23:05 JST"
        assert render_template_string("{{ d|time }}", d=WHEN) == "23:05 JST"
    with app.test_request_context("/"):  # the wallet (a holder's zone, else UTC) too
        g.site = Site(kind="wallet", code=None)
        g.timezone = "Europe/Brussels"
        assert render_template_string("{{ d|datetime }}", d=WHEN) == "03/12/2026, 15:05 CET"
    with app.test_request_context("/"):
        g.site = Site(kind="wallet", code=None)
        assert render_template_string("{{ d|datetime }}", d=WHEN) == "03/12/2026, 14:05 UTC"


def test_f83_short_dates_have_four_digit_years_in_every_language(app):
    """Babel's own Spanish short date is 3/12/26; every language writes 03/12/2026."""
    from flask import g

    for lang, expected in (("en", "03/12/2026"), ("fr", "03/12/2026"), ("es", "03/12/2026")):
        with app.test_request_context("/"):
            g.locale, g.timezone = lang, "UTC"
            assert render_template_string("{{ d|date }}", d=WHEN) == expected
            shown = render_template_string("{{ d|datetime }}", d=WHEN)
            assert shown.startswith(expected) and shown.endswith(" UTC")
            assert render_template_string("{{ d|format_local }}", d=WHEN).startswith(expected)
