"""Every read of the promotion app, each a constant number of queries whatever the page size."""

from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import (
    Count,
    DecimalField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from marketplace import visitors
from marketplace.errors import NotFound, PermissionDenied
from marketplace.filtering import filtered
from marketplace.pagination import Page, PageParams, paginate
from marketplace.sql import CompiledValues
from producers.models import Listing, Producer
from promotion.filters import CommissionFilter
from promotion.models import ClickDaily, Commission, Link, Promoter, Video

ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=14, decimal_places=2))
MONEY = DecimalField(max_digits=14, decimal_places=2)


# --- Promoters -------------------------------------------------------------------------------

def promoter_get(*, user: User) -> Promoter:
    promoter = Promoter.objects.filter(user=user).first()
    if promoter is None:
        raise PermissionDenied("Create a promoter profile first (POST /promoters).",
                               code="promoter_required")
    return promoter


# --- Videos -----------------------------------------------------------------------------------

def video_list(*, user: User, params: PageParams) -> Page:
    return paginate(Video.objects.filter(owner=user), params, ordering=["-created_at", "-id"],
                    scope="own")


def video_get(*, user: User, video_id: int) -> Video:
    video = Video.objects.filter(pk=video_id, owner=user).first()
    if video is None:
        raise NotFound("No such video.", code="video_not_found")
    return video


# --- A listing's videos: the one definition, which producers' catalog and trace pages use -------

# A link shows its video publicly when the video is verified (ready: its platform's oEmbed
# answered, staff checked it, or it is the farm's own footage) or the farm approved the link,
# and the farm has not hidden it. Unverified, pending and failed videos show nowhere else.
SHOWN = ~Q(review=Link.Review.HIDDEN) & (
    Q(video__status=Video.Status.READY) | Q(review=Link.Review.APPROVED))


def link_earns(link_id: int) -> bool:
    """Does an order through this link earn its promoter a commission? Only while the link is
    SHOWN (a verified video, or one the farm approved, not hidden by the farm) and its video
    has not failed: an unverified video nobody vouched for earns nothing, and a farm stops a
    link earning by hiding it (hardening round three, item 5)."""
    return Link.objects.filter(SHOWN, pk=link_id).exclude(
        video__status=Video.Status.FAILED).exists()


def videos_of_listing(listing: int | OuterRef) -> QuerySet[Video]:
    """The videos that show a listing: linked to it or to one of its harvest lots (promotion
    and the farm's own footage) by a link that is SHOWN, not failed. `listing` is an id, or an
    `OuterRef` to one.

    Two indexed look-ups (links by listing, links by the listing's lots), not one join with an
    OR across it: PostgreSQL cannot use an index for that OR and scanned every link and every
    lot for each row of a page (`make bench`: 20 -> 94 ms a catalog page from 10,000 to 100,000
    listings)."""
    to_listing = Link.objects.filter(SHOWN, listing=listing).values("video_id")
    to_lots = Link.objects.filter(SHOWN, batch__listing=listing).values("video_id")
    return Video.objects.filter(Q(pk__in=to_listing) | Q(pk__in=to_lots)).exclude(
        status=Video.Status.FAILED
    )


def _shown_links() -> QuerySet[Link]:
    return Link.objects.filter(SHOWN).exclude(video__status=Video.Status.FAILED)


def _distinct_videos(links: QuerySet[Link]) -> Coalesce:
    counted = (links.order_by().annotate(all=Value(1)).values("all")
               .annotate(n=Count("video_id", distinct=True)).values("n"))
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def listing_video_count() -> CombinedExpression:
    """For a listing queryset's `.annotate()`: how many `videos_of_listing` each row has.

    Counted from the links' side, each part by its index: the videos linked to the listing,
    plus those linked to its lots and not to the listing itself. Counting `videos_of_listing`
    directly made PostgreSQL scan every video for each card (`make bench`: 0.44 ms a card at
    1,000,000 listings and 5,000 videos, 9 of a page's 22 ms)."""
    to_listing = _shown_links().filter(listing=OuterRef("pk"))
    also_to_listing = _shown_links().filter(listing=OuterRef(OuterRef("pk"))).values("video_id")
    to_lots_only = (_shown_links().filter(batch__listing=OuterRef("pk"))
                    .exclude(video_id__in=also_to_listing))
    return _distinct_videos(to_listing) + _distinct_videos(to_lots_only)


