"""Every write of the promotion app: promoters, videos, links, clicks, commissions."""

import logging
import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import quote

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from marketplace import visitors
from marketplace.errors import Conflict, NotFound, PermissionDenied, Throttled, ValidationFailed
from marketplace.money import money
from notify import notify
from outbox import enqueue
from producers.models import Batch, Listing, Producer
from promotion import attribution, selectors
from promotion.models import Commission, Link, Promoter, Video
from promotion.oembed import (
    VideoUnavailable,
    fetch_metadata,
    has_oembed,
    resolve_short_link,
)
from promotion.safe_fetch import FetchFailed, FetchRefused
from promotion.tasks import video_fetch_details as video_fetch_details_task
from promotion.video_urls import UnsupportedVideoUrl, parse_video_url

logger = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
CODE_LENGTH = 8


# --- Promoters --------------------------------------------------------------------------------

def promoter_create(*, user: User, display_name: str, bio: str = "") -> Promoter:
    display_name = display_name.strip()
    if not display_name:
        raise ValidationFailed({"display_name": "A display name is required."})
    try:
        with transaction.atomic():
            return Promoter.objects.create(user=user, display_name=display_name, bio=bio.strip())
    except IntegrityError:
        raise Conflict("This account already has a promoter profile.",
                       code="promoter_exists") from None


# --- Videos -----------------------------------------------------------------------------------

def _video_kind(user: User, requested: str | None, films_on_site: bool) -> str:
    """`origin` for a producer, `promo` for a promoter. Someone who is both gets `origin` unless
    they ask for `promo` (a farm's own footage is what a producer posts most). Someone who is
    neither but `films_on_site` (one of a charity's people: benefit says so) gets `origin`."""
    kinds = []
    if Producer.objects.filter(user=user).exists():
        kinds.append(Video.Kind.ORIGIN)
    if Promoter.objects.filter(user=user).exists():
        kinds.append(Video.Kind.PROMO)
    if not kinds and films_on_site:
        kinds.append(Video.Kind.ORIGIN)
    if not kinds:
        raise PermissionDenied("Only producers and promoters can add videos.",
                               code="producer_or_promoter_required")
    if requested is None:
        return kinds[0]
    if requested not in kinds:
        raise PermissionDenied(
            f"Only a {'producer' if requested == Video.Kind.ORIGIN else 'promoter'} can add "
            f"{requested} videos.", code="producer_or_promoter_required",
        )
    return requested


def video_submit(*, user: User, url: str, title: str = "", kind: str | None = None,
                 films_on_site: bool = False) -> tuple[Video, bool]:
    """Add a video, or return the caller's existing one for the same video (created=False).
    Resolution of short links and metadata follow in the background, after commit.
    `films_on_site`: the caller films a public-benefit project's work (benefit's
    `video_submit` says so for a charity's people)."""
    kind = _video_kind(user, kind, films_on_site)
    try:
        parsed = parse_video_url(url)
    except UnsupportedVideoUrl:
        raise ValidationFailed(
            {"url": "Not a video URL of a supported platform (Douyin, Kuaishou, Bilibili, "
                    "YouTube, TikTok)."},
            code="unsupported_video_url",
            message="This URL is not a video of a supported platform.",
        ) from None
    existing = Video.objects.filter(
        Q(external_id=parsed.external_id) | Q(source_url=parsed.source_url),
        owner=user, platform=parsed.platform,
    ).select_related("duplicate_of").first()
    if existing is not None:
        # a short link already resolved into a video the owner had: that video
        return existing.duplicate_of or existing, False
    settled = not parsed.is_short_link and not has_oembed(parsed.platform)
    try:
        with transaction.atomic():
            video = Video.objects.create(
                owner=user, kind=kind, platform=parsed.platform,
                external_id=parsed.external_id, canonical_url=parsed.canonical_url,
                source_url=parsed.source_url, title=title.strip()[:200],
                status=_unchecked_status(kind) if settled else Video.Status.PENDING,
            )
            if not settled:
                enqueue(video_fetch_details_task, video.pk)
    except IntegrityError:
        # the same video posted twice at once: the other request created it
        return Video.objects.get(owner=user, platform=parsed.platform,
                                 external_id=parsed.external_id), False
    return video, True


