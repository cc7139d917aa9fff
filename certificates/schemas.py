"""What the certificates routes take and answer. Uploads are multipart forms (`files` of a
verification, `file` of a certificate); the other fields are form fields beside them."""

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

from marketplace.schemas import Id, Text

VerificationKind = Literal["individual_farmer", "individual_business", "company", "cooperative"]
CertificateKind = Literal["chengnuo_hege", "green", "organic", "gi", "sc", "test_report"]


class VerificationIn(Schema):
    kind: VerificationKind = Field(
        ..., description="individual_farmer: a farmer selling their own produce (no "
                         "registration needed, E-commerce Law art. 10: the id number); the "
                         "others give the unified social credit code and a licence file.")
    name: Text = Field(..., min_length=1, max_length=100,
                       description="The name on the id card or the licence.")
    id_number: Text | None = Field(
        None, max_length=32, description="The 18-digit resident identity number "
                                         "(individual_farmer). Stored encrypted, never shown.")
    credit_code: Text | None = Field(
        None, max_length=32, description="The 18-character unified social credit code "
                                         "(the other kinds). Stored encrypted, never shown.")


class VerificationOut(Schema):
    kind: str = Field(..., description="individual_farmer | individual_business | company | "
                                       "cooperative (an open enumeration).")
    status: Literal["pending", "verified", "rejected", "expired"]
    verified_at: datetime | None
    recheck_due: date | None = Field(
        ..., description="When staff check the seller again (six months after verifying); "
                         "then `expired` until the farm submits again.")
    reason: str | None = Field(None, description="Why staff rejected it (the farm's own view).")
    text: str = Field(..., description="What pages say: 已核验 with the kind, or the "
                                       "self-produce text (个人销售自产农副产品，依法无需登记).")


class CertificateIn(Schema):
    kind: CertificateKind
    number: Text | None = Field(None, max_length=64,
                                description="The certificate's number; a test report: the "
                                            "lab's CMA number.")
    issuer: Text | None = Field(None, max_length=100,
                                description="Who issued it; a test report: the lab.")
    issued_on: date | None = Field(None, description="Default: today. Not in the future.")
    expires_on: date | None = Field(
        None, description="Not before issued_on, not past; required for green, organic, sc.")
    # 承诺达标合格证 only; each defaults from the lot, listing and farm
    product: Text | None = Field(None, max_length=120)
    quantity: Text | None = Field(None, max_length=40, description="e.g. `500 斤`.")
    origin_region_id: Id | None = None
    committed_by: Text | None = Field(None, max_length=100,
                                      description="The committing party (default: the farm).")
    contact: Text | None = Field(None, max_length=32,
                                 description="A phone printed on the label (default: the "
                                             "farm's).")
    basis: Literal["self_control", "own_test", "commissioned_test"] | None = Field(
        None, description="What the promise rests on; required for chengnuo_hege.")
    commitment: Text | None = Field(None, max_length=500,
                                    description="Default: the 办法's commitment text.")
    source_batch_ids: list[Id] = Field(
        default_factory=list, max_length=50,
        description="A cooperative: the members' lots this lot was made of (listed on its "
                    "certificate).")


class SourceLotOut(Schema):
    batch_id: int
    lot_code: str
    trace_code: str
    member: str


class ChengnuoOut(Schema):
    product: str
    quantity: str
    origin_region: str = Field(..., description="The region's path.")
    committed_by: str
    contact: str
    basis: str
    commitment: str
    sources: list[SourceLotOut] = Field(..., description="A cooperative's lot: the members' "
                                                         "lots it was made of.")


class CertificateOut(Schema):
    id: int
    kind: str = Field(..., description="chengnuo_hege | green | organic | gi | sc | "
                                       "test_report (an open enumeration).")
    number: str
    issuer: str
    issued_on: date
    expires_on: date | None
    status: Literal["self_declared", "pending", "verified", "rejected", "expired"] = Field(
        ..., description="self_declared: the farm's own 承诺达标合格证; the other kinds wait for "
                         "staff (pending), then verified or rejected; expired past expires_on.")
    url: str | None = Field(..., description="chengnuo_hege: its label, a PNG for a label "
                                             "printer (60x40 mm at 300 dpi); else null (the "
                                             "file is for staff).")
    batch_id: int | None = Field(..., description="The lot; null for the whole farm.")
    chengnuo: ChengnuoOut | None = Field(..., description="The 承诺达标合格证's own fields.")
