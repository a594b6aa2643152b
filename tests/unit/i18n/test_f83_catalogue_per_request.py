"""F-83: the request's catalogue is looked up once per request, for _() and the templates alike;
with_locale (a text for someone else) and a language switch (refresh) still change it."""

from flask import g, render_template_string
from flask_babel import gettext, refresh

from portal.i18n import with_locale

TEXT = "{{ _('Yes') }}|{{ _('No') }}"


def test_f83_templates_and_code_follow_with_locale_and_refresh(app):
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert render_template_string(TEXT) == "Oui|Non"
        with with_locale("es"):
            assert render_template_string(TEXT) == "Sí|No"
            assert gettext("Yes") == "Sí"
        assert render_template_string(TEXT) == "Oui|Non"
        g.locale = "es"  # the language just chosen (what the language switch stores)
        g.pop("_i18n_choice")
        refresh()
        assert render_template_string(TEXT) == "Sí|No" and gettext("Yes") == "Sí"


def test_f83_each_request_has_its_own_catalogue(app):
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert render_template_string(TEXT) == "Oui|Non"
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        assert render_template_string(TEXT) == "Sí|No"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert gettext("Yes") == "Yes"