def _merge_into(video: Video, original: Video) -> None:
    """`video` (a short link) turned out to be `original`, which the owner already had. Its
    links move to the original where the original has no link to the same target; links that
    would clash stay, still working, on `video`, which is marked failed (hidden) and points to
    the original."""
    taken_listings = set(original.links.exclude(listing=None).values_list("listing_id", flat=True))
    taken_batches = set(original.links.exclude(batch=None).values_list("batch_id", flat=True))
    movable = video.links.exclude(listing_id__in=taken_listings).exclude(
        batch_id__in=taken_batches)
    movable.update(video=original)
    Video.objects.filter(pk=video.pk).update(status=Video.Status.FAILED, duplicate_of=original,
                                             failure_reason=Video.FailureReason.DUPLICATE)


def _apply_resolution(video: Video, parsed) -> Video | None:
    """Store the resolved id; returns the video that lives on (None if merged away)."""
    original = Video.objects.filter(
        owner_id=video.owner_id, platform=video.platform, external_id=parsed.external_id,
    ).exclude(pk=video.pk).first()
    if original is not None:
        _merge_into(video, original)
        return None
    try:
        with transaction.atomic():
            Video.objects.filter(pk=video.pk, status=Video.Status.PENDING).update(
                external_id=parsed.external_id, canonical_url=parsed.canonical_url)
    except IntegrityError:  # another video of the owner got this id meanwhile
        original = Video.objects.get(owner_id=video.owner_id, platform=video.platform,
                                     external_id=parsed.external_id)
        _merge_into(video, original)
        return None
    video.external_id, video.canonical_url = parsed.external_id, parsed.canonical_url
    return video


def _unchecked_status(kind: str) -> str:
    """What a video nothing could check (no oEmbed, or no answer from it) becomes: the farm's
    own footage is ready; a promoter's is unverified until staff or the farm approve it."""
    return Video.Status.READY if kind == Video.Kind.ORIGIN else Video.Status.UNVERIFIED


def _finish(video_id: int, status: str, **fields) -> None:
    Video.objects.filter(pk=video_id, status=Video.Status.PENDING).update(status=status, **fields)


def _video_resolve(video: Video) -> Video | None:
    """Follow the short link of a video to the platform's own URL: the video, now with its
    real id, or None when it turned out to be one its owner already had (merged into it)."""
    # the hops go over the network, so no transaction is open while they run
    resolved = resolve_short_link(video.platform, video.canonical_url)
    with transaction.atomic():
        return _apply_resolution(video, resolved)


def _video_fetch(video: Video) -> None:
    """Title and thumbnail from the platform's oEmbed where it has one; the video is ready."""
    if not has_oembed(video.platform):
        _finish(video.pk, _unchecked_status(video.kind))
        return
    metadata = fetch_metadata(video.platform, video.canonical_url)
    fields = {"thumbnail_url": metadata.thumbnail_url}
    if not video.title and metadata.title:
        fields["title"] = metadata.title
    _finish(video.pk, Video.Status.READY, **fields)


def _video_settle_unfetched(video_id: int) -> None:
    """The last attempt failed for want of an answer: a video whose id is known is ready
    without a title (the player is built from the id), a short link never resolved failed."""
    url, kind = Video.objects.values_list("canonical_url", "kind").get(pk=video_id)
    if parse_video_url(url).is_short_link:
        _finish(video_id, Video.Status.FAILED,
                failure_reason=Video.FailureReason.SHORT_LINK_UNRESOLVED)
    else:
        _finish(video_id, _unchecked_status(kind))


def video_fetch_details(*, video_id: int, final_attempt: bool = True) -> None:
    """Resolve a short link, then fetch title and thumbnail where the platform has oEmbed.

    pending -> ready, or failed when the platform says there is no such public video or the
    fetch is refused (a private address, a redirect off the platform, an oversized answer).
    A transient failure (timeout, connection) raises FetchFailed for the task to retry; the
    last attempt settles the video (`_video_settle_unfetched`). Safe to run twice: only a
    pending video is touched."""
    video = Video.objects.filter(pk=video_id, status=Video.Status.PENDING).first()
    if video is None:
        return
    try:
        is_short_link = parse_video_url(video.canonical_url).is_short_link
    except UnsupportedVideoUrl:
        _finish(video.pk, Video.Status.FAILED, failure_reason=Video.FailureReason.UNSUPPORTED_URL)
        return
    try:
        if is_short_link:
            video = _video_resolve(video)
            if video is None:
                return
        _video_fetch(video)
    except (FetchRefused, VideoUnavailable) as exc:
        logger.warning("video %s failed: %s", video_id, exc)
        reason = (Video.FailureReason.UNAVAILABLE if isinstance(exc, VideoUnavailable)
                  else Video.FailureReason.FETCH_REFUSED)
        _finish(video_id, Video.Status.FAILED, failure_reason=reason)
    except FetchFailed:
        if not final_attempt:
            raise
        _video_settle_unfetched(video_id)


