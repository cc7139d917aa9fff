"""Distinct visitors per subject per day: clicks on share links, scans of trace labels.

One mechanism for every such counter, so that a look costs no database write and counting
can be made exact in one place:

- A visitor is `HMAC(secret, day | client address | user agent)`, cut to 32 hex characters:
  the same person on the same day is one visitor, the next day a new one; the address itself
  is never stored. Crawlers and link-preview fetchers are not visitors (`is_bot`).
- With CLICK_REDIS_URL (default: REDIS_URL) a visit is one pipelined round trip: SADD of the
  visitor to the subject's set for the day, SADD of the subject to the day's "dirty" set (both
  expire after REDIS_TTL_DAYS), and SCARD, which gives today's count back at no extra cost.
- Without Redis, or when it does not answer, the visit is one INSERT ... ON CONFLICT DO
  NOTHING of a mark row, unique per (subject, day, visitor).
- `rollup` (a periodic task) writes the distinct visitors of yesterday and today per subject
  into the daily table, as absolute counts that never go down: running it twice, or twice at
  once, changes nothing.
- What people see is the rolled-up days plus today's live count (`today`), so a visit shows
  at once.

The interface, for every counter: `visit`, `today`, `rollup`, `redis_counts`.
"""

import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.apps import apps
from django.conf import settings
from django.db.models import Count, F, QuerySet, Value
from django.db.models.functions import Greatest
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from marketplace.redis_clients import redis_client

logger = logging.getLogger(__name__)

REDIS_TTL_DAYS = 3

# Crawlers, link-preview fetchers (chat apps unfurling a link) and scripts: never counted.
_BOT = re.compile(
    r"bot|spider|crawl|slurp|preview|facebookexternalhit|facebot|whatsapp|telegram|"
    r"embedly|pinterest|bytespider|yisouspider|baiduspider|sogou|360spider|headless|"
    r"lighthouse|curl|wget|python-|httpx|aiohttp|go-http-client|java/|libwww|scrapy|"
    r"okhttp/[0-9.]+$|monitor|uptime|ia_archiver|skypeuripreview|bingpreview|"
    r"dingtalkbot|feishu|\blark\b|qq-url-manager",
    re.IGNORECASE,
)


