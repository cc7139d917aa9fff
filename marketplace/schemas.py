from typing import Annotated

from ninja import Field, Path, Schema
from pydantic import ConfigDict, StringConstraints

# Shared by every app's schemas.
# PostgreSQL text cannot hold NUL: such input is a 422, not a 500 from the database.
TEXT = r"^[^\x00]*$"
# Text from a client, for fields that give their own other limits: any string without NUL.
Text = Annotated[str, StringConstraints(pattern=TEXT)]
# Database ids are 64-bit: a larger number is a 422, not a database overflow.
MAX_ID = 2**63 - 1
# An id in a body or a query, and an id in a path (`/orders/{order_id}`): 1 to MAX_ID, else 422.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
# Beside every amount, in each object that has one (API.md, Conventions).
CURRENCY = "CNY"


def example(value: dict) -> ConfigDict:
    """`model_config` of a request schema: an example body for the OpenAPI document (the docs
    page and client generators show it; tests/marketplace/test_openapi.py asks one of every
    write)."""
    return ConfigDict(json_schema_extra={"examples": [value]})


class ErrorDetail(Schema):
    code: str
    message: str
    details: object | None = None


class ErrorOut(Schema):
    error: ErrorDetail
