"""The customs portal's start page and its navigation."""

from flask import current_app, has_request_context, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from portal.blueprints.home import bp
from portal.blueprints.info import pages
from portal.domain import predeclarations
from portal.domain.info import news
from portal.domain.organisation import offices_for
from portal.domain.permissions import has_permission
from portal.domain.wording import code_label
from portal.extensions import db

# (permission or None, endpoint, label): the side navigation, shown by role (F-13).
# Entries whose endpoint does not exist yet are left out.
NAVIGATION = [
    (None, "home.index", _l("Home")),
    ("process_carnet", "customs.new_transaction", _l("New transaction")),
    ("process_carnet", "customs.on_hold", _l("On hold")),
    ("process_carnet", "customs.predeclarations", _l("Pre-declarations")),
    ("process_carnet", "customs.last_transactions", _l("Last transactions")),
    ("transit_monitoring", "monitoring.transits", _l("Transit monitoring")),
    ("logs", "monitoring.logs", _l("Logs")),
    ("logs", "monitoring.claims", _l("Claims")),
    ("statistics", "monitoring.statistics", _l("Statistics")),
    ("news", "info.news", _l("News")),
    ("directory", "info.directory", _l("Directory")),
    ("news", "info.help_index", _l("Help")),
    ("news", "info.search", _l("Search")),
    ("create_office", "admin.offices", _l("Offices")),
    ("create_region", "admin.regions", _l("Regions")),
    ("create_officer_account", "admin.accounts", _l("Accounts")),
    ("bulk_creation", "bulk.index", _l("Bulk creation")),
    ("customs_settings", "admin.settings", _l("Settings")),
]


@bp.app_template_filter("state")
def state_filter(code: str | None) -> str:
    """`{{ t.state|state }}`: a stored code (state, status, mode) in the reader's language."""
    return code_label(code)


# the menu of someone not signed in, on the public information pages (F-80 … F-82)
PUBLIC_NAVIGATION = [
    ("info.news", _l("News")),
    ("info.directory", _l("Directory")),
    ("info.help_index", _l("Help")),
    ("info.search", _l("Search")),
]


@bp.app_context_processor
def navigation():
    if not current_user or not current_user.is_authenticated or not hasattr(current_user, "role"):
        if has_request_context() and (request.endpoint or "").startswith("info."):
            return {
                "nav_items": [
                    (endpoint, label, request.endpoint == endpoint)
                    for endpoint, label in PUBLIC_NAVIGATION
                ]
            }
        return {"nav_items": []}
    views = current_app.view_functions
    items = [
        (endpoint, _with_count(endpoint, label), request.endpoint == endpoint)
        for permission, endpoint, label in NAVIGATION
        if endpoint in views
        and (permission is None or has_permission(current_user.role, permission))
    ]
    return {"nav_items": items}


def _with_count(endpoint: str, label: str) -> str:
    """The menu's count of pending pre-declarations at the officer's offices (F-51), and of
    unread news (F-80)."""
    if endpoint == "info.news":
        unread = news.unread_count(db.session, "customs", f"c:{current_user.id}")
        return f"{label} ({unread})" if unread else label
    if endpoint != "customs.predeclarations":
        return label
    offices = [o.id for o in offices_for(db.session, current_user) if o.active]
    n = predeclarations.pending_count(db.session, current_user.customs_id, offices)
    return f"{label} ({n})" if n else label


@bp.get("/")
@login_required
def index():
    return render_template(
        "home/index.html", **pages.latest_news("customs", f"c:{current_user.id}", "info")
    )
