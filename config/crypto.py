"""Encryption at rest of the credentials the service keeps in its database.

Values are Fernet tokens (AES-128-CBC + HMAC-SHA256, from the maintained `cryptography`
library) under the keys of `FIELD_ENCRYPTION_KEYS`: the first key encrypts, every key decrypts
(MultiFernet), so a new key is put first, `manage.py rotate_encryption_key` re-encrypts every
row under it, and only then the old key is dropped.

`EncryptedTextField` is a TextField whose column holds the token and whose Python value is the
plain text. It refuses lookups other than `isnull`: a random IV makes equal plain texts encrypt
differently, so a filter on the value could never match (rows are found by another field, such
as the project's webhook key, and the secret is then compared in constant time).
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models

# A Fernet token is url-safe base64 of a version byte 0x80 and more: it always starts so.
TOKEN_PREFIX = "gAAAAA"  # noqa: S105 (not a secret: the start of every token)


class DecryptionError(Exception):
    """A stored value is not a token under any of the configured keys."""


def check_keys(keys) -> list[bytes]:
    """The keys as bytes; ImproperlyConfigured (naming no key) when one is not a Fernet key."""
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS needs at least one key.")
    out = []
    for i, key in enumerate(keys):
        raw = key.encode() if isinstance(key, str) else bytes(key)
        try:
            Fernet(raw)
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS[{i}] is not a Fernet key (32 url-safe base64 bytes; "
                "make one with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`)."
            ) from None
        out.append(raw)
    return out


@lru_cache(maxsize=4)
def _fernet(keys: tuple[bytes, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(check_keys(settings.FIELD_ENCRYPTION_KEYS)))


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError):
        # Never echo the value: it may be a plain-text secret stored before encryption.
        raise DecryptionError(
            "A stored credential cannot be decrypted with FIELD_ENCRYPTION_KEYS "
            "(was a key dropped before `manage.py rotate_encryption_key` ran?)."
        ) from None


def rotate(token: str) -> str:
    """The same plain text, encrypted under the primary key."""
    try:
        return fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise DecryptionError("A stored credential cannot be decrypted for rotation.") from None


def is_token(value: str) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX)


class EncryptedTextField(models.TextField):
    """Plain text in Python, a Fernet token in the column."""

    description = "Text encrypted at rest (Fernet)"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            raise FieldError(
                f"{self.model.__name__}.{self.name} is encrypted: it cannot be filtered with "
                f"'{lookup_name}' (find the row by another field, then compare)."
            )
        return super().get_lookup(lookup_name)


def encrypted_fields():
    """Every (model, field name) that holds an EncryptedTextField."""
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field.name
