"""Single sign-on settings of the administration (F-19): its OpenID Connect provider. Admins
only; every change is audited (`sso.update`, never with the secret)."""

from __future__ import annotations

from flask import current_app, flash, g, request, url_for
from flask_babel import gettext as _

from portal import sso as sso_client
from portal.blueprints.admin import bp
from portal.blueprints.admin.common import audit_change, show_domain_error
from portal.blueprints.admin.forms import SsoForm
from portal.domain import DomainError, sso
from portal.extensions import db
from portal.web import permission_required, redirect_to, render_page


@bp.route("/sso", methods=["GET", "POST"])
@permission_required("customs_settings")
def sso_settings():
    administration = g.tenant
    provider = sso.provider_of(db.session, administration.id)
    form = SsoForm(obj=provider)
    if provider is None and request.method == "GET":
        form.builtin_login.data = True
        form.mfa_acr_values.data = sso.DEFAULT_MFA_ACR
    if form.validate_on_submit():
        allow_http = bool(current_app.config["AUTHLIB_INSECURE_TRANSPORT"])
        try:
            provider, changes = sso.save_provider(
                db.session,
                administration,
                enabled=form.enabled.data,
                display_name=form.display_name.data,
                issuer=form.issuer.data,
                client_id=form.client_id.data,
                client_secret=form.client_secret.data,
                allowed_domains=form.allowed_domains.data,
                builtin_login=form.builtin_login.data,
                trust_mfa=form.trust_mfa.data,
                mfa_acr_values=form.mfa_acr_values.data,
                allow_http=allow_http,
            )
            if provider.enabled and ("issuer" in changes or "enabled" in changes):
                problem = sso_client.check_discovery(provider.issuer, allow_http)
                if problem:
                    raise DomainError(
                        _(
                            "The portal could not read the provider's discovery document "
                            "(%(url)s): %(problem)s",
                            url=sso.discovery_url(provider.issuer),
                            problem=problem,
                        ),
                        "issuer",
                    )
        except DomainError as e:
            db.session.rollback()
            show_domain_error(form, e)
        else:
            if changes:
                audit_change("sso.update", provider, changes)
            db.session.commit()
            flash(_("Single sign-on settings saved."), "success")
            return redirect_to(url_for("admin.sso_settings"))
    return render_page(
        "admin/sso.html",
        form=form,
        provider=provider,
        callback_url=url_for("auth.sso_callback", _external=True),
        logout_url=url_for("auth.login", _external=True),
        status=422 if request.method == "POST" else 200,
    )
