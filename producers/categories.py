"""The kinds of goods Shanhuo sells: (slug, name, parent slug). Loaded by `manage.py demo`."""

from django.db import transaction

from producers.models import Category

CATEGORIES: list[tuple[str, str, str | None]] = [
    ("fruit", "水果", None),
    ("apples", "苹果", "fruit"),
    ("pears", "梨", "fruit"),
    ("citrus", "柑橘", "fruit"),
    ("kiwifruit", "猕猴桃", "fruit"),
    ("cherries", "樱桃", "fruit"),
    ("vegetables", "蔬菜", None),
    ("grain-and-oil", "粮油", None),
    ("rice", "大米", "grain-and-oil"),
    ("flour", "面粉", "grain-and-oil"),
    ("edible-oil", "食用油", "grain-and-oil"),
    ("tea", "茶叶", None),
    ("green-tea", "绿茶", "tea"),
    ("black-tea", "红茶", "tea"),
    ("mushrooms", "菌菇", None),
    ("honey", "蜂蜜", None),
    ("meat-and-eggs", "肉禽蛋", None),
    ("eggs", "鸡蛋", "meat-and-eggs"),
    ("dried-goods", "干货坚果", None),
    ("jujubes", "红枣", "dried-goods"),
    ("walnuts", "核桃", "dried-goods"),
    ("aquatic", "水产", None),
    ("handicrafts", "手工艺品", None),
]


def category_lineage(parent: Category | None, slug: str) -> str:
    """"/fruit/apples/": the `category` filter matches this prefix for sub-categories."""
    return f"{parent.lineage if parent else '/'}{slug}/"


@transaction.atomic
def categories_load() -> int:
    """Create or update the category tree. Idempotent; returns how many were created."""
    created = 0
    by_slug: dict[str, Category] = {}
    for position, (slug, name, parent_slug) in enumerate(CATEGORIES):
        parent = by_slug[parent_slug] if parent_slug else None
        lineage = category_lineage(parent, slug)
        category, was_created = Category.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "parent": parent, "lineage": lineage, "position": position},
        )
        created += was_created
        by_slug[slug] = category
    return created
