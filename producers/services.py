"""Every write of the producers app. Keyword-only, one transaction each; rules raise domain
errors that the API turns into the error envelope."""

import logging
import re
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, F, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from freight import selectors as freight_selectors
from freight import services as freight_services
from freight.fees import WEIGHT
from freight.models import FreightTemplate
from marketplace import microcache, visitors
from marketplace.errors import (
    Conflict,
    DomainError,
    InvalidState,
    PermissionDenied,
    StorageUnavailable,
    ValidationFailed,
)
from marketplace.money import finer_than_cent, money, rate_rounded
from outbox import enqueue
from producers import images, selectors
from producers.models import (
    Batch,
    BatchScanDaily,
    Category,
    Listing,
    ListingImage,
    Member,
    Producer,
    Region,
)
from producers.regions import FreightRegionBook
from producers.search import search_key
from producers.tasks import make_listing_image_thumbnails as make_listing_image_thumbnails_task
from producers.tracecodes import new_trace_code

logger = logging.getLogger(__name__)

PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,19}$")
LOT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_COMMISSION = Decimal("0.50")
# Listing.price has max_digits=10, decimal_places=2.
MAX_PRICE = Decimal("100000000")
MAX_IMAGES_PER_LISTING = 12
TRACE_CODE_ATTEMPTS = 5
EARLIEST_HARVEST = date(2000, 1, 1)

PRODUCER_FIELDS = {"name", "kind", "region_id", "story", "phone"}
LISTING_FIELDS = {
    "title", "description", "category", "unit", "price", "stock", "origin_region_id", "story",
    "growing_method", "harvest_start", "harvest_end", "net_weight_g", "commission_rate", "status",
    "presale", "freight_template",
}
PRESALE_KEYS = ("closes_at", "ships_from", "ships_by", "expected_quantity")
PRESALE_MAX_AHEAD = timedelta(days=731)


# --- Producers -------------------------------------------------------------------------------

def _producer_check(values: dict[str, Any]) -> dict[str, str]:
    errors = {}
    if not values["name"].strip():
        errors["name"] = "A name is required."
    if values["kind"] not in Producer.Kind.values:
        errors["kind"] = f"Must be one of: {', '.join(Producer.Kind.values)}."
    if not Region.objects.filter(pk=values["region_id"]).exists():
        errors["region_id"] = "No such region."
    if values["phone"] and not PHONE.match(values["phone"]):
        errors["phone"] = "A phone number has 5 to 20 digits, optionally with +, spaces or -."
    return errors


def _producer_search_text(producer: Producer) -> str:
    return search_key(producer.name, producer.story)


@transaction.atomic
def producer_create(
    *, user: User, name: str, kind: str, region_id: int, story: str = "", phone: str = ""
) -> Producer:
    """The producer profile of `user`; one per account (a second is a 409)."""
    if Producer.objects.filter(user=user).exists():
        raise Conflict("This account already has a producer profile.", code="producer_exists")
    values = {"name": name, "kind": kind, "region_id": region_id, "story": story,
              "phone": phone.strip()}
    if errors := _producer_check(values):
        raise ValidationFailed(errors)
    values["name"] = name.strip()
    producer = Producer(user=user, **values)
    producer.search_text = _producer_search_text(producer)
    try:
        with transaction.atomic():
            producer.save()
    except IntegrityError as exc:  # two requests of one account racing
        raise Conflict("This account already has a producer profile.",
                       code="producer_exists") from exc
    return producer


@transaction.atomic
def producer_update(*, producer: Producer, **changes: Any) -> Producer:
    """Change some of name, kind, region_id, story, phone; listings' search keys and region
    follow."""
    microcache.bump("listings")  # the catalog shows it at once
    unknown = set(changes) - PRODUCER_FIELDS
    assert not unknown, f"not updatable: {unknown}"
    if "phone" in changes:
        changes["phone"] = (changes["phone"] or "").strip()
    values = {field: getattr(producer, field) for field in PRODUCER_FIELDS} | changes
    if errors := _producer_check(values):
        raise ValidationFailed(errors)
    values["name"] = values["name"].strip()
    renamed = values["name"] != producer.name
    moved = values["region_id"] != producer.region_id
    for field, value in values.items():
        setattr(producer, field, value)
    producer.search_text = _producer_search_text(producer)
    producer.save()
    if moved:
        producer.region = Region.objects.get(pk=producer.region_id)
        Listing.objects.filter(producer=producer, origin_region__isnull=True).update(
            region_lineage=producer.region.lineage
        )
    if renamed:
        listings = list(Listing.objects.filter(producer=producer))
        for listing in listings:
            listing.producer = producer
            listing.search_text = _listing_search_text(listing)
        Listing.objects.bulk_update(listings, ["search_text"], batch_size=500)
    return producer


