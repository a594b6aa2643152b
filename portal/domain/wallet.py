"""The holder wallet (F-17, F-30, F-31, F-33 … F-35, R-10): accounts, sessions and the wallet
PIN, carnet download, voucher state and share links. No Flask here: routes pass what they need.

Security notes: passwords and the wallet PIN are argon2id hashes; emailed tokens and share
tokens are stored as keyed hashes only; wrong carnet PINs are counted per carnet and per holder
in `GuessThrottle` (subjects "carnet:download:<id>" and "holder:download:<id>") and lock out for
15 minutes after 10 (R-10); every failure is audited.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import DomainError, NotFound, audit, mfa, outbox
from portal.domain.carnets import verify_download_pin
from portal.domain.codes import keyed_hash, new_token
from portal.domain.passwords import hash_secret, normalize_password, password_problem, verify_secret
from portal.domain.sessions import TOUCH_EVERY, keep_alive
from portal.domain.travels import add_to_wallet, get_travel
from portal.domain.vouchers import TooManyGuesses, check_not_locked, failed_guess, find_carnet
from portal.models import (
    Carnet,
    Country,
    Holder,
    HolderCredential,
    HolderNotification,
    HolderSession,
    HolderToken,
    Rejection,
    Transaction,
    Voucher,
    VoucherShare,
    WalletCarnet,
)

MAX_LOGIN_FAILURES = 5
LOGIN_LOCKOUT = dt.timedelta(minutes=15)
MAX_PIN_FAILURES = 5
PIN_IDLE = dt.timedelta(minutes=10)  # the wallet PIN is asked again after this much idle time
SESSION_IDLE = dt.timedelta(hours=2)
SESSION_ABSOLUTE = dt.timedelta(hours=12)
CONFIRM_LIFETIME = dt.timedelta(days=2)
SHARE_DAYS = (1, 7, 30)
LOGIN_FAILED = "Wrong email or password."
DOWNLOAD_FAILED = (
    "The carnet ID or number and the PIN do not match: check both (the PIN is "
    "the 8-digit code your issuing association gave you) and try again."
)
HOLDER_FIELDS = (
    "kind",
    "company_name",
    "title",
    "given_names",
    "surname",
    "email",
    "street",
    "postal_code",
    "city",
    "state",
    "country_code",
    "phone",
)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --- registration -------------------------------------------------------------------------------


def _check_pin(pin: str) -> str:
    pin = (pin or "").strip()
    if not pin.isdigit() or not pin.isascii() or not 6 <= len(pin) <= 12:
        raise DomainError("The wallet PIN is 6 to 12 digits.", field="pin")
    if len(set(pin)) == 1 or pin in "01234567890123" or pin in "98765432109876":
        raise DomainError(
            "This PIN is too easy to guess: avoid repeated or consecutive digits.", field="pin"
        )
    return pin


def register(
    session: Session,
    data: dict,
    password: str,
    pin: str,
    *,
    confirm_url: str,
    accepted_terms: bool,
    now: dt.datetime | None = None,
) -> tuple[Holder, str]:
    """Create a holder with password and wallet PIN, and email a single-use confirmation link
    (`confirm_url` has "{token}" in it). Returns the holder and the raw token."""
    now = now or now_utc()
    values = {k: (data.get(k) or "").strip() for k in HOLDER_FIELDS}
    values["email"] = values["email"].lower()
    values["country_code"] = values["country_code"].upper()
    if values["kind"] not in ("company", "private"):
        raise DomainError("Choose company or private.", field="kind")
    if values["kind"] == "company" and not values["company_name"]:
        raise DomainError("Give the company name.", field="company_name")
    for name, label in (
        ("given_names", "your given names"),
        ("surname", "your surname"),
        ("street", "your street"),
        ("postal_code", "your postal code"),
        ("city", "your city"),
        ("phone", "your cell phone number"),
    ):
        if not values[name]:
            raise DomainError(
                f"Give {label} as on your passport."
                if name in ("given_names", "surname")
                else f"Give {label}.",
                field=name,
            )
    if not EMAIL_RE.match(values["email"]) or len(values["email"]) > 254:
        raise DomainError("Give a valid email address.", field="email")
    if not re.fullmatch(r"\+?[0-9 ()./-]{6,40}", values["phone"]):
        raise DomainError(
            "Give the cell phone number with digits only, e.g. +32 470 12 34 56.", field="phone"
        )
    if session.get(Country, values["country_code"]) is None:
        raise DomainError("Choose your country of residence.", field="country_code")
    if session.scalar(select(Holder.id).where(Holder.email == values["email"])) is not None:
        raise DomainError("A wallet already exists for this email: log in instead.", field="email")
    problem = password_problem(password or "", email=values["email"])
    if problem:
        raise DomainError(problem, field="password")
    pin = _check_pin(pin)
    if not accepted_terms:
        raise DomainError("Accept the terms of use to create a wallet.", field="accept_terms")
    holder = Holder(**values, created_at=now)
    session.add(holder)
    session.flush()
    session.add(
        HolderCredential(
            holder_id=holder.id,
            password_hash=hash_secret(normalize_password(password)),
            pin_hash=hash_secret(pin),
            failed_logins=0,
            pin_failures=0,
        )
    )
    token = send_confirmation(session, holder, confirm_url=confirm_url, now=now)
    audit.record(
        session,
        "holder.registered",
        actor_type="holder",
        actor_id=holder.id,
        actor_label=holder.email,
        object_type="holder",
        object_id=holder.id,
        data={"country": holder.country_code, "kind": holder.kind},
    )
    session.flush()
    return holder, token


def send_confirmation(
    session: Session, holder: Holder, *, confirm_url: str, now: dt.datetime | None = None
) -> str:
    now = now or now_utc()
    raw = new_token()
    session.add(
        HolderToken(
            holder_id=holder.id,
            purpose="confirm_email",
            email=holder.email,
            token_hash=keyed_hash("holder-token:" + raw),
            created_at=now,
            expires_at=now + CONFIRM_LIFETIME,
        )
    )
    outbox.add_email(
        session,
        holder.email,
        "eATA wallet: confirm your email address",
        f"Hello {holder.legal_name},\n\nConfirm your email address to use your eATA "
        f"wallet (the link works once, for 48 hours):\n\n"
        f"{confirm_url.replace('{token}', raw)}\n\n"
        f"If you did not create a wallet, ignore this message.\n\neATA\n",
    )
    return raw


def holder_by_email(session: Session, email: str) -> Holder | None:
    return session.scalar(select(Holder).where(Holder.email == (email or "").strip().lower()))


def may_resend_confirmation(
    session: Session, holder: Holder, now: dt.datetime | None = None
) -> bool:
    now = now or now_utc()
    last = session.scalar(
        select(func.max(HolderToken.created_at)).where(
            HolderToken.holder_id == holder.id, HolderToken.purpose == "confirm_email"
        )
    )
    return last is None or now - last > dt.timedelta(minutes=10)


def confirm_email(session: Session, raw: str, *, now: dt.datetime | None = None) -> Holder | None:
    """Use a confirmation link once; None when unknown, used, expired or for an old address."""
    now = now or now_utc()
    token = session.scalar(
        select(HolderToken).where(
            HolderToken.token_hash == keyed_hash("holder-token:" + (raw or "")),
            HolderToken.purpose == "confirm_email",
        )
    )
    if token is None or token.used_at is not None or token.expires_at < now:
        return None
    holder = session.get(Holder, token.holder_id)
    if holder is None or holder.email != token.email:
        return None
    done = session.execute(
        update(HolderToken)
        .where(HolderToken.id == token.id, HolderToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        return None
    cred = credential_of(session, holder)
    cred.email_confirmed_at = cred.email_confirmed_at or now
    audit.record(
        session,
        "holder.email_confirmed",
        actor_type="holder",
        actor_id=holder.id,
        actor_label=holder.email,
        object_type="holder",
        object_id=holder.id,
    )
    session.flush()
    return holder


def update_profile(session: Session, holder: Holder, data: dict) -> None:
    """Change the contact details; the country of residence (and email) stay as registered."""
    if (data.get("country_code") or holder.country_code).upper() != holder.country_code:
        raise DomainError(
            "The country of residence cannot be changed after registration.", field="country_code"
        )
    for name in ("title", "street", "postal_code", "city", "state", "phone"):
        if name in data:
            setattr(holder, name, (data[name] or "").strip()[:200])
    for name in ("street", "postal_code", "city", "phone"):
        if not getattr(holder, name):
            raise DomainError("This field is required.", field=name)
    audit.record(
        session,
        "holder.profile_changed",
        actor_type="holder",
        actor_id=holder.id,
        actor_label=holder.email,
        object_type="holder",
        object_id=holder.id,
    )
    session.flush()


def credential_of(session: Session, holder: Holder) -> HolderCredential:
    return session.get(HolderCredential, holder.id)


# --- login, sessions, wallet PIN ----------------------------------------------------------------


@dataclass
class LoginResult:
    holder: Holder
    needs_totp: bool


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> LoginResult:
    """Check email + password with a lock-out after repeated failures (R-10); the message does
    not say which part was wrong. A failure is committed before the refusal."""
    now = now or now_utc()
    email = (email or "").strip().lower()
    holder = session.scalar(select(Holder).where(Holder.email == email))
    cred = credential_of(session, holder) if holder is not None else None
    if cred is not None and cred.locked_until is not None and cred.locked_until > now:
        verify_secret(None, password or "")
        raise DomainError(
            f"Too many failed logins: try again after {cred.locked_until.strftime('%H:%M')} UTC.",
            code="locked",
        )
    ok = verify_secret(cred.password_hash if cred else None, normalize_password(password or ""))
    if not ok or holder is None or not holder.active:
        if cred is not None:
            cred.failed_logins += 1
            if cred.failed_logins >= MAX_LOGIN_FAILURES:
                cred.locked_until, cred.failed_logins = now + LOGIN_LOCKOUT, 0
        audit.record(
            session,
            "holder.login_failed",
            actor_type="anonymous",
            ip=ip,
            actor_label=email[:254],
            object_type="holder",
            object_id=holder.id if holder else None,
        )
        session.commit()
        raise DomainError(LOGIN_FAILED, code="login_failed")
    if cred.email_confirmed_at is None:
        raise DomainError(
            "Confirm your email address first: open the link we emailed you.",
            code="email_unconfirmed",
        )
    cred.failed_logins, cred.locked_until = 0, None
    return LoginResult(holder=holder, needs_totp=cred.totp_secret_enc is not None)


def open_holder_session(
    session: Session,
    holder: Holder,
    *,
    mfa_pending: bool,
    ip: str | None = None,
    user_agent: str | None = None,
    now: dt.datetime | None = None,
) -> HolderSession:
    now = now or now_utc()
    hs = HolderSession(
        id=secrets.token_urlsafe(32),
        holder_id=holder.id,
        created_at=now,
        last_seen_at=now,
        mfa_pending=mfa_pending,
        ip=ip,
        user_agent=(user_agent or "")[:255],
    )
    session.add(hs)
    if not mfa_pending:
        audit.record(
            session,
            "holder.login",
            actor_type="holder",
            actor_id=holder.id,
            actor_label=holder.email,
            ip=ip,
            object_type="holder",
            object_id=holder.id,
        )
    session.flush()
    return hs


def live_holder_session(
    session: Session, sid: str, *, now: dt.datetime | None = None
) -> HolderSession | None:
    return keep_alive(
        session,
        session.get(HolderSession, sid),
        "holder",
        idle=SESSION_IDLE,
        absolute=SESSION_ABSOLUTE,
        now=now,
    )


def revoke_holder_session(session: Session, sid: str) -> None:
    session.execute(
        update(HolderSession)
        .where(HolderSession.id == sid, HolderSession.revoked_at.is_(None))
        .values(revoked_at=now_utc())
        .execution_options(synchronize_session=False)
    )


def is_unlocked(hs: HolderSession, now: dt.datetime | None = None) -> bool:
    now = now or now_utc()
    return hs.unlocked_at is not None and now - hs.unlocked_at <= PIN_IDLE


def keep_unlocked(session: Session, hs: HolderSession, now: dt.datetime | None = None) -> None:
    """Activity while unlocked pushes the re-lock back (written at most once a minute)."""
    now = now or now_utc()
    if is_unlocked(hs, now) and now - hs.unlocked_at > TOUCH_EVERY:
        hs.unlocked_at = now
        session.commit()


def unlock(
    session: Session,
    hs: HolderSession,
    pin: str,
    *,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Unlock the wallet with its PIN. Too many wrong PINs end the session (the password is
    needed again). Returns False on a wrong PIN (already committed)."""
    now = now or now_utc()
    holder = hs.holder
    cred = credential_of(session, holder)
    if verify_secret(cred.pin_hash, (pin or "").strip()):
        cred.pin_failures = 0
        hs.unlocked_at = now
        session.flush()
        return True
    cred.pin_failures += 1
    ended = cred.pin_failures >= MAX_PIN_FAILURES
    if ended:
        cred.pin_failures = 0
        hs.revoked_at = now
    audit.record(
        session,
        "holder.pin_failed",
        actor_type="holder",
        actor_id=holder.id,
        actor_label=holder.email,
        ip=ip,
        object_type="holder",
        object_id=holder.id,
        data={"session_ended": ended},
    )
    session.commit()
    return False