def origin_videos_of_batch(*, batch_id: int, listing_id: int,
                           producer_user_id: int) -> list[Video]:
    """A harvest lot's own footage for its trace page: origin videos linked to the lot, or
    linked to its listing by the farm itself (`producer_user_id`); never failed ones, newest
    20."""
    return list(
        Video.objects.filter(kind=Video.Kind.ORIGIN)
        .exclude(status=Video.Status.FAILED)
        .filter(Q(links__batch_id=batch_id) | Q(links__listing_id=listing_id,
                                                owner_id=producer_user_id))
        .distinct()
        .order_by("-created_at", "-id")[:20]
    )


def origin_videos_of_listing(*, listing_id: int) -> list[Video]:
    """A listing's page for people: the farms' own footage among `videos_of_listing`, newest
    20 (promoters' videos sell; these show where the goods come from)."""
    return list(videos_of_listing(listing_id).filter(kind=Video.Kind.ORIGIN)
                .order_by("-created_at", "-id")[:20])


def listing_videos(*, listing_id: int, params: PageParams) -> Page:
    """A page of `videos_of_listing` of an active listing."""
    if not Listing.objects.filter(pk=listing_id, status=Listing.Status.ACTIVE).exists():
        raise NotFound("No such listing.", code="listing_not_found")
    return paginate(videos_of_listing(listing_id), params, ordering=["-created_at", "-id"],
                    scope=f"listing{listing_id}")


# --- Redirect ---------------------------------------------------------------------------------

class RedirectTarget(NamedTuple):
    """What /p/{code} needs of a link: its id and where it points."""

    id: int
    listing_id: int | None
    project_id: int | None
    trace_code: str | None


# compiled once: a share link is what every viewer of a video taps
_LINK_FOR_REDIRECT = CompiledValues(
    lambda *, code: Link.objects.filter(code=code).values(
        "id", "listing_id", "project_id", "batch__trace_code"),
    code="~placeholder~")


def link_for_redirect(*, code: str) -> RedirectTarget | None:
    rows = _LINK_FOR_REDIRECT.rows(code=code)
    if not rows:
        return None
    row = rows[0]
    return RedirectTarget(row["id"], row["listing_id"], row["project_id"],
                          row["batch__trace_code"])


# --- Stats ------------------------------------------------------------------------------------

def _sum_subquery(queryset: QuerySet, group: str, expression, output_field) -> Coalesce:
    subquery = (
        queryset.order_by().values(group).annotate(total=expression).values("total")
    )
    default = Value(0) if isinstance(output_field, IntegerField) else ZERO
    return Coalesce(Subquery(subquery, output_field=output_field), default,
                    output_field=output_field)


def _performance(*, clicks_of: str, commissions_of: str) -> dict[str, Any]:
    """Clicks, orders, GMV and commissions of the outer row, as correlated subqueries:
    `clicks_of` / `commissions_of` are the paths from ClickDaily / Commission to it."""
    # the days before today; today's clicks are added live (`_with_clicks_today`)
    clicks = ClickDaily.objects.filter(**{clicks_of: OuterRef("pk")},
                                       day__lt=timezone.localdate())
    commissions = Commission.objects.filter(**{commissions_of: OuterRef("pk")})
    live = commissions.exclude(status=Commission.Status.CANCELLED)
    pending = commissions.filter(status=Commission.Status.PENDING)
    settled = commissions.filter(status=Commission.Status.SETTLED)
    return {
        "stat_clicks": _sum_subquery(clicks, clicks_of, Sum("clicks"), IntegerField()),
        "stat_orders": _sum_subquery(live, commissions_of, Count("id"), IntegerField()),
        "gmv": _sum_subquery(live, commissions_of, Sum("base_amount"), MONEY),
        "commission_pending": _sum_subquery(pending, commissions_of, Sum("amount"), MONEY),
        "commission_settled": _sum_subquery(settled, commissions_of, Sum("amount"), MONEY),
    }


