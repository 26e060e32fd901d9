"""Signing keys: private halves in files, public halves in the database.

A key id is the first 16 hex characters of SHA-256 of the raw 32-byte public key. Private
keys are PKCS#8 PEM files named `<key id>.pem` in the key directory, created with mode 0600
and never stored in the database. Every process that signs reads the same directory.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

KEY_FILE_MODE = 0o600
KEY_DIR_MODE = 0o700


def key_id_for(public_key: bytes) -> str:
    """The key id of a raw 32-byte Ed25519 public key."""
    return hashlib.sha256(public_key).hexdigest()[:16]


@dataclass(frozen=True)
class Signer:
    """A private key able to sign, with its id and raw public key."""

    key_id: str
    public_key: bytes
    private_key: Ed25519PrivateKey

    def sign_hex(self, message: bytes) -> str:
        """Lowercase hex Ed25519 signature of `message`."""
        return self.private_key.sign(message).hex()


def _signer(private_key: Ed25519PrivateKey) -> Signer:
    public_key = private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return Signer(key_id=key_id_for(public_key), public_key=public_key, private_key=private_key)


class KeyStore:
    """Private keys in a directory; loaded keys are cached for the life of the process."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[str, Signer] = {}

    def generate(self) -> Signer:
        """Create a new key and write its private half to the key directory."""
        return self.import_key(Ed25519PrivateKey.generate())

    def import_key(self, private_key: Ed25519PrivateKey) -> Signer:
        """Write an existing private key to the key directory (mode 0600) and use it."""
        signer = _signer(private_key)
        path = self.directory / f"{signer.key_id}.pem"
        if path.exists():
            return self.load(signer.key_id)
        self.directory.mkdir(parents=True, exist_ok=True, mode=KEY_DIR_MODE)
        pem = signer.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Create the file with its final mode before any secret byte is written to it.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        self._cache[signer.key_id] = signer
        return signer

    def load(self, key_id: str) -> Signer:
        """The signer for `key_id`; KeyError if its file is missing."""
        cached = self._cache.get(key_id)
        if cached is not None:
            return cached
        path = self.directory / f"{key_id}.pem"
        if not path.exists():
            raise KeyError(f"no private key file for key {key_id} in {self.directory}")
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise KeyError(f"key file for {key_id} is not an Ed25519 key")
        signer = _signer(loaded)
        if signer.key_id != key_id:
            raise KeyError(f"key file for {key_id} holds key {signer.key_id}")
        self._cache[key_id] = signer
        return signer
