"""F-83: the wallet's language switch (the account menu's buttons) stores the language on the
holder; the next page is in it; unknown languages, missing tokens and strangers are refused."""

from portal.models import Holder


def test_f83_holder_chooses_the_wallet_language(make_holder, wallet_client, session):
    holder = make_holder()
    client = wallet_client(holder)
    page = client.get("/my/carnets").get_data(as_text=True)
    assert 'lang="en"' in page and 'action="/my/language"' in page and "Español" in page
    r = client.post("/my/language", data={"language": "es", "next": "/my/carnets"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/my/carnets")
    session.expire_all()
    assert session.get(Holder, holder.id).language == "es"
    page = client.get("/my/carnets").get_data(as_text=True)
    assert 'lang="es"' in page and "El portal está ahora en español." in page


def test_f83_wallet_switch_refusals(make_holder, wallet_client, client_for, session):
    holder = make_holder()
    client = wallet_client(holder)
    assert client.post("/my/language", data={"language": "xx"}).status_code == 400
    assert client.post("/my/language", data={"language": "fr"}, csrf=False).status_code == 400
    stranger = client_for("wallet").post("/my/language", data={"language": "fr"})
    assert stranger.status_code == 302 and "/my/login" in stranger.headers["Location"]
    session.expire_all()
    assert session.get(Holder, holder.id).language is None
