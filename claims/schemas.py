from datetime import datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from marketplace.schemas import CURRENCY, MAX_ID, TEXT, example
from orders.schemas import RefundOut

ClaimKind = Literal["damaged", "short_weight", "wrong_item", "not_received", "not_as_described"]
ClaimStatus = Literal["open", "accepted", "proposed", "rejected", "escalated", "decided",
                      "refunded", "withdrawn"]
DamagePct = Literal[10, 30, 50, 80, 100]


class ClaimLineIn(Schema):
    line_id: int = Field(..., strict=True, ge=1, le=MAX_ID)
    quantity: int = Field(..., strict=True, ge=1, le=100_000,
                          description="Units claimed, at most the line's.")
    damage_pct: DamagePct = Field(..., description="How much of those units is lost, in "
                                                   "percent: 10, 30, 50, 80 or 100.")


class ClaimIn(Schema):
    model_config = example({"shipment_id": 12, "kind": "damaged",
                            "lines": [{"line_id": 31, "quantity": 2, "damage_pct": 30}],
                            "note": "箱子压坏了，有三个苹果烂了"})
    shipment_id: int = Field(..., strict=True, ge=1, le=MAX_ID)
    kind: ClaimKind
    lines: list[ClaimLineIn] = Field(..., min_length=1, max_length=100)
    note: str = Field("", max_length=500, pattern=TEXT)


class RejectIn(Schema):
    model_config = example({"note": "发货时已拍视频，包装完好"})
    note: str = Field(..., min_length=1, max_length=500, pattern=TEXT)


class ProposeLineIn(Schema):
    line_id: int = Field(..., strict=True, ge=1, le=MAX_ID)
    damage_pct: DamagePct


class ProposeIn(Schema):
    model_config = example({"lines": [{"line_id": 31, "damage_pct": 10}],
                            "note": "照片里只有一个坏果"})
    lines: list[ProposeLineIn] = Field(..., min_length=1, max_length=100)
    note: str = Field("", max_length=500, pattern=TEXT)


class EscalateIn(Schema):
    model_config = example({"note": "商家的方案不合理"})
    note: str = Field("", max_length=500, pattern=TEXT)


class ClaimQuery(Schema):
    role: Literal["buyer", "farm"] = Field(
        "buyer", description="`buyer`: the claims one opened; `farm`: the claims on one's "
                             "parcels.")
    status: ClaimStatus | None = None


class ClaimLineOut(Schema):
    line_id: int
    title: str
    unit_price: Decimal
    quantity: int
    damage_pct: int
    proposed_pct: int | None

    @staticmethod
    def resolve_title(obj) -> str:
        return obj.line.title

    @staticmethod
    def resolve_unit_price(obj) -> Decimal:
        return obj.line.unit_price


class EvidenceOut(Schema):
    id: int
    url: str
    kind: Literal["photo", "video"]
    party: Literal["buyer", "farm"]
    taken_before_shipped: bool = Field(
        ..., description="The photo's own timestamp is before the parcel shipped.")
    created_at: datetime

    @staticmethod
    def resolve_url(obj) -> str:
        return obj.file.url


class ClaimEventOut(Schema):
    at: datetime
    actor: Literal["buyer", "farm", "staff", "system"]
    action: str
    note: str

    @staticmethod
    def resolve_at(obj) -> datetime:
        return obj.created_at


class ClaimOut(Schema):
    id: int
    order_id: int
    shipment_id: int
    kind: ClaimKind
    status: ClaimStatus
    note: str
    lines: list[ClaimLineOut]
    amount: Decimal = Field(..., description="What the claim asks: goods x damage plus the "
                                             "parcel's shipping share, capped at what is left "
                                             "to refund.")
    proposed_amount: Decimal | None
    decided_amount: Decimal | None
    currency: str = CURRENCY
    respond_by: datetime
    escalate_by: datetime | None
    evidence: list[EvidenceOut]
    events: list[ClaimEventOut]
    refund: RefundOut | None
    created_at: datetime

    @staticmethod
    def resolve_evidence(obj) -> list:
        shown = getattr(obj, "shown_evidence", None)
        return shown if shown is not None else list(obj.evidence.all())
