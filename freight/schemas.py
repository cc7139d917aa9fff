from datetime import datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from marketplace.schemas import CURRENCY, Id, example

Basis = Literal["weight", "piece"]
REGIONS = 500


class ChargeIn(Schema):
    units: int = Field(..., strict=True,
                       description="Kilograms (basis `weight`) or pieces (`piece`): 1 or more.")
    fee: Decimal = Field(..., description='Yuan, e.g. "8.00": 0 or more, at most two decimals.')


class RuleIn(Schema):
    regions: list[Id] = Field(
        ..., min_length=1, max_length=REGIONS,
        description="Region ids (a province or anything below): the rule holds there and "
                    "under them, unless a rule names a region further down.")
    first: ChargeIn = Field(..., description="The fee for up to the first `units`.")
    next: ChargeIn = Field(..., description="The fee for each further `units`, or part of them.")


class DefaultRuleIn(Schema):
    first: ChargeIn
    next: ChargeIn


class FreeOverIn(Schema):
    regions: list[Id] = Field(
        default_factory=list, max_length=REGIONS,
        description="Where it holds (and under them); none: everywhere the template sends.")
    min_amount: Decimal | None = Field(
        None, description="Free once the farm's goods in the parcel reach this (yuan).")
    min_units: int | None = Field(
        None, strict=True,
        description="Free once the parcel reaches this many units (kilograms or pieces).")


class FreightTemplateIn(Schema):
    model_config = example(
        {"basis": "weight",
         "rules": [{"regions": [2, 3], "first": {"units": 1, "fee": "8.00"},
                    "next": {"units": 1, "fee": "2.00"}}],
         "default_rule": {"first": {"units": 1, "fee": "12.00"},
                          "next": {"units": 1, "fee": "5.00"}},
         "free_over": [{"regions": [2], "min_amount": "99.00"}],
         "no_ship": [31, 32]}
    )
    basis: Basis = Field(..., description="`weight`: by kilogram; `piece`: by piece.")
    rules: list[RuleIn] = Field(default_factory=list, max_length=100)
    default_rule: DefaultRuleIn | None = Field(
        None, description="Where no rule holds. Without it the rules and no_ship must cover "
                          "every region (422 otherwise).")
    free_over: list[FreeOverIn] = Field(default_factory=list, max_length=100)
    no_ship: list[Id] = Field(
        default_factory=list, max_length=REGIONS,
        description="Regions not served (不发货地区), with everything under them; never the "
                    "whole country.")


class ChargeOut(Schema):
    units: int
    fee: Decimal


class RuleOut(Schema):
    regions: list[int]
    first: ChargeOut
    next: ChargeOut


class DefaultRuleOut(Schema):
    first: ChargeOut
    next: ChargeOut


class FreeOverOut(Schema):
    regions: list[int]
    min_amount: Decimal | None
    min_units: int | None


class NamedRegionOut(Schema):
    id: int
    code: str
    path: str


class FreightTemplateOut(Schema):
    """A farm's freight template as it was PUT, with every region it names spelled out."""

    name: str
    basis: Basis
    rules: list[RuleOut]
    default_rule: DefaultRuleOut | None
    free_over: list[FreeOverOut]
    no_ship: list[int]
    regions: list[NamedRegionOut] = Field(
        ..., description="Every region the template names, with its code and path.")
    currency: str = CURRENCY
    created_at: datetime
    updated_at: datetime
