"""F-24: property-based testing of the served OpenAPI document with schemathesis, over both
APIs, with valid data present (carnets, vouchers, holds, transactions) so the write paths run:
no 5xx, every answer conforms to the documented schema, status code and content type.

Each operation gets EATA_FUZZ_EXAMPLES generated cases (default 25, so CI stays within a few
minutes), then the stateful phase follows the document's links (issue → read/sets/block…,
commit → receipt/cancel, hold → release) for EATA_FUZZ_STATEFUL runs (default 10). The deep run:
EATA_FUZZ_EXAMPLES=300 EATA_FUZZ_STATEFUL=100 (docs/nics-api.md). Half of the generated ids
and voucher references are replaced by real ones, and 30 % of the write cases get a new
object in the state their operation needs (Fixture.fresh); the answers by status per
operation are printed at the end, so a write path never reached shows as no 2xx.
"""

from __future__ import annotations

import os
import random
import secrets
import warnings
from collections import Counter, defaultdict

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from portal.db import now_utc
from portal.domain import api_clients, predeclarations
from portal.domain import carnets as carnet_domain
from portal.domain.api_clients import OPERATOR
from portal.domain.transactions.codes import cancellation_code_of
from portal.domain.vouchers import code_of
from portal.models import PAPER_KINDS, Claim, GuessThrottle, Transaction
from tests.api.claims.test_f67_claims_api import _claim
from tests.api.conftest import ApiClient, get_token
from tests.support import factory
from tests.support.factory import carnet_body
from tests.support.predeclarations import form

# schemathesis 3.x still uses jsonschema's deprecated RefResolver (its problem, not ours)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import schemathesis
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )
    from schemathesis.experimental import OPEN_API_3_1

OPEN_API_3_1.enable()

EXAMPLES = int(os.environ.get("EATA_FUZZ_EXAMPLES", "25"))
STATEFUL = int(os.environ.get("EATA_FUZZ_STATEFUL", "10"))
# the suite's 300 s per test, scaled for a deep run (a safety net, not a speed check)
TIMEOUT = int(300 * max(1, EXAMPLES / 50, STATEFUL / 20))
pytestmark = [
    pytest.mark.filterwarnings("ignore:jsonschema.RefResolver is deprecated:DeprecationWarning"),
    pytest.mark.timeout(TIMEOUT),
]
CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)
COUNTRIES = ("CH", "FR", "BE", "TR", "NO")  # departure first, then Box P and a paper country
VALID_CUSTOMS = {
    "/customs/vouchers/commit": {"fields": {"goods_examined": False}},
    "/customs/vouchers/hold": {"reason": "Check"},
    "/customs/vouchers/reject": {"reason": "No goods"},
}
# the state of the object an operation needs to succeed (Fixture.fresh makes one)
FRESH = {
    "/carnets/{eata_id}/sets": "issued",
    "/carnets/{eata_id}/block": "issued",
    "/carnets/{eata_id}/cancel": "issued",
    "/carnets/{eata_id}/unblock": "blocked",
    "/carnets/{eata_id}/discharge": "active",
    "/carnets/{eata_id}/replacement": "active",
    "/customs/transactions/{transaction_id}/cancel": "transaction",
    "/customs/holds/{hold_id}/release": "hold",
}
SKIPPED = {
    ("POST", "/oauth/token"),  # form-encoded, tested in test_f18_nics_api_credentials.py
    ("POST", "/claims/{claim_id}/evidence"),
    ("POST", "/carnets/{eata_id}/cover-pages"),
}  # raw file bodies, test_f67_claims_api.py, tests/api/customs/test_f73_transition_api.py


# "METHOD /path" → Counter of answered statuses, over the whole module (printed at its end, so a
# run shows which write paths were reached: a 2xx count of 0 on a write path means it never ran)
ANSWERED: defaultdict[str, Counter] = defaultdict(Counter)


@pytest.fixture(scope="module", autouse=True)
def _status_table(request):
    yield
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    if not ANSWERED or reporter is None:
        return
    with plugins.get_plugin("capturemanager").global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(
            f"F-24 fuzz: answers by status per operation (examples={EXAMPLES}, stateful={STATEFUL})"
        )
        for op in sorted(ANSWERED):
            counts = ANSWERED[op]
            row = " ".join(f"{code}:{n}" for code, n in sorted(counts.items()))
            reporter.write_line(f"  {op:<50} {sum(counts.values()):>6}  {row}")
    ANSWERED.clear()


