"""The administration's settings (F-12): mandatory MFA, invitation link lifetime, default
language (F-83). Admins only."""

from __future__ import annotations

from flask import current_app, flash, g, request, url_for
from flask_babel import gettext as _

from portal.blueprints.admin import bp
from portal.blueprints.admin.common import audit_change, show_domain_error
from portal.blueprints.admin.forms import SettingsForm
from portal.domain import DomainError
from portal.domain import organisation as org
from portal.extensions import db
from portal.i18n import LANGUAGE_NAMES
from portal.web import permission_required, redirect_to, render_page


@bp.route("/settings", methods=["GET", "POST"])
@permission_required("customs_settings")
def settings():
    administration = g.tenant
    form = SettingsForm(obj=administration)
    languages = tuple(current_app.config["LANGUAGES"])
    form.language.choices = [(code, LANGUAGE_NAMES.get(code, code)) for code in languages]
    if form.validate_on_submit():
        try:
            changes = org.update_settings(
                db.session,
                administration,
                mfa_mandatory=form.mfa_mandatory.data,
                invitation_days=form.invitation_days.data,
                language=form.language.data,
                languages=languages,
            )
        except DomainError as e:
            db.session.rollback()
            show_domain_error(form, e)
        else:
            if changes:
                audit_change("settings.update", administration, changes)
            db.session.commit()
            flash(_("Settings saved."), "success")
            return redirect_to(url_for("admin.settings"))
    return render_page(
        "admin/settings.html", form=form, status=422 if request.method == "POST" else 200
    )
