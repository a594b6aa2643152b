"""The help link of every screen (F-82), in one place: the first rule whose endpoint prefix
matches the request's endpoint gives the guide and its section. The layouts show it, to
everyone: the help is public."""

from __future__ import annotations

from flask import g, has_request_context, request, url_for

# (endpoint prefix, guide slug, section anchor) for the customs portal, first match wins
CUSTOMS = [
    ("customs.predeclaration", "customs", "pre-declarations"),
    ("customs.on_hold", "customs", "on-hold-and-last-transactions"),
    ("customs.last", "customs", "on-hold-and-last-transactions"),
    ("customs.", "customs", "new-transaction"),
    ("monitoring.transit", "customs", "transit-monitoring"),
    ("monitoring.", "customs", "logs-claims-and-statistics"),
    ("admin.offices", "customs", "admins-offices-and-regions"),
    ("admin.office", "customs", "admins-offices-and-regions"),
    ("admin.region", "customs", "admins-offices-and-regions"),
    ("admin.", "customs", "admins-accounts-and-bulk-creation"),
    ("bulk.", "customs", "admins-accounts-and-bulk-creation"),
    ("info.news", "customs", "news"),
    ("info.directory", "customs", "directory"),
    ("info.office", "customs", "directory"),
    ("auth.", "customs", "logging-in"),
    ("home.", "customs", "the-home-page-and-the-search-bar"),
    ("info.", "support", ""),
]
WALLET = [
    ("wallet.travel", "wallet", "travels-and-pre-declarations"),
    ("wallet.predeclaration", "wallet", "travels-and-pre-declarations"),
    ("wallet.share", "wallet", "sharing-a-carnet"),
    ("wallet.carnet", "wallet", "your-carnets-and-vouchers"),
    ("wallet.voucher", "wallet", "your-carnets-and-vouchers"),
    ("info_wallet.news", "wallet", "news"),
    ("info_wallet.", "support", ""),
    ("wallet.", "wallet", "logging-in"),
]


# the chamber portal (chamber.<domain>): its guide, served there (chamber.help_page)
CHAMBER_SECTION = "the-chamber-portal"


def help_link(endpoint: str, site: str) -> str | None:
    if site == "chamber":
        return url_for("chamber.help_page", _anchor=CHAMBER_SECTION)
    rules, blueprint = (CUSTOMS, "info") if site == "customs" else (WALLET, "info_wallet")
    for prefix, slug, anchor in rules:
        if endpoint.startswith(prefix):
            return url_for(f"{blueprint}.guide", slug=slug, _anchor=anchor or None)
    return None


def help_url() -> dict:
    if not has_request_context():  # a template rendered by a job (an export's PDF)
        return {"help_url": None}
    site = getattr(g, "site", None)
    endpoint = request.endpoint or ""
    if site is None or site.kind not in ("customs", "wallet", "chamber") or not endpoint:
        return {"help_url": None}
    # signed in or not: the help is public (the login page's link leads to "Logging in")
    return {"help_url": help_link(endpoint, site.kind)}
