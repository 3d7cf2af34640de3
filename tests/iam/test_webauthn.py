"""iam.webauthn: registration and assertions of passkeys and security keys, checked
against a small software authenticator (ECDSA P-256, "none" attestation) that signs
exactly what a browser's authenticator would."""

import hashlib
import json
import secrets
import struct

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import bytes_to_base64url, encode_cbor

from awsapi.dispatch import dispatch
from awsapi.errors import AccessDenied, EntityAlreadyExists, LimitExceeded
from iam import webauthn
from iam.models import MFADevice, SecurityKey
from tests.conftest import context_for
from trail.models import Event

pytestmark = pytest.mark.django_db

RP_ID = "localhost"
ORIGIN = "http://localhost:8000"


class SoftAuthenticator:
    """One FIDO2 credential: makes attestations and assertions as Chromium sends them
    (the JSON of PublicKeyCredential.toJSON())."""

    def __init__(self, rp_id=RP_ID, origin=ORIGIN):
        self.rp_id, self.origin = rp_id, origin
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(32)
        self.counter = 0

    def _client_data(self, kind, options, origin):
        data = {"type": kind, "challenge": options["challenge"], "origin": origin or self.origin, "crossOrigin": False}
        return json.dumps(data).encode()

    def _cose_key(self):
        numbers = self.private_key.public_key().public_numbers()
        return encode_cbor(
            {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        )

    def create(self, options, *, origin=None, rp_id=None):
        """The registration response for ``options`` (JSON text or dict)."""
        options = json.loads(options) if isinstance(options, str) else options
        rp_hash = hashlib.sha256((rp_id or options["rp"]["id"]).encode()).digest()
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._cose_key()
        auth_data = rp_hash + bytes([0x45]) + struct.pack(">I", self.counter) + attested  # UP, UV, AT
        attestation = encode_cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options, origin)
        return json.dumps(
            {
                "id": bytes_to_base64url(self.credential_id),
                "rawId": bytes_to_base64url(self.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": bytes_to_base64url(client_data),
                    "attestationObject": bytes_to_base64url(attestation),
                    "transports": ["usb"],
                },
                "clientExtensionResults": {},
            }
        )

    def get(self, options, *, origin=None, rp_id=None, counter_step=1):
        """The assertion for ``options``; the counter moves by ``counter_step``."""
        options = json.loads(options) if isinstance(options, str) else options
        self.counter += counter_step
        rp_hash = hashlib.sha256((rp_id or options["rpId"]).encode()).digest()
        auth_data = rp_hash + bytes([0x05]) + struct.pack(">I", self.counter)  # UP, UV
        client_data = self._client_data("webauthn.get", options, origin)
        signature = self.private_key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return json.dumps(
            {
                "id": bytes_to_base64url(self.credential_id),
                "rawId": bytes_to_base64url(self.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": bytes_to_base64url(client_data),
                    "authenticatorData": bytes_to_base64url(auth_data),
                    "signature": bytes_to_base64url(signature),
                },
                "clientExtensionResults": {},
            }
        )


def register_options(store, handle="AIDAEXAMPLE"):
    return webauthn.registration_options(store, rp_id=RP_ID, user_handle=handle, user_name="bob@111122223333")


def register(ctx, authenticator, name="bob-key", user_name=None):
    """Register ``authenticator``'s credential through iam.webauthn; its serial number."""
    store = {}
    response = authenticator.create(register_options(store))
    verified, transports = webauthn.verify_registration(store, response, rp_id=RP_ID, origin=ORIGIN)
    return webauthn.enable(ctx, user_name=user_name, name=name, verified=verified, transports=transports)


def keys_of(serial):
    return webauthn.keys_of(list(MFADevice.objects.filter(serial_number=serial)))


def sign_in_options(store, keys):
    return webauthn.authentication_options(store, rp_id=RP_ID, keys=keys)


def assert_with(authenticator, keys, **kwargs):
    store = {}
    response = authenticator.get(sign_in_options(store, keys), **kwargs)
    return webauthn.verify_assertion(store, response, keys=keys, rp_id=RP_ID, origin=ORIGIN)


# --- registration -------------------------------------------------------------------


def test_registration_options_name_the_site_and_keep_the_challenge_server_side():
    store = {}
    options = json.loads(register_options(store))
    assert options["rp"] == {"id": "localhost", "name": "Amazon Web Services"}
    assert options["challenge"] == store[webauthn.STORE_KEY]["register"]["challenge"]
    assert len(options["challenge"]) >= 43  # 32 random bytes
    assert {"type": "public-key", "alg": -7} in options["pubKeyCredParams"]


def test_a_valid_registration_is_verified():
    store, authenticator = {}, SoftAuthenticator()
    response = authenticator.create(register_options(store))
    verified, transports = webauthn.verify_registration(store, response, rp_id=RP_ID, origin=ORIGIN)
    assert verified.credential_id == authenticator.credential_id
    assert transports == ["usb"]


