"""Where a region or a category sits in its tree (its `lineage`, "/41/4116/411627/"), for the
catalog's filters, which take the branch as a prefix of that path.

Regions and categories are reference data that change a few times a year, and nearly every
catalog page names one; so a lineage found is kept in this process for LINEAGE_SECONDS, and a
filtered page looks nothing up. A save or delete in this process forgets them at once; another
process sees the change within the minute. An id or slug not found is looked up every time (a
region added a moment ago is found at once), never kept.
"""

import time

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from producers.models import Category, Region

LINEAGE_SECONDS = 60
_MOST = 10_000  # entries before the table is emptied (ids are few; a flood of them is not)
_found: dict[tuple[str, object], tuple[float, str]] = {}


def _lineage(kind: str, key: object, query) -> str | None:
    now = time.monotonic()
    hit = _found.get((kind, key))
    if hit is not None and hit[0] > now:
        return hit[1]
    lineage = query.values_list("lineage", flat=True).first()
    if lineage is not None:
        if len(_found) >= _MOST:
            _found.clear()
        _found[(kind, key)] = (now + LINEAGE_SECONDS, lineage)
    return lineage


def lineage_of_region(region_id: int) -> str | None:
    """The region's lineage, or None if there is no such region."""
    return _lineage("region", region_id, Region.objects.filter(pk=region_id))


def lineage_of_category(slug: str) -> str | None:
    """The category's lineage, or None if there is no such category."""
    return _lineage("category", slug, Category.objects.filter(slug=slug))


@receiver([post_save, post_delete], sender=Region)
@receiver([post_save, post_delete], sender=Category)
def forget(**kwargs) -> None:
    _found.clear()
