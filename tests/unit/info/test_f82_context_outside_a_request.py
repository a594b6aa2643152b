"""Templates rendered by a job (an export's PDFs, with RQ: no request) go through every context
processor too: the help link and the console's menu must not need a request."""

from flask import render_template_string


def test_f82_context_processors_work_without_a_request(app):
    with app.app_context():
        out = render_template_string("{{ help_url }}|{{ ops_nav is defined }}|{{ nav_items }}")
    assert out == "None|False|[]"
