"""This instance's Ed25519 signing key, made by ``hub init`` and kept in the instance folder."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.bindings import crypto_core_ed25519_is_valid_point
from nacl.signing import VerifyKey

from hub.federation.grammar import Refused, b64encode, b64url

KEY_FILE = "signing_key.pem"
KEY_PREFIX = "ed25519:"


def key_path(instance_path: Path) -> Path:
    return instance_path / KEY_FILE


def ensure_keypair(instance_path: Path) -> bool:
    """Create the signing key if there is none (readable by the owner only).

    Returns whether a key was created. An existing key is never replaced: the
    network knows this instance by it.
    """
    path = key_path(instance_path)
    if path.exists():
        return False
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return True


def load_private_key(instance_path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(key_path(instance_path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{key_path(instance_path)} is not an Ed25519 key")
    return key


def encode_public_key(key: Ed25519PublicKey) -> str:
    """The public key as published: ``ed25519:`` and the raw 32 bytes in base64url."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return KEY_PREFIX + b64encode(raw)


def raw_public_key(text: object) -> bytes:
    """The 32 raw bytes of a published public key; :class:`Refused` if it is not one."""
    if not isinstance(text, str) or not text.startswith(KEY_PREFIX):
        raise Refused("a public key is written ed25519: and 43 base64url characters")
    return _checked_key(text)


@functools.lru_cache(maxsize=65536)
def _checked_key(text: str) -> bytes:
    raw = b64url(text[len(KEY_PREFIX) :], 32, "a public key")
    # A key off the curve, or of small order, would let signatures "verify" that
    # nobody made: such a key is never pinned, whatever signed it.
    if not crypto_core_ed25519_is_valid_point(raw):
        raise Refused("the public key is not a valid Ed25519 point of prime order")
    return raw


def decode_public_key(text: object) -> VerifyKey:
    """Parse a published public key for verifying; :class:`Refused` if it is not one."""
    return VerifyKey(raw_public_key(text))
