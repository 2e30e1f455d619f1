"""What every template may key a cached fragment on."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from . import versioning


def data_version(request: HttpRequest) -> dict:
    """The data version (apps/core/versioning.py), read only if a fragment asks."""
    return {"data_version": SimpleLazyObject(versioning.data_version)}
