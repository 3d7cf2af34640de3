"""Secrets that iamlab must be able to read back (secret access keys for SigV4, TOTP
seeds), encrypted at rest with AES-256-GCM under the installation's
IAMLAB_ENCRYPTION_KEY. The associated data binds a ciphertext to its row (the access
key ID), so a ciphertext copied onto another row does not decrypt."""

import base64
import hashlib
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

VERSION = "v1"


@lru_cache(maxsize=4)
def _cipher(key_material):
    # The setting is free text (a generated token by default): hash it to 256 bits.
    return AESGCM(hashlib.sha256(key_material.encode()).digest())


def encrypt(plaintext, associated_data):
    nonce = os.urandom(12)
    sealed = _cipher(settings.IAMLAB_ENCRYPTION_KEY).encrypt(nonce, plaintext.encode(), associated_data.encode())
    return f"{VERSION}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(token, associated_data):
    version, _, payload = token.partition(":")
    if version != VERSION:
        raise ValueError("unknown ciphertext version")
    raw = base64.b64decode(payload)
    plain = _cipher(settings.IAMLAB_ENCRYPTION_KEY).decrypt(raw[:12], raw[12:], associated_data.encode())
    return plain.decode()
