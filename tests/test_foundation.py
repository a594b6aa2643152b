"""The application's frame: configuration, migrations, tenancy by host (F-01, F-02)."""

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import select

from portal.config import ConfigError, load_config
from portal.migrate import alembic_config
from portal.tenancy import Site, parse_host


def test_migrations_have_a_single_head():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_models_and_migrations_agree(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from portal.db import Base
    from portal.extensions import db
    from portal.models.info import include_in_migrations

    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_in_migrations}
        )
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models differ from the migrations: {diff}"


def test_production_refuses_default_secrets(monkeypatch):
    monkeypatch.setenv("EATA_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config({"DATABASE_URL": "postgresql+psycopg://x/y"})


PRODUCTION = {
    "SECRET_KEY": "x" * 40,
    "DATA_KEYS": "k2:" + "A" * 43 + "=",
    "LOOKUP_KEY": "y" * 40,
    "SIGNING_KEYS": "s1:" + "A" * 43 + "=",
    "DATABASE_URL": "postgresql+psycopg://db/eata",
    "EATA_SCHEME": "https",
    "MAIL_SERVER": "smtp.example.org",
}


def test_production_starts_with_real_secrets(monkeypatch):
    monkeypatch.setenv("EATA_ENV", "production")
    cfg = load_config(PRODUCTION)
    assert cfg["ENV_NAME"] == "production"
    assert cfg["SESSION_COOKIE_SECURE"] and not cfg["AUTHLIB_INSECURE_TRANSPORT"]


@pytest.mark.parametrize(
    "override,problem",
    [
        ({"EATA_SCHEME": "http"}, "EATA_SCHEME must be https"),
        ({"LOOKUP_KEY": "k"}, "EATA_LOOKUP_KEY must be set to a random value of 32+"),
        ({"LOOKUP_KEY": "k" * 31}, "EATA_LOOKUP_KEY"),
        ({"MAIL_SERVER": ""}, "MAIL_SERVER must be set"),
        ({"SIGNING_KEYS": ""}, "EATA_SIGNING_KEYS must be set"),
    ],
)
def test_production_refuses_http_a_short_lookup_key_and_no_smtp(monkeypatch, override, problem):
    monkeypatch.setenv("EATA_ENV", "production")
    with pytest.raises(ConfigError, match=problem):
        load_config({**PRODUCTION, **override})


def test_authlib_plain_http_only_in_development(monkeypatch):
    monkeypatch.delenv("EATA_ENV", raising=False)
    assert load_config({"EATA_SCHEME": "http"})["AUTHLIB_INSECURE_TRANSPORT"]
    assert not load_config({"EATA_SCHEME": "https"})["AUTHLIB_INSECURE_TRANSPORT"]


def test_configuration_is_applied_by_the_factory_only():
    """No blueprint configures a domain module or the environment at its registration."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[1] / "portal"
    offenders = []
    for path in (root / "blueprints").rglob("*.py"):
        text = path.read_text()
        if re.search(r"\b(crypto|mfa|codes)\.configure\(|os\.environ\[", text):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []


@pytest.mark.parametrize(
    "host,site",
    [
        ("customs-be.eata.test", Site("customs", "be")),
        ("customs-fr.eata.test:5000", Site("customs", "fr")),
        ("wallet.eata.test", Site("wallet")),
        ("api.eata.test", Site("api")),
        ("customs-bel.eata.test", None),
        ("customs-be.evil.test", None),
        ("eata.test", None),
        ("x.customs-be.eata.test", None),
    ],
)
def test_f01_host_decides_the_site(host, site):
    assert parse_host(host, "eata.test") == site


def test_f01_unknown_host_is_404(app, client_for, demo):
    assert client_for("customs", "zz").get("/login").status_code == 404
    c = app.test_client()
    assert c.get("/login", base_url="http://localhost").status_code == 404
    assert c.get("/login", base_url="http://customs-be.other.test").status_code == 404


def test_f01_known_administration_serves_its_login(client_for, demo):
    r = client_for("customs", "be").get("/login")
    assert r.status_code == 200
    assert b"Belgian Customs" in r.data


def test_f01_customs_pages_are_not_served_on_the_api_or_wallet_host(client_for, demo):
    assert client_for("api").get("/login").status_code == 404
    assert client_for("wallet").get("/login").status_code == 404


def test_security_headers(client_for, demo):
    r = client_for("customs", "be").get("/login")
    csp = r.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    for directive in ("frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"):
        assert directive in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_f02_session_is_scoped_to_the_tenant(login_as, demo):
    """A logged-in BE admin's cookie means nothing on the FR host."""
    be = login_as("be", "admin")
    assert be.get("/").status_code == 200
    fr = be.client.get("/", base_url="http://customs-fr.eata.test")
    assert fr.status_code in (302, 303)  # not logged in there: sent to FR's login


def test_f02_copied_session_cookie_is_useless_on_another_tenant(login_as, client_for, demo):
    """A BE session cookie replayed on customs-fr is not a login there (and no error)."""
    be = login_as("be", "admin")
    with be.session_transaction() as sess:
        user_id = sess["_user_id"]
    fr = client_for("customs", "fr")
    with fr.session_transaction() as sess:
        sess["_user_id"] = user_id
        sess["_fresh"] = True
    r = fr.get("/")
    assert r.status_code in (302, 303) and "/login" in r.headers["Location"]


def test_f04_reference_data(session):
    from portal.models import Country

    be, no, us = session.get(Country, "BE"), session.get(Country, "NO"), session.get(Country, "US")
    assert be.territory.code == "EU" and no.territory.code == "NO"
    assert be.ata_status == "digital" and str(be.digital_from) == "2026-06-01"
    assert us.ata_status == "paper"


def test_repository_tracks_no_symlinks_or_built_assets():
    """A clean clone must build its own front-end assets: a committed symlink (e.g. into a
    worktree) or a copied vendor file would make `make setup` fail or serve stale libraries."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    listing = subprocess.run(
        ["git", "ls-files", "-s"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    links = [line.split("\t", 1)[1] for line in listing if line.startswith("120000")]
    assert links == [], f"symlinks tracked by git: {links}"
    vendored = [
        line.split("\t", 1)[1]
        for line in listing
        if line.split("\t", 1)[1].startswith("portal/static/vendor")
    ]
    assert vendored == [], f"built assets tracked by git: {vendored}"


def test_f01_administration_is_cached_per_process_and_dropped_when_it_changes(
    app, client_for, demo
):
    """The host's administration is read once per process (no query per request); turning it
    off in this process is seen by the next request (a 404), another process after
    TENANT_TTL at most."""
    from sqlalchemy import event

    from portal.extensions import db
    from portal.models import CustomsAdministration
    from portal.tenancy import TENANT_TTL

    assert 0 < TENANT_TTL <= 60
    client = client_for("customs", "be")
    assert client.get("/login").status_code == 200
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        r = client.get("/login")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert r.status_code == 200 and b"Belgian Customs" in r.data
    assert not [s for s in seen if "customs_administration" in s]
    be = demo.scalar(select(CustomsAdministration).where(CustomsAdministration.code == "be"))
    be.active = False
    demo.commit()
    assert client.get("/login").status_code == 404
    be.active = True
    demo.commit()
    assert client.get("/login").status_code == 200


def test_f01_administration_cached_between_its_write_and_commit_is_dropped_at_commit(
    app, client_for, session
):
    """A request that reads the host's administration while another session has written it but
    not committed yet (no administration there yet: a 404) must not keep that answer for
    TENANT_TTL: the commit drops the cache."""
    from portal.models import CustomsAdministration, CustomsTerritory

    client = client_for("customs", "zz")
    eu = session.scalar(select(CustomsTerritory).where(CustomsTerritory.code == "EU"))
    session.add(
        CustomsAdministration(
            code="zz", name="Zedland Customs", country_code="BE", territory_id=eu.id
        )
    )
    session.flush()  # written, not committed: other sessions do not see it
    assert client.get("/login").status_code == 404  # … and this answer is cached
    session.commit()
    r = client.get("/login")
    assert r.status_code == 200 and b"Zedland Customs" in r.data


def test_every_direct_import_is_a_declared_dependency():
    """`pip install .` must give an application that starts: each package that portal/ or jobs/
    imports is listed in pyproject's dependencies (not only reached through test tools)."""
    import ast
    import importlib.metadata
    import pathlib
    import re
    import sys
    import tomllib

    root = pathlib.Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]

    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    declared = {
        norm(re.split(r"[<>=!\[;~ ]", dep, maxsplit=1)[0]) for dep in project["dependencies"]
    }
    modules = set()
    for folder in ("portal", "jobs"):
        for path in (root / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    modules |= {a.name.split(".")[0] for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    modules.add(node.module.split(".")[0])
    distributions = importlib.metadata.packages_distributions()
    missing = []
    for module in sorted(modules - set(sys.stdlib_module_names) - {"portal", "jobs"}):
        names = {norm(d) for d in distributions.get(module, [module])}
        if not names & declared:
            missing.append(f"{module} ({', '.join(sorted(names))})")
    assert missing == [], f"imported but not declared in pyproject.toml: {missing}"


def test_the_wallet_answers_htmx_through_portal_web():
    """No hand-written HX-* header checks or fragment renders in the wallet's routes."""
    import pathlib

    folder = pathlib.Path(__file__).resolve().parents[1] / "portal" / "blueprints" / "wallet"
    for path in folder.glob("*.py"):
        text = path.read_text()
        assert "HX-" not in text and "render_block" not in text, path.name
