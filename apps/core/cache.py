"""The cache is an accelerator, never a dependency: when Redis is down, reads miss
and writes are dropped, and the page is computed as if nothing were cached."""

from __future__ import annotations

import logging

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)


class TolerantRedisCache(RedisCache):
    def _fail_open(self, name, default, *args):
        try:
            return getattr(super(), name)(*args)
        except Exception:  # noqa: BLE001 — any failure of the cache server
            logger.warning("cache unavailable (%s)", name, exc_info=True)
            return default

    def get(self, key, default=None, version=None):
        return self._fail_open("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._fail_open("get_many", {}, keys, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._fail_open("set", None, key, value, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._fail_open("add", False, key, value, timeout, version)

    def delete(self, key, version=None):
        return self._fail_open("delete", False, key, version)
