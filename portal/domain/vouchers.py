"""Vouchers and their transaction codes (F-33, F-26, F-47, R-10).

A transaction code is 13 characters of an unambiguous 25-letter alphabet (60.4 bits,
portal.domain.codes.new_typable_code). It is stored twice: as a keyed HMAC for the customs
look-up (an indexed equality match) and encrypted with the data key, because the holder must
see it again at the border; never in clear. It stays valid until used (F-47), so an officer
who is offline can write down carnet ID + code and commit later.

The QR payload carries only the carnet's eATA ID and the code, plus a tag (HMAC under the
lookup key over both), so a forged or altered QR is refused before any look-up.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.db import MAX_ID, now_utc
from portal.domain import DomainError, audit, crypto
from portal.domain.codes import TYPABLE_ALPHABET, keyed_hash, new_typable_code, same
from portal.models import Carnet, GuessThrottle, Voucher

QR_PREFIX = "EATA1"
CODE_LENGTH = 13
# failed guesses per subject within the window, then a lock-out of the same length
WINDOW = dt.timedelta(minutes=15)
LOCKOUT = dt.timedelta(minutes=15)
MAX_FAILURES = {"carnet": 10, "client": 30, "transaction": 5, "holder": 10}

MAX_EATA_ID = MAX_ID
NO_MATCH = "No voucher matches this carnet and transaction code: check both and try again."


class TooManyGuesses(DomainError):
    status = 429

    def __init__(self, until: dt.datetime):
        super().__init__(
            f"Too many wrong codes: try again after {until.strftime('%H:%M')} UTC.",
            code="rate_limited",
        )
        self.until = until


def normalize_code(code: str) -> str:
    return re.sub(r"[\s\-]", "", code or "").upper()


def format_code(code: str) -> str:
    """ABCD-EFGH-JKLM-N: easier to read out at a counter."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def code_hash(code: str) -> str:
    return keyed_hash("voucher:" + normalize_code(code))


def _aad(voucher: Voucher) -> str:
    return f"voucher:{voucher.id}:code"


def issue_code(session: Session, voucher: Voucher) -> str:
    """Give a (flushed) voucher a fresh code; returns the raw code."""
    code = new_typable_code(CODE_LENGTH)
    voucher.code_hash = code_hash(code)
    voucher.code_enc = crypto.encrypt(code, _aad(voucher))
    return code


def new_voucher(session: Session, **fields) -> Voucher:
    """A voucher row with its code: flushed first, so the ciphertext is bound to its id."""
    voucher = Voucher(
        code_hash=keyed_hash("pending:" + new_typable_code(20)), code_enc="", **fields
    )
    session.add(voucher)
    session.flush()
    issue_code(session, voucher)
    return voucher


def code_of(voucher: Voucher) -> str:
    """The raw transaction code, for the holder's wallet (shown after the disclaimer)."""
    return crypto.decrypt(voucher.code_enc, _aad(voucher))


# --- QR payload -------------------------------------------------------------------------------


def _tag(eata_id: int, code: str) -> str:
    return keyed_hash(f"qr:{eata_id}:{code}")[:16]


def qr_payload(eata_id: int, code: str) -> str:
    code = normalize_code(code)
    return f"{QR_PREFIX}:{eata_id}:{code}:{_tag(eata_id, code)}"


def looks_like_qr(text: str) -> bool:
    """Whether typed text is a QR payload (a hardware scanner types it into a field)."""
    return (text or "").strip().upper().startswith(QR_PREFIX + ":")


def parse_qr_payload(payload: str) -> tuple[int, str]:
    """(eata_id, code) from a scanned QR; a forged or damaged one is refused."""
    parts = (payload or "").strip().split(":")
    if len(parts) != 4 or parts[0] != QR_PREFIX or not parts[1].isdigit():
        raise DomainError("This QR code is not an eATA transaction code.", code="bad_qr")
    eata_id, code, tag = int(parts[1]), parts[2], parts[3]
    if (
        len(code) != CODE_LENGTH
        or any(c not in TYPABLE_ALPHABET for c in code)
        or not same(tag, _tag(eata_id, code))
    ):
        raise DomainError("This QR code is not an eATA transaction code.", code="bad_qr")
    return eata_id, code


