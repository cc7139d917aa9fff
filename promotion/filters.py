"""Filters (django-filter) for the promotion lists; the API declares the same parameters in a
ninja Query schema so they appear in the OpenAPI document."""

import django_filters as filters

from promotion.models import Commission


class CommissionFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Commission.Status.choices)
    link = filters.NumberFilter(field_name="link_id")
    listing = filters.NumberFilter(field_name="listing_id")

    class Meta:
        model = Commission
        fields = ["status", "link", "listing"]
