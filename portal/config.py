"""Settings, read from the environment once in create_app.

Development defaults are safe and visibly development-only; with EATA_ENV=production the
application refuses to start while a secret is missing or left at its development value.
"""

from __future__ import annotations

import os

DEV_SECRET_KEY = "dev-only-secret-key-do-not-use-in-production"
# 32 bytes, base64url: the development data key. Production must set EATA_DATA_KEYS.
DEV_DATA_KEYS = "dev1:ZGV2LW9ubHktZGF0YS1rZXktMzItYnl0ZXMtbG9uZyE="
# the HMAC key of lookup codes and tokens: 32+ characters (e.g. `openssl rand -base64 32`)
MIN_LOOKUP_KEY = 32


class ConfigError(RuntimeError):
    pass


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def load_config(overrides: dict | None = None) -> dict:
    env = os.environ
    instance = env.get("EATA_INSTANCE_DIR", os.path.abspath("instance"))
    cfg = {
        "ENV_NAME": env.get("EATA_ENV", "development"),
        "SECRET_KEY": env.get("SECRET_KEY", DEV_SECRET_KEY),
        # base domain the hosts hang from: customs-<cc>.<domain>, wallet.<domain>, api.<domain>
        "EATA_DOMAIN": env.get("EATA_DOMAIN", "localhost:5000"),
        "EATA_SCHEME": env.get("EATA_SCHEME", "http"),
        "DATABASE_URL": env.get("DATABASE_URL", f"sqlite:///{instance}/eata.db"),
        "REDIS_URL": env.get("REDIS_URL", ""),
        "INSTANCE_DIR": instance,
        "STORAGE_DIR": env.get("EATA_STORAGE_DIR", os.path.join(instance, "storage")),
        # data keys: "kid:base64key[,kid:base64key…]"; the first one encrypts, all decrypt
        "DATA_KEYS": env.get("EATA_DATA_KEYS", DEV_DATA_KEYS),
        "LOOKUP_KEY": env.get("EATA_LOOKUP_KEY", ""),  # HMAC key for lookup codes; derived if empty
        # Ed25519 signing keys of receipts and audit checkpoints (portal/domain/signing.py):
        # "kid:base64seed[:from[:until]][,…]"; empty: a development key derived from SECRET_KEY
        "SIGNING_KEYS": env.get("EATA_SIGNING_KEYS", ""),
        # mail
        "MAIL_SERVER": env.get("MAIL_SERVER", ""),  # empty: write messages to MAIL_OUTBOX_DIR
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_SENDER": env.get("MAIL_SENDER", "eATA <no-reply@eata.localhost>"),
        "MAIL_OUTBOX_DIR": env.get("MAIL_OUTBOX_DIR", os.path.join(instance, "mail")),
        # identity
        "SESSION_IDLE_MINUTES": _int("SESSION_IDLE_MINUTES", 30),
        "SESSION_ABSOLUTE_HOURS": _int("SESSION_ABSOLUTE_HOURS", 12),
        # the shipped languages (F-83), the first is the fallback; each has a catalogue in
        # portal/translations/<lang>/LC_MESSAGES/messages.po
        "LANGUAGES": ["en", "fr", "es"],
        "BABEL_TRANSLATION_DIRECTORIES": os.path.join(os.path.dirname(__file__), "translations"),
        "INVITATION_DAYS": _int("INVITATION_DAYS", 14),
        "RESET_TOKEN_MINUTES": _int("RESET_TOKEN_MINUTES", 60),
        "PASSWORD_HASH_FAST": _bool(env.get("EATA_PASSWORD_HASH_FAST")),  # tests only
        "PROXY_FIX_HOPS": _int("PROXY_FIX_HOPS", 0),
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
        # Redis unreachable: each process counts in memory meanwhile (limits still hold, per
        # process), instead of a 500 on every rate-limited route
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # cookies
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), False),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the (server-side) session
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024),
        # bulk creation uploads (portal/domain/xlsx_guard.Limits; empty: its defaults)
        **{
            key: _int(key, 0) or None
            for key in (
                "BULK_MAX_FILE_BYTES",
                "BULK_MAX_UNPACKED_BYTES",
                "BULK_MAX_RATIO",
                "BULK_MAX_ROWS",
                "BULK_MAX_COLUMNS",
                "BULK_MAX_CELL_CHARS",
                "BULK_MAX_ENTRIES",
            )
        },
        # the APIs on api.<domain> (portal/api): per-client budget, token endpoint, bad tokens
        "NICS_RATE_LIMIT": env.get("NICS_RATE_LIMIT", "600/minute;20000/hour"),
        "NICS_TOKEN_RATE_LIMIT": env.get("NICS_TOKEN_RATE_LIMIT", "30/minute"),
        "NICS_BAD_TOKEN_RATE_LIMIT": env.get("NICS_BAD_TOKEN_RATE_LIMIT", "120/minute"),
        "NICS_TOKEN_SECONDS": _int("NICS_TOKEN_SECONDS", 900),
        "NICS_MAX_BODY": _int("NICS_MAX_BODY", 2 * 1024 * 1024),
        # the directory's map (F-81): drawn from the packaged world outlines; with a tile URL
        # ("https://tiles.example/{z}/{x}/{y}.png") the page also offers that tile server
        "MAP_TILE_URL": env.get("MAP_TILE_URL", ""),
        # closed carnets older than this many days move to the archive tables (daily job,
        # `flask monitoring archive`; docs/monitoring.md "Archive"); 0: never
        "ARCHIVE_AFTER_DAYS": _int("ARCHIVE_AFTER_DAYS", 3 * 365),
        "JOBS_INLINE": not env.get("REDIS_URL"),
        # without Redis: a thread of each process sends the outbox right after the commit that
        # wrote to it, and every OUTBOX_DRAIN_SECONDS (off in tests, which drain explicitly)
        "OUTBOX_AUTODRAIN": _bool(env.get("EATA_OUTBOX_AUTODRAIN"), True),
        "OUTBOX_DRAIN_SECONDS": _int("EATA_OUTBOX_DRAIN_SECONDS", 60),
        "TESTING": False,
    }
    if overrides:
        cfg.update(overrides)
    if cfg["REDIS_URL"] and "JOBS_INLINE" not in (overrides or {}):
        cfg["JOBS_INLINE"] = False
    if cfg["TESTING"] and "OUTBOX_AUTODRAIN" not in (overrides or {}):
        cfg["OUTBOX_AUTODRAIN"] = False  # tests drain explicitly (jobs.tasks.drain_outbox)
    cfg["SESSION_COOKIE_SECURE"] = cfg["SESSION_COOKIE_SECURE"] or cfg["EATA_SCHEME"] == "https"
    cfg["REMEMBER_COOKIE_SECURE"] = cfg["SESSION_COOKIE_SECURE"]
    # Authlib's process-wide permission to run OAuth over plain http: development/tests only
    cfg["AUTHLIB_INSECURE_TRANSPORT"] = (
        cfg["ENV_NAME"] != "production" and cfg["EATA_SCHEME"] != "https"
    )
    cfg["RATELIMIT_STORAGE_URI"] = cfg.get("RATELIMIT_STORAGE_URI") or (
        cfg["REDIS_URL"] or "memory://"
    )
    check_production(cfg)
    return cfg


