"""The one place tests make rows: plain functions with keyword-only arguments and defaults that
make a valid, ordinary thing (an active listing in stock, a ready video). A test states every
value it asserts on, even when it equals the default.

Producers, listings, lots and orders go through the services, so a test never starts from a
state the product cannot reach. Names count up per process, so any two calls make different
accounts. The functions need the database (a `db` or `transactional_db` fixture, or
`pytest.mark.django_db`).
"""

import itertools
from datetime import date
from decimal import Decimal

from accounts.auth import token_issue
from accounts.models import User
from benefit.codes import check_character
from benefit.models import Charity, Project
from checkout import services as checkout_services
from orders.models import Order
from producers import services as producer_services
from producers.categories import categories_load
from producers.models import Batch, Category, Listing, Member, Producer, Region
from producers.regions import _place
from promotion import attribution
from promotion import services as promotion_services
from promotion.models import Link, Promoter, Video
from tests.client import ApiClient

PASSWORD = "a-Strong-pass-123"
_serial = itertools.count(1)

# code, name, level, parent key: 河南省 / 周口市 / 太康县 / 城关回族镇 / 二郎庙村 and
# 浙江省 / 杭州市 / 西湖区.
REGION_TREE = {
    "henan": ("410000", "河南省", "province", None),
    "zhoukou": ("411600", "周口市", "prefecture", "henan"),
    "taikang": ("411627", "太康县", "county", "zhoukou"),
    "town": ("411627100000", "城关回族镇", "township", "taikang"),
    "village": ("411627100201", "二郎庙村", "village", "town"),
    "zhejiang": ("330000", "浙江省", "province", None),
    "hangzhou": ("330100", "杭州市", "prefecture", "zhejiang"),
    "xihu": ("330106", "西湖区", "county", "hangzhou"),
}


def _next() -> int:
    return next(_serial)


# --- Places and categories ---------------------------------------------------------------------

def make_regions() -> dict[str, Region]:
    """The small region tree of REGION_TREE, by key; made on the first call, the same rows after."""
    made: dict[str, Region] = {}
    for key, (code, name, level, parent_key) in REGION_TREE.items():
        region = Region.objects.filter(code=code).first()
        if region is None:
            region = Region(code=code, name=name, level=level)
            _place(region, made[parent_key] if parent_key else None)
            region.save()
        made[key] = region
    return made


def make_categories() -> dict[str, Category]:
    """The shipped category tree (loaded once), by slug."""
    if not Category.objects.exists():
        categories_load()
    return {category.slug: category for category in Category.objects.all()}


# --- Accounts ----------------------------------------------------------------------------------

def make_user(*, username: str | None = None, password: str = PASSWORD, email: str | None = None,
              **fields) -> User:
    """An account that can sign in with `password`; e-mail `<username>@example.com` unless given
    (`email=""` for none)."""
    username = username or f"user{_next()}"
    email = f"{username}@example.com" if email is None else email
    user = User(username=username, email=email, **fields)
    user.set_password(password)
    user.save()
    return user


def client_for(user: User) -> ApiClient:
    """An API client signed in as `user` with a fresh bearer token."""
    raw, _ = token_issue(user=user)
    return ApiClient(token=raw)


# --- Farms and goods ---------------------------------------------------------------------------

def make_producer(*, user: User | None = None, username: str | None = None,
                  name: str | None = None, kind: str = Producer.Kind.FARMER,
                  region: Region | None = None, story: str = "三代人种苹果。") -> Producer:
    """A producer profile (a new account unless `user`), in 二郎庙村 unless `region`."""
    user = user or make_user(username=username or f"farmer{_next()}")
    return producer_services.producer_create(
        user=user, name=name or f"第{user.pk}号果园", kind=kind,
        region_id=(region or make_regions()["village"]).pk, story=story,
    )


def make_listing(*, producer: Producer | None = None, title: str = "红富士苹果",
                 category: str = "apples", unit: str = Listing.Unit.JIN,
                 price: str | Decimal = "12.50", stock: int = 100,
                 status: str = Listing.Status.ACTIVE,
                 commission_rate: str | Decimal | None = None, **fields) -> Listing:
    """A listing (of a new farm unless `producer`): active, 100 in stock, 12.50 a jin, not open
    to promotion unless `commission_rate`. Other fields go to `listing_create` as they are; an
    archived listing is created active and then archived, as its farm would."""
    make_categories()
    archived = status == Listing.Status.ARCHIVED
    listing = producer_services.listing_create(
        producer=producer or make_producer(), title=title, category=category, unit=unit,
        price=Decimal(price), stock=stock,
        status=Listing.Status.ACTIVE if archived else status,
        commission_rate=Decimal(commission_rate) if commission_rate is not None else None,
        **fields,
    )
    if archived:
        producer_services.listing_archive(listing=listing)
        listing.refresh_from_db()
    return listing


def make_batch(*, listing: Listing | None = None, harvested_on: date = date(2026, 10, 1),
               **fields) -> Batch:
    """A harvest lot (of a new listing unless `listing`) with a fresh trace code."""
    return producer_services.batch_create(
        listing=listing or make_listing(), harvested_on=harvested_on, **fields
    )


def make_member(*, producer: Producer, name: str | None = None, phone: str = "",
                **fields) -> Member:
    """A member of the cooperative `producer` (through the service, so a farmer is refused)."""
    return producer_services.member_create(producer=producer, name=name or f"社员{_next()}",
                                           phone=phone, **fields)


# --- Promotion ---------------------------------------------------------------------------------

def make_promoter(*, user: User | None = None, username: str | None = None,
                  display_name: str | None = None) -> Promoter:
    """A promoter profile (a new account unless `user`)."""
    user = user or make_user(username=username or f"creator{_next()}")
    return promotion_services.promoter_create(
        user=user, display_name=display_name or f"山货达人{user.pk}"
    )


