"""Standard Webhooks signatures, checked against the specification's published test vector."""

import pytest

from service.webhooks.policy import Policy
from service.webhooks.signing import new_secret, secret_bytes, sign


def test_a_signature_matches_the_published_test_vector() -> None:
    # https://github.com/standard-webhooks/standard-webhooks: the vector every reference library checks
    signature = sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                     b'{"test": 2432232314}')  # fmt: skip
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_new_secret_is_32_random_bytes_in_the_spec_format() -> None:
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_")
    assert len(secret_bytes(first)) == 32
    assert first != second


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "starts with whsec_"),
        ("whsec_not base64!", "base64"),
        ("whsec_c2hvcnQ=", "24 to 64 bytes"),
        ("whsec_" + "A" * 88, "24 to 64 bytes"),
    ],
)
def test_a_secret_not_in_the_spec_format_is_refused(secret: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        secret_bytes(secret)


def test_the_backoff_doubles_up_to_its_ceiling_however_long_the_streak() -> None:
    policy = Policy(retry_base_seconds=2, retry_max_seconds=3600)
    assert 1.5 <= policy.backoff(1) <= 2.5
    assert 6 <= policy.backoff(3) <= 10
    assert 2700 <= policy.backoff(5000) <= 4500
