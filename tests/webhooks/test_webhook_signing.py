"""Standard Webhooks signatures: the published example, and what a receiver must refuse."""

from __future__ import annotations

import time

import pytest

from backend.webhooks import signing

# The example from the Standard Webhooks specification (and Svix's documentation).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_signature_matches_the_specifications_example():
    assert signing.sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE
    headers = {"Webhook-Id": SPEC_ID, "Webhook-Timestamp": str(SPEC_TIMESTAMP), "Webhook-Signature": SPEC_SIGNATURE}
    signing.verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TIMESTAMP + 10)  # header names in any case


def test_a_receiver_refuses_what_it_should():
    secret = signing.generate_secret()
    now = int(time.time())
    body = b'{"type":"ledger.balance_changed"}'
    good = signing.signed_headers(secret, "msg_1", now, body)
    signing.verify(secret, good, body)

    refusals = [
        (signing.generate_secret(), good, body, "no v1 signature matches"),
        (secret, good, body + b" ", "no v1 signature matches"),  # the body was altered
        (secret, {**good, "webhook-id": "msg_2"}, body, "no v1 signature matches"),
        (
            secret,
            signing.signed_headers(secret, "msg_1", now - 600, body),
            body,
            "more than 300 s from now",
        ),  # a replayed capture
        (secret, {**good, "webhook-timestamp": "yesterday"}, body, "not a Unix time"),
        (secret, {key: value for key, value in good.items() if key != "webhook-signature"}, body, "missing"),
        (secret, {**good, "webhook-signature": good["webhook-signature"].replace("v1,", "v2,")}, body, "no v1 signature"),
    ]
    for used_secret, headers, received, reason in refusals:
        with pytest.raises(signing.InvalidSignature, match=reason):
            signing.verify(used_secret, headers, received)


def test_one_matching_signature_among_several_is_enough():
    secret, body, now = signing.generate_secret(), b"{}", int(time.time())
    headers = signing.signed_headers(secret, "msg_1", now, body)
    other = signing.sign(signing.generate_secret(), "msg_1", now, body)
    signing.verify(secret, {**headers, "webhook-signature": f"{other} {headers['webhook-signature']}"}, body)


def test_secrets_are_random_and_well_formed():
    secrets = {signing.generate_secret() for _ in range(20)}
    assert len(secrets) == 20 and all(secret.startswith("whsec_") for secret in secrets)
    with pytest.raises(ValueError, match="base64"):
        signing.sign("whsec_not base64!", "msg", 1, b"")
