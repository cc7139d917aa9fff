"""The producers list's filters (django-filter), applied by the selectors; the catalog's are
`storefront.filters`. The API exposes the same parameters as a ninja Query schema
(schemas.ProducerQuery) so they are in the OpenAPI document; pydantic checks their types,
these FilterSets their meaning."""

import django_filters as filters
from django.db.models import QuerySet

from producers.models import Producer, Region
from producers.search import search_terms


def text_search(queryset: QuerySet, name: str, value: str) -> QuerySet:
    # `search_text` is lower-cased at write time, so a case-sensitive substring match on the
    # lower-cased term is enough, and it is what the pg_trgm GIN index serves.
    for term in search_terms(value):
        queryset = queryset.filter(search_text__contains=term)
    return queryset


def _region_filter(lineage_field: str) -> filters.ModelChoiceFilter:
    """`region`: a region's id; rows whose `lineage_field` is that region or anywhere under it."""

    def in_region(queryset: QuerySet, name: str, region: Region) -> QuerySet:
        return queryset.filter(**{f"{lineage_field}__startswith": region.lineage})

    return filters.ModelChoiceFilter(
        queryset=Region.objects.all(), method=in_region,
        error_messages={"invalid_choice": "No such region."},
    )


class ProducerFilter(filters.FilterSet):
    region = _region_filter("region__lineage")
    kind = filters.ChoiceFilter(choices=Producer.Kind.choices)
    q = filters.CharFilter(method=text_search)

    class Meta:
        model = Producer
        fields: list[str] = []
