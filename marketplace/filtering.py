"""One way a selector applies a django-filter `FilterSet` to query parameters."""

from typing import Any

from django.db.models import QuerySet
from django_filters import FilterSet

from marketplace.errors import ValidationFailed


def filtered(filterset_class: type[FilterSet], data: dict[str, Any],
             queryset: QuerySet) -> QuerySet:
    """`queryset` narrowed by `filterset_class` over `data` (parameters that are None are not
    given). An invalid value is 422 `validation_error` with one message per field."""
    filterset = filterset_class(data={k: v for k, v in data.items() if v is not None},
                                queryset=queryset)
    if not filterset.is_valid():
        raise ValidationFailed({field: " ".join(messages)
                                for field, messages in filterset.errors.items()})
    return filterset.qs