@transaction.atomic
def producer_refresh_denormalised(producer: Producer) -> None:
    """After an edit made outside producer_update (the admin): the search keys of the producer
    and of its listings, and the region of listings without an origin."""
    producer.search_text = _producer_search_text(producer)
    Producer.objects.filter(pk=producer.pk).update(search_text=producer.search_text)
    listings = list(Listing.objects.select_related("origin_region").filter(producer=producer))
    for listing in listings:
        listing.producer = producer
        listing_refresh_denormalised(listing)
    Listing.objects.bulk_update(listings, ["search_text", "region_lineage"], batch_size=500)


# --- Listings --------------------------------------------------------------------------------

def presale_closed(listing: Listing, now=None) -> bool:
    """A pre-sale whose ordering has closed."""
    closes_at = listing.presale_closes_at
    return closes_at is not None and closes_at <= (now or timezone.now())


def _presale_errors(presale: dict[str, Any] | None) -> dict[str, str]:
    """The rules of a pre-sale being set: it closes in the future; shipping starts no earlier
    than the day it closes (Asia/Shanghai) and ends no earlier than it starts."""
    if presale is None:
        return {}
    errors = {}
    closes_at, ships_from, ships_by = (presale["closes_at"], presale["ships_from"],
                                       presale["ships_by"])
    if closes_at <= timezone.now():
        errors["presale.closes_at"] = "A pre-sale closes in the future."
    elif closes_at > timezone.now() + PRESALE_MAX_AHEAD:
        errors["presale.closes_at"] = "A pre-sale closes within two years."
    elif ships_from < timezone.localdate(closes_at):
        errors["presale.ships_from"] = "Shipping cannot start before the day the pre-sale closes."
    if ships_by < ships_from:
        errors["presale.ships_by"] = "Shipping cannot end before it starts."
    if not 1 <= presale["expected_quantity"] <= 2_000_000_000:
        errors["presale.expected_quantity"] = "The expected quantity is a whole number, 1 or more."
    return errors


def _presale_columns(presale: dict[str, Any] | None) -> dict[str, Any]:
    return {f"presale_{key}": (presale or {}).get(key) for key in PRESALE_KEYS}

def _price_error(price: Decimal | None) -> str | None:
    if price is None or not price.is_finite() or price <= 0:
        return "The price must be greater than 0."
    if price >= MAX_PRICE:
        return "The price is too large."
    if finer_than_cent(price):
        return "The price has at most two decimal places (fen)."
    return None


def _commission_rate_error(rate: Decimal | None) -> str | None:
    if rate is None:
        return None
    if not rate.is_finite() or not Decimal("0") <= rate <= MAX_COMMISSION:
        return "The commission rate is between 0.00 and 0.50."
    if finer_than_cent(rate):
        return "The commission rate has at most two decimal places."
    return None


def _listing_field_errors(values: dict[str, Any], *, current_status: str | None) -> dict[str, str]:
    """The rules of each field on its own (and of the harvest's two ends together)."""
    errors: dict[str, str | None] = {}
    if not (values["title"] or "").strip():
        errors["title"] = "A title is required."
    errors["price"] = _price_error(values["price"])
    if values["stock"] is None or values["stock"] < 0:
        errors["stock"] = "Stock is a whole number, 0 or more."
    if values["unit"] not in Listing.Unit.values:
        errors["unit"] = f"Must be one of: {', '.join(Listing.Unit.values)}."
    errors["commission_rate"] = _commission_rate_error(values["commission_rate"])
    start, end = values["harvest_start"], values["harvest_end"]
    if start and end and end < start:
        errors["harvest_end"] = "The harvest cannot end before it starts."
    if values["net_weight_g"] is not None and values["net_weight_g"] <= 0:
        errors["net_weight_g"] = "The net weight is a whole number of grams, more than 0."
    if values["status"] not in {Listing.Status.DRAFT, Listing.Status.ACTIVE, current_status}:
        errors["status"] = "Must be draft or active (DELETE archives a listing)."
    return {field: message for field, message in errors.items() if message}


