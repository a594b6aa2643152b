"""Multifactor authentication (F-12): TOTP, email codes to an alternative address, recovery codes.

A TOTP code is accepted once: the time-step of the last accepted code is kept in
`Account.totp_last_counter` and only later steps pass (pyotp alone accepts a code again for its
whole window). TOTP secrets are stored encrypted (AES-GCM under the data key); email codes and
recovery codes only as keyed hashes.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import secrets

import pyotp
import segno
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.attributes import set_committed_value

from portal.db import now_utc, rows_changed
from portal.domain import DomainError, values
from portal.domain.codes import TYPABLE_ALPHABET, keyed_hash, new_digits, same
from portal.models import Account, CustomsAdministration
from portal.models.identity import EmailOtp, RecoveryCode

TOTP_STEP = 30
TOTP_WINDOW = 1  # one step either side: clock drift of up to 30 s
EMAIL_OTP_MINUTES = 10
EMAIL_OTP_MAX_ATTEMPTS = 5
EMAIL_OTP_MAX_SENDS = 3  # per EMAIL_OTP_MINUTES
RECOVERY_CODE_COUNT = 10
ISSUER = "eATA Customs"

_keys: dict[str, bytes] = {}
_current_kid = ""


def configure(data_keys: str) -> None:
    """Data keys "kid:base64key[,kid:base64key…]": the first encrypts, all decrypt."""
    global _current_kid
    _keys.clear()
    for i, part in enumerate(p for p in data_keys.split(",") if p.strip()):
        kid, _, b64 = part.strip().partition(":")
        _keys[kid] = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
        if i == 0:
            _current_kid = kid


def encrypt(plaintext: str) -> str:
    if not _current_kid:
        raise RuntimeError("mfa.configure() was not called")
    nonce = os.urandom(12)
    ct = AESGCM(_keys[_current_kid]).encrypt(nonce, plaintext.encode(), b"totp")
    return f"{_current_kid}:{base64.urlsafe_b64encode(nonce + ct).decode()}"


def decrypt(stored: str) -> str:
    kid, _, b64 = stored.partition(":")
    raw = base64.urlsafe_b64decode(b64)
    return AESGCM(_keys[kid]).decrypt(raw[:12], raw[12:], b"totp").decode()


def mfa_required(account: Account, administration: CustomsAdministration) -> bool:
    """Always for admins; for everyone when the administration makes MFA mandatory."""
    return account.role == "admin" or bool(administration.mfa_mandatory)


# --- TOTP ---------------------------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()  # 160 bits


def provisioning_uri(secret: str, email: str, issuer: str = ISSUER) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_data_uri(uri: str) -> str:
    """The QR code as an SVG data URI (the CSP allows img data:)."""
    return segno.make(uri, error="m").svg_data_uri(scale=4, border=2)


def _counter(now: dt.datetime) -> int:
    return int(now.replace(tzinfo=dt.UTC).timestamp()) // TOTP_STEP


def totp_counter(secret: str, code: str, now: dt.datetime, last: int | None = None) -> int | None:
    """The one TOTP window check (accounts and holders): the time-step of `code` within
    TOTP_WINDOW steps of `now`, if it is later than `last` (a code is accepted once)."""
    counter = _matching_counter(secret, code, now)
    return counter if counter is not None and (last is None or counter > last) else None


def _matching_counter(secret: str, code: str, now: dt.datetime) -> int | None:
    code = "".join((code or "").split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    base = _counter(now)
    found = None
    for counter in range(base - TOTP_WINDOW, base + TOTP_WINDOW + 1):
        if same(totp.generate_otp(counter), code):
            found = counter
    return found


def verify_totp(account: Account, code: str, now: dt.datetime | None = None) -> bool:
    """True once per time-step: a replayed or older code is refused. The counter moves forward
    with a conditional UPDATE, so two requests racing with the same code produce one success."""
    if account.mfa_method != "totp" or not account.totp_secret_enc:
        return False
    counter = totp_counter(
        decrypt(account.totp_secret_enc), code, now or now_utc(), account.totp_last_counter
    )
    if counter is None:
        return False
    session = object_session(account)
    if session is not None and account.id is not None:
        session.flush()
        moved = rows_changed(
            session,
            update(Account)
            .where(
                Account.id == account.id,
                or_(Account.totp_last_counter.is_(None), Account.totp_last_counter < counter),
            )
            .values(totp_last_counter=counter)
            .execution_options(synchronize_session=False),
        )
        if moved != 1:
            return False
        set_committed_value(account, "totp_last_counter", counter)  # no second, older write
        return True
    account.totp_last_counter = counter
    return True


def enable_totp(
    session: Session, account: Account, secret: str, code: str, now: dt.datetime | None = None
) -> list[str]:
    """Confirm enrolment with a first code from the app. Returns fresh recovery codes."""
    counter = totp_counter(secret, code, now or now_utc())
    if counter is None:
        raise DomainError(
            "This code does not match. Check the time on your phone and type the "
            "code your app shows now.",
            field="code",
        )
    account.totp_secret_enc = encrypt(secret)
    account.totp_last_counter = counter
    account.mfa_method = "totp"
    account.mfa_email = None
    return new_recovery_codes(session, account)


# --- email codes --------------------------------------------------------------------------


def _otp_hash(account_id: int, code: str) -> str:
    return keyed_hash(f"email-otp:{account_id}:{code}")


def issue_email_otp(
    session: Session, account: Account, sent_to: str, now: dt.datetime | None = None
) -> str:
    """A new six-digit code for `sent_to` (earlier ones stop working). The caller emails it."""
    now = now or now_utc()
    window_start = now - dt.timedelta(minutes=EMAIL_OTP_MINUTES)
    recent = (
        session.scalar(
            select(func.count(EmailOtp.id)).where(
                EmailOtp.account_id == account.id, EmailOtp.created_at > window_start
            )
        )
        or 0
    )
    if recent >= EMAIL_OTP_MAX_SENDS:
        raise DomainError(
            f"{EMAIL_OTP_MAX_SENDS} codes were sent in the last {EMAIL_OTP_MINUTES} "
            "minutes. Use the latest one or wait a few minutes.",
            field="code",
        )
    session.execute(
        update(EmailOtp)
        .where(EmailOtp.account_id == account.id, EmailOtp.used_at.is_(None))
        .values(used_at=now)
    )
    code = new_digits(6)
    session.add(
        EmailOtp(
            account_id=account.id,
            sent_to=sent_to,
            code_hash=_otp_hash(account.id, code),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=EMAIL_OTP_MINUTES),
        )
    )
    session.flush()
    return code


def live_email_otp(
    session: Session, account: Account, now: dt.datetime | None = None
) -> EmailOtp | None:
    now = now or now_utc()
    return session.scalar(
        select(EmailOtp)
        .where(
            EmailOtp.account_id == account.id,
            EmailOtp.used_at.is_(None),
            EmailOtp.expires_at > now,
            EmailOtp.attempts < EMAIL_OTP_MAX_ATTEMPTS,
        )
        .order_by(EmailOtp.id.desc())
        .limit(1)
    )


def check_email_otp(
    session: Session, account: Account, code: str, now: dt.datetime | None = None
) -> EmailOtp | None:
    """The live code matching `code`, used up; None (and one attempt counted) otherwise."""
    now = now or now_utc()
    otp = live_email_otp(session, account, now)
    if otp is None:
        return None
    code = "".join((code or "").split())
    if same(otp.code_hash, _otp_hash(account.id, code)):
        used = rows_changed(
            session,
            update(EmailOtp)
            .where(EmailOtp.id == otp.id, EmailOtp.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False),
        )
        if used != 1:  # a concurrent request used it first
            return None
        set_committed_value(otp, "used_at", now)
        return otp
    session.execute(
        update(EmailOtp)
        .where(EmailOtp.id == otp.id)
        .values(attempts=EmailOtp.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return None


def enable_email_mfa(
    session: Session, account: Account, code: str, now: dt.datetime | None = None
) -> list[str]:
    """Confirm the alternative address with the code sent to it. Returns fresh recovery codes."""
    otp = check_email_otp(session, account, code, now)
    if otp is None:
        raise DomainError(
            "This code is not correct or has expired. Ask for a new one.", field="code"
        )
    account.mfa_method = "email"
    account.mfa_email = otp.sent_to
    account.totp_secret_enc = None
    account.totp_last_counter = None
    return new_recovery_codes(session, account)


def check_alternative_email(account: Account, address: str) -> str:
    address = values.email_address(address, "address")
    if address == account.email.lower():
        raise DomainError(
            "Use another address than your login email: a second factor must be "
            "something else than what you log in with.",
            field="address",
        )
    return address


# --- recovery codes -----------------------------------------------------------------------


def _recovery_hash(account_id: int, code: str) -> str:
    return keyed_hash(f"recovery:{account_id}:{code}")


def _normalize_recovery(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_recovery_codes(session: Session, account: Account) -> list[str]:
    """Ten fresh codes (the earlier ones stop working). Shown once; only hashes are kept."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(TYPABLE_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(account_id=account.id, code_hash=_recovery_hash(account.id, raw)))
    session.flush()
    return codes


