"""Learners' data keys: what seals a learner's part of the statement log (docs/privacy.md).

Each learner of a tenant is known here by a keyed pseudonym of their IFI, never by the IFI: the
same pseudonym is their learner id everywhere else (indicators, the statement view's indexes).
A learner has one or more data keys (random, 256 bits), each with an id of its own: two processes
meeting a new learner at once each make one, and both stay valid. A data key travels and rests
only wrapped (AES-GCM) by its tenant's key-encryption key, derived from a master key of the
settings; the master key's id is kept beside it, so that a new master key can be put first
while the older ones still unwrap (rotation). Erasing a learner is deleting their data keys.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache, partial

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel, ConfigDict

from learning_record.domain.errors import DomainError

KEY_BYTES = 32
NONCE_BYTES = 12
_KEY_ID_BYTES = 8


class KeyUnreadable(DomainError):
    """A data key record that cannot be unwrapped: an unknown master key, or altered bytes."""


@dataclass(frozen=True, slots=True)
class KeyRef:
    """Which data key sealed something: the learner's pseudonym and the key's id."""

    pseudonym: str
    key_id: str


@dataclass(frozen=True, slots=True)
class DataKey:
    ref: KeyRef
    secret: bytes = b""

    @classmethod
    def new(cls, pseudonym: str) -> DataKey:
        key_id = os.urandom(_KEY_ID_BYTES).hex()
        return cls(KeyRef(pseudonym, key_id), os.urandom(KEY_BYTES))


def tenant_secret(pseudonym_key: str, tenant: str) -> bytes:
    """A tenant's own key, derived from the deployment's secret: pseudonyms of one tenant never
    match another's, and the API and the raw stream give a learner the same one."""
    return hmac.new(pseudonym_key.encode(), tenant.encode(), hashlib.sha256).digest()


# One tenant's IFI to its pseudonym (``pseudonymiser``).
Pseudonymise = Callable[[str], str]


def learner_pseudonym(secret: bytes, ifi: str) -> str:
    """A learner's pseudonym: HMAC-SHA256 of their IFI under the tenant's secret, 128 bits in
    hex. The name of their keys, their learner id, the name of their statement indexes. Stable
    for as long as the secret is, and meaningless without it: a guessed e-mail address cannot
    be tested against it."""
    return hmac.new(secret, b"data-key\0" + ifi.encode(), hashlib.sha256).hexdigest()[:32]


@lru_cache(maxsize=256)
def pseudonymiser(pseudonym_key: str, tenant: str) -> Pseudonymise:
    """``learner_pseudonym`` for one tenant under the deployment's pseudonym key, remembering
    the learners it met (the hot path asks once per statement)."""
    return lru_cache(maxsize=65_536)(
        partial(learner_pseudonym, tenant_secret(pseudonym_key, tenant))
    )


@lru_cache(maxsize=1024)
def tenant_key(master_secret: str, tenant: str) -> bytes:
    """A tenant's key-encryption key, derived from a master secret (HKDF-SHA256): one tenant's
    wrapped keys never unwrap under another's."""
    return HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=None,
        info=b"learning-record data keys\0" + tenant.encode(),
    ).derive(master_secret.encode())


def record_key(tenant: str, ref: KeyRef) -> bytes:
    """The key of a data key's record on the learner-keys topic."""
    return f"{tenant}|{ref.pseudonym}|{ref.key_id}".encode()


def parse_record_key(key: bytes) -> tuple[str, KeyRef]:
    """``record_key``'s tenant and reference; ``ValueError`` for any other shape."""
    tenant, pseudonym, key_id = key.decode().split("|")
    if not (tenant and pseudonym and key_id):
        raise ValueError("a data key record key is <tenant>|<pseudonym>|<key id>")
    return tenant, KeyRef(pseudonym, key_id)


class WrappedKey(BaseModel):
    """A data key's record: the id of the master key that wrapped it, and the wrapped bytes
    (nonce and AES-GCM ciphertext, base64)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    master: str
    wrapped: str


@dataclass(frozen=True, slots=True)
class MasterKeys:
    """The master keys by id, the first one wrapping new keys (``PrivacySettings``)."""

    newest: str
    secrets: Mapping[str, str]

    def wrap(self, tenant: str, key: DataKey) -> WrappedKey:
        nonce = os.urandom(NONCE_BYTES)
        kek = AESGCM(tenant_key(self.secrets[self.newest], tenant))
        sealed = kek.encrypt(nonce, key.secret, record_key(tenant, key.ref))
        return WrappedKey(master=self.newest, wrapped=base64.b64encode(nonce + sealed).decode())

    def unwrap(self, tenant: str, ref: KeyRef, record: WrappedKey) -> DataKey:
        secret = self.secrets.get(record.master)
        if secret is None:
            raise KeyUnreadable(f"wrapped by master key {record.master!r}, not in the settings")
        try:
            raw = base64.b64decode(record.wrapped, validate=True)
            kek = AESGCM(tenant_key(secret, tenant))
            clear = kek.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], record_key(tenant, ref))
        except (InvalidTag, ValueError) as error:
            raise KeyUnreadable(f"does not unwrap: {type(error).__name__}") from None
        if len(clear) != KEY_BYTES:
            raise KeyUnreadable(f"unwraps to {len(clear)} bytes, not {KEY_BYTES}")
        return DataKey(ref, clear)
