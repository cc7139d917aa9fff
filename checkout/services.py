"""An order's life across the apps, each step a plain function that calls the apps' services in
the order written here, in one transaction: placing, paying, cancelling (by the buyer, by staff,
by expiry, by the harvest), recording a pre-sale's harvest, reconciling payments and releasing
a delivered parcel's money.

Locks are taken in one order on every path, so that two of these never wait on each other the
other way round (PostgreSQL would break the deadlock by failing one):

    the buyer's row -> the listings' rows (id order) -> the order's row -> the claim's row
    -> commissions -> the ledger's head -> payment rows

Placing takes the buyer and the listings; a cancel takes the order's row first (its conditional
UPDATE); a claim is opened under the order's row and then moves by its own row's conditional
UPDATE (claims.services); the books take the ledger's head when they post, and a refund takes
the ledger's head before the payment's row (payments.services._refund_of). A payment the
platform reports as taken moves its payment row first and then the order's row: the payment's
row is never held by a cancel while it waits for the order (a cancel refunds only payments
already succeeded).

Side effects outside the database (e-mails, platform calls) are written to the outbox in the
same transaction and handed to Celery after it commits.
"""

import contextlib
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from benefit import services as benefit_services
from books import services as books_services
from claims import selectors as claims_selectors
from marketplace.errors import InvalidState, NotFound
from orders import harvest as orders_harvest
from orders import presale as orders_presale
from orders import services as orders_services
from orders.models import Order
from payments import services as payments_services
from payments.models import Payment
from producers import services as producers_services
from producers.models import Listing
from promotion import services as promotion_services

HARVEST_REFUND_REASON = "收成不足，未能发货部分退款"


# --- Placing ------------------------------------------------------------------------------------


def order_place(*, buyer: User, lines: list[dict], shipping_address: dict,
                promo_code: str = "", promo_visit: str = "", note: str = "") -> Order:
    """Place an order: its stock taken and its rows written (orders; short -> 409 and nothing
    taken), then the promoter's commission (promotion: an unknown code earns nobody anything),
    then the pledges of its listings and of that promoter (benefit: they read the
    commission). One transaction, joined without a savepoint: an error rolls it all back.

    Seven statements (eight with the request's sign-in) for an order without a promo code or a
    pledge, whatever the number of lines and farms: `orders.services.order_place` counts them;
    the commission and the pledges add none then."""
    with transaction.atomic(savepoint=False):
        order = orders_services.order_place(
            buyer=buyer, lines=lines, shipping_address=shipping_address, promo_code=promo_code,
            note=note, expire=_expire_overdue)
        promotion_services.commission_for_order(order=order, promo_visit=promo_visit)
        benefit_services.pledges_snapshot(order=order, lines=order.placed_lines)
    return order


def _expire_overdue(order_id: int) -> Order:
    """How placing frees the stock of an overdue unpaid order holding a listing it is short of."""
    return order_expire(order_id=order_id)


# --- Paying -------------------------------------------------------------------------------------


def order_pay(*, order_id: int, user: User, method: str, openid: str = "",
              client_ip: str = "") -> Payment:
    """The buyer pays: payments starts the payment (the sandbox settles at once; a platform
    answers with the action the app performs). When the money is reported taken (the sandbox
    now, a platform's notification or the reconciliation later), payments moves the payment's
    row, then the order's (orders.services.order_mark_paid), then posts it to the books."""
    return payments_services.payment_start(order_id=order_id, user=user, method=method,
                                           openid=openid, client_ip=client_ip)


# --- Cancelling ---------------------------------------------------------------------------------