def _listing_template(producer: Producer,
                      value: str | int | None) -> tuple[str | None, FreightTemplate | None]:
    """(error, template): the farm's own freight template the listing names (a name sent, or
    the id of the one it has), its row locked; another farm's name is not the farm's: 422."""
    if value is None:
        return None, None
    template = freight_selectors.template_for_listing(
        producer_id=producer.pk, **({"template_id": value} if isinstance(value, int)
                                    else {"name": value}))
    if template is None:
        return "No freight template of yours has this name.", None
    return None, template


def _listing_references(values: dict[str, Any],
                        producer: Producer) -> tuple[dict[str, str], dict[str, Any]]:
    """The category (a slug, or the object already), the origin region and the freight
    template, looked up."""
    errors: dict[str, str] = {}
    category = values["category"]
    if not isinstance(category, Category):
        category = Category.objects.filter(slug=category).first()
        if category is None:
            errors["category"] = f"No category with the slug {values['category']!r}."
    region = None
    if values["origin_region_id"] is not None:
        region = Region.objects.filter(pk=values["origin_region_id"]).first()
        if region is None:
            errors["origin_region_id"] = "No such region."
    template_error, template = _listing_template(producer, values["freight_template"])
    if template_error:
        errors["freight_template"] = template_error
    return errors, {"category": category, "origin_region": region, "freight_template": template}


def _listing_check(
    values: dict[str, Any], *, producer: Producer, current_status: str | None = None
) -> tuple[dict[str, str], dict[str, Any]]:
    """(errors by field, resolved values: category, origin_region, freight_template, and price
    and commission rate rounded to the fen where they are valid). A listing on sale on a
    weight template states its net weight: its parcels are priced by it."""
    errors = _listing_field_errors(values, current_status=current_status)
    reference_errors, resolved = _listing_references(values, producer)
    errors.update(reference_errors)
    template = resolved["freight_template"]
    if (template is not None and template.basis == WEIGHT and values["net_weight_g"] is None
            and values["status"] == Listing.Status.ACTIVE):
        errors.setdefault("net_weight_g", "On a weight freight template a listing needs its net "
                                          "weight (grams) to go on sale.")
    if "price" not in errors:
        resolved["price"] = money(values["price"])
    if values["commission_rate"] is not None and "commission_rate" not in errors:
        resolved["commission_rate"] = rate_rounded(values["commission_rate"])
    return errors, resolved


def _listing_search_text(listing: Listing) -> str:
    return search_key(listing.title, listing.description, listing.story, listing.producer.name)


def _listing_region_lineage(listing: Listing) -> str:
    region = listing.origin_region or listing.producer.region
    return region.lineage


def listing_refresh_denormalised(listing: Listing) -> None:
    """Recompute `search_text` and `region_lineage` (the services do it on every write; the
    admin calls this after its own saves)."""
    listing.search_text = _listing_search_text(listing)
    listing.region_lineage = _listing_region_lineage(listing)


@transaction.atomic
def listing_create(
    *,
    producer: Producer,
    title: str,
    category: str,
    unit: str,
    price: Decimal,
    stock: int = 0,
    description: str = "",
    origin_region_id: int | None = None,
    story: str = "",
    growing_method: str = "",
    harvest_start: date | None = None,
    harvest_end: date | None = None,
    net_weight_g: int | None = None,
    commission_rate: Decimal | None = None,
    status: str = Listing.Status.DRAFT,
    presale: dict[str, Any] | None = None,
    freight_template: str | None = None,
) -> Listing:
    """A listing; with `presale` {closes_at, ships_from, ships_by, expected_quantity} one
    whose orders close at closes_at and ship in the window (its `stock` is what is on offer);
    with `freight_template` (the name of one of the farm's templates) its shipping priced by
    it, else by the flat fee."""
    microcache.bump("listings")  # the catalog shows it at once
    values = {
        "title": title, "description": description, "category": category, "unit": unit,
        "price": price, "stock": stock, "origin_region_id": origin_region_id, "story": story,
        "growing_method": growing_method, "harvest_start": harvest_start,
        "harvest_end": harvest_end, "net_weight_g": net_weight_g,
        "commission_rate": commission_rate, "status": status,
        "freight_template": freight_template,
    }
    errors, resolved = _listing_check(values, producer=producer)
    errors.update(_presale_errors(presale))
    if errors:
        raise ValidationFailed(errors)
    values.update(_presale_columns(presale))
    values.pop("origin_region_id")
    values.update(resolved, title=title.strip())
    listing = Listing(producer=producer, **values)
    listing_refresh_denormalised(listing)
    listing.save()
    return listing