def change_pin(session: Session, holder: Holder, current: str, new: str) -> None:
    cred = credential_of(session, holder)
    if not verify_secret(cred.pin_hash, (current or "").strip()):
        raise DomainError("This is not your current wallet PIN.", field="current_pin")
    cred.pin_hash = hash_secret(_check_pin(new))
    audit.record(
        session,
        "holder.pin_changed",
        actor_type="holder",
        actor_id=holder.id,
        actor_label=holder.email,
        object_type="holder",
        object_id=holder.id,
    )
    session.flush()


# --- TOTP (optional second factor) ---------------------------------------------------------------


def new_totp() -> tuple[str, str, str]:
    """(secret, provisioning URI, QR data URI) for enrolment."""
    secret = mfa.new_totp_secret()
    uri = mfa.provisioning_uri(secret, "", issuer="eATA Wallet")
    return secret, uri, mfa.qr_data_uri(uri)


def enable_totp(
    session: Session, holder: Holder, secret: str, code: str, *, now: dt.datetime | None = None
) -> None:
    now = now or now_utc()
    counter = mfa.totp_counter(secret, code, now, None)
    if counter is None:
        raise DomainError(
            "This code does not match: type the 6 digits your app shows now.", field="code"
        )
    cred = credential_of(session, holder)
    cred.totp_secret_enc, cred.totp_last_counter = mfa.encrypt(secret), counter
    audit.record(
        session,
        "holder.totp_enabled",
        actor_type="holder",
        actor_id=holder.id,
        actor_label=holder.email,
        object_type="holder",
        object_id=holder.id,
    )
    session.flush()