def video_give_up(video_id: int, *, reason: str) -> None:
    """The details task failed for good (not a fetch problem: those settle the video above):
    the video is `failed` rather than `pending` for ever."""
    logger.error("Details of video %s failed: %s", video_id, reason)
    _finish(video_id, Video.Status.FAILED, failure_reason=Video.FailureReason.GAVE_UP)


# --- Links ------------------------------------------------------------------------------------

def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def link_one_target(*targets) -> None:
    """A link goes to exactly one of a listing, a harvest lot and a project (else 422)."""
    if sum(target is not None for target in targets) != 1:
        raise ValidationFailed(
            {"listing_id": "Give exactly one of listing_id, batch_id and project_id."})


def link_video(*, user: User, video_id: int) -> Video:
    """The caller's video that a new link will show: someone else's is 404, a failed one 409."""
    video = selectors.video_get(user=user, video_id=video_id)
    if video.status == Video.Status.FAILED:
        raise Conflict("This video could not be used; add it again.", code="video_failed")
    return video


def _link_target(video: Video, user: User, listing_id: int | None,
                 batch_id: int | None) -> dict:
    if video.kind == Video.Kind.PROMO:
        if batch_id is not None:
            raise ValidationFailed(
                {"batch_id": "Promoters link listings; harvest lots are linked by their farm."},
                code="batch_link_not_allowed",
            )
        listing = Listing.objects.filter(pk=listing_id, status=Listing.Status.ACTIVE).first()
        if listing is None:
            raise NotFound("No such listing.", code="listing_not_found")
        if listing.commission_rate is None:
            raise Conflict("This listing is not open to promotion (no commission rate).",
                           code="listing_not_promotable")
        return {"listing": listing}
    if listing_id is not None:
        listing = Listing.objects.filter(pk=listing_id, producer__user=user).first()
        if listing is None:
            raise NotFound("No such listing.", code="listing_not_found")
        return {"listing": listing}
    batch = Batch.objects.filter(pk=batch_id, listing__producer__user=user).first()
    if batch is None:
        raise NotFound("No such harvest lot.", code="batch_not_found")
    return {"batch": batch}


def _refuse_past_daily_links(user: User) -> None:
    """A promoter links at most PROMO_LINKS_PER_DAY listings in 24 hours (429 past it)."""
    since = timezone.now() - timedelta(days=1)
    recent = Link.objects.filter(video__owner=user, video__kind=Video.Kind.PROMO,
                                 created_at__gte=since)
    if recent.count() >= settings.PROMO_LINKS_PER_DAY:
        oldest = recent.order_by("created_at").values_list("created_at", flat=True).first()
        raise Throttled(
            f"At most {settings.PROMO_LINKS_PER_DAY} new links a day; try again later.",
            code="link_limit_reached",
            retry_after=max(1, int((oldest + timedelta(days=1) - timezone.now()).total_seconds())),
        )


def link_review(*, user: User, listing_id: int, video_id: int, review: str) -> Link:
    """The farm's word on a video shown with its own listing: `approved` shows an unverified
    promotion video there (and lets its link earn), `hidden` keeps the video off the listing
    and stops its link earning (it still redirects). Not the caller's listing, or no such
    link: 404."""
    link = (Link.objects.select_related("video")
            .filter(listing_id=listing_id, listing__producer__user=user, video_id=video_id)
            .first())
    if link is None:
        raise NotFound("No such video on a listing of yours.", code="link_not_found")
    Link.objects.filter(pk=link.pk).update(review=review, reviewed_at=timezone.now())
    link.refresh_from_db()
    return link


def video_verify(*, video: Video) -> bool:
    """Staff checked an unverified video on its platform: it is ready (shown wherever linked,
    unless a farm hid it). Returns whether it changed."""
    return bool(Video.objects.filter(pk=video.pk, status=Video.Status.UNVERIFIED).update(
        status=Video.Status.READY))


