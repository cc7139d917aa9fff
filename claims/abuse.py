"""When a claim goes to staff instead of being settled by the farm's silence: the same photo in
two buyers' claims, a buyer who claims often or on too many of their orders. Such a claim is
never accepted automatically (claims.services)."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings

from claims.models import Claim, Evidence
from orders.models import Order

PHOTO_REUSED = "photo_reused"
FREQUENT = "frequent_claims"
CLAIM_RATE = "claim_rate"
REASONS = {
    PHOTO_REUSED: "同一张照片出现在其他买家的售后中",
    FREQUENT: "买家 30 天内多次申请售后",
    CLAIM_RATE: "买家申请售后的订单比例过高",
}


def buyer_reasons(*, buyer_id: int, now: datetime) -> list[str]:
    """The rules about the buyer, counted with the claim just opened."""
    reasons = []
    recent = Claim.objects.filter(buyer_id=buyer_id,
                                  created_at__gte=now - timedelta(days=30)).count()
    if recent >= settings.CLAIM_ABUSE_COUNT_30D:
        reasons.append(FREQUENT)
    paid = (Order.objects.filter(buyer_id=buyer_id, paid_at__isnull=False).count())
    if paid >= settings.CLAIM_RATE_MIN_ORDERS:
        claimed = (Claim.objects.filter(buyer_id=buyer_id).values("order_id").distinct()
                   .count())
        if Decimal(claimed) / Decimal(paid) > settings.CLAIM_ABUSE_ORDER_SHARE:
            reasons.append(CLAIM_RATE)
    return reasons


def same_photo_claims(*, phash: str, buyer_id: int) -> list[int]:
    """Other buyers' claims with a photo of this perceptual hash."""
    if not phash:
        return []
    return list(Evidence.objects.filter(phash=phash, party=Evidence.Party.BUYER,
                                        claim__isnull=False)
                .exclude(claim__buyer_id=buyer_id)
                .values_list("claim_id", flat=True).distinct())
