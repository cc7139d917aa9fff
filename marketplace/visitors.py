"""Distinct visitors per subject per day: clicks on share links, scans of trace labels.

One mechanism for every such counter, so that a look costs no database write and counting
can be made exact in one place:

- A visitor is `HMAC(secret, day | network | agent slot)`, cut to 32 hex characters: the
  network is the client address (IPv4 /32, IPv6 /64: one subscriber's whole prefix), and the
  user agent only picks one of VISITOR_AGENTS_PER_ADDRESS slots (a hash of it, modulo), so a
  household behind one address counts as a few visitors at most and rotating user agents
  from one address buys no more than that (hardening round three, item 3). The same person on
  the same day is one visitor, the next day a new one; the address itself is never stored.
  Crawlers and link-preview fetchers are not visitors (`is_bot`).
- The mark rows (one per subject, day and visitor, unique) are the truth; Redis is a buffer
  in front of them. With CLICK_REDIS_URL (default: REDIS_URL) a visit is one round trip
  (MULTI/EXEC): SADD of the visitor to the subject's set for the day, of "subject:visitor" to
  the day's set of visitors not yet copied into mark rows ("new"), of the subject to the day's
  "dirty" set (all three expire after REDIS_TTL_DAYS), and SCARD, which gives today's count
  back at no extra cost.
- Without Redis, or when it does not answer, the visit is one INSERT ... ON CONFLICT DO
  NOTHING of a mark row, `synced` false: Redis has not seen it.
- `rollup` (a periodic task, every minute) merges the two by visitor, for yesterday and today:
  (1) the unsynced mark rows go into Redis and become synced; (2) in one atomic look at Redis,
  each subject's set size is read and the "new" visitors are taken, then written as synced
  mark rows; (3) a subject whose set holds more visitors than its mark rows (a roll-up died
  holding taken visitors) has its whole set copied into mark rows, and one whose set holds
  fewer (Redis restarted empty, or lost the key) gets all its mark rows put back into it;
  (4) the daily table gets COUNT(mark rows): exact distinct visitors, never lowered, so running
  it twice, or twice at once, changes nothing. Mark rows older than MARKS_KEPT_DAYS go.
- What people see is the rolled-up days plus today's live count (`today`): the set's size
  plus the unsynced mark rows (exact once a roll-up has run since an outage ended); while
  Redis does not answer, every mark row of the day; and when Redis restarted empty since the
  last roll-up (the "merged" key it leaves is gone), every mark row plus the new set's size
  (a visitor back after the restart counted twice, until the roll-up).

The interface, for every counter: `visit`, `today`, `rollup`.
"""

import hashlib
import ipaddress
import logging
import re
import uuid
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
# Mark rows are read for yesterday and today only; kept a week for staff to look at.
MARKS_KEPT_DAYS = 7
# Visitors moved between Redis and the database at a time.
CHUNK = 5000

_VISITOR = re.compile(r"[0-9a-f]{32}")

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


