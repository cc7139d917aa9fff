"""Generated data for the bench: farms, listings, harvest lots, videos with share links, buyers.

Written with bulk_create in large batches (100,000 listings take seconds, not minutes). Rows are
shaped as the services shape them (search key, region lineage) so that every filter and index
the API relies on is exercised. Deterministic: the same seed gives the same marketplace.
"""

import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

import dj_database_url
import psycopg

# (category slug, product names): what farms in China sell.
PRODUCTS = {
    "apples": ["红富士苹果", "嘎啦苹果", "冰糖心苹果", "花牛苹果"],
    "pears": ["砀山酥梨", "库尔勒香梨", "雪花梨"],
    "citrus": ["赣南脐橙", "沃柑", "砂糖橘", "丑橘"],
    "kiwifruit": ["周至猕猴桃", "红心猕猴桃"],
    "cherries": ["大樱桃", "车厘子"],
    "vegetables": ["铁棍山药", "紫薯", "小米辣", "高山白菜", "土豆"],
    "rice": ["五常大米", "稻花香米", "富硒大米"],
    "flour": ["石磨面粉", "全麦面粉"],
    "edible-oil": ["小榨菜籽油", "山茶油", "花生油"],
    "green-tea": ["明前龙井", "信阳毛尖", "碧螺春"],
    "black-tea": ["祁门红茶", "滇红"],
    "mushrooms": ["香菇", "黑木耳", "羊肚菌"],
    "honey": ["土蜂蜜", "槐花蜜", "枣花蜜"],
    "eggs": ["土鸡蛋", "乌鸡蛋"],
    "jujubes": ["新疆红枣", "灰枣"],
    "walnuts": ["薄皮核桃", "山核桃"],
    "aquatic": ["小龙虾", "大闸蟹"],
    "handicrafts": ["竹编篮", "手工布鞋"],
}
PACKS = ["5斤装", "10斤装", "2.5kg", "礼盒装", "家庭装", "一级果", "500g", "农家自产"]
STORIES = [
    "山坡上的老果园，施农家肥，不打膨大剂。",
    "合作社统一收购，当天采摘当天发货。",
    "海拔八百米，昼夜温差大，口感清甜。",
    "祖辈传下来的手艺，一年只做一季。",
    "村里的留守老人种的，帮他们卖个好价钱。",
]
UNITS = ["kg", "jin", "box", "piece", "bag"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
FARM_KINDS = ["家庭农场", "果园", "合作社", "茶园", "养蜂场", "种植基地"]
PASSWORD = "bench-Pass-2026"


@dataclass
class Marketplace:
    """What the scenarios need to know about the generated data."""

    farm_ids: list[int] = field(default_factory=list)
    province_ids: list[int] = field(default_factory=list)
    county_ids: list[int] = field(default_factory=list)
    listing_ids: list[int] = field(default_factory=list)
    trace_codes: list[str] = field(default_factory=list)
    link_codes: list[str] = field(default_factory=list)
    buyer_tokens: list[str] = field(default_factory=list)
    buyer_ids: list[int] = field(default_factory=list)
    contended_ids: list[int] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def ensure_database(url: str, *, fresh: bool) -> None:
    """Create the bench database (dropped first when `fresh`), connecting to `postgres`."""
    params = dj_database_url.parse(url)
    name = params["NAME"]
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing a database name that is not a plain word: {name!r}")
    conninfo = psycopg.conninfo.make_conninfo(
        host=params.get("HOST") or "127.0.0.1",
        port=params.get("PORT") or 5432,
        user=params.get("USER") or "postgres",
        password=params.get("PASSWORD") or None,
        dbname="postgres",
    )
    try:
        conn = psycopg.connect(conninfo, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise SystemExit(f"PostgreSQL for {url} is not reachable ({exc}); the bench needs it "
                         "(--database-url postgres://...)") from exc
    with conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def prepare_schema() -> None:
    from django.core.management import call_command

    from producers.categories import categories_load

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_regions", no_progress=True, verbosity=0)
    categories_load()


@cache
def _key(text: str) -> str:
    from producers.search import search_key

    return search_key(text)


def search_text(*texts: str) -> str:
    """`producers.search.search_key(*texts)`, built from memoised parts: the key is the parts
    of each text joined by " | " (and lower-cased), so the result is the same, only faster."""
    return " | ".join(k for k in (_key(t) for t in texts) if k)


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


class Filler:
    def __init__(self, seed: int = 2026):
        self.rng = random.Random(seed)
        self.market = Marketplace()
        self._farms: list = []
        self._categories: dict[str, object] = {}

    # --- regions and farms -------------------------------------------------------------------
    def farms(self, count: int) -> None:
        from django.contrib.auth.hashers import make_password

        from accounts.models import User
        from producers.models import Category, Producer, Region

        started = time.perf_counter()
        rng = self.rng
        self._categories = {c.slug: c for c in Category.objects.all()}
        provinces = list(Region.objects.filter(level="province").order_by("code"))
        counties = list(Region.objects.filter(level="county").order_by("code"))
        henan = [c for c in counties if c.code.startswith("41")]
        self.market.province_ids = [p.pk for p in provinces]
        self.market.county_ids = [c.pk for c in counties[:50]]
        password = make_password(PASSWORD)
        users = [
            User(username=f"farm{i:05d}", username_key=f"farm{i:05d}",
                 display_name=f"{rng.choice(SURNAMES)}师傅", password=password)
            for i in range(count)
        ]
        User.objects.bulk_create(users, batch_size=2000)
        users = list(User.objects.filter(username__startswith="farm").order_by("username"))
        producers = []
        for i, user in enumerate(users):
            # A fifth of the farms in 河南 so that a province filter has plenty to show.
            region = rng.choice(henan) if i % 5 == 0 else rng.choice(counties)
            name = f"{region.name}{rng.choice(SURNAMES)}家{rng.choice(FARM_KINDS)}"
            story = rng.choice(STORIES)
            producers.append(Producer(
                user=user, name=name, region=region, story=story, phone="13800000000",
                kind="cooperative" if "合作社" in name else "farmer",
                search_text=search_text(name, story),
            ))
        Producer.objects.bulk_create(producers, batch_size=2000)
        self._farms = list(Producer.objects.select_related("region").order_by("id"))
        self.market.farm_ids = [f.pk for f in self._farms]
        self.market.timings["farms"] = time.perf_counter() - started

    # --- listings -----------------------------------------------------------------------------
    def listings_up_to(self, total: int) -> None:
        """Add listings, spread over every farm, until the catalog holds `total`."""
        from producers.models import Listing

        started = time.perf_counter()
        have = Listing.objects.count()
        with without_secondary_indexes(Listing._meta.db_table):
            self._add_listings(have, total)
        active = Listing.objects.filter(status="active", stock__gt=0).order_by("id")
        self.market.listing_ids = list(active.values_list("id", flat=True)[:1000])
        self.market.timings[f"listings to {total:,}"] = time.perf_counter() - started

    def _add_listings(self, have: int, total: int) -> None:
        from producers.models import Listing

        rng = self.rng
        slugs = list(PRODUCTS)
        batch = []
        for n in range(have, total):
            farm = self._farms[n % len(self._farms)]
            slug = slugs[rng.randrange(len(slugs))]
            product = rng.choice(PRODUCTS[slug])
            title = f"{farm.region.name}{product} {rng.choice(PACKS)}"
            description = f"{product}，{rng.choice(PACKS)}，产地直发。"
            story = rng.choice(STORIES)
            status = rng.choices(["active", "draft", "archived"], weights=[90, 6, 4])[0]
            batch.append(Listing(
                producer=farm, title=title, description=description,
                category=self._categories[slug], unit=rng.choice(UNITS),
                price=Decimal(rng.randrange(300, 30000)) / 100,
                stock=rng.choice([0, rng.randrange(1, 500)]) if n % 7 == 0
                else rng.randrange(1, 500),
                story=story, growing_method="", status=status,
                commission_rate=Decimal("0.10") if n % 3 == 0 else None,
                sales=rng.randrange(0, 5000),
                region_lineage=farm.region.lineage,
                search_text=search_text(title, description, story, farm.name),
                harvest_start=date(2026, 9, 1), harvest_end=date(2026, 10, 15),
            ))
            if len(batch) >= 5000:
                Listing.objects.bulk_create(batch)
                batch = []
        if batch:
            Listing.objects.bulk_create(batch)
        # Spread creation times over a year, as a real catalog has them.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Listing._meta.db_table} SET created_at = now() - "
                "((id * 7919) %% 8760) * interval '1 hour' WHERE id > %s",
                [self._max_listing_id_before(have)],
            )
            # Two photos each, ready, as a farm's listing has them: the card shows the first.
            cursor.execute(
                "INSERT INTO producers_listingimage (listing_id, original, small, medium, width,"
                " height, status, position, created_at) "
                "SELECT l.id, 'listings/2026/10/' || l.id || '-' || p || '.jpg',"
                " 'listings/thumbs/2026/10/' || l.id || '-' || p || '-s.webp',"
                " 'listings/thumbs/2026/10/' || l.id || '-' || p || '-m.webp',"
                " 1200, 900, 'ready', p, now() "
                "FROM producers_listing l CROSS JOIN generate_series(0, 1) p WHERE l.id > %s",
                [self._max_listing_id_before(have)],
            )
            cursor.execute("ANALYZE producers_listingimage")

    @staticmethod
    def _max_listing_id_before(count: int) -> int:
        from producers.models import Listing

        if count == 0:
            return 0
        return Listing.objects.order_by("id").values_list("id", flat=True)[count - 1]

    # --- harvest lots, videos, links --------------------------------------------------------
    def lots_and_links(self, *, lot_share: int = 10, link_share: int = 20) -> None:
        """One active listing in `lot_share` has a harvest lot, one promotable listing in
        `link_share` a promoter's video link: a bigger catalog has proportionally more of both."""
        from accounts.models import User
        from producers.models import Batch, Listing
        from producers.tracecodes import new_trace_code
        from promotion.models import Link, Promoter, Video

        started = time.perf_counter()
        rng = self.rng
        total = Listing.objects.count()
        lots_needed = total // lot_share - Batch.objects.count()
        listings = list(Listing.objects.filter(status="active", batches__isnull=True)
                        .order_by("id")[:max(0, lots_needed)])
        batches = [
            Batch(listing=listing, lot_code=f"L{listing.pk}-2026", trace_code=new_trace_code(),
                  harvested_on=date(2026, 10, 1) - timedelta(days=rng.randrange(60)),
                  quantity=rng.randrange(100, 5000), certifications=["绿色食品"],
                  notes="当季采收")
            for listing in listings
        ]
        Batch.objects.bulk_create(batches, batch_size=5000)

        user, _ = User.objects.get_or_create(username="bench-promoter",
                                             defaults={"display_name": "山货小王"})
        Promoter.objects.get_or_create(user=user, defaults={"display_name": "山货小王"})
        links_needed = total // link_share - Link.objects.count()
        promotable = list(
            Listing.objects.filter(status="active", commission_rate__isnull=False,
                                   video_links__isnull=True)
            .order_by("id")[:max(0, links_needed)]
        )
        first = Video.objects.count()
        videos = [
            Video(owner=user, kind="promo", platform="bilibili",
                  external_id=f"BV1bench{i:06d}",
                  canonical_url=f"https://www.bilibili.com/video/BV1bench{i:06d}",
                  source_url=f"https://www.bilibili.com/video/BV1bench{i:06d}",
                  title=f"开箱视频 {i}", status="ready")
            for i in range(first, first + max(1, len(promotable) // 10))
        ]
        Video.objects.bulk_create(videos)
        Link.objects.bulk_create(
            [Link(video=videos[i % len(videos)], listing=listing, code=random_code(rng))
             for i, listing in enumerate(promotable)],
            batch_size=5000,
        )
        with connection_cursor() as cursor:
            for model in (Batch, Link, Video):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
        self.market.trace_codes = list(
            Batch.objects.order_by("id").values_list("trace_code", flat=True)[:1000])
        self.market.link_codes = list(
            Link.objects.filter(listing__isnull=False).order_by("id")
            .values_list("code", flat=True)[:1000])
        self.market.timings[f"lots and links for {total:,}"] = time.perf_counter() - started

    # --- buyers and the contended listings ---------------------------------------------------
    def buyers(self, count: int) -> None:
        from accounts.auth import token_issue
        from accounts.models import User

        users = [User.objects.create(username=f"buyer{i:03d}", display_name=f"买家{i}")
                 for i in range(count)]
        self.market.buyer_tokens = [token_issue(user=u)[0] for u in users]
        self.market.buyer_ids = [u.pk for u in users]

    def forget_orders(self) -> None:
        """No order left from an earlier step (the probe's, pgbench's): each step starts with
        the buyers' unpaid orders at none, as the one before it did."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE orders_order CASCADE")

    def contended(self, count: int, stock: int) -> None:
        """`count` active listings of as many farms, with `stock` units each."""
        from producers.models import Listing

        ids = []
        for farm in self._farms[:count]:
            listing = Listing.objects.filter(producer=farm, status="active").order_by("id").first()
            ids.append(listing.pk)
        Listing.objects.filter(pk__in=ids).update(stock=stock)
        self.market.contended_ids = ids


@contextmanager
def without_secondary_indexes(table: str):
    """Drop the table's indexes that back no constraint, and build them again at the end: one
    index build over all rows is much faster than keeping every index (the trigram one above
    all) up to date row by row. The table ends with exactly the indexes it had, vacuumed and
    analysed."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = "
            "current_schema() AND i.tablename = %s AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conname = i.indexname AND c.conrelid = %s::regclass)",
            [table, table],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _, definition in indexes:
                cursor.execute(definition)
            # VACUUM too: the fill rewrites every new row once (created_at), and until
            # autovacuum comes by, index scans would wade through the dead versions
            cursor.execute(f'VACUUM ANALYZE "{table}"')


def connection_cursor():
    from django.db import connection

    return connection.cursor()


def random_code(rng: random.Random) -> str:
    """A share-link code of the shape promotion.services makes (its alphabet and length)."""
    from promotion.services import CODE_ALPHABET, CODE_LENGTH

    return "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