@transaction.atomic
def listing_update(*, listing: Listing, **changes: Any) -> Listing:
    """Change any of LISTING_FIELDS; `status` may go between draft and active, and brings an
    archived listing back."""
    microcache.bump("listings")  # the catalog shows it at once
    unknown = set(changes) - LISTING_FIELDS
    assert not unknown, f"not updatable: {unknown}"
    # The row as it is now, locked: a PATCH never writes back what it read before another
    # PATCH or an archive that finished in between (a lost update would put an archived
    # listing back on sale).
    listing = (
        Listing.objects.select_for_update(of=("self",))
        .select_related("producer__region", "category", "origin_region")
        .get(pk=listing.pk)
    )
    presale_changed = "presale" in changes
    presale = changes.pop("presale", None)
    if presale_changed and presale_closed(listing):
        raise Conflict("The pre-sale has closed; its terms can no longer change.",
                       code="presale_closed", details={"listing_id": listing.pk})
    values = {field: getattr(listing, field)
              for field in LISTING_FIELDS - {"category", "presale", "freight_template"}}
    values["category"] = listing.category
    values["freight_template"] = listing.freight_template_id
    values |= changes
    errors, resolved = _listing_check(values, producer=listing.producer,
                                      current_status=listing.status)
    if presale_changed:
        errors.update(_presale_errors(presale))
    if errors:
        raise ValidationFailed(errors)
    if presale_changed:
        values.update(_presale_columns(presale))
    values.pop("origin_region_id")
    values.update(resolved)
    values["title"] = values["title"].strip()
    for field, value in values.items():
        setattr(listing, field, value)
    listing_refresh_denormalised(listing)
    # Never write stock or sales from a read copy when they did not change: orders update
    # them with conditional UPDATEs at any moment.
    fields = [f for f in values if f not in {"stock", "sales"}] + [
        "search_text", "region_lineage", "updated_at"]
    if "stock" in changes:
        fields.append("stock")
    listing.save(update_fields=fields)
    listing.refresh_from_db(fields=["stock", "sales"])
    return listing


def listing_archive(*, listing: Listing) -> None:
    """Take the listing off the shop window. Orders keep pointing at it (PROTECT), so every
    order's history stays whole; archiving twice is harmless."""
    Listing.objects.filter(pk=listing.pk).exclude(status=Listing.Status.ARCHIVED).update(
        status=Listing.Status.ARCHIVED, updated_at=timezone.now()
    )
    microcache.bump("listings")  # the catalog shows it at once


# --- Freight templates -----------------------------------------------------------------------

def listings_unweighed(*, template_id: int) -> list[int]:
    """Listings on sale on this template without a net weight (at most 50 of them)."""
    return list(Listing.objects.filter(
        freight_template_id=template_id, status=Listing.Status.ACTIVE, net_weight_g__isnull=True,
    ).order_by("pk").values_list("pk", flat=True)[:50])


@transaction.atomic
def freight_template_put(*, producer: Producer, name: str, basis: str, rules: list[dict],
                         default_rule: dict | None = None, free_over: list[dict] = (),
                         no_ship: list[int] = ()) -> tuple[FreightTemplate, bool]:
    """Save the farm's freight template `name` whole (freight.services.template_put, regions
    by id): (the template, True if it was made). A template turned to `weight` while listings
    on sale on it have no net weight is 422: they could not be priced."""
    template, created = freight_services.template_put(
        producer_id=producer.pk, name=name, basis=basis, rules=rules, default_rule=default_rule,
        free_over=free_over, no_ship=no_ship, book=FreightRegionBook())
    if (template.basis == WEIGHT and not created
            and (unweighed := listings_unweighed(template_id=template.pk))):
        raise ValidationFailed([{
            "field": "basis", "listing_ids": unweighed,
            "message": "Listings on sale on this template have no net weight: set their "
                       "net_weight_g first."}])
    return template, created


