"""Demo data of the producers app, loaded by `manage.py demo` (idempotent): five farms in real
counties, a dozen listings with photos drawn here by Pillow and sent through the real photo
pipeline, and harvest lots with trace codes.

The county codes are the official GB/T 2260 ones. The township and village codes below 太康县
(城关回族镇 411627100000, 二郎庙村 411627100201) are illustrative: 12-digit codes in the right
shape, not taken from the official statistical list.
"""

import io
import random
from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFilter

from demo import clock
from demo.accounts import DemoAccount, demo_user, ensure_account
from freight import selectors as freight_selectors
from producers import services
from producers.models import Batch, Listing, Producer, Region
from producers.regions import region_get_or_create
from producers.tracecodes import trace_url

PASSWORD = "shanhuo-farmer-2026"

FARMS = [
    {
        "username": "farmer_taikang", "display_name": "李秀英", "name": "秀英家庭农场",
        "kind": "farmer", "county": "411627", "phone": "13700001111",
        "story": "我家在太康县二郎庙村，种了二十多年红薯和小麦。沙土地、黄河水，红薯甜，"
                 "面粉香。鸡在果树下散养，蜂箱放在槐树林边。",
        "listings": [
            {"title": "太康沙地红薯", "category": "vegetables", "unit": "jin", "price": "3.50",
             "stock": 800, "description": "沙土地里长的红心红薯，蒸着吃又面又甜。",
             "growing_method": "农家肥，不打膨大剂", "harvest": ("2026-09-25", "2026-11-20"),
             "art": ("tuber", (196, 84, 98)), "lots": [("2026-10-12", 1200, ["绿色食品"])]},
            {"title": "石磨全麦面粉 5斤装", "category": "flour", "unit": "bag", "price": "45.00",
             "stock": 120, "net_weight_g": 2500, "commission_rate": "0.08",
             "description": "自家小麦，石磨慢磨，保留麦麸和麦香。",
             "growing_method": "冬小麦，一年一季", "harvest": ("2026-06-01", "2026-06-10"),
             "art": ("sack", (232, 210, 160)), "lots": [("2026-06-06", 300, [])]},
            {"title": "散养土鸡蛋 30枚", "category": "eggs", "unit": "box", "price": "58.00",
             "stock": 60, "description": "鸡在果园里跑，吃虫子和玉米，蛋黄颜色深。",
             "art": ("eggs", (222, 180, 135)), "lots": [("2026-11-20", 50, [])]},
            {"title": "槐花蜂蜜", "category": "honey", "unit": "jar", "price": "48.00",
             "stock": 80, "net_weight_g": 500, "commission_rate": "0.12",
             "description": "五月槐花开时摇的蜜，清甜不腻。",
             "harvest": ("2026-05-05", "2026-05-20"), "art": ("jar", (232, 170, 40)),
             "lots": [("2026-05-18", 200, ["农产品质量安全检测合格"])]},
        ],
    },
    {
        "username": "coop_luochuan", "display_name": "洛川果业社", "name": "洛川县苹果专业合作社",
        "kind": "cooperative", "county": "610629", "phone": "09113600000",
        "story": "四十二户果农组成的合作社。黄土高原海拔一千米，昼夜温差大，苹果脆甜。"
                 "统一技术、统一分拣，每一箱都能查到是哪一片果园。",
        # a 10斤 box to 新疆 or 西藏 is not the ¥10 a flat fee says, nor fresh on arrival
        "freight_templates": {"苹果箱": {
            "basis": "weight",
            "rules": [(["610000"], (1, "6.00"), (1, "1.00")),
                      (["110000", "120000", "130000", "140000", "410000"], (1, "8.00"),
                       (1, "2.00"))],
            "default_rule": ((1, "10.00"), (1, "3.00")),
            "free_over": [(["610000"], "199.00")],
            "no_ship": ["650000", "540000"],
        }},
        "listings": [
            {"title": "洛川红富士苹果 10斤礼盒", "category": "apples", "unit": "box",
             "freight_template": "苹果箱",
             "price": "89.00", "stock": 300, "net_weight_g": 5000, "commission_rate": "0.10",
             "description": "80-85果径，套袋种植，现摘现发。", "growing_method": "套袋，有机肥",
             "harvest": ("2026-10-10", "2026-11-15"), "art": ("fruit", (200, 30, 40)),
             "lots": [("2026-10-18", 2000, ["地理标志产品", "绿色食品"]),
                      ("2026-11-02", 1500, ["地理标志产品"])]},
            {"title": "洛川苹果脆片", "category": "dried-goods", "unit": "bag", "price": "25.00",
             "stock": 500, "net_weight_g": 150, "commission_rate": "0.15",
             "description": "低温真空烘焙，不加糖。", "art": ("chips", (245, 215, 150)),
             "lots": [("2026-11-05", 800, [])]},
        ],
    },
    {
        "username": "farmer_xihu", "display_name": "王建国", "name": "王家龙井茶园",
        "kind": "farmer", "county": "330106", "phone": "13900002222",
        "story": "茶园在狮峰山脚下，祖辈都是茶农。清明前手工炒制，一锅只炒二两。",
        "listings": [
            {"title": "明前西湖龙井 250克", "category": "green-tea", "unit": "jar",
             "price": "268.00", "stock": 40, "net_weight_g": 250, "commission_rate": "0.15",
             "description": "一芽一叶初展，手工炒制，豆花香。",
             "growing_method": "手工采摘，手工炒制",
             "harvest": ("2026-03-20", "2026-04-04"), "art": ("leaves", (90, 150, 60)),
             "lots": [("2026-03-28", 60, ["地理标志产品"])]},
            {"title": "九曲红梅红茶", "category": "black-tea", "unit": "jar", "price": "128.00",
             "stock": 30, "net_weight_g": 200, "description": "条索弯曲如钩，汤色红艳。",
             "art": ("leaves", (130, 60, 30)), "lots": [("2026-05-10", 40, [])]},
        ],
    },
    {
        "username": "farmer_ruoqiang", "display_name": "买买提", "name": "买买提红枣园",
        "kind": "farmer", "county": "652824", "phone": "13999003333",
        "story": "若羌在塔克拉玛干沙漠边上，日照长、雨水少，枣子在树上自然挂干。",
        "listings": [
            {"title": "若羌灰枣 2斤", "category": "jujubes", "unit": "bag", "price": "39.90",
             "stock": 400, "net_weight_g": 1000, "commission_rate": "0.20",
             "description": "树上自然挂干，皮薄肉厚。", "harvest": ("2026-09-20", "2026-10-30"),
             "art": ("dates", (150, 25, 30)), "lots": [("2026-10-15", 900, ["绿色食品"])]},
            {"title": "若羌骏枣 特级", "category": "jujubes", "unit": "bag", "price": "59.00",
             "stock": 150, "net_weight_g": 1000, "description": "个大肉厚，可做枣泥。",
             "art": ("dates", (120, 20, 25)), "lots": [("2026-10-20", 300, [])]},
        ],
    },
    {
        "username": "farmer_wuchang", "display_name": "张立新", "name": "张家稻花香",
        "kind": "farmer", "county": "230184", "phone": "13600004444",
        "story": "五常的黑土地，一年只种一季稻。稻花香二号，煮饭时满屋香。",
        "listings": [
            {"title": "五常稻花香大米 10斤", "category": "rice", "unit": "bag", "price": "79.00",
             "stock": 200, "net_weight_g": 5000, "commission_rate": "0.10",
             "description": "当季新米，现碾现发。", "growing_method": "一年一季，稻田养蟹",
             "harvest": ("2026-09-25", "2026-10-10"), "art": ("sack", (245, 245, 235)),
             "lots": [("2026-10-05", 1000, ["地理标志产品"])]},
            {"title": "东北秋木耳", "category": "mushrooms", "unit": "bag", "price": "35.00",
             "stock": 100, "net_weight_g": 250, "description": "椴木秋耳，泡发率高。",
             "art": ("fungus", (40, 30, 30)), "lots": [("2026-09-15", 200, [])]},
        ],
    },
]


