"""Every write of the freight app: a farm's template saved whole (PUT) or deleted.

The caller names the farm by id and hands over a `RegionBook` (freight.regions): freight checks
a template against the region tree without reading it itself. Whether listings use a template
is for the caller to say (it owns the listings); here a template's row is locked first, so a
listing naming it waits or sees it whole.
"""

from decimal import Decimal
from typing import Any

from django.db import transaction

from freight.models import FreightTemplate
from freight.regions import Area, RegionBook, uncovered
from marketplace.errors import NotFound, ValidationFailed
from marketplace.money import finer_than_cent
from marketplace.sql import insert_unless_taken

NAME_MAX = 64
MAX_UNITS = 100_000  # kilograms or pieces in a rule's step, a free-over count
MAX_FEE = Decimal("100000")  # yuan: a step's fee, a free-over amount, stay below this
MAX_RULES = 100
MAX_REGIONS = 500  # regions named in one list (a rule's, a free-over's, no_ship)


def _name_error(name: str) -> str | None:
    if not name:
        return "A name is required."
    if len(name) > NAME_MAX:
        return f"A name has at most {NAME_MAX} characters."
    if "/" in name or any(ord(c) < 0x20 or c == "\x7f" for c in name):
        return "A name cannot hold '/' or control characters."
    return None


def _amount_error(value: Any, *, positive: bool) -> str | None:
    if not isinstance(value, Decimal) or not value.is_finite():
        return "An amount in yuan, e.g. \"8.00\"."
    if value < 0 or (positive and value == 0):
        return "Must be more than 0." if positive else "A fee cannot be negative."
    if value >= MAX_FEE:
        return f"Must be below {MAX_FEE}."
    if finer_than_cent(value):
        return "At most two decimal places (fen)."
    return None


def _count_error(value: Any) -> str | None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_UNITS:
        return f"A whole number from 1 to {MAX_UNITS}."
    return None


def _fen(value: Decimal) -> int:
    return int(value * 100)


