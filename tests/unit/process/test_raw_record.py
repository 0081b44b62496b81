"""Raw-stream records: headers read and checked, statements by learner with stable ids, and a
refusal that says why and which formats were tried."""

import hashlib
import uuid

import orjson
import pytest

from learning_record.domain.process import load_mapping
from learning_record.domain.process.raw_record import (
    RawOptions,
    RawRecordRefused,
    normalised,
    raw_options,
)
from learning_record.domain.tenants import TENANT_RULE
from tests.unit.process.support import DATA, SECRET, load, pseudonym

ACME = RawOptions(tenant="acme")
ADA = pseudonym(f"mbox_sha1sum:{hashlib.sha1(b'mailto:ada.lovelace@example.org').hexdigest()}")


def learner_key(account: dict[str, str], tenant: str = "acme") -> bytes:
    return f"{tenant}|account:{account['homePage']}|{account['name']}".encode()


def test_options_default_to_the_default_tenant_detection_and_pseudonyms() -> None:
    assert raw_options({}, "default") == RawOptions(tenant="default")


def test_options_come_from_the_lr_headers() -> None:
    headers = {
        "lr-tenant": b"acme",
        "lr-input-format": b"custom",
        "lr-privacy": b"anonymise",
        "lr-mapping": b"lms-export",
        "other": b"ignored",
    }
    assert raw_options(headers, "default").model_dump() == {
        "tenant": "acme",
        "input_format": "custom",
        "privacy": "anonymise",
        "mapping": "lms-export",
    }


@pytest.mark.parametrize(
    ("header", "value", "reason"),
    [
        (
            "lr-tenant",
            b"Acme Corp",
            f"tenant 'Acme Corp' is not {TENANT_RULE}",
        ),
        ("lr-input-format", b"csv", "Input should be 'xapi', 'caliper', 'scorm' or 'custom'"),
        ("lr-privacy", b"hide", "Input should be 'pseudonymise' or 'anonymise'"),
        ("lr-mapping", b"../secrets", "String should match pattern '^[a-z0-9][a-z0-9_-]{0,62}$'"),
    ],
)
def test_a_wrong_header_refuses_the_record_naming_it(
    header: str, value: bytes, reason: str
) -> None:
    with pytest.raises(RawRecordRefused) as refused:
        raw_options({header: value}, "default")
    assert refused.value.reason == f"header {header}: {reason}"
    assert refused.value.input_formats == ()


def test_every_event_of_a_caliper_envelope_goes_to_its_learners_record() -> None:
    records = normalised(
        orjson.dumps(load("caliper-1.2-envelope.json")),
        ACME,
        mapping=None,
        tenant_secret=SECRET,
        position=(0, 7),
    )
    statements = {record.key: orjson.loads(record.value) for record in records}
    assert [len(group) for group in statements.values()] == [19, 1]
    for key, group in statements.items():
        assert {learner_key(s["actor"]["account"]) for s in group} == {key}
    # Caliper events carry their own ids: kept.
    assert next(iter(statements.values()))[0]["id"] == "fcd495d0-3740-4298-9bec-1154571dc211"


def test_statements_without_an_id_get_one_from_the_records_position() -> None:
    report = orjson.dumps(load("scorm-2004/passed.json"))
    (record,) = normalised(report, ACME, mapping=None, tenant_secret=SECRET, position=(2, 41))
    namespace = uuid.UUID("9b7a4c1e-3d52-4f0b-8a6e-2c4d5f7e9a10")
    assert [s["id"] for s in orjson.loads(record.value)] == [
        str(uuid.uuid5(namespace, "acme/2/41/0")),
        str(uuid.uuid5(namespace, "acme/2/41/1")),
    ]
    again = normalised(report, ACME, mapping=None, tenant_secret=SECRET, position=(2, 41))
    assert again == [record]


def test_a_csv_record_is_read_through_its_mapping() -> None:
    mapping = load_mapping((DATA / "custom" / "lms-export.yaml").read_text())
    export = (DATA / "custom" / "lms-export.csv").read_bytes()
    records = normalised(export, ACME, mapping=mapping, tenant_secret=SECRET, position=(0, 0))
    assert records[0].key == learner_key(ADA)
    assert [s["actor"] for s in orjson.loads(records[0].value)][:2] == [
        {"objectType": "Agent", "account": ADA},
        {"objectType": "Agent", "account": ADA},
    ]


def test_an_undetectable_record_says_why_for_every_format_tried() -> None:
    with pytest.raises(RawRecordRefused) as refused:
        normalised(
            b'{"actor": "someone"}', ACME, mapping=None, tenant_secret=SECRET, position=(0, 0)
        )
    assert refused.value.input_formats == ("xapi", "caliper", "scorm", "custom")
    assert refused.value.reason == (
        "no input format accepted the input (xapi: the object has no verb, object (an xAPI "
        "statement has actor, verb, object); caliper: no '@context' naming the Caliper 1.1 or "
        "1.2 context; scorm: no 'cmi.' data model element; custom: no mapping was given (custom "
        "records are read through one))"
    )


def test_a_record_in_the_format_asked_but_not_convertible_names_that_format() -> None:
    report = load("scorm-2004/passed.json")
    del report["activity_id"]
    options = RawOptions(tenant="acme", input_format="scorm")
    with pytest.raises(RawRecordRefused) as refused:
        normalised(
            orjson.dumps(report), options, mapping=None, tenant_secret=SECRET, position=(0, 0)
        )
    assert refused.value.input_formats == ("scorm",)
    assert refused.value.reason.startswith("scorm: ")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"", "empty record"),
        (
            b"{not json",
            "invalid JSON: unexpected character, expected a string key: line 1 column 2 (char 1)",
        ),
    ],
)
def test_a_record_that_is_not_json_is_refused_before_any_format(value: bytes, reason: str) -> None:
    with pytest.raises(RawRecordRefused) as refused:
        normalised(value, ACME, mapping=None, tenant_secret=SECRET, position=(0, 0))
    assert (refused.value.reason, refused.value.input_formats) == (reason, ())


def test_without_a_privacy_header_a_record_takes_its_tenants_mode() -> None:
    modes = {"globex": "anonymise"}
    assert raw_options({"lr-tenant": b"globex"}, "default", modes).privacy == "anonymise"
    assert raw_options({"lr-tenant": b"acme"}, "default", modes).privacy == "pseudonymise"
    asked = {"lr-tenant": b"globex", "lr-privacy": b"pseudonymise"}
    assert raw_options(asked, "default", modes).privacy == "pseudonymise"