def _clicks_today(links: QuerySet) -> dict[int, int]:
    """Today's distinct visitors of each of these links, live (Redis and the click rows: the
    roll-up has not necessarily run yet), by link id. Two queries."""
    return visitors.CLICKS.today(links)


def _totals(clicks: QuerySet, commissions: QuerySet, today: dict[int, int]) -> dict[str, Any]:
    click_total = clicks.filter(day__lt=timezone.localdate()).aggregate(
        n=Coalesce(Sum("clicks"), 0))["n"] + sum(today.values())
    live = ~Q(status=Commission.Status.CANCELLED)
    money = commissions.aggregate(
        orders=Count("id", filter=live),
        gmv=Coalesce(Sum("base_amount", filter=live), ZERO),
        commission_pending=Coalesce(
            Sum("amount", filter=Q(status=Commission.Status.PENDING)), ZERO),
        commission_settled=Coalesce(
            Sum("amount", filter=Q(status=Commission.Status.SETTLED)), ZERO),
    )
    return {"clicks": click_total, **money}


def promoter_stats(*, user: User, params: PageParams) -> dict[str, Any]:
    """Per link of the promoter's videos (one page) and the totals over all of them."""
    promoter = promoter_get(user=user)
    links = Link.objects.filter(video__owner=user).annotate(
        **_performance(clicks_of="link", commissions_of="link"))
    page = paginate(links, params, ordering=["-created_at", "-id"], scope="stats")
    today = _clicks_today(Link.objects.filter(video__owner=user))
    for link in page.items:
        link.stat_clicks += today.get(link.pk, 0)
    totals = _totals(ClickDaily.objects.filter(link__video__owner=user),
                     Commission.objects.filter(promoter=promoter), today)
    totals["links"] = len(today)
    return {"links": page.items, "next_cursor": page.next_cursor, "totals": totals}


def producer_promotion(*, user: User, params: PageParams) -> dict[str, Any]:
    """How each of the producer's listings does through promotion links: clicks, orders, GMV
    and the commission owed (pending) and paid out (settled)."""
    producer = Producer.objects.filter(user=user).first()
    if producer is None:
        raise PermissionDenied("Create a producer profile first (POST /producers).",
                               code="producer_required")
    promo_links = Link.objects.filter(listing=OuterRef("pk"), video__kind=Video.Kind.PROMO)
    listings = Listing.objects.filter(producer=producer).annotate(
        stat_links=_sum_subquery(promo_links, "listing", Count("id"), IntegerField()),
        **_performance(clicks_of="link__listing", commissions_of="listing"),
    )
    page = paginate(listings, params, ordering=["-created_at", "-id"], scope="promotion")
    links = Link.objects.filter(listing__producer=producer)
    today = _clicks_today(links)
    listing_of = dict(links.values_list("pk", "listing_id"))
    for listing in page.items:
        listing.stat_clicks += sum(n for link_id, n in today.items()
                                   if listing_of.get(link_id) == listing.pk)
    totals = _totals(ClickDaily.objects.filter(link__listing__producer=producer),
                     Commission.objects.filter(listing__producer=producer), today)
    return {"items": page.items, "next_cursor": page.next_cursor, "totals": totals}


def order_commissions(*, order) -> list[Commission]:
    """The order's commissions not cancelled, oldest first. Only a promo code earns one
    (services.commission_for_order): an order without one has none, and no query asks."""
    if not (order.promo_code or "").strip():
        return []
    return list(Commission.objects.filter(order=order)
                .exclude(status=Commission.Status.CANCELLED).order_by("id"))


def commission_list(*, user: User, filters: dict[str, Any], params: PageParams) -> Page:
    """The promoter's commissions, newest first, each with its order number: every amount
    can be traced to an order."""
    promoter = promoter_get(user=user)
    queryset = Commission.objects.filter(promoter=promoter).select_related("order", "link")
    return paginate(filtered(CommissionFilter, filters, queryset), params,
                    ordering=["-created_at", "-id"], scope="commissions")


def videos_stuck(*, older_than) -> list[int]:
    """Videos still waiting for their details (posted before `older_than`): the sweeper
    re-enqueues them."""
    return list(Video.objects.filter(
        status=Video.Status.PENDING, created_at__lt=older_than,
    ).order_by("id").values_list("id", flat=True)[:500])