@transaction.atomic
def freight_template_delete(*, producer: Producer, name: str) -> None:
    """Delete the farm's template; one a listing names (archived ones too: they may come back
    on sale) is 409 `freight_template_in_use` with those listings."""
    template = freight_services.template_lock(producer_id=producer.pk, name=name)
    using = list(Listing.objects.filter(freight_template=template).order_by("pk")
                 .values_list("pk", flat=True)[:50])
    if using:
        raise Conflict("Listings use this freight template: give them another (or none) first.",
                       code="freight_template_in_use", details={"listing_ids": using})
    freight_services.template_delete(template=template)


# --- Photos ----------------------------------------------------------------------------------

def _lock_open_listing(listing: Listing) -> None:
    """Lock the listing's row for the rest of the transaction; 409 if it is archived (as it is
    now, not as the caller read it)."""
    status = Listing.objects.select_for_update().filter(pk=listing.pk).values_list(
        "status", flat=True).get()
    if status == Listing.Status.ARCHIVED:
        raise InvalidState("The listing is archived.")


def _refuse_photo(*, status: str, count: int) -> None:
    if status == Listing.Status.ARCHIVED:
        raise InvalidState("The listing is archived.")
    if count >= MAX_IMAGES_PER_LISTING:
        raise Conflict(f"A listing has at most {MAX_IMAGES_PER_LISTING} photos.",
                       code="too_many_images")


def listing_image_add(*, listing: Listing, file, size: int) -> ListingImage:
    """Check the photo (415 / 413) and store it as it came, with the listing row locked, so
    that uploads racing each other cannot pass MAX_IMAGES_PER_LISTING together; the worker
    cleans it (EXIF gone, re-encoded) and cuts the thumbnails after commit. Storage that cannot
    be written is a 503 `storage_unavailable`, and a file written for a row that was not
    committed is deleted: nothing is left half-written.

    What costs nothing is checked first: the declared size, the listing's state and its count of
    photos, then the header's format and pixel count. Only a photo that will be kept is decoded,
    so a refused upload (the 13th photo, an archived listing) costs a query, not a decode; and
    that decode is bounded (`images.check_decodes`): nothing whose cost grows with the pixels
    beyond it runs in the request (hardening round three, item 14)."""
    images.check_size(size)
    _refuse_photo(status=Listing.objects.filter(pk=listing.pk).values_list(
        "status", flat=True).get(), count=listing.images.count())
    header = images.check_header(file)
    images.check_decodes(file)
    stored: list[ListingImage] = []
    try:
        with transaction.atomic():
            _lock_open_listing(listing)
            existing = list(listing.images.values_list("position", flat=True))
            _refuse_photo(status=Listing.Status.ACTIVE, count=len(existing))
            image = ListingImage(
                listing=listing, width=header.width, height=header.height,
                position=max(existing, default=-1) + 1,
            )
            name = f"{uuid.uuid4().hex}{images.UPLOAD_MARK}.{header.extension}"
            file.seek(0)
            try:
                image.original.save(name, file, save=False)
            except OSError as exc:
                _delete_quietly(image.original.storage,
                                image.original.field.generate_filename(image, name))
                raise StorageUnavailable() from exc
            stored.append(image)
            image.save()

            enqueue(make_listing_image_thumbnails_task, image.pk)
    except BaseException:
        for orphan in stored:
            _delete_quietly(orphan.original.storage, orphan.original.name)
        raise
    microcache.bump("listings", on_commit=False)  # committed: the catalog shows it at once
    return image


def _delete_quietly(storage, name: str) -> None:
    try:
        if name and storage.exists(name):
            storage.delete(name)
    except OSError:
        logger.warning("Could not delete %s from storage", name, exc_info=True)