# --- Photos drawn with Pillow -----------------------------------------------------------------

def _gradient(size: tuple[int, int], top: tuple, bottom: tuple) -> Image.Image:
    width, height = size
    column = Image.new("RGB", (1, height))
    for y in range(height):
        t = y / (height - 1)
        column.putpixel((0, y), tuple(int(a + (b - a) * t) for a, b in zip(top, bottom,
                                                                            strict=True)))
    return column.resize(size)


def _shade(colour: tuple, factor: float) -> tuple:
    return tuple(max(0, min(255, int(c * factor))) for c in colour)


def draw_photo(art: tuple[str, tuple], seed: int, size=(1200, 900)) -> bytes:
    """A simple, pleasant picture of the goods: a sky-to-field gradient and the produce."""
    motif, colour = art
    rng = random.Random(seed)
    width, height = size
    image = _gradient(size, (250, 244, 228), (222, 206, 170))
    draw = ImageDraw.Draw(image)
    draw.ellipse((-200, height * 0.62, width + 200, height * 1.5), fill=(150, 178, 104))
    shadow = Image.new("L", size, 0)
    shadow_draw = ImageDraw.Draw(shadow)

    def blob(x, y, rx, ry, fill, highlight=True):
        shadow_draw.ellipse((x - rx, y + ry * 0.6, x + rx, y + ry * 1.25), fill=90)
        draw.ellipse((x - rx, y - ry, x + rx, y + ry), fill=fill)
        if highlight:
            draw.ellipse((x - rx * 0.55, y - ry * 0.7, x - rx * 0.1, y - ry * 0.3),
                         fill=_shade(fill, 1.35))

    centre_y = height * 0.62
    if motif in {"fruit", "eggs", "dates", "tuber"}:
        count = {"fruit": 5, "eggs": 9, "dates": 24, "tuber": 4}[motif]
        radius = {"fruit": 130, "eggs": 70, "dates": 42, "tuber": 80}[motif]
        for _ in range(count):
            x = rng.uniform(width * 0.2, width * 0.8)
            y = centre_y + rng.uniform(-90, 90)
            ry = radius * rng.uniform(0.9, 1.1)
            rx = ry * {"fruit": 1.05, "eggs": 0.78, "dates": 0.7, "tuber": 1.9}[motif]
            blob(x, y, rx, ry, _shade(colour, rng.uniform(0.85, 1.1)))
            if motif == "fruit":
                draw.line((x, y - ry, x + 8, y - ry - 40), fill=(90, 60, 30), width=9)
                draw.ellipse((x + 10, y - ry - 50, x + 70, y - ry - 20), fill=(70, 140, 50))
    elif motif in {"sack", "jar"}:
        w, h = (420, 460) if motif == "sack" else (300, 360)
        left, top = (width - w) / 2, centre_y - h * 0.7
        shadow_draw.ellipse((left - 40, top + h - 40, left + w + 40, top + h + 50), fill=110)
        draw.rounded_rectangle((left, top, left + w, top + h), radius=60, fill=colour,
                               outline=_shade(colour, 0.7), width=6)
        if motif == "jar":
            draw.rounded_rectangle((left + 20, top - 60, left + w - 20, top + 10), radius=16,
                                   fill=(180, 60, 40))
            draw.rectangle((left + 40, top + 120, left + w - 40, top + 240), fill=(250, 240, 215))
        else:
            draw.polygon([(left + 60, top), (left + w / 2, top - 70), (left + w - 60, top)],
                         fill=_shade(colour, 0.9))
            draw.ellipse((left + w / 2 - 90, top + 150, left + w / 2 + 90, top + 330),
                         outline=(150, 110, 50), width=8)
        for _ in range(60 if motif == "sack" else 0):
            x = rng.uniform(width * 0.1, width * 0.9)
            y = rng.uniform(height * 0.8, height * 0.95)
            draw.ellipse((x - 9, y - 5, x + 9, y + 5), fill=_shade(colour, 0.92))
    elif motif == "leaves":
        for _ in range(40):
            x = rng.uniform(width * 0.15, width * 0.85)
            y = centre_y + rng.uniform(-150, 120)
            length = rng.uniform(50, 110)
            draw.ellipse((x - length, y - length * 0.3, x + length, y + length * 0.3),
                         fill=_shade(colour, rng.uniform(0.8, 1.25)))
            draw.line((x - length * 0.8, y, x + length * 0.8, y), fill=_shade(colour, 0.6),
                      width=3)
    elif motif in {"chips", "fungus"}:
        for _ in range(30 if motif == "chips" else 22):
            x = rng.uniform(width * 0.15, width * 0.85)
            y = centre_y + rng.uniform(-140, 120)
            r = rng.uniform(45, 85)
            blob(x, y, r, r * 0.8, _shade(colour, rng.uniform(0.85, 1.15)),
                 highlight=motif == "chips")
            if motif == "chips":
                draw.ellipse((x - r * 0.35, y - r * 0.3, x + r * 0.35, y + r * 0.3),
                             outline=(200, 120, 60), width=4)
    shadow = shadow.filter(ImageFilter.GaussianBlur(18))
    image = Image.composite(Image.new("RGB", size, (90, 90, 60)), image,
                            shadow.point(lambda v: v // 2))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


# --- Loading ----------------------------------------------------------------------------------

def _taikang_village() -> Region | None:
    county = Region.objects.filter(code="411627").first()
    if county is None:
        return None
    town = region_get_or_create(parent=county, code="411627100000", name="城关回族镇")
    return region_get_or_create(parent=town, code="411627100201", name="二郎庙村")


def _producer(farm: dict, region: Region) -> Producer:
    user = demo_user(farm["username"])
    producer = Producer.objects.filter(user=user).first()
    if producer is None:
        producer = services.producer_create(
            user=user, name=farm["name"], kind=farm["kind"], region_id=region.pk,
            story=farm["story"], phone=farm["phone"],
        )
    return producer


def _charge(units_and_fee: tuple[int, str]) -> dict:
    return {"units": units_and_fee[0], "fee": Decimal(units_and_fee[1])}


def _freight_templates(producer: Producer, templates: dict[str, dict]) -> None:
    """The farm's freight templates, made once (regions the tree lacks are left out)."""
    for name, spec in templates.items():
        if freight_selectors.templates_of(producer_id=producer.pk).filter(name=name).exists():
            continue
        ids = dict(Region.objects.filter(
            code__in=[code for codes, *_ in spec["rules"] + spec["free_over"] for code in codes]
            + spec["no_ship"]).values_list("code", "pk"))

        def regions(codes: list[str], ids=ids) -> list[int]:
            return [ids[code] for code in codes if code in ids]

        services.freight_template_put(
            producer=producer, name=name, basis=spec["basis"],
            rules=[{"regions": regions(codes), "first": _charge(first), "next": _charge(next_)}
                   for codes, first, next_ in spec["rules"] if regions(codes)],
            default_rule={"first": _charge(spec["default_rule"][0]),
                          "next": _charge(spec["default_rule"][1])},
            free_over=[{"regions": regions(codes), "min_amount": Decimal(amount)}
                       for codes, amount in spec["free_over"] if regions(codes)],
            no_ship=regions(spec["no_ship"]))


def _listing(producer: Producer, spec: dict) -> Listing:
    listing = Listing.objects.filter(producer=producer, title=spec["title"]).first()
    if listing is not None and spec.get("freight_template") and not listing.freight_template_id:
        services.listing_update(listing=listing, freight_template=spec["freight_template"])
    if listing is None:
        harvest = spec.get("harvest") or (None, None)
        rate = spec.get("commission_rate")
        listing = services.listing_create(
            producer=producer, title=spec["title"], category=spec["category"],
            unit=spec["unit"], price=Decimal(spec["price"]), stock=spec["stock"],
            description=spec.get("description", ""), story=spec.get("story", ""),
            growing_method=spec.get("growing_method", ""),
            harvest_start=date.fromisoformat(harvest[0]) if harvest[0] else None,
            harvest_end=date.fromisoformat(harvest[1]) if harvest[1] else None,
            net_weight_g=spec.get("net_weight_g"),
            commission_rate=Decimal(rate) if rate else None, status=Listing.Status.ACTIVE,
            freight_template=spec.get("freight_template"),
        )
    if not listing.images.exists():
        content = draw_photo(spec["art"], seed=listing.pk)
        image = services.listing_image_add(
            listing=listing, file=SimpleUploadedFile("photo.jpg", content, "image/jpeg"),
            size=len(content),
        )
        # Thumbnails now, whether or not a worker is running (the task is idempotent).
        services.listing_image_process(image_id=image.pk)
    for number, (harvested_on, quantity, certifications) in enumerate(spec["lots"], start=1):
        lot_code = f"{harvested_on.replace('-', '')}-{number}"
        if not Batch.objects.filter(listing=listing, lot_code=lot_code).exists():
            harvested = date.fromisoformat(harvested_on)
            # recorded on its harvest day, or when the listing was made if that came later
            with clock.on(max(harvested, timezone.localdate())):
                services.batch_create(
                    listing=listing, harvested_on=harvested,
                    quantity=quantity, lot_code=lot_code, certifications=certifications,
                )
    return listing


def load(*, stdout) -> list[DemoAccount]:
    with clock.days_ago(clock.FARMS_LISTED):
        return _load(stdout=stdout)


def _load(*, stdout) -> list[DemoAccount]:
    accounts = []
    village = _taikang_village()
    for farm in FARMS:
        region = village if farm["county"] == "411627" else Region.objects.filter(
            code=farm["county"]).first()
        if region is None:
            stdout.write(f"Producers: region {farm['county']} missing (load_regions first).")
            continue
        accounts.append(ensure_account(farm["username"], PASSWORD,
                                       display_name=farm["display_name"], role="producer"))
        producer = _producer(farm, region)
        _freight_templates(producer, farm.get("freight_templates", {}))
        for spec in farm["listings"]:
            _listing(producer, spec)
    usernames = [farm["username"] for farm in FARMS]
    listings = Listing.objects.filter(producer__user__username__in=usernames)
    batch = Batch.objects.filter(listing__in=listings).order_by("id").first()
    stdout.write(f"Producers: {len(accounts)} farms, {listings.count()} listings, "
                 f"{Batch.objects.filter(listing__in=listings).count()} harvest lots.")
    if batch is not None:
        stdout.write(f"  A trace page: {trace_url(batch.trace_code)}  (QR: /qr.png after it)")
    return accounts
