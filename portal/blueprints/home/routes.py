"""The customs portal's start page and its navigation."""

import functools
from types import SimpleNamespace

from flask import current_app, has_request_context, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import DateTime, Select, bindparam, select

from portal.blueprints.home import bp
from portal.blueprints.info import pages
from portal.db import now_utc
from portal.domain import predeclarations
from portal.domain.info import news
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
    # worked out when a template shows the menu (a page, not an htmx fragment), once
    return {"nav_items": Deferred(_navigation)}


def _navigation() -> list[tuple[str, str, bool]]:
    views = current_app.view_functions
    shown = [
        (endpoint, label)
        for permission, endpoint, label in NAVIGATION
        if endpoint in views
        and (permission is None or has_permission(current_user.role, permission))
    ]
    counts = _menu_counts({endpoint for endpoint, _label in shown})
    here = request.endpoint
    return [
        (
            endpoint,
            f"{label} ({counts[endpoint]})" if counts.get(endpoint) else label,
            endpoint == here,
        )
        for endpoint, label in shown
    ]


# the menu's counts (F-51, F-80), read in one statement built once per role and set of counts
MENU_COUNTS = ("customs.predeclarations", "info.news")


def _menu_counts(endpoints: set[str]) -> dict[str, int]:
    """The menu's counts: pending pre-declarations at the officer's offices (F-51) and unread
    news (F-80)."""
    wanted = tuple(endpoint for endpoint in MENU_COUNTS if endpoint in endpoints)
    if not wanted:
        return {}
    user = current_user
    row = db.session.execute(
        _menu_statement(wanted, user.role),
        {
            "menu_customs_id": user.customs_id,
            "menu_region_id": user.region_id,
            "menu_reader": f"c:{user.id}",
            "menu_now": now_utc(),
        },
    ).one()
    return dict(zip(wanted, row, strict=True))


@functools.cache
def _menu_statement(wanted: tuple[str, ...], role: str) -> Select:
    """The statement of the menu's counts for an account of `role`, its values bind parameters
    (building it is as costly as running it: it is built once per shape)."""
    actor = SimpleNamespace(
        customs_id=bindparam("menu_customs_id"), region_id=bindparam("menu_region_id"), role=role
    )
    counts = {
        "customs.predeclarations": lambda: predeclarations.pending_count(actor),
        "info.news": lambda: news.unread(
            "customs", bindparam("menu_reader"), bindparam("menu_now", type_=DateTime)
        ),
    }
    return select(*(counts[endpoint]() for endpoint in wanted))


class Deferred:
    """A list a template iterates, made by `make` the first time it is read."""

    def __init__(self, make):
        self._make = make
        self._items = None

    def __iter__(self):
        if self._items is None:
            self._items = self._make()
        return iter(self._items)


@bp.get("/")
@login_required
def index():
    return render_template(
        "home/index.html", **pages.latest_news("customs", f"c:{current_user.id}", "info")
    )
