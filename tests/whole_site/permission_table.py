"""Who may call what: the expected status of every route for each actor.

Actors: anonymous, buyer (placed the world's order), other_producer (a producer with nothing to
do with the owner's goods), owner (the producer who owns the listing, lot, origin video and the
order's parcel), promoter (linked the owner's listing to a promo video), staff (the back office:
the admin, not special in the API).

The rules of API.md: no or a bad token is 401; someone else's object is 404 to them (they may not
learn it exists); a role one does not have is 403: an account role (no producer or promoter
profile, for /shipments, /producers/me/..., /promoters/me/...), or the other party's part in an
order one is a party to (the farm paying or cancelling, confirming its own parcel; the buyer
shipping it); a public GET is 200 for everyone. A status in
a set means any of them is right (e.g. a 409 for the owner still proves the check passed). Path
parameters are filled from the world's ids (`params` maps a parameter to another id).

A route may have several rows (a list), e.g. one for a public object and one for a draft.
Add a row for every new route: the matrix test fails, naming the route, until there is one.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

ANY_SIGNED_IN = "signed-in"


@dataclass
class Row:
    expect: dict[str, Any]
    body: Any = None
    params: dict[str, str] = field(default_factory=dict)
    query: str | Callable[[dict], str] = ""
    multipart: bool = False


def everyone(status, **kw) -> Row:
    return Row({a: status for a in _ACTORS}, **kw)


def signed_in(status, **kw) -> Row:
    return Row({"anonymous": 401, **{a: status for a in _ACTORS[1:]}}, **kw)


def actors(*, anonymous=401, buyer, other_producer, owner, promoter, staff, **kw) -> Row:
    return Row({"anonymous": anonymous, "buyer": buyer, "other_producer": other_producer,
                "owner": owner, "promoter": promoter, "staff": staff}, **kw)


def owner_only(ok, *, others=404, **kw) -> Row:
    """The owner's object: the owner gets `ok`, everyone else signed in `others` (404: they may
    not learn it exists), anonymous 401."""
    return actors(buyer=others, other_producer=others, owner=ok, promoter=others, staff=others,
                  **kw)


_ACTORS = ("anonymous", "buyer", "other_producer", "owner", "promoter", "staff")


def _png() -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(buffer, format="PNG")
    return {"file": SimpleUploadedFile("apple.png", buffer.getvalue(), content_type="image/png")}


ADDRESS = {"recipient": "李四", "phone": "13900000000", "region_id": None, "detail": "幸福路 1 号"}


def _order(ids) -> dict:
    return {"lines": [{"listing_id": ids["listing_id"], "quantity": 1}],
            "shipping_address": {**ADDRESS, "region_id": ids["region_id"]}}


def _claim(ids) -> dict:
    return {"shipment_id": ids["shipment_id"], "kind": "damaged",
            "lines": [{"line_id": ids["line_id"], "quantity": 1, "damage_pct": 30}]}


LISTING = {"title": "砀山酥梨 5斤装", "category": "pears", "unit": "box", "price": "29.90",
           "stock": 10, "status": "active"}

TABLE: dict[str, Row | list[Row]] = {
    # --- the platform and accounts ------------------------------------------------------------
    "GET /api/v1/": everyone(404),  # ninja's root: nothing there, the envelope says so
    "GET /api/v1/openapi.json": everyone(200),
    "GET /api/v1/docs": everyone(200),
    # the docs page's own Swagger UI files (no CDN)
    "GET /static/ninja/{path}": everyone(200, params={"path": "file", "file": "swagger-ui.css"}),
    "GET /api/v1/health": everyone(200),
    "POST /api/v1/auth/register": everyone(
        201, body={"username": "newcomer", "password": "Yet-another-pass-7"}),
    "POST /api/v1/auth/token": everyone(
        200, body={"username": "site_buyer", "password": "a-Strong-pass-123"}),
    "POST /api/v1/auth/logout": signed_in(204),
    "POST /api/v1/auth/logout-all": signed_in(204),
    "GET /api/v1/me": signed_in(200),
    # --- signing in with a phone, and hearing in time --------------------------------------------
    # one code a minute per phone: the first actor gets it, the rest are 429
    "POST /api/v1/auth/sms-code": everyone({202, 429}, body={"phone": "13812340000"}),
    # no code was sent to this phone: never a sign-in, whoever asks
    # (the sixth wrong code from one address is locked out of that phone: 429 sign_in_locked)
    "POST /api/v1/auth/phone": everyone({401, 429},
                                        body={"phone": "13812340001", "code": "123456"}),
    "GET /api/v1/me/contacts": signed_in(200),
    "POST /api/v1/me/contacts": signed_in(
        201, body={"channel": "email", "address": "farm@example.com"}),
    "DELETE /api/v1/me/contacts/{contact_id}": owner_only(
        204, params={"contact_id": "owner_contact_id"}),
    "GET /api/v1/me/notifications": signed_in(200),
    "GET /api/v1/me/notifications/unread-count": signed_in(200),
    "POST /api/v1/me/notifications/read": signed_in(200, body={"all": True}),
    "GET /api/v1/me/notification-preferences": signed_in(200),
    "PUT /api/v1/me/notification-preferences": signed_in(
        200, body={"events": {"order_paid": ["sms"]}, "quiet_hours": None}),
    # no WeChat template is configured in the world: the body is refused once auth passed
    "POST /api/v1/me/wechat-grants": signed_in(422, body={"template_id": "tpl", "count": 1}),
    # --- places and kinds of goods ------------------------------------------------------------
    "GET /api/v1/regions": everyone(200),
    "GET /api/v1/regions/{region_id}": everyone(200),
    "GET /api/v1/categories": everyone(200),
    # --- producers ----------------------------------------------------------------------------
    "GET /api/v1/producers": everyone(200),
    "GET /api/v1/producers/{producer_id}": everyone(200),
    "POST /api/v1/producers": actors(
        buyer=201, other_producer=409, owner=409, promoter=201, staff=201,
        body=lambda ids: {"name": "新农户", "kind": "farmer", "region_id": ids["region_id"]}),
    "PATCH /api/v1/producers/{producer_id}": owner_only(200, body={"story": "改过的故事"}),
    # a role one does not have: 403
    "GET /api/v1/producers/me/promotion": actors(
        buyer=403, other_producer=200, owner=200, promoter=403, staff=403),
    # the books: a farm's own money (a role one does not have: 403)
    "GET /api/v1/producers/me/balance": actors(
        buyer=403, other_producer=200, owner=200, promoter=403, staff=403),
    "GET /api/v1/producers/me/ledger": actors(
        buyer=403, other_producer=200, owner=200, promoter=403, staff=403),
    "GET /api/v1/producers/me/statements": actors(
        buyer=403, other_producer=200, owner=200, promoter=403, staff=403),
    "GET /api/v1/producers/me/payouts": actors(
        buyer=403, other_producer=200, owner=200, promoter=403, staff=403),
    # a cooperative's members: the other producer is the cooperative; the owner, a farmer, is
    # 403 (cooperative_required), like everyone without a producer profile (producer_required)
    "POST /api/v1/producers/me/members": actors(
        buyer=403, other_producer=201, owner=403, promoter=403, staff=403,
        body={"name": "李大山"}),
    "GET /api/v1/producers/me/members": actors(
        buyer=403, other_producer=200, owner=403, promoter=403, staff=403),
    "PATCH /api/v1/producers/me/members/{member_id}": actors(
        buyer=403, other_producer=200, owner=403, promoter=403, staff=403,
        params={"member_id": "other_member_id"}, body={"name": "王秀英（东坡）"}),
    "DELETE /api/v1/producers/me/members/{member_id}": actors(
        buyer=403, other_producer=204, owner=403, promoter=403, staff=403,
        params={"member_id": "other_member_id"}),
    "GET /api/v1/producers/me/members/{member_id}/sales": actors(
        buyer=403, other_producer=200, owner=403, promoter=403, staff=403,
        params={"member_id": "other_member_id"},
        query="period_start=2026-01-01&period_end=2026-03-31"),
    # a farm's freight templates, by name: the other producer has none of the owner's name
    # (404), and a PUT of that name makes its own
    "GET /api/v1/producers/me/freight-templates": actors(
        buyer=403, other_producer=200, owner=200, promoter=403, staff=403),
    "GET /api/v1/producers/me/freight-templates/{name}": actors(
        buyer=403, other_producer=404, owner=200, promoter=403, staff=403,
        params={"name": "template_name"}),
    "PUT /api/v1/producers/me/freight-templates/{name}": actors(
        buyer=403, other_producer=201, owner=200, promoter=403, staff=403,
        params={"name": "template_name"}, body=lambda ids: {
            "basis": "weight", "default_rule": {"first": {"units": 1, "fee": "8.00"},
                                                "next": {"units": 1, "fee": "2.00"}},
            "no_ship": [ids["region_id"]]}),
    "DELETE /api/v1/producers/me/freight-templates/{name}": actors(
        buyer=403, other_producer=404, owner=204, promoter=403, staff=403,
        params={"name": "template_name"}),
    # --- listings, photos, harvest lots ----------------------------------------------------------
    "GET /api/v1/listings": everyone(200),
    "POST /api/v1/listings": actors(
        buyer=403, other_producer=201, owner=201, promoter=403, staff=403, body=LISTING),
    "GET /api/v1/listings/{listing_id}": [
        everyone(200),
        # a draft is the owner's alone: not there for anyone else, signed in or not
        owner_only(200, anonymous=404, params={"listing_id": "draft_listing_id"}),
    ],
    "PATCH /api/v1/listings/{listing_id}": [
        owner_only(200, body={"price": "35.00"}),
        # and the other way round: the other producer's listing is not the owner's to change
        actors(buyer=404, other_producer=200, owner=404, promoter=404, staff=404,
               body={"price": "35.00"}, params={"listing_id": "other_listing_id"}),
    ],
    "DELETE /api/v1/listings/{listing_id}": owner_only(204),
    "POST /api/v1/listings/{listing_id}/images": owner_only(
        201, body=lambda ids: _png(), multipart=True),
    "POST /api/v1/listings/{listing_id}/batches": owner_only(
        201, body={"harvested_on": "2026-10-20", "quantity": 100}),
    # the owner's listing is no pre-sale: past the permission check to 409 not_a_presale
    "POST /api/v1/listings/{listing_id}/harvest": owner_only(
        409, body={"actual_quantity": 5, "policy": "first_come"}),
    "GET /api/v1/listings/{listing_id}/videos": everyone(200),
    "GET /api/v1/trace/{trace_code}": everyone(200),
    "GET /trace/{trace_code}": everyone(200),
    # the listing's page for people, where share links land (a draft is not found)
    "GET /l/{listing_id}": [
        everyone(200), everyone(404, params={"listing_id": "draft_listing_id"})],
    "GET /trace/{trace_code}/qr.png": everyone(200),
    "GET /favicon.ico": everyone(200),
    # --- orders, shipments, payments (the order is the buyer's, paid; its parcel the owner's) --
    "POST /api/v1/orders": actors(
        # the owner may not buy their own goods
        buyer=201, other_producer=201, owner=422, promoter=201, staff=201, body=_order),
    # what an order would cost: anyone may ask (the owner's own goods are refused alike)
    "POST /api/v1/orders/quote": actors(
        anonymous=200, buyer=200, other_producer=200, owner=422, promoter=200, staff=200,
        body=_order),
    "GET /api/v1/orders": signed_in(200),
    "GET /api/v1/orders/{order_id}": actors(
        buyer=200, other_producer=404, owner=200, promoter=404, staff=404),
    # already paid: the buyer gets past the permission check to the state check
    "POST /api/v1/orders/{order_id}/pay": actors(
        buyer=409, other_producer=404, owner=403, promoter=404, staff=404,
        body={"method": "sandbox"}),
    "POST /api/v1/orders/{order_id}/cancel": actors(
        buyer=200, other_producer=404, owner=403, promoter=404, staff=404),
    "GET /api/v1/shipments": actors(
        buyer=403, other_producer=200, owner=200, promoter=403, staff=403),
    # the buyer sees the parcel in their order but is not the farm: 403
    "POST /api/v1/shipments/{shipment_id}/ship": actors(
        buyer=403, other_producer=404, owner=200, promoter=404, staff=404,
        body={"carrier": "顺丰", "tracking_number": "SF1234567890123"}),
    # not shipped yet: the buyer passes the permission check and meets the state check
    # the farm sees its parcel but is not the buyer: 403, as for an order's buyer actions
    "POST /api/v1/shipments/{shipment_id}/confirm": actors(
        buyer=409, other_producer=404, owner=403, promoter=404, staff=404),
    # --- claims (the world's claim is the buyer's, on the owner's delivered parcel) ----------
    # the world's first order is not delivered: the buyer passes to the state check
    "POST /api/v1/orders/{order_id}/claims": actors(
        buyer=409, other_producer=404, owner=403, promoter=404, staff=404, body=_claim),
    "GET /api/v1/claims": signed_in(200),
    "GET /api/v1/claims/{claim_id}": actors(
        buyer=200, other_producer=404, owner=200, promoter=404, staff=404),
    "POST /api/v1/claims/{claim_id}/evidence": actors(
        buyer=201, other_producer=404, owner=201, promoter=404, staff=404,
        body=lambda ids: _png(), multipart=True),
    # the farm's packing evidence: the buyer sees the parcel but is not the farm
    "POST /api/v1/shipments/{shipment_id}/evidence": actors(
        buyer=403, other_producer=404, owner=201, promoter=404, staff=404,
        body=lambda ids: _png(), multipart=True),
    "POST /api/v1/claims/{claim_id}/accept": actors(
        buyer=403, other_producer=404, owner=200, promoter=404, staff=404),
    # no packing evidence yet: the owner passes the permission check and meets the 422
    "POST /api/v1/claims/{claim_id}/reject": actors(
        buyer=403, other_producer=404, owner=422, promoter=404, staff=404,
        body={"note": "包装完好"}),
    "POST /api/v1/claims/{claim_id}/propose": actors(
        buyer=403, other_producer=404, owner=200, promoter=404, staff=404,
        body=lambda ids: {"lines": [{"line_id": ids["claimed_line_id"], "damage_pct": 10}]}),
    # nothing proposed or rejected: the buyer meets the state check
    "POST /api/v1/claims/{claim_id}/accept-proposal": actors(
        buyer=409, other_producer=404, owner=403, promoter=404, staff=404),
    "POST /api/v1/claims/{claim_id}/escalate": actors(
        buyer=409, other_producer=404, owner=403, promoter=404, staff=404, body={"note": ""}),
    "POST /api/v1/claims/{claim_id}/withdraw": actors(
        buyer=200, other_producer=404, owner=403, promoter=404, staff=404),
    # signed by the provider, not by a user: an unsigned call is refused for everyone alike
    "POST /api/v1/payments/webhooks/{provider}": everyone(
        400, body={"event": "fake"}),
    # --- promotion ---------------------------------------------------------------------------
    "POST /api/v1/promoters": actors(
        buyer=201, other_producer=201, owner=201, promoter=409, staff=201,
        body={"display_name": "新推广员"}),
    # /promoters/me and below: a role one does not have (no promoter profile), 403
    "GET /api/v1/promoters/me": actors(
        buyer=403, other_producer=403, owner=403, promoter=200, staff=403),
    "GET /api/v1/promoters/me/stats": actors(
        buyer=403, other_producer=403, owner=403, promoter=200, staff=403),
    "GET /api/v1/promoters/me/commissions": actors(
        buyer=403, other_producer=403, owner=403, promoter=200, staff=403),
    # the books: a promoter's own money (no promoter profile: 403, a role one does not have)
    "GET /api/v1/promoters/me/balance": actors(
        buyer=403, other_producer=403, owner=403, promoter=200, staff=403),
    "GET /api/v1/promoters/me/ledger": actors(
        buyer=403, other_producer=403, owner=403, promoter=200, staff=403),
    "GET /api/v1/promoters/me/payouts": actors(
        buyer=403, other_producer=403, owner=403, promoter=200, staff=403),
    "POST /api/v1/videos": actors(
        buyer=403, other_producer=201, owner=201, promoter=201, staff=403,
        body={"url": "https://www.bilibili.com/video/BV1GJ411x7h7"}),
    "GET /api/v1/videos": signed_in(200),
    "GET /api/v1/videos/{video_id}": [
        owner_only(200),
        actors(buyer=404, other_producer=404, owner=404, promoter=200, staff=404,
               params={"video_id": "promo_video_id"}),
    ],
    "POST /api/v1/videos/{video_id}/links": [
        owner_only(201, body=lambda ids: {"listing_id": ids["listing_id"]}),
        # the promoter's video, to another farm's listing open to promotion
        actors(buyer=404, other_producer=404, owner=404, promoter=201, staff=404,
               params={"video_id": "promo_video_id"},
               body=lambda ids: {"listing_id": ids["other_listing_id"]}),
    ],
    # the farm's word on the promoter's video linked to its listing
    "POST /api/v1/listings/{listing_id}/videos/{video_id}/approve": owner_only(
        200, params={"video_id": "promo_video_id"}),
    "POST /api/v1/listings/{listing_id}/videos/{video_id}/hide": owner_only(
        200, params={"video_id": "promo_video_id"}),
    "GET /p/{code}": everyone(302, params={"code": "promo_link_code"}),
    # --- public benefit: projects and their public ledger are public; a pledge is the owner's
    "GET /api/v1/benefit/projects": everyone(200),
    "GET /api/v1/benefit/projects/{project_id}": everyone(200),
    "GET /api/v1/benefit/projects/{project_id}/ledger": everyone(200),
    "GET /api/v1/benefit/ledger/head": everyone(200),
    "GET /benefit/{project_id}": everyone(200),
    "PUT /api/v1/listings/{listing_id}/benefit": owner_only(
        200, body=lambda ids: {"project_id": ids["project_id"], "kind": "fixed",
                               "value": "1.00"}),
    "DELETE /api/v1/listings/{listing_id}/benefit": owner_only(204),
    "PUT /api/v1/promoters/me/benefit": actors(
        buyer=403, other_producer=403, owner=403, promoter=200, staff=403,
        body=lambda ids: {"project_id": ids["project_id"], "percent": "10"}),
    "DELETE /api/v1/promoters/me/benefit": actors(
        buyer=403, other_producer=403, owner=403, promoter=204, staff=403),
    # --- reports (the owner's sales report, built) ----------------------------------------------
    # a farm's kinds need a farm (403); the other producer asks for its own data
    "POST /api/v1/reports": actors(
        buyer=403, other_producer=202, owner=202, promoter=403, staff=403,
        body={"kind": "sales", "format": "csv", "period_start": "2026-01-01",
              "period_end": "2026-03-31"}),
    "GET /api/v1/reports": signed_in(200),
    "GET /api/v1/reports/{report_id}": owner_only(200),
    # the signed link opens the file for the owner only, and only with the owner's token
    "GET /api/v1/reports/{report_id}/download": owner_only(
        200, query=lambda ids: f"token={ids['report_token']}"),
    # --- certificates and verified sellers (the owner asked to be verified, and issued its
    # lot's 承诺达标合格证): a farm's own, forms with files; the label is printed on boxes
    "POST /api/v1/producers/me/verification": actors(
        # the owner's is waiting already: past the permission check to 409
        buyer=403, other_producer=201, owner=409, promoter=403, staff=403, multipart=True,
        body={"kind": "individual_farmer", "name": "王秀英", "id_number": "11010519491231002X"}),
    "GET /api/v1/producers/me/verification": actors(
        buyer=403, other_producer=404, owner=200, promoter=403, staff=403),
    "POST /api/v1/batches/{batch_id}/certificates": owner_only(
        201, multipart=True, body={"kind": "chengnuo_hege", "basis": "own_test"}),
    "GET /api/v1/batches/{batch_id}/certificates": owner_only(200),
    "POST /api/v1/producers/me/certificates": actors(
        buyer=403, other_producer=201, owner=201, promoter=403, staff=403, multipart=True,
        body=lambda ids: _certificate_file()),
    "GET /batches/{batch_id}/certificates/{certificate_id}.png": everyone(
        200, params={"certificate_id": "chengnuo_id"}),
}


def _certificate_file() -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import pdf_bytes

    return {"kind": "sc", "number": "SC11641162700123", "issuer": "太康县市场监督管理局",
            "issued_on": "2025-03-01", "expires_on": "2030-02-28",
            "file": SimpleUploadedFile("sc.pdf", pdf_bytes(), content_type="application/pdf")}


# The admin's URLs are one row: test_admin_is_for_staff_only walks the index and every model's
# change list with ADMIN_EXPECT.
TABLE["GET /admin/..."] = everyone(None)
# The admin's sign-in page (behind the lock-out, accounts.admin_login) is open to everyone.
TABLE["GET /admin/login/"] = everyone(200)

# The admin (session sign-in, is_staff): staff see it, everyone else goes to the login page.
ADMIN_EXPECT = {"anonymous": 302, "buyer": 302, "other_producer": 302, "owner": 302,
                "promoter": 302, "staff": 200}
