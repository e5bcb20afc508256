"""This instance's Ed25519 signing key, made by ``hub init`` and kept in the instance folder."""

from __future__ import annotations

import base64
import functools
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.signing import VerifyKey

KEY_FILE = "signing_key.pem"
_BASE64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


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
    return "ed25519:" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


@functools.lru_cache(maxsize=65536)
def raw_public_key(text: str) -> bytes:
    """The 32 raw bytes of a published public key; raises ValueError if it is not one."""
    scheme, _, data = text.partition(":")
    if scheme != "ed25519" or not data or not set(data) <= _BASE64URL:
        raise ValueError("public keys are written ed25519:BASE64URL")
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return raw


def decode_public_key(text: str) -> VerifyKey:
    """Parse a published public key for verifying; raises ValueError if it is not one."""
    return VerifyKey(raw_public_key(text))