def listing_image_reprocess(*, image: ListingImage) -> None:
    """Make the thumbnails again (staff action, e.g. after changing sizes); the old files are
    deleted once nothing points at them any more."""
    microcache.bump("listings")  # the catalog shows it at once
    old_files = [(field.storage, field.name) for field in (image.small, image.medium) if field]

    with transaction.atomic():
        ListingImage.objects.filter(pk=image.pk).update(
            status=ListingImage.Status.PROCESSING, small="", medium=""
        )
        enqueue(make_listing_image_thumbnails_task, image.pk)

        def delete_old_files():
            for storage, name in old_files:
                _delete_quietly(storage, name)

        transaction.on_commit(delete_old_files)


def _listing_image_clean(image: ListingImage) -> ListingImage | None:
    """The stored upload re-encoded without its metadata, under its clean name, in place of
    the upload (deleted). None: the photo cannot be read (it is `failed` now). Of two runs
    racing, one's file is kept."""
    pending = ListingImage.objects.filter(pk=image.pk, status=ListingImage.Status.PROCESSING,
                                          original=image.original.name)
    try:
        with image.original.open("rb") as upload:
            clean = images.clean_upload(upload, image.original.size)
    except (DomainError, OSError, SyntaxError, ValueError):
        pending.update(status=ListingImage.Status.FAILED)
        return None
    field = image.original
    upload_name = field.name
    folder, _, base = upload_name.rpartition("/")
    stem = base.rsplit(".", 1)[0].removesuffix(images.UPLOAD_MARK)
    # beside the upload, so that the upload's name follows from it (images.upload_name_of)
    target = f"{folder}/{stem}.{clean.extension}" if folder else f"{stem}.{clean.extension}"
    saved = ""
    try:
        saved = field.storage.save(target, ContentFile(clean.content))
    except OSError:
        _delete_quietly(field.storage, saved or target)
        raise  # storage not writable or full: the task retries
    if pending.update(original=saved, width=clean.width, height=clean.height):
        _delete_quietly(field.storage, upload_name)
    else:  # another run cleaned it first: keep its file
        _delete_quietly(field.storage, saved)
    image.refresh_from_db()
    return image


def listing_image_process(*, image_id: int) -> ListingImage | None:
    """Clean the stored upload (`images.clean_upload`), then make the small and medium WebP
    thumbnails. Idempotent: an image that is no longer `processing` is left alone, and of two
    runs racing only one result is kept."""
    microcache.bump("listings")  # the catalog shows it at once
    image = ListingImage.objects.filter(pk=image_id).first()
    if image is None or image.status != ListingImage.Status.PROCESSING:
        return image
    if images.is_upload(image.original.name):
        cleaned = _listing_image_clean(image)
        if cleaned is None or cleaned.status != ListingImage.Status.PROCESSING:
            image.refresh_from_db()
            return image
        image = cleaned
    # an upload a run killed between cleaning and deleting it left behind (its GPS with it)
    _delete_quietly(image.original.storage, images.upload_name_of(image.original.name))
    pending = ListingImage.objects.filter(pk=image_id, status=ListingImage.Status.PROCESSING)
    try:
        with image.original.open("rb") as original:
            thumbnails = images.make_thumbnails(original)
    except (DomainError, OSError, SyntaxError, ValueError):
        pending.update(status=ListingImage.Status.FAILED)
        image.refresh_from_db()
        return image
    names = {}
    stem = image.original.name.rsplit("/", 1)[-1].rsplit(".", 1)[0]  # a uuid: unique
    try:
        for name, (content, _width, _height) in thumbnails.items():
            field = getattr(image, name)
            target = field.field.generate_filename(image, f"{stem}-{name}.webp")
            names[name] = target
            names[name] = field.storage.save(target, ContentFile(content))
    except OSError:
        # storage not writable or full: no half-written thumbnail stays; the task retries
        for name, stored in names.items():
            _delete_quietly(getattr(image, name).storage, stored)
        raise
    if not pending.update(status=ListingImage.Status.READY, **names):
        for name, stored in names.items():  # another run finished first: keep its files
            getattr(image, name).storage.delete(stored)
    image.refresh_from_db()
    return image