def is_bot(user_agent: str) -> bool:
    return not user_agent.strip() or bool(_BOT.search(user_agent))


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the address the trusted proxies (NUM_PROXIES) saw."""
    proxies = settings.NINJA_NUM_PROXIES
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                     if a.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _redis():
    url = settings.CLICK_REDIS_URL
    return redis_client(url, timeout=0.25) if url else None


@dataclass(frozen=True)
class VisitorCounter:
    """Distinct visitors of one kind of subject. `mark_model` holds one row per
    (subject, day, visitor) when Redis is not there; `daily_model` the rolled-up counts."""

    name: str
    salt: str
    prefix_setting: str  # the setting naming the Redis key prefix
    mark_model: str  # "app.Model" with fields <subject>, day, visitor
    daily_model: str  # "app.Model" with fields <subject>, day, <count_field>, updated_at
    subject: str  # the foreign key's name in both models
    count_field: str

    # --- keys ------------------------------------------------------------------------------
    @property
    def _prefix(self) -> str:
        return getattr(settings, self.prefix_setting)

    def _visitors_key(self, subject_id: int, day: date) -> str:
        return f"{self._prefix}:{day.isoformat()}:{subject_id}"

    def _dirty_key(self, day: date) -> str:
        return f"{self._prefix}:dirty:{day.isoformat()}"

    def visitor_hash(self, address: str, user_agent: str, day: date) -> str:
        secret = settings.CLICK_DEDUP_SECRET or settings.SECRET_KEY
        value = f"{day.isoformat()}|{address}|{user_agent[:512]}"
        return salted_hmac(self.salt, value, secret=secret, algorithm="sha256").hexdigest()[:32]

    # --- on the request path ----------------------------------------------------------------
    def visit(self, *, subject_id: int, address: str, user_agent: str) -> int | None:
        """Count this visitor for today (bots are not counted: None). Returns today's distinct
        visitors of the subject, this one included, when it comes at no extra cost (Redis);
        else None (`today` tells)."""
        if is_bot(user_agent):
            return None
        day = timezone.localdate()
        visitor = self.visitor_hash(address, user_agent, day)
        counted = self._redis_add(subject_id, day, visitor)
        if counted is not None:
            return counted
        mark = apps.get_model(self.mark_model)
        mark.objects.bulk_create(
            [mark(**{f"{self.subject}_id": subject_id, "day": day, "visitor": visitor})],
            ignore_conflicts=True,
        )
        return None

    def _redis_add(self, subject_id: int, day: date, visitor: str) -> int | None:
        client = _redis()
        if client is None:
            return None
        import redis

        ttl = REDIS_TTL_DAYS * 86400
        key, dirty = self._visitors_key(subject_id, day), self._dirty_key(day)
        try:
            pipe = client.pipeline(transaction=False)
            pipe.sadd(key, visitor)
            pipe.expire(key, ttl)
            pipe.sadd(dirty, subject_id)
            pipe.expire(dirty, ttl)
            pipe.scard(key)
            return int(pipe.execute()[-1])
        except redis.RedisError:
            logger.warning("Redis did not take a visit to %s; counting it in the database",
                           self.name, exc_info=True)
            return None

    # --- reads --------------------------------------------------------------------------------
    def today(self, subjects: "list[int] | QuerySet", day: date | None = None) -> dict[int, int]:
        """Distinct visitors of each subject on `day` (default today), live: Redis and the
        mark rows together. `subjects`: ids, or a queryset of the subjects (then the mark rows
        are read with it as a subquery: the same two queries whatever the number)."""
        day = day or timezone.localdate()
        mark = apps.get_model(self.mark_model)
        if isinstance(subjects, QuerySet):
            subject_ids = list(subjects.values_list("pk", flat=True))
            marks = mark.objects.filter(**{f"{self.subject}_id__in": subjects.values("pk")})
        else:
            subject_ids = list(subjects)
            if not subject_ids:
                return {}
            marks = mark.objects.filter(**{f"{self.subject}_id__in": subject_ids})
        counts = dict.fromkeys(subject_ids, 0)
        rows = (marks.filter(day=day).values_list(f"{self.subject}_id")
                .annotate(n=Count("id")).order_by())
        for subject_id, n in rows:
            counts[subject_id] = counts.get(subject_id, 0) + n
        client = _redis()
        if client is not None and subject_ids:
            import redis

            try:
                pipe = client.pipeline(transaction=False)
                for subject_id in subject_ids:
                    pipe.scard(self._visitors_key(subject_id, day))
                for subject_id, n in zip(subject_ids, pipe.execute(), strict=True):
                    counts[subject_id] += int(n)
            except redis.RedisError:
                logger.warning("Redis did not answer today's %s", self.name, exc_info=True)
        return counts

    def redis_counts(self, days: list[date]) -> dict[tuple[int, date], int]:
        """Distinct visitors per (subject, day) held in Redis for these days."""
        client = _redis()
        if client is None:
            return {}
        import redis

        counts: dict[tuple[int, date], int] = {}
        try:
            for day in days:
                subject_ids = sorted(int(x) for x in client.smembers(self._dirty_key(day)))
                if not subject_ids:
                    continue
                pipe = client.pipeline(transaction=False)
                for subject_id in subject_ids:
                    pipe.scard(self._visitors_key(subject_id, day))
                for subject_id, n in zip(subject_ids, pipe.execute(), strict=True):
                    counts[(subject_id, day)] = int(n)
        except redis.RedisError:
            logger.warning("Redis did not answer the %s roll-up", self.name, exc_info=True)
            return {}
        return counts

    # --- the periodic roll-up -------------------------------------------------------------------
    def rollup(self, *, today: date | None = None) -> set[int]:
        """Write the distinct visitors of yesterday and today, per subject, into the daily
        table. Absolute counts, never lowered: idempotent, and safe run twice at once.
        Returns the subjects whose count rose."""
        today = today or timezone.localdate()
        days = [today - timedelta(days=1), today]
        mark = apps.get_model(self.mark_model)
        daily = apps.get_model(self.daily_model)
        subject_id = f"{self.subject}_id"
        counts: dict[tuple[int, date], int] = {}
        rows = (mark.objects.filter(day__in=days).values(subject_id, "day")
                .annotate(n=Count("id")).order_by())
        for row in rows:
            counts[(row[subject_id], row["day"])] = row["n"]
        for key, n in self.redis_counts(days).items():
            counts[key] = counts.get(key, 0) + n
        if not counts:
            return set()
        subject_model = daily._meta.get_field(self.subject).related_model
        alive = set(subject_model.objects.filter(pk__in={k[0] for k in counts})
                    .values_list("pk", flat=True))
        counts = {k: n for k, n in counts.items() if k[0] in alive}
        existing = {
            (getattr(d, subject_id), d.day): d
            for d in daily.objects.filter(day__in=days, **{f"{subject_id}__in": alive})
        }
        new = [daily(**{subject_id: k[0], "day": k[1], self.count_field: n})
               for k, n in counts.items() if k not in existing]
        daily.objects.bulk_create(new, ignore_conflicts=True)
        changed = []
        now = timezone.now()
        for key, n in counts.items():
            row = existing.get(key)
            if row is not None and n > getattr(row, self.count_field):
                # GREATEST in the UPDATE itself: a concurrent roll-up that wrote a higher count
                # since `existing` was read is not lowered
                setattr(row, self.count_field, Greatest(F(self.count_field), Value(n)))
                row.updated_at = now
                changed.append(row)
        daily.objects.bulk_update(changed, [self.count_field, "updated_at"])
        return {getattr(d, subject_id) for d in new} | {getattr(r, subject_id) for r in changed}


CLICKS = VisitorCounter(
    name="clicks", salt="shanhuo.promotion.click-visitor", prefix_setting="CLICK_REDIS_PREFIX",
    mark_model="promotion.Click", daily_model="promotion.ClickDaily", subject="link",
    count_field="clicks",
)
SCANS = VisitorCounter(
    name="scans", salt="shanhuo.producers.scan-visitor", prefix_setting="SCAN_REDIS_PREFIX",
    mark_model="producers.BatchScan", daily_model="producers.BatchScanDaily", subject="batch",
    count_field="visitors",
)
