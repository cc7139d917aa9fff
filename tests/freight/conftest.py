"""A farm with an API client, and template bodies as the farm's app PUTs them."""

import pytest

from freight.schemas import FreightTemplateIn
from producers import services
from tests.factories import client_for, make_producer


@pytest.fixture
def farm(regions):
    return make_producer(username="farmer_zhao", name="赵家果园")


@pytest.fixture
def farm_api(farm):
    return client_for(farm.user)


@pytest.fixture
def other_farm(regions):
    return make_producer(username="farmer_qian", name="钱家茶园", region=regions["xihu"])


@pytest.fixture
def other_api(other_farm):
    return client_for(other_farm.user)


def template_put(farm, name: str, body: dict):
    """The farm's template saved through the service, from a body as the API takes it."""
    return services.freight_template_put(producer=farm, name=name,
                                         **FreightTemplateIn.model_validate(body).dict())


def charge(units: int, fee: str) -> dict:
    return {"units": units, "fee": fee}


@pytest.fixture
def template_body(regions):
    """template_body(**changes): by weight, 浙江 8.00 + 2.00/kg, 太康县 5.00 + 1.00/kg, elsewhere
    12.00 + 5.00/kg; free in 浙江 from 99.00."""

    def body(**changes) -> dict:
        return {
            "basis": "weight",
            "rules": [
                {"regions": [regions["zhejiang"].pk], "first": charge(1, "8.00"),
                 "next": charge(1, "2.00")},
                {"regions": [regions["taikang"].pk], "first": charge(1, "5.00"),
                 "next": charge(1, "1.00")},
            ],
            "default_rule": {"first": charge(1, "12.00"), "next": charge(1, "5.00")},
            "free_over": [{"regions": [regions["zhejiang"].pk], "min_amount": "99.00"}],
            "no_ship": [],
            **changes,
        }

    return body
