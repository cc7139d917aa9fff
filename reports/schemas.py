from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

from marketplace.schemas import example
from reports import links

KIND = Literal["sales", "statement", "member_sales", "benefit", "claims"]
FORMAT = Literal["csv", "xlsx"]


class ReportIn(Schema):
    model_config = example(
        {"kind": "sales",
         "format": "xlsx",
         "period_start": "2026-10-01",
         "period_end": "2026-10-31"}
    )
    kind: KIND = Field(..., description="`sales`: a farm's order lines; `statement`: its ledger "
                                        "movements; `member_sales`: a cooperative's members' "
                                        "sales; `benefit`: public-benefit pledges; `claims`: "
                                        "after-sales claims on a farm's parcels (every "
                                        "farm's for staff).")
    format: FORMAT = Field(..., description="`csv` (UTF-8 with a BOM) or `xlsx`.")
    period_start: date = Field(..., description="First day (Asia/Shanghai), `YYYY-MM-DD`.")
    period_end: date = Field(..., description="Last day, at most 366 days after the first.")


class ReportOut(Schema):
    id: int
    kind: KIND
    format: FORMAT
    period_start: date
    period_end: date
    status: Literal["pending", "running", "done", "failed"]
    progress: int = Field(..., ge=0, le=100)
    row_count: int = Field(..., description="Rows written so far.")
    failure_reason: str | None
    download_url: str | None = Field(
        ..., description="While `done` and not expired: a signed link, for the owner only "
                         "(it also needs the owner's bearer token), until `expires_at`.")
    expires_at: datetime
    created_at: datetime
    finished_at: datetime | None

    @staticmethod
    def resolve_failure_reason(obj) -> str | None:
        return obj.failure_reason or None

    @staticmethod
    def resolve_download_url(obj) -> str | None:
        return links.download_url(obj)


class DownloadQuery(Schema):
    token: str = Field(..., max_length=1000, description="The token of `download_url`.")