def _call(fixture, case):
    response = case.call_and_validate(headers=fixture.headers(case), checks=CHECKS)
    ANSWERED[f"{case.method} {case.path}"][response.status_code] += 1
    return response


class Fixture:
    """The world the fuzzer runs against, and how a generated case is pointed at it."""

    def __init__(self, app, world):
        self.app, self.world, self.rng = app, world, random.Random(24)
        s = world.session
        client, secret = api_clients.create_client(s, "CH NICS", nga=world.nga)
        s.commit()
        self.nics_token = get_token(app, client.client_id, secret).get_json()["access_token"]
        self.customs = {}
        for cc in ("ch", "fr"):
            admin_id = world.officer(cc).office.customs_id
            c, secret = api_clients.create_client(s, f"{cc} customs", customs_id=admin_id)
            s.commit()
            self.customs[cc] = get_token(app, c.client_id, secret).get_json()["access_token"]
        self.carnets = [factory.issue(world, items=2) for _ in range(8)]
        travels = [factory.travel(world, c, "CH", "FR") for c in self.carnets]
        # committed transactions of this administration (receipt, cancel), claims of this NGA
        for t in (travels[0], *travels[-2:]):
            factory.commit(world, t, "validation", "ch")
        self.transactions = list(
            s.scalars(
                select(Transaction).where(Transaction.carnet_id.in_([c.id for c in self.carnets]))
            )
        )
        self.claims = [_claim(world)[1].id for _ in range(2)]
        travels = travels[:-2]
        # validations to commit, an exportation to commit (or refuse), one carnet on hold
        self.vouchers = [factory.voucher(world, t, "validation") for t in travels[1:-1]]
        self.vouchers.append(factory.voucher(world, travels[0], "export"))
        hold = ApiClient(app, self.customs["ch"]).post(
            "/v1/customs/vouchers/hold",
            json={
                **self.ref(factory.voucher(world, travels[-1], "validation")),
                "office_id": self.office(),
                "reason": "Check",
            },
        )
        assert hold.status_code == 201, hold.get_json()
        self.holds = [hold.get_json()["hold_id"]]
        # pre-declarations of validations at the Swiss office, on carnets of their own
        self.predeclarations = []
        for carnet in [factory.issue(world, items=2) for _ in range(2)]:
            v = factory.voucher(world, factory.travel(world, carnet, "CH", "FR"), "validation")
            p = predeclarations.send(s, world.holder, v.id, form(world.officer("ch").office))
            s.commit()
            self.predeclarations.append(p.id)

    def fresh(self, case, params: dict) -> None:
        """Point the case at a new object in the state its operation needs (an issued, an
        active or a blocked carnet, a committed transaction, a hold), so that the write path
        succeeds many times, not only until the few prepared objects are used up."""
        world, need = self.world, FRESH[case.path]
        carnet = factory.issue(world, items=2)
        self.carnets.append(carnet)
        if need == "issued":
            params["eata_id"] = carnet.eata_id
            return
        t = factory.travel(world, carnet, "CH", "FR")
        if need == "hold":
            hold = ApiClient(self.app, self.customs["ch"]).post(
                "/v1/customs/vouchers/hold",
                json={
                    **self.ref(factory.voucher(world, t, "validation")),
                    "office_id": self.office(),
                    "reason": "Check",
                },
            )
            self.holds.append(hold.get_json()["hold_id"])
            params["hold_id"] = self.holds[-1]
            return
        result = factory.commit(world, t, "validation", "ch")
        if need == "transaction":
            txn = world.session.get(Transaction, result.transaction_id)
            self.transactions.append(txn)
            params["transaction_id"] = txn.id
            return
        if need == "blocked":
            carnet_domain.block(world.session, carnet, "Lost", OPERATOR)
            world.session.commit()
        params["eata_id"] = carnet.eata_id
        if case.path.endswith("/replacement") and self.rng.random() < 0.5:
            case.body = carnet_body(
                countries=["BE", "FR"],
                departure_country="CH",
                currency="CHF",
                carnet_number=f"CH{secrets.token_hex(5)}".upper(),
            )

    def paper(self, customs: bool) -> dict:
        """A well-formed paper transaction (F-72): a validation in the departure country is
        accepted once per carnet; most others are refused by the transition rules."""
        body = {
            "kind": self.rng.choice(PAPER_KINDS),
            "country": self.rng.choice(COUNTRIES),
            "office": "Basel Weil",
            "made_on": now_utc().date().isoformat(),
            "counterfoil_no": f"P-{self.rng.randrange(10**6)}",
        }
        if self.rng.random() < 0.3:
            body.update(kind="validation", country="CH")
        if customs:
            body.update(self.ref(self.rng.choice(self.vouchers)), office_id=self.office())
        return body

    def office(self) -> int:
        return self.world.officer("ch").office.id

    def ref(self, voucher) -> dict:
        carnet = next(c for c in self.carnets if c.id == voucher.carnet_id)
        return {"carnet": str(carnet.eata_id), "code": code_of(voucher)}

    def headers(self, case) -> dict:
        customs = case.path.startswith("/customs")
        token = self.customs["ch"] if customs else self.nics_token
        return {"Authorization": f"Bearer {token}", "Host": "api.eata.test"}

    def point(self, case) -> None:
        """Replace half of the generated ids and voucher references by real ones; forget the
        wrong guesses so far (the fuzzer would lock its own client out, R-10)."""
        self.world.session.execute(delete(GuessThrottle))
        self.world.session.commit()
        coin = self.rng.random
        params = case.path_parameters or {}
        real = {
            "eata_id": [c.eata_id for c in self.carnets],
            "carnet_number": [c.carnet_number for c in self.carnets],
            "hold_id": self.holds,
            "transaction_id": [t.id for t in self.transactions],
            "claim_id": self.claims,
            "predeclaration_id": self.predeclarations,
        }
        for name, values in real.items():
            if name in params and values and coin() < 0.5:
                params[name] = self.rng.choice(values)
        if case.method == "POST" and case.path == "/carnets" and coin() < 0.5:
            case.body = carnet_body(
                countries=["BE", "FR", "NO"],
                departure_country="CH",
                currency="CHF",
                carnet_number=f"CH{secrets.token_hex(5)}".upper(),
            )
        if case.path == "/itinerary-advice" and coin() < 0.5:
            case.body = {
                "departure_country": "CH",
                "visits": [{"country": self.rng.choice(COUNTRIES[1:]), "role": "destination"}],
            }
        if case.path.endswith("/paper-transactions") and coin() < 0.5:
            case.body = self.paper(case.path.startswith("/customs"))
        # a valid commit body most of the time: the generated ones (any fields of any kind)
        # are refused, and the stateful phase needs one success among its few examples
        if case.path == "/customs/predeclarations/{predeclaration_id}/commit" and coin() < 0.8:
            case.body = {"fields": {"goods_examined": False}}
        if case.method == "POST" and case.path in VALID_CUSTOMS and coin() < 0.5:
            case.body = {
                **self.ref(self.rng.choice(self.vouchers)),
                "office_id": self.office(),
                **VALID_CUSTOMS[case.path],
            }
        if case.path in FRESH and coin() < 0.3:
            self.fresh(case, params)
        if case.path == "/customs/transactions/{transaction_id}/cancel" and coin() < 0.7:
            txn = self.world.session.get(Transaction, params.get("transaction_id", 0))
            if txn is not None and isinstance(case.body, dict):
                case.body["cancellation_code"] = cancellation_code_of(txn)
        if case.path == "/claims/{claim_id}/answer" and isinstance(case.body, dict):
            claim = self.world.session.get(Claim, params.get("claim_id", 0))
            if claim is not None and coin() < 0.5:
                case.body["transaction_ids"] = list(
                    self.world.session.scalars(
                        select(Transaction.id).where(Transaction.carnet_id == claim.carnet_id)
                    )
                )[:2]
        case.path_parameters = params or case.path_parameters
        if isinstance(case.body, dict) and case.path.startswith("/customs"):
            if "office_id" in case.body and coin() < 0.5:
                case.body["office_id"] = self.office()
            if coin() < 0.5 and case.path.startswith("/customs/vouchers"):
                case.body.pop("qr", None)
                case.body.update(self.ref(self.rng.choice(self.vouchers)))


