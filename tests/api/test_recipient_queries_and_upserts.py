"""Recipients and programmes over GraphQL: scopes, typed payload errors, idempotent upserts, audit."""

from backend.core import audit
from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientInput
from backend.recipients.tables import Recipient

UPSERT = """
mutation Upsert($input: UpsertRecipientInput!) {
  upsertRecipient(input: $input) {
    created
    recipient { id externalId fullName email phone country preferredChannel hrAttributes sourceSystem updatedAt }
    errors { field code message }
  }
}"""

ASHA = {
    "externalId": "EMP-1001",
    "fullName": "Asha Rao",
    "email": "asha.rao@example.com",
    "phone": "098123 45678",
    "country": "ind",
    "preferredChannel": "SMS",
    "hrAttributes": {"department": "Sales", "grade": 5},
    "sourceSystem": "workday",
}

RECIPIENT = "query One($id: ID, $externalId: String) { recipient(id: $id, externalId: $externalId) { id externalId fullName } }"


async def recipient_audit(admin) -> list[dict]:
    return (await audit.search(admin, audit.AuditFilter(entity_type="recipient"))).rows


async def test_upsert_creates_a_normalised_recipient_audited_under_the_key_and_request_id(api, key, admin):
    response = await api.post(UPSERT, {"input": ASHA}, key=key, headers={"X-Request-ID": "sync-2026-11-23.0042"})
    assert response.headers["x-request-id"] == "sync-2026-11-23.0042"
    payload = response.json()["data"]["upsertRecipient"]
    assert payload["errors"] == [] and payload["created"] is True
    stored = payload["recipient"]
    assert (stored["phone"], stored["country"], stored["preferredChannel"]) == ("+919812345678", "IN", "sms")
    assert stored["hrAttributes"] == {"department": "Sales", "grade": 5}
    (entry,) = await recipient_audit(admin)
    assert (entry["action"], entry["entity_id"], entry["actor_kind"], entry["actor_label"], entry["request_id"]) == (
        "recipient.created",
        stored["id"],
        "api_key",
        "api-key:payroll sync",
        "sync-2026-11-23.0042",
    )


async def test_replaying_the_same_upsert_changes_nothing(api, key, admin):
    first = (await api.data(UPSERT, {"input": ASHA}, key=key))["upsertRecipient"]
    again = (await api.data(UPSERT, {"input": ASHA}, key=key))["upsertRecipient"]
    assert again["errors"] == [] and again["created"] is False
    assert again["recipient"] == first["recipient"]  # same id, same updatedAt: no write happened
    assert len(await recipient_audit(admin)) == 1 and await Recipient.count() == 1


async def test_an_update_is_audited_with_before_and_after(api, key, admin):
    await api.data(UPSERT, {"input": ASHA}, key=key)
    moved = (await api.data(UPSERT, {"input": {**ASHA, "email": "asha@example.org"}}, key=key))["upsertRecipient"]
    assert moved["created"] is False and moved["recipient"]["email"] == "asha@example.org"
    newest = (await recipient_audit(admin))[0]
    assert newest["action"] == "recipient.updated"
    assert (newest["before"]["email"], newest["after"]["email"]) == ("asha.rao@example.com", "asha@example.org")


async def test_invalid_input_lists_every_problem_by_input_field_and_writes_nothing(api, key, admin):
    bad = {
        "externalId": " ",
        "fullName": "Nobody",
        "email": "no-at-sign",
        "phone": "12",
        "country": "Narnia",
        "preferredChannel": "pigeon",
        "hrAttributes": {"Bad Key": 1},
    }
    payload = (await api.data(UPSERT, {"input": bad}, key=key))["upsertRecipient"]
    assert payload["recipient"] is None and payload["created"] is False
    found = {(error["field"], error["code"]) for error in payload["errors"]}
    assert found == {
        ("externalId", "REQUIRED"),
        ("email", "INVALID_EMAIL"),
        ("phone", "INVALID_PHONE"),
        ("country", "INVALID_COUNTRY"),
        ("preferredChannel", "INVALID_CHANNEL"),
        ("hrAttributes", "INVALID_KEY"),
    }
    assert all(error["message"] for error in payload["errors"])
    assert await Recipient.count() == 0 and await recipient_audit(admin) == []


async def test_a_channel_without_its_contact_is_refused(api, key):
    payload = (
        await api.data(
            UPSERT,
            {"input": {"externalId": "X-1", "fullName": "No Phone", "email": "a@example.com", "preferredChannel": "whatsapp"}},
            key=key,
        )
    )["upsertRecipient"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("preferredChannel", "MISSING_CONTACT")]