def check_production(cfg: dict) -> None:
    if cfg["ENV_NAME"] != "production":
        return
    problems = []
    if not cfg["SECRET_KEY"] or cfg["SECRET_KEY"] == DEV_SECRET_KEY or len(cfg["SECRET_KEY"]) < 32:
        problems.append("SECRET_KEY must be set to a random value of 32+ characters")
    if not cfg["DATA_KEYS"] or cfg["DATA_KEYS"] == DEV_DATA_KEYS:
        problems.append("EATA_DATA_KEYS must be set (kid:base64-32-byte-key)")
    if not cfg["SIGNING_KEYS"]:
        problems.append(
            "EATA_SIGNING_KEYS must be set (kid:base64-32-byte-Ed25519-seed; "
            "`flask receipts new-key KID` makes one)"
        )
    if len(cfg["LOOKUP_KEY"] or "") < MIN_LOOKUP_KEY:
        problems.append(
            f"EATA_LOOKUP_KEY must be set to a random value of {MIN_LOOKUP_KEY}+ characters"
        )
    if cfg["EATA_SCHEME"] != "https":
        problems.append("EATA_SCHEME must be https (Secure cookies, HSTS, OAuth over TLS)")
    if not cfg["MAIL_SERVER"]:
        problems.append("MAIL_SERVER must be set (production sends its email over SMTP)")
    if cfg["DATABASE_URL"].startswith("sqlite"):
        problems.append("DATABASE_URL must point at PostgreSQL in production")
    if problems:
        raise ConfigError("Refusing to start in production: " + "; ".join(problems))
