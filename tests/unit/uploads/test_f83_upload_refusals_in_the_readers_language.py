"""F-83: the upload guard's refusals (cover pages, pre-declaration attachments) follow the
reader's language; English outside a request."""

import pytest

from portal.domain.uploads import UploadRefused, check_upload


def _refusal(data: bytes) -> str:
    with pytest.raises(UploadRefused) as err:
        check_upload("scan.pdf", data)
    return err.value.message


def test_f83_upload_refusals_in_french_and_spanish(app):
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert _refusal(b"") == "Le fichier est vide."
        assert _refusal(b"#!/bin/sh\n").startswith("Envoyez un fichier PDF, PNG ou JPEG (")
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        assert _refusal(b"#!/bin/sh\n").startswith("Envíe un archivo PDF, PNG o JPEG (")
    assert _refusal(b"#!/bin/sh\n").startswith("Send a PDF, PNG or JPEG file (")