def listing_images_waiting(*, older_than) -> list[int]:
    """The photos the sweeper hands to their task again (OUTBOX_STUCK_WORK): those still
    `processing` since before `older_than`, and those `failed` for a transient cause
    (`selectors.images_failed_transiently`), which are put back to `processing` here first:
    once the storage is writable again they are made, without staff pressing a button per
    photo (hardening round three, item 11)."""
    retaken = selectors.images_failed_transiently(older_than=older_than)
    if retaken:
        taken = ListingImage.objects.filter(pk__in=retaken, status=ListingImage.Status.FAILED
                                            ).update(status=ListingImage.Status.PROCESSING)
        logger.warning("Took %d photos failed for a transient cause back to work", taken)
    return selectors.images_stuck(older_than=older_than)


def listing_image_give_up(image_id: int, *, reason: str) -> None:
    """The thumbnail task failed for good: the photo is `failed` (shown as such, not
    `processing` for ever), and the reason is logged and kept on the outbox intent."""
    logger.error("Thumbnails of photo %s failed: %s", image_id, reason)
    ListingImage.objects.filter(pk=image_id, status=ListingImage.Status.PROCESSING).update(
        status=ListingImage.Status.FAILED)


# --- Harvest lots ----------------------------------------------------------------------------

def _next_lot_code(listing: Listing, harvested_on: date) -> str:
    prefix = harvested_on.strftime("%Y%m%d")
    taken = set(
        Batch.objects.filter(listing=listing, lot_code__startswith=prefix)
        .values_list("lot_code", flat=True)
    )
    number = len(taken) + 1
    while f"{prefix}-{number}" in taken:
        number += 1
    return f"{prefix}-{number}"


def batch_check(
    *, harvested_on: date, quantity: int | None, lot_code: str | None, certifications: Any
) -> dict[str, str]:
    """The rules of a harvest lot, by field (batch_create and the admin's form use them)."""
    errors = {}
    if harvested_on > timezone.localdate() + timedelta(days=1):
        errors["harvested_on"] = "The harvest date cannot be in the future."
    elif harvested_on < EARLIEST_HARVEST:
        errors["harvested_on"] = f"The harvest date cannot be before {EARLIEST_HARVEST}."
    if quantity is not None and quantity < 0:
        errors["quantity"] = "The quantity is 0 or more."
    if lot_code and not LOT_CODE.match(lot_code):
        errors["lot_code"] = "A lot code has 1-64 letters, digits, '.', '_' or '-'."
    if not isinstance(certifications, list) or not all(
        isinstance(c, str) for c in certifications
    ):
        errors["certifications"] = "Certifications are a list of names."
    return errors


@transaction.atomic
def batch_create(
    *,
    listing: Listing,
    harvested_on: date,
    quantity: int | None = None,
    lot_code: str | None = None,
    notes: str = "",
    certifications: list[str] | None = None,
    member_id: int | None = None,
) -> Batch:
    """A harvest lot with a fresh trace code (drawn again on the rare collision), grown by one
    of the cooperative's active members if `member_id` names one (anything else: 422)."""
    microcache.bump("listings")  # the catalog shows it at once
    _lock_open_listing(listing)
    lot_code = (lot_code or "").strip() or None
    certifications = certifications or []
    errors = batch_check(harvested_on=harvested_on, quantity=quantity, lot_code=lot_code,
                         certifications=certifications)
    # the member's row is held to the end, so it cannot be deleted under the new lot
    if member_id is not None and not Member.objects.select_for_update().filter(
            pk=member_id, producer_id=listing.producer_id, active=True).exists():
        errors["member_id"] = "No active member of this cooperative has this id."
    if errors:
        raise ValidationFailed(errors)
    certifications = [c.strip() for c in certifications if c.strip()]
    if lot_code and Batch.objects.filter(listing=listing, lot_code=lot_code).exists():
        raise Conflict("This listing already has a lot with that code.", code="lot_code_taken")
    for _attempt in range(TRACE_CODE_ATTEMPTS):
        batch = Batch(
            listing=listing, lot_code=lot_code or _next_lot_code(listing, harvested_on),
            trace_code=new_trace_code(), harvested_on=harvested_on, quantity=quantity,
            notes=notes.strip(), certifications=certifications, member_id=member_id,
        )
        try:
            with transaction.atomic():
                batch.save()
            return batch
        except IntegrityError:
            if lot_code and Batch.objects.filter(listing=listing, lot_code=lot_code).exists():
                raise Conflict("This listing already has a lot with that code.",
                               code="lot_code_taken") from None
    raise Conflict("Could not draw a free trace code; try again.", code="trace_code_busy")