def test_registration_for_another_challenge_is_refused():
    store, authenticator = {}, SoftAuthenticator()
    options = json.loads(register_options(store))
    options["challenge"] = bytes_to_base64url(secrets.token_bytes(32))
    assert webauthn.verify_registration(store, authenticator.create(options), rp_id=RP_ID, origin=ORIGIN) is None


def test_registration_from_another_origin_is_refused():
    store, authenticator = {}, SoftAuthenticator()
    response = authenticator.create(register_options(store), origin="https://evil.example")
    assert webauthn.verify_registration(store, response, rp_id=RP_ID, origin=ORIGIN) is None


def test_registration_for_another_rp_id_is_refused():
    store, authenticator = {}, SoftAuthenticator()
    response = authenticator.create(register_options(store), rp_id="evil.example")
    assert webauthn.verify_registration(store, response, rp_id=RP_ID, origin=ORIGIN) is None


def test_a_registration_challenge_is_used_once():
    store, authenticator = {}, SoftAuthenticator()
    response = authenticator.create(register_options(store))
    assert webauthn.verify_registration(store, response, rp_id=RP_ID, origin=ORIGIN) is not None
    assert webauthn.verify_registration(store, response, rp_id=RP_ID, origin=ORIGIN) is None


def test_a_registration_challenge_expires_after_five_minutes(frozen_clock):
    store, authenticator = {}, SoftAuthenticator()
    response = authenticator.create(register_options(store))
    frozen_clock.advance(minutes=5)
    assert webauthn.verify_registration(store, response, rp_id=RP_ID, origin=ORIGIN) is None


@pytest.mark.parametrize("garbage", ["", "{", "[]", '{"id": 1}', json.dumps({"response": {}})])
def test_a_malformed_registration_is_refused(garbage):
    store = {}
    register_options(store)
    assert webauthn.verify_registration(store, garbage, rp_id=RP_ID, origin=ORIGIN) is None


def test_enabling_a_key_makes_a_u2f_device_listed_by_list_mfa_devices(alice, bob):
    serial = register(alice, SoftAuthenticator(), user_name="bob")
    assert serial.startswith("arn:aws:iam::111122223333:u2f/user/bob/bob-key-")
    key = SecurityKey.objects.get(device__serial_number=serial)
    assert key.transports == ["usb"] and key.sign_count == 0
    listed = dispatch(alice, "iam:ListMFADevices", {"UserName": "bob"})["MFADevices"]
    assert [d["SerialNumber"] for d in listed] == [serial]
    event = Event.objects.filter(event_name="EnableMFADevice").get()
    assert event.as_record()["requestParameters"] == {"userName": "bob", "serialNumber": serial}


def test_the_root_users_key_has_a_root_serial(alice):
    serial = register(alice, SoftAuthenticator(), name="root-key")
    assert serial.startswith("arn:aws:iam::111122223333:u2f/root/root-key-")
    assert MFADevice.objects.get(serial_number=serial).user is None


def test_enabling_a_key_needs_enable_mfa_device_permission(bob, alice):
    from iam.principals import user_principal

    with pytest.raises(AccessDenied):
        register(context_for(user_principal(bob)), SoftAuthenticator(), user_name="bob")
    assert not MFADevice.objects.exists()
    assert Event.objects.get(event_name="EnableMFADevice").as_record()["errorCode"] == "AccessDenied"


def test_the_same_credential_cannot_be_assigned_twice(alice, bob):
    authenticator = SoftAuthenticator()
    register(alice, authenticator, user_name="bob")
    with pytest.raises(EntityAlreadyExists):
        register(alice, authenticator, name="again", user_name="bob")
    assert MFADevice.objects.count() == 1


def test_a_ninth_device_is_refused(alice, bob):
    for n in range(8):
        register(alice, SoftAuthenticator(), name=f"key{n}", user_name="bob")
    with pytest.raises(LimitExceeded):
        register(alice, SoftAuthenticator(), name="key8", user_name="bob")


def test_deactivate_and_delete_remove_a_key(alice, bob):
    serial = register(alice, SoftAuthenticator(), user_name="bob")
    dispatch(alice, "iam:DeactivateMFADevice", {"UserName": "bob", "SerialNumber": serial})
    dispatch(alice, "iam:DeleteVirtualMFADevice", {"SerialNumber": serial})
    assert not SecurityKey.objects.exists() and not MFADevice.objects.exists()


# --- assertions ---------------------------------------------------------------------


def test_a_valid_assertion_returns_the_device_and_stores_the_counter(alice, bob):
    authenticator = SoftAuthenticator()
    serial = register(alice, authenticator, user_name="bob")
    device = assert_with(authenticator, keys_of(serial))
    assert device.serial_number == serial
    assert SecurityKey.objects.get().sign_count == 1


def test_sign_in_options_allow_only_the_principals_credentials(alice, bob):
    authenticator = SoftAuthenticator()
    serial = register(alice, authenticator, user_name="bob")
    options = json.loads(sign_in_options({}, keys_of(serial)))
    assert options["rpId"] == RP_ID
    assert [c["id"] for c in options["allowCredentials"]] == [bytes_to_base64url(authenticator.credential_id)]


