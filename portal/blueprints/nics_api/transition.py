"""The transition in the NICS API (F-70, F-71, F-72, F-74): the published ATA statuses, the
itinerary advice a chamber's issuing system asks before issuing, the carnet's digital and
recorded paper transactions side by side at discharge, and recording a paper transaction."""

from __future__ import annotations

import datetime as dt
import re

from flask import current_app, g, jsonify, request

from portal.api.bodies import json_body, validate
from portal.api.idempotent import write
from portal.api.problems import Problem
from portal.blueprints.nics_api.routes import _carnet, _today, api
from portal.domain import DomainError, ata_status, cover_pages, transition, uploads
from portal.domain.carnets import ValidationFailed
from portal.extensions import db
from portal.web import send_upload

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _query_date(name: str) -> dt.date | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        if not DATE_RE.match(raw):
            raise ValueError(raw)
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(
            [{"field": name, "message": "Must be a date (YYYY-MM-DD)."}]
        ) from None


def status_json(row: ata_status.CountryStatus) -> dict:
    return {
        "country": row.code,
        "name": row.name,
        "territory": row.territory,
        "status": row.status,
        "digital_from": _iso(row.digital_from),
        "provisional_from": _iso(row.provisional_from),
    }


@api("/v1/ata-statuses", "GET", "carnets:read")
def ata_statuses():
    on = _query_date("on") or _today()
    return jsonify(
        {
            "on": on.isoformat(),
            "items": [status_json(r) for r in ata_status.status_list(db.session, on)],
        }
    )


@api("/v1/ata-statuses/<string:country>", "GET", "carnets:read")
def ata_status_of(country: str):
    today = _today()
    row = next(
        (r for r in ata_status.status_list(db.session, today) if r.code == country.upper()), None
    )
    if row is None or len(country) != 2:
        raise Problem(404, f"No ATA country {country[:8]!r}.")
    return jsonify(
        {
            **status_json(row),
            "history": [
                {
                    "status": h.status,
                    "digital_from": _iso(h.digital_from),
                    "notified_on": h.notified_on.isoformat(),
                    "recorded_at": h.created_at.isoformat() + "Z",
                }
                for h in ata_status.history(db.session, row.code)
            ],
        }
    )


def advice_json(advice: transition.Advice) -> dict:
    return {
        "use_case": advice.use_case,
        "format": advice.format,
        "options": advice.options,
        "reason": advice.reason,
        "legs": [
            {
                "country": leg.country,
                "role": leg.role,
                "date": leg.day.isoformat(),
                "status": leg.status,
                "carnet": leg.carnet,
                "why": leg.why,
            }
            for leg in advice.legs
        ],
    }


def advise_from_body(body: dict) -> transition.Advice:
    try:
        return transition.advise(
            db.session,
            body["departure_country"],
            [
                (
                    v["country"],
                    dt.date.fromisoformat(v["date"]) if v.get("date") else None,
                    v.get("role", "destination"),
                )
                for v in body["visits"]
            ],
            departure_day=(
                dt.date.fromisoformat(body["departure_date"])
                if body.get("departure_date")
                else None
            ),
        )
    except ValueError:
        raise ValidationFailed([{"field": "visits", "message": "Dates are YYYY-MM-DD."}]) from None
    except DomainError as exc:
        raise ValidationFailed([{"field": exc.field or "body", "message": exc.message}]) from None


@api("/v1/itinerary-advice", "POST", "carnets:read")
def itinerary_advice():
    """F-71: which format to issue for an itinerary, per leg (reads only; no Idempotency-Key)."""
    body = json_body()
    validate("ItineraryRequest", body)
    return jsonify(advice_json(advise_from_body(body)))


