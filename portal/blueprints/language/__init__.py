"""The language switch (F-83): a POST from the account menu stores the chosen language on the
customs account (this blueprint, customs hosts) or on the holder (`wallet.py`, the wallet
host), then goes back to the page it came from — which, like every next page and every email
to them, is in that language. Form fields: `language` (a shipped one), `next` (a path of the
site, with its query: the search page comes back with its search) and `csrf_token`."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, current_app, flash, g, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required

from portal.blueprints.auth.common import relative
from portal.extensions import db
from portal.web import audit_request, redirect_to

bp = Blueprint("language", __name__)


@bp.app_template_global("language_next")
def back_here() -> str:
    """The switch's `next`: the page it is on, query string included; none after a POST."""
    return request.full_path.rstrip("?") if request.method == "GET" else ""


def switched(owner, default_next: str, record: Callable[[str], object]):
    """Store the posted language on `owner` (an account or a holder), `record` it in the
    audit trail, and go back to `next`. A language that is not shipped is a 400."""
    lang = request.form.get("language", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    owner.language = lang
    record(lang)
    db.session.commit()
    g.pop("_i18n_choice", None)
    refresh()  # the confirmation is already in the new language
    flash(_("The language is now English."), "success")
    return redirect_to(relative(request.form.get("next")) or default_next)


@bp.post("/language")
@login_required
def switch():
    if not hasattr(current_user, "role"):
        abort(404)
    account = current_user._get_current_object()
    return switched(
        account,
        url_for("home.index"),
        lambda lang: audit_request(
            "language_changed",
            object_type="account",
            object_id=account.id,
            data={"language": lang},
        ),
    )
