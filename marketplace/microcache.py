"""A few seconds of cache for public answers that many phones ask for at once (the catalog).

An entry is the answer's bytes under a key made of the normalised request, stored together
with the namespace's version. Any write that changes what the namespace shows bumps the
version (after commit), so an entry made before it is never served after it: a producer who
edits a listing sees the change at once, and otherwise an answer is at most
CATALOG_CACHE_SECONDS old (stock moved by orders included). One cache round trip per read
(`get_many` of the version and the entry). CATALOG_CACHE_SECONDS=0 turns it off.
"""

import hashlib
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)


def _version_key(namespace: str) -> str:
    return f"microcache:{namespace}:version"


def normalised_key(namespace: str, path: str, params: dict[str, str]) -> str:
    query = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    digest = hashlib.blake2b(f"{path}?{query}".encode(), digest_size=16).hexdigest()
    return f"microcache:{namespace}:{digest}"


def cached(namespace: str, key: str, build: Callable[[], bytes | None]) -> bytes | None:
    """The bytes for `key`, built by `build` when missing or older than the last bump.
    `build` returning None (an answer not to keep) is passed through uncached."""
    seconds = settings.CATALOG_CACHE_SECONDS
    if seconds <= 0:
        return build()
    version_key = _version_key(namespace)
    try:
        found = cache.get_many([version_key, key])
    except Exception:  # the cache is an optimisation: a broken one must not break the catalog
        logger.warning("micro-cache unreachable", exc_info=True)
        return build()
    version = found.get(version_key, 0)
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return entry[1]
    body = build()
    if body is not None:
        try:
            cache.set(key, (version, body), seconds)
        except Exception:
            logger.warning("micro-cache unreachable", exc_info=True)
    return body


def bump(namespace: str, *, on_commit: bool = True) -> None:
    """Invalidate every entry of `namespace`: now, and (`on_commit`) again once the current
    transaction commits, so that a page built from the old rows in between is not served
    after the commit. A caller whose write has committed already passes on_commit=False."""

    def _bump() -> None:
        key = _version_key(namespace)
        try:
            try:
                cache.incr(key)
            except ValueError:  # no version yet
                cache.set(key, 1, None)
        except Exception:
            logger.warning("micro-cache version not bumped", exc_info=True)

    _bump()
    if on_commit:
        transaction.on_commit(_bump)