def use_recovery_code(
    session: Session, account: Account, code: str, now: dt.datetime | None = None
) -> bool:
    wanted = _recovery_hash(account.id, _normalize_recovery(code))
    done = rows_changed(
        session,
        update(RecoveryCode)
        .where(
            RecoveryCode.account_id == account.id,
            RecoveryCode.code_hash == wanted,
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now or now_utc()),
    )
    return done == 1


def recovery_codes_left(session: Session, account: Account) -> int:
    return (
        session.scalar(
            select(func.count(RecoveryCode.id)).where(
                RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


# --- the second step of the login ---------------------------------------------------------


def verify_second_factor(
    session: Session, account: Account, code: str, now: dt.datetime | None = None
) -> str | None:
    """Check a code typed at the second login step: the account's method, or a recovery code.
    Returns how it passed ('totp', 'email', 'recovery') or None."""
    code = (code or "").strip()
    if not code:
        return None
    compact = "".join(code.split())
    if compact.isdigit() and len(compact) == 6:
        if account.mfa_method == "totp" and verify_totp(account, compact, now):
            return "totp"
        if account.mfa_method == "email" and check_email_otp(session, account, compact, now):
            return "email"
        return None
    if use_recovery_code(session, account, code, now):
        return "recovery"
    return None


def disable_mfa(session: Session, account: Account, administration: CustomsAdministration) -> None:
    if mfa_required(account, administration):
        why = (
            "it is always required for admins"
            if account.role == "admin"
            else f"{administration.name} makes it mandatory"
        )
        raise DomainError(
            f"Multifactor authentication cannot be turned off: {why}. You can "
            "switch to another method instead."
        )
    account.mfa_method = None
    account.mfa_email = None
    account.totp_secret_enc = None
    account.totp_last_counter = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
