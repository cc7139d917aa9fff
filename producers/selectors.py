from django.db.models import QuerySet

from marketplace.errors import NotFound
from producers.models import Category, Region


def region_children(*, parent_id: int | None) -> QuerySet[Region]:
    if parent_id is not None and not Region.objects.filter(pk=parent_id).exists():
        raise NotFound("No such region.", code="region_not_found")
    return Region.objects.filter(parent_id=parent_id).order_by("code")


def region_get(*, region_id: int) -> Region:
    region = Region.objects.filter(pk=region_id).first()
    if region is None:
        raise NotFound("No such region.", code="region_not_found")
    return region


def category_list() -> QuerySet[Category]:
    return Category.objects.order_by("position", "id")
