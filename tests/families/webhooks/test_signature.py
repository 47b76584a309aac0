"""Standard Webhooks signatures: the spec's vectors, interoperability, and the diagnosis of failures."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
import standardwebhooks

from diagnose.families.webhooks.signature import Reason, diagnose, secret_problem, sign, verify

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TS = 1614265330
PAYLOAD = b'{"test": 2432232314}'
EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
BROKEN = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="
DECOY = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
OTHER = "whsec_" + base64.b64encode(b"another-secret-of-24-bytes!!").decode()


def _headers(sig: str, ts: int = TS, msg_id: str = MSG_ID) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": sig}


def test_spec_vector_signs_and_verifies() -> None:
    assert sign(SECRET, MSG_ID, TS, PAYLOAD) == EXPECTED
    assert verify(SECRET, _headers(EXPECTED), PAYLOAD, now=TS).ok


def test_spec_negative_vector_fails() -> None:
    assert verify(SECRET, _headers(BROKEN), PAYLOAD, now=TS).reason is Reason.SECRET_MISMATCH


def test_several_signatures_in_one_header() -> None:
    header = f"{DECOY} {EXPECTED} v2,abc"
    assert verify(SECRET, _headers(header), PAYLOAD, now=TS).ok


def test_vector_outside_tolerance_with_real_clock_is_skew() -> None:
    verdict = diagnose(SECRET, _headers(EXPECTED), PAYLOAD, now=TS + 301)
    assert verdict.reason is Reason.TIMESTAMP_SKEW
    assert verdict.skew_s == 301


def test_ours_verify_with_reference_library() -> None:
    now = int(datetime.now(UTC).timestamp())
    sig = sign(SECRET, MSG_ID, now, PAYLOAD)
    wh = standardwebhooks.Webhook(SECRET)
    assert wh.verify(PAYLOAD, _headers(sig, now)) == json.loads(PAYLOAD)


def test_reference_library_verifies_with_ours() -> None:
    moment = datetime.now(UTC).replace(microsecond=0)
    ref = standardwebhooks.Webhook(SECRET).sign(MSG_ID, moment, PAYLOAD.decode())
    ts = int(moment.timestamp())
    assert ref == sign(SECRET, MSG_ID, ts, PAYLOAD)
    assert verify(SECRET, _headers(ref, ts), PAYLOAD, now=ts).ok


@pytest.mark.parametrize(
    ("kwargs", "body", "reason"),
    [
        ({"previous": SECRET}, PAYLOAD, Reason.PREVIOUS_SECRET),
        ({"other": SECRET}, PAYLOAD, Reason.OTHER_SECRET),
    ],
)
def test_wrong_secret_is_named(kwargs: dict[str, str], body: bytes, reason: Reason) -> None:
    assert diagnose(OTHER, _headers(EXPECTED), body, now=TS, **kwargs).reason is reason


def test_reserialised_body_is_body_modified() -> None:
    verdict = diagnose(SECRET, _headers(EXPECTED), b'{"test":2432232314}', now=TS)
    assert verdict.reason is Reason.BODY_MODIFIED
    assert "re-serialised" in verdict.detail


def test_missing_and_malformed_headers() -> None:
    assert diagnose(SECRET, {}, PAYLOAD, now=TS).reason is Reason.MISSING_HEADERS
    bad = _headers("v1" + EXPECTED[3:])  # no comma
    assert diagnose(SECRET, bad, PAYLOAD, now=TS).reason is Reason.MALFORMED_HEADERS


def test_sender_with_prefix_kept_is_secret_format() -> None:
    import hashlib
    import hmac

    mac = hmac.new(SECRET.encode(), f"{MSG_ID}.{TS}.".encode() + PAYLOAD, hashlib.sha256).digest()
    sig = "v1," + base64.b64encode(mac).decode()
    assert diagnose(SECRET, _headers(sig), PAYLOAD, now=TS).reason is Reason.SECRET_FORMAT


def test_secret_problems() -> None:
    assert secret_problem(SECRET) is None
    assert secret_problem(SECRET + "\n") is not None
    assert "twice" in (secret_problem("whsec_" + SECRET) or "")
    assert "bytes" in (secret_problem("whsec_c2hvcnQ=") or "")


def test_timestamp_outside_tolerance_is_rejected_before_the_signature() -> None:
    """The Go library's vector: a timestamp of 2000 with the signature of 2021. Every reference
    library rejects it for the timestamp first; so does diagnose, when the time it was received
    is known, and it says the signature does not match either."""
    y2000 = int(datetime(2000, 1, 1, tzinfo=UTC).timestamp())
    headers = _headers(EXPECTED, ts=y2000)
    wh = standardwebhooks.Webhook(SECRET)
    with pytest.raises(standardwebhooks.WebhookVerificationError, match="too old"):
        wh.verify(PAYLOAD.decode(), headers)  # the reference: its clock is now, far past 2000
    verdict = diagnose(SECRET, headers, PAYLOAD, now=TS)
    assert verdict.reason is Reason.TIMESTAMP_SKEW
    assert "does not match either" in verdict.detail
    # With no reception time (judged at the run's clock) an old capture's age says nothing of
    # the clock: the signature decides.
    unknown = diagnose(SECRET, headers, PAYLOAD, now=TS, clock_known=False)
    assert unknown.reason is Reason.SECRET_MISMATCH
    # A wrong signature inside the tolerance is still the secret.
    assert diagnose(SECRET, _headers(BROKEN), PAYLOAD, now=TS + 60).reason is Reason.SECRET_MISMATCH