def discharge_json(carnet, view: transition.DischargeView) -> dict:
    return {
        "eata_id": carnet.eata_id,
        "status": carnet.effective_status(_today()),
        "open_vouchers": view.open_vouchers,
        "items": [
            {
                "date": h.day.isoformat(),
                "medium": h.medium,
                "kind": h.kind,
                "country": h.country_code,
                "office": h.office,
                "reference": h.reference,
                "state": h.state,
            }
            for h in view.lines
        ],
    }


@api("/v1/carnets/<int:eata_id>/discharge-view", "GET", "carnets:read")
def discharge_view(eata_id: int):
    """F-74: digital and recorded paper transactions side by side."""
    carnet = _carnet(eata_id)
    return jsonify(discharge_json(carnet, transition.discharge_view(db.session, carnet)))


@api("/v1/carnets/<int:eata_id>/paper-transactions", "POST", "carnets:write")
def record_paper(eata_id: int):
    """The chamber records a transaction found on the returned paper carnet (F-74)."""

    def handle(body):
        validate("PaperTransactionInput", body)
        carnet = _carnet(eata_id, True)
        try:
            transition.record_paper_transaction(
                db.session,
                carnet,
                transition.PaperInput.from_api(body),
                place=None,
                recorded_by=g.actor.label,
                actor_type=g.actor.type,
                ip=g.actor.ip,
                today=_today(),
            )
        except DomainError as exc:
            if exc.status == 400:  # every refused field, named as in the API's body
                raise ValidationFailed(transition.api_field_errors(exc)) from None
            raise
        view = transition.discharge_view(db.session, carnet)
        return 201, discharge_json(carnet, view), {}

    return write(handle)


# --- F-37: the paper cover page, attached by the chamber ------------------------------------------


def cover_pages_json(carnet) -> dict:
    return {
        "eata_id": carnet.eata_id,
        "items": [
            {
                "id": r.id,
                "filename": r.filename,
                "content_type": r.content_type,
                "size": r.size,
                "sha256": r.sha256,
                "uploaded_by": r.uploaded_by_kind,
                "uploaded_at": r.uploaded_at.isoformat() + "Z",
            }
            for r in cover_pages.cover_pages(db.session, carnet.id)
        ],
    }


@api("/v1/carnets/<int:eata_id>/cover-pages", "GET", "carnets:read")
def list_cover_pages(eata_id: int):
    return jsonify(cover_pages_json(_carnet(eata_id)))


@api("/v1/carnets/<int:eata_id>/cover-pages", "POST", "carnets:write")
def attach_cover_page(eata_id: int):
    """The validated paper cover page as the raw body (PDF, PNG or JPEG), checked by content."""
    limit = uploads.Limits().max_bytes
    request.max_content_length = limit + 1
    data = request.get_data(cache=False)
    if len(data) > limit:
        raise Problem(413, f"The file is larger than {limit} bytes.")
    carnet = _carnet(eata_id, True)
    try:
        cover_pages.attach(
            db.session,
            carnet,
            request.args.get("filename", "cover-page")[:200],
            data,
            current_app.config["STORAGE_DIR"],
            by_kind="api_client",
            by=g.actor.label,
            actor_id=g.actor.id,
            ip=g.actor.ip,
        )
    except uploads.UploadRefused as exc:
        db.session.rollback()
        status = {"too_large": 413, "wrong_type": 415}.get(exc.code, 422)
        raise Problem(
            status, exc.message, exc.code, errors=[{"field": "file", "message": exc.message}]
        ) from None
    db.session.commit()
    resp = jsonify(cover_pages_json(carnet))
    resp.status_code = 201
    return resp


@api("/v1/carnets/<int:eata_id>/cover-pages/<int:cover_page_id>", "GET", "carnets:read")
def cover_page_file(eata_id: int, cover_page_id: int):
    carnet = _carnet(eata_id)
    try:
        row = cover_pages.get(db.session, carnet.id, cover_page_id)
    except DomainError:
        raise Problem(404, "No such cover page of this carnet.") from None
    return send_upload(row.path, row.filename, row.content_type)