class _Check:
    """Collects the errors of a template body by field, and the regions it names."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}
        self.named: list[tuple[str, int]] = []  # (field, region id), in order

    def error(self, field: str, message: str | None) -> None:
        if message and field not in self.errors:
            self.errors[field] = message

    def charge(self, field: str, charge: Any) -> list[int] | None:
        if not isinstance(charge, dict):
            self.error(field, "{units, fee} is required.")
            return None
        self.error(f"{field}.units", _count_error(charge.get("units")))
        self.error(f"{field}.fee", _amount_error(charge.get("fee"), positive=False))
        if f"{field}.units" in self.errors or f"{field}.fee" in self.errors:
            return None
        return [charge["units"], _fen(charge["fee"])]

    def regions(self, field: str, ids: Any, *, required: bool) -> list[int]:
        if not isinstance(ids, list | tuple) or not all(
                isinstance(i, int) and not isinstance(i, bool) for i in ids):
            self.error(field, "A list of region ids.")
            return []
        if required and not ids:
            self.error(field, "Name at least one region.")
        if len(ids) > MAX_REGIONS:
            self.error(field, f"At most {MAX_REGIONS} regions.")
            return []
        self.named.extend((f"{field}.{n}", region_id) for n, region_id in enumerate(ids))
        return list(ids)


def _rules(check: _Check, rules: Any) -> list[dict]:
    if not isinstance(rules, list | tuple) or len(rules) > MAX_RULES:
        check.error("rules", f"A list of at most {MAX_RULES} rules.")
        return []
    out = []
    for n, rule in enumerate(rules):
        rule = rule if isinstance(rule, dict) else {}
        out.append({"regions": check.regions(f"rules.{n}.regions", rule.get("regions"),
                                             required=True),
                    "first": check.charge(f"rules.{n}.first", rule.get("first")),
                    "next": check.charge(f"rules.{n}.next", rule.get("next"))})
    return out


def _default(check: _Check, default_rule: Any) -> dict | None:
    if default_rule is None:
        return None
    if not isinstance(default_rule, dict):
        check.error("default_rule", "{first, next} or null.")
        return None
    return {"first": check.charge("default_rule.first", default_rule.get("first")),
            "next": check.charge("default_rule.next", default_rule.get("next"))}


def _free_over(check: _Check, entries: Any) -> list[dict]:
    if not isinstance(entries, list | tuple) or len(entries) > MAX_RULES:
        check.error("free_over", f"A list of at most {MAX_RULES} entries.")
        return []
    out, everywhere = [], 0
    for n, entry in enumerate(entries):
        entry = entry if isinstance(entry, dict) else {}
        field = f"free_over.{n}"
        amount, count = entry.get("min_amount"), entry.get("min_units")
        if (amount is None) == (count is None):
            check.error(field, "Give either min_amount or min_units.")
        elif amount is not None:
            check.error(f"{field}.min_amount", _amount_error(amount, positive=True))
        else:
            check.error(f"{field}.min_units", _count_error(count))
        regions = check.regions(f"{field}.regions", entry.get("regions", []), required=False)
        if not regions:
            everywhere += 1
            if everywhere > 1:
                check.error(f"{field}.regions", "Only one entry may hold everywhere (no regions).")
        out.append({"regions": regions,
                    "min_fen": _fen(amount) if isinstance(amount, Decimal) and amount.is_finite()
                    else None,
                    "min_units": count if amount is None else None})
    return out


def _regions_checked(check: _Check, book: RegionBook) -> dict[int, Area]:
    """Every region named exists, and none is named twice across rules and no_ship, or twice
    across free_over entries."""
    found = book.find({region_id for _field, region_id in check.named})
    seen: dict[tuple[bool, int], str] = {}
    for field, region_id in check.named:
        if region_id not in found:
            check.error(field, "No such region.")
            continue
        key = (field.startswith("free_over."), region_id)
        if key in seen:
            check.error(field, f"This region is named already ({seen[key]}).")
        seen.setdefault(key, field)
    return found


def _served_somewhere(check: _Check, areas: dict[int, Area], document: dict,
                      book: RegionBook) -> None:
    """A rule or free-over inside a region not served would never apply; no_ship is never the
    whole country; without a default, the rules and no_ship cover every region."""
    no_ship = [areas[i] for i in document["no_ship"]]
    for field, region_id in check.named:
        if field.startswith("no_ship."):
            continue
        inside = next((n for n in no_ship if areas[region_id].within(n)), None)
        if inside is not None:
            check.error(field, f"It lies in {inside.path}, which is not served: it would never "
                               "apply.")
    if no_ship and not uncovered(no_ship, book, most=1):
        check.error("no_ship", "A template must send somewhere: these regions are the whole "
                               "country.")
    if document["default"] is None and not check.errors:
        named = [areas[i] for rule in document["rules"] for i in rule["regions"]] + no_ship
        missing = uncovered(named, book)
        if missing:
            check.error("default_rule",
                        "No rule covers " + "、".join(a.path for a in missing)
                        + (" and more" if len(missing) >= 5 else "")
                        + ": add a default rule, or rules or no_ship for them.")


def template_check(*, name: str, basis: str, rules: Any, default_rule: Any, free_over: Any,
                   no_ship: Any, book: RegionBook) -> dict[str, Any]:
    """The template's stored document, or 422 with every bad field. See FreightTemplate."""
    check = _Check()
    check.error("name", _name_error(name))
    if basis not in FreightTemplate.Basis.values:
        check.error("basis", f"Must be one of: {', '.join(FreightTemplate.Basis.values)}.")
    document = {
        "rules": _rules(check, rules),
        "default": _default(check, default_rule),
        "free_over": _free_over(check, free_over),
        "no_ship": check.regions("no_ship", no_ship if no_ship is not None else [],
                                 required=False),
    }
    areas = _regions_checked(check, book)
    if not check.errors:
        _served_somewhere(check, areas, document, book)
    if check.errors:
        raise ValidationFailed(check.errors)

    def pairs(ids: list[int]) -> list[list]:
        return [[i, areas[i].code] for i in ids]

    for rule in document["rules"]:
        rule["regions"] = pairs(rule["regions"])
    for entry in document["free_over"]:
        entry["regions"] = pairs(entry["regions"])
    document["no_ship"] = pairs(document["no_ship"])
    return document


def template_lock(*, producer_id: int, name: str) -> FreightTemplate:
    """The farm's template of this name, its row locked for the rest of the transaction; 404
    if the farm has none (another farm's of the same name is not its)."""
    template = (FreightTemplate.objects.select_for_update()
                .filter(producer_id=producer_id, name=name).first())
    if template is None:
        raise NotFound("No freight template of yours has this name.",
                       code="freight_template_not_found")
    return template


@transaction.atomic
def template_put(*, producer_id: int, name: str, basis: str, rules: Any,
                 default_rule: Any = None, free_over: Any = (), no_ship: Any = (),
                 book: RegionBook) -> tuple[FreightTemplate, bool]:
    """Save the farm's template `name` whole, made or replaced: (the template, True if it was
    made). A replaced template's row is locked first. 422 with every bad field."""
    name = (name or "").strip()
    document = template_check(name=name, basis=basis, rules=rules, default_rule=default_rule,
                              free_over=free_over, no_ship=no_ship, book=book)
    template = (FreightTemplate.objects.select_for_update()
                .filter(producer_id=producer_id, name=name).first())
    if template is None:
        template = FreightTemplate(producer_id=producer_id, name=name, basis=basis,
                                   document=document)
        if insert_unless_taken(template, unique=["producer", "name"]):
            return template, True
        template = template_lock(producer_id=producer_id, name=name)  # made meanwhile
    template.basis, template.document = basis, document
    template.save(update_fields=["basis", "document", "updated_at"])
    return template, False


def template_delete(*, template: FreightTemplate) -> None:
    """Delete a template no listing names (the caller checked, with its row locked)."""
    template.delete()