def disable_totp(session: Session, holder: Holder) -> None:
    cred = credential_of(session, holder)
    cred.totp_secret_enc, cred.totp_last_counter = None, None
    audit.record(
        session,
        "holder.totp_disabled",
        actor_type="holder",
        actor_id=holder.id,
        actor_label=holder.email,
        object_type="holder",
        object_id=holder.id,
    )
    session.flush()


def verify_totp(
    session: Session,
    hs: HolderSession,
    code: str,
    *,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """The login's second step; a code is accepted once (no replay). Failures count towards
    the login lock-out."""
    now = now or now_utc()
    cred = credential_of(session, hs.holder)
    if cred.locked_until is not None and cred.locked_until > now:
        raise DomainError(
            f"Too many failed logins: try again after {cred.locked_until.strftime('%H:%M')} UTC.",
            code="locked",
        )
    counter = (
        mfa.totp_counter(mfa.decrypt(cred.totp_secret_enc), code, now, cred.totp_last_counter)
        if cred.totp_secret_enc
        else None
    )
    if counter is None:
        cred.failed_logins += 1
        if cred.failed_logins >= MAX_LOGIN_FAILURES:
            cred.locked_until, cred.failed_logins = now + LOGIN_LOCKOUT, 0
            hs.revoked_at = now
        audit.record(
            session,
            "holder.totp_failed",
            actor_type="holder",
            actor_id=hs.holder_id,
            actor_label=hs.holder.email,
            ip=ip,
            object_type="holder",
            object_id=hs.holder_id,
        )
        session.commit()
        return False
    cred.totp_last_counter, cred.failed_logins = counter, 0
    hs.mfa_pending = False
    audit.record(
        session,
        "holder.login",
        actor_type="holder",
        actor_id=hs.holder_id,
        actor_label=hs.holder.email,
        ip=ip,
        object_type="holder",
        object_id=hs.holder_id,
        data={"totp": True},
    )
    session.flush()
    return True


# --- carnets in the wallet (F-30, F-31) ----------------------------------------------------------


def parse_download_qr(text: str) -> tuple[str, str]:
    """(carnet reference, PIN) from a download QR: "EATA-DL:<eata id>:<pin>", JSON-ish or any
    text holding the ID (or number) and the PIN separated by spaces, colons or semicolons."""
    text = (text or "").strip()
    if text.upper().startswith("EATA-DL:"):
        text = text[8:]
    parts = [p for p in re.split(r"[\s:;,|{}\"']+", text) if p]
    parts = [
        p
        for p in parts
        if p.lower() not in ("eata_id", "id", "pin", "carnet", "carnet_number", "number")
    ]
    if len(parts) != 2 or not parts[1].isdigit():
        raise DomainError(
            "This QR code does not hold a carnet ID and PIN: type them instead.", field="qr_text"
        )
    return parts[0], parts[1]


def _check_download_lock(session: Session, subjects: list[str], now: dt.datetime) -> None:
    try:
        check_not_locked(session, subjects, now)
    except TooManyGuesses as err:
        err.message = (
            f"Too many wrong PINs for this carnet or from your account: downloading "
            f"is blocked until {err.until.strftime('%H:%M')} UTC. If you lost the "
            f"PIN, ask your issuing association."
        )
        err.field = "pin"
        err.args = (err.message,)
        raise


def download_carnet(
    session: Session,
    holder: Holder,
    ref: str,
    pin: str,
    *,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> Carnet:
    """Put a carnet into the wallet with its eATA ID (or number) and download PIN (F-30).
    Wrong PINs are counted per carnet and per holder and lock out (R-10); each is audited."""
    now = now or now_utc()
    ref = (ref or "").strip().upper()[:40]
    if not ref:
        raise DomainError("Give the eATA ID or the carnet number.", field="carnet_ref")
    carnet = find_carnet(session, ref)
    subjects = [
        f"carnet:download:{carnet.id if carnet is not None else 'ref:' + ref}"[:120],
        f"holder:download:{holder.id}",
    ]
    _check_download_lock(session, subjects, now)
    pin = (pin or "").strip()
    found = verify_download_pin(session, carnet.eata_id if carnet is not None else 0, pin)
    if found is None:
        failed_guess(
            session,
            "carnet.download_failed",
            subjects,
            now=now,
            data={"carnet_ref": ref},
            actor_type="holder",
            actor_id=holder.id,
            actor_label=holder.email,
            ip=ip,
            object_type="carnet",
            object_id=carnet.eata_id if carnet is not None else None,
        )
        _check_download_lock(session, subjects, now)
        raise DomainError(DOWNLOAD_FAILED, field="pin", code="download_failed")
    already = (
        session.scalar(
            select(WalletCarnet.id).where(
                WalletCarnet.holder_id == holder.id, WalletCarnet.carnet_id == found.id
            )
        )
        is not None
    )
    add_to_wallet(session, holder, found)
    if not already:
        audit.record(
            session,
            "carnet.downloaded",
            actor_type="holder",
            actor_id=holder.id,
            actor_label=holder.email,
            ip=ip,
            object_type="carnet",
            object_id=found.eata_id,
        )
    session.flush()
    return found


def wallet_carnets(session: Session, holder: Holder) -> list[tuple[WalletCarnet, Carnet]]:
    return list(
        session.execute(
            select(WalletCarnet, Carnet)
            .join(Carnet, Carnet.id == WalletCarnet.carnet_id)
            .where(WalletCarnet.holder_id == holder.id)
            .order_by(WalletCarnet.downloaded_at.desc(), WalletCarnet.id.desc())
        ).tuples()
    )


def wallet_carnet(session: Session, holder: Holder, carnet_id: int) -> tuple[WalletCarnet, Carnet]:
    """A carnet of the holder's wallet; another holder's carnet is not found."""
    row = session.execute(
        select(WalletCarnet, Carnet)
        .join(Carnet, Carnet.id == WalletCarnet.carnet_id)
        .where(WalletCarnet.holder_id == holder.id, Carnet.id == carnet_id)
    ).first()
    if row is None:
        raise NotFound("This carnet is not in your wallet.")
    return row[0], row[1]


# --- vouchers and their state (F-33, F-34) -------------------------------------------------------


def holder_voucher(session: Session, holder: Holder, voucher_id: int) -> Voucher:
    voucher = session.get(Voucher, voucher_id)
    if voucher is None or voucher.state == "void":
        raise NotFound("No such voucher.")
    get_travel(session, holder, voucher.travel_id)  # NotFound unless the carnet is in the wallet
    return voucher


def holder_transaction(session: Session, holder: Holder, transaction_id: int) -> Transaction:
    """A transaction of a carnet in this holder's wallet; any other id is NotFound (the holder
    learns nothing about which transaction ids exist)."""
    txn = session.scalar(
        select(Transaction)
        .join(WalletCarnet, WalletCarnet.carnet_id == Transaction.carnet_id)
        .where(Transaction.id == transaction_id, WalletCarnet.holder_id == holder.id)
    )
    if txn is None:
        raise NotFound("No such transaction.")
    return txn


@dataclass
class VoucherStatus:
    state: str  # pending | committed | rejected | cancelled
    transaction: Transaction | None = None
    rejection: Rejection | None = None


def voucher_status(session: Session, voucher: Voucher) -> VoucherStatus:
    txn = session.scalar(
        select(Transaction)
        .where(Transaction.voucher_id == voucher.id)
        .order_by(Transaction.committed_at.desc(), Transaction.id.desc())
        .limit(1)
    )
    rejection = session.scalar(
        select(Rejection)
        .where(Rejection.voucher_id == voucher.id)
        .order_by(Rejection.at.desc(), Rejection.id.desc())
        .limit(1)
    )
    if voucher.state in ("used", "pre_exported") and txn is not None:
        return VoucherStatus("committed", txn)
    if rejection is not None and (txn is None or rejection.at >= txn.committed_at):
        return VoucherStatus("rejected", txn, rejection)
    if txn is not None and txn.state == "cancelled":
        return VoucherStatus("cancelled", txn)
    return VoucherStatus("pending")


def status_key(session: Session, voucher_ids: list[int]) -> str:
    """A cheap fingerprint of what the customs did to these vouchers, for the polling page."""
    if not voucher_ids:
        return "0"
    txns = session.execute(
        select(func.count(Transaction.id), func.max(Transaction.id)).where(
            Transaction.voucher_id.in_(voucher_ids)
        )
    ).one()
    cancelled = session.scalar(
        select(func.count(Transaction.id)).where(
            Transaction.voucher_id.in_(voucher_ids), Transaction.state == "cancelled"
        )
    )
    rejections = session.scalar(
        select(func.count(Rejection.id)).where(Rejection.voucher_id.in_(voucher_ids))
    )
    return f"{txns[0]}-{txns[1]}-{cancelled}-{rejections}"


# --- notifications (F-34) ------------------------------------------------------------------------


def notifications_of(
    session: Session, holder: Holder, limit: int = 100
) -> list[HolderNotification]:
    return list(
        session.scalars(
            select(HolderNotification)
            .where(HolderNotification.holder_id == holder.id)
            .order_by(HolderNotification.created_at.desc(), HolderNotification.id.desc())
            .limit(limit)
        )
    )


def unread_count(session: Session, holder: Holder) -> int:
    return (
        session.scalar(
            select(func.count(HolderNotification.id)).where(
                HolderNotification.holder_id == holder.id, HolderNotification.read_at.is_(None)
            )
        )
        or 0
    )


def mark_read(session: Session, holder: Holder, now: dt.datetime | None = None) -> None:
    session.execute(
        update(HolderNotification)
        .where(HolderNotification.holder_id == holder.id, HolderNotification.read_at.is_(None))
        .values(read_at=now or now_utc())
        .execution_options(synchronize_session=False)
    )


# --- share links (F-35) --------------------------------------------------------------------------


def _share_hash(raw: str) -> str:
    return keyed_hash("voucher-share:" + (raw or ""))


def create_share(
    session: Session,
    holder: Holder,
    voucher_id: int,
    *,
    days: int,
    label: str = "",
    now: dt.datetime | None = None,
) -> tuple[VoucherShare, str]:
    now = now or now_utc()
    voucher = holder_voucher(session, holder, voucher_id)
    if voucher.state != "open":
        raise DomainError(
            "Customs already committed this voucher: there is nothing left to "
            "present, so it cannot be shared.",
            code="voucher_committed",
        )
    if days not in SHARE_DAYS:
        raise DomainError("Choose how long the link works: 1, 7 or 30 days.", field="days")
    raw = new_token()
    share = VoucherShare(
        voucher_id=voucher.id,
        holder_id=holder.id,
        token_hash=_share_hash(raw),
        label=(label or "").strip()[:120],
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    session.add(share)
    session.flush()
    audit.record(
        session,
        "voucher.shared",
        actor_type="holder",
        actor_id=holder.id,
        actor_label=holder.email,
        object_type="voucher",
        object_id=voucher.id,
        data={"share_id": share.id, "days": days},
    )
    return share, raw


def shares_of(session: Session, holder: Holder, voucher_id: int) -> list[VoucherShare]:
    return list(
        session.scalars(
            select(VoucherShare)
            .where(VoucherShare.holder_id == holder.id, VoucherShare.voucher_id == voucher_id)
            .order_by(VoucherShare.created_at.desc())
        )
    )


def revoke_share(
    session: Session, holder: Holder, share_id: int, *, now: dt.datetime | None = None
) -> VoucherShare:
    share = session.get(VoucherShare, share_id)
    if share is None or share.holder_id != holder.id:
        raise NotFound("No such link.")
    share.revoked_at = share.revoked_at or now or now_utc()
    audit.record(
        session,
        "voucher.share_revoked",
        actor_type="holder",
        actor_id=holder.id,
        actor_label=holder.email,
        object_type="voucher",
        object_id=share.voucher_id,
        data={"share_id": share.id},
    )
    session.flush()
    return share


def open_share(session: Session, raw: str, *, now: dt.datetime | None = None) -> VoucherShare:
    """The share behind a link; an unknown, revoked or expired link — or a voided voucher — is
    not found."""
    now = now or now_utc()
    share = session.scalar(select(VoucherShare).where(VoucherShare.token_hash == _share_hash(raw)))
    if (
        share is None
        or share.revoked_at is not None
        or share.expires_at < now
        or share.voucher.state == "void"
    ):
        raise NotFound("This link has expired or was withdrawn by the carnet holder.")
    return share
