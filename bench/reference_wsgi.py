"""The application as `wsgi:app`, plus two reference routes that the customs journey bench
(customs_journey.py) measures beside /healthz, served by the same gunicorn:

- /bench/one-query: one `SELECT 1` through the application's session (pool checkout, BEGIN,
  the query, the ROLLBACK when the request ends): the floor of any page that reads the
  database once;
- /bench/signed-in: what every desk page does before its own work: the officer's server-side
  session and account checked (the login manager's user loader, one query), the permission
  to process carnets, a tiny JSON answer.

Only the bench serves this module; production serves `wsgi:app`.
"""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user
from sqlalchemy import text

from portal.extensions import db
from portal.tenancy import register_site
from portal.web import permission_required
from wsgi import app

bp = Blueprint("bench_reference", __name__)


@bp.get("/bench/one-query")
def one_query():
    return {"v": db.session.execute(text("SELECT 1")).scalar()}


@bp.get("/bench/signed-in")
@permission_required("process_carnet")
def signed_in():
    return {"v": current_user.id}


app.register_blueprint(bp)
register_site(bp.name, "customs")