async def test_a_query_without_its_scope_is_forbidden(api, make_key):
    catalogue_only = await make_key("catalog:read", name="catalogue")
    (error,) = await api.errors("{ recipients { totalCount } }", key=catalogue_only)
    assert error["extensions"] == {"code": "FORBIDDEN", "scope": "recipients:read"}
    assert "lacks the scope 'recipients:read'" in error["message"]
    assert error["path"] == ["recipients"]


async def test_a_mutation_without_its_scope_is_refused_in_its_payload_and_changes_nothing(api, make_key, admin):
    reader = await make_key("recipients:read", name="reporting")
    response = await api.post(UPSERT, {"input": ASHA}, key=reader)
    body = response.json()
    assert response.status_code == 200 and "errors" not in body
    payload = body["data"]["upsertRecipient"]
    assert payload["recipient"] is None and payload["created"] is False
    (error,) = payload["errors"]
    assert error["code"] == "FORBIDDEN" and error["field"] is None and "recipients:write" in error["message"]
    assert await Recipient.count() == 0 and await recipient_audit(admin) == []


async def test_recipient_by_id_or_external_id(api, key, admin):
    created = await recipients.upsert_recipient(admin, RecipientInput(external_id="E-7", full_name="Bo", email="bo@example.com"))
    recipient_id = str(created.recipient.id)
    expected = {"id": recipient_id, "externalId": "E-7", "fullName": "Bo"}
    assert (await api.data(RECIPIENT, {"id": recipient_id}, key=key))["recipient"] == expected
    assert (await api.data(RECIPIENT, {"externalId": "E-7"}, key=key))["recipient"] == expected
    assert (await api.data(RECIPIENT, {"externalId": "E-404"}, key=key))["recipient"] is None
    assert (await api.data(RECIPIENT, {"id": "0190f3a0-0000-7000-8000-000000000000"}, key=key))["recipient"] is None


async def test_recipient_needs_exactly_one_well_formed_key(api, key):
    for variables, message in (
        ({}, "exactly one of `id` and `externalId`"),
        ({"id": "0190f3a0-0000-7000-8000-000000000000", "externalId": "E-7"}, "exactly one"),
        ({"id": "42"}, "'42' is not a recipient id"),
    ):
        (error,) = await api.errors(RECIPIENT, variables, key=key)
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and message in error["message"]


async def test_many_recipients_by_id_in_one_request_load_in_one_query(api, key, admin, db, capfd):
    ids = []
    for n in range(3):
        made = await recipients.upsert_recipient(
            admin, RecipientInput(external_id=f"E-{n}", full_name=f"P{n}", email=f"p{n}@example.com")
        )
        ids.append(str(made.recipient.id))
    fields = " ".join(f'r{n}: recipient(id: "{recipient_id}") {{ externalId }}' for n, recipient_id in enumerate(ids))
    capfd.readouterr()
    db.engine.log_queries = True  # Piccolo prints each query it runs
    try:
        data = await api.data(f"{{ {fields} }}", key=key)
    finally:
        db.engine.log_queries = False
    assert [data[f"r{n}"]["externalId"] for n in range(3)] == ["E-0", "E-1", "E-2"]
    queries = capfd.readouterr().out.splitlines()
    recipient_reads = [line for line in queries if line.startswith("SELECT") and 'FROM "recipients"' in line]
    assert len(recipient_reads) == 1, recipient_reads  # the DataLoader batched the three fields


async def test_programmes(api, key, admin):
    made = [
        await recipients.create_programme(admin, name, currency, value)
        for name, currency, value in (("Sales stars", "INR", "0.25"), ("Long service", "EUR", "0.01"))
    ]
    data = await api.data("{ programmes { totalCount edges { node { id name currency pointValue } } } }", key=key)
    assert data["programmes"]["totalCount"] == 2
    assert [edge["node"] for edge in data["programmes"]["edges"]] == [
        {"id": str(made[0].id), "name": "Sales stars", "currency": "INR", "pointValue": "0.25"},
        {"id": str(made[1].id), "name": "Long service", "currency": "EUR", "pointValue": "0.01"},
    ]
    one = await api.data("query P($id: ID!) { programme(id: $id) { name } }", {"id": str(made[1].id)}, key=key)
    assert one["programme"] == {"name": "Long service"}
