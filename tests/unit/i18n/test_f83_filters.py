"""F-83: dates and numbers are formatted by the request's language, through the app's filters."""

import datetime as dt

from flask import render_template_string

WHEN = dt.datetime(2026, 12, 3, 14, 5)
TEMPLATE = "{{ d|date }}|{{ d|time }}|{{ 1234.5|number }}"


def _render(app, accept_language):
    with app.test_request_context("/", headers={"Accept-Language": accept_language}):
        return render_template_string(TEMPLATE, d=WHEN)


def test_f83_filters_follow_the_browser_language(app):
    assert _render(app, "fr-BE,fr;q=0.9") == "03/12/2026|14:05|1\u202f234,5"
    assert _render(app, "en-US,en;q=0.9").endswith("|1,234.5")


def test_f83_unshipped_language_falls_back_to_the_first(app):
    assert _render(app, "de-DE") == _render(app, "en")