def network_of(address: str) -> str:
    """The network a client address stands for: an IPv4 address itself, an IPv6 address's /64
    (one subscriber gets a whole /64 and may rotate through it), an IPv4-mapped IPv6 address
    as its IPv4 address. Anything else as given."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address[:100]
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def agent_slot(user_agent: str) -> int:
    """Which of the VISITOR_AGENTS_PER_ADDRESS slots of its address a user agent takes."""
    digest = hashlib.sha256(user_agent[:512].encode(errors="replace")).digest()
    return int.from_bytes(digest[:8], "big") % settings.VISITOR_AGENTS_PER_ADDRESS


def _redis():
    url = settings.CLICK_REDIS_URL
    return redis_client(url, timeout=0.25) if url else None


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass(frozen=True)
class VisitorCounter:
    """Distinct visitors of one kind of subject. `mark_model` holds one row per
    (subject, day, visitor), `synced` once Redis holds it too; `daily_model` the rolled-up
    counts."""

    name: str
    salt: str
    prefix_setting: str  # the setting naming the Redis key prefix
    mark_model: str  # "app.Model" with fields <subject>, day, visitor, synced
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

    def _new_key(self, day: date) -> str:
        return f"{self._prefix}:new:{day.isoformat()}"

    def _merged_key(self, day: date) -> str:
        return f"{self._prefix}:merged:{day.isoformat()}"

    def visitor_hash(self, address: str, user_agent: str, day: date) -> str:
        secret = settings.CLICK_DEDUP_SECRET or settings.SECRET_KEY
        value = f"{day.isoformat()}|{network_of(address)}|{agent_slot(user_agent)}"
        return salted_hmac(self.salt, value, secret=secret, algorithm="sha256").hexdigest()[:32]

    @property
    def _marks(self):
        return apps.get_model(self.mark_model).objects

    @property
    def _subject_id(self) -> str:
        return f"{self.subject}_id"

    # --- on the request path ----------------------------------------------------------------
    def visit(self, *, subject_id: int, address: str, user_agent: str) -> int | None:
        """Count this visitor for today (bots are not counted: None). Returns today's distinct
        visitors of the subject in Redis, this one included, when it comes at no extra cost;
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
            [mark(**{self._subject_id: subject_id, "day": day, "visitor": visitor})],
            ignore_conflicts=True,
        )
        return None

    def _redis_add(self, subject_id: int, day: date, visitor: str) -> int | None:
        client = _redis()
        if client is None:
            return None
        import redis

        ttl = REDIS_TTL_DAYS * 86400
        key, new, dirty = (self._visitors_key(subject_id, day), self._new_key(day),
                           self._dirty_key(day))
        try:
            # MULTI/EXEC (still one round trip): the roll-up never sees a visitor in the set
            # and not yet among the new ones
            pipe = client.pipeline(transaction=True)
            pipe.sadd(key, visitor)
            pipe.expire(key, ttl)
            pipe.sadd(new, f"{subject_id}:{visitor}")
            pipe.expire(new, ttl)
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
        """Distinct visitors of each subject on `day` (default today), live: the Redis set and
        the mark rows Redis has not seen yet, or, without an answer from Redis, every mark row.
        `subjects`: ids, or a queryset of the subjects (then the mark rows are read with it as
        a subquery: the same two queries whatever the number)."""
        day = day or timezone.localdate()
        if isinstance(subjects, QuerySet):
            subject_ids = list(subjects.values_list("pk", flat=True))
            marks = self._marks.filter(**{f"{self._subject_id}__in": subjects.values("pk")})
        else:
            subject_ids = list(subjects)
            if not subject_ids:
                return {}
            marks = self._marks.filter(**{f"{self._subject_id}__in": subject_ids})
        counts = dict.fromkeys(subject_ids, 0)
        live = self._redis_sizes(subject_ids, day)
        if live is not None:
            sizes, merged = live
            if merged:  # the roll-up has put every synced mark row into the sets
                marks = marks.filter(synced=False)
            for subject_id, n in sizes.items():
                counts[subject_id] += n
        rows = (marks.filter(day=day).values_list(self._subject_id)
                .annotate(n=Count("id")).order_by())
        for subject_id, n in rows:
            counts[subject_id] = counts.get(subject_id, 0) + n
        return counts

    def _redis_sizes(self, subject_ids: list[int], day: date
                     ) -> tuple[dict[int, int], bool] | None:
        """Each subject's Redis set size for the day, and whether the roll-up has merged the
        day into this Redis (no: it restarted empty since, or no roll-up has run today). None
        without Redis or an answer."""
        client = _redis()
        if client is None:
            return None
        import redis

        try:
            pipe = client.pipeline(transaction=False)
            for subject_id in subject_ids:
                pipe.scard(self._visitors_key(subject_id, day))
            pipe.exists(self._merged_key(day))
            *sizes, merged = pipe.execute()
        except redis.RedisError:
            logger.warning("Redis did not answer today's %s", self.name, exc_info=True)
            return None
        return {s: int(n) for s, n in zip(subject_ids, sizes, strict=True)}, bool(merged)

    # --- the periodic roll-up -------------------------------------------------------------------
    def rollup(self, *, today: date | None = None) -> set[int]:
        """Merge Redis and the mark rows by visitor for yesterday and today, then write the
        distinct visitors per subject into the daily table. Absolute counts, never lowered:
        idempotent, and safe run twice at once. Returns the subjects whose count rose."""
        today = today or timezone.localdate()
        days = [today - timedelta(days=1), today]
        client = _redis()
        if client is not None:
            import redis

            try:
                for day in days:
                    self._merge(client, day)
            except redis.RedisError:
                logger.warning("Redis did not answer the %s roll-up; the mark rows are "
                               "counted as they are", self.name, exc_info=True)
        self._marks.filter(day__lt=today - timedelta(days=MARKS_KEPT_DAYS)).delete()
        return self._write_daily(days)

    def _alive(self, subject_ids) -> set[int]:
        daily = apps.get_model(self.daily_model)
        subject_model = daily._meta.get_field(self.subject).related_model
        return set(subject_model.objects.filter(pk__in=set(subject_ids))
                   .values_list("pk", flat=True))

    def _insert_synced(self, day: date, pairs: list[tuple[int, str]]) -> None:
        """Mark rows for visitors Redis holds (ON CONFLICT DO NOTHING); subjects deleted since
        are left out."""
        mark = apps.get_model(self.mark_model)
        for chunk in _chunks(pairs):
            alive = self._alive(s for s, _ in chunk)
            mark.objects.bulk_create(
                [mark(**{self._subject_id: s, "day": day, "visitor": v, "synced": True})
                 for s, v in chunk if s in alive],
                ignore_conflicts=True,
            )

    def _merge(self, client, day: date) -> None:
        ttl = REDIS_TTL_DAYS * 86400
        dirty = self._dirty_key(day)

        # (1) what the database counted while Redis was away goes into Redis
        last = 0
        while True:
            rows = list(self._marks.filter(day=day, synced=False, id__gt=last).order_by("id")
                        .values_list("id", self._subject_id, "visitor")[:CHUNK])
            if not rows:
                break
            pipe = client.pipeline(transaction=False)
            for _, subject_id, visitor in rows:
                pipe.sadd(self._visitors_key(subject_id, day), visitor)
                pipe.expire(self._visitors_key(subject_id, day), ttl)
                pipe.sadd(dirty, subject_id)
            pipe.expire(dirty, ttl)
            pipe.execute()
            self._marks.filter(id__in=[r[0] for r in rows], synced=False).update(synced=True)
            last = rows[-1][0]

        # (2) one atomic look: each set's size, and the visitors not yet copied, taken
        subject_ids = sorted(int(s) for s in client.smembers(dirty))
        taken = f"{self._new_key(day)}:taken:{uuid.uuid4().hex}"
        pipe = client.pipeline(transaction=True)
        for subject_id in subject_ids:
            pipe.scard(self._visitors_key(subject_id, day))
        pipe.sunionstore(taken, [self._new_key(day)])
        pipe.delete(self._new_key(day))
        pipe.expire(taken, ttl)
        sizes = pipe.execute()[:len(subject_ids)]
        in_redis = {s: int(n) for s, n in zip(subject_ids, sizes, strict=True)}
        try:
            while members := client.spop(taken, CHUNK):
                pairs = []
                for member in members:
                    subject, _, visitor = member.decode().partition(":")
                    if subject.isdigit() and _VISITOR.fullmatch(visitor):
                        pairs.append((int(subject), visitor))
                try:
                    self._insert_synced(day, pairs)
                except Exception:
                    # the database failed: what was taken is left for the next roll-up
                    client.sadd(self._new_key(day), *members)
                    client.sunionstore(self._new_key(day), [self._new_key(day), taken])
                    raise
        finally:
            client.delete(taken)

        # (3) compare each subject's set with its mark rows
        marked = dict(self._marks.filter(day=day).values_list(self._subject_id)
                      .annotate(n=Count("id")).order_by())
        elsewhere = sorted(set(marked) - set(in_redis))
        if elsewhere:  # mark rows of a subject Redis no longer lists: it lost them
            pipe = client.pipeline(transaction=False)
            for subject_id in elsewhere:
                pipe.scard(self._visitors_key(subject_id, day))
            in_redis.update(zip(elsewhere, map(int, pipe.execute()), strict=True))
        alive = self._alive(in_redis)
        dead = [s for s in in_redis if s not in alive]
        if dead:  # deleted links or lots: nothing to count any more
            client.srem(dirty, *dead)
            client.delete(*(self._visitors_key(s, day) for s in dead))
        for subject_id in sorted(alive):
            size, rows = in_redis[subject_id], marked.get(subject_id, 0)
            key = self._visitors_key(subject_id, day)
            if size > rows:  # visitors taken by a roll-up that died before writing them
                members = [m.decode() for m in client.smembers(key)]
                self._insert_synced(day, [(subject_id, v) for v in members
                                          if _VISITOR.fullmatch(v)])
            elif size < rows:  # Redis restarted empty, or lost the key: put them back
                visitors = list(self._marks.filter(**{self._subject_id: subject_id}, day=day)
                                .values_list("visitor", flat=True))
                pipe = client.pipeline(transaction=False)
                for chunk in _chunks(visitors):
                    pipe.sadd(key, *chunk)
                pipe.expire(key, ttl)
                pipe.sadd(dirty, subject_id)
                pipe.expire(dirty, ttl)
                pipe.execute()
        # the sets hold every mark row of the day now (`today` counts on it)
        client.set(self._merged_key(day), 1, ex=ttl)

    def _write_daily(self, days: list[date]) -> set[int]:
        daily = apps.get_model(self.daily_model)
        subject_id = self._subject_id
        counts: dict[tuple[int, date], int] = {
            (row[subject_id], row["day"]): row["n"]
            for row in (self._marks.filter(day__in=days).values(subject_id, "day")
                        .annotate(n=Count("id")).order_by())
        }
        if not counts:
            return set()

        def read() -> dict:
            return {(getattr(d, subject_id), d.day): d for d in daily.objects.filter(
                day__in=days, **{f"{subject_id}__in": {k[0] for k in counts}})}

        existing = read()
        new = [daily(**{subject_id: k[0], "day": k[1], self.count_field: n})
               for k, n in counts.items() if k not in existing]
        daily.objects.bulk_create(new, ignore_conflicts=True)
        if new:
            existing = read()  # a concurrent roll-up may have written some of them first
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
