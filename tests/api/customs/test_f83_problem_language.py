"""F-83: the APIs keep their stable machine `code`; the human `detail` of a problem document
follows Accept-Language (English without it)."""

from portal.domain.vouchers import code_of


def _committed_twice(api, kit, office, language=None):
    carnet = kit.issue(items=2)
    t = kit.travel(carnet, "CH", "FR")
    voucher = kit.voucher(t, "validation")
    req = {
        "carnet": str(carnet.eata_id),
        "code": code_of(voucher),
        "office_id": office.id,
        "officer": "J. Dupont",
        "fields": {"goods_examined": True},
    }
    assert api.post("/v1/customs/vouchers/commit", json=req).status_code == 201
    headers = {"Accept-Language": language} if language else {}
    return api.post("/v1/customs/vouchers/commit", json=req, headers=headers)


def test_f83_problem_detail_follows_accept_language_and_the_code_stays(customs_client, kit):
    api, office = customs_client("ch")
    english = _committed_twice(api, kit, office).get_json()
    french = _committed_twice(api, kit, office, "fr-CH, fr;q=0.9").get_json()
    spanish = _committed_twice(api, kit, office, "es").get_json()
    assert english["code"] == french["code"] == spanish["code"] == "already_committed"
    assert english["detail"].startswith("This voucher was already committed")
    assert french["detail"].startswith("Ce volet a déjà été enregistré")
    assert spanish["detail"].startswith("Este volante ya se registró")
    assert english["title"] == french["title"]  # the title is the status's, in English