def link_create(*, user: User, video_id: int, listing_id: int | None = None,
                batch_id: int | None = None, project=None) -> tuple[Link, bool]:
    """A link from the caller's video to a listing, a harvest lot or a public-benefit project,
    or the existing one. A project (a `benefit.Project`) comes checked by benefit's
    `video_link_create`: only the charity's own people link videos to its projects."""
    video = link_video(user=user, video_id=video_id)
    link_one_target(listing_id, batch_id, project)
    target = ({"project": project} if project is not None
              else _link_target(video, user, listing_id, batch_id))
    existing = Link.objects.filter(video=video, **target).first()
    if existing is not None:
        return existing, False
    if video.kind == Video.Kind.PROMO:
        _refuse_past_daily_links(user)
    for _ in range(5):
        try:
            with transaction.atomic():
                return Link.objects.create(video=video, code=_new_code(), **target), True
        except IntegrityError:
            existing = Link.objects.filter(video=video, **target).first()
            if existing is not None:  # created by a concurrent request
                return existing, False
            # else a code collision (about 1 in 10^14): draw again
    raise Conflict("Could not allocate a link code; try again.", code="link_code_exhausted")


# --- Clicks -----------------------------------------------------------------------------------

def landing_url(link: selectors.RedirectTarget) -> str:
    """Where /p/{code} goes: only ever a destination built from server-side data."""
    if link.listing_id is not None:
        return settings.PROMO_LANDING_URL.format(listing_id=int(link.listing_id))
    if link.project_id is not None:
        return f"/benefit/{int(link.project_id)}"
    return f"/trace/{quote(link.trace_code, safe='')}"


def click_record(*, link_id: int, client_address: str, user_agent: str) -> bool:
    """Count one click (unless a bot's): one Redis round trip, or one INSERT without Redis
    (marketplace.visitors). Returns whether it was counted (not whether it was the visitor's
    first of the day)."""
    if visitors.is_bot(user_agent):
        return False
    visitors.CLICKS.visit(subject_id=link_id, address=client_address, user_agent=user_agent)
    return True


def clicks_rollup(*, today: date | None = None) -> int:
    """Write the distinct visitors of yesterday and today, per link, into ClickDaily (absolute
    counts, never lowered: idempotent). Returns the number of links whose count rose."""
    return len(visitors.CLICKS.rollup(today=today))


# --- Commissions ------------------------------------------------------------------------------

def _digits(phone: str) -> str:
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def _place(region_id: int, detail: str) -> tuple[int, str]:
    """An address as two spellings of it compare: no spaces or punctuation, lower case."""
    return region_id, "".join(ch for ch in (detail or "").lower() if ch.isalnum())


def _buyer_is_the_promoter(order, promoter_user_id: int) -> bool:
    """A second account of the promoter: the order's phone (or the buyer's account phone) is
    the promoter's own or one the promoter shipped to, or the order ships to an address the
    promoter has shipped to. Self-referral earns nothing."""
    from orders.models import Order

    account_phones = dict(User.objects.filter(pk__in=[promoter_user_id, order.buyer_id])
                          .values_list("pk", "phone"))
    promoter_phone = account_phones.get(promoter_user_id, "")
    buyer_phone = account_phones.get(order.buyer_id, "")
    known = {(r, d, p) for r, d, p in Order.objects.filter(buyer_id=promoter_user_id)
             .values_list("region_id", "detail", "phone")[:200]}
    phones = {_digits(p) for _, _, p in known} | {_digits(promoter_phone or "")}
    phones.discard("")
    if phones & {_digits(order.phone), _digits(buyer_phone or "")}:
        return True
    return _place(order.region_id, order.detail) in {_place(r, d) for r, d, _ in known}