def test_a_replayed_assertion_is_refused(alice, bob):
    authenticator = SoftAuthenticator()
    keys = keys_of(register(alice, authenticator, user_name="bob"))
    store = {}
    response = authenticator.get(sign_in_options(store, keys))
    assert webauthn.verify_assertion(store, response, keys=keys, rp_id=RP_ID, origin=ORIGIN) is not None
    sign_in_options(store, keys)  # even with a fresh challenge in the session
    keys = keys_of(keys[0].device.serial_number)
    assert webauthn.verify_assertion(store, response, keys=keys, rp_id=RP_ID, origin=ORIGIN) is None


@pytest.mark.parametrize("counter_step", [0, -1])
def test_a_counter_that_does_not_increase_is_refused(alice, bob, counter_step):
    authenticator = SoftAuthenticator()
    serial = register(alice, authenticator, user_name="bob")
    assert assert_with(authenticator, keys_of(serial), counter_step=5) is not None
    assert assert_with(authenticator, keys_of(serial), counter_step=counter_step) is None
    assert SecurityKey.objects.get().sign_count == 5


def test_an_assertion_for_another_challenge_is_refused(alice, bob):
    authenticator = SoftAuthenticator()
    keys = keys_of(register(alice, authenticator, user_name="bob"))
    store = {}
    options = json.loads(sign_in_options(store, keys))
    options["challenge"] = bytes_to_base64url(secrets.token_bytes(32))
    assert webauthn.verify_assertion(store, authenticator.get(options), keys=keys, rp_id=RP_ID, origin=ORIGIN) is None


def test_an_assertion_from_another_origin_is_refused(alice, bob):
    authenticator = SoftAuthenticator()
    keys = keys_of(register(alice, authenticator, user_name="bob"))
    assert assert_with(authenticator, keys, origin="http://localhost:9999") is None


def test_an_assertion_for_another_rp_id_is_refused(alice, bob):
    authenticator = SoftAuthenticator()
    keys = keys_of(register(alice, authenticator, user_name="bob"))
    assert assert_with(authenticator, keys, rp_id="evil.example") is None


def test_an_assertion_signed_by_another_key_is_refused(alice, bob):
    authenticator = SoftAuthenticator()
    keys = keys_of(register(alice, authenticator, user_name="bob"))
    authenticator.private_key = ec.generate_private_key(ec.SECP256R1())
    assert assert_with(authenticator, keys) is None


def test_another_users_credential_is_refused(alice, bob, charlie):
    from tests.conftest import make_user

    alice_key, other = SoftAuthenticator(), SoftAuthenticator()
    bob_keys = keys_of(register(alice, alice_key, user_name="bob"))
    make_user(bob.account, "carol")
    register(alice, other, name="carol-key", user_name="carol")
    # carol's key answers bob's sign-in: it is not one of bob's keys.
    assert assert_with(other, bob_keys) is None


def test_an_assertion_challenge_expires_after_five_minutes(alice, bob, frozen_clock):
    authenticator = SoftAuthenticator()
    keys = keys_of(register(alice, authenticator, user_name="bob"))
    store = {}
    response = authenticator.get(sign_in_options(store, keys))
    frozen_clock.advance(minutes=5, seconds=1)
    assert webauthn.verify_assertion(store, response, keys=keys, rp_id=RP_ID, origin=ORIGIN) is None


@pytest.mark.parametrize("garbage", [None, "", "{", "[]", '{"id": 5}', '{"id": "nope"}'])
def test_a_malformed_assertion_is_refused(alice, bob, garbage):
    keys = keys_of(register(alice, SoftAuthenticator(), user_name="bob"))
    store = {}
    sign_in_options(store, keys)
    assert webauthn.verify_assertion(store, garbage, keys=keys, rp_id=RP_ID, origin=ORIGIN) is None


def test_totp_codes_never_match_a_security_key(alice, bob):
    import pyotp

    serial = register(alice, SoftAuthenticator(), user_name="bob")
    device = MFADevice.objects.get(serial_number=serial)
    from iam import mfa

    # The seed is random and never shown; the code of an all-zero key does not match.
    assert not mfa.verify_code(device, pyotp.TOTP("A" * 32).now())


@pytest.mark.parametrize(
    "scheme,host,expected",
    [
        ("http", "localhost:8000", ("localhost", "http://localhost:8000")),
        ("https", "console.example.com", ("console.example.com", "https://console.example.com")),
        ("http", "[::1]:8000", ("::1", "http://[::1]:8000")),
    ],
)
def test_relying_party_is_the_hostname_and_origin(scheme, host, expected):
    assert webauthn.relying_party(scheme, host) == expected


def test_security_keys_are_not_virtual_mfa_devices(bob, alice):
    serial = register(alice, SoftAuthenticator(), user_name="bob")
    assert [d["SerialNumber"] for d in dispatch(alice, "iam:ListMFADevices", {"UserName": "bob"})["MFADevices"]] == [serial]
    virtual = dispatch(alice, "iam:ListVirtualMFADevices", {"AssignmentStatus": "Any"})["VirtualMFADevices"]
    assert serial not in [d["SerialNumber"] for d in virtual]
