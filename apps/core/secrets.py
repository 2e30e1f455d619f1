"""Secrets stored in the database (a platform's interface token, …), encrypted with
Fernet.

The keys are `settings.HIPWATCH_SECRET_KEYS`: the first encrypts, every one decrypts
(MultiFernet), so a new key is put first, `manage.py rotate_secret_keys` re-encrypts
the stored values with it, and the old key is dropped afterwards. Without the setting
one key is derived from SECRET_KEY, so a development machine needs nothing; changing
SECRET_KEY then makes the stored secrets unreadable.

A model stores a secret with one line: `password = EncryptedTextField(_("password"),
blank=True)`. The attribute holds the clear text, the column only the Fernet token;
an empty value stays empty (it says "not set", which is no secret).
"""

from __future__ import annotations

import base64
import functools
import logging
from collections.abc import Iterator

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.functions import Cast

logger = logging.getLogger(__name__)

# Changing it changes the derived key, and with it every stored secret's readability.
DERIVED_KEY_INFO = b"hipwatch stored secrets v1"


class UndecryptableSecret(Exception):
    """A stored value that no key of HIPWATCH_SECRET_KEYS decrypts."""

    def __init__(
        self, message="A stored secret cannot be decrypted with any key of HIPWATCH_SECRET_KEYS."
    ):
        super().__init__(message)


@functools.lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...], secret_key: str) -> tuple[Fernet, MultiFernet]:
    if not keys:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=DERIVED_KEY_INFO
        ).derive(secret_key.encode())
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode()))
        except ValueError:
            # The key itself is never repeated in a message.
            raise ImproperlyConfigured(
                f"HIPWATCH_SECRET_KEYS: key {position} is not a Fernet key "
                "(32 url-safe base64-encoded bytes, e.g. from Fernet.generate_key())."
            ) from None
    return fernets[0], MultiFernet(fernets)


def _keys() -> tuple[Fernet, MultiFernet]:
    """The key that encrypts, and all the keys that decrypt."""
    configured = tuple(k.strip() for k in settings.HIPWATCH_SECRET_KEYS if k.strip())
    return _fernets(configured, settings.SECRET_KEY)


def encrypt(text: str) -> str:
    """`text` encrypted with the first key, as the text stored in a column."""
    return _keys()[1].encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    """The clear text of a stored `token`; UndecryptableSecret if no key opens it."""
    try:
        return _keys()[1].decrypt(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableSecret from None


def is_current(token: str) -> bool:
    """Whether `token` is already encrypted with the first key."""
    try:
        _keys()[0].decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def rotate(token: str) -> str:
    """`token` re-encrypted with the first key; UndecryptableSecret if no key opens it."""
    try:
        return _keys()[1].rotate(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableSecret from None


class Unreadable(str):
    """What an undecryptable stored value reads as: empty (the secret is "not set"),
    while saving the object writes the stored token back unchanged, so restoring the
    lost key brings the secret back."""

    stored: str

    def __new__(cls, stored: str) -> Unreadable:
        value = super().__new__(cls, "")
        value.stored = stored
        return value


class EncryptedTextField(models.TextField):
    """Text encrypted in the database and clear on the model. Lookups other than
    the empty value cannot match (every encryption differs). Serialisation
    (dumpdata) writes the encrypted text, and a value that is a token of these keys
    is taken as that token's clear text (loaddata reads such a dump back)."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value or isinstance(value, Unreadable):
            return value
        try:
            return decrypt(value)
        except UndecryptableSecret:
            return value

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        try:
            return decrypt(value)
        except UndecryptableSecret:
            logger.warning(
                "%s of a row cannot be decrypted with HIPWATCH_SECRET_KEYS: it reads as empty.",
                self,
            )
            return Unreadable(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if isinstance(value, Unreadable):
            return value.stored
        return encrypt(value) if value else value

    def value_to_string(self, obj) -> str:
        return self.get_prep_value(self.value_from_object(obj))


def encrypted_fields() -> Iterator[tuple[type[models.Model], EncryptedTextField]]:
    """Every encrypted field of every installed model."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field


def stored_tokens(model: type[models.Model], field: EncryptedTextField) -> list[tuple[object, str]]:
    """(pk, token) of every row that stores a value in `field`, as stored: encrypted."""
    rows = (
        model._default_manager.annotate(stored_token=Cast(field.name, models.TextField()))
        .order_by("pk")
        .values_list("pk", "stored_token")
    )
    return [(pk, token) for pk, token in rows if token]


def store_token(model: type[models.Model], field: EncryptedTextField, pk, token: str) -> None:
    """Write an already encrypted `token` into `field` of row `pk`, as it is."""
    model._default_manager.filter(pk=pk).update(
        **{field.name: models.Value(token, output_field=models.TextField())}
    )