def commission_for_order(*, order, promo_visit: str = "") -> Commission | None:
    """Credit the promoter of `order.promo_code` (inside the order's transaction).

    An unknown code (a link since removed, a stale code in the app) earns nobody anything and
    never blocks the sale: attribution must not cost a farm its order. No commission either
    when the link is to a harvest lot, its video's owner has no promoter profile, the listing
    has no rate, the buyer is the promoter or the listing's producer, the promoter is the
    listing's producer, the buyer shares a phone or a shipping address with the promoter (a
    second account), the order follows no click of the link (`promo_visit`, see
    promotion.attribution), the link does not earn (`selectors.link_earns`: an unverified
    video the farm has not approved, or a link the farm hid), or the order has no line of that
    listing. The click is kept on the commission: it credits one order, the first paid
    (`commissions_first_paid_visit`)."""
    code = (order.promo_code or "").strip()
    if not code:
        return None
    link = Link.objects.select_related("video").filter(code=code).first()
    if link is None or link.listing_id is None:
        return None
    link_id, visitor = attribution.visit_read(promo_visit)
    if link_id != link.pk:
        return None  # no click of this link by this visitor within the window
    if not selectors.link_earns(link.pk):
        return None
    promoter = Promoter.objects.filter(user_id=link.video.owner_id).first()
    listing = Listing.objects.select_related("producer").get(pk=link.listing_id)
    rate = listing.commission_rate
    producer_user_id = listing.producer.user_id
    if (promoter is None or rate is None or rate <= 0
            or order.buyer_id in {link.video.owner_id, producer_user_id}
            or link.video.owner_id == producer_user_id
            or _buyer_is_the_promoter(order, link.video.owner_id)):
        return None
    from orders.models import OrderLine

    lines = list(OrderLine.objects.filter(order=order, listing_id=listing.pk))
    if not lines:
        return None
    base = sum((line.line_total for line in lines), Decimal("0"))
    commission, _ = Commission.objects.get_or_create(
        order=order, link=link,
        defaults={
            "promoter": promoter, "listing": listing, "shipment_id": lines[0].shipment_id,
            "base_amount": money(base), "rate": rate, "amount": money(base * rate),
            "visit": visitor,
        },
    )
    return commission


def commissions_on_payment(*, order_id: int) -> int:
    """The order is being paid (payments calls this before the books post the payment): its
    pending commissions are cancelled when their link no longer earns (the farm hid it since)
    or their click already credited another paid order (sock-puppet accounts reusing one
    `visit`: the first paid wins). The commissions sharing a click are locked in id order, so
    two orders paid at once are judged one after the other. How many were cancelled."""
    cancelled = 0
    for commission in Commission.objects.filter(order_id=order_id,
                                                status=Commission.Status.PENDING):
        taken = False
        if commission.visit:
            same_click = list(Commission.objects.select_for_update().filter(
                visit=commission.visit).order_by("id").values_list("pk", flat=True))
            taken = Commission.objects.filter(
                pk__in=same_click, order__paid_at__isnull=False).exclude(
                order_id=order_id).exclude(status=Commission.Status.CANCELLED).exists()
        if taken or not selectors.link_earns(commission.link_id):
            cancelled += commissions_cancel(
                commissions=Commission.objects.filter(pk=commission.pk))
    return cancelled


def commissions_cancel(*, commissions: QuerySet[Commission]) -> int:
    """Cancel the pending ones among `commissions`; a settled one stays settled. Safe to run
    twice."""
    return commissions.filter(status=Commission.Status.PENDING).update(
        status=Commission.Status.CANCELLED, cancelled_at=timezone.now()
    )


def commissions_cancel_for_order(*, order) -> int:
    """The order was cancelled: its pending commissions are too."""
    return commissions_cancel(commissions=Commission.objects.filter(order=order))


def _tell_settled(commission: Commission) -> None:
    user_id = Promoter.objects.filter(pk=commission.promoter_id).values_list(
        "user_id", flat=True).get()
    order_number = commission.order.number
    notify(user_id=user_id, event="commission_settled", key=f"commission:{commission.pk}",
           title=f"佣金 {commission.amount} 元已结算",
           body=(f"订单 {order_number} 的推广佣金 {commission.amount} 元已过售后期，"
                 f"已转入可提现余额。"),
           data={"commission_id": commission.pk, "order_number": order_number,
                 "amount": str(commission.amount), "currency": "CNY"})


def commissions_due(*, now: datetime | None = None) -> list[Commission]:
    """Pending commissions whose shipment was delivered more than RETURN_WINDOW_DAYS ago (and
    whose order was not cancelled), in id order."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.RETURN_WINDOW_DAYS)
    from orders.models import Order, Shipment

    return list(
        Commission.objects.filter(
            status=Commission.Status.PENDING,
            shipment__status=Shipment.Status.DELIVERED,
            shipment__delivered_at__lte=cutoff,
        )
        .exclude(order__status=Order.Status.CANCELLED)
        .select_related("order").order_by("pk")
    )


def commission_settle(*, commission: Commission, now: datetime) -> bool:
    """pending -> settled, by one conditional UPDATE (`status = pending` on the row itself:
    PostgreSQL re-checks it after waiting for a concurrent settle or cancel, which then wins
    alone). Returns whether it moved; checkout posts the money in the same transaction, and
    the promoter is told (notify) in it."""
    if not Commission.objects.filter(pk=commission.pk, status=Commission.Status.PENDING).update(
            status=Commission.Status.SETTLED, settled_at=now):
        return False
    _tell_settled(commission)
    return True
