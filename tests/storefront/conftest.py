"""The storefront shows the farms' listings and lots: the producers' fixtures (two farms with
API clients, a listing) are its fixtures too."""

from tests.producers.conftest import (  # noqa: F401 (fixtures)
    listing,
    other_api,
    other_producer,
    owner_api,
    producer,
)
