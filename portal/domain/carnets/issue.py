"""Issuing a carnet (F-20): eATA ID and PIN, Box P, sets, the general list, encrypted contents."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from portal.db import now_utc
from portal.domain import crypto
from portal.domain.api_clients import Actor
from portal.domain.carnet_input import check_carnet_input
from portal.domain.carnets.contents import audit_carnet, holder_aad, item_aad, new_eata_id, reps_aad
from portal.domain.carnets.vocabulary import PIN_DIGITS, ValidationFailed
from portal.domain.codes import new_digits
from portal.domain.passwords import hash_secret
from portal.models import (
    NGA,
    SET_KINDS,
    Carnet,
    CarnetCountry,
    CarnetLink,
    CarnetSets,
    GoodsItem,
)

# --- issuance -------------------------------------------------------------------------------


def issue_carnet(
    session: Session,
    nga: NGA,
    data: dict,
    actor: Actor,
    *,
    today: dt.date | None = None,
    original: Carnet | None = None,
    checked: bool = False,
) -> tuple[Carnet, str]:
    """Register a carnet; returns it and its download PIN (shown once, stored as argon2).
    `checked`: the caller already ran check_carnet_input (with the schema checks)."""
    today = today or now_utc().date()
    if not checked:
        errors = check_carnet_input(session, nga, data, today, original)
        if errors:
            raise ValidationFailed(errors)
    eata_id = new_eata_id(session)
    pin = new_digits(PIN_DIGITS)
    items = data["items"]
    total_value = sum((Decimal(str(i["value"])) for i in items), Decimal("0"))
    weights = [
        Decimal(str(i["quantity"]))
        for i in items
        if i.get("unit") in ("kg", "g", "t") and i.get("quantity") is not None
    ]
    to_kg = {"kg": Decimal(1), "g": Decimal("0.001"), "t": Decimal(1000)}
    total_weight = (
        sum(
            (
                Decimal(str(i["quantity"])) * to_kg[i["unit"]]
                for i in items
                if i.get("unit") in to_kg and i.get("quantity") is not None
            ),
            Decimal("0"),
        )
        if weights
        else None
    )
    carnet = Carnet(
        eata_id=eata_id,
        carnet_number=data["carnet_number"],
        carnet_type=data["carnet_type"],
        order_type="replacement" if original is not None else "original",
        format=data["format"],
        nga_id=nga.id,
        issuing_association_id=data.get("issuing_association_id"),
        departure_country=data.get("departure_country") or nga.country_code,
        issue_date=dt.date.fromisoformat(data["issue_date"]),
        valid_until=dt.date.fromisoformat(data["valid_until"]),
        intended_use=data["intended_use"],
        currency=data["currency"],
        holder_enc=crypto.encrypt_json(data["holder"], holder_aad(eata_id)),
        representatives_enc=crypto.encrypt_json(data.get("representatives", []), reps_aad(eata_id)),
        item_count=len(items),
        total_value=total_value.quantize(Decimal("0.01")),
        total_weight=total_weight.quantize(Decimal("0.001")) if total_weight is not None else None,
        status="issued",
        pin_hash=hash_secret(pin),
        created_by_client_pk=actor.id if actor.type == "api_client" else None,
    )
    for item in items:
        carnet.items.append(
            GoodsItem(
                item_no=item["item_no"],
                pieces=item["pieces"],
                description_enc=crypto.encrypt(
                    item["description"], item_aad(eata_id, item["item_no"], "description")
                ),
                marks_enc=crypto.encrypt(item["marks"], item_aad(eata_id, item["item_no"], "marks"))
                if item.get("marks")
                else None,
                origin_country=item["origin_country"],
                value=Decimal(str(item["value"])).quantize(Decimal("0.01")),
                quantity=Decimal(str(item["quantity"])).quantize(Decimal("0.001"))
                if item.get("quantity") is not None
                else None,
                unit=item.get("unit"),
            )
        )
    for code in data["countries"]:
        carnet.countries.append(CarnetCountry(country_code=code))
    for kind in SET_KINDS:
        count = data["sets"].get(kind, 0)
        carnet.sets.append(CarnetSets(kind=kind, issued=count, remaining=count))
    if data["format"] in ("paper_clone", "twin"):
        carnet.links.append(
            CarnetLink(kind=data["format"], linked_number=data["paper_carnet_number"])
        )
    session.add(carnet)
    session.flush()
    if original is not None:
        carnet.links.append(
            CarnetLink(
                kind="replaces", linked_carnet_id=original.id, linked_number=original.carnet_number
            )
        )
        original.links.append(
            CarnetLink(
                kind="replaced_by", linked_carnet_id=carnet.id, linked_number=carnet.carnet_number
            )
        )
        session.flush()
    audit_carnet(
        session,
        "carnet.issued",
        carnet,
        actor,
        None,
        {
            "order_type": carnet.order_type,
            "format": carnet.format,
            "original": original.eata_id if original is not None else None,
        },
    )
    return carnet, pin
