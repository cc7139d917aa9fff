from django.http import HttpRequest
from ninja import Query, Router

from producers import selectors
from producers.schemas import CategoryOut, RegionOut, RegionQuery

router = Router(tags=["producers"])


@router.get("/regions", response=list[RegionOut], tags=["places"])
def region_list(request: HttpRequest, query: Query[RegionQuery]):
    return selectors.region_children(parent_id=query.parent)


@router.get("/regions/{region_id}", response=RegionOut, tags=["places"])
def region_detail(request: HttpRequest, region_id: int):
    return selectors.region_get(region_id=region_id)


@router.get("/categories", response=list[CategoryOut], tags=["places"])
def category_list(request: HttpRequest):
    return selectors.category_list()
