"""Every read of the freight app: a farm's templates, and a template as the API shows it."""

from typing import Any

from django.db.models import QuerySet

from freight.fees import to_yuan
from freight.models import FreightTemplate
from freight.regions import Area
from marketplace.errors import NotFound
from marketplace.schemas import CURRENCY


def templates_of(*, producer_id: int) -> QuerySet[FreightTemplate]:
    return FreightTemplate.objects.filter(producer_id=producer_id)


def template_of(*, producer_id: int, name: str) -> FreightTemplate:
    """The farm's template of this name; 404 if it has none."""
    template = templates_of(producer_id=producer_id).filter(name=name).first()
    if template is None:
        raise NotFound("No freight template of yours has this name.",
                       code="freight_template_not_found")
    return template


def template_for_listing(*, producer_id: int, name: str | None = None,
                         template_id: int | None = None) -> FreightTemplate | None:
    """The farm's template a listing names (by `name`, or the one it has by `template_id`),
    its row locked for the rest of the transaction, so that it is neither deleted nor changed
    under the listing; None if the farm has no such template."""
    templates = templates_of(producer_id=producer_id).select_for_update()
    if template_id is not None:
        return templates.filter(pk=template_id).first()
    return templates.filter(name=name).first()


def region_ids(document: dict[str, Any]) -> set[int]:
    """Every region a template's document names."""
    pairs = [*document.get("no_ship", ())]
    for part in (*document.get("rules", ()), *document.get("free_over", ())):
        pairs.extend(part["regions"])
    return {region_id for region_id, _code in pairs}


def _charge(pair: list[int]) -> dict[str, Any]:
    units, fen = pair
    return {"units": units, "fee": to_yuan(fen)}


def _ids(pairs: list) -> list[int]:
    return [region_id for region_id, _code in pairs]


def template_view(template: FreightTemplate, areas: dict[int, Area]) -> dict[str, Any]:
    """The template as FreightTemplateOut: what was PUT (regions by id, fees in yuan), and the
    regions it names with their paths (`areas`: at least those)."""
    document = template.document
    default = document.get("default")
    return {
        "name": template.name,
        "basis": template.basis,
        "rules": [{"regions": _ids(rule["regions"]), "first": _charge(rule["first"]),
                   "next": _charge(rule["next"])} for rule in document["rules"]],
        "default_rule": None if default is None else {
            "first": _charge(default["first"]), "next": _charge(default["next"])},
        "free_over": [{"regions": _ids(entry["regions"]),
                       "min_amount": None if entry["min_fen"] is None
                       else to_yuan(entry["min_fen"]),
                       "min_units": entry["min_units"]} for entry in document["free_over"]],
        "no_ship": _ids(document["no_ship"]),
        "regions": [{"id": area.id, "code": area.code, "path": area.path}
                    for area in sorted((areas[i] for i in region_ids(document) if i in areas),
                                       key=lambda area: area.code)],
        "currency": CURRENCY,
        "created_at": template.created_at,
        "updated_at": template.updated_at,
    }