@pytest.fixture
def fixture(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "NICS_RATE_LIMIT", "100000/minute")
    return Fixture(app, world)


@pytest.fixture
def served_schema(app, client_for):
    doc = client_for("api").get("/v1/openapi.json").get_json()
    return schemathesis.from_dict(doc, app=app, base_url="http://api.eata.test/v1")


def _operations():
    from portal.api.openapi import document

    return [
        (m.upper(), p)
        for p, item in document()["paths"].items()
        for m in item
        if (m.upper(), p) not in SKIPPED
    ]


@pytest.mark.parametrize("method,path", _operations())
def test_f24_openapi_fuzz_no_5xx_and_answers_match_the_schema(fixture, served_schema, method, path):
    operation = served_schema[path][method]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case):
        fixture.point(case)
        _call(fixture, case)

    check()


def _chains():
    """(source method, path) → [(target method, path, {param: response pointer})] from the
    served document's links."""
    from portal.api.openapi import document

    doc = document()
    by_id = {
        op["operationId"]: (m.upper(), p)
        for p, item in doc["paths"].items()
        for m, op in item.items()
    }
    chains = {}
    for p, item in doc["paths"].items():
        for m, op in item.items():
            for response in op["responses"].values():
                for link in response.get("links", {}).values():
                    params = {
                        k: v.removeprefix("$response.body#") for k, v in link["parameters"].items()
                    }
                    chains.setdefault((m.upper(), p), []).append(
                        (*by_id[link["operationId"]], params)
                    )
    return chains