def _cancel(order: Order, *, actor: User | None, reason: str, expected: list[str],
            **conditions) -> Order:
    """Cancel `order` if it is still in one of `expected` (and matches `conditions`), in one
    transaction, in this order:

    1. orders: the order's row moves to cancelled (a conditional UPDATE: the row is held from
       here on, so the rest happens once per order), its parcels are cancelled, its stock comes
       back, and its sales if it was paid;
    2. books: if it was paid, everything its holders still have of its payment is taken back
       and owed to the buyer (the ledger's head);
    3. promotion: its pending commissions are cancelled;
    4. payments: every payment that took money is refunded (the ledger's head, then the
       payment's row) and every open one is closed at its platform after the commit;
    5. orders: the farms already asked to ship it are told not to, after the commit.
    """
    with transaction.atomic():
        previous = orders_services.order_cancel_move(order, actor=actor, reason=reason,
                                                     expected=expected, **conditions)
        if previous == Order.Status.PAID:
            books_services.cancellation_post(order_id=order.pk)
        order.refresh_from_db()
        promotion_services.commissions_cancel_for_order(order=order)
        payments_services.order_cancel_refund(order=order)
        if previous == Order.Status.PAID:
            orders_services.order_cancelled_tell_farms(order_id=order.pk)
    return order


def order_cancel(*, order_id: int, user: User) -> Order:
    """The buyer cancels before anything has shipped."""
    order = orders_services.order_cancel_check(order_id=order_id, user=user)
    return _cancel(order, actor=user, reason=Order.CancelReason.BUYER,
                   expected=[Order.Status.PENDING_PAYMENT, Order.Status.PAID])


def order_cancel_by_staff(*, order: Order, staff: User) -> Order:
    return _cancel(order, actor=staff, reason=Order.CancelReason.STAFF,
                   expected=[Order.Status.PENDING_PAYMENT, Order.Status.PAID])


