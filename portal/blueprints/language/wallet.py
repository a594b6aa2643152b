"""The wallet's language switch (F-83): POST /my/language (url_for("wallet_language.switch"))
with `language` (en/fr/es), `next` (the page to go back to) and `csrf_token`, from the
wallet's account menu; stored on the holder."""

from __future__ import annotations

from flask import Blueprint, g, request, url_for

from portal.blueprints.language import switched
from portal.blueprints.wallet.session import holder_required
from portal.domain import audit
from portal.extensions import db

bp = Blueprint("wallet_language", __name__, url_prefix="/my")


@bp.post("/language")
@holder_required(unlocked=False, touch=False)
def switch():
    holder = g.holder
    return switched(
        holder,
        url_for("wallet.carnets"),
        lambda lang: audit.by_holder(
            db.session,
            "language_changed",
            holder,
            ip=request.remote_addr,
            data={"language": lang},
        ),
    )