VIDEO_PAGES = {
    Video.Platform.BILIBILI: "https://www.bilibili.com/video/{}",
    Video.Platform.DOUYIN: "https://www.douyin.com/video/{}",
    Video.Platform.YOUTUBE: "https://www.youtube.com/watch?v={}",
    Video.Platform.TIKTOK: "https://www.tiktok.com/@shanhuo/video/{}",
    Video.Platform.KUAISHOU: "https://www.kuaishou.com/short-video/{}",
}


def make_video(*, owner: User, external_id: str | None = None,
               kind: str = Video.Kind.PROMO, platform: str = Video.Platform.BILIBILI,
               status: str = Video.Status.READY, source_url: str = "", **fields) -> Video:
    """A video stored as POST /videos leaves one once its details are fetched (nothing is
    fetched here): a ready Bilibili promo unless told; `source_url` is the page's own URL
    unless given (a short link). Other fields (title, thumbnail_url) are stored as they are."""
    external_id = external_id or f"av{_next()}"
    url = VIDEO_PAGES[platform].format(external_id)
    return Video.objects.create(owner=owner, kind=kind, platform=platform,
                                external_id=external_id, status=status, canonical_url=url,
                                source_url=source_url or url, **fields)


def _link_code() -> str:
    """A code in the shape `link_create` draws (CODE_LENGTH letters of CODE_ALPHABET), counted."""
    n, letters = _next(), []
    for _ in range(promotion_services.CODE_LENGTH):
        n, digit = divmod(n, len(promotion_services.CODE_ALPHABET))
        letters.append(promotion_services.CODE_ALPHABET[digit])
    return "".join(letters)


def make_link(*, video: Video, listing: Listing | None = None, batch: Batch | None = None,
              code: str | None = None) -> Link:
    """A tracked link from `video` to a listing or a lot, stored as `link_create` stores one
    (with `code` when the test needs to know it); no rule is checked here."""
    return Link.objects.create(video=video, listing=listing, batch=batch,
                               code=code or _link_code())


# --- Orders ------------------------------------------------------------------------------------

def make_address(*, region: Region | None = None) -> dict:
    """A shipping address in 西湖区 unless `region`, as POST /orders takes it."""
    return {"recipient": "王小明", "phone": "13800138000",
            "region_id": (region or make_regions()["xihu"]).pk, "detail": "文三路 90 号 3 幢 502"}


def promo_visit(code: str) -> str:
    """What the app sends back as `promo_visit` after its buyer tapped the share link `code`:
    the signed visit /p/{code} hands over (the click itself is not counted here)."""
    link = Link.objects.filter(code=code).first()
    return attribution.visit_issue(link_id=link.pk) if link is not None else ""


def make_order(*, buyer: User | None = None, lines: list[tuple[Listing, int]] | None = None,
               promo_code: str = "", note: str = "", clicked: bool = True) -> Order:
    """An order placed through the service: `lines` as (listing, quantity), one of a new
    listing unless given; unpaid. With `promo_code`, after a click of that link unless
    `clicked=False`."""
    lines = lines or [(make_listing(), 1)]
    return checkout_services.order_place(
        buyer=buyer or make_user(),
        lines=[{"listing_id": listing.pk, "quantity": quantity} for listing, quantity in lines],
        shipping_address=make_address(), promo_code=promo_code, note=note,
        promo_visit=promo_visit(promo_code) if promo_code and clicked else "",
    )


# --- Public benefit ------------------------------------------------------------------------------

def registration_code(*, seed: int | None = None) -> str:
    """A valid 18-character unified social credit code of a social organisation (53...), its
    check character computed per GB 32100-2015; a new one per call unless `seed`."""
    first17 = f"531000005{(seed if seed is not None else _next()) % 10**8:08d}"
    return first17 + check_character(first17)


def make_charity(*, name: str = "河南省乡村儿童助学基金会", members: list[User] = (),
                 registration_code_: str | None = None) -> Charity:
    """A charity as staff register it in the admin, with `members` (its people on site)."""
    charity = Charity.objects.create(name=name,
                                     registration_code=registration_code_ or registration_code())
    charity.members.set(members)
    return charity


def make_project(*, charity: Charity | None = None, title: str = "二郎庙村小学免费午餐",
                 region: Region | None = None, goal_amount: str = "50000.00",
                 status: str = Project.Status.ACTIVE, starts_on: date = date(2026, 9, 1),
                 ends_on: date | None = None, story: str = "孩子们中午有一顿热饭。") -> Project:
    """A charity's project in 二郎庙村 unless `region`, active unless told."""
    return Project.objects.create(
        charity=charity or make_charity(), title=title,
        region=region or make_regions()["village"], goal_amount=Decimal(goal_amount),
        status=status, starts_on=starts_on, ends_on=ends_on, story=story)


# --- Sellers and certificates ------------------------------------------------------------------

def resident_id(*, seed: int | None = None, born: str = "19780512") -> str:
    """A valid 18-digit resident identity number (太康县, born `born`), its check character
    computed per ISO 7064 MOD 11-2; a new one per call unless `seed`."""
    from certificates.idnumbers import id_check_character

    first17 = f"411627{born}{(seed if seed is not None else _next()) % 1000:03d}"
    return first17 + id_check_character(first17)


def company_credit_code(*, seed: int | None = None) -> str:
    """A valid unified social credit code of a company (91...), per GB 32100-2015."""
    first17 = f"914116270{(seed if seed is not None else _next()) % 10**8:08d}"
    return first17 + check_character(first17)


def pdf_bytes() -> bytes:
    """The smallest file that starts as a PDF does (what the upload checks sniff)."""
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