def order_expire(*, order_id: int) -> Order:
    """Cancel an unpaid order whose payment window has passed (the periodic task, placing an
    order short of stock, the reconciliation)."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        raise NotFound("No such order.", code="order_not_found")
    return _cancel(order, actor=None, reason=Order.CancelReason.EXPIRED,
                   expected=[Order.Status.PENDING_PAYMENT], expires_at__lte=timezone.now())


# --- A listing's pre-sale terms -----------------------------------------------------------------


def _presale_moved(listing: Listing, presale: dict | None) -> bool:
    """Does `presale` (PATCH's) remove the listing's pre-sale or move its close or its shipping
    window? (The expected quantity is the farm's estimate alone.)"""
    if presale is None:
        return True
    return (presale.get("closes_at"), presale.get("ships_from"), presale.get("ships_by")) != (
        listing.presale_closes_at, listing.presale_ships_from, listing.presale_ships_by)


def listing_update(*, listing: Listing, **changes) -> Listing:
    """PATCH /listings/{id}: producers changes the listing. Removing an open pre-sale, or moving
    its close or shipping window, is first held against the orders bound to those terms
    (orders.presale.refuse_terms_change: 409 `presale_has_orders`), with the listing's row
    taken first, as placing an order takes it; a closed one producers refuses itself."""
    with transaction.atomic():
        if "presale" in changes:
            current = Listing.objects.select_for_update().get(pk=listing.pk)
            if (current.presale_closes_at is not None
                    and current.presale_closes_at > timezone.now()
                    and _presale_moved(current, changes["presale"])):
                orders_presale.refuse_terms_change(listing_id=listing.pk)
        return producers_services.listing_update(listing=listing, **changes)


# --- The harvest of a pre-sale ------------------------------------------------------------------


def harvest_record(*, listing: Listing, user: User, actual_quantity: int,
                   policy: str) -> dict:
    """Record the harvest of the pre-sale `listing`, in one transaction (orders.harvest says
    what each part does): the listing's row first; the pre-sale's orders still waiting for
    payment cancelled as any other (their stock back; one paid meanwhile is shared like the
    rest); the harvest shared among the paid lines;
    then, order by order, an order left with nothing is cancelled as any other (`_cancel`),
    any other has its emptied parcels cancelled and is refunded what it will not get
    (payments); then the listing becomes goods in hand and the buyers are told."""
    with transaction.atomic():
        for order_id in orders_harvest.harvest_unpaid_orders(listing=listing):
            with contextlib.suppress(InvalidState):  # paid just now: shared below
                _cancel(Order.objects.get(pk=order_id), actor=user,
                        reason=Order.CancelReason.HARVEST_UNPAID,
                        expected=[Order.Status.PENDING_PAYMENT])
        harvest, orders = orders_harvest.harvest_start(
            listing=listing, user=user, actual_quantity=actual_quantity, policy=policy)
        if orders is None:
            return orders_harvest.harvest_answer(harvest)
        refunded, unfilled_kept = 0, 0
        for lines in orders:
            part = orders_harvest.order_part(lines)
            if part.cancelled:
                _cancel(part.order, actor=user, reason=Order.CancelReason.HARVEST,
                        expected=[Order.Status.PAID])
            else:
                orders_harvest.parcels_cancel(part, user)
                if part.refund:
                    payments_services.refund_request(
                        order=part.order, amount=part.refund, reason=HARVEST_REFUND_REASON,
                        key=f"harvest:{harvest.listing_id}:order:{part.order.pk}")
                unfilled_kept += part.ordered - part.allocated
            orders_harvest.order_part_record(harvest, part, user)
            refunded += part.refund
        harvest = orders_harvest.harvest_finish(harvest, refunded=refunded,
                                                unfilled_kept=unfilled_kept)
    return orders_harvest.harvest_answer(harvest)


# --- Payments the platforms did not report ------------------------------------------------------


def reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """Beat, every minute: payments asks the platforms what no notification settled (and pays,
    closes or refunds accordingly); then every order past its window whose payment was just
    settled without paying it, and that has no payment left open, is expired."""
    done, overdue = payments_services.reconcile(now=now)
    for order_id in overdue:
        if payments_services.payment_open(order_id=order_id):
            continue
        with contextlib.suppress(InvalidState):  # paid or cancelled meanwhile
            order_expire(order_id=order_id)
    return done


# --- A delivered parcel's money -----------------------------------------------------------------


def _held_by_claim(*, order_id: int, shipment_id: int) -> bool:
    """In a release's transaction: the order's row taken (as opening a claim takes it, so a
    claim and the release of its parcel happen one after the other), whether the parcel has a
    claim going on (claims): then its money stays where it is."""
    Order.objects.select_for_update().filter(pk=order_id).values_list("pk").first()
    return claims_selectors.shipment_held(shipment_id=shipment_id)


def commissions_settle(*, now: datetime | None = None) -> int:
    """Every pending commission whose parcel was delivered RETURN_WINDOW_DAYS ago, and has no
    claim going on, is settled, each in its own transaction: promotion moves it (one
    conditional UPDATE: running twice, or beside a cancellation, settles once), then the books
    make the promoter's share of that parcel available."""
    now = now or timezone.now()
    settled = 0
    for commission in promotion_services.commissions_due(now=now):
        with transaction.atomic():
            if _held_by_claim(order_id=commission.order_id,
                              shipment_id=commission.shipment_id):
                continue
            if promotion_services.commission_settle(commission=commission, now=now):
                books_services.commission_settled_post(commission=commission)
                settled += 1
    return settled


def shipments_release(*, now: datetime | None = None) -> int:
    """Every parcel delivered RETURN_WINDOW_DAYS ago with pending money and no claim going on:
    the farm's money and its pledges become available (books), each in its own transaction;
    safe to run twice. A parcel held by a claim is released once the claim is over (what the
    claim refunded was taken from its pending money first)."""
    released = 0
    for shipment_id, order_id in books_services.releases_due(now=now, with_order=True):
        with transaction.atomic():
            if _held_by_claim(order_id=order_id, shipment_id=shipment_id):
                continue
            if books_services.shipment_release(shipment_id=shipment_id) is not None:
                released += 1
    return released


def delivered_money_release(*, now: datetime | None = None) -> int:
    """A parcel delivered RETURN_WINDOW_DAYS ago: the promoter's commission is settled, then
    the farm's pending money and its pledges become available (books, per shipment), unless a
    claim on it is going on. Returns how many commissions and shipments were released; running
    twice releases nothing twice."""
    now = now or timezone.now()
    return commissions_settle(now=now) + shipments_release(now=now)
