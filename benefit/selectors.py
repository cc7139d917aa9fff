"""Every read of the benefit app, each a constant number of queries whatever the page size.

A project's totals come from the books (its pending and available accounts) and its
disbursements: `pledged` is the pending balance (paid orders within their return window),
`balance` the available one, `disbursed` what staff passed on, `confirmed` = balance +
disbursed. The public ledger adds up to the same figures (`benefit.ledger.totals_of`)."""

from typing import Any

from django.db.models import (
    BigIntegerField,
    DecimalField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from benefit import ledger, signing
from benefit.models import Disbursement, Project, PublicEntry
from ledger.amounts import yuan
from ledger.models import Account
from marketplace.errors import NotFound
from marketplace.money import money
from marketplace.pagination import Page, PageParams, paginate
from promotion.models import Link, Video
from promotion.selectors import SHOWN

MONEY = DecimalField(max_digits=14, decimal_places=2)


def _balance(bucket: str) -> Coalesce:
    found = Account.objects.filter(kind=Account.Kind.BENEFIT_PROJECT, holder_id=OuterRef("pk"),
                                   bucket=bucket).values("balance_fen")[:1]
    return Coalesce(Subquery(found, output_field=BigIntegerField()), Value(0))


def _disbursed() -> Coalesce:
    total = (Disbursement.objects.filter(project=OuterRef("pk")).order_by()
             .values("project").annotate(total=Sum("amount")).values("total"))
    return Coalesce(Subquery(total, output_field=MONEY), Value(0, output_field=MONEY))


def project_queryset() -> QuerySet[Project]:
    """Projects with their charity, region and totals, in one query for any number of rows."""
    return (Project.objects.select_related("charity", "region")
            .annotate(pending_fen=_balance(Account.Bucket.PENDING),
                      available_fen=_balance(Account.Bucket.AVAILABLE),
                      disbursed_total=_disbursed()))


def with_totals(project: Project) -> Project:
    project.pledged = yuan(project.pending_fen)
    project.balance = yuan(project.available_fen)
    project.disbursed = money(project.disbursed_total)  # SQLite sums decimals as floats
    project.confirmed = project.balance + project.disbursed
    return project


def project_list(*, params: PageParams) -> Page:
    page = paginate(project_queryset(), params, ordering=["id"])
    page.items = [with_totals(project) for project in page.items]
    return page


def project_videos(project_id: int, limit: int = 20) -> list[Video]:
    """The project's videos: linked to it by the charity's people, shown (as a listing's are:
    verified or approved, never failed), newest first."""
    linked = Link.objects.filter(SHOWN, project_id=project_id).values("video_id")
    return list(Video.objects.filter(pk__in=linked).exclude(status=Video.Status.FAILED)
                .order_by("-created_at", "-id")[:limit])


def project_get(*, project_id: int) -> Project:
    """A project with its totals and videos (two queries)."""
    project = project_queryset().filter(pk=project_id).first()
    if project is None:
        raise NotFound("No such project.", code="project_not_found")
    project = with_totals(project)
    project.videos = project_videos(project.pk)
    return project


def ledger_page(*, project_id: int, params: PageParams) -> Page:
    """The project's public ledger, oldest first, each entry as served (and hashed)."""
    if not Project.objects.filter(pk=project_id).exists():
        raise NotFound("No such project.", code="project_not_found")
    page = paginate(PublicEntry.objects.filter(project_id=project_id), params,
                    ordering=["seq", "id"], scope=f"project{project_id}")
    page.items = [ledger.served(entry) for entry in page.items]
    return page


def latest_entries(*, project_id: int, limit: int = 10) -> list[dict]:
    entries = PublicEntry.objects.filter(project_id=project_id).order_by("-seq")[:limit]
    return [ledger.served(entry) for entry in entries]


def heads() -> dict[str, dict]:
    """The last entry of every project's chain (seq 0 and 64 zeros for an empty one)."""
    last = {row["project_id"]: row for row in
            PublicEntry.objects.filter(seq=Subquery(
                PublicEntry.objects.filter(project_id=OuterRef("project_id"))
                .order_by("-seq").values("seq")[:1]))
            .values("project_id", "seq", "entry_hash")}
    result = {}
    for project_id in Project.objects.order_by("id").values_list("id", flat=True):
        row = last.get(project_id)
        result[str(project_id)] = ({"seq": row["seq"], "entry_hash": row["entry_hash"]} if row
                                   else {"seq": 0, "entry_hash": ledger.GENESIS})
    return result


def signed_head() -> dict[str, Any]:
    """Every project's head, signed with the ledger's Ed25519 key (API.md)."""
    current = heads()
    signed_at = timezone.now().isoformat(timespec="seconds")
    return {"heads": current, "signed_at": signed_at,
            "signature": signing.sign(current, signed_at),
            "public_key": signing.public_key_b64()}
