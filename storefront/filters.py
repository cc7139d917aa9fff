"""The catalog's filters (django-filter), applied by the selectors. The API exposes the same
parameters as a ninja Query schema (schemas.ListingQuery) so they are in the OpenAPI
document; pydantic checks their types, this FilterSet their meaning."""

import django_filters as filters
from django.db.models import Q

from certificates.selectors import certified_filter
from producers.filters import text_search
from producers.models import Listing


class ListingFilter(filters.FilterSet):
    """The catalog's filters. `region` and `category` come as lineages (the selector finds
    them from the id and the slug the API takes: storefront.lineages), so applying them looks
    nothing up: the listing's origin region, or its producer's when it has none (kept in
    region_lineage by the services), is that region or under it; the category is that one or
    a sub-category."""

    region = filters.CharFilter(field_name="region_lineage", lookup_expr="startswith")
    category = filters.CharFilter(field_name="category__lineage", lookup_expr="startswith")
    producer = filters.NumberFilter(field_name="producer_id")
    min_price = filters.NumberFilter(field_name="price", lookup_expr="gte")
    max_price = filters.NumberFilter(field_name="price", lookup_expr="lte")
    in_stock = filters.BooleanFilter(method="filter_in_stock")
    promotable = filters.BooleanFilter(method="filter_promotable")
    benefit = filters.BooleanFilter(method="filter_benefit")
    certified = filters.ChoiceFilter(choices=[("green", "green"), ("organic", "organic"),
                                              ("gi", "gi")], method="filter_certified")
    q = filters.CharFilter(method=text_search)

    class Meta:
        model = Listing
        fields: list[str] = []

    def filter_in_stock(self, queryset, name, value: bool):
        return queryset.filter(stock__gt=0) if value else queryset.filter(stock=0)

    def filter_promotable(self, queryset, name, value: bool):
        open_to_promotion = Q(commission_rate__isnull=False)
        return queryset.filter(open_to_promotion if value else ~open_to_promotion)

    def filter_benefit(self, queryset, name, value: bool):
        return queryset.filter(benefit_pledge__isnull=not value)

    def filter_certified(self, queryset, name, value: str):
        return queryset.filter(certified_filter(value))