def trace_look(*, batch_id: int, address: str, user_agent: str) -> int | None:
    """Count a look at a lot's trace page: once per visitor a day, never a crawler's or a link
    preview's, without a database write when Redis is there (marketplace.visitors). Returns
    today's distinct visitors when that came for free, else None."""
    return visitors.SCANS.visit(subject_id=batch_id, address=address, user_agent=user_agent)


def scans_rollup(*, today: date | None = None) -> int:
    """Roll the looks of yesterday and today up into BatchScanDaily, and set each changed
    lot's `scans` to the sum of its days (distinct visitors a day). Idempotent."""
    changed = visitors.SCANS.rollup(today=today)
    if changed:
        total = (BatchScanDaily.objects.filter(batch=OuterRef("pk")).order_by()
                 .values("batch").annotate(n=Sum("visitors")).values("n"))
        Batch.objects.filter(pk__in=changed).update(
            scans=Coalesce(Subquery(total, output_field=IntegerField()), 0),
            first_scanned_at=Coalesce(
                F("first_scanned_at"), Value(timezone.now(), output_field=DateTimeField())),
        )
    return len(changed)


# --- Cooperatives' members -------------------------------------------------------------------

MEMBER_FIELDS = {"name", "phone", "region_id", "joined_on", "active"}


def cooperative_check(producer: Producer) -> None:
    """403 `cooperative_required` unless `producer` is a cooperative: farmers keep no members."""
    if producer.kind != Producer.Kind.COOPERATIVE:
        raise PermissionDenied("Only a cooperative keeps members.", code="cooperative_required")


def _member_check(values: dict[str, Any]) -> dict[str, str]:
    errors = {}
    if not (values["name"] or "").strip():
        errors["name"] = "A name is required."
    if values["phone"] and not PHONE.match(values["phone"]):
        errors["phone"] = "A phone number has 5 to 20 digits, optionally with +, spaces or -."
    if values["region_id"] is not None and not Region.objects.filter(
            pk=values["region_id"]).exists():
        errors["region_id"] = "No such region."
    if values["joined_on"] is None:
        errors["joined_on"] = "The day the member joined is required."
    elif values["joined_on"] > timezone.localdate() + timedelta(days=1):
        errors["joined_on"] = "The day the member joined cannot be in the future."
    elif values["joined_on"] < EARLIEST_HARVEST:
        errors["joined_on"] = f"The day the member joined cannot be before {EARLIEST_HARVEST}."
    return errors


def member_create(*, producer: Producer, name: str, phone: str = "",
                  region_id: int | None = None, joined_on: date | None = None) -> Member:
    """A member of the cooperative `producer` (joined today unless `joined_on`)."""
    cooperative_check(producer)
    values = {"name": name, "phone": (phone or "").strip(), "region_id": region_id,
              "joined_on": joined_on or timezone.localdate()}
    if errors := _member_check(values):
        raise ValidationFailed(errors)
    values["name"] = name.strip()
    return Member.objects.create(producer=producer, **values)


@transaction.atomic
def member_update(*, member: Member, **changes: Any) -> Member:
    """Change some of name, phone, region_id, joined_on, active (a member made active again may
    be named by new lots)."""
    unknown = set(changes) - MEMBER_FIELDS
    assert not unknown, f"not updatable: {unknown}"
    member = Member.objects.select_for_update().get(pk=member.pk)
    if "phone" in changes:
        changes["phone"] = (changes["phone"] or "").strip()
    values = {field: getattr(member, field) for field in MEMBER_FIELDS} | changes
    if errors := _member_check(values):
        raise ValidationFailed(errors)
    values["name"] = values["name"].strip()
    for field, value in values.items():
        setattr(member, field, value)
    member.save()
    return member


@transaction.atomic
def member_remove(*, member: Member) -> bool:
    """Delete a member no lot names; a member with lots (and so with sales, or lots that may
    still sell) is made inactive instead: its lots, trace pages and sales keep their grower.
    True when the member was deleted. The member's row is held first, so a lot created at the
    same time (batch_create holds it too) is either refused or counted here."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if Batch.objects.filter(member=member).exists():
        Member.objects.filter(pk=member.pk).update(active=False, updated_at=timezone.now())
        return False
    member.delete()
    return True
