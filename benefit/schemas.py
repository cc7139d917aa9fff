from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import PlainSerializer

from marketplace.money import money
from marketplace.schemas import CURRENCY, Id, example
from producers.schemas import RegionOut
from promotion.schemas import VideoPublicOut

Money = Annotated[Decimal, PlainSerializer(lambda v: str(money(v)), return_type=str)]


class CharityOut(Schema):
    id: int
    name: str
    registration_code: str = Field(
        ..., description="The 18-character unified social credit code (统一社会信用代码).")


class ProjectCardOut(Schema):
    id: int
    title: str
    charity: CharityOut
    region: RegionOut
    story: str
    goal_amount: Money
    starts_on: date
    ends_on: date | None
    status: Literal["active", "closed"]
    pledged: Money = Field(..., description="Pledged by paid orders still in their return "
                                            "window (not yet confirmed).")
    confirmed: Money = Field(..., description="Pledges confirmed (return window passed), "
                                              "refunds after confirmation taken off.")
    disbursed: Money = Field(..., description="Passed on to the charity.")
    balance: Money = Field(..., description="Confirmed and not yet disbursed.")
    currency: str = CURRENCY
    updated_at: datetime


class ProjectOut(ProjectCardOut):
    videos: list[VideoPublicOut] = Field(
        ..., description="Videos of the work on site, posted by the charity's people.")


class PublicEntryOut(Schema):
    seq: int
    created_at: str = Field(..., description="ISO 8601, UTC, microseconds: hashed as served. "
                                             "The hour of the posting, not its moment (entries "
                                             "from before 2026-12 carry the moment).")
    kind: Literal["pledge", "void", "confirm", "disbursement"] = Field(
        ..., description="pledge (+), void (-), confirm (+; a refund after confirmation is a "
                         "negative confirm), disbursement (-).")
    amount: str = Field(..., description="Signed yuan with two places.")
    listing_id: int | None
    order_ref: str | None = Field(..., description="HMAC-SHA256 of the order number (hex); "
                                                   "never the buyer.")
    currency: str
    prev_hash: str
    entry_hash: str = Field(..., description='sha256(prev_hash + "\\n" + json.dumps(entry '
                                             'minus both hashes, sort_keys=True, '
                                             'separators=(",", ":"), ensure_ascii=False))')


class ChainHeadOut(Schema):
    seq: int
    entry_hash: str


class LedgerHeadOut(Schema):
    heads: dict[str, ChainHeadOut] = Field(..., description="Project id -> its chain's last "
                                                            "entry (seq 0: no entry yet).")
    signed_at: str
    signature: str = Field(..., description='Base64 Ed25519 signature of json.dumps({"heads", '
                                            '"signed_at"}, sort_keys=True, separators=(",", '
                                            '":"), ensure_ascii=False) in UTF-8.')
    public_key: str = Field(..., description="Base64 raw 32-byte Ed25519 public key.")


class ListingPledgeIn(Schema):
    model_config = example({"project_id": 1, "kind": "fixed", "value": "0.10"})
    project_id: Id
    kind: Literal["percent", "fixed"]
    value: Decimal = Field(..., description='percent: "0.1" to "100" of each line\'s goods; '
                                            "fixed: yuan per unit, at most the unit price.")


class PromoterPledgeIn(Schema):
    model_config = example({"project_id": 1, "percent": "10"})
    project_id: Id
    percent: Decimal = Field(..., description='"0.1" to "100" of each of your commissions.')


class PromoterPledgeOut(Schema):
    project_id: int
    project_title: str
    percent: Decimal

    @staticmethod
    def resolve_project_title(obj) -> str:
        return obj.project.title