# --- guess throttling (R-10) -----------------------------------------------------------------


def _throttle(session: Session, subject: str) -> GuessThrottle | None:
    return session.scalar(select(GuessThrottle).where(GuessThrottle.subject == subject))


def check_not_locked(session: Session, subjects: list[str], now: dt.datetime) -> None:
    """TooManyGuesses if one of `subjects` (the first one, in order) is locked out now."""
    locked: dict[str, dt.datetime] = {
        subject: until
        for subject, until in session.execute(_LOCKED, {"subjects": subjects, "now": now})
        if until is not None
    }
    for subject in subjects:
        if subject in locked:
            raise TooManyGuesses(locked[subject])


def record_failure(session: Session, subject: str, now: dt.datetime) -> GuessThrottle:
    limit = MAX_FAILURES[subject.split(":", 1)[0]]
    row = _throttle(session, subject)
    if row is None:
        row = GuessThrottle(subject=subject, failures=0, window_started_at=now)
        session.add(row)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:  # created meanwhile by a concurrent guess
            row = session.scalars(
                select(GuessThrottle).where(GuessThrottle.subject == subject)
            ).one()
    if row.window_started_at + WINDOW < now:
        row.failures, row.window_started_at, row.locked_until = 0, now, None
    # atomic increment: concurrent wrong guesses all count
    session.execute(
        update(GuessThrottle)
        .where(GuessThrottle.id == row.id)
        .values(failures=GuessThrottle.failures + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(row)
    if row.failures >= limit:
        row.locked_until = now + LOCKOUT
    return row


def failed_guess(
    session: Session,
    action: str,
    subjects: list[str],
    *,
    now: dt.datetime,
    data: dict,
    actor_type: str = "anonymous",
    actor_id: int | None = None,
    actor_label: str = "",
    customs_id: int | None = None,
    ip: str | None = None,
    object_type: str | None = None,
    object_id: object = None,
) -> None:
    """Count a wrong guess against every subject, log it, and commit both: the refusal that
    follows must not roll them back."""
    locked = []
    for subject in subjects:
        row = record_failure(session, subject, now)
        if row.locked_until is not None and row.locked_until > now:
            locked.append(subject)
    audit.record(
        session,
        action,
        actor_type=actor_type,
        actor_id=actor_id,
        actor_label=actor_label,
        customs_id=customs_id,
        ip=ip,
        object_type=object_type,
        object_id=object_id,
        data={**data, "locked": locked},
    )
    session.commit()


# --- look-up for customs (F-40 step 1) -------------------------------------------------------


# the statements of every look-up, built once
_BY_EATA_ID = select(Carnet).where(Carnet.eata_id == bindparam("ref"))
_BY_NUMBER = select(Carnet).where(Carnet.carnet_number == bindparam("ref"))
_VOUCHER = select(Voucher).where(
    Voucher.code_hash == bindparam("code_hash"), Voucher.carnet_id == bindparam("carnet_id")
)
_LOCKED = select(GuessThrottle.subject, GuessThrottle.locked_until).where(
    GuessThrottle.subject.in_(bindparam("subjects", expanding=True)),
    GuessThrottle.locked_until > bindparam("now"),
)


def find_carnet(session: Session, carnet_ref: str | int) -> Carnet | None:
    ref = str(carnet_ref).strip().upper()
    if not ref.isprintable():  # e.g. a NUL byte, which PostgreSQL refuses in a string
        return None
    if (
        ref.isascii() and ref.isdigit() and int(ref) <= MAX_EATA_ID
    ):  # a larger number is no eATA ID (int4)
        carnet = session.execute(_BY_EATA_ID, {"ref": int(ref)}).scalar_one_or_none()
        if carnet is not None:
            return carnet
    return session.execute(_BY_NUMBER, {"ref": ref}).scalar_one_or_none()


def _guess_subjects(carnet: Carnet | None, ref: str, client_key: str) -> list[str]:
    """What a wrong guess counts against (R-10): the carnet (or the reference typed, when it
    names no carnet) and the client (an account, an API client, an address)."""
    return [
        f"carnet:{carnet.id if carnet is not None else 'ref:' + ref}",
        f"client:{client_key}"[:120],
    ]


def lookup_voucher(
    session: Session,
    carnet_ref: str | int,
    code: str,
    *,
    client_key: str,
    account_id: int | None = None,
    customs_id: int | None = None,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> Voucher:
    """The voucher for carnet eATA ID or number + transaction code (typed or from the QR).

    Wrong guesses are counted per carnet and per client key (an account, an API client, an
    address) and lead to a lock-out (R-10); the message never says which part was wrong."""
    now = now or now_utc()
    ref = str(carnet_ref).strip().upper()[:40]
    carnet = find_carnet(session, ref)
    subjects = _guess_subjects(carnet, ref, client_key)
    check_not_locked(session, subjects, now)
    normalized = normalize_code(code)
    voucher = None
    if carnet is not None and len(normalized) == CODE_LENGTH:
        voucher = session.execute(
            _VOUCHER, {"code_hash": code_hash(normalized), "carnet_id": carnet.id}
        ).scalar_one_or_none()
    if voucher is None:
        failed_guess(
            session,
            "voucher.lookup_failed",
            subjects,
            now=now,
            data={"carnet_ref": ref, "client": client_key},
            actor_type="account" if account_id else "anonymous",
            actor_id=account_id,
            customs_id=customs_id,
            ip=ip,
            object_type="carnet",
            object_id=carnet.eata_id if carnet is not None else None,
        )
        raise DomainError(NO_MATCH, code="lookup_failed")
    if voucher.state == "void":
        raise DomainError(
            "This transaction code is no longer valid: the holder changed or "
            "deleted the travel. Ask for the current code.",
            code="voucher_void",
        )
    return voucher


def lookup_by_qr(
    session: Session,
    payload: str,
    *,
    client_key: str,
    account_id: int | None = None,
    customs_id: int | None = None,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> Voucher:
    """The voucher of a scanned QR payload — the desk and the customs API call this.

    A forged or damaged payload is a wrong guess like a wrong typed code (R-10): it counts
    against the client and the carnet it names, leaves a `voucher.lookup_failed` audit event,
    and a locked-out client or carnet is refused (TooManyGuesses) before anything is read."""
    now = now or now_utc()
    try:
        eata_id, code = parse_qr_payload(payload)
    except DomainError as refused:
        parts = str(payload or "").strip().split(":")
        ref = parts[1][:40] if len(parts) > 1 and parts[1].isdigit() else ""
        carnet = find_carnet(session, ref) if ref else None
        subjects = (
            _guess_subjects(carnet, ref, client_key) if ref else [f"client:{client_key}"[:120]]
        )
        check_not_locked(session, subjects, now)
        failed_guess(
            session,
            "voucher.lookup_failed",
            subjects,
            now=now,
            data={"carnet_ref": ref, "client": client_key, "forged_qr": True},
            actor_type="account" if account_id else "anonymous",
            actor_id=account_id,
            customs_id=customs_id,
            ip=ip,
            object_type="carnet",
            object_id=carnet.eata_id if carnet is not None else None,
        )
        raise DomainError(refused.message, field="qr", code="bad_qr") from None
    return lookup_voucher(
        session,
        str(eata_id),
        code,
        client_key=client_key,
        account_id=account_id,
        customs_id=customs_id,
        ip=ip,
        now=now,
    )
