"""The holder wallet (F-17, F-30, F-31, F-33 … F-35, R-10). No Flask here: routes pass what they need.

Callers use `from portal.domain import wallet` and `wallet.<name>`; the modules, by what they do:

- `accounts`: registration, email confirmation, the holder's profile;
- `sessions`: login, the holder's sessions and the wallet PIN, the optional TOTP second factor;
- `carnets`: carnet download (eATA ID or number + PIN, or the download QR), the wallet's
  carnets, vouchers and their state, notifications;
- `shares`: voucher share links (F-35).

Security notes: passwords and the wallet PIN are argon2id hashes; emailed tokens and share
tokens are stored as keyed hashes only; wrong carnet PINs are counted per carnet and per holder
in `GuessThrottle` (subjects "carnet:download:<id>" and "holder:download:<id>") and lock out for
15 minutes after 10 (R-10); every failure is audited.
"""

from __future__ import annotations

from portal.domain.wallet.accounts import (
    CONFIRM_LIFETIME,
    HOLDER_FIELDS,
    check_pin,
    confirm_email,
    credential_of,
    holder_by_email,
    may_resend_confirmation,
    register,
    send_confirmation,
    update_profile,
)
from portal.domain.wallet.carnets import (
    DOWNLOAD_FAILED,
    VoucherStatus,
    download_carnet,
    holder_transaction,
    holder_voucher,
    mark_read,
    notifications_of,
    parse_download_qr,
    status_key,
    unread_count,
    voucher_status,
    wallet_carnet,
    wallet_carnets,
)
from portal.domain.wallet.sessions import (
    LOGIN_FAILED,
    LOGIN_LOCKOUT,
    MAX_LOGIN_FAILURES,
    MAX_PIN_FAILURES,
    PIN_IDLE,
    SESSION_ABSOLUTE,
    SESSION_IDLE,
    LoginResult,
    authenticate,
    change_pin,
    disable_totp,
    enable_totp,
    is_unlocked,
    keep_unlocked,
    live_holder_session,
    new_totp,
    open_holder_session,
    revoke_holder_session,
    unlock,
    verify_totp,
)
from portal.domain.wallet.shares import (
    SHARE_DAYS,
    create_share,
    open_share,
    revoke_share,
    shares_of,
)

__all__ = [
    "check_pin",
    "CONFIRM_LIFETIME",
    "DOWNLOAD_FAILED",
    "HOLDER_FIELDS",
    "LOGIN_FAILED",
    "LOGIN_LOCKOUT",
    "LoginResult",
    "MAX_LOGIN_FAILURES",
    "MAX_PIN_FAILURES",
    "PIN_IDLE",
    "SESSION_ABSOLUTE",
    "SESSION_IDLE",
    "SHARE_DAYS",
    "VoucherStatus",
    "authenticate",
    "change_pin",
    "confirm_email",
    "create_share",
    "credential_of",
    "disable_totp",
    "download_carnet",
    "enable_totp",
    "holder_by_email",
    "holder_transaction",
    "holder_voucher",
    "is_unlocked",
    "keep_unlocked",
    "live_holder_session",
    "mark_read",
    "may_resend_confirmation",
    "new_totp",
    "notifications_of",
    "open_holder_session",
    "open_share",
    "parse_download_qr",
    "register",
    "revoke_holder_session",
    "revoke_share",
    "send_confirmation",
    "shares_of",
    "status_key",
    "unlock",
    "unread_count",
    "update_profile",
    "verify_totp",
    "voucher_status",
    "wallet_carnet",
    "wallet_carnets",
]
