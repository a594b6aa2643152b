"""Login with the administration's OpenID Connect provider (F-19): the button on the login
page, the provider's callback, and the end-session redirect at logout.

The protocol is Authlib's (portal/sso.py), the account and MFA rules portal/domain/sso.py; a
successful callback becomes a pending login (login_flow.py) like a correct password, so the
portal's own second factor, MFA enrolment and the session are exactly those of the built-in
login."""

from __future__ import annotations

from flask import flash, g, request, session, url_for
from flask_babel import gettext as _

from portal import sso as sso_client
from portal.blueprints.auth import bp
from portal.blueprints.auth.common import LOGIN_LIMIT, audit_account, relative
from portal.blueprints.auth.login_flow import continue_login, start_pending, update_pending
from portal.domain import sso
from portal.extensions import db, limiter
from portal.models import SsoProvider
from portal.web import redirect_to, render_page

NEXT_KEY = "sso_next"  # where to go after the login, kept across the provider's round trip
SESSION_KEY = "sso_login"  # set on a session opened by SSO: logout goes to the provider too
LOGOUT_KEY = "sso_logout"  # after the logout: the provider's end-session URL


def unverified(provider: SsoProvider) -> str:
    return _(
        "Your login with %(provider)s could not be verified, so you are not logged in. "
        "Please try again; if it keeps failing, tell your administrator.",
        provider=provider.display_name,
    )


def refuse(message: str, reason: str, provider: SsoProvider | None = None, **data):
    audit_account(
        "sso.failure",
        None,
        reason=reason,
        issuer=provider.issuer if provider is not None else None,
        **data,
    )
    db.session.commit()
    flash(message, "error")
    return redirect_to(url_for("auth.login"), 302)


@bp.get("/login/sso")
@limiter.limit(LOGIN_LIMIT)
def sso_start():
    """A link, not a form: the CSP's form-action 'self' would stop a form's redirect to the
    provider. Starting a login changes nothing here (the state binds it to this browser)."""
    provider = sso.active_provider(db.session, g.tenant.id)
    if provider is None:
        return redirect_to(url_for("auth.login"), 302)
    next_path = relative(request.args.get("next"))
    try:
        answer = sso_client.start(provider, url_for("auth.sso_callback", _external=True))
    except sso_client.SsoError as exc:
        return refuse(
            f"{provider.display_name} cannot be reached at the moment. Please try again in a "
            "few minutes; if it keeps failing, tell your administrator.",
            exc.reason,
            provider,
            detail=exc.detail,
        )
    session[NEXT_KEY] = next_path
    return answer


@bp.get("/login/sso/callback")
@limiter.limit(LOGIN_LIMIT)
def sso_callback():
    provider = sso.active_provider(db.session, g.tenant.id)
    if provider is None:
        return refuse(
            f"{g.tenant.name} does not use single sign-on. Log in with your email and password.",
            "not_configured",
        )
    returned_iss = request.args.get("iss")
    if returned_iss is not None and returned_iss != provider.issuer:
        # RFC 9207: the answer names another issuer (a mix-up between providers)
        return refuse(unverified(provider), "iss", provider, returned=returned_iss[:200])
    try:
        claims = sso_client.finish(provider)
    except sso_client.OAuthError as exc:
        if isinstance(exc, sso_client.MismatchingStateError):
            return refuse(
                _(
                    "This login link was already used, has expired or belongs to another "
                    "browser. Please log in again."
                ),
                "state",
                provider,
            )
        if exc.error == "access_denied":
            message = _(
                "The login at %(provider)s was cancelled. You are not logged in.",
                provider=provider.display_name,
            )
        else:
            message = unverified(provider)
        return refuse(message, "provider_error", provider, error=str(exc.error)[:100])
    except sso_client.SsoError as exc:
        return refuse(unverified(provider), exc.reason, provider, detail=exc.detail)
    match = sso.match_account(db.session, g.tenant, provider, claims)
    if match.account is None:
        return refuse(
            match.message,
            match.reason,
            provider,
            subject=str(claims.get("sub"))[:255],
            email=str(claims.get("email") or "")[:254],
        )
    account = match.account
    if match.bound:
        audit_account("sso.bound", account, issuer=provider.issuer, subject=claims["sub"])
    provider_mfa = sso.provider_mfa(provider, claims)
    next_path = session.get(NEXT_KEY)
    start_pending(account, False, next_path)
    update_pending(via="sso", sso_mfa=provider_mfa, mfa_ok=provider_mfa)
    audit_account(
        "login.sso_ok",
        account,
        issuer=provider.issuer,
        mfa="provider" if provider_mfa else "portal",
        amr=claims.get("amr") if isinstance(claims.get("amr"), list) else None,
        acr=claims.get("acr"),
    )
    db.session.commit()
    return continue_login()


@bp.get("/logout/provider")
def sso_logged_out():
    """After the logout of a session opened by SSO: on to the provider's end-session endpoint
    by a refresh (a redirect of the logout form would break the CSP's form-action 'self')."""
    target = session.pop(LOGOUT_KEY, None)
    if not target:
        return redirect_to(url_for("auth.login"), 302)
    return render_page("auth/provider_logout.html", target=target)


def end_session_url(customs_id: int) -> str | None:
    """After logout of a session opened by SSO: the provider's end-session URL, if it has one."""
    provider = sso.active_provider(db.session, customs_id)
    if provider is None:
        return None
    return sso_client.logout_url(provider, url_for("auth.login", _external=True))
