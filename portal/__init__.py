"""eATA: the ATA Carnet real-time lifecycle system."""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import os

from flask import Flask, g, render_template, request, send_from_directory
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import portal.login  # noqa: F401  (registers the user loader)
from jobs.runtime import install_outbox_pump
from portal import api, i18n
from portal.api.problems import from_http_error, problem_response
from portal.commands import register as register_cli
from portal.config import load_config
from portal.domain import archive, codes, crypto, mfa, signing
from portal.domain.passwords import use_fast_hashing
from portal.extensions import csrf, db, htmx, limiter, login_manager
from portal.tenancy import register_site, resolve_request_site
from portal.web import MAX_ID

# (module, site kind) of every blueprint; the module exposes `bp`.
BLUEPRINTS = [
    ("portal.blueprints.auth", "customs"),
    ("portal.blueprints.home", "customs"),
    ("portal.blueprints.admin", "customs"),
    ("portal.blueprints.bulk", "customs"),
    ("portal.blueprints.carnets", "customs"),
    ("portal.blueprints.customs", "customs"),
    ("portal.blueprints.monitoring", "customs"),
    ("portal.blueprints.nics_api", "api"),
    ("portal.blueprints.customs_api", "api"),
    ("portal.blueprints.wallet", "wallet"),
    ("portal.blueprints.evidence", "wallet"),
    ("portal.blueprints.language", "customs"),  # the language switch (F-83)
    ("portal.blueprints.language.wallet", "wallet"),
    ("portal.blueprints.ops.app", "ops"),
    ("portal.blueprints.chamber.app", "chamber"),
    ("portal.blueprints.info", "customs"),
    ("portal.blueprints.info.wallet", "wallet"),
]


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=None)
    app.config.from_mapping(load_config(config))
    os.makedirs(app.config["INSTANCE_DIR"], exist_ok=True)
    os.makedirs(app.config["STORAGE_DIR"], exist_ok=True)
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    logging.basicConfig(level=logging.INFO)
    apply_config(app)
    register_extensions(app)
    install_outbox_pump(app)  # without Redis the outbox sends itself (OUTBOX_AUTODRAIN)
    register_blueprints(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)  # Flask-Babel: language, time zone and the date/number filters
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.localize_callback = str  # the lazy text, in the request's language
    login_manager.session_protection = None  # the server-side session is the protection
    app.permanent_session_lifetime = dt.timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"])
    app.jinja_env.globals["SITE_NAME"] = "eATA"


def apply_config(app: Flask) -> None:
    """The one place where settings reach the domain modules and the libraries (never at a
    blueprint's registration, never from os.environ elsewhere)."""
    use_fast_hashing(app.config["PASSWORD_HASH_FAST"])
    codes.configure(app.config["LOOKUP_KEY"], app.config["SECRET_KEY"])
    crypto.configure(app.config["DATA_KEYS"])  # carnet contents
    mfa.configure(app.config["DATA_KEYS"])  # TOTP secrets
    signing.configure(app.config["SIGNING_KEYS"], app.config["SECRET_KEY"])  # receipts, audit
    archive.configure(app.config["ARCHIVE_AFTER_DAYS"])  # closed carnets' retention
    # Authlib refuses OAuth over plain http unless this process-wide flag is set: only a
    # development or test deployment (http, no TLS) sets it; production requires https
    if app.config["AUTHLIB_INSECURE_TRANSPORT"]:
        os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"

    api.init_app(app)  # OAuth server and token lifetime of the APIs (NICS_* settings)


def register_blueprints(app: Flask) -> None:
    class IdConverter(IntegerConverter):
        """<int:…> ids beyond what the database holds match no route (a 404, not a 500)."""

        def __init__(self, map, *args, **kwargs):
            kwargs.setdefault("max", MAX_ID)
            super().__init__(map, *args, **kwargs)

    app.url_map.converters["int"] = IdConverter

    for module_name, kind in BLUEPRINTS:
        bp = importlib.import_module(module_name).bp
        app.register_blueprint(bp)
        register_site(bp.name, kind)

    @app.get("/healthz")
    def health():
        return {"status": "ok"}

    @app.get("/favicon.ico")
    def favicon():
        """Every site's icon (the pages link it; a browser asks for it anyway)."""
        return send_from_directory(app.static_folder or "static", "favicon.ico", max_age=86400)


def register_request_hooks(app: Flask) -> None:
    app.before_request(resolve_request_site)

    @app.after_request
    def security_headers(response):
        h = response.headers
        h.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
            "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        )
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
        if app.config["EATA_SCHEME"] == "https":
            h.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        if request.endpoint != "static":
            h.setdefault("Cache-Control", "no-store")
        return response


def _wants_problem_json() -> bool:
    site = getattr(g, "site", None)
    return (site is not None and site.kind == "api") or request.path.startswith("/v1/")


def register_errorhandlers(app: Flask) -> None:
    titles = {
        400: _l("Bad request"),
        403: _l("Not allowed"),
        404: _l("Page not found"),
        405: _l("Method not allowed"),
        413: _l("Too large"),
        414: _l("Request line too long"),
        415: _l("Unsupported media type"),
        431: _l("Request headers too large"),
        422: _l("Unprocessable content"),
        429: _l("Too many attempts"),
        500: _l("Something went wrong"),
    }
    # the page's sentence when the error carries werkzeug's own (English) description
    details = {
        400: _l("The request could not be understood."),
        403: _l("You are not allowed to open this page."),
        404: _l("This page does not exist, or you cannot see it."),
        405: _l("This page cannot be used this way."),
        413: _l("What was sent is too large."),
        500: _l("An error occurred on our side. Please try again in a moment."),
    }

    def handle(error):
        code = getattr(error, "code", 500) or 500
        if code == 500:
            db.session.rollback()
        title = titles.get(code, _l("Error"))
        description = getattr(error, "description", None)
        if description is None or description == getattr(type(error), "description", None):
            description = None  # werkzeug's default text
        detail = description or details.get(code) or title
        if code == 429:
            detail = _l("Too many attempts. Please wait a moment and try again.")
        if _wants_problem_json():  # the one problem+json renderer (portal/api/problems.py)
            if isinstance(error, HTTPException):
                return from_http_error(error)
            return problem_response(code, str(detail))
        allow = {k: v for k, v in getattr(error, "get_headers", lambda: [])() if k == "Allow"}
        return render_template("error.html", code=code, title=title, detail=detail), code, allow

    for code in titles:
        app.register_error_handler(code, handle)


def register_commands(app: Flask) -> None:
    register_cli(app)