def _pointer(body, pointer: str):
    for part in pointer.strip("/").split("/"):
        body = body[part]
    return body


@pytest.mark.parametrize(
    "method,path", sorted(k for k in _chains() if k != ("POST", "/carnets/{eata_id}/replacement"))
)
def test_f24_openapi_fuzz_stateful_follows_the_links(fixture, served_schema, method, path):
    """The stateful phase: a generated call, then — when it succeeded — a generated call of
    every operation its answer links to, with the id from the answer. The cases are drawn
    before any call, so what the server answers never changes what is generated."""
    links = _chains()[(method, path)]
    source = served_schema[path][method]
    targets = [served_schema[p][m] for m, p, _ in links]
    answered: dict[str, set[int]] = {}

    def call(case):
        r = _call(fixture, case)
        answered.setdefault(f"{case.method} {case.path}", set()).add(r.status_code)
        return r

    @settings(
        max_examples=STATEFUL,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(cases=st.tuples(source.as_strategy(), *(t.as_strategy() for t in targets)))
    def chain(cases):
        first, *following = cases
        fixture.point(first)
        r = call(first)
        if r.status_code >= 300:
            return
        for (_, _, params), case in zip(links, following, strict=True):
            fixture.point(case)
            case.path_parameters = {
                **(case.path_parameters or {}),
                **{name: _pointer(r.json, pointer) for name, pointer in params.items()},
            }
            call(case)

    chain()
    # the source succeeded with real data, and the linked operations answered
    assert any(status < 300 for status in answered[f"{method} {path}"]), answered
    assert len(answered) > 1, answered


def test_f24_documented_example_is_accepted_and_its_answers_conform(
    app, ngas, served_schema, client_for
):
    _, client_id, secret = ngas["be"]
    token = get_token(app, client_id, secret).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Host": "api.eata.test"}
    doc = client_for("api").get("/v1/openapi.json").get_json()
    example = doc["paths"]["/carnets"]["post"]["requestBody"]["content"]["application/json"][
        "example"
    ]
    issue = served_schema["/carnets"]["POST"].make_case(body=example, media_type="application/json")
    response = issue.call_and_validate(headers=headers, checks=CHECKS)
    assert response.status_code == 201
    eata_id = response.json["eata_id"]
    for path in (
        "/carnets/{eata_id}",
        "/carnets/{eata_id}/transactions",
        "/carnets/{eata_id}/reconciliation",
    ):
        case = served_schema[path]["GET"].make_case(path_parameters={"eata_id": eata_id})
        assert case.call_and_validate(headers=headers, checks=CHECKS).status_code == 200
    for path, body in (
        ("/carnets/{eata_id}/sets", {"kind": "transit", "count": 1}),
        ("/carnets/{eata_id}/block", {"reason": "stolen"}),
        ("/carnets/{eata_id}/cancel", {"reason": "x"}),
    ):  # 409: blocked
        case = served_schema[path]["POST"].make_case(
            path_parameters={"eata_id": eata_id}, body=body, media_type="application/json"
        )
        assert case.call_and_validate(headers=headers, checks=CHECKS).status_code in (200, 409)
